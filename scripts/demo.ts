/**
 * The README's main job: a local end-to-end deploy of the example app through the whole chain, on the
 * local infrastructure (scripts/infra.sh), driven through the workflow files. Prints the run as it goes and
 * a report at the end; also writes it to demo-report.md.
 *
 *   npx tsx scripts/demo.ts        (scripts/demo.sh sets up a fresh machine first)
 */
import { writeFileSync } from 'node:fs';
import { runChain } from '../test/e2e/chain.js';

const report = await runChain((line) => process.stdout.write(line + '\n'));
process.stdout.write('\n' + report.markdown);
writeFileSync('demo-report.md', report.markdown);
const [first, second] = report.runs;
const ok =
  first?.result.conclusion === 'success' &&
  second?.result.conclusion === 'failure' &&
  Object.values(second.serving).every((s) => s.includes('"status":"ok"')) &&
  report.standIn.violations === 0;
process.stdout.write(
  ok
    ? '\nThe chain did what it should: v1.0.0 reached production; the broken v1.0.1 failed its gate in dev, was rolled back automatically and never promoted.\nReport: demo-report.md\n'
    : '\nThe demo did not end as expected: read the report above.\n'
);
process.exit(ok ? 0 : 1);

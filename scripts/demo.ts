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
const [first, soaked, broken] = report.runs;
const ok =
  first?.result.conclusion === 'success' &&
  soaked?.result.conclusion === 'failure' &&
  broken?.result.conclusion === 'failure' &&
  [soaked, broken].every((r) => Object.values(r.serving).every((s) => s.includes('"status":"ok"'))) &&
  JSON.stringify(soaked.tags) === JSON.stringify(first.tags) &&
  first.approvals.length === 3 &&
  report.standIn.violations === 0 &&
  report.standIn.forbidden.length === 0 &&
  // The deploy host runs the Compose v2 plugin, as field hosts do.
  report.compose.length > 0 &&
  report.compose.every((c) => c.endsWith('(v2)')) &&
  // Each environment's database kept its ./data from the first release on.
  Object.values(report.data).every((lines) => lines[0] === '1.0.0');
process.stdout.write(
  ok
    ? '\nThe chain did what it should: v1.0.0 reached production with one approval per environment; v1.0.1 passed its gate in dev, failed its soak, was rolled back in the same job and kept the dev tag on v1.0.0; the broken v1.0.2 failed its gate, was rolled back automatically; neither was promoted.\nReport: demo-report.md\n'
    : '\nThe demo did not end as expected: read the report above.\n'
);
process.exit(ok ? 0 : 1);

/**
 * scan-gate on a report of 10,000 findings, the whole CLI process (node start, the CLI, the action bundle it
 * runs) against one `jq` process counting the severities of the same file. The report is built at run time
 * from Trivy's golden alpine-39 report (../shared/scan-reports, or DEPLOY_ACTIONS_SCAN_REPORTS) by repeating
 * its real findings under distinct ids. Goal (issue 25): at most 2× jq's time. Median of RUNS runs.
 *
 *   npx tsx bench/scan-gate.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/support/paths.js';
import { reportPath } from '../test/scan/reports.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const FINDINGS = 10_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const golden = JSON.parse(readFileSync(reportPath('trivy-alpine-39.json'), 'utf8')) as any;
const real = golden.Results[0].Vulnerabilities as { VulnerabilityID: string }[];
const vulns = Array.from({ length: FINDINGS }, (_, i) => ({
  ...real[i % real.length],
  VulnerabilityID: `CVE-2099-${String(100000 + i)}`
}));
const dir = mkdtempSync(join(tmpdir(), 'bench-scan-'));
const file = join(dir, 'report.json');
writeFileSync(
  file,
  JSON.stringify({ ...golden, Results: [{ ...golden.Results[0], Vulnerabilities: vulns }] }, null, 2)
);

function time(argv: string[]): { ms: number; out: string } {
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, RUNNER_TEMP: dir }
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.error) throw r.error;
  return { ms, out: r.stdout };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cli = [
  process.execPath,
  join(REPO_ROOT, 'bin', 'deploy-actions.js'),
  'scan-gate',
  '--report',
  file,
  '--fail-step',
  'false'
];
const jq = [
  'jq',
  '[.Results[].Vulnerabilities[].Severity] | group_by(.) | map({(.[0]): length}) | add',
  file
];

const first = time(cli);
const counts = /^counts=(.*)$/m.exec(first.out)?.[1];
const jqCounts = JSON.parse(time(jq).out) as Record<string, number>;
if (
  !counts ||
  Object.entries(jqCounts).some(([s, n]) => (JSON.parse(counts) as Record<string, number>)[s] !== n)
)
  throw new Error(`scan-gate and jq disagree: ${counts} vs ${JSON.stringify(jqCounts)}`);

const cliMs: number[] = [];
const jqMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  cliMs.push(time(cli).ms);
  jqMs.push(time(jq).ms);
}
const c = median(cliMs);
const j = median(jqMs);
console.log(
  `\nscan-gate on ${FINDINGS} findings (${(statSync(file).size / 1e6).toFixed(1)} MB Trivy JSON, alpine-39's findings repeated under distinct ids), median of ${RUNS} runs, node ${process.version}\n`
);
console.log('| process | median (ms) |');
console.log('| --- | ---: |');
console.log(`| \`deploy-actions scan-gate\` (CLI + action bundle, node starts included) | ${c.toFixed(0)} |`);
console.log(`| \`jq\` counting severities | ${j.toFixed(0)} |`);
console.log(`| ratio | ${(c / j).toFixed(2)}× (goal ≤ 2×) |`);
rmSync(dir, { recursive: true, force: true });

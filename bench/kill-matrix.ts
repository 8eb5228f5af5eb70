/**
 * The kill matrix of issue 17, whole: every kill point of a blue-green deploy and of a rollback (phase
 * boundaries and points inside phases, test/deploy/kill-lab.ts POINTS) × how the run dies:
 *
 *   kill    SIGKILL of the runner's whole process group, no post step (a reclaimed runner VM)
 *   cancel  SIGKILL, then the action's post step (a cancelled job: GitHub runs post steps)
 *   cut     the SSH link drops (the latency proxy closes every connection); the runner lives on
 *
 * Each cell, under 20 requests/s on the public port: the port answers 200 within 2 s, no request fails, the
 * history holds whole lines, current/active.json/release.json agree with what serves, a plain next deploy
 * succeeds with no manual step (and the time from the kill until it did), and a plain rollback succeeds.
 * Field host 1 (non-root, slow login shell) through a private 50 ms-each-way link.
 *
 *   npx tsx bench/kill-matrix.ts [--how kill,cut] [--op deploy] [--only <substring of a point>]
 *   npx tsx bench/kill-matrix.ts --cells 'deploy/start: new slot container up/cut;rollback/…/kill'
 *
 * Rows print as each cell ends (a long run on a loaded machine still leaves its table).
 */
import { cpus } from 'node:os';
import { KillLab, POINTS, type CaseResult, type How } from '../test/deploy/kill-lab.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const hows = (arg('how') ?? 'kill,cancel,cut').split(',') as How[];
const ops = (arg('op') ?? 'deploy,rollback').split(',');
const only = arg('only');
const cells = arg('cells')
  ?.split(';')
  .map((c) => c.split('/'))
  .map(([op, point, how]) => ({ op, point, how: how as How }));

const lab = new KillLab(18720, 'km-bench');
const rows: CaseResult[] = [];
const started = Date.now();
const plan: { point: (typeof POINTS)[number]; how: How }[] = cells
  ? cells.map((c) => ({ point: POINTS.find((p) => p.op === c.op && p.name === c.point)!, how: c.how }))
  : POINTS.filter((p) => ops.includes(p.op) && (!only || p.name.includes(only))).flatMap((point) =>
      hows.map((how) => ({ point, how }))
    );
for (const c of plan) if (!c.point) throw new Error(`unknown cell in --cells`);

const cell = (ok: boolean) => (ok ? '✅' : '❌');
console.log(
  [
    '| operation | kill point | at | how | answered 200 | failed requests | slowest answer | history whole | state agrees | next deploy | lock | unverified switch | rollback | time to next deploy |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'
  ].join('\n')
);
await lab.setup();
try {
  for (const { point, how } of plan) {
    const r = await lab.runCase(point, how);
    rows.push(r);
    console.log(
      `| ${r.op} | ${r.point} | ${point.at} | ${r.how} | ${r.answeredMs >= 0 ? `${cell(true)} ${r.answeredMs} ms` : cell(false)} | ${r.failedRequests}/${r.requests} | ${(r.slowestMs / 1000).toFixed(1)} s | ${cell(r.historyWhole)} | ${r.stateAgrees === true ? cell(true) : `❌ ${r.stateAgrees}`} | ${cell(r.nextDeployOk)} | ${r.tookOver ? 'taken over' : r.cancelledRecorded ? 'released by post' : 'released by the run'} | ${r.resolved || '—'} | ${cell(r.rollbackOk)} | ${(r.recoveredMs / 1000).toFixed(1)} s |`
    );
    if (r.problems.length)
      process.stderr.write(`${r.op} / ${r.point} / ${r.how}: ${r.problems.join('; ')}\n`);
  }
} finally {
  await lab.teardown();
}
const green = rows.filter((r) => r.problems.length === 0).length;
console.log(
  `\n${green} of ${rows.length} cells green; ${Math.round((Date.now() - started) / 1000)} s in all; measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores`
);
for (const r of rows.filter((x) => x.problems.length))
  console.log(`- ${r.op} / ${r.point} / ${r.how}: ${r.problems.join('; ')}`);

/**
 * deploy-compose `strategy: canary` with steps `50,100` and a short step duration, under steady load (20
 * requests/s on fresh connections to the public port, for the whole deploy): wall time, SSH sessions, failed
 * requests and the share of responses the new release gave during the 50% step; then the abort case (a
 * canary whose health endpoint answers `degraded`), and blue-green on the same host for reference.
 *
 * Target: field host 1 (non-root deploy user, ~0.4 s login shell, ~50 ms each way through the latency proxy),
 * as test/deploy/canary.test.ts.
 *
 *   npx tsx bench/canary.ts
 */
import { formatMs } from '../packages/core/src/index.js';
import { deploy, type DeployOutcome, type DeploySpec } from '../packages/deploy/src/index.js';
import {
  BAD_TAG,
  canarySpec,
  prepareCanaryHost,
  recordingLoad,
  shareDuringStep
} from '../test/deploy/canary-support.js';
import { cleanup, deps } from '../test/deploy/support.js';

const STEP_MS = 5000;
const app = 'canary-bench';
const port = 18670;

interface Row {
  run: string;
  ms: number;
  sessions: string;
  failed: string;
  share: string;
  result: string;
}

function spec(dir: string, tag: string, strategy: DeploySpec['strategy']): DeploySpec {
  return canarySpec(app, dir, port, tag, { strategy, stepMs: STEP_MS });
}

async function measure(
  run: string,
  s: DeploySpec,
  from: string,
  to: string
): Promise<{ row: Row; outcome: DeployOutcome }> {
  const l = recordingLoad(port);
  const t = performance.now();
  const outcome = await deploy(s, deps());
  const ms = performance.now() - t;
  const r = await l.stop();
  // The step's window: from the first answer of the new release to the last of the old one (after a full
  // switch), or to its own last answer (after an abort).
  const { share, n } = shareDuringStep(r.seen, to, outcome.ok ? from : to);
  const step = outcome.canary?.[0];
  return {
    outcome,
    row: {
      run,
      ms,
      sessions: String(outcome.hosts[0]?.sessions ?? ''),
      failed: `${r.failed} / ${r.total}`,
      share: s.strategy === 'canary' && n > 0 ? `${share.toFixed(1)}% of ${n}` : '',
      result: outcome.ok
        ? `deployed${step ? ` (step 1: ${step.verdict}, ${step.probes} probes, p95 ${step.p95Ms} ms)` : ''}`
        : `aborted at step ${step?.step ?? '?'} (${step?.verdict ?? 'error'}); ${outcome.rolledBack ? 'all traffic back on the stable release' : 'NOT restored'}`
    }
  };
}

async function main(): Promise<void> {
  const dir = prepareCanaryHost('canary-bench', app);
  const rows: Row[] = [];
  try {
    const first = await deploy(spec(dir, 'v1', 'blue-green'), deps());
    if (!first.ok) throw first.error;
    const bg = await measure('blue-green v1 → v2 (reference)', spec(dir, 'v2', 'blue-green'), 'v1', 'v2');
    rows.push(bg.row);
    const back = await deploy(spec(dir, 'v1', 'blue-green'), deps());
    if (!back.ok) throw back.error;
    rows.push(
      (
        await measure(
          `canary 50,100, step ${formatMs(STEP_MS)}: v1 → v2`,
          spec(dir, 'v2', 'canary'),
          'v1',
          'v2'
        )
      ).row
    );
    rows.push(
      (
        await measure(
          `canary 50,100, step ${formatMs(STEP_MS)}: v2 → degraded (abort)`,
          spec(dir, BAD_TAG, 'canary'),
          'v2',
          'bad'
        )
      ).row
    );
  } finally {
    cleanup(dir, app);
  }
  console.log(
    `\ndeploy-compose canary on field host 1 (non-root, slow shell, 50 ms each way), 20 req/s on the public port\n`
  );
  console.log(
    '| run | wall time | SSH sessions | failed requests | new release share at the 50% step | result |'
  );
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows)
    console.log(
      `| ${r.run} | ${formatMs(Math.round(r.ms))} | ${r.sessions} | ${r.failed} | ${r.share} | ${r.result} |`
    );
}

await main();

/**
 * Swarm: deploy-compose's stack deploy (wait for convergence, judge, roll back) against what a Swarm user
 * runs today, a bare `docker stack deploy` with `update_config.failure_action: rollback`, on the same
 * single-node swarm, the same service (stop-first: on the host network two tasks cannot share a port) and
 * the same steady load (20 requests/s on fresh connections, for the whole operation).
 *
 * For the bare command two times are given: when the command returned (what a CI step sees) and when the
 * service really served the expected version (observed by this script, which the bare step never does).
 *
 *   npx tsx bench/swarm.ts
 */
import { spawnSync } from 'node:child_process';
import { LocalExecutor, silentLogger } from '../packages/core/src/index.js';
import {
  deployStack,
  readStack,
  rollbackStack,
  swarmStackFile,
  type SwarmTarget
} from '../packages/swarm/src/index.js';
import { load } from '../test/deploy/support.js';
import {
  buildSwarmImages,
  initSwarm,
  leaveSwarm,
  registryAuth,
  servesWithin,
  swarmCompose
} from '../test/swarm/support.js';

const PORT = 18890;
const OURS = 'da-bench-ours';
const BARE = 'da-bench-bare';

interface Row {
  method: string;
  operation: string;
  returnedS: string;
  servingS: string;
  failed: string;
  verdict: string;
}

/**
 * Time `fn` under load; then, as an observer the bare step never is, wait until `settled` (default: at once)
 * and the expected version serves.
 */
async function measure(
  expect: string,
  fn: () => Promise<string>,
  settled: () => Promise<void> = async () => {}
): Promise<{ returned: number; serving: number; failed: string; verdict: string }> {
  const during = load(PORT, 20);
  const t = performance.now();
  const verdict = await fn();
  const returned = performance.now() - t;
  await settled();
  const served = await servesWithin(PORT, expect, 120_000);
  const serving = performance.now() - t;
  const r = await during.stop();
  return {
    returned,
    serving: served === expect ? serving : NaN,
    failed: `${r.failed} / ${r.total}`,
    verdict
  };
}

const s = (ms: number) => (Number.isNaN(ms) ? 'never' : (ms / 1000).toFixed(1));

async function ready(version: string): Promise<void> {
  if ((await servesWithin(PORT, version, 90_000)) !== version) throw new Error(`${version} never served`);
}

/** Swarm's own rollback has run to its end (observed through the service's UpdateStatus). */
async function swarmRolledBack(t: SwarmTarget): Promise<void> {
  const end = Date.now() + 180_000;
  while (Date.now() < end) {
    const { services } = await readStack(t);
    if (services.every((x) => x.UpdateStatus?.State === 'rollback_completed')) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('Swarm never completed its rollback');
}

function bareDeploy(stack: string, text: string): string {
  const auth = registryAuth();
  // What a user's step does: log in, deploy, done. The exit code is all the step sees.
  spawnSync('docker', ['login', auth.registry, '-u', auth.username, '--password-stdin'], {
    input: auth.password
  });
  const r = spawnSync('docker', ['stack', 'deploy', '--with-registry-auth', '-c', '-', stack], {
    input: text
  });
  return `exit ${r.status}`;
}

async function main(): Promise<void> {
  const digests = buildSwarmImages();
  initSwarm();
  const rows: Row[] = [];
  try {
    const t: SwarmTarget = { executor: new LocalExecutor(), logger: silentLogger, stack: OURS };
    const file = (v: string, action: 'pause' | 'rollback' = 'pause') =>
      swarmStackFile(swarmCompose(PORT, action), { web: digests[v]! });
    const wait = { timeoutMs: 120_000, pollMs: 500, registryAuth: registryAuth() };

    await deployStack(t, file('v1'), wait);
    await ready('v1');
    let m = await measure('v2', async () => (await deployStack(t, file('v2'), wait)).converge.state);
    rows.push({
      method: 'deploy-compose swarm',
      operation: 'deploy v1→v2',
      returnedS: s(m.returned),
      servingS: s(m.serving),
      failed: m.failed,
      verdict: m.verdict
    });
    m = await measure('v2', async () => {
      const failed = await deployStack(t, file('sick'), wait);
      const back = await rollbackStack(t, failed, { ...wait, previous: file('v2') });
      return `${failed.converge.state}, rolled back (${back.how}): ${back.state}`;
    });
    rows.push({
      method: 'deploy-compose swarm',
      operation: 'broken release → rollback',
      returnedS: s(m.returned),
      servingS: s(m.serving),
      failed: m.failed,
      verdict: m.verdict
    });
    leaveSwarm([OURS]);
    initSwarm();

    const bare = (v: string) => file(v, 'rollback').text;
    bareDeploy(BARE, bare('v1'));
    await ready('v1');
    m = await measure('v2', async () => bareDeploy(BARE, bare('v2')));
    rows.push({
      method: 'bare docker stack deploy',
      operation: 'deploy v1→v2',
      returnedS: s(m.returned),
      servingS: s(m.serving),
      failed: m.failed,
      verdict: m.verdict
    });
    await ready('v2');
    const observer: SwarmTarget = { ...t, stack: BARE };
    m = await measure(
      'v2',
      async () => bareDeploy(BARE, bare('sick')),
      () => swarmRolledBack(observer)
    );
    rows.push({
      method: 'bare docker stack deploy',
      operation: 'broken release (failure_action: rollback)',
      returnedS: s(m.returned),
      servingS: s(m.serving),
      failed: m.failed,
      verdict: m.verdict
    });
  } finally {
    leaveSwarm([OURS, BARE]);
  }

  console.log('\nSwarm, single-node, stop-first on the host network, 20 req/s during each operation\n');
  console.log(
    '| method | operation | step returned (s) | expected version serving (s) | failed requests | what the step reported |'
  );
  console.log('| --- | --- | ---: | ---: | ---: | --- |');
  for (const r of rows)
    console.log(
      `| ${r.method} | ${r.operation} | ${r.returnedS} | ${r.servingS} | ${r.failed} | ${r.verdict} |`
    );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

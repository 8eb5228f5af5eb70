import { runGate } from '../../packages/health/src/index.js';
import { silentLogger } from '../../packages/core/src/index.js';
import { deploy, rollback } from '../../packages/deploy/src/index.js';
import { integration } from '../support/infra.js';
import { hostCli } from '../support/host-cli.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  history,
  rollbackSpec,
  stateDir,
  target,
  version
} from '../deploy/support.js';

/**
 * In a critical environment an automatic rollback is an incident: the notifier sends `incident.opened`, and
 * the hosts now keep it in their history, so the delivery report's change failure rate and time to restore
 * count it. On field host 1 (non-root, slow login shell, far link); the expected figures are worked out here
 * from the recorded lines.
 */
integration('incidents of a critical environment reach the hosts and the report', () => {
  const app = 'metrics-incident';
  const port = 18960;
  let dir: string;
  const t = (l: Record<string, unknown>) => Date.parse(String(l.time));

  beforeAll(() => {
    buildImages();
    dir = stateDir('incident');
    cleanup(dir, app);
  });
  afterAll(() => cleanup(dir, app));

  const report = () => {
    const r = hostCli(target(), [
      'report',
      '--app',
      app,
      '--environment',
      'test',
      '--state-dir',
      dir,
      '--format',
      'json'
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return (JSON.parse(r.stdout) as Record<string, unknown>[])[0]!;
  };

  it("a deploy's automatic rollback records incident.opened against the failed release", async () => {
    const critical = (over = {}) => ({ ...deploySpec(app, dir, port, over), critical: true });
    const v1 = await deploy(critical(), deps());
    expect(v1.error?.describe()).toBeUndefined();
    // v2 serves, then its gate says unhealthy (the gate of v1 after the rollback is the real one).
    let gates = 0;
    const v2 = await deploy(
      critical({ version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }),
      deps({
        runGate: async (g, executor) => {
          const r = await runGate(g, { logger: silentLogger, executor });
          return gates++ === 0 ? { ...r, verdict: 'unhealthy', reason: 'error rate 12% over the budget' } : r;
        }
      })
    );
    expect(v2.rolledBack).toBe(true);
    expect(await version(port)).toBe('v1');
    const lines = history(dir, app);
    const incident = lines.filter((l) => l.event === 'incident.opened');
    expect(incident).toHaveLength(1);
    expect(incident[0]).toMatchObject({
      release: v2.releaseId,
      failedRelease: v2.releaseId,
      severity: 'critical',
      automatic: true,
      serving: `release ${v1.releaseId}`
    });
    expect(String(incident[0]!.reason)).toMatch(/error rate 12%/);
    // Recorded with the rollback, just before it.
    const rolled = lines.findIndex((l) => l.event === 'rollback.executed');
    expect(lines.indexOf(incident[0]!)).toBe(rolled - 1);

    // v2 failed its gate: one failed change of two. Its restore runs from its incident (fourkeys' start)
    // to the rollback's line, as the report reads them.
    const r = report();
    expect(r).toMatchObject({ deployments: 2, failedDeployments: 1 });
    const failedGate = lines.find((l) => l.event === 'deploy.failed' && l.release === v2.releaseId)!;
    expect(failedGate).toBeDefined();
    const switched = lines.find((l) => l.event === 'traffic.switched' && l.release === v2.releaseId)!;
    expect(r.timeToRestoreMedianSeconds).toBe((t(lines[rolled]!) - t(switched)) / 1000);
  }, 300_000);

  it('a rollback run marked critical (the workflows answer a failed soak) records it, and the report times the restore from it', async () => {
    // v3 passes its gate and serves; later a soak fails and the workflow rolls back with critical: true.
    const v3 = await deploy(
      {
        ...deploySpec(app, dir, port, { version: 'v3', images: { web: `${IMAGE_REPO}:v3` } }),
        critical: true
      },
      deps()
    );
    expect(v3.error?.describe()).toBeUndefined();
    const without = report();
    expect(without).toMatchObject({ deployments: 3, failedDeployments: 1 });

    const back = await rollback(
      { ...rollbackSpec(deploySpec(app, dir, port), { reason: 'soak: p95 above 800 ms' }), critical: true },
      deps()
    );
    expect(back.ok).toBe(true);
    expect(await version(port)).toBe('v1');
    const lines = history(dir, app);
    const incidents = lines.filter((l) => l.event === 'incident.opened');
    expect(incidents).toHaveLength(2);
    const incident = incidents[1]!;
    expect(incident).toMatchObject({
      release: v3.releaseId,
      reason: 'soak: p95 above 800 ms',
      automatic: true,
      severity: 'critical'
    });
    const rolled = lines.filter((l) => l.event === 'rollback.executed').at(-1)!;
    expect(rolled.from).toBe(v3.releaseId);

    const r = report();
    // v3 is now a failed change; its restore runs from the incident to the rollback's line.
    expect(r).toMatchObject({ deployments: 3, failedDeployments: 2 });
    const first = lines.find((l) => l.event === 'rollback.executed')!;
    const v2Served = lines.find((l) => l.event === 'traffic.switched' && l.release === first.from)!;
    const restores = [(t(first) - t(v2Served)) / 1000, (t(rolled) - t(incident)) / 1000];
    expect(r.timeToRestoreWorstSeconds).toBe(Math.max(...restores));
    expect((r.changeFailureRate as number) - 2 / 3).toBeCloseTo(0, 6);
  }, 300_000);
});

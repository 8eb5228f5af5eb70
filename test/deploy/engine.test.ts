import { readFileSync, readdirSync, statSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { deploy, rollback } from '../../packages/deploy/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  history,
  rollbackSpec,
  stateDir,
  version
} from './support.js';

integrationOn('deploy and rollback over SSH (blue-green, real nginx)', [0], () => {
  const app = 'deploy-bg';
  const port = 18310;
  let dir: string;
  beforeAll(() => {
    buildImages();
    dir = stateDir('bg');
  });
  afterAll(() => cleanup(dir, app));

  it('deploys, switches traffic, rolls back to the previous release, and records everything', async () => {
    const d1 = await deploy(deploySpec(app, dir, port), deps());
    expect(d1.error?.describe()).toBeUndefined();
    expect(d1.ok).toBe(true);
    expect(await version(port)).toBe('v1');
    expect(d1.digests.web).toMatch(new RegExp(`^${IMAGE_REPO.replace(/\./g, '\\.')}@sha256:[0-9a-f]{64}$`));

    const d2 = await deploy(
      deploySpec(app, dir, port, { version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }),
      deps()
    );
    expect(d2.error?.describe()).toBeUndefined();
    expect(d2.previousReleaseId).toBe(d1.releaseId);
    expect(await version(port)).toBe('v2');

    const root = join(dir, app, 'test');
    expect(readlinkSync(join(root, 'current'))).toBe(`releases/${d2.releaseId}`);
    const rel = JSON.parse(readFileSync(join(root, 'releases', d2.releaseId, 'release.json'), 'utf8'));
    expect(rel).toMatchObject({
      status: 'deployed',
      version: 'v2',
      previous: d1.releaseId,
      actor: 'tester',
      strategy: 'blue-green'
    });
    expect(rel.runUrl).toContain('/o/r/actions/runs/7');
    expect(statSync(join(root, 'releases', d2.releaseId, '.env')).mode & 0o777).toBe(0o600);
    // The old slot was drained and stopped.
    const active = JSON.parse(readFileSync(join(root, 'active.json'), 'utf8'));
    expect(active).toMatchObject({ release: d2.releaseId, slot: 'green', port: port + 2 });

    const dry = await rollback(rollbackSpec(deploySpec(app, dir, port), { dryRun: true }), deps());
    expect(dry.ok).toBe(true);
    expect(dry.plan[0]).toMatchObject({ from: d2.releaseId, to: d1.releaseId });
    expect(dry.plan[0]!.changes.join('\n')).toContain('version: v2 → v1');
    expect(await version(port)).toBe('v2');

    const rb = await rollback(rollbackSpec(deploySpec(app, dir, port), { reason: 'bad v2' }), deps());
    expect(rb.error?.describe()).toBeUndefined();
    expect(rb).toMatchObject({
      ok: true,
      releaseId: d1.releaseId,
      fromReleaseId: d2.releaseId,
      rolledBack: true
    });
    expect(await version(port)).toBe('v1');
    expect(readlinkSync(join(root, 'current'))).toBe(`releases/${d1.releaseId}`);

    const events = history(dir, app).map((e) => e.event);
    expect(events.filter((e) => e === 'deploy.completed')).toHaveLength(2);
    expect(events).toContain('traffic.switched');
    expect(events).toContain('gate.passed');
    expect(events[events.length - 1]).toBe('rollback.executed');
    expect(history(dir, app).every((e) => e.actor === 'tester' && String(e.runUrl).includes('/runs/7'))).toBe(
      true
    );

    // rolling on one host switches like blue-green; keep-releases 1 keeps it, the one it replaced (previous),
    // and drops the rest with the images only they used.
    const d3 = await deploy(
      deploySpec(app, dir, port, {
        strategy: 'rolling',
        version: 'v3',
        images: { web: `${IMAGE_REPO}:v3` },
        keepReleases: 1
      }),
      deps()
    );
    expect(d3.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v3');
    expect(readdirSync(join(root, 'releases')).sort()).toEqual([d1.releaseId, d3.releaseId].sort());
    const pruned = history(dir, app).find((e) => e.event === 'releases.pruned');
    expect(pruned).toMatchObject({ removed: [d2.releaseId], images: [d2.digests.web] });
  }, 240_000);
});

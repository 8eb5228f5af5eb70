import { deploy, rollback } from '../../packages/deploy/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  load,
  rollbackSpec,
  stateDir,
  version
} from './support.js';

/**
 * The bar of the issue, under a steady load (20 requests/s on fresh connections, only while the operation
 * runs, so bounded by its ~15 s): blue-green deploy and rollback drop nothing; recreate drops what a plain
 * `docker compose up -d` drops.
 */
integrationOn('requests under load while deploying', [0], () => {
  const bg = { app: 'deploy-ldb', port: 18350, dir: '' };
  const rc = { app: 'deploy-ldr', port: 18355, dir: '' };
  beforeAll(() => {
    buildImages();
    bg.dir = stateDir('ldb');
    rc.dir = stateDir('ldr');
  });
  afterAll(() => {
    cleanup(bg.dir, bg.app);
    cleanup(rc.dir, rc.app);
  });

  it('blue-green: a deploy and a rollback with zero failed requests', async () => {
    const base = deploySpec(bg.app, bg.dir, bg.port, { drainMs: 1000 });
    const d1 = await deploy(base, deps());
    expect(d1.error?.describe()).toBeUndefined();

    const during = load(bg.port);
    const d2 = await deploy({ ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }, deps());
    const r = await during.stop();
    expect(d2.error?.describe()).toBeUndefined();
    expect(await version(bg.port)).toBe('v2');
    expect(r.total).toBeGreaterThan(50);
    expect(r).toMatchObject({ failed: 0, failures: [] });

    const during2 = load(bg.port);
    const rb = await rollback(rollbackSpec(base), deps());
    const r2 = await during2.stop();
    expect(rb.error?.describe()).toBeUndefined();
    expect(await version(bg.port)).toBe('v1');
    expect(r2.total).toBeGreaterThan(50);
    expect(r2).toMatchObject({ failed: 0, failures: [] });
  }, 400_000);

  it('recreate: the same load sees failed requests while the container is replaced', async () => {
    const base = deploySpec(rc.app, rc.dir, rc.port, { strategy: 'recreate', slotCheckPath: undefined });
    const d1 = await deploy(base, deps());
    expect(d1.error?.describe()).toBeUndefined();
    expect(await version(rc.port)).toBe('v1');

    const during = load(rc.port);
    const d2 = await deploy({ ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }, deps());
    const r = await during.stop();
    expect(d2.error?.describe()).toBeUndefined();
    expect(await version(rc.port)).toBe('v2');
    expect(r.failed).toBeGreaterThan(0);
    expect(r.failures.join(' ')).toMatch(/ECONNREFUSED|socket hang up|ECONNRESET/);
  }, 400_000);
});

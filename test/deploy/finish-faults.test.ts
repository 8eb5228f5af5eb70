import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { silentLogger } from '../../packages/core/src/index.js';
import { runGate } from '../../packages/health/src/index.js';
import { join } from 'node:path';
import { deploy } from '../../packages/deploy/src/index.js';
import { integration } from '../support/infra.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  history,
  load,
  severalHosts,
  stateDir,
  version
} from './support.js';

/**
 * issue 28 item 1: a finish phase that fails after the old slot stopped. A container that wrote files as
 * root into a release directory makes the prune fail for a non-root SSH user. The release passed its gate and
 * its record is committed: the prune warns and the next deploy retries it; traffic never sees a stopped slot.
 */
function rootOwned(releaseDir: string): string {
  // The tests run as root: this is what a container running as root leaves in a bind mount.
  const d = join(releaseDir, 'written-by-a-container', 'deeper');
  mkdirSync(d, { recursive: true, mode: 0o755 });
  writeFileSync(join(d, 'data'), 'root-owned\n');
  return join(releaseDir, 'written-by-a-container');
}

const v = (tag: string) => ({ version: tag, images: { web: `${IMAGE_REPO}:${tag}` } });

integration('finish faults: a failing prune never reverts a gated release', () => {
  beforeAll(() => buildImages());

  test('one non-root host, blue-green, keep-releases 1: a root-owned directory in the pruned release', async () => {
    const app = 'errors-prune';
    const port = 19410;
    const dir = stateDir('errors-prune');
    cleanup(dir, app);
    const root = join(dir, app, 'test');
    try {
      const spec = (tag: string) => deploySpec(app, dir, port, { ...v(tag), keepReleases: 1 });
      const d1 = await deploy(spec('v1'), deps());
      expect(d1.error?.describe()).toBeUndefined();
      const d2 = await deploy(spec('v2'), deps());
      expect(d2.error?.describe()).toBeUndefined();
      // Nothing pruned yet: the serving and the previous release stay.
      expect(readdirSync(join(root, 'releases')).sort()).toEqual([d1.releaseId, d2.releaseId].sort());
      rootOwned(join(root, 'releases', d1.releaseId));

      const traffic = load(port, 20, { giveUpMs: 10_000 });
      await traffic.until('v2');
      const logs = deps();
      const d3 = await deploy(spec('v3'), logs);
      await traffic.until('v3');
      const seen = await traffic.stop();
      expect(d3.error?.describe()).toBeUndefined();
      expect(d3.rolledBack).toBe(false);
      expect(seen.failures).toEqual([]);
      expect(seen.failed).toBe(0);
      expect(await version(port)).toBe('v3');
      // The pruned release is out of the list at once; what it left is named in a warning.
      const names = readdirSync(join(root, 'releases'));
      expect(names.filter((n) => !n.startsWith('.')).sort()).toEqual([d2.releaseId, d3.releaseId].sort());
      expect(
        logs.logger.lines
          .filter((l) => l.level === 'warning')
          .map((l) => l.message)
          .join('\n')
      ).toMatch(/could not remove .*the next deploy retries/);
      const events = history(dir, app).map((e) => e.event);
      expect(events).toContain('deploy.completed');
      expect(events).not.toContain('deploy.failed');
      expect(events).not.toContain('rollback.executed');
      expect(existsSync(join(root, 'lock'))).toBe(false);

      // Set aside, not gone: root cleans up what it wrote, and the next deploy's prune removes the leftover.
      const aside = join(root, 'releases', `.pruned-${d1.releaseId}`);
      expect(existsSync(aside)).toBe(true);
      rmSync(join(aside, 'written-by-a-container'), { recursive: true, force: true });
      const d4 = await deploy(spec('v1'), deps());
      expect(d4.error?.describe()).toBeUndefined();
      expect(readdirSync(join(root, 'releases')).sort()).toEqual([d3.releaseId, d4.releaseId].sort());
    } finally {
      cleanup(dir, app);
    }
  }, 360_000);

  test('the record commit fails after the old slot stopped: the revert starts it, waits, then switches back', async () => {
    const app = 'errors-record';
    const port = 19440;
    const dir = stateDir('errors-record');
    cleanup(dir, app);
    const root = join(dir, app, 'test');
    const owner = () => statSync(root);
    let locked: string | undefined;
    try {
      const d1 = await deploy(deploySpec(app, dir, port, v('v1')), deps());
      expect(d1.error?.describe()).toBeUndefined();
      const traffic = load(port, 20, { giveUpMs: 10_000 });
      await traffic.until('v1');
      // After the gate passed, the new release's directory stops taking files (as a full disk would): the
      // finish stops the old slot, then its record commit fails.
      const d2 = await deploy(
        deploySpec(app, dir, port, v('v2')),
        deps({
          runGate: async (g, executor) => {
            const r = await runGate(g, { logger: silentLogger, executor });
            const cur = readlinkSync(join(root, 'current')).split('/').pop()!;
            locked = join(root, 'releases', cur);
            chownSync(locked, 0, 0);
            chmodSync(locked, 0o755);
            return r;
          }
        })
      );
      const seen = await traffic.stop();
      expect(d2.error?.message).toMatch(/record the release/);
      expect(d2.rolledBack).toBe(true);
      expect(seen.failures).toEqual([]);
      expect(await version(port)).toBe('v1');
      expect(existsSync(join(root, 'lock'))).toBe(false);
    } finally {
      if (locked) chownSync(locked, owner().uid, owner().gid);
      cleanup(dir, app);
    }
  }, 240_000);

  test('two hosts: the prune fails on host 2 of 2, both keep the gated release', async () => {
    const app = 'errors-prune2';
    const ports = [19420, 19430];
    const { hosts, forHost } = severalHosts(ports);
    const dirs = [0, 1].map((i) => stateDir(app, i));
    const roots = dirs.map((d, i) => join(d, app, `test-h${i + 1}`));
    for (const [i, d] of dirs.entries()) cleanup(d, app, `test-h${i + 1}`);
    try {
      const spec = (tag: string) =>
        deploySpec(app, dirs[0]!, ports[0]!, { ...v(tag), keepReleases: 1, hosts });
      const engine = () => deps({ forHost });
      const d1 = await deploy(spec('v1'), engine());
      expect(d1.error?.describe()).toBeUndefined();
      const d2 = await deploy(spec('v2'), engine());
      expect(d2.error?.describe()).toBeUndefined();
      rootOwned(join(roots[1]!, 'releases', d1.releaseId));

      const traffic = ports.map((p) => load(p, 10, { giveUpMs: 10_000 }));
      const d3 = await deploy(spec('v3'), engine());
      await Promise.all(traffic.map((t) => t.until('v3')));
      const seen = await Promise.all(traffic.map((t) => t.stop()));
      expect(d3.error?.describe()).toBeUndefined();
      expect(seen.map((s) => s.failures)).toEqual([[], []]);
      for (const p of ports) expect(await version(p)).toBe('v3');
      for (const r of roots)
        expect(
          readdirSync(join(r, 'releases'))
            .filter((n) => !n.startsWith('.'))
            .sort()
        ).toEqual([d2.releaseId, d3.releaseId].sort());
    } finally {
      for (const [i, d] of dirs.entries()) {
        const leftover = join(roots[i]!, 'releases');
        if (existsSync(leftover))
          for (const n of readdirSync(leftover))
            rmSync(join(leftover, n, 'written-by-a-container'), { recursive: true, force: true });
        cleanup(d, app, `test-h${i + 1}`);
      }
    }
  }, 360_000);
});

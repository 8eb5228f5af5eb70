import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { deploy, rollback, type DeploySpec } from '../../packages/deploy/src/index.js';
import { defaultGateSpec } from '../../packages/health/src/index.js';
import { infra, integration } from '../support/infra.js';
import { buildStandIns, cleanupApp, nearHost, webImage } from './corpus-support.js';
import { deps, rollbackSpec, version } from './support.js';

/**
 * Data an earlier version of deploy-compose kept inside each release directory (a `./data` bind resolved there),
 * on a real host (the near host, Compose v2):
 * - a rollback to a release that was NOT serving when the data was adopted mounts the stable data directory,
 *   not its own old copy (which is kept beside it, never deleted);
 * - a pruned release that kept such a copy is handled once: the copy moves out of releases/, the warning is
 *   given once, and later deploys do not try it again.
 */
const APP = 'compose2-adopted';
const PORT = 17740;
const STATE = '/tmp/compose2-adopted-state';

const COMPOSE = `services:
  web:
    build: .
    ports:
      - "8080:80"
    volumes:
      - ./data:/data
`;

integration('data kept per release by an earlier version, on a host', () => {
  let dir: string;
  beforeAll(() => {
    buildStandIns([80]);
    cleanupApp(STATE, APP);
    dir = mkdtempSync('/tmp/compose2-adopted-checkout-');
    writeFileSync(join(dir, 'compose.yaml'), COMPOSE);
    mkdirSync(join(dir, 'data'));
  }, 120_000);
  afterAll(() => {
    cleanupApp(STATE, APP);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function spec(v: 'v1' | 'v2', over: Partial<DeploySpec> = {}): DeploySpec {
    const reg = infra().registries[0]!;
    return {
      app: APP,
      environment: 'test',
      hosts: ['127.0.0.1'],
      stateDir: STATE,
      publicPort: PORT,
      slotPorts: [PORT + 1, PORT + 2],
      proxyBind: '127.0.0.1',
      portVar: 'PORT',
      lockTimeoutMs: 5000,
      lockStaleMs: 60_000,
      lockPollMs: 200,
      breakLock: false,
      timeoutMs: 150_000,
      drainMs: 200,
      gate: {
        ...defaultGateSpec(),
        urls: [{ url: `http://127.0.0.1:${PORT}/` }],
        intervalMs: 200,
        successThreshold: 2,
        failureThreshold: 3,
        probeTimeoutMs: 3000,
        timeoutMs: 30_000
      },
      slotCheckPath: '/',
      startTimeoutMs: 45_000,
      registry: { registry: reg.host, username: reg.username, password: reg.password },
      version: v,
      strategy: 'blue-green',
      composeText: COMPOSE,
      composeDir: dir,
      envText: '',
      images: { web: webImage(80, v) },
      keepReleases: 5,
      autoRollback: true,
      ...over
    };
  }

  const root = join(STATE, APP, 'test');
  const releases = () =>
    readdirSync(join(root, 'releases'))
      .filter((e) => !e.startsWith('.'))
      .sort();
  /** What the serving web container reads at /data/rows (its mount, as docker made it). */
  const servedRows = () => {
    const ids = execFileSync(
      'docker',
      ['ps', '-q', '--filter', `label=com.docker.compose.service=web`, '--filter', `name=^${APP}-test-`],
      { encoding: 'utf8' }
    )
      .trim()
      .split('\n')
      .filter(Boolean);
    expect(ids).toHaveLength(1);
    return execFileSync('docker', ['exec', ids[0]!, 'cat', '/data/rows'], { encoding: 'utf8' });
  };
  const ok = async (p: Promise<{ error?: { describe(): string } }>) =>
    expect((await p).error?.describe()).toBeUndefined();

  let first = '';
  it('a rollback to a release that was not serving at adoption mounts the stable data directory', async () => {
    // Two releases by an earlier version: ./data exists in the checkout, so each ships its own copy.
    writeFileSync(join(dir, 'data', 'rows'), 'copy of the first release\n');
    const d1 = deps({ connect: nearHost() });
    await ok(deploy(spec('v1'), d1));
    expect(d1.logger.text()).toMatch(/compose: docker compose \S+ \(v2\) on /);
    writeFileSync(join(dir, 'data', 'rows'), 'copy of the second release\n');
    await ok(deploy(spec('v2'), deps({ connect: nearHost() })));
    first = releases()[0]!;
    expect(readFileSync(join(root, 'releases', first!, 'data', 'rows'), 'utf8')).toBe(
      'copy of the first release\n'
    );

    // The adopting deploy: ./data is data now. The serving (second) release's copy becomes data/data.
    const d3 = deps({ connect: nearHost() });
    await ok(deploy(spec('v1', { dataPaths: ['./data'] }), d3));
    expect(d3.logger.text()).toContain(`left data in releases/${first}`);
    expect(readFileSync(join(root, 'data', 'data', 'rows'), 'utf8')).toBe('copy of the second release\n');
    expect(servedRows()).toBe('copy of the second release\n');

    // Back to the first release, whose compose file binds ./data inside its own directory.
    const rb = await rollback(rollbackSpec(spec('v1'), { to: first }), deps({ connect: nearHost() }));
    expect(rb.error?.describe()).toBeUndefined();
    expect(await version(PORT)).toBe('v1');
    expect(servedRows()).toBe('copy of the second release\n');
    // Its old copy is kept (never deleted), beside the link to the stable directory.
    expect(readFileSync(join(root, 'releases', first!, 'data.earlier', 'rows'), 'utf8')).toBe(
      'copy of the first release\n'
    );
  }, 600_000);

  it('a pruned release that kept its old copy is handled once: the copy moves out, one warning', async () => {
    const kept = /is pruned but holds data/;
    const warnings: string[] = [];
    // keep-releases 1: each deploy prunes all but the new release and the one it replaced.
    for (const v of ['v2', 'v1', 'v2'] as const) {
      const d = deps({ connect: nearHost() });
      await ok(deploy(spec(v, { dataPaths: ['./data'], keepReleases: 1 }), d));
      warnings.push(...d.logger.lines.filter((l) => l.level === 'warning').map((l) => l.message));
      expect(servedRows()).toBe('copy of the second release\n');
    }
    expect(warnings.filter((w) => kept.test(w))).toHaveLength(1);
    expect(existsSync(join(root, 'releases', `.pruned-${first}`))).toBe(false);
    expect(releases()).not.toContain(first);
    // The copy is kept outside releases/, where the warning said.
    const moved = join(root, 'earlier-data', first, 'data.earlier', 'rows');
    expect(warnings.find((w) => kept.test(w))).toContain(join(root, 'earlier-data', first));
    expect(readFileSync(moved, 'utf8')).toBe('copy of the first release\n');
  }, 600_000);
});

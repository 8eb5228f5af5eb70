import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { deploy, type DeploySpec } from '../../packages/deploy/src/index.js';
import { defaultGateSpec } from '../../packages/health/src/index.js';
import { infra, integration } from '../support/infra.js';
import { buildStandIns, cleanupApp, nearHost, webImage } from './corpus-support.js';
import { deps, version } from './support.js';

/**
 * The files a compose file references, on a real host (the near host, Compose v2): secrets and configs ship
 * 0644 inside the 0700 release directory, env_file files stay 0600, and none of their contents reaches the log.
 * And data an earlier version kept inside a release directory (here: a `./data` shipped as config by a first
 * deploy, then made data with `data-paths`) is adopted once into the stable data directory.
 */
const APP = 'compose-files-hostfiles';
const PORT = 17700;
const STATE = '/tmp/compose-files-hostfiles-state';
const API_KEY = 'cf-api-key-7f3e9a1c55d0';
const ENV_SECRET = 'cf-env-secret-41b8d2e6';
const CONFIG_TEXT = 'cf-site-config-0c9e71';

const COMPOSE = `services:
  web:
    build: .
    ports:
      - "8080:80"
    container_name: hostfiles-web
    env_file: web.env
    secrets: [api-key]
    configs: [site]
    volumes:
      - ./data:/data
secrets:
  api-key:
    file: ./secrets/api-key.txt
configs:
  site:
    file: ./site.conf
`;

integration('files a compose file references, on a host', () => {
  let dir: string;
  beforeAll(() => {
    buildStandIns([80]);
    cleanupApp(STATE, APP);
    dir = mkdtempSync('/tmp/compose-files-hostfiles-checkout-');
    writeFileSync(join(dir, 'compose.yaml'), COMPOSE);
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', 'api-key.txt'), `${API_KEY}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'site.conf'), `${CONFIG_TEXT}\n`);
    writeFileSync(join(dir, 'web.env'), `TOKEN=${ENV_SECRET}\n`, { mode: 0o600 });
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'rows'), 'written by the first release\n');
  }, 120_000);
  afterAll(() => {
    cleanupApp(STATE, APP);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function spec(v: 'v1' | 'v2', dataPaths: string[] = []): DeploySpec {
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
      dataPaths
    };
  }

  const root = join(STATE, APP, 'test');
  const mode = (p: string) => statSync(p).mode & 0o777;

  it('ships secrets and configs 0644 inside the 0700 release directory, env files 0600, and logs none', async () => {
    const d = deps({ connect: nearHost() });
    const r = await deploy(spec('v1'), d);
    expect(r.error?.describe()).toBeUndefined();
    expect(await version(PORT)).toBe('v1');
    const current = join(root, 'current');
    expect(mode(current)).toBe(0o700);
    expect(mode(join(current, 'secrets', 'api-key.txt'))).toBe(0o644);
    expect(mode(join(current, 'site.conf'))).toBe(0o644);
    expect(mode(join(current, 'web.env'))).toBe(0o600);
    expect(readFileSync(join(current, 'secrets', 'api-key.txt'), 'utf8')).toBe(`${API_KEY}\n`);
    const log = d.logger.text();
    for (const secret of [API_KEY, ENV_SECRET, CONFIG_TEXT]) expect(log).not.toContain(secret);
    // What the summary says: the web service, the dropped port and name, the bind's class.
    expect(log).toContain('web service web: container port 80 (from ports)');
    expect(log).toContain('dropped host port 8080:80 of service web');
    expect(log).toContain('dropped container_name hostfiles-web of service web');
    expect(log).toContain('bind ./data → /data (service web): config, ships with the release');
  }, 300_000);

  it('adopts data kept in the serving release once, into the stable data directory', async () => {
    const first = readdirSync(join(root, 'releases'))[0]!;
    expect(readFileSync(join(root, 'releases', first, 'data', 'rows'), 'utf8')).toBe(
      'written by the first release\n'
    );
    const d = deps({ connect: nearHost() });
    const r = await deploy(spec('v2', ['./data']), d);
    expect(r.error?.describe()).toBeUndefined();
    expect(await version(PORT)).toBe('v2');
    const warnings = d.logger.lines.filter((l) => l.level === 'warning').map((l) => l.message);
    expect(warnings.join('\n')).toContain(`adopted data from releases/${first}`);
    // A slotted service mounting data runs in both slots during a switch: the summary warns.
    expect(warnings.join('\n')).toMatch(
      /service web runs in both slots during a switch and both mount \.\/data/
    );
    expect(readFileSync(join(root, 'data', 'data', 'rows'), 'utf8')).toBe('written by the first release\n');
    // The first release's compose file binds ./data: a link there leads a rollback to the same data.
    expect(readFileSync(join(root, 'releases', first, 'data', 'rows'), 'utf8')).toBe(
      'written by the first release\n'
    );
    expect(lstatSync(join(root, 'releases', first, 'data')).isSymbolicLink()).toBe(true);
    const again = deps({ connect: nearHost() });
    expect((await deploy(spec('v1', ['./data']), again)).error?.describe()).toBeUndefined();
    expect(again.logger.text()).not.toContain('adopted');
    expect(readFileSync(join(root, 'data', 'data', 'rows'), 'utf8')).toBe('written by the first release\n');
  }, 300_000);
});

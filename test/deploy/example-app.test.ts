import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploy, rollback, type DeploySpec } from '../../packages/deploy/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import { infra } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';
import { cleanupApp } from './corpus-support.js';
import { deploySpec, deps, gate, get, rollbackSpec, target } from './support.js';

/**
 * The example app repository (docs/examples/app-repo), deployed as it is written, with its own compose.yml and
 * Dockerfiles, to a field host with Compose v2 (non-root user, far link): a bridge network, `ports:` and
 * `container_name` on the web service, a database accessory with a relative `./data` directory and a secret
 * from a file, and `depends_on` with `condition: service_healthy`. Each start of a release appends one line to
 * the database's file in ./data; the file is read after the deploy, the redeploy and the rollback.
 */
const APP = 'compose2-shop';
const PORT = 17760;
const EXAMPLE = join(REPO_ROOT, 'docs', 'examples', 'app-repo');
const REPO = '127.0.0.1:5055/compose2/shop';
const PASSWORD = readFileSync(join(EXAMPLE, 'db', 'password.txt'), 'utf8').trim();

/** Build the example's database stand-in and two releases of its app (pushed), as the demo does. */
function buildExample(): Record<'1.0.0' | '1.0.1', string> {
  const reg = infra().registries[0]!;
  const cfg = mkdtempSync(join(tmpdir(), 'compose2-shop-docker-'));
  const env = { ...process.env, DOCKER_CONFIG: cfg };
  const run = (args: string[], input?: string) =>
    execFileSync('docker', args, { env, input, stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
  try {
    run(['build', '-q', '--network', 'host', '-t', 'deploy-actions/shop-db:latest', join(EXAMPLE, 'db')]);
    run(['login', reg.host, '--username', reg.username, '--password-stdin'], reg.password);
    for (const v of ['1.0.0', '1.0.1']) {
      run(['build', '-q', '--network', 'host', '--build-arg', `VERSION=${v}`, '-t', `${REPO}:${v}`, EXAMPLE]);
      run(['push', '-q', `${REPO}:${v}`]);
    }
  } finally {
    rmSync(cfg, { recursive: true, force: true });
  }
  return { '1.0.0': `${REPO}:1.0.0`, '1.0.1': `${REPO}:1.0.1` };
}

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** The one running container of `service` in a project of this app (slot or accessories). */
function container(service: string): string {
  const ids = docker(
    'ps',
    '-q',
    '--filter',
    `label=com.docker.compose.service=${service}`,
    '--filter',
    `name=^${APP}-test-`
  )
    .split('\n')
    .filter(Boolean);
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

integrationOn('the example app as users write it, on a field host', [0], () => {
  const dir = target(0).stateDir;
  const root = join(dir, APP, 'test');
  let checkout: string;
  let images: Record<'1.0.0' | '1.0.1', string>;
  beforeAll(() => {
    cleanupApp(dir, APP);
    images = buildExample();
    // The checkout a workflow has: the repository's files, and no ./data (it is in .gitignore).
    checkout = mkdtempSync(join(tmpdir(), 'compose2-shop-checkout-'));
    cpSync(EXAMPLE, checkout, { recursive: true });
    expect(existsSync(join(checkout, 'data'))).toBe(false);
  }, 300_000);
  afterAll(() => {
    cleanupApp(dir, APP);
    if (checkout) rmSync(checkout, { recursive: true, force: true });
  });

  const spec = (v: '1.0.0' | '1.0.1'): DeploySpec =>
    deploySpec(APP, dir, PORT, {
      version: v,
      composeText: readFileSync(join(checkout, 'compose.yml'), 'utf8'),
      composeDir: checkout,
      envText: '',
      images: { app: `${images[v]}` },
      gate: gate(PORT, { timeoutMs: 60_000, probeTimeoutMs: 5000 }),
      slotCheckPath: '/up',
      startTimeoutMs: 90_000,
      timeoutMs: 300_000,
      lockStaleMs: 600_000
    });
  const serving = async () => (JSON.parse((await get(PORT, '/up')).body) as { version: string }).version;
  /** The versions in the database's file, as the host has it in the stable data directory. */
  const onHost = () =>
    readFileSync(join(root, 'data', 'data', 'releases.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[1]);
  /** The same file as the app sees it: through the database, by its service name on the bridge network. */
  const throughDb = () =>
    docker('exec', container('app'), 'wget', '-qO-', 'http://db:5432/cgi-bin/rows')
      .split('\n')
      .map((l) => l.split(' ')[1]);

  let db = '';
  it('deploys: the web service behind the proxy, the database an accessory, ./data in the stable directory', async () => {
    const d = deps();
    const r = await deploy(spec('1.0.0'), d);
    expect(r.error?.describe()).toBeUndefined();
    expect(await serving()).toBe('1.0.0');
    const log = d.logger.text();
    expect(log).toMatch(/compose: docker compose \S+ \(v2\) on /);
    expect(log).toContain('web service app: container port 8080 (from ports)');
    expect(log).toContain('dropped host port 8080:8080 of service app');
    expect(log).toContain('dropped container_name shop of service app');
    expect(log).toContain(
      'bind ./data → /var/lib/shop-db (service db): data, kept in data/data for every release'
    );
    expect(log).toMatch(/network backend: pinned to \S+/);
    expect(log).toContain('slots wait for accessory db to be healthy before they start');
    // The secret: shipped 0644 in the 0700 release directory, never logged.
    expect(statSync(join(root, 'current')).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'current', 'db', 'password.txt')).mode & 0o777).toBe(0o644);
    expect(log).not.toContain(PASSWORD);
    // The slot publishes on 127.0.0.1 only; the user's host port 8080 is not published.
    const ports = docker('port', container('app'));
    expect(ports).toMatch(/^8080\/tcp -> 127\.0\.0\.1:1776[12]$/);
    db = container('db');
    expect(onHost()).toEqual(['1.0.0']);
    expect(throughDb()).toEqual(['1.0.0']);
  }, 400_000);

  it('redeploys: the database keeps running, the same ./data gets the new release', async () => {
    const r = await deploy(spec('1.0.1'), deps());
    expect(r.error?.describe()).toBeUndefined();
    expect(await serving()).toBe('1.0.1');
    expect(container('db')).toBe(db);
    expect(onHost()).toEqual(['1.0.0', '1.0.1']);
    expect(throughDb()).toEqual(['1.0.0', '1.0.1']);
  }, 400_000);

  it('rolls back: the earlier release starts again on the same ./data', async () => {
    const rb = await rollback(rollbackSpec(spec('1.0.1')), deps());
    expect(rb.error?.describe()).toBeUndefined();
    expect(await serving()).toBe('1.0.0');
    expect(container('db')).toBe(db);
    // Everything written before is still there, and the release that serves again said so once more.
    expect(onHost()).toEqual(['1.0.0', '1.0.1', '1.0.0']);
    expect(throughDb()).toEqual(['1.0.0', '1.0.1', '1.0.0']);
  }, 400_000);
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, InputReader } from '../../packages/core/src/index.js';
import { deploy, readDeployInputs, rollback, type DeploySpec } from '../../packages/deploy/src/index.js';
import { defaultGateSpec } from '../../packages/health/src/index.js';
import { infra, integration } from '../support/infra.js';
import { buildStandIns, checkout, cleanupApp, corpusDir, nearHost, webImage } from './corpus-support.js';
import { deps, load, rollbackSpec, version } from './support.js';

/**
 * docker/awesome-compose apps as their authors wrote them (../shared/compose-corpus), deployed blue-green on
 * the near host (root, Compose v2) with stand-in images: deploy, deploy again under load, roll back under load,
 * 0 failed requests. Each row: the release services and their stand-in's port, the source folders a checkout
 * has, and the one input an app needs beyond `images` (nginx-flask-mysql has two services with ports).
 */
interface CorpusApp {
  app: string;
  images: Record<string, number>;
  sources?: string[];
  webService?: string;
  env?: string;
}

const APPS: CorpusApp[] = [
  { app: 'apache-php', images: { web: 80 }, sources: ['app'] },
  { app: 'django', images: { web: 8000 }, sources: ['app'] },
  { app: 'fastapi', images: { api: 8000 }, sources: ['app'] },
  { app: 'flask-redis', images: { web: 8000 }, sources: ['app'] },
  { app: 'gitea-postgres', images: { gitea: 3000 } },
  { app: 'nextcloud-postgres', images: { nc: 80 } },
  {
    app: 'nginx-flask-mysql',
    images: { backend: 8000, proxy: 80 },
    sources: ['backend', 'proxy'],
    webService: 'proxy'
  },
  { app: 'nginx-golang', images: { proxy: 80, backend: 8000 }, sources: ['backend'] },
  { app: 'nginx-golang-postgres', images: { backend: 8000, proxy: 80 }, sources: ['backend'] },
  {
    app: 'postgresql-pgadmin',
    images: { pgadmin: 80 },
    env: 'POSTGRES_USER=u\nPOSTGRES_PW=p4ss-word\nPOSTGRES_DB=d\nPGADMIN_MAIL=a@b.c\nPGADMIN_PW=p4ss-word\n'
  },
  { app: 'prometheus-grafana', images: { grafana: 3000 } },
  {
    app: 'react-express-mongodb',
    images: { frontend: 3000, backend: 3000 },
    sources: ['frontend', 'backend']
  },
  { app: 'spring-postgres', images: { backend: 8080 }, sources: ['backend'] },
  { app: 'traefik-golang', images: { frontend: 80, backend: 80 }, sources: ['backend'] },
  { app: 'wordpress-mysql', images: { wordpress: 80 } }
];

const PORT_BASE = 17400;
const name = (a: CorpusApp) => `cf-${a.app}`;

integration('compose files as users write them: the awesome-compose corpus, blue-green on Compose v2', () => {
  let work: string;
  const stateDir = '/tmp/cf-corpus-state';
  beforeAll(() => {
    corpusDir();
    buildStandIns([80, 3000, 8000, 8080]);
    work = mkdtempSync('/tmp/cf-corpus-checkouts-');
    for (const a of APPS) cleanupApp(stateDir, name(a));
  }, 120_000);
  afterAll(() => {
    for (const a of APPS) cleanupApp(stateDir, name(a));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function spec(a: CorpusApp, i: number, v: 'v1' | 'v2', dir: string): DeploySpec {
    const reg = infra().registries[0]!;
    const publicPort = PORT_BASE + 10 * i;
    return {
      app: name(a),
      environment: 'test',
      hosts: ['127.0.0.1'],
      stateDir,
      publicPort,
      slotPorts: [publicPort + 1, publicPort + 2],
      proxyBind: '127.0.0.1',
      portVar: 'PORT',
      lockTimeoutMs: 5000,
      lockStaleMs: 60_000,
      lockPollMs: 200,
      breakLock: false,
      timeoutMs: 150_000,
      drainMs: 500,
      gate: {
        ...defaultGateSpec(),
        urls: [{ url: `http://127.0.0.1:${publicPort}/` }],
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
      composeText: readFileSync(join(dir, 'compose.yaml'), 'utf8'),
      composeDir: dir,
      envText: a.env ?? '',
      images: Object.fromEntries(Object.entries(a.images).map(([s, p]) => [s, webImage(p, v)])),
      keepReleases: 5,
      autoRollback: true,
      ...(a.webService ? { webService: a.webService } : {})
    };
  }

  /** deploy v1, then v2 and a rollback under load: what each step said, and the failed requests. */
  async function cycle(a: CorpusApp, i: number): Promise<string> {
    const dir = checkout(a.app, a.sources ?? [], work);
    const port = PORT_BASE + 10 * i;
    const connect = nearHost();
    const d1 = await deploy(spec(a, i, 'v1', dir), deps({ connect }));
    if (!d1.ok) return `deploy v1: ${d1.error?.describe()}`;
    if ((await version(port)) !== 'v1') return `after deploy v1 serves ${await version(port)}`;
    const traffic = load(port, 5, { giveUpMs: 10_000 });
    const d2 = await deploy(spec(a, i, 'v2', dir), deps({ connect }));
    if (!d2.ok) return `deploy v2: ${d2.error?.describe()}`;
    await traffic.until('v2', 30_000).catch(() => undefined);
    const rb = await rollback(rollbackSpec(spec(a, i, 'v2', dir)), deps({ connect }));
    if (!rb.ok) return `rollback: ${rb.error?.describe()}`;
    const served = await version(port);
    const t = await traffic.stop();
    if (served !== 'v1') return `after the rollback serves ${served}`;
    if (!t.seen.some((x) => x.body === 'v2')) return 'v2 never served under load';
    if (t.failed) return `${t.failed} of ${t.total} requests failed: ${t.failures.join('; ')}`;
    return 'ok';
  }

  it('deploys, redeploys and rolls back at least 13 of the 15 apps with 0 failed requests', async () => {
    const results: Record<string, string> = {};
    // Five at a time: the machine is shared, and each app runs two slots, its accessories and a proxy.
    for (let b = 0; b < APPS.length; b += 5)
      await Promise.all(
        APPS.slice(b, b + 5).map(async (a, k) => {
          results[a.app] = await cycle(a, b + k).catch((e: Error) => `threw ${e.message}`);
        })
      );
    const failed = Object.entries(results).filter(([, r]) => r !== 'ok');
    // The table docs/actions/deploy-compose.md shows: every app and what its cycle ended with.
    console.log(APPS.map((a) => `${a.app}: ${results[a.app]}`).join('\n\n'));
    expect(APPS.length - failed.length).toBeGreaterThanOrEqual(13);
  }, 900_000);

  it('ships secrets 0644 inside the 0700 release directory, and keeps the user file beside the rewrite', () => {
    const root = join(stateDir, 'cf-nginx-golang-postgres', 'test');
    const current = join(root, 'current');
    expect(statSync(current).mode & 0o777).toBe(0o700);
    expect(statSync(join(current, 'db', 'password.txt')).mode & 0o777).toBe(0o644);
    expect(statSync(join(current, 'proxy', 'nginx.conf')).mode & 0o777).toBe(0o644);
    expect(statSync(join(current, '.env')).mode & 0o777).toBe(0o600);
    const rewritten = readFileSync(join(current, 'compose.yml'), 'utf8');
    expect(rewritten).toContain('127.0.0.1:${PORT:-0}:80');
    expect(rewritten).not.toMatch(/- 80:80/);
    expect(readFileSync(join(current, 'compose.user.yml'), 'utf8')).toBe(
      readFileSync(join(corpusDir(), 'nginx-golang-postgres', 'compose.yaml'), 'utf8')
    );
  });

  it('waits for a healthy accessory: nginx-flask-mysql db (its healthcheck reads the shipped secret)', () => {
    const health = execFileSync(
      'docker',
      [
        'ps',
        '--filter',
        'label=com.docker.compose.project=cf-nginx-flask-mysql-test-accessories',
        '--format',
        '{{.Status}}'
      ],
      { encoding: 'utf8' }
    );
    expect(health).toContain('(healthy)');
    const record = JSON.parse(
      readFileSync(join(stateDir, 'cf-nginx-flask-mysql', 'test', 'current', 'release.json'), 'utf8')
    ) as { awaitHealthy?: string[] };
    expect(record.awaitHealthy).toEqual(['db']);
  });

  it('refuses, before any host is touched, two services with ports and no web-service', () => {
    const a = APPS.find((x) => x.app === 'nginx-flask-mysql')!;
    const dir = join(corpusDir(), a.app);
    const inputs = {
      'ssh-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----',
      'known-hosts': 'x',
      host: '127.0.0.1',
      app: 'cf-refused',
      strategy: 'blue-green',
      'public-port': '17600',
      'compose-file': join(dir, 'compose.yaml'),
      images: 'backend=r/b:1\nproxy=r/p:1'
    };
    const read = () =>
      readDeployInputs(
        new InputReader((n) => inputs[n as keyof typeof inputs] ?? ''),
        { workspace: dir },
        { sha: '' }
      );
    expect(read).toThrow(InputError);
    expect(read).toThrow(/web-service.*backend, proxy/);
  });
});

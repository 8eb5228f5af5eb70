import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor } from '../../packages/core/src/index.js';
import { deploy, rollback, type DeploySpec, type TargetSpec } from '../../packages/deploy/src/index.js';
import type { SshExecutor } from '../../packages/ssh/src/index.js';
import { cutLink, sshSessions } from '../support/infra.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  gate,
  rollbackSpec,
  severalHosts,
  sshConnector,
  target,
  version
} from './support.js';

/** Connect to field host `i`, keeping every executor so the test can read its session count. */
function counting(i: number): { connect: (h: string) => Promise<Executor>; opened: SshExecutor[] } {
  const base = sshConnector({}, i);
  const opened: SshExecutor[] = [];
  return {
    opened,
    connect: async (h) => {
      const e = (await base(h)) as SshExecutor;
      opened.push(e);
      return e;
    }
  };
}

/** Run `op` against field host `i`; count the sessions its sshd started and those the executor counted. */
async function sessions<T>(i: number, op: (connect: (h: string) => Promise<Executor>) => Promise<T>) {
  const c = counting(i);
  const before = sshSessions(target(i));
  const result = await op(c.connect);
  return {
    result,
    sshd: sshSessions(target(i)) - before,
    counted: c.opened.reduce((n, e) => n + e.sessions, 0)
  };
}

const WITH_VOLUME = `services:
  web:
    image: ${IMAGE_REPO}:v1
    network_mode: host
    stop_grace_period: 2s
    environment:
      PORT: \${PORT:-8080}
    volumes:
      - data:/data
volumes:
  data: {}
`;

function container(project: string): string {
  return execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`], {
    encoding: 'utf8'
  })
    .trim()
    .split('\n')[0]!;
}

/** What the release serving now sees in its named volume. */
function volumeFile(project: string): string {
  return execFileSync(
    'docker',
    ['exec', container(project), 'sh', '-c', 'cat /data/kept 2>/dev/null || echo missing'],
    { encoding: 'utf8' }
  ).trim();
}

function writeVolume(project: string, text: string): void {
  execFileSync('docker', ['exec', container(project), 'sh', '-c', `echo ${text} >> /data/kept`]);
}

function serving(app: string): string {
  const active = JSON.parse(readFileSync(join(target(2).stateDir, app, 'test', 'active.json'), 'utf8'));
  return active.project as string;
}

type Entry = { event: string; release?: string };
function historyOf(i: number, app: string, env: string): Entry[] {
  return readFileSync(join(target(i).stateDir, app, env, 'history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Entry);
}

integrationOn('the field: a non-root user with a slow shell behind a far link', [0, 1, 2], () => {
  const spec = (app: string, port: number, over: Partial<DeploySpec> = {}) =>
    deploySpec(app, target(2).stateDir, port, { lockStaleMs: 600_000, ...over });
  /** Before and after: a run killed part way (a cancelled CI job) leaves its apps and named volumes behind. */
  const clean = () => {
    for (const a of ['deploy-fbg', 'deploy-frc', 'deploy-fcut', 'deploy-f502'])
      cleanup(target(2).stateDir, a);
    for (let i = 0; i < 3; i++) cleanup(target(i).stateDir, 'deploy-fm', `test-h${i + 1}`);
    execFileSync('sh', ['-c', 'docker volume ls -q | grep "^deploy-f" | xargs -r docker volume rm -f'], {
      stdio: 'ignore'
    });
  };
  beforeAll(() => {
    buildImages();
    clean();
  });
  afterAll(clean);

  it('blue-green ≤ 6 sessions, rollback ≤ 4, and a named volume keeps its data across releases', async () => {
    const app = 'deploy-fbg';
    const port = 18410;
    const base = spec(app, port, { composeText: WITH_VOLUME });
    const first = await deploy(base, deps({ connect: counting(2).connect }));
    expect(first.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
    writeVolume(serving(app), 'written-under-v1');

    const second = await sessions(2, (connect) =>
      deploy({ ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }, deps({ connect }))
    );
    expect(second.result.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');
    expect(second.counted).toBeLessThanOrEqual(6);
    expect(second.sshd).toBeLessThanOrEqual(6);
    expect(second.result.hosts[0]!.sessions).toBe(second.counted);
    // The other slot, the same data.
    expect(volumeFile(serving(app))).toBe('written-under-v1');
    writeVolume(serving(app), 'written-under-v2');

    const rolling = await deploy(
      { ...base, strategy: 'rolling', version: 'v3', images: { web: `${IMAGE_REPO}:v3` } },
      deps({ connect: counting(2).connect })
    );
    expect(rolling.error?.describe()).toBeUndefined();
    expect(volumeFile(serving(app))).toBe('written-under-v1\nwritten-under-v2');
    writeVolume(serving(app), 'written-under-v3');

    const rb = await sessions(2, (connect) => rollback(rollbackSpec(base), deps({ connect })));
    expect(rb.result.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');
    expect(rb.counted).toBeLessThanOrEqual(4);
    expect(rb.sshd).toBeLessThanOrEqual(4);
    expect(volumeFile(serving(app))).toBe('written-under-v1\nwritten-under-v2\nwritten-under-v3');
  }, 300_000);

  it('recreate ≤ 5 sessions, and its volume survives the replacement', async () => {
    const app = 'deploy-frc';
    const port = 18420;
    const base = spec(app, port, {
      composeText: WITH_VOLUME,
      strategy: 'recreate',
      slotCheckPath: undefined
    });
    const first = await deploy(base, deps({ connect: counting(2).connect }));
    expect(first.error?.describe()).toBeUndefined();
    writeVolume(serving(app), 'kept-by-recreate');
    const second = await sessions(2, (connect) =>
      deploy({ ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }, deps({ connect }))
    );
    expect(second.result.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');
    expect(second.counted).toBeLessThanOrEqual(5);
    expect(second.sshd).toBeLessThanOrEqual(5);
    expect(volumeFile(serving(app))).toBe('kept-by-recreate');
  }, 300_000);

  it('a link cut mid-phase leaves the previous release serving and the lock released', async () => {
    const app = 'deploy-fcut';
    const port = 18520;
    const base = spec(app, port);
    const first = await deploy(base, deps({ connect: counting(2).connect }));
    expect(first.error?.describe()).toBeUndefined();
    const c = counting(2);
    let cut = false;
    const connect = async (h: string): Promise<Executor> => {
      const e = await c.connect(h);
      return {
        target: e.target,
        close: () => e.close(),
        run: (command) => {
          // The start phase (compose up of the idle slot): the latency proxy drops every connection mid-way.
          if (!cut && String(command.stdin ?? '').includes(`-p ${app}-test-green`)) {
            cut = true;
            setTimeout(() => cutLink(target(2)), 1500);
          }
          return e.run(command);
        }
      };
    };
    const d = await deploy(
      { ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } },
      deps({ connect })
    );
    expect(cut).toBe(true);
    expect(d.ok).toBe(false);
    expect(d.error!.message).toMatch(/phase 'start'|Phase 'start'/);
    expect(await version(port)).toBe('v1');
    expect(existsSync(join(target(2).stateDir, app, 'test', 'lock'))).toBe(false);
    const after = await deploy(
      { ...base, version: 'v3', images: { web: `${IMAGE_REPO}:v3` } },
      deps({ connect: counting(2).connect })
    );
    expect(after.error?.describe()).toBeUndefined();
    cleanup(target(2).stateDir, app);
  }, 300_000);

  it('a first deploy that fails after its switch leaves nothing answering on the public port', async () => {
    const app = 'deploy-f502';
    const port = 18525;
    const d = await deploy(
      spec(app, port, {
        gate: gate(port, { urls: [{ url: `http://127.0.0.1:${port}/nope` }], timeoutMs: 3000 })
      }),
      deps({ connect: counting(2).connect })
    );
    expect(d.ok).toBe(false);
    expect(await version(port)).toMatch(/^error .*ECONNREFUSED/);
    expect(existsSync(join(target(2).stateDir, app, 'test', 'current'))).toBe(false);
    cleanup(target(2).stateDir, app);
  }, 300_000);

  it('three hosts: blue-green switches all; rolling stops at host 2, returns host 1, leaves host 3', async () => {
    const app = 'deploy-fm';
    const port = 18430;
    // One dockerd serves the three hosts: each gets its own state dir, ports and projects (environment slug).
    const ports = [port, port + 10, port + 20];
    const { hosts, forHost } = severalHosts(ports);
    const d = deploySpec(app, target(0).stateDir, port, { hosts, lockStaleMs: 600_000 });
    const connect = sshConnector();
    const d1 = await deploy(d, deps({ connect, forHost }));
    expect(d1.error?.describe()).toBeUndefined();
    for (const p of ports) expect(await version(p)).toBe('v1');
    expect(d1.hosts.map((h) => h.outcome)).toEqual(hosts.map(() => `serving ${d1.releaseId}`));

    const d2 = await deploy(
      { ...d, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } },
      deps({ connect, forHost })
    );
    expect(d2.error?.describe()).toBeUndefined();
    for (const p of ports) expect(await version(p)).toBe('v2');

    // Rolling v3: host 2's gate asks for a page no release has, so host 2 fails after host 1 passed.
    const failing = <S extends TargetSpec>(host: string, s: S): S => {
      const own = forHost(host, s);
      if (host !== hosts[1]) return own;
      const p = own.publicPort!;
      return { ...own, gate: gate(p, { urls: [{ url: `http://127.0.0.1:${p}/nope` }], timeoutMs: 3000 }) };
    };
    const d3 = await deploy(
      { ...d, strategy: 'rolling', version: 'v3', images: { web: `${IMAGE_REPO}:v3` } },
      deps({ connect, forHost: failing })
    );
    expect(d3.ok).toBe(false);
    expect(d3.error!.message).toContain(`on ${hosts[1]}`);
    for (const p of ports) expect(await version(p)).toBe('v2');
    const story = (i: number) =>
      historyOf(i, app, `test-h${i + 1}`)
        .filter((e) => e.release === d3.releaseId)
        .map((e) => e.event);
    expect(story(0)).toEqual(
      expect.arrayContaining(['traffic.switched', 'gate.passed', 'rollback.executed', 'deploy.failed'])
    );
    expect(story(1)).toEqual(expect.arrayContaining(['traffic.switched', 'gate.failed', 'deploy.failed']));
    expect(story(2)).not.toContain('release.started');
    expect(story(2).at(-1)).toBe('deploy.failed');
    // Every host tells the same story of what served.
    const served = (i: number) =>
      historyOf(i, app, `test-h${i + 1}`)
        .filter((e) => e.event === 'deploy.completed')
        .map((e) => e.release);
    expect(served(0)).toEqual([d1.releaseId, d2.releaseId]);
    expect(served(1)).toEqual(served(0));
    expect(served(2)).toEqual(served(0));
  }, 400_000);
});

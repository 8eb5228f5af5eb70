import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureLogger, runContextFromEnv, type Executor } from '../../packages/core/src/index.js';
import { defaultGateSpec, type GateSpec } from '../../packages/health/src/index.js';
import { SshExecutor } from '../../packages/ssh/src/index.js';
import type { DeploySpec, EngineDeps, RollbackSpec, TargetSpec } from '../../packages/deploy/src/index.js';
import { fieldHost, infra, type FieldHost } from '../support/infra.js';
import { connectInfraHost } from '../support/connect.js';
import { get } from '../support/http.js';

/**
 * Deploy targets are the field hosts: a non-root user in the docker group (no /usr/sbin on PATH), a login
 * shell that costs ~0.4 s, reached through a ~50 ms-each-way latency proxy. Suites use host 1 unless they
 * need a host of their own (session counts, several hosts).
 */
export function target(i = 0): FieldHost {
  return fieldHost(i);
}

/** The test app: busybox httpd on 127.0.0.1:$PORT, its version at /, `ok` at /up (not in the `sick` build). */
export const IMAGE_REPO = '127.0.0.1:5055/deploy/deploytest';
const DOCKERFILE = `FROM deploy-actions/busybox:latest
ARG VERSION=v1
ARG HEALTH=ok
ARG CRASH=no
RUN mkdir -p /www && echo "$VERSION" > /www/index.html && if [ "$HEALTH" = ok ]; then echo ok > /www/up; fi && echo "$CRASH" > /crash
CMD ["sh", "-c", "if [ \\"$(cat /crash)\\" = yes ]; then echo 'fatal: config missing' >&2; exit 3; fi; exec httpd -f -p 127.0.0.1:\${PORT:-8080} -h /www"]
`;

export type Variant = 'v1' | 'v2' | 'v3' | 'sick' | 'crash';

let built = false;
/**
 * Build and push the app images once per test process (cheap: a few layers on busybox). With buildx installed
 * (as on GitHub's runners) `docker build` is BuildKit, and this dockerd has no default bridge: `RUN` steps need
 * the host network.
 */
export function buildImages(): void {
  if (built) return;
  const { registries } = infra();
  const reg = registries[0]!;
  const dir = mkdtempSync('/tmp/deploy-actions-test-deploy-img-');
  // A private docker config: other suites log in and out of the same registry in parallel.
  const env = { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') };
  execFileSync('docker', ['login', reg.host, '--username', reg.username, '--password-stdin'], {
    input: reg.password,
    stdio: ['pipe', 'ignore', 'pipe'],
    env
  });
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  const args: Record<Variant, string[]> = {
    v1: ['VERSION=v1'],
    v2: ['VERSION=v2'],
    v3: ['VERSION=v3'],
    sick: ['VERSION=sick', 'HEALTH=no'],
    crash: ['VERSION=crash', 'CRASH=yes']
  };
  for (const [tag, a] of Object.entries(args)) {
    execFileSync(
      'docker',
      [
        'build',
        '-q',
        '--network',
        'host',
        ...a.flatMap((x) => ['--build-arg', x]),
        '-t',
        `${IMAGE_REPO}:${tag}`,
        dir
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env }
    );
    execFileSync('docker', ['push', '-q', `${IMAGE_REPO}:${tag}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env
    });
  }
  rmSync(dir, { recursive: true, force: true });
  built = true;
}

export const COMPOSE = `services:
  web:
    image: ${IMAGE_REPO}:v1
    network_mode: host
    stop_grace_period: 2s
    env_file: .env
    environment:
      PORT: \${PORT:-8080}
`;

/** Connect to field host `i` for any host line (`127.0.0.1`), or to the field host whose port the line names. */
export function sshConnector(
  extra: Partial<Parameters<typeof SshExecutor.connect>[0]> = {},
  i = 0
): (host: string) => Promise<Executor> {
  return (line) => {
    const port = Number(/:(\d+)$/.exec(line)?.[1] ?? 0);
    const h = infra().hosts.find((x) => x.port === port) ?? target(i);
    return connectInfraHost(h, extra);
  };
}

/** The state dir of field host `i` (under its user's home); apps keep to their own subdirectory. */
export function stateDir(_name: string, i = 0): string {
  return target(i).stateDir;
}

/** Run a small TCP listener on `port` as the host's deploy user (so `ss -p` shows it to that user). */
export function squatAs(h: FieldHost, port: number): { stop(): void; ready: Promise<void> } {
  const child = spawn(
    'runuser',
    [
      '-u',
      h.user,
      '--',
      process.execPath,
      '-e',
      `require('http').createServer((q,r)=>r.end('squatter')).listen(${port},'127.0.0.1',()=>console.log('up'))`
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  );
  const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return {
    ready,
    stop: () => {
      child.kill('SIGTERM');
      child.stdout.destroy();
      child.unref();
    }
  };
}

export function gate(publicPort: number, over: Partial<GateSpec> = {}): GateSpec {
  return {
    ...defaultGateSpec(),
    urls: [{ url: `http://127.0.0.1:${publicPort}/up` }],
    intervalMs: 200,
    successThreshold: 2,
    failureThreshold: 3,
    probeTimeoutMs: 2000,
    timeoutMs: 15_000,
    ...over
  };
}

export function deploySpec(
  app: string,
  dir: string,
  publicPort: number,
  over: Partial<DeploySpec> = {}
): DeploySpec {
  const { registries } = infra();
  const reg = registries[0]!;
  return {
    app,
    environment: 'test',
    hosts: ['127.0.0.1'],
    stateDir: dir,
    publicPort,
    slotPorts: [publicPort + 1, publicPort + 2],
    proxyBind: '127.0.0.1',
    portVar: 'PORT',
    lockTimeoutMs: 5000,
    lockStaleMs: 60_000,
    lockPollMs: 200,
    breakLock: false,
    timeoutMs: 120_000,
    drainMs: 1000,
    gate: gate(publicPort),
    slotCheckPath: '/up',
    startTimeoutMs: 10_000,
    registry: { registry: reg.host, username: reg.username, password: reg.password },
    version: 'v1',
    strategy: 'blue-green',
    composeText: COMPOSE,
    envText: 'GREETING=hello\nAPI_TOKEN=tok-5ecr3t-value\n',
    images: { web: `${IMAGE_REPO}:v1` },
    keepReleases: 5,
    autoRollback: true,
    ...over
  };
}

export function rollbackSpec(base: DeploySpec, over: Partial<RollbackSpec> = {}): RollbackSpec {
  const {
    version: _v,
    strategy: _s,
    composeText: _c,
    envText: _e,
    images: _i,
    keepReleases: _k,
    autoRollback: _a,
    ...target
  } = base;
  return { ...target, dryRun: false, reason: 'test', ...over };
}

/**
 * Several field hosts on one dockerd: host i (field host i) gets its own state dir, environment slug
 * (`test-h<i+1>`), public port `ports[i]`, slot ports and gate URL, through the engine's `forHost` hook.
 */
export function severalHosts(ports: readonly number[]): {
  hosts: string[];
  forHost: <S extends TargetSpec>(host: string, s: S) => S;
} {
  const hosts = ports.map((_, i) => `127.0.0.1:${target(i).port}`);
  const forHost = <S extends TargetSpec>(host: string, s: S): S => {
    const i = hosts.indexOf(host);
    const p = ports[i]!;
    return {
      ...s,
      stateDir: target(i).stateDir,
      environmentSlug: `test-h${i + 1}`,
      publicPort: p,
      slotPorts: [p + 1, p + 2],
      ...(s.gate ? { gate: { ...s.gate, urls: [{ url: `http://127.0.0.1:${p}/up` }] } } : {})
    };
  };
  return { hosts, forHost };
}

/** What the deploy-compose and rollback bundles take, as `runBundle` passes inputs. */
export type BundleInputs = Record<string, string | number>;

/**
 * The deploy-compose and rollback bundles' inputs for an app on a field host, as a workflow would pass them:
 * the connection (the host's pinned keys), the app, its public port and a quick gate on `/`. `bundleDeploy`
 * adds what a deploy needs; `over` sets or replaces any input.
 */
export function bundleTarget(
  o: { app: string; port: number; dir: string; host?: FieldHost; via?: number },
  over: BundleInputs = {}
): BundleInputs {
  const h = o.host ?? target();
  // Through a private link (its own port): the host's own keys, under that port.
  const known = readFileSync(h.knownHostsPath, 'utf8');
  return {
    host: `${h.host}:${o.via ?? h.port}`,
    user: h.user,
    'ssh-key': readFileSync(h.keyPath, 'utf8'),
    'known-hosts':
      o.via === undefined
        ? known
        : known
            .split('\n')
            .filter((l) => l.includes(`]:${h.directPort} `))
            .map((l) => l.replace(`]:${h.directPort} `, `]:${o.via} `))
            .join('\n'),
    app: o.app,
    environment: 'test',
    'state-dir': o.dir,
    'public-port': o.port,
    'proxy-bind': '127.0.0.1',
    'health-url': `http://127.0.0.1:${o.port}/`,
    'health-interval': '200ms',
    'health-timeout': '15s',
    ...over
  };
}

/** `bundleTarget` plus a deploy of the test image's `tag` from the lab's first registry (blue-green). */
export function bundleDeploy(
  o: Parameters<typeof bundleTarget>[0] & { tag: string },
  over: BundleInputs = {}
): BundleInputs {
  const reg = infra().registries[0]!;
  return bundleTarget(o, {
    strategy: 'blue-green',
    'compose-file': 'deploy/compose.yml',
    'env-file': 'deploy/.env',
    images: `web=${IMAGE_REPO}:${o.tag}`,
    version: o.tag,
    registry: reg.host,
    username: reg.username,
    password: reg.password,
    ...over
  });
}

export function deps(
  over: Partial<EngineDeps> = {}
): EngineDeps & { logger: ReturnType<typeof captureLogger> } {
  const logger = captureLogger();
  return {
    logger,
    context: {
      ...runContextFromEnv({ GITHUB_ACTOR: 'tester', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '7' })
    },
    connect: sshConnector(),
    ...over
  } as EngineDeps & { logger: ReturnType<typeof captureLogger> };
}

export { get };

export async function version(port: number): Promise<string> {
  try {
    const r = await get(port);
    return r.status === 200 ? r.body.trim() : `status ${r.status}`;
  } catch (err) {
    return `error ${(err as Error).message}`;
  }
}

/** Steady load: `rate` requests per second on fresh connections until stop(); counts failures. */
/** One answer of `load`: when its request was sent (Date.now()) and the body, trimmed. */
export interface Answer {
  at: number;
  body: string;
}

/**
 * Steady traffic to the public port: `rate` requests/s on fresh connections. A request fails on a status other
 * than 200, an error, or no answer within `giveUpMs` (3 s; suites on a loaded shared machine give 10 s, since a
 * starved client or proxy is not a failed request). It remembers every answer, so a test can wait for a body
 * (`until`, observable state) and read what served when.
 */
export function load(port: number, rate = 20, o: { giveUpMs?: number } = {}) {
  let total = 0;
  let failed = 0;
  let slowestMs = 0;
  const failures: string[] = [];
  const seen: Answer[] = [];
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    total++;
    const at = Date.now();
    const p = get(port, '/', o.giveUpMs)
      .then((r) => {
        if (r.status !== 200) {
          failed++;
          failures.push(`status ${r.status}`);
        } else {
          seen.push({ at, body: r.body.trim() });
          slowestMs = Math.max(slowestMs, Date.now() - at);
        }
      })
      .catch((e: Error) => {
        failed++;
        failures.push(e.message);
      })
      .finally(() => pending.delete(p));
    pending.add(p);
  }, 1000 / rate);
  return {
    seen,
    /** Resolves once a response with `body` came back. */
    until: async (body: string, timeoutMs = 120_000) => {
      const end = Date.now() + timeoutMs;
      while (!seen.some((x) => x.body === body)) {
        if (Date.now() > end) throw new Error(`no response "${body}" within ${timeoutMs}ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...pending]);
      seen.sort((x, y) => x.at - y.at);
      // When each answer body (a version) was first served: the send time of its first request.
      const firstSeen: Record<string, number> = {};
      for (const x of seen) firstSeen[x.body] ??= x.at;
      return { total, failed, failures: [...new Set(failures)], slowestMs, seen, firstSeen };
    }
  };
}

export function history(dir: string, app: string): { event: string; [k: string]: unknown }[] {
  const file = join(dir, app, 'test', 'history.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string });
}

/** Stop everything an app left on the host: its compose projects, its nginx, its state dir. */
export function cleanup(dir: string, app: string, env = 'test'): void {
  for (const project of [`${app}-${env}`, `${app}-${env}-blue`, `${app}-${env}-green`]) {
    try {
      const ids = execFileSync(
        'docker',
        ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`],
        { encoding: 'utf8' }
      ).trim();
      if (ids) execFileSync('docker', ['rm', '-f', ...ids.split('\n')], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  // Its bridge networks (the projects' own and the shared one, all named from `<app>-<env>`): the lab's dockerd
  // has a bounded address pool.
  try {
    const nets = execFileSync('docker', ['network', 'ls', '-q', '--filter', `name=${app}-${env}`], {
      encoding: 'utf8'
    }).trim();
    if (nets) execFileSync('docker', ['network', 'rm', ...nets.split('\n')], { stdio: 'ignore' });
  } catch {
    /* in use or gone */
  }
  const pid = join(dir, app, env, 'proxy', 'nginx.pid');
  if (existsSync(pid)) {
    try {
      process.kill(Number(readFileSync(pid, 'utf8').trim()), 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  // The state dir belongs to the host's user and is shared by suites: remove only this app's part.
  rmSync(join(dir, app), { recursive: true, force: true });
}

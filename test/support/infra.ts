import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/**
 * The real components started by scripts/infra.sh. An integration test calls `infra()` at its top: when
 * the infrastructure is not up the test fails with the command to run. It never skips silently; a skip is
 * only possible outside CI with DEPLOY_ACTIONS_ALLOW_SKIP=1, and is then reported by jest as skipped.
 */
export interface Infra {
  dir: string;
  /** runnerPluginDir: the system CLI-plugin directory where buildx lives, as on GitHub's runners. */
  /** engine2: the second, newer dockerd (trixie 26.1, containerd image store) as a DOCKER_HOST value. */
  docker: {
    socket: string;
    baseImage: string;
    runnerPluginDir: string;
    engine2?: { host: string; version: string };
  };
  registries: { host: string; username: string; password: string }[];
  ssh: {
    host: string;
    port: number;
    user: string;
    keyPath: string;
    knownHostsPath: string;
    hostKeys: { ed25519: string; ecdsa: string; rsa: string };
  };
  postgres: {
    host: string;
    port: number;
    user: string;
    password: string;
    bin: string;
    socketDir: string;
    url: string;
  };
  prometheus: { url: string; targetsDir: string };
  /** Deploy targets as the field has them (scripts/infra.sh start_field_hosts). */
  hosts: FieldHost[];
}

/**
 * Who uses which field host, so that suites running in parallel do not disturb each other's counts and cuts:
 *   host 1 (index 0)  shared by most suites (deploy, canary, migrate remote, container gate);
 *   host 2 (index 1)  the multi-host tests, with hosts 1 and 3;
 *   host 3 (index 2)  test/deploy/field.test.ts alone: it counts sshd sessions and cuts the shared link;
 *   host 4 (index 3)  the Swarm suite and the lab's own checks (test/foundation/field-hosts.test.ts), and the
 *                     legacy Compose v1 host (hosts 1–3 run the v2 plugin): the v1 smoke subset deploys there.
 * A test that cuts a link outside field.test.ts starts its own proxy (`privateLink`).
 *
 * A deploy target like a real one: its own sshd, host keys and non-root user in the docker group (no
 * /usr/sbin on PATH), a login shell that costs `shellDelaySeconds` per command, reached through a latency
 * proxy (`port`) that holds every chunk `proxy.delayMs` in each direction. `directPort` skips the proxy.
 * One dockerd serves every host; each user's state lives under its home (`stateDir`).
 */
export interface FieldHost {
  name: string;
  host: string;
  port: number;
  directPort: number;
  user: string;
  home: string;
  stateDir: string;
  keyPath: string;
  knownHostsPath: string;
  hostKeys: { ed25519: string; ecdsa: string; rsa: string };
  sshdLog: string;
  proxy: { pidFile: string; log: string; delayMs: number };
  shellDelaySeconds: number;
  /** The Compose generation the host's user runs: the v2 plugin, or docker-compose v1 on the legacy host. */
  compose: 'v1' | 'v2';
}

export const INFRA_DIR = process.env.DEPLOY_ACTIONS_INFRA ?? '/tmp/deploy-actions-infra';

let cached: Infra | undefined;

export function infra(): Infra {
  if (cached) return cached;
  const file = join(INFRA_DIR, 'infra.json');
  if (!existsSync(file)) {
    throw new Error(`Integration infrastructure is not up (${file} missing). Run: bash scripts/infra.sh up`);
  }
  cached = JSON.parse(readFileSync(file, 'utf8')) as Infra;
  return cached;
}

/** describe() for integration suites: fails (never skips) when the infra is missing, unless explicitly allowed. */
export const integration: typeof describe = ((name: string, fn: () => void) => {
  const file = join(INFRA_DIR, 'infra.json');
  if (!existsSync(file) && process.env.DEPLOY_ACTIONS_ALLOW_SKIP === '1' && process.env.CI !== 'true') {
    return describe.skip(name, fn);
  }
  return describe(name, () => {
    beforeAll(() => {
      infra();
    });
    fn();
  });
}) as typeof describe;

/** Field host `i` (0-based); fails with the fix when the infrastructure predates the field hosts. */
export function fieldHost(i: number): FieldHost {
  const h = infra().hosts?.[i];
  if (!h) throw new Error(`Field host ${i + 1} is not up. Run: bash scripts/infra.sh up`);
  return h;
}

/**
 * SSH sessions (one per remote command or script) that `host`'s sshd has started so far. Take the
 * difference around an operation. Suites run in parallel: count only on a host no other suite uses at
 * the same time.
 */
export function sshSessions(host: FieldHost): number {
  return readFileSync(host.sshdLog, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Starting session:')).length;
}

/** Cut the far link: every open connection through `host`'s latency proxy is dropped at once. */
export function cutLink(host: FieldHost): void {
  process.kill(Number(readFileSync(host.proxy.pidFile, 'utf8').trim()), 'SIGUSR2');
}

/**
 * A far link of the test's own to `host` (a latency proxy on a free port in front of its sshd), so cutting it
 * drops only the test's connections. `stop()` ends it.
 */
export async function privateLink(host: FieldHost): Promise<{ port: number; cut(): void; stop(): void }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'scripts', 'latency-proxy.mjs'),
      '--listen',
      `127.0.0.1:${port}`,
      '--target',
      `127.0.0.1:${host.directPort}`,
      '--delay-ms',
      String(host.proxy.delayMs)
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  );
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`latency proxy exited ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
  });
  return { port, cut: () => child.kill('SIGUSR2'), stop: () => child.kill('SIGTERM') };
}

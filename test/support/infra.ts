import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The real components started by scripts/infra.sh. An integration test calls `infra()` at its top: when
 * the infrastructure is not up the test fails with the command to run. It never skips silently; a skip is
 * only possible outside CI with DEPLOY_ACTIONS_ALLOW_SKIP=1, and is then reported by jest as skipped.
 */
export interface Infra {
  dir: string;
  docker: { socket: string; baseImage: string };
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

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

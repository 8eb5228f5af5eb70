import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FieldHost } from './infra.js';
import { REPO_ROOT } from './paths.js';

/**
 * `deploy-actions <args>` against one field host, as an operator runs the host-reading commands (report,
 * incident, observe-key): the host's address, port and user as flags, and the key and pinned known_hosts
 * through the environment variables `--ssh-key-env` and `--known-hosts-env` name, in an environment holding
 * nothing else but PATH, HOME and `env`. `key` is the private key's text (default: the host's deploy key).
 */
export function hostCli(
  host: FieldHost,
  args: readonly string[],
  key: string = readFileSync(host.keyPath, 'utf8'),
  env: Record<string, string> = {}
): SpawnSyncReturns<string> {
  return spawnSync(
    process.execPath,
    [
      join(REPO_ROOT, 'bin', 'deploy-actions.js'),
      ...args,
      '--host',
      host.host,
      '--port',
      String(host.port),
      '--user',
      host.user,
      '--ssh-key-env',
      'DA_KEY',
      '--known-hosts-env',
      'DA_KNOWN'
    ],
    {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DA_KEY: key,
        DA_KNOWN: readFileSync(host.knownHostsPath, 'utf8'),
        ...env
      },
      timeout: 90_000
    }
  );
}

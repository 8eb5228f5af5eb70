import { InputError, type InputReader, type Logger } from '../../packages/core/src/index.js';
import {
  readConnection,
  readHosts,
  sshConnector,
  type ConnectionSpec
} from '../../packages/deploy/src/index.js';
import type { MigrateOptions } from '../../packages/migrate/src/index.js';
import { SshExecutor } from '../../packages/ssh/src/index.js';

/**
 * `host`, `port`, `user`, `ssh-key` and `known-hosts` name and mean what they do in deploy-compose, and are
 * read by the same functions (packages/deploy readHosts, readConnection), so both actions refuse the same
 * bad input with the same words. Here they say where `command` runs: the one deploy host whose app config
 * the tool needs. Everything is checked before any connection is made.
 */
export interface CommandHost {
  /** `host` or `host:port`, as given. */
  line: string;
  connection: ConnectionSpec;
}

export function readCommandHost(inputs: InputReader, options: MigrateOptions): CommandHost | undefined {
  if (!inputs.raw('host')) return undefined;
  const hosts = readHosts(inputs);
  if (hosts.length > 1)
    throw new InputError(
      'host',
      `lists ${hosts.length} hosts, but a migration runs once`,
      'give the one host whose app configuration the command needs'
    );
  if (!options.command)
    throw new InputError(
      'host',
      'says where `command` runs, but command is empty (SQL files run from the runner)',
      'give command (the app\'s own tool, e.g. ["docker", "compose", "run", "--rm", "web", "rails", "db:migrate"]) or remove host'
    );
  return { line: hosts[0]!, connection: readConnection(inputs) };
}

/**
 * The SSH executor for the host, opened as deploy-compose opens one (packages/deploy sshConnector): the key
 * in a private 0600 file under RUNNER_TEMP (which the runner empties even after a kill), removed by close().
 */
export async function connectCommandHost(h: CommandHost, logger: Logger): Promise<SshExecutor> {
  const connect = sshConnector(h.connection, logger, {
    ...(process.env.RUNNER_TEMP ? { tempRoot: process.env.RUNNER_TEMP } : {})
  });
  const executor = await connect(h.line);
  if (!(executor instanceof SshExecutor)) throw new Error('internal: sshConnector gave no SshExecutor');
  return executor;
}

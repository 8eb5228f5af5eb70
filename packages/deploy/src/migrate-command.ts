import { parseCommandLine } from '../../command/src/index.js';
import { InputError, shellJoin, type InputReader } from '../../core/src/index.js';
import type { ComposeFileInfo } from '../../compose/src/index.js';
import { INPUTS } from '../../manifest/src/index.js';
import type { Strategy } from './strategy.js';

/**
 * The `migrate-command` input as argv data. Pure: nothing here runs anything. The command never becomes a
 * shell string of ours: it travels as argv of `compose run` through the phase script's quoting
 * (packages/ssh/src/script.ts); packages/core's parseCommandLine refuses what a shell would have done with it.
 */

const INPUT = 'migrate-command';

/** What deploy-compose runs before traffic moves (docs/migrations.md). */
export interface MigrateSpec {
  /** argv of the container's command. */
  command: string[];
  /** The compose service whose image, env file, networks and volumes it runs with. */
  service: string;
  timeoutMs: number;
}

/** The command as a person reads it (and as the error and history name it): POSIX-quoted words. */
export function showCommand(argv: readonly string[]): string {
  return shellJoin(argv);
}

/**
 * migrate-command, migrate-service and migrate-timeout, checked against the compose file and the strategy
 * before any host is touched. Undefined when there is no command.
 */
export function readMigrate(
  inputs: InputReader,
  info: Pick<ComposeFileInfo, 'services'>,
  strategy: Strategy,
  maxMs: number
): MigrateSpec | undefined {
  const defaults = INPUTS['deploy-compose'];
  const command = parseCommandLine(inputs.raw(INPUT), INPUT);
  const serviceText = inputs.optional('migrate-service');
  if (command.length === 0) {
    if (serviceText)
      throw new InputError(
        'migrate-service',
        `is "${serviceText}" but migrate-command is empty`,
        'give migrate-command, or leave migrate-service empty'
      );
    return undefined;
  }
  if (strategy === 'swarm')
    throw new InputError(
      INPUT,
      'is not supported with strategy swarm: the swarm places the tasks on its nodes, so a one-off container on the manager would not share their networks and volumes, and `stack deploy` starts the new tasks before anything could run first',
      'run the migration as its own job before the deploy (run-migrations with `command` and `host`), or use a compose strategy'
    );
  const service = serviceText ?? info.services[0]!;
  if (!info.services.includes(service))
    throw new InputError(
      'migrate-service',
      `"${service}" is not a service of compose-file (it defines ${info.services.join(', ')})`,
      'name one of those services, or leave it empty for the first'
    );
  const timeoutMs = inputs.duration('migrate-timeout', {
    fallback: defaults['migrate-timeout'].default,
    positive: true
  });
  if (timeoutMs > maxMs)
    throw new InputError(
      'migrate-timeout',
      `${inputs.raw('migrate-timeout')} is longer than 24h`,
      'give at most 24h'
    );
  return { command, service, timeoutMs };
}

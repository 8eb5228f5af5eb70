import { CONTAINER_STATE_FORMAT } from '../../docker/src/index.js';
import { HOST_SCRIPTS } from './host-scripts.generated.js';
import { parseContainerStates, type ContainerState } from './host.js';

/**
 * Wait on the host until `project`'s containers run and `check` (an HTTP check from the host, argv) passes
 * twice in a row, up to `timeoutS`: packages/deploy/host/wait-ready.sh, one loop in the phase's session.
 */
export function waitReadyArgv(project: string, timeoutS: number, check: readonly string[] = []): string[] {
  return [
    'sh',
    '-c',
    HOST_SCRIPTS['wait-ready'],
    'sh',
    String(Math.max(1, Math.ceil(timeoutS))),
    project,
    CONTAINER_STATE_FORMAT,
    ...check
  ];
}

/** How a wait ended, as wait-ready.sh reports it. */
export type WaitReady =
  | { kind: 'ready' }
  /** A container exited, died, restarts or restarted; with its last log lines. */
  | { kind: 'crashed'; container: ContainerState; logs: string[] }
  | { kind: 'unhealthy'; container: string }
  /** The containers ran, but the HTTP check had not passed by the deadline (its last exit code). */
  | { kind: 'check-timeout'; checkExit: string }
  /** The containers were not all running (and healthy) by the deadline; none yet when the list is empty. */
  | { kind: 'states-timeout'; containers: ContainerState[] }
  /** Anything else: the wait itself failed (exit code and output). */
  | { kind: 'failed'; exitCode: number; output: string };

export function decodeWaitReady(exitCode: number, stdout: string): WaitReady {
  const [first = '', ...rest] = stdout.trim().split('\n');
  const after = (prefix: string) => (first.startsWith(prefix) ? first.slice(prefix.length) : undefined);
  if (exitCode === 0) return { kind: 'ready' };
  const crashed = after('crashed ');
  if (exitCode === 3 && crashed !== undefined)
    return { kind: 'crashed', container: parseContainerStates(crashed)[0]!, logs: rest.slice(-10) };
  if (exitCode === 4) return { kind: 'unhealthy', container: after('unhealthy ') ?? first };
  if (exitCode === 5) {
    const checkExit = after('timeout http ');
    if (checkExit !== undefined) return { kind: 'check-timeout', checkExit };
    return { kind: 'states-timeout', containers: parseContainerStates(rest.join('\n')) };
  }
  return { kind: 'failed', exitCode, output: stdout.trim() };
}

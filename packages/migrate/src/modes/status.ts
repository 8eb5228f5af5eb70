import type { MigrationState } from '../state.js';
import type { ConnectedRun } from '../run.js';

/** Report only: the counts here, the table of every version in the result (engine finalState). */
export function status(run: ConnectedRun, state: MigrationState): Promise<void> {
  run.logger.info(
    `${state.applied.length} applied, ${state.pending.length} pending, ${state.failed.length} failed, ${
      state.drifted.length
    } drifted; current version ${state.currentVersion || '(none)'}`
  );
  return Promise.resolve();
}

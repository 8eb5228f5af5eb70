import { formatMs, makeEvent, type DeployEvent } from '../../../core/src/index.js';
import { takeBackup } from '../backup.js';
import { applyFile } from '../execute.js';
import { compareVersions } from '../files.js';
import type { ConnectedRun, MigrationRun } from '../run.js';
import {
  describeAttempts,
  earlierFailures,
  preflight,
  selectPending,
  type MigrationState
} from '../state.js';
import type { AppliedMigration } from '../types.js';

/** Run the pending files up to `target`, in order, each recorded and announced as it commits. */
export async function apply(run: ConnectedRun, state: MigrationState): Promise<void> {
  const { options, logger, result } = run;
  preflight(state, { mode: 'apply', allowOutOfOrder: options.allowOutOfOrder, table: run.table.display });
  const files = selectPending(state, options.target);
  if (!files.length) {
    logger.info(`Nothing to apply: current version ${state.currentVersion || '(none)'}`);
    if (options.target && state.currentVersion && compareVersions(options.target, state.currentVersion) < 0) {
      run.warn(
        `target ${options.target} is below the current version ${state.currentVersion}: apply never goes back; use mode: down`
      );
    }
    return;
  }
  if (options.backup) result.backup = await takeBackup(run);
  for (const file of files) {
    run.assertLock();
    const applied = await applyFile(run, file);
    result.applied.push(applied);
    const earlier = earlierFailures(
      state.versions.find((v) => v.version === file.version),
      'up'
    );
    if (earlier.length) {
      result.retried.push({
        version: file.version,
        file: file.file,
        direction: 'up',
        earlierFailures: earlier
      });
    }
    await run.emit(migrationEvent(run, applied));
    logger.info(
      `✓ ${file.file} (${applied.execution}${applied.statements ? `, ${applied.statements} statements` : ''}, ${formatMs(
        applied.durationMs
      )})${earlier.length ? `; retried: ${describeAttempts(earlier)}, no repair needed` : ''}`
    );
  }
}

function migrationEvent(run: MigrationRun, m: AppliedMigration): DeployEvent {
  const { options, deps } = run;
  return makeEvent(
    'migration.applied',
    { app: options.app, environment: options.environment, version: m.version },
    deps.context,
    {
      migration: {
        version: m.version,
        name: m.name,
        file: m.file,
        checksum: m.checksum,
        execution: m.execution,
        durationMs: m.durationMs
      },
      database: options.database?.display ?? ''
    }
  );
}

import { MigrationError, formatMs } from '../../../core/src/index.js';
import { takeBackup } from '../backup.js';
import { revertFile } from '../execute.js';
import { compareVersions } from '../files.js';
import type { ConnectedRun } from '../run.js';
import { describeAttempts, earlierFailures, preflight, type MigrationState } from '../state.js';

/** Walk back to `target` (kept) with the down files, newest first; refused whole when one is missing. */
export async function down(run: ConnectedRun, state: MigrationState): Promise<void> {
  const { options, logger, result } = run;
  preflight(state, { mode: 'down', allowOutOfOrder: true, table: run.table.display });
  const target = options.target ?? '';
  const revert = state.applied
    .filter((v) => compareVersions(v.version, target) > 0)
    .sort((a, b) => compareVersions(b.version, a.version));
  const missing = revert.filter((v) => !v.file?.down);
  if (missing.length) {
    throw new MigrationError(
      `Cannot walk back to ${target}: no down file for ${missing
        .map((v) => `version ${v.version} (${v.file?.file ?? v.row?.script ?? v.name})`)
        .join(', ')}`,
      {
        state: 'nothing was changed by this run',
        hint: 'add U<version>__<name>.sql or <version>_<name>.down.sql files, or choose a later target'
      }
    );
  }
  if (!revert.length) {
    logger.info(
      `Nothing to revert: current version ${state.currentVersion || '(none)'} is not above ${target}`
    );
    return;
  }
  if (options.backup) result.backup = await takeBackup(run);
  for (const v of revert) {
    run.assertLock();
    const done = await revertFile(run, v.file!);
    result.reverted.push(done);
    const earlier = earlierFailures(v, 'down');
    if (earlier.length) {
      result.retried.push({
        version: v.version,
        file: done.file,
        direction: 'down',
        earlierFailures: earlier
      });
    }
    logger.info(
      `↩ ${v.file!.down!.file} (${done.execution}, ${formatMs(done.durationMs)})${
        earlier.length ? `; retried: ${describeAttempts(earlier)}, no repair needed` : ''
      }`
    );
  }
}

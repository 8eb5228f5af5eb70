import { MigrationError } from '../../../core/src/index.js';
import { foreignHistory, insertHistory, type HistoryRow, type NewHistoryRow } from '../db.js';
import { compareVersions } from '../files.js';
import type { ConnectedRun } from '../run.js';

/**
 * An empty history on a database that is not new: with `baseline`, record the files up to it as applied
 * (apply writes the rows; plan only shows them); without it, refuse when another tool's bookkeeping says
 * the schema is already there, instead of running every file again. Returns the history to go on with.
 */
export async function adopt(run: ConnectedRun): Promise<HistoryRow[]> {
  const { work, table, options, logger, result } = run;
  if (!options.baseline) {
    const other = await foreignHistory(work);
    if (other) {
      throw new MigrationError(
        `This database was already migrated by ${other.tool} (${other.table}: version ${other.version}${
          other.dirty === undefined ? '' : other.dirty ? ', DIRTY' : ', clean'
        }), but ${table.display} is empty: applying would run every file again`,
        {
          state: 'nothing was changed by this run',
          hint: other.dirty
            ? `${other.tool} left version ${other.version} half-applied: finish or undo it by hand first, then set baseline: ${other.version} once`
            : `check that the files up to ${other.version} are the ones that ran, then set baseline: ${other.version} once, to record them as applied without running them`
        }
      );
    }
    return [];
  }
  const base = run.historyBase();
  const files = options.migrations.filter((f) => compareVersions(f.version, options.baseline!) <= 0);
  const rows: HistoryRow[] = [];
  for (const f of files) {
    const row: NewHistoryRow = {
      ...base,
      version: f.version,
      name: f.name,
      script: f.file,
      checksum: f.checksum,
      kind: 'baseline',
      execution: 'none',
      status: 'applied',
      durationMs: 0,
      error: null,
      errorLine: null
    };
    if (options.mode === 'apply') await insertHistory(work, table, row);
    rows.push({ ...row, id: rows.length + 1, appliedAt: new Date().toISOString() });
    result.baselined.push(f.version);
  }
  logger.info(
    `${options.mode === 'apply' ? 'Baseline recorded' : 'Baseline would record'}: ${files.length} file(s) up to ${options.baseline} as applied, not run`
  );
  return rows;
}

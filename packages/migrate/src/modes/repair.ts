import { insertHistory } from '../db.js';
import type { ConnectedRun } from '../run.js';
import { firstLine, type MigrationState } from '../state.js';

/**
 * Clear recorded failures (the record stays; a new row marks it repaired) and realign drifted checksums
 * to the files on disk. Never runs a migration.
 */
export async function repair(run: ConnectedRun, state: MigrationState): Promise<void> {
  const { work, table, logger, result } = run;
  const base = run.historyBase();
  for (const v of state.failed) {
    const r = v.row!;
    // A failed up leaves the version pending (the next apply re-runs it); a failed down leaves it applied.
    await insertHistory(work, table, {
      ...base,
      version: v.version,
      name: v.name,
      script: v.file?.file ?? r.script,
      checksum: r.kind === 'down' ? (v.file?.checksum ?? r.checksum) : r.checksum,
      kind: 'repair',
      execution: 'none',
      status: r.kind === 'down' ? 'applied' : 'repaired',
      durationMs: 0,
      error: `repaired failure of row ${r.id}: ${firstLine(r.error ?? '')}`,
      errorLine: r.errorLine
    });
    result.repaired.push({ version: v.version, file: v.file?.file ?? r.script, action: 'failure-cleared' });
    logger.info(`repaired: failure of ${v.file?.file ?? r.script} (row ${r.id}) cleared; the record stays`);
  }
  for (const v of state.drifted) {
    await insertHistory(work, table, {
      ...base,
      version: v.version,
      name: v.name,
      script: v.file!.file,
      checksum: v.file!.checksum,
      kind: 'repair',
      execution: 'none',
      status: 'applied',
      durationMs: 0,
      error: `checksum realigned from ${v.recordedChecksum}`,
      errorLine: null
    });
    result.repaired.push({ version: v.version, file: v.file!.file, action: 'checksum-realigned' });
    logger.info(`repaired: checksum of ${v.file!.file} realigned to the file on disk`);
  }
  if (!result.repaired.length) logger.info('Nothing to repair');
}

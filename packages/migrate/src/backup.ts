import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CommandError, LocalExecutor, MigrationError, formatMs, lastLines } from '../../core/src/index.js';
import { pgDumpArgv } from './argv.js';
import type { MigrationRun } from './run.js';
import type { MigrateResult } from './types.js';
import { libpqEnv, redact } from './url.js';

/** pg_dump to a 0600 file before the first change; a failed dump changes nothing. */
export async function takeBackup(run: MigrationRun): Promise<NonNullable<MigrateResult['backup']>> {
  const db = run.options.database!;
  const backup = run.options.backup!;
  const started = Date.now();
  mkdirSync(dirname(backup.path), { recursive: true });
  // Created 0600 before pg_dump writes into it, so the data is never readable by others, not even briefly.
  closeSync(openSync(backup.path, 'w', 0o600));
  chmodSync(backup.path, 0o600);
  const executor = run.deps.executor ?? new LocalExecutor();
  try {
    await executor.run({
      argv: pgDumpArgv(backup.path, backup.binDir ? { binDir: backup.binDir } : {}),
      env: libpqEnv(db),
      step: 'backup (pg_dump)',
      timeoutMs: 60 * 60_000
    });
  } catch (err) {
    const why =
      err instanceof CommandError
        ? lastLines(err.stderr || err.stdout, 6)
        : err instanceof Error
          ? err.message
          : String(err);
    throw new MigrationError(`Backup failed: pg_dump of ${db.display} did not complete: ${redact(why, db)}`, {
      state: 'nothing was applied',
      hint: /version mismatch/i.test(why)
        ? 'pg_dump must be at least as new as the server: install the matching postgresql-client and point pg-dump at it'
        : 'check that pg_dump is installed (input pg-dump) and that the user may read every table; or run without backup'
    });
  }
  chmodSync(backup.path, 0o600);
  const bytes = statSync(backup.path).size;
  const durationMs = Date.now() - started;
  run.logger.info(`Backup: ${backup.path} (${bytes} bytes, ${formatMs(durationMs)})`);
  return { path: backup.path, bytes, durationMs };
}

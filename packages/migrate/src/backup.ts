import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CommandError, LocalExecutor, MigrationError, formatMs, lastLines } from '../../core/src/index.js';
import { pgDumpArgv } from './argv.js';
import { connect, serverInfo } from './db.js';
import { choosePgDump, dockerPgDumpArgv, findPgDumps, serverMajor, type PgDumpChoice } from './pgdump.js';
import { applicationName, type MigrationRun } from './run.js';
import type { MigrateResult } from './types.js';
import { libpqEnv, redact } from './url.js';

/** The server's version, on the run's session, or on a short one of its own (command mode). */
async function serverVersion(run: MigrationRun): Promise<{ version: string; major: number }> {
  const client =
    run.work ??
    (await connect(run.options.database!, { applicationName: applicationName(run.deps.context) }));
  try {
    const info = await serverInfo(client);
    return { version: info.version.split(' ')[0]!, major: serverMajor(info.versionNum) };
  } finally {
    if (client !== run.work) await client.end().catch(() => {});
  }
}

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
  const server = await serverVersion(run);
  const choice: PgDumpChoice = choosePgDump({
    serverVersion: server.version,
    serverMajor: server.major,
    found: await findPgDumps(executor, {
      serverMajor: server.major,
      ...(backup.binDir ? { binDir: backup.binDir } : {})
    }),
    image: backup.image ?? '',
    explicit: backup.binDir !== undefined
  });
  const env = libpqEnv(db);
  const argv =
    choice.kind === 'local'
      ? [choice.path, ...pgDumpArgv(backup.path).slice(1)]
      : dockerPgDumpArgv(choice.image, backup.path, Object.keys(env), {
          uid: process.getuid?.() ?? 0,
          gid: process.getgid?.() ?? 0
        });
  const pgDump = choice.kind === 'local' ? choice.path : `${choice.image} (docker)`;
  run.logger.info(`Backup with pg_dump ${choice.major} (${pgDump}) of PostgreSQL ${server.version}`);
  try {
    await executor.run({
      argv,
      env,
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
  return { path: backup.path, bytes, durationMs, pgDump };
}

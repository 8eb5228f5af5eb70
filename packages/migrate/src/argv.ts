import { join } from 'node:path';

/**
 * Pure argv builders for the PostgreSQL client programs. Connection details and the password go in the
 * libpq environment (see url.ts libpqEnv), so nothing secret is ever in argv.
 */
function bin(binDir: string | undefined, program: string): string {
  return binDir ? join(binDir, program) : program;
}

/** A custom-format dump (`pg_restore` reads it; compressed; restorable table by table). */
export function pgDumpArgv(file: string, options: { binDir?: string } = {}): string[] {
  return [bin(options.binDir, 'pg_dump'), '--format=custom', '--no-password', '--file', file];
}

/**
 * Restore a custom-format dump into `database` (a name, not a URL: host, user and password come from the
 * libpq environment). Used by the runbook and the tests.
 */
export function pgRestoreArgv(
  file: string,
  database: string,
  options: { binDir?: string; clean?: boolean } = {}
): string[] {
  return [
    bin(options.binDir, 'pg_restore'),
    '--no-password',
    '--exit-on-error',
    ...(options.clean ? ['--clean', '--if-exists'] : []),
    '--dbname',
    database,
    file
  ];
}

/** What people do by hand: one file through psql, stopping at the first error, in one transaction. */
export function psqlFileArgv(file: string, options: { binDir?: string } = {}): string[] {
  return [
    bin(options.binDir, 'psql'),
    '--no-password',
    '--quiet',
    '--no-psqlrc',
    '-v',
    'ON_ERROR_STOP=1',
    '--single-transaction',
    '--file',
    file
  ];
}

import { join } from 'node:path';
import { InputError } from '../../core/src/index.js';

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

/**
 * The `command` input as argv data: a JSON array of strings, or words separated by spaces with '…'
 * and "…" quoting. There is no shell: `|`, `;`, `&&`, `$VAR` and globs would reach the program as
 * literal text, so they are refused with the fix instead of silently misbehaving.
 */
export function parseCommandInput(text: string, input = 'command'): string[] {
  const value = text.trim();
  if (value === '') return [];
  if (value.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new InputError(input, 'starts with [ but is not a JSON array', 'write ["npm", "run", "migrate"]');
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === 'string')) {
      throw new InputError(
        input,
        'must be a non-empty JSON array of strings',
        'write ["npm", "run", "migrate"]'
      );
    }
    return parsed as string[];
  }
  const argv: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && (value[i + 1] === '"' || value[i + 1] === '\\'))
        current += value[++i];
      else current += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(current);
      current = '';
      inWord = false;
    } else if (/[|;&<>`$*?(){}]/.test(c)) {
      throw new InputError(
        input,
        `contains \`${c}\` outside quotes, but the command is not run by a shell`,
        'put pipelines, redirections or variables in a script in your repository and give that script as the command'
      );
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) throw new InputError(input, `has an unclosed ${quote}`, 'close the quote');
  if (inWord) argv.push(current);
  return argv;
}

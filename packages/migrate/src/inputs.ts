import { isAbsolute, join, resolve } from 'node:path';
import { parseCommandLine } from '../../command/src/index.js';
import { InputError, type InputReader } from '../../core/src/index.js';
import { choicesOf, defaultsOf } from '../../manifest/src/index.js';
import { parseTableName } from './db.js';
import { canonicalVersion, loadMigrations } from './files.js';
import type { MigrateOptions, Mode } from './types.js';
import { parseDatabaseUrl } from './url.js';

export const MODES = choicesOf('run-migrations', 'mode');

/** The defaults run-migrations declares (manifest.yml): the runner applies them, the CLI and tests may not. */
const DEFAULTS = defaultsOf('run-migrations');

/** An optional version input (`3`, `v1.2`, `20240101120000`), in its canonical form. */
function versionInput(inputs: InputReader, name: 'target' | 'baseline', example: string): string | undefined {
  const text = inputs.optional(name);
  if (text === undefined) return undefined;
  try {
    return canonicalVersion(text.replace(/^[Vv]/, ''));
  } catch {
    throw new InputError(name, `"${text}" is not a version`, example);
  }
}

/**
 * Every input of run-migrations, read and validated into one options object. Bad input throws
 * InputError naming the input, before any connection is made. The files are read here too, so a
 * misnamed file is refused before anything changes.
 */
export function readMigrateInputs(
  inputs: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  now: Date = new Date()
): MigrateOptions {
  const mode = inputs.choice('mode', MODES, DEFAULTS.text('mode') as Mode);
  const urlText = inputs.raw('database-url') || (env.DATABASE_URL ?? '').trim();
  const urlInput = inputs.raw('database-url') ? 'database-url' : 'database-url (from env DATABASE_URL)';
  const command = parseCommandLine(inputs.raw('command'), 'command');
  if (!urlText && !command.length) {
    throw new InputError(
      'database-url',
      'is required (and env DATABASE_URL is not set)',
      'pass it from a secret: database-url: ${{ secrets.DATABASE_URL }}'
    );
  }
  const database = urlText ? parseDatabaseUrl(urlText, urlInput) : undefined;
  if (command.length && mode !== 'apply') {
    throw new InputError(
      'command',
      `runs the app's own tool, which only fits mode apply (mode is ${mode})`,
      'remove mode or command'
    );
  }
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const dirText = inputs.string('dir', { fallback: DEFAULTS.text('dir') });
  const dir = isAbsolute(dirText) ? dirText : resolve(workspace, dirText);
  const migrations = command.length ? [] : loadMigrations(dir, 'dir');

  const target = versionInput(inputs, 'target', 'give a version like 3, 1.2 or 20240101120000');
  const baseline = versionInput(inputs, 'baseline', 'give the version the database is at, like 12');
  if (mode === 'down' && target === undefined) {
    throw new InputError(
      'target',
      'is required with mode down',
      'give the version to walk back to (it stays applied), or 0 to revert everything'
    );
  }

  const backupText = inputs.raw('backup');
  let backup: MigrateOptions['backup'];
  if (backupText && !/^(false|no|off|0)$/i.test(backupText)) {
    if (!database) throw new InputError('backup', 'needs database-url', 'give database-url or remove backup');
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    const path = /^(true|yes|on|1)$/i.test(backupText)
      ? join(env.RUNNER_TEMP || join(workspace, '.run-migrations'), `${database.database}-${stamp}.dump`)
      : isAbsolute(backupText)
        ? backupText
        : resolve(workspace, backupText);
    const pgDump = inputs.optional('pg-dump');
    const image = inputs.string('pg-dump-image', { fallback: DEFAULTS.text('pg-dump-image') });
    backup = {
      path,
      ...(pgDump ? { binDir: pgDump.replace(/\/pg_dump$/, '') } : {}),
      image: /^(false|no|off|none)$/i.test(image.trim()) ? '' : image.trim()
    };
  }

  const historyTable = inputs.string('history-table', { fallback: DEFAULTS.text('history-table') });
  parseTableName(historyTable, 'public'); // refuse a bad name before connecting
  const webhookUrl = inputs.optional('webhook-url');
  if (webhookUrl && !/^https?:\/\//.test(webhookUrl)) {
    throw new InputError('webhook-url', 'is not an http(s) URL', 'give https://… or leave it empty');
  }
  const webhookSecret = inputs.optional('webhook-secret');
  const repository = env.GITHUB_REPOSITORY ?? '';

  return {
    mode,
    ...(database ? { database } : {}),
    migrations,
    dir,
    ...(target !== undefined ? { target } : {}),
    ...(baseline !== undefined ? { baseline } : {}),
    ...(command.length
      ? {
          command,
          commandTimeoutMs: inputs.duration('command-timeout', {
            fallback: DEFAULTS.text('command-timeout'),
            positive: true
          }),
          commandCwd: workspace
        }
      : {}),
    ...(backup ? { backup } : {}),
    lockTimeoutMs: inputs.duration('lock-timeout', { fallback: DEFAULTS.text('lock-timeout') }),
    statementTimeoutMs: inputs.duration('statement-timeout', {
      fallback: DEFAULTS.text('statement-timeout')
    }),
    allowOutOfOrder: inputs.boolean('allow-out-of-order', DEFAULTS.flag('allow-out-of-order')),
    historyTable,
    app: inputs.string('app', { fallback: repository.split('/').pop() || 'app' }),
    environment: inputs.string('environment', { fallback: DEFAULTS.text('environment') }),
    ...(webhookUrl
      ? { webhook: { url: webhookUrl, ...(webhookSecret ? { secret: webhookSecret } : {}) } }
      : {})
  };
}

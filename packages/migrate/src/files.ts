import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/src/index.js';
import { splitStatements, type Statement } from './sql.js';

/**
 * Migration files on disk. Two layouts are accepted, and may be mixed in one folder:
 *
 *   Flyway-style     V<version>__<name>.sql          up
 *                    U<version>__<name>.sql          down (Flyway's "undo")
 *   golang-migrate   <version>_<name>.up.sql         up
 *                    <version>_<name>.down.sql       down (also pairs with a V file of that version)
 *
 * A version is digits, optionally in dotted parts (`V1_2__x.sql` and `V1.2__x.sql` are version 1.2);
 * parts compare as numbers, so 10 comes after 9 and 20240101120000 after 3.
 */
export type Layout = 'flyway' | 'golang-migrate';

export interface MigrationFile {
  /** Canonical version: parts without leading zeros, joined by dots ("1.2", "20240101120000"). */
  version: string;
  /** The descriptive part of the file name ("create_users"). */
  name: string;
  /** The up file's name, relative to dir. */
  file: string;
  layout: Layout;
  /** The up SQL, line endings normalised to \n. */
  sql: string;
  /**
   * What is sent to the server: `sql`, with a wrapping `BEGIN; … COMMIT;` blanked out (same length, so
   * error positions still point into the file) when the file runs in our transaction.
   */
  exec: string;
  /** sha256 of the normalised up SQL (hex). */
  checksum: string;
  /** False when the file carries a no-transaction directive. */
  transactional: boolean;
  /** The directive that made it non-transactional, for the evidence. */
  directive?: string;
  down?: { file: string; sql: string; exec: string; transactional: boolean };
}

interface ParsedName {
  version: string;
  name: string;
  direction: 'up' | 'down';
  layout: Layout;
}

/** The two file name layouts; `dir` is V or up for an up file, U or down for a down file. */
const LAYOUTS: readonly [Layout, RegExp][] = [
  ['flyway', /^(?<dir>[VU])(?<version>\d+(?:[._]\d+)*)__(?<name>.+)\.sql$/],
  ['golang-migrate', /^(?<version>\d+)_(?<name>.+)\.(?<dir>up|down)\.sql$/]
];

/** Canonical version text: "0001" → "1", "1_2" → "1.2", "1.0" → "1". Throws on anything but digits. */
export function canonicalVersion(text: string): string {
  if (!/^\d+(?:[._]\d+)*$/.test(text)) throw new Error(`not a version: ${text}`);
  const parts = text.split(/[._]/).map((p) => p.replace(/^0+(?=\d)/, ''));
  while (parts.length > 1 && parts[parts.length - 1] === '0') parts.pop();
  return parts.join('.');
}

/** Numeric, part by part: -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = BigInt(pa[i] ?? '0');
    const y = BigInt(pb[i] ?? '0');
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function parseMigrationName(file: string): ParsedName | undefined {
  for (const [layout, pattern] of LAYOUTS) {
    const g = pattern.exec(file)?.groups;
    if (!g) continue;
    return {
      version: canonicalVersion(g.version!),
      name: g.name!,
      direction: g.dir === 'V' || g.dir === 'up' ? 'up' : 'down',
      layout
    };
  }
  return undefined;
}

/** Line endings normalised and a BOM dropped, so a checkout with autocrlf does not look like drift. */
export function normaliseSql(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

export function checksum(sql: string): string {
  return createHash('sha256').update(normaliseSql(sql), 'utf8').digest('hex');
}

/**
 * Directives that run a file outside a transaction (needed for `CREATE INDEX CONCURRENTLY`,
 * `ALTER TYPE … ADD VALUE` before PG 12, `VACUUM`). Ours, plus the spellings other tools' users already
 * have in their files, so a migrated folder keeps its meaning.
 */
const NO_TRANSACTION_DIRECTIVES: readonly [RegExp, string][] = [
  [/^--\s*deploy-actions:no-transaction\s*$/im, 'deploy-actions:no-transaction'],
  [/^--\s*\+goose\s+NO\s+TRANSACTION\s*$/im, 'goose: +goose NO TRANSACTION'],
  [/^--\s*\+migrate\s+(?:Up|Down)\s+notransaction\s*$/im, 'sql-migrate: +migrate notransaction'],
  [/^--\s*migrate:(?:up|down)\s+.*\btransaction:false\b/im, 'dbmate: transaction:false']
];

export function noTransactionDirective(sql: string): string | undefined {
  for (const [re, label] of NO_TRANSACTION_DIRECTIVES) if (re.test(sql)) return label;
  return undefined;
}

/** Flyway's per-script config file `V3__x.sql.conf` with `executeInTransaction=false`. */
function flywayConf(dir: string, file: string): string | undefined {
  const conf = join(dir, `${file}.conf`);
  if (!existsSync(conf)) return undefined;
  return /^\s*executeInTransaction\s*=\s*false\s*$/im.test(readFileSync(conf, 'utf8'))
    ? 'flyway: executeInTransaction=false'
    : undefined;
}

/**
 * Read every migration in `dir`, sorted by version. Refuses (InputError on `input`) what would otherwise
 * be silently skipped or ambiguous: a `.sql` file whose name matches neither layout, two up files of one
 * version, a down file without its up file.
 */
export function loadMigrations(dir: string, input = 'dir'): MigrationFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(input, `"${dir}" is not a directory`, 'give the folder holding the migration files');
  }
  const ups = new Map<string, MigrationFile>();
  const downs = new Map<string, { file: string; sql: string; exec: string; transactional: boolean }>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const parsed = parseMigrationName(file);
    if (!parsed) {
      throw new InputError(
        input,
        `${file} is not a migration file name`,
        'name it V<version>__<name>.sql (down: U<version>__<name>.sql) or <version>_<name>.up.sql / .down.sql, or move it out of the folder'
      );
    }
    const sql = normaliseSql(readFileSync(join(dir, file), 'utf8'));
    const directive = noTransactionDirective(sql) ?? flywayConf(dir, file);
    const exec = directive ? sql : unwrapTransaction(sql, file, input);
    if (parsed.direction === 'down') {
      const other = downs.get(parsed.version);
      if (other) {
        throw new InputError(
          input,
          `${other.file} and ${file} are both down files of version ${parsed.version}`,
          'keep one'
        );
      }
      downs.set(parsed.version, { file, sql, exec, transactional: !directive });
      continue;
    }
    const other = ups.get(parsed.version);
    if (other) {
      throw new InputError(
        input,
        `${other.file} and ${file} both have version ${parsed.version}`,
        'give each migration its own version'
      );
    }
    ups.set(parsed.version, {
      version: parsed.version,
      name: parsed.name,
      file,
      layout: parsed.layout,
      sql,
      exec,
      checksum: checksum(sql),
      transactional: !directive,
      ...(directive ? { directive } : {})
    });
  }
  for (const [version, down] of downs) {
    const up = ups.get(version);
    if (!up) {
      throw new InputError(
        input,
        `down file ${down.file} has no up file of version ${version}`,
        'add the up file or remove the down file'
      );
    }
    up.down = down;
  }
  return [...ups.values()].sort((a, b) => compareVersions(a.version, b.version));
}

const TX_BEGIN = /^(?:BEGIN|START\s+TRANSACTION)\b/i;
const TX_END = /^(?:COMMIT|END)\b/i;
const TX_CONTROL =
  /^(?:BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b/i;

/**
 * Each file runs in our transaction, with its history row. A file wrapped in exactly `BEGIN; … COMMIT;`
 * (as golang-migrate users write them, since golang-migrate does not wrap) has the wrapper blanked out, so
 * it keeps its meaning and stays atomic with its record. Any other transaction control would end our
 * transaction early (a COMMIT in the middle commits half a file), so it is refused up front.
 */
export function unwrapTransaction(sql: string, file: string, input = 'dir'): string {
  const statements = splitStatements(sql);
  const control = statements.filter((s) => TX_CONTROL.test(s.text));
  if (!control.length) return sql;
  const first = statements[0]!;
  const last = statements[statements.length - 1]!;
  if (
    control.length === 2 &&
    control[0] === first &&
    control[1] === last &&
    TX_BEGIN.test(first.text) &&
    TX_END.test(last.text)
  ) {
    return blank(blank(sql, first), last);
  }
  const bad = control.find((s) => s !== first && s !== last) ?? control[0]!;
  throw new InputError(
    input,
    `${file} line ${bad.line}: \`${bad.text.split(/\s+/)[0]}\` controls the transaction, but each file already runs in a transaction of its own`,
    'remove the transaction statements (a file wrapped in exactly BEGIN; … COMMIT; is fine), or put the line -- deploy-actions:no-transaction in the file to manage transactions yourself'
  );
}

/** Replace a statement and its semicolon by spaces, keeping newlines, so positions do not move. */
function blank(sql: string, s: Statement): string {
  let end = s.offset + s.text.length;
  const semi = /^\s*;/.exec(sql.slice(end));
  if (semi) end += semi[0].length;
  return sql.slice(0, s.offset) + sql.slice(s.offset, end).replace(/[^\n]/g, ' ') + sql.slice(end);
}

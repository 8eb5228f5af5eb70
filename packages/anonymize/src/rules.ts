import { createHash } from 'node:crypto';
import { type InputError, parseYamlFile } from '../../core/src/index.js';

/**
 * The rules file: a public contract, in the app repository.
 *
 *   tables:
 *     users:
 *       where: created_at > now() - interval '90 days'
 *       columns:
 *         id: keep
 *         email: email
 *         notes: { regex-replace: { pattern: '\d{4,}', with: '####' } }
 *     audit_log:
 *       truncate: true
 *
 * A table is `name` (schema public) or `schema.name`.
 */
export type Transformer =
  | { kind: 'keep' }
  | { kind: 'null' }
  | { kind: 'constant'; value: string }
  | { kind: 'hash'; length: number }
  | { kind: 'email' }
  | { kind: 'name' }
  | { kind: 'phone' }
  | { kind: 'shift-date'; maxDays: number }
  | { kind: 'regex-replace'; pattern: string; with: string };

export type TransformerKind = Transformer['kind'];

export interface TableRule {
  /** `schema.table`. */
  table: string;
  where?: string;
  truncate: boolean;
  columns: Map<string, Transformer>;
}

export interface Rules {
  tables: Map<string, TableRule>;
  /** sha256 of the file's bytes: the `rules-checksum` output. */
  checksum: string;
}

const SIMPLE = ['keep', 'null', 'hash', 'email', 'name', 'phone', 'shift-date'] as const;
const ALL = [...SIMPLE, 'constant', 'regex-replace'];

export function qualify(table: string): string {
  return table.includes('.') ? table : `public.${table}`;
}

export function parseRules(text: string, file = 'rules'): Rules {
  const { doc, fail } = parseYamlFile(text, file);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw fail('(file)', 'is empty or not a map', 'start it with `tables:` and one entry per table');
  const root = doc as Record<string, unknown>;
  for (const key of Object.keys(root))
    if (key !== 'tables') throw fail(key, 'is not a known key', 'the file has one key, `tables:`');
  const tables = root.tables;
  if (!tables || typeof tables !== 'object' || Array.isArray(tables))
    throw fail('tables', 'must be a map of table names', 'e.g. tables: { users: { columns: { id: keep } } }');
  const out = new Map<string, TableRule>();
  for (const [name, raw] of Object.entries(tables as Record<string, unknown>)) {
    const at = (k: string) => `tables.${name}${k ? `.${k}` : ''}`;
    if (!/^([A-Za-z_][\w$]*\.)?[A-Za-z_][\w$]*$/.test(name))
      throw fail(
        at(''),
        'is not a table name',
        'write `table` or `schema.table` (lower-case, unquoted identifiers)'
      );
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw fail(at(''), 'must be a map', 'give `columns:` (and optionally `where:`), or `truncate: true`');
    const t = raw as Record<string, unknown>;
    for (const key of Object.keys(t))
      if (!['where', 'truncate', 'columns'].includes(key))
        throw fail(at(key), 'is not a known key', 'use where, truncate or columns');
    if (t.truncate !== undefined && typeof t.truncate !== 'boolean')
      throw fail(at('truncate'), 'must be true or false', 'write `truncate: true` to copy the table empty');
    if (t.where !== undefined && (typeof t.where !== 'string' || !t.where.trim()))
      throw fail(
        at('where'),
        'must be a SQL condition',
        "e.g. where: created_at > now() - interval '90 days'"
      );
    if (typeof t.where === 'string' && !balanced(t.where))
      throw fail(
        at('where'),
        'has unbalanced parentheses, quotes or a `;`',
        'give one boolean SQL expression'
      );
    if (t.truncate === true && t.where !== undefined)
      throw fail(
        at('where'),
        'is given with truncate: true',
        'a truncated table copies no rows: drop one of them'
      );
    const columns = new Map<string, Transformer>();
    const cols = t.columns ?? {};
    if (typeof cols !== 'object' || Array.isArray(cols) || cols === null)
      throw fail(
        at('columns'),
        'must be a map of column: transformer',
        'e.g. columns: { id: keep, email: email }'
      );
    for (const [col, spec] of Object.entries(cols as Record<string, unknown>))
      columns.set(
        col,
        parseTransformer(spec, (problem, fix) => fail(at(`columns.${col}`), problem, fix))
      );
    const table = qualify(name);
    if (out.has(table)) throw fail(at(''), `names ${table} twice`, 'keep one entry per table');
    out.set(table, {
      table,
      truncate: t.truncate === true,
      columns,
      ...(typeof t.where === 'string' ? { where: t.where.trim() } : {})
    });
  }
  return { tables: out, checksum: createHash('sha256').update(text).digest('hex') };
}

function parseTransformer(spec: unknown, fail: (problem: string, fix: string) => InputError): Transformer {
  const fix = `use one of: ${ALL.join(', ')}; with options: { constant: value }, { hash: { length: 16 } }, { shift-date: { max-days: 30 } }, { regex-replace: { pattern: '...', with: '...' } }`;
  // `col: null` in YAML is a null value, and means the null transformer.
  if (spec === null) return { kind: 'null' };
  if (typeof spec === 'string') {
    if (spec === 'constant' || spec === 'regex-replace') throw fail(`${spec} needs options`, fix);
    if (!(SIMPLE as readonly string[]).includes(spec)) throw fail(`"${spec}" is not a transformer`, fix);
    return withDefaults(spec as (typeof SIMPLE)[number], undefined, fail);
  }
  if (typeof spec !== 'object' || Array.isArray(spec)) throw fail('is not a transformer', fix);
  const entries = Object.entries(spec as Record<string, unknown>);
  if (entries.length !== 1) throw fail('must name exactly one transformer', fix);
  const [kind, opts] = entries[0]!;
  if (kind === 'constant') {
    if (opts === null || typeof opts === 'object')
      throw fail('constant needs a scalar value', "e.g. { constant: 'redacted' }");
    return { kind: 'constant', value: String(opts) };
  }
  if (kind === 'regex-replace') {
    const o = (opts ?? {}) as Record<string, unknown>;
    if (typeof o.pattern !== 'string' || typeof o.with !== 'string')
      throw fail(
        'regex-replace needs pattern and with',
        "e.g. { regex-replace: { pattern: '\\d{4,}', with: '####' } }"
      );
    try {
      new RegExp(o.pattern, 'gu');
    } catch (e) {
      throw fail(
        `pattern is not a valid regular expression (${(e as Error).message})`,
        'fix the pattern (JavaScript syntax)'
      );
    }
    return { kind: 'regex-replace', pattern: o.pattern, with: o.with };
  }
  if (!(SIMPLE as readonly string[]).includes(kind)) throw fail(`"${kind}" is not a transformer`, fix);
  return withDefaults(kind as (typeof SIMPLE)[number], opts, fail);
}

function withDefaults(
  kind: (typeof SIMPLE)[number],
  opts: unknown,
  fail: (problem: string, fix: string) => InputError
): Transformer {
  const o = (opts ?? {}) as Record<string, unknown>;
  const int = (key: string, dflt: number, min: number, max: number) => {
    const v = o[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw fail(
        `${kind}.${key} must be a whole number from ${min} to ${max}`,
        `e.g. { ${kind}: { ${key}: ${dflt} } }`
      );
    return v;
  };
  const known = kind === 'hash' ? ['length'] : kind === 'shift-date' ? ['max-days'] : [];
  for (const k of Object.keys(o))
    if (!known.includes(k))
      throw fail(
        `${kind} has no option "${k}"`,
        known.length ? `use ${known.join(', ')}` : `write just \`${kind}\``
      );
  if (kind === 'hash') return { kind, length: int('length', 32, 8, 64) };
  if (kind === 'shift-date') return { kind, maxDays: int('max-days', 365, 1, 36500) };
  return { kind } as Transformer;
}

/** Quotes and parentheses balanced, no statement separator outside quotes: one expression, not a script. */
function balanced(sql: string): boolean {
  let depth = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
    else if (ch === ';') return false;
  }
  return depth === 0 && quote === null;
}

/** The rule as written in the file, for proposals and evidence. */
export function describeTransformer(t: Transformer): string {
  switch (t.kind) {
    case 'constant':
      return `{ constant: ${JSON.stringify(t.value)} }`;
    case 'hash':
      return t.length === 32 ? 'hash' : `{ hash: { length: ${t.length} } }`;
    case 'shift-date':
      return t.maxDays === 365 ? 'shift-date' : `{ shift-date: { max-days: ${t.maxDays} } }`;
    case 'regex-replace':
      return `{ regex-replace: { pattern: ${JSON.stringify(t.pattern)}, with: ${JSON.stringify(t.with)} } }`;
    default:
      return t.kind;
  }
}

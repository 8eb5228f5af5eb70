import { InputError } from '../../core/src/index.js';
import { classify, DATE_TYPES, proposalYaml, TEXT_TYPES } from './classify.js';
import { quoteIdent, quoteTable, type ColumnInfo, type TableInfo } from './catalog.js';
import type { Rules, TableRule, Transformer } from './rules.js';

/** One table's copy: the columns in order with their transformer, and the rows to take. */
export interface TablePlan {
  info: TableInfo;
  truncate: boolean;
  columns: { info: ColumnInfo; transformer: Transformer }[];
  /** The SQL condition selecting the rows to copy (own `where` and the subsets of referenced tables). */
  filter: string | null;
}

/** The columns the file does not name: the run stops before any write, with rules to paste. */
export class UnclassifiedColumnsError extends InputError {
  readonly missing: { table: string; column: string; type: string; nullable: boolean }[];
  readonly proposal: string;
  constructor(file: string, missing: { table: string; column: string; type: string; nullable: boolean }[]) {
    const proposal = proposalYaml(missing);
    super(
      file,
      `${missing.length} column(s) of the source have no rule: ${missing.map((m) => `${m.table}.${m.column}`).join(', ')}. No data was copied`,
      `classify every column; proposed rules to review and paste into the file:\n${proposal}`
    );
    this.missing = missing;
    this.proposal = proposal;
  }
}

const fileError = (file: string, where: string, problem: string, fix: string) =>
  new InputError(`${file}: ${where}`, problem, fix);

/** Check the rules against the source schema: every table and column classified, every rule applicable. */
export function planCopy(rules: Rules, tables: readonly TableInfo[], file = 'rules'): TablePlan[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  for (const name of rules.tables.keys())
    if (!byName.has(name))
      throw fileError(
        file,
        `tables.${name}`,
        'is not a table of the source',
        `remove it, or check the name (source tables: ${[...byName.keys()].join(', ') || 'none'})`
      );
  const missing: { table: string; column: string; type: string; nullable: boolean }[] = [];
  const plans: TablePlan[] = [];
  for (const info of tables) {
    const rule: TableRule | undefined = rules.tables.get(info.name);
    if (rule?.truncate) {
      plans.push({ info, truncate: true, columns: [], filter: null });
      continue;
    }
    const copied = info.columns.filter((c) => !c.generated);
    for (const c of copied)
      if (!rule?.columns.has(c.name))
        missing.push({ table: info.name, column: c.name, type: c.type, nullable: c.nullable });
    if (rule)
      for (const col of rule.columns.keys())
        if (!info.columns.some((c) => c.name === col))
          throw fileError(
            file,
            `tables.${info.name}.columns.${col}`,
            `is not a column of ${info.name}`,
            `remove it (columns: ${info.columns.map((c) => c.name).join(', ')})`
          );
    const columns = copied.map((c) => ({
      info: c,
      transformer: rule?.columns.get(c.name) ?? ({ kind: 'keep' } as Transformer)
    }));
    for (const { info: c, transformer: t } of columns) checkApplicable(file, info, c, t);
    plans.push({ info, truncate: false, columns, filter: null });
  }
  if (missing.length) throw new UnclassifiedColumnsError(file, missing);
  return withSubsets(plans, rules);
}

function checkApplicable(file: string, table: TableInfo, c: ColumnInfo, t: Transformer): void {
  const at = `tables.${table.name}.columns.${c.name}`;
  const text = TEXT_TYPES.test(c.type);
  if (t.kind === 'null' && !c.nullable)
    throw fileError(file, at, `is null, but ${c.name} is NOT NULL`, 'use constant, hash or a fake instead');
  if (['hash', 'email', 'name', 'phone', 'regex-replace'].includes(t.kind) && !text)
    throw fileError(
      file,
      at,
      `${t.kind} writes text, but ${c.name} is ${c.type}`,
      'use keep, null or constant for this type, or cast the column to text in the schema'
    );
  if (t.kind === 'email' && c.maxLength !== undefined && c.maxLength < 64)
    throw fileError(
      file,
      at,
      `email fakes need up to 64 characters, ${c.name} is ${c.type}`,
      'use hash with a length that fits, or widen the column'
    );
  if (t.kind === 'shift-date') {
    if (!DATE_TYPES.test(c.type))
      throw fileError(
        file,
        at,
        `shift-date needs a date or timestamp, ${c.name} is ${c.type}`,
        'use keep, null or constant'
      );
    if (!table.primaryKey.length)
      throw fileError(
        file,
        at,
        `shift-date keys its offset on the primary key, and ${table.name} has none`,
        'add a primary key, or use null or constant'
      );
  }
}

/**
 * Subsets stay consistent: a table whose rows are limited (its own `where`, or truncate) limits every table
 * referencing it, recursively, so no copied row points at a row that was not copied.
 */
function withSubsets(plans: TablePlan[], rules: Rules): TablePlan[] {
  const byName = new Map(plans.map((p) => [p.info.name, p]));
  const memo = new Map<string, string | null>();
  const condition = (name: string, seen: Set<string>): string | null => {
    if (memo.has(name)) return memo.get(name)!;
    const plan = byName.get(name);
    if (!plan) return null; // a table outside the copied schemas: not ours to limit
    if (plan.truncate) return 'false';
    if (seen.has(name)) return null; // a cycle of references: the rows on it are kept whole
    const next = new Set(seen).add(name);
    const parts: string[] = [];
    const where = rules.tables.get(name)?.where;
    if (where) parts.push(`(${where})`);
    for (const fk of plan.info.foreignKeys) {
      if (fk.parent === name) continue; // self reference: a where on it must keep parents itself
      const parentCond = condition(fk.parent, next);
      if (parentCond === null) continue;
      const parent = byName.get(fk.parent)!.info;
      const alias = `p_${fk.name.replace(/\W/g, '_')}`.slice(0, 60);
      const join = fk.columns
        .map(
          (c, i) =>
            `${alias}.${quoteIdent(fk.parentColumns[i]!)} = ${quoteTable(plan.info.schema, plan.info.table)}.${quoteIdent(c)}`
        )
        .join(' AND ');
      const anyNull = fk.columns
        .map((c) => `${quoteTable(plan.info.schema, plan.info.table)}.${quoteIdent(c)} IS NULL`)
        .join(' OR ');
      parts.push(
        `(${anyNull} OR EXISTS (SELECT 1 FROM ${quoteTable(parent.schema, parent.table)} ${alias} WHERE ${join} AND ${qualifyParent(parentCond, parent, alias)}))`
      );
    }
    const cond = parts.length ? parts.join(' AND ') : null;
    if (!seen.size) memo.set(name, cond);
    return cond;
  };
  return plans.map((p) => ({ ...p, filter: p.truncate ? null : condition(p.info.name, new Set()) }));
}

/** Inside the EXISTS, the parent's own condition refers to it by its alias. */
function qualifyParent(cond: string, parent: TableInfo, alias: string): string {
  return cond.split(`${quoteTable(parent.schema, parent.table)}.`).join(`${alias}.`);
}

/** The statement the source runs for one table. */
export function selectSql(plan: TablePlan): string {
  const t = plan.info;
  const cols = plan.columns.map((c) => quoteIdent(c.info.name)).join(', ');
  return `SELECT ${cols} FROM ${quoteTable(t.schema, t.table)}${plan.filter ? ` WHERE ${plan.filter}` : ''}`;
}

/** Columns whose values change: the `masked-columns` output. */
export function maskedColumns(plans: readonly TablePlan[]): string[] {
  return plans.flatMap((p) =>
    p.columns.filter((c) => c.transformer.kind !== 'keep').map((c) => `${p.info.name}.${c.info.name}`)
  );
}

/** Columns the leak check samples: masked ones, and those the classifier flags whatever their rule. */
export function leakColumns(
  plans: readonly TablePlan[]
): { plan: TablePlan; column: ColumnInfo; transformer: Transformer }[] {
  return plans.flatMap((p) =>
    p.columns
      .filter(
        (c) =>
          c.transformer.kind !== 'null' &&
          (c.transformer.kind !== 'keep' || classify(c.info.name, c.info.type) !== null)
      )
      .map((c) => ({ plan: p, column: c.info, transformer: c.transformer }))
  );
}

import type pg from 'pg';
import { quoteIdent, quoteTable } from './catalog.js';
import { leakColumns, type TablePlan } from './plan.js';

export interface LeakFinding {
  /** `schema.table.column`: never the value. */
  column: string;
  sampled: number;
  hits: number;
}

export interface LeakReport {
  columns: number;
  sampled: number;
  findings: LeakFinding[];
}

/**
 * A sample of source values, for every masked column and every column the classifier flags whatever its
 * rule, looked up in the freshly copied target schema before it goes live. With a primary key a hit is the
 * same row still holding its source value (a fake that happens to equal another person's real value is
 * not a hit); without one, the value anywhere in the column. The values never leave this function.
 */
export async function leakCheck(
  source: pg.Client,
  target: pg.Client,
  plans: readonly TablePlan[],
  targetSchemaOf: (schema: string) => string,
  sampleSize: number
): Promise<LeakReport> {
  const findings: LeakFinding[] = [];
  let sampled = 0;
  const cols = leakColumns(plans);
  for (const { plan, column } of cols) {
    const t = plan.info;
    const pk = t.primaryKey.length ? `ROW(${t.primaryKey.map(quoteIdent).join(', ')})::text` : `''`;
    const sample = await source.query<{ k: string; v: string }>(
      `SELECT ${pk} AS k, ${quoteIdent(column.name)}::text AS v FROM ${quoteTable(t.schema, t.table)}
        WHERE ${quoteIdent(column.name)} IS NOT NULL AND ${quoteIdent(column.name)}::text <> ''${plan.filter ? ` AND (${plan.filter})` : ''}
        ORDER BY random() LIMIT ${Math.max(1, Math.floor(sampleSize))}`
    );
    if (!sample.rowCount) continue;
    sampled += sample.rows.length;
    const keys = sample.rows.map((r) => r.k);
    const values = sample.rows.map((r) => r.v);
    const tt = quoteTable(targetSchemaOf(t.schema), t.table);
    const match = t.primaryKey.length
      ? `ROW(${t.primaryKey.map((c) => `t.${quoteIdent(c)}`).join(', ')})::text = s.k AND t.${quoteIdent(column.name)}::text = s.v`
      : `t.${quoteIdent(column.name)}::text = s.v`;
    const hits = await target.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${tt} t JOIN unnest($1::text[], $2::text[]) AS s(k, v) ON ${match}`,
      [keys, values]
    );
    const n = Number(hits.rows[0]!.n);
    if (n > 0) findings.push({ column: `${t.name}.${column.name}`, sampled: sample.rows.length, hits: n });
  }
  return { columns: cols.length, sampled, findings };
}

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
 *
 * Cost: each column's sample first reads a few pages of a large table (TABLESAMPLE SYSTEM, enough pages
 * for about 20 times the sample), and reads the whole table only when those hold too few values; a
 * table's columns are looked up in the copy in one pass when it has a primary key.
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
  const size = Math.max(1, Math.floor(sampleSize));
  for (const plan of plans) {
    const columns = cols.filter((c) => c.plan === plan).map((c) => c.column);
    if (!columns.length) continue;
    const t = plan.info;
    const rows = await estimatedRows(source, t.schema, t.table);
    const samples: { column: string; keys: string[]; values: string[] }[] = [];
    for (const column of columns) {
      const rowsOf = (from: string) =>
        source.query<{ k: string; v: string }>(
          `SELECT ${t.primaryKey.length ? `ROW(${t.primaryKey.map(quoteIdent).join(', ')})::text` : `''`} AS k, ${quoteIdent(column.name)}::text AS v FROM ${from}
            WHERE ${quoteIdent(column.name)} IS NOT NULL AND ${quoteIdent(column.name)}::text <> ''${plan.filter ? ` AND (${plan.filter})` : ''}
            ORDER BY random() LIMIT ${size}`
        );
      const table = quoteTable(t.schema, t.table);
      const percent = rows > 0 ? (100 * 20 * size) / rows : 100;
      // A partitioned parent is read whole (its row estimate comes from the partitions, its pages do not).
      let sample =
        percent < 50 && !t.partitioned
          ? await rowsOf(`${table} TABLESAMPLE SYSTEM (${percent.toFixed(6)})`)
          : undefined;
      if (!sample || sample.rows.length < size) sample = await rowsOf(table);
      if (!sample.rowCount) continue;
      sampled += sample.rows.length;
      samples.push({
        column: column.name,
        keys: sample.rows.map((r) => r.k),
        values: sample.rows.map((r) => r.v)
      });
    }
    if (!samples.length) continue;
    const tt = quoteTable(targetSchemaOf(t.schema), t.table);
    const hits = new Map<string, number>();
    if (t.primaryKey.length) {
      // One pass over the copy for all the table's columns: the sample rows joined on the primary key.
      const which = samples.flatMap((s, i) => s.keys.map(() => i));
      const r = await target.query<{ i: number; n: string }>(
        `SELECT s.i, count(*)::text AS n FROM ${tt} t JOIN unnest($1::int[], $2::text[], $3::text[]) AS s(i, k, v)
            ON ROW(${t.primaryKey.map((c) => `t.${quoteIdent(c)}`).join(', ')})::text = s.k
         WHERE (CASE s.i ${samples.map((s, i) => `WHEN ${i} THEN t.${quoteIdent(s.column)}::text`).join(' ')} END) = s.v
         GROUP BY s.i`,
        [which, samples.flatMap((s) => s.keys), samples.flatMap((s) => s.values)]
      );
      for (const x of r.rows) hits.set(samples[x.i]!.column, Number(x.n));
    } else {
      for (const s of samples) {
        const r = await target.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${tt} t JOIN unnest($1::text[]) AS s(v) ON t.${quoteIdent(s.column)}::text = s.v`,
          [s.values]
        );
        hits.set(s.column, Number(r.rows[0]!.n));
      }
    }
    for (const s of samples) {
      const n = hits.get(s.column) ?? 0;
      if (n > 0) findings.push({ column: `${t.name}.${s.column}`, sampled: s.values.length, hits: n });
    }
  }
  return { columns: cols.length, sampled, findings };
}

/** The planner's row estimate (a partitioned parent's is the sum of its partitions'); 0 when unknown. */
async function estimatedRows(source: pg.Client, schema: string, table: string): Promise<number> {
  const r = await source.query<{ n: string | null }>(
    `SELECT sum(greatest(c.reltuples, 0))::text AS n FROM pg_class c
      WHERE c.oid = $1::regclass OR c.oid IN (SELECT relid FROM pg_partition_tree($1::regclass) WHERE isleaf)`,
    [quoteTable(schema, table)]
  );
  return Number(r.rows[0]?.n ?? 0);
}

import type pg from 'pg';

/** What the copy needs to know of the source schema, read inside the copy's snapshot. */
export interface ColumnInfo {
  name: string;
  /** format_type(), e.g. `character varying(120)`. */
  type: string;
  nullable: boolean;
  /** Generated (stored) columns are recomputed by the target; they are not copied. */
  generated: boolean;
  maxLength?: number;
}

export interface ForeignKey {
  name: string;
  columns: string[];
  /** `schema.table` */
  parent: string;
  parentColumns: string[];
}

export interface TableInfo {
  /** `schema.table` */
  name: string;
  schema: string;
  table: string;
  partitioned: boolean;
  columns: ColumnInfo[];
  primaryKey: string[];
  foreignKeys: ForeignKey[];
}

export interface SequenceInfo {
  name: string;
  lastValue: string | null;
}

export const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
export const quoteTable = (schema: string, table: string) => `${quoteIdent(schema)}.${quoteIdent(table)}`;
export const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Ordinary and partitioned tables; partitions are copied through their parent. */
export async function readTables(client: pg.Client, schemas: readonly string[]): Promise<TableInfo[]> {
  const tables = await client.query<{ oid: number; schema: string; table: string; kind: string }>(
    `SELECT c.oid, n.nspname AS schema, c.relname AS table, c.relkind AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY n.nspname, c.relname`,
    [schemas]
  );
  const cols = await client.query<{
    oid: number;
    name: string;
    type: string;
    notnull: boolean;
    generated: string;
    typmod: number;
    typname: string;
  }>(
    `SELECT a.attrelid AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, a.attgenerated AS generated, a.atttypmod AS typmod, t.typname
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [tables.rows.map((t) => t.oid)]
  );
  const cons = await client.query<{
    oid: number;
    name: string;
    type: string;
    cols: string[];
    parent: string | null;
    pcols: string[] | null;
  }>(
    `SELECT c.conrelid AS oid, c.conname AS name, c.contype AS type,
            ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS cols,
            CASE WHEN c.contype = 'f' THEN pn.nspname || '.' || p.relname END AS parent,
            CASE WHEN c.contype = 'f' THEN ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)::text[] END AS pcols
       FROM pg_constraint c
       LEFT JOIN pg_class p ON p.oid = c.confrelid
       LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
      WHERE c.conrelid = ANY($1) AND c.contype IN ('p', 'f') AND c.conparentid = 0
      ORDER BY c.conname`,
    [tables.rows.map((t) => t.oid)]
  );
  return tables.rows.map((t) => {
    const columns = cols.rows
      .filter((c) => c.oid === t.oid)
      .map((c) => ({
        name: c.name,
        type: c.type,
        nullable: !c.notnull,
        generated: c.generated !== '',
        ...(['varchar', 'bpchar'].includes(c.typname) && c.typmod > 4 ? { maxLength: c.typmod - 4 } : {})
      }));
    const own = cons.rows.filter((c) => c.oid === t.oid);
    return {
      name: `${t.schema}.${t.table}`,
      schema: t.schema,
      table: t.table,
      partitioned: t.kind === 'p',
      columns,
      primaryKey: own.find((c) => c.type === 'p')?.cols ?? [],
      foreignKeys: own
        .filter((c) => c.type === 'f')
        .map((c) => ({ name: c.name, columns: c.cols, parent: c.parent!, parentColumns: c.pcols! }))
    };
  });
}

export async function readSequences(client: pg.Client, schemas: readonly string[]): Promise<SequenceInfo[]> {
  const r = await client.query<{ schemaname: string; sequencename: string; last_value: string | null }>(
    `SELECT schemaname, sequencename, last_value::text FROM pg_sequences WHERE schemaname = ANY($1) ORDER BY 1, 2`,
    [schemas]
  );
  return r.rows.map((s) => ({ name: `${s.schemaname}.${s.sequencename}`, lastValue: s.last_value }));
}

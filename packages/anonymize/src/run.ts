import { writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { InputError, formatMs, type Executor, type Logger } from '../../core/src/index.js';
import { AnonymizeError } from './errors.js';
import { connect, libpqEnv, redact, type DatabaseTarget } from '../../migrate/src/index.js';
import { quoteIdent, quoteLiteral, quoteTable, readSequences, readTables } from './catalog.js';
import { leakCheck, type LeakReport } from './leak.js';
import { maskedColumns, planCopy, selectSql, type TablePlan } from './plan.js';
import { parseRules } from './rules.js';
import { pgDumpSectionArgv, schemaDdl } from './schema.js';
import { MaskStream } from './stream.js';

export interface AnonymizeOptions {
  source: DatabaseTarget;
  target: DatabaseTarget;
  rulesText: string;
  /** Named in errors (`rules.yml: tables.users.columns.email`). */
  rulesFile: string;
  /** The hash key of every transformer. */
  salt: string;
  /** Schemas copied and swapped whole (default public). */
  schemas: string[];
  /** Folder holding pg_dump (default: PATH). */
  pgBin?: string;
  /** Source values sampled per column by the leak check. */
  leakSample: number;
  /** Write the evidence JSON here. */
  evidenceFile?: string;
  /**
   * Tables copied at once (default 3), each on its own source and target connection, the source ones
   * all in the one exported snapshot. The run opens 2 + 2 × jobs connections.
   */
  jobs?: number;
}

export interface TableResult {
  table: string;
  rows: number;
  truncated: boolean;
  subset: boolean;
  masked: string[];
}

export interface AnonymizeResult {
  tables: TableResult[];
  rulesChecksum: string;
  maskedColumns: string[];
  leak: LeakReport;
  sequences: number;
  durationMs: number;
}

export interface AnonymizeDeps {
  logger: Logger;
  executor: Executor;
}

const NEW = 'anon_new_';
const HOLD = 'anon_hold_';
const OLD = 'anon_old_';
/** The copy's schema in the target while it loads; invisible to the app until the swap. */
export const loadingSchema = (schema: string) => `${NEW}${schema}`.slice(0, 63);

const READ_ONLY = '-c default_transaction_read_only=on -c TimeZone=UTC';
const WRITE = '-c TimeZone=UTC';
const open = (target: DatabaseTarget, options: string, applicationName: string) =>
  connect(target, { applicationName, options });

/**
 * Copy the source into the target through the rules. Order: rules parsed, both ends opened, the wrong way
 * refused, the source's schema read in one repeatable-read snapshot and every column checked against the
 * rules — all before the first write. Then the copy loads into fresh schemas, the leak check samples it,
 * and one transaction swaps it into place. Any failure drops the fresh schemas: staging stays as it was.
 */
export async function anonymize(options: AnonymizeOptions, deps: AnonymizeDeps): Promise<AnonymizeResult> {
  const started = Date.now();
  const { logger } = deps;
  const rules = parseRules(options.rulesText, options.rulesFile);
  const hide = (text: string) => redact(redact(text, options.source), options.target);
  const source = await open(options.source, READ_ONLY, 'deploy-actions anonymize-data (read)');
  let target: pg.Client | undefined;
  const created: string[] = [];
  try {
    target = await open(options.target, WRITE, 'deploy-actions anonymize-data');
    await refuseSameDatabase(source, target, options);
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await source.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
    const tables = await readTables(source, options.schemas);
    const plans = planCopy(rules, tables, options.rulesFile);
    await checkFilters(source, plans, options.rulesFile);
    const sequences = await readSequences(source, options.schemas);
    const dump = async (section: 'pre-data' | 'post-data') =>
      schemaDdl(
        (
          await deps.executor.run({
            argv: pgDumpSectionArgv(section, options.schemas, snapshot, options.pgBin),
            env: libpqEnv(options.source),
            step: `pg_dump --section=${section} of the source`
          })
        ).stdout
      );
    const pre = await dump('pre-data');
    const post = await dump('post-data');
    logger.info(
      `Rules ${options.rulesFile} (sha256 ${rules.checksum.slice(0, 12)}) classify every column of ${plans.length} table(s); copying ${options.source.display} → ${options.target.display}`
    );

    // A killed earlier run may have left its loading schemas: they were never live, drop them.
    for (const s of options.schemas)
      await target.query(`DROP SCHEMA IF EXISTS ${quoteIdent(loadingSchema(s))} CASCADE`);
    await createLoadingSchemas(target, options.schemas, pre);
    created.push(...options.schemas.map(loadingSchema));

    const results = await copyTables(plans, snapshot, options, logger);
    for (const seq of sequences) {
      if (seq.lastValue === null) continue;
      const [schema, name] = [
        seq.name.slice(0, seq.name.indexOf('.')),
        seq.name.slice(seq.name.indexOf('.') + 1)
      ];
      await target.query(`SELECT setval(${quoteLiteral(quoteTable(loadingSchema(schema), name))}, $1)`, [
        seq.lastValue
      ]);
    }

    const leakStarted = Date.now();
    const leak = await logger.group('Leak check', async () =>
      leakCheck(source, target!, plans, loadingSchema, options.leakSample)
    );
    logger.info(
      `Leak check: ${leak.sampled} source value(s) sampled over ${leak.columns} column(s), ${leak.findings.length} column(s) with a hit, in ${formatMs(Date.now() - leakStarted)}`
    );
    if (leak.findings.length) {
      throw new AnonymizeError(
        `Leak check: source values found unchanged in the copy, in ${leak.findings.map((f) => `${f.column} (${f.hits} of ${f.sampled} sampled)`).join(', ')}`,
        {
          state: 'the copy was discarded; the target holds its previous data',
          hint: 'give these columns a masking rule (email, name, phone, hash, null, constant) instead of keep, and run again'
        }
      );
    }
    await source.query('COMMIT');
    const swapStarted = Date.now();
    await swap(target, options.schemas, post);
    logger.info(
      `Swapped the copy into place, constraints and indexes built, in ${formatMs(Date.now() - swapStarted)}`
    );
    created.length = 0;
    for (const s of options.schemas)
      await target.query(`DROP SCHEMA IF EXISTS ${quoteIdent(`${OLD}${s}`.slice(0, 63))} CASCADE`);
    const result: AnonymizeResult = {
      tables: results,
      rulesChecksum: rules.checksum,
      maskedColumns: maskedColumns(plans),
      leak,
      sequences: sequences.length,
      durationMs: Date.now() - started
    };
    if (options.evidenceFile)
      writeFileSync(options.evidenceFile, evidenceJson(result, options), { mode: 0o600 });
    logger.info(`Copied ${results.reduce((n, t) => n + t.rows, 0)} row(s) in ${formatMs(result.durationMs)}`);
    return result;
  } catch (err) {
    for (const s of created)
      await target?.query(`DROP SCHEMA IF EXISTS ${quoteIdent(s)} CASCADE`).catch(() => {});
    if (err instanceof Error) err.message = hide(err.message);
    throw err;
  } finally {
    await source.end().catch(() => {});
    await target?.end().catch(() => {});
  }
}

async function refuseSameDatabase(
  source: pg.Client,
  target: pg.Client,
  options: AnonymizeOptions
): Promise<void> {
  const id = 'SELECT system_identifier::text AS sys, current_database() AS db FROM pg_control_system()';
  const [a, b] = [
    (await source.query<{ sys: string; db: string }>(id)).rows[0]!,
    (await target.query<{ sys: string; db: string }>(id)).rows[0]!
  ];
  if (a.sys === b.sys && a.db === b.db)
    throw new InputError(
      'target-url',
      `is the source database (${options.target.display}: same cluster ${a.sys}, same database ${a.db})`,
      'point target-url at the staging database, never at the source'
    );
}

/** Each table's row selection runs once, empty, so a bad `where` fails naming its table before any write. */
async function checkFilters(source: pg.Client, plans: readonly TablePlan[], file: string): Promise<void> {
  for (const plan of plans) {
    if (plan.truncate || !plan.filter) continue;
    await source.query('SAVEPOINT anon_check');
    try {
      await source.query(`EXPLAIN ${selectSql(plan)}`);
      await source.query('RELEASE SAVEPOINT anon_check');
    } catch (e) {
      await source.query('ROLLBACK TO SAVEPOINT anon_check');
      throw new InputError(
        `${file}: tables.${plan.info.name}.where`,
        `does not run on the source (${(e as Error).message})`,
        'fix the SQL condition; it is evaluated on that table, in the rows kept by the tables it references'
      );
    }
  }
}

/**
 * pg_dump writes every name as `schema.name`. To load it under another name, the target's live schema
 * steps aside inside one short transaction: live → hold, DDL into a new schema of the live name, that
 * → loading name, hold → live. Nothing outside this transaction ever sees the exchange.
 */
async function createLoadingSchemas(
  target: pg.Client,
  schemas: readonly string[],
  ddl: string
): Promise<void> {
  await target.query('BEGIN');
  try {
    const live = await existing(target, schemas);
    for (const s of live)
      await target.query(`ALTER SCHEMA ${quoteIdent(s)} RENAME TO ${quoteIdent(`${HOLD}${s}`.slice(0, 63))}`);
    for (const s of schemas) await target.query(`CREATE SCHEMA ${quoteIdent(s)}`);
    await target.query(ddl);
    await target.query('RESET search_path');
    for (const s of schemas)
      await target.query(`ALTER SCHEMA ${quoteIdent(s)} RENAME TO ${quoteIdent(loadingSchema(s))}`);
    for (const s of live)
      await target.query(`ALTER SCHEMA ${quoteIdent(`${HOLD}${s}`.slice(0, 63))} RENAME TO ${quoteIdent(s)}`);
    await target.query('COMMIT');
  } catch (e) {
    await target.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** The swap: in one transaction the live schemas step aside, the copy takes their names, constraints are built. */
async function swap(target: pg.Client, schemas: readonly string[], postDdl: string): Promise<void> {
  await target.query('BEGIN');
  try {
    const live = await existing(target, schemas);
    for (const s of live)
      await target.query(`ALTER SCHEMA ${quoteIdent(s)} RENAME TO ${quoteIdent(`${OLD}${s}`.slice(0, 63))}`);
    for (const s of schemas)
      await target.query(`ALTER SCHEMA ${quoteIdent(loadingSchema(s))} RENAME TO ${quoteIdent(s)}`);
    try {
      await target.query(postDdl);
    } catch (e) {
      throw new AnonymizeError(
        `Building the constraints and indexes of the copy failed: ${(e as Error).message}`,
        {
          state: 'the copy was discarded; the target holds its previous data',
          hint: 'a unique constraint on a masked column needs a transformer that keeps values distinct (email, hash); a foreign key on a masked column needs the same transformer on both sides'
        }
      );
    }
    await target.query('RESET search_path');
    await target.query('COMMIT');
  } catch (e) {
    await target.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

async function existing(target: pg.Client, schemas: readonly string[]): Promise<string[]> {
  const r = await target.query<{ nspname: string }>(
    'SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)',
    [schemas]
  );
  return schemas.filter((s) => r.rows.some((x) => x.nspname === s));
}

/**
 * Every table, `jobs` at a time. Each lane has its own source connection, in the snapshot the main one
 * exported (so all tables are read as of one instant), and its own target connection. On the first
 * failure no lane takes another table, and the lanes' connections are closed, which stops their copies.
 */
async function copyTables(
  plans: readonly TablePlan[],
  snapshot: string,
  options: AnonymizeOptions,
  logger: Logger
): Promise<TableResult[]> {
  const queue = plans.filter((p) => !p.truncate);
  const results = new Map<TablePlan, TableResult>();
  for (const plan of plans.filter((p) => p.truncate)) {
    logger.info(`${plan.info.name}: truncated (copied empty)`);
    results.set(plan, { table: plan.info.name, rows: 0, truncated: true, subset: false, masked: [] });
  }
  const wanted = Number.isFinite(options.jobs) ? Math.floor(options.jobs!) : 3;
  const jobs = Math.max(1, Math.min(wanted, queue.length));
  const clients: pg.Client[] = [];
  let failure: { error: unknown } | undefined;
  const stopAll = (error: unknown) => {
    failure ??= { error };
    for (const c of clients) void c.end().catch(() => {});
  };
  const opened = async (client: Promise<pg.Client>) => {
    const c = await client;
    clients.push(c);
    if (failure) throw new Error('stopped: another table failed');
    return c;
  };
  const lane = async (n: number) => {
    try {
      const source = await opened(
        open(options.source, READ_ONLY, `deploy-actions anonymize-data (read ${n})`)
      );
      await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await source.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}`);
      const target = await opened(open(options.target, WRITE, `deploy-actions anonymize-data (write ${n})`));
      for (let plan = queue.shift(); plan && !failure; plan = queue.shift())
        results.set(plan, await copyTable(source, target, plan, options.salt, logger));
    } catch (e) {
      stopAll(e);
    }
  };
  await Promise.all(Array.from({ length: queue.length ? jobs : 0 }, (_, i) => lane(i + 1)));
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  if (failure) throw failure.error;
  return plans.map((p) => results.get(p)!);
}

async function copyTable(
  source: pg.Client,
  target: pg.Client,
  plan: TablePlan,
  salt: string,
  logger: Logger
): Promise<TableResult> {
  const t = plan.info;
  const masked = plan.columns.filter((c) => c.transformer.kind !== 'keep').map((c) => c.info.name);
  const started = Date.now();
  const cols = plan.columns.map((c) => quoteIdent(c.info.name)).join(', ');
  const mask = new MaskStream(plan, salt);
  // A whole plain table is read by COPY itself (as pg_dump does), which costs the server less than a query.
  const whole = !plan.filter && !t.partitioned;
  const out = source.query(
    copyTo(
      whole
        ? `COPY ${quoteTable(t.schema, t.table)} (${cols}) TO STDOUT`
        : `COPY (${selectSql(plan)}) TO STDOUT`
    )
  );
  const into = target.query(
    copyFrom(`COPY ${quoteTable(loadingSchema(t.schema), t.table)} (${cols}) FROM STDIN`)
  );
  await pipeline(out, mask, into);
  logger.info(
    `${t.name}: ${mask.rows} row(s)${plan.filter ? ' (subset)' : ''}, masked ${masked.join(', ') || 'none'} in ${formatMs(Date.now() - started)}`
  );
  return { table: t.name, rows: mask.rows, truncated: false, subset: plan.filter !== null, masked };
}

export function evidenceJson(
  result: AnonymizeResult,
  options: Pick<AnonymizeOptions, 'source' | 'target' | 'rulesFile'>
): string {
  return JSON.stringify(
    {
      kind: 'anonymize-data',
      source: options.source.display,
      target: options.target.display,
      rules: options.rulesFile,
      rulesChecksum: result.rulesChecksum,
      tables: result.tables,
      maskedColumns: result.maskedColumns,
      leakCheck: result.leak,
      sequences: result.sequences,
      durationMs: result.durationMs
    },
    null,
    2
  );
}

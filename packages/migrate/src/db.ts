import { createHash } from 'node:crypto';
import pg from 'pg';
import { ConnectionError, InputError, LockError, formatMs } from '../../core/src/index.js';
import { canonicalVersion, compareVersions } from './files.js';
import { redact, type DatabaseTarget } from './url.js';

/** PostgreSQL access: connections with errors a person can act on, the history table, the advisory lock. */
export type Client = pg.Client;

export interface ServerInfo {
  version: string;
  versionNum: number;
}

/** NAMEDATALEN - 1: longer application names are truncated by the server anyway. */
const MAX_APP_NAME = 63;

export interface ConnectOptions {
  /** Shown in pg_stat_activity (truncated to 63 characters, as the server would). */
  applicationName: string;
  connectTimeoutMs?: number;
  /** Server settings for the session, as libpq's `options` (`-c default_transaction_read_only=on`). */
  options?: string;
}

export async function connect(target: DatabaseTarget, options: ConnectOptions): Promise<Client> {
  const client = new pg.Client({
    connectionString: target.url,
    application_name: options.applicationName.slice(0, MAX_APP_NAME),
    connectionTimeoutMillis: options.connectTimeoutMs ?? 15_000,
    ...(options.options ? { options: options.options } : {})
  });
  // An idle client whose server goes away emits 'error'; without a listener that would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw connectionError(err, target);
  }
  return client;
}

/** Distinct errors for the failures people hit: refused, unknown host, timeout, password, database. */
export function connectionError(err: unknown, target: DatabaseTarget): ConnectionError {
  const e = err as { code?: string; message?: string };
  const where = `${target.host}:${target.port}`;
  const raw = redact(e.message ?? String(err), target);
  const state = 'nothing was changed: no connection was made';
  switch (e.code) {
    case 'ECONNREFUSED':
      return new ConnectionError(`Cannot connect to PostgreSQL at ${where}: connection refused`, {
        state,
        hint: 'check the host and port in database-url, that the server is running and that it listens where the runner can reach it (a service container needs its port mapped)'
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError(`Cannot connect to PostgreSQL: host "${target.host}" was not found`, {
        state,
        hint: 'check the host name in database-url; from a job container, use the service name'
      });
    case '28P01':
      return new ConnectionError(
        `PostgreSQL at ${where} refused the password for user "${target.user}" (authentication failed)`,
        { state, hint: 'check the password in the secret behind database-url (percent-encode @ : / in it)' }
      );
    case '28000':
      return new ConnectionError(`PostgreSQL at ${where} refused user "${target.user}": ${raw}`, {
        state,
        hint: "check the user in database-url and the server's pg_hba.conf"
      });
    case '3D000':
      return new ConnectionError(`Database "${target.database}" does not exist on PostgreSQL at ${where}`, {
        state,
        hint: 'check the database name in database-url, or create it first (CREATE DATABASE)'
      });
    default:
      if (/timeout/i.test(raw)) {
        return new ConnectionError(`Cannot connect to PostgreSQL at ${where}: no answer in time (${raw})`, {
          state,
          hint: 'check that the host is reachable from the runner (firewall, security group, VPN)'
        });
      }
      return new ConnectionError(`Cannot connect to PostgreSQL at ${where}: ${raw}`, { state });
  }
}

export async function serverInfo(client: Client): Promise<ServerInfo> {
  const r = await client.query<{ v: string; n: string }>(
    "SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n"
  );
  return { version: r.rows[0]!.v, versionNum: Number(r.rows[0]!.n) };
}

// ---------------------------------------------------------------------------------------------------
// The history table

export interface TableName {
  schema: string;
  table: string;
  /** "schema"."table", quoted. */
  sql: string;
  /** schema.table, for messages. */
  display: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** `name` or `schema.name`, plain identifiers only (they are quoted, but must not need to be). */
export function parseTableName(text: string, defaultSchema: string, input = 'history-table'): TableName {
  const parts = text.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENT.test(p) && p.length <= 63)) {
    throw new InputError(
      input,
      `"${text}" is not a table name`,
      'use letters, digits and _ as in schema.table'
    );
  }
  const schema = parts.length === 2 ? parts[0]! : defaultSchema;
  const table = parts[parts.length - 1]!;
  return { schema, table, sql: `${quoteIdent(schema)}.${quoteIdent(table)}`, display: `${schema}.${table}` };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export type RowStatus = 'applied' | 'failed' | 'reverted' | 'repaired';
export type RowKind = 'up' | 'down' | 'repair' | 'command' | 'baseline';
export type Execution = 'transaction' | 'no-transaction' | 'command' | 'none';

export interface HistoryRow {
  id: number;
  version: string;
  name: string;
  script: string;
  checksum: string | null;
  kind: RowKind;
  execution: Execution;
  status: RowStatus;
  durationMs: number;
  error: string | null;
  errorLine: number | null;
  appliedBy: string;
  appliedAt: string;
  runUrl: string;
}

export type NewHistoryRow = Omit<HistoryRow, 'id' | 'appliedAt'>;

/** One row per attempt, never updated: the state of a version is its latest row. */
export function createHistoryTableSql(t: TableName): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(t.schema)};
CREATE TABLE IF NOT EXISTS ${t.sql} (
  id bigserial PRIMARY KEY,
  version text NOT NULL,
  name text NOT NULL,
  script text NOT NULL,
  checksum text,
  kind text NOT NULL CHECK (kind IN ('up', 'down', 'repair', 'command', 'baseline')),
  execution text NOT NULL CHECK (execution IN ('transaction', 'no-transaction', 'command', 'none')),
  status text NOT NULL CHECK (status IN ('applied', 'failed', 'reverted', 'repaired')),
  duration_ms integer NOT NULL DEFAULT 0,
  error text,
  error_line integer,
  applied_by text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  run_url text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ${quoteIdent(`${t.table}_version_idx`)} ON ${t.sql} (version, id);`;
}

export function insertHistorySql(t: TableName): string {
  return `INSERT INTO ${t.sql} (version, name, script, checksum, kind, execution, status, duration_ms, error, error_line, applied_by, run_url)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;
}

export function historyParams(row: NewHistoryRow): unknown[] {
  return [
    row.version,
    row.name,
    row.script,
    row.checksum,
    row.kind,
    row.execution,
    row.status,
    Math.round(row.durationMs),
    row.error,
    row.errorLine,
    row.appliedBy,
    row.runUrl
  ];
}

export async function currentSchema(client: Client): Promise<string> {
  const r = await client.query<{ s: string | null }>('SELECT current_schema() AS s');
  return r.rows[0]?.s ?? 'public';
}

export async function historyTableExists(client: Client, t: TableName): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [t.sql]);
  return r.rows[0]?.ok === true;
}

export async function ensureHistoryTable(client: Client, t: TableName): Promise<void> {
  await client.query(createHistoryTableSql(t));
}

export async function readHistory(client: Client, t: TableName): Promise<HistoryRow[]> {
  if (!(await historyTableExists(client, t))) return [];
  const r = await client.query<Record<string, unknown>>(
    `SELECT id, version, name, script, checksum, kind, execution, status, duration_ms, error, error_line,
            applied_by, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS applied_at, run_url
       FROM ${t.sql} ORDER BY id`
  );
  return r.rows.map((x) => ({
    id: Number(x.id),
    version: String(x.version),
    name: String(x.name),
    script: String(x.script),
    checksum: (x.checksum as string | null) ?? null,
    kind: x.kind as RowKind,
    execution: x.execution as Execution,
    status: x.status as RowStatus,
    durationMs: Number(x.duration_ms),
    error: (x.error as string | null) ?? null,
    errorLine: x.error_line === null ? null : Number(x.error_line),
    appliedBy: String(x.applied_by),
    appliedAt: String(x.applied_at),
    runUrl: String(x.run_url)
  }));
}

export async function insertHistory(client: Client, t: TableName, row: NewHistoryRow): Promise<void> {
  await client.query(insertHistorySql(t), historyParams(row));
}

// ---------------------------------------------------------------------------------------------------
// The advisory lock

/**
 * One lock per history table, so two apps sharing a server but not a table do not wait on each other.
 * A signed 64-bit key from sha256, as pg_advisory_lock(bigint) takes.
 */
export function lockKey(t: TableName): string {
  const digest = createHash('sha256').update(`deploy-actions:run-migrations:${t.display}`).digest();
  return digest.readBigInt64BE(0).toString();
}

export interface LockHolder {
  pid: number;
  user: string;
  application: string;
  client: string;
  backendStart: string;
  state: string;
  query: string;
}

export interface LockResult {
  key: string;
  attempts: number;
  waitedMs: number;
  /** Who held it while we waited (the first holder seen). */
  waitedFor?: LockHolder;
}

/** The session holding advisory lock `key` in this database, from pg_locks and pg_stat_activity. */
export async function lockHolder(client: Client, key: string): Promise<LockHolder | undefined> {
  const r = await client.query<Record<string, unknown>>(
    `SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client_addr,
            to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS backend_start,
            a.state, left(a.query, 200) AS query
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint
      LIMIT 1`,
    [key]
  );
  const x = r.rows[0];
  if (!x) return undefined;
  return {
    pid: Number(x.pid),
    user: String(x.usename ?? ''),
    application: String(x.application_name ?? ''),
    client: String(x.client_addr ?? 'local socket'),
    backendStart: String(x.backend_start ?? ''),
    state: String(x.state ?? ''),
    query: String(x.query ?? '')
  };
}

export function describeHolder(h: LockHolder): string {
  const app = h.application ? `"${h.application}"` : '(no application_name)';
  return `pid ${h.pid}, application ${app}, user ${h.user}, from ${h.client}, connected since ${h.backendStart}, ${h.state}${
    h.query ? `, last query: ${h.query.replace(/\s+/g, ' ').slice(0, 120)}` : ''
  }`;
}

/**
 * Take the lock on `client`, a connection used for nothing else. Session-level on purpose: it is held
 * outside any transaction, so `CREATE INDEX CONCURRENTLY` on the working connection, which waits for
 * every transaction older than itself, has nothing to wait for (a lock held inside an open transaction,
 * on any connection, would make it wait forever). Polls pg_try_advisory_lock until `timeoutMs`.
 */
export async function acquireLock(
  client: Client,
  key: string,
  options: {
    timeoutMs: number;
    pollMs?: number;
    database: string;
    onWait?: (holder: LockHolder | undefined) => void;
  }
): Promise<LockResult> {
  const started = Date.now();
  const pollMs = options.pollMs ?? 250;
  let attempts = 0;
  let waitedFor: LockHolder | undefined;
  for (;;) {
    attempts++;
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
    if (r.rows[0]?.ok) {
      return { key, attempts, waitedMs: Date.now() - started, ...(waitedFor ? { waitedFor } : {}) };
    }
    const holder = await lockHolder(client, key);
    if (attempts === 1) {
      waitedFor = holder;
      options.onWait?.(holder);
    }
    const elapsed = Date.now() - started;
    if (elapsed >= options.timeoutMs) {
      const who = holder ?? waitedFor;
      throw new LockError(
        `Another migration run holds the lock on database "${options.database}" (advisory lock ${key}); waited ${formatMs(
          elapsed
        )} (lock-timeout), ${attempts} attempts. Holder: ${who ? describeHolder(who) : 'gone by the time it was looked up'}`,
        {
          state: 'nothing was changed by this run',
          hint: 'let the other run finish and re-run this one, or raise lock-timeout; if the holder is stuck, end it with SELECT pg_terminate_backend(<pid>) (the lock goes with its session)'
        }
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(pollMs, options.timeoutMs - elapsed)));
  }
}

export async function releaseLock(client: Client, key: string): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
}

// ---------------------------------------------------------------------------------------------------
// Another tool's bookkeeping

export interface ForeignHistory {
  tool: string;
  table: string;
  /** The highest version that tool recorded as applied. */
  version: string;
  /** golang-migrate's dirty flag. */
  dirty?: boolean;
}

/**
 * golang-migrate's `schema_migrations (version, dirty)`, Rails-style `schema_migrations (version)` and
 * Flyway's `flyway_schema_history`, in the connection's search path. Found while our own history is
 * empty, it means the schema exists already: applying every file again would fail half-way, or worse.
 */
export async function foreignHistory(client: Client): Promise<ForeignHistory | undefined> {
  const r = await client.query<{ sm: string | null; fw: string | null; dirty: boolean }>(
    `SELECT to_regclass('schema_migrations')::text AS sm, to_regclass('flyway_schema_history')::text AS fw,
            EXISTS (SELECT 1 FROM information_schema.columns
                     WHERE table_name = 'schema_migrations' AND column_name = 'dirty'
                       AND table_schema = ANY (current_schemas(false))) AS dirty`
  );
  const row = r.rows[0]!;
  if (row.sm) {
    if (row.dirty) {
      const v = await client.query<{ version: string; dirty: boolean }>(
        'SELECT version::text AS version, dirty FROM schema_migrations LIMIT 1'
      );
      const x = v.rows[0];
      if (x) return { tool: 'golang-migrate', table: row.sm, version: x.version, dirty: x.dirty };
    } else {
      const versions = await client.query<{ version: string }>(
        'SELECT version::text AS version FROM schema_migrations'
      );
      const top = maxVersion(versions.rows.map((x) => x.version));
      if (top) return { tool: 'schema_migrations (Rails or similar)', table: row.sm, version: top };
    }
  }
  if (row.fw) {
    const versions = await client.query<{ version: string | null }>(
      'SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL'
    );
    const top = maxVersion(versions.rows.map((x) => x.version ?? ''));
    if (top) return { tool: 'Flyway', table: row.fw, version: top };
  }
  return undefined;
}

function maxVersion(versions: string[]): string | undefined {
  const ok = versions.filter((v) => /^\d+(?:[._]\d+)*$/.test(v)).map(canonicalVersion);
  return ok.sort(compareVersions).pop();
}

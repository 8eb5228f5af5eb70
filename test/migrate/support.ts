import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { captureLogger, type Executor } from '../../packages/core/src/index.js';
import {
  loadMigrations,
  parseDatabaseUrl,
  runMigrations,
  type MigrateOptions,
  type MigrateResult
} from '../../packages/migrate/src/index.js';
import { infra } from '../support/infra.js';

/**
 * What the run-migrations suites share: per-test databases `da_migrate_<name>_<pid>` on the infra PostgreSQL
 * (dropped afterwards), folders of migration files, the engine run with test defaults, and the reads of a
 * database's tables and history.
 */
export function adminUrl(database = 'postgres'): string {
  const p = infra().postgres;
  return `postgres://${p.user}:${encodeURIComponent(p.password)}@${p.host}:${p.port}/${database}`;
}

export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(
  database: string,
  text: string,
  params: unknown[] = []
): Promise<T[]> {
  const c = new pg.Client({ connectionString: adminUrl(database) });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

export interface TestDb {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createDb(label: string): Promise<TestDb> {
  const name = `da_migrate_${label}_${process.pid}`;
  await sql('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await sql('postgres', `CREATE DATABASE ${name}`);
  return {
    name,
    url: adminUrl(name),
    drop: () => sql('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined)
  };
}

export interface FreshDb {
  db: TestDb;
  dir: string;
}

/**
 * The setup a suite registers once: a fresh database and a folder holding `files` before each test (before
 * the suite with `{ once: true }`), both removed after. `take` gets them: `(f) => ({ db, dir } = f)`.
 */
export function withFreshDb(
  label: string,
  files: Record<string, string>,
  take: (fresh: FreshDb) => void,
  { once = false } = {}
): void {
  let fresh: FreshDb | undefined;
  (once ? beforeAll : beforeEach)(async () => {
    const db = await createDb(once ? label : `${label}_${Math.floor(Math.random() * 1e6)}`);
    fresh = { db, dir: migrationsDir(files) };
    take(fresh);
  });
  (once ? afterAll : afterEach)(async () => {
    if (!fresh) return;
    await fresh.db.drop();
    removeDir(fresh.dir);
    fresh = undefined;
  });
}

/** A temp folder of migration files: { 'V1__a.sql': 'CREATE TABLE a (id int);' }. */
export function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'da-migrate-'));
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const context = {
  actor: 'octocat',
  runUrl: 'https://github.com/acme/shop/actions/runs/42/attempts/1',
  repository: 'acme/shop',
  runId: '42',
  runAttempt: '1'
};

/** Run the engine on `dir` against `url` with test defaults; returns the result and the log. */
export async function migrate(
  url: string,
  dir: string,
  overrides: Partial<MigrateOptions> = {},
  executor?: Executor
): Promise<MigrateResult & { log: string }> {
  const logger = captureLogger();
  const database = parseDatabaseUrl(url);
  logger.secret(database.password);
  const options: MigrateOptions = {
    mode: 'apply',
    database,
    migrations: loadMigrations(dir),
    dir,
    lockTimeoutMs: 5000,
    lockPollMs: 100,
    statementTimeoutMs: 0,
    allowOutOfOrder: false,
    historyTable: 'deploy_actions_migrations',
    app: 'shop',
    environment: 'test',
    ...overrides
  };
  const result = await runMigrations(options, { logger, context, ...(executor ? { executor } : {}) });
  return Object.assign(result, { log: logger.text() });
}

export async function tables(database: string): Promise<string[]> {
  const rows = await sql<{ t: string }>(
    database,
    "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'deploy_actions_migrations' ORDER BY 1"
  );
  return rows.map((r) => r.t);
}

export async function historyRows(database: string): Promise<Record<string, unknown>[]> {
  return sql(database, 'SELECT * FROM deploy_actions_migrations ORDER BY id');
}

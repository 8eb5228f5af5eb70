import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createHistoryTableSql, lockKey, parseTableName } from '../../packages/migrate/src/index.js';
import { runBundle } from '../support/harness.js';
import { adminUrl, createDb, historyRows, migrationsDir, removeDir, sql, type TestDb } from './support.js';

/**
 * Issue 17.4: SIGKILL the run-migrations bundle (a real child process, run as the GitHub runner runs it)
 * at each file boundary and inside files, then check what a person would: the advisory lock went with
 * the dead session, the history agrees with the schema, and a plain next apply finishes the job.
 *
 * Each kill point is reached by observable state, never by a sleep: the files contain
 * `pg_advisory_xact_lock(<key>)` statements that pass straight through unless this harness holds that
 * key, and the harness waits until pg_stat_activity shows the run's session waiting there.
 */

const TABLE = parseTableName('deploy_actions_migrations', 'public');
const MIGRATION_KEY = lockKey(TABLE);
/** Keys the files wait on, distinct per database (a test database is never shared). */
const key = (n: number) => 7_170_000 + n;

export const KILL_FILES: Record<string, string> = {
  'V1__one.sql': `CREATE TABLE one (id int PRIMARY KEY);\nSELECT pg_advisory_xact_lock(${key(1)});\nINSERT INTO one VALUES (1);\n`,
  'V2__two.sql': `SELECT pg_advisory_xact_lock(${key(2)});\nCREATE TABLE two (id int PRIMARY KEY);\nSELECT pg_advisory_xact_lock(${key(3)});\nINSERT INTO two VALUES (2);\n`,
  // Written to be run again: a kill inside a no-transaction file leaves its first statements in effect
  // and (the runner being dead) no record of the attempt, so the next apply runs the whole file again.
  'V3__three.sql': `-- deploy-actions:no-transaction\nSELECT pg_advisory_xact_lock(${key(4)});\nCREATE TABLE IF NOT EXISTS three (id int PRIMARY KEY);\nSELECT pg_advisory_xact_lock(${key(5)});\nINSERT INTO three VALUES (3) ON CONFLICT DO NOTHING;\n`
};

type Block = { advisory: number } | 'migration-lock' | 'history-table' | 'history-row';

export interface KillPoint {
  id: string;
  where: string;
  block: Block;
  /** Versions recorded as applied once the killed run's sessions are gone. */
  expectApplied: string[];
  /** Tables present then: those of the applied versions, plus what a no-transaction file left. */
  expectTables: string[];
}

export const KILL_POINTS: KillPoint[] = [
  {
    id: 'K1',
    where: 'waiting for the migration lock',
    block: 'migration-lock',
    expectApplied: [],
    expectTables: []
  },
  {
    id: 'K2',
    where: 'lock taken, before the first file',
    block: 'history-table',
    expectApplied: [],
    expectTables: []
  },
  {
    id: 'K3',
    where: 'inside V1 (transaction), after its first statement',
    block: { advisory: 1 },
    expectApplied: [],
    expectTables: []
  },
  {
    id: 'K4',
    where: 'between V1 and V2: V1 committed, V2 not begun',
    block: { advisory: 2 },
    expectApplied: ['1'],
    expectTables: ['one']
  },
  {
    id: 'K5',
    where: 'inside V2 (transaction), after 2 of its 4 statements',
    block: { advisory: 3 },
    expectApplied: ['1'],
    expectTables: ['one']
  },
  {
    id: 'K6',
    where: 'between V2 and V3: V2 committed, V3 not begun',
    block: { advisory: 4 },
    expectApplied: ['1', '2'],
    expectTables: ['one', 'two']
  },
  {
    id: 'K7',
    where: 'inside V3 (no transaction), after its first statement took effect',
    block: { advisory: 5 },
    expectApplied: ['1', '2'],
    expectTables: ['one', 'three', 'two']
  },
  {
    id: 'K8',
    where: "V3's statements done, its history row being written",
    block: 'history-row',
    // The INSERT of the row is a statement the server already runs: it completes after the kill.
    expectApplied: ['1', '2', '3'],
    expectTables: ['one', 'three', 'two']
  }
];

export interface KillOutcome {
  point: KillPoint;
  /** How the bundle ended: 'SIGKILL' when the kill landed. */
  signal: string | null;
  /** The migration advisory lock was free once the dead run's sessions were gone. */
  lockFreed: boolean;
  /** Versions with an `applied` row right after the kill. */
  appliedAfterKill: string[];
  /** Tables present right after the kill. */
  tablesAfterKill: string[];
  /** Rows other than `applied` written for the killed run (a kill is not a SQL failure: none). */
  failedRows: number;
  /** The plain next apply: exit code, what it applied, and whether the schema is then complete. */
  nextExit: number;
  nextApplied: string[];
  nextMs: number;
  finalHistory: string[];
  finalData: string;
}

const APP_LIKE = 'run-migrations%';

async function poll(
  what: string,
  check: () => Promise<boolean>,
  gone?: () => string | undefined,
  timeoutMs = 60_000
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    const ended = gone?.();
    if (ended !== undefined) throw new Error(`kill matrix: the run ended before ${what}:\n${ended}`);
    if (Date.now() > until) throw new Error(`kill matrix: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The run's sessions as pg_stat_activity shows them. */
async function runSessions(
  db: TestDb
): Promise<{ wait: string | null; event: string | null; query: string }[]> {
  return sql(
    db.name,
    `SELECT wait_event_type AS wait, wait_event AS event, query FROM pg_stat_activity
      WHERE datname = $1 AND application_name LIKE $2`,
    [db.name, APP_LIKE]
  ) as Promise<{ wait: string | null; event: string | null; query: string }[]>;
}

async function waitingOn(db: TestDb, match: RegExp): Promise<boolean> {
  return (await runSessions(db)).some((s) => s.wait === 'Lock' && match.test(s.query));
}

async function tablesOf(db: TestDb): Promise<string[]> {
  const rows = await sql<{ t: string }>(
    db.name,
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'deploy_actions_migrations' ORDER BY 1"
  );
  return rows.map((r) => r.t);
}

async function migrationLockHeld(db: TestDb): Promise<boolean> {
  const rows = await sql(
    db.name,
    `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
    [MIGRATION_KEY]
  );
  return rows.length > 0;
}

/** Start the bundle, reach the point, SIGKILL it, let its sessions go, then apply again. */
export async function runKillPoint(point: KillPoint): Promise<KillOutcome> {
  const db = await createDb(`kill_${point.id.toLowerCase()}`);
  const dir = migrationsDir(KILL_FILES);
  const scratch = mkdtempSync(join(tmpdir(), 'da-kill-'));
  const pidFile = join(scratch, 'pid');
  // The runner spawns `node <bundle>`; this stand-in for node records its pid, then becomes node.
  const node = join(scratch, 'node');
  writeFileSync(
    node,
    `#!/bin/bash\n# bash, not sh: dash drops INPUT_DATABASE-URL and the other hyphenated names on exec\necho $$ > '${pidFile}'\nexec '${process.execPath}' "$@"\n`
  );
  chmodSync(node, 0o700);
  const holder = new pg.Client({ connectionString: adminUrl(db.name), application_name: 'kill matrix' });
  const tableLock = new pg.Client({ connectionString: adminUrl(db.name), application_name: 'kill matrix' });
  await holder.connect();
  await tableLock.connect();
  let log = '';
  try {
    await sql(db.name, createHistoryTableSql(TABLE));
    const b = point.block;
    if (b === 'migration-lock') await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_KEY]);
    else if (b === 'history-table') {
      await tableLock.query('BEGIN');
      await tableLock.query('LOCK TABLE deploy_actions_migrations IN ACCESS EXCLUSIVE MODE');
    } else if (b === 'history-row') await holder.query('SELECT pg_advisory_lock($1)', [key(5)]);
    else await holder.query('SELECT pg_advisory_lock($1)', [key(b.advisory)]);

    const inputs = { 'database-url': db.url, dir, 'lock-timeout': '10m' };
    let ended = false;
    const running = runBundle('run-migrations', {
      inputs,
      node,
      onOutput: (chunk) => {
        log += chunk;
      }
    }).finally(() => {
      ended = true;
    });
    const gone = () => (ended ? log : undefined);
    if (b === 'migration-lock')
      await poll('the run to wait for the lock', async () => /Waiting up to/.test(log), gone);
    else if (b === 'history-table')
      await poll(
        'the run to block on the history table',
        () => waitingOn(db, /deploy_actions_migrations|CREATE/i),
        gone
      );
    else if (b === 'history-row') {
      await poll(
        'the run to reach V3',
        () => waitingOn(db, new RegExp(`pg_advisory_xact_lock\\(${key(5)}\\)`)),
        gone
      );
      await tableLock.query('BEGIN');
      await tableLock.query('LOCK TABLE deploy_actions_migrations IN ACCESS EXCLUSIVE MODE');
      await holder.query('SELECT pg_advisory_unlock($1)', [key(5)]);
      await poll(
        "V3's history row to wait",
        () => waitingOn(db, /INSERT INTO "public"."deploy_actions_migrations"/),
        gone
      );
    } else {
      const k = key(b.advisory);
      await poll(
        `the run to wait on key ${k}`,
        () => waitingOn(db, new RegExp(`pg_advisory_xact_lock\\(${k}\\)`)),
        gone
      );
    }

    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
    const killed = await running;

    // Let go of what held the run; its sessions then end on their own.
    await holder.query('SELECT pg_advisory_unlock_all()');
    if (b === 'history-table' || b === 'history-row') await tableLock.query('COMMIT');
    await poll('the killed run’s sessions to end', async () => (await runSessions(db)).length === 0);
    const lockFreed = !(await migrationLockHeld(db));
    const rows = await historyRows(db.name);
    const appliedAfterKill = rows.filter((r) => r.status === 'applied').map((r) => String(r.version));
    const tablesAfterKill = await tablesOf(db);

    const started = Date.now();
    const next = await runBundle('run-migrations', { inputs });
    const nextMs = Date.now() - started;
    const final = await historyRows(db.name);
    const data = await sql<{ d: string }>(
      db.name,
      `SELECT concat_ws(',', (SELECT string_agg(id::text, ' ') FROM one), (SELECT string_agg(id::text, ' ') FROM two),
              (SELECT string_agg(id::text, ' ') FROM three)) AS d`
    );
    return {
      point,
      signal: killed.signal,
      lockFreed,
      appliedAfterKill,
      tablesAfterKill,
      failedRows: rows.filter((r) => r.status !== 'applied').length,
      nextExit: next.exitCode,
      nextApplied: JSON.parse(next.outputs.applied ?? '[]') as string[],
      nextMs,
      finalHistory: final.map((r) => `${String(r.version)}:${String(r.status)}`),
      finalData: data[0]?.d ?? ''
    };
  } finally {
    await holder.end().catch(() => {});
    await tableLock.end().catch(() => {});
    await db.drop();
    removeDir(dir);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The table for docs/actions/run-migrations.md and the bench output. */
export function killMatrixTable(outcomes: KillOutcome[]): string {
  const head =
    '| kill point | killed | lock freed | applied after kill | tables after kill | next apply | applied by it | final data |';
  const rule = '| --- | --- | --- | --- | --- | --- | --- | --- |';
  const rows = outcomes.map(
    (o) =>
      `| ${o.point.id}: ${o.point.where} | ${o.signal ?? 'no'} | ${o.lockFreed ? 'yes' : 'NO'} | ${
        o.appliedAfterKill.join(', ') || 'none'
      } | ${o.tablesAfterKill.join(', ') || 'none'} | ${o.nextExit === 0 ? 'ok' : `exit ${o.nextExit}`} (${o.nextMs} ms) | ${
        o.nextApplied.join(', ') || 'none'
      } | ${o.finalData} |`
  );
  return [head, rule, ...rows].join('\n');
}

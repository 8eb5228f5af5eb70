import pg from 'pg';
import { LockError } from '../../packages/core/src/index.js';
import { lockHolder, lockKey, parseTableName } from '../../packages/migrate/src/index.js';
import { integration } from '../support/infra.js';
import { historyRows, migrate, sql, withFreshDb, writeFiles, type TestDb } from './support.js';

const KEY = lockKey(parseTableName('deploy_actions_migrations', 'public'));

/** Resolves once some session holds our advisory lock (the first run is inside its files). */
async function lockTaken(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (let i = 0; i < 200; i++) {
      const h = await lockHolder(c, KEY);
      if (h) return h.pid;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the first run never took the lock');
  } finally {
    await c.end();
  }
}

integration('run-migrations engine: one run at a time, and CREATE INDEX CONCURRENTLY under the lock', () => {
  let db: TestDb;
  let dir: string;
  withFreshDb(
    'lock',
    {
      'V1__users.sql':
        "CREATE TABLE users (id serial PRIMARY KEY, email text);\nINSERT INTO users (email) SELECT 'u' || g || '@example.test' FROM generate_series(1, 2000) g;\n",
      'V2__slow.sql': 'SELECT pg_sleep(1.5);\n'
    },
    (f) => ({ db, dir } = f)
  );

  it('concurrent runs: a second run waits and fails naming the first; a patient third waits, then finds nothing to do', async () => {
    const first = migrate(db.url, dir);
    const pid = await lockTaken(db.url);
    const [second, third] = await Promise.all([
      migrate(db.url, dir, { lockTimeoutMs: 300, lockPollMs: 50 }),
      migrate(db.url, dir, { lockTimeoutMs: 20_000, lockPollMs: 50 })
    ]);
    const one = await first;
    expect(one.error).toBeUndefined();
    expect(one.applied.map((a) => a.version)).toEqual(['1', '2']);

    expect(second.error).toBeInstanceOf(LockError);
    expect(second.error!.message).toContain(
      `Holder: pid ${pid}, application "run-migrations acme/shop run 42/1"`
    );
    expect(second.error!.state).toBe('nothing was changed by this run');
    expect(second.applied).toEqual([]);

    expect(third.error).toBeUndefined();
    expect(third.lock!.attempts).toBeGreaterThan(1);
    expect(third.lock!.waitedFor?.pid).toBe(pid);
    expect(third.applied).toEqual([]);
    expect((await historyRows(db.name)).map((r) => r.version)).toEqual(['1', '2']);
  });

  it('CREATE INDEX CONCURRENTLY in a no-transaction file completes while the lock is held', async () => {
    writeFiles(dir, {
      'V3__email_idx.sql':
        '-- deploy-actions:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCREATE UNIQUE INDEX CONCURRENTLY users_email_uq ON users (lower(email));\n'
    });
    // The bound only turns a deadlock into a failure instead of a hung test.
    const r = await migrate(db.url, dir, { statementTimeoutMs: 15_000 });
    expect(r.error).toBeUndefined();
    expect(r.applied.find((a) => a.version === '3')).toMatchObject({
      execution: 'no-transaction',
      statements: 2,
      directive: 'deploy-actions:no-transaction'
    });
    const idx = await sql<{ name: string; valid: boolean }>(
      db.name,
      "SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'users_email%' ORDER BY 1"
    );
    expect(idx).toEqual([
      { name: 'users_email_idx', valid: true },
      { name: 'users_email_uq', valid: true }
    ]);
  });

  it('control: a lock held inside an open transaction (as tools that lock in a transaction do) makes CONCURRENTLY wait', async () => {
    await migrate(db.url, dir);
    writeFiles(dir, {
      'V3__email_idx.sql':
        '-- deploy-actions:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n'
    });
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await other.query('SELECT pg_advisory_xact_lock(1), count(*) FROM users');
      const r = await migrate(db.url, dir, { statementTimeoutMs: 1500 });
      expect(r.failure).toMatchObject({ version: '3', sqlState: '57014', rolledBack: false });
      expect(r.error!.message).toContain('canceling statement due to statement timeout');
    } finally {
      await other.query('ROLLBACK').catch(() => {});
      await other.end();
    }
  });

  it('a run whose lock connection is cut stops before the next file', async () => {
    writeFiles(dir, { 'V3__after.sql': 'CREATE TABLE after_cut (id int);' });
    const run = migrate(db.url, dir);
    const pid = await lockTaken(db.url);
    // Cut it while V2 runs, so V2 completes and V3 is the next file.
    for (let i = 0; i < 200; i++) {
      const busy = await sql(
        db.name,
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(1.5)%' AND state = 'active'"
      );
      if (busy.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await sql(db.name, 'SELECT pg_terminate_backend($1)', [pid]);
    const r = await run;
    expect(r.error).toBeInstanceOf(LockError);
    expect(r.error!.message).toMatch(
      /^Lost the migration lock: its connection to postgres:\/\/postgres:\*\*\*@/
    );
    expect(r.applied.map((a) => a.version)).toEqual(['1', '2']);
    expect((await historyRows(db.name)).map((x) => x.version)).toEqual(['1', '2']);
    expect(await sql(db.name, "SELECT to_regclass('after_cut') AS t")).toEqual([{ t: null }]);
  });
});

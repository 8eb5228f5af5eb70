import { ConnectionError, LockError, MigrationError } from '../../packages/core/src/index.js';
import { lockKey, parseTableName } from '../../packages/migrate/src/index.js';
import { infra, integration } from '../support/infra.js';
import { historyRows, migrate, sql, tables, withFreshDb, writeFiles, type TestDb } from './support.js';

const KEY = lockKey(parseTableName('deploy_actions_migrations', 'public'));

async function advisoryLocks(database: string): Promise<number> {
  const rows = await sql<{ n: string }>(
    database,
    "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
  );
  return Number(rows[0]!.n);
}

integration('run-migrations engine: faults', () => {
  let db: TestDb;
  let dir: string;
  withFreshDb(
    'faults',
    {
      'V1__users.sql':
        "CREATE TABLE users (id serial PRIMARY KEY, email text);\nINSERT INTO users (email) VALUES ('a@example.test');\n",
      'V2__name.sql': 'ALTER TABLE users ADD COLUMN name text;\n'
    },
    (f) => ({ db, dir } = f)
  );

  it('a syntax error in file 3 of 5: 1 and 2 applied and recorded, 3 rolled back and recorded failed with its line, the lock released', async () => {
    writeFiles(dir, {
      // Line 1 has multi-byte characters: the server counts characters, not bytes or UTF-16 units.
      'V3__orders.sql':
        '-- café ☕ 𝄞 orders\nCREATE TABLE orders_audit (id int);\nCREATE TABLE orders (\n  total numeric NOT NUL\n);\n',
      'V4__later.sql': 'CREATE TABLE later (id int);\n',
      'V5__last.sql': 'CREATE TABLE last (id int);\n'
    });
    const r = await migrate(db.url, dir);
    expect(r.error).toBeInstanceOf(MigrationError);
    expect(r.applied.map((a) => a.version)).toEqual(['1', '2']);
    expect(r.error!.message).toMatch(
      /^Migration failed: V3__orders.sql at line 4, column 21: syntax error at or near "NUL"/
    );
    expect(r.error!.message).toContain('4 |   total numeric NOT NUL');
    expect(r.error!.state).toContain('V3__orders.sql was rolled back: nothing of it remains');
    expect(r.error!.state).toContain(
      'V1__users.sql, V2__name.sql applied earlier in this run stay committed and recorded'
    );
    expect(r.failure).toMatchObject({
      version: '3',
      line: 4,
      column: 21,
      sqlState: '42601',
      rolledBack: true
    });
    expect(await tables(db.name)).toEqual(['users']); // orders_audit, from the same file, rolled back too
    const rows = await historyRows(db.name);
    expect(rows.map((x) => [x.version, x.status, x.error_line])).toEqual([
      ['1', 'applied', null],
      ['2', 'applied', null],
      ['3', 'failed', 4]
    ]);
    expect(await advisoryLocks(db.name)).toBe(0);
    expect(r.pending).toEqual(['3', '4', '5']);

    // status shows what failed and where; the version is pending, not blocked
    const s = await migrate(db.url, dir, { mode: 'status' });
    expect(s.status.find((x) => x.version === '3')).toMatchObject({
      state: 'pending',
      errorLine: 4,
      failedAttempts: 1
    });

    // fixed, the next run simply applies 3, 4, 5: it was rolled back, so no repair is needed
    writeFiles(dir, { 'V3__orders.sql': 'CREATE TABLE orders (total numeric NOT NULL);\n' });
    const done = await migrate(db.url, dir);
    expect(done.lock?.attempts).toBe(1);
    expect(done.error).toBeUndefined();
    expect(done.applied.map((a) => a.version)).toEqual(['3', '4', '5']);
    expect(done.retried).toEqual([
      {
        version: '3',
        file: 'V3__orders.sql',
        direction: 'up',
        earlierFailures: [
          {
            at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown as string,
            by: 'octocat',
            runUrl: 'https://github.com/acme/shop/actions/runs/42/attempts/1',
            line: 4,
            error: 'V3__orders.sql at line 4, column 21: syntax error at or near "NUL"'
          }
        ]
      }
    ]);
    expect(done.log).toMatch(
      /✓ V3__orders.sql .*; retried: the failed attempt of .* by octocat \(line 4\) rolled back/
    );
    const after = await historyRows(db.name);
    expect(after.map((x) => `${x.version}:${x.status}:${x.kind}`)).toEqual([
      '1:applied:up',
      '2:applied:up',
      '3:failed:up',
      '3:applied:up',
      '4:applied:up',
      '5:applied:up'
    ]);
  });

  it('refuses checksum drift before any change; repair realigns after a harmless edit', async () => {
    await migrate(db.url, dir, { target: '1' });
    writeFiles(dir, {
      'V1__users.sql': '-- a comment added later\nCREATE TABLE users (id serial PRIMARY KEY, email text);\n'
    });
    const r = await migrate(db.url, dir);
    expect(r.error).toBeInstanceOf(MigrationError);
    expect(r.error!.message).toMatch(
      /checksum drift\):\nV1__users.sql: applied with sha256 [0-9a-f]{64}, the file now has [0-9a-f]{64}/
    );
    expect(r.applied).toEqual([]);
    const cols = await sql(
      db.name,
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'name'"
    );
    expect(cols).toEqual([]);
    const plan = await migrate(db.url, dir, { mode: 'plan' });
    expect(plan.error?.message).toContain('checksum drift');
    const repaired = await migrate(db.url, dir, { mode: 'repair' });
    expect(repaired.repaired).toEqual([
      { version: '1', file: 'V1__users.sql', action: 'checksum-realigned' }
    ]);
    const ok = await migrate(db.url, dir);
    expect(ok.applied.map((a) => a.version)).toEqual(['2']);
  });

  it('refuses a pending file older than the current version unless allow-out-of-order', async () => {
    writeFiles(dir, { 'V3__three.sql': 'CREATE TABLE three (id int);' });
    await migrate(db.url, dir);
    writeFiles(dir, { 'V2_5__between.sql': 'CREATE TABLE between_ (id int);' });
    const r = await migrate(db.url, dir);
    expect(r.error?.message).toBe(
      'Pending migrations are older than the current version 3:\nV2_5__between.sql (version 2.5)'
    );
    expect(await tables(db.name)).not.toContain('between_');
    const ok = await migrate(db.url, dir, { allowOutOfOrder: true });
    expect(ok.applied.map((a) => a.version)).toEqual(['2.5']);
    expect(ok.currentVersion).toBe('3');
  });

  it('a failing no-transaction file says how many of its statements took effect', async () => {
    writeFiles(dir, {
      'V3__nt.sql':
        '-- deploy-actions:no-transaction\nCREATE TABLE nt_one (id int);\nCREATE TABLE nt_two (id int);\nINSERT INTO nt_missing VALUES (1);\nCREATE TABLE nt_three (id int);\n'
    });
    const r = await migrate(db.url, dir);
    expect(r.failure).toMatchObject({ version: '3', line: 4, rolledBack: false, statementsDone: 2 });
    expect(r.error!.message).toContain(
      'V3__nt.sql at line 4, column 13: relation "nt_missing" does not exist'
    );
    expect(r.error!.state).toContain(
      'V3__nt.sql runs without a transaction: 2 of its 4 statements took effect and stay'
    );
    expect(await tables(db.name)).toEqual(['nt_one', 'nt_two', 'users']);
  });

  it('CREATE INDEX CONCURRENTLY without the directive fails with the fix in the error', async () => {
    writeFiles(dir, { 'V3__idx.sql': 'CREATE INDEX CONCURRENTLY users_email ON users (email);' });
    const r = await migrate(db.url, dir);
    expect(r.error!.message).toContain('cannot run inside a transaction block');
    expect(r.error!.message).toContain('-- deploy-actions:no-transaction');
  });

  describe('connection faults give distinct errors and never show the password', () => {
    const p = () => infra().postgres;
    const url = (user: string, password: string, port: number, database: string) =>
      `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;

    it.each([
      [
        'connection refused',
        () => url('postgres', 'pw-refused-731', 1, 'x'),
        /Cannot connect to PostgreSQL at 127.0.0.1:1: connection refused/
      ],
      [
        'a bad password',
        () => url(p().user, 'wrong-pw-5521', p().port, 'postgres'),
        /refused the password for user "postgres" \(authentication failed\)/
      ],
      [
        'an unknown database',
        () => url(p().user, p().password, p().port, 'da_migrate_nope'),
        /Database "da_migrate_nope" does not exist on PostgreSQL at 127.0.0.1:\d+/
      ]
    ])('%s', async (_label, makeUrl, message) => {
      const target = makeUrl();
      const r = await migrate(target, dir);
      expect(r.error).toBeInstanceOf(ConnectionError);
      expect(r.error!.message).toMatch(message);
      expect(r.error!.state).toBe('nothing was changed: no connection was made');
      const password = decodeURIComponent(new URL(target).password);
      const everything = JSON.stringify({ m: r.error!.describe(), log: r.log, w: r.warnings, d: r.database });
      expect(everything).not.toContain(password);
      expect(r.database?.display).toMatch(/^postgres:\/\/\w+:\*\*\*@127\.0\.0\.1:\d+\//);
    });
  });

  it('a lock held elsewhere makes the run wait, then fail naming the holder', async () => {
    const pg = (await import('pg')).default;
    const holder = new pg.Client({ connectionString: db.url, application_name: 'manual hotfix by alice' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [KEY]);
      const r = await migrate(db.url, dir, { lockTimeoutMs: 400, lockPollMs: 100 });
      expect(r.error).toBeInstanceOf(LockError);
      expect(r.error!.message).toMatch(
        /^Another migration run holds the lock on database "da_migrate_faults_\d+_\d+" \(advisory lock -?\d+\); waited [\d.]+\w+ \(lock-timeout\), \d+ attempts\. Holder: pid \d+, application "manual hotfix by alice", user postgres, from 127.0.0.1/
      );
      expect(Number(/(\d+) attempts/.exec(r.error!.message)![1])).toBeGreaterThan(1);
      expect(await tables(db.name)).toEqual([]);
    } finally {
      await holder.end();
    }
  });

  it('refuses a database golang-migrate already migrated, until baseline adopts it', async () => {
    await sql(db.name, 'CREATE TABLE users (id serial PRIMARY KEY, email text, name text)');
    await sql(
      db.name,
      'CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)'
    );
    await sql(db.name, 'INSERT INTO schema_migrations VALUES (2, false)');
    writeFiles(dir, { 'V3__orders.sql': 'CREATE TABLE orders (id int);' });

    const r = await migrate(db.url, dir);
    expect(r.error?.message).toBe(
      'This database was already migrated by golang-migrate (schema_migrations: version 2, clean), but public.deploy_actions_migrations is empty: applying would run every file again'
    );
    expect(r.error?.hint).toContain('set baseline: 2 once');
    expect(await historyRows(db.name)).toEqual([]);

    const plan = await migrate(db.url, dir, { mode: 'plan', baseline: '2' });
    expect(plan.baselined).toEqual(['1', '2']);
    expect(plan.plan.map((p) => p.version)).toEqual(['3']);
    expect(await historyRows(db.name)).toEqual([]);

    const adopted = await migrate(db.url, dir, { baseline: '2' });
    expect(adopted.error).toBeUndefined();
    expect(adopted.applied.map((a) => a.version)).toEqual(['3']);
    expect((await historyRows(db.name)).map((x) => `${x.version}:${x.kind}:${x.status}`)).toEqual([
      '1:baseline:applied',
      '2:baseline:applied',
      '3:up:applied'
    ]);
  });

  it('names a dirty golang-migrate version and a Flyway history', async () => {
    await sql(
      db.name,
      'CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)'
    );
    await sql(db.name, 'INSERT INTO schema_migrations VALUES (7, true)');
    const dirty = await migrate(db.url, dir, { mode: 'plan' });
    expect(dirty.error?.message).toContain('(schema_migrations: version 7, DIRTY)');
    expect(dirty.error?.hint).toContain('left version 7 half-applied');
    await sql(db.name, 'DROP TABLE schema_migrations');
    await sql(
      db.name,
      'CREATE TABLE flyway_schema_history (installed_rank int, version varchar(50), success boolean)'
    );
    await sql(
      db.name,
      "INSERT INTO flyway_schema_history VALUES (1, '1', true), (2, '1.10', true), (3, '1.9', true), (4, '2', false)"
    );
    const fw = await migrate(db.url, dir, { mode: 'plan' });
    expect(fw.error?.message).toMatch(
      /^This database was already migrated by Flyway \(flyway_schema_history: version 1\.10\)/
    );
  });
});

import { integration } from '../support/infra.js';
import { historyRows, migrate, sql, tables, withFreshDb, writeFiles, type TestDb } from './support.js';

/** Issue 16.1: a failure that rolled back retries with no repair; a partial one still asks for it. */
integration('run-migrations engine: retrying a failed file', () => {
  let db: TestDb;
  let dir: string;
  withFreshDb(
    'retry',
    {
      'V1__users.sql':
        "CREATE TABLE users (id serial PRIMARY KEY, email text);\nINSERT INTO users (email) VALUES ('a@example.test'), ('a@example.test');\n",
      'V2__orders.sql':
        'CREATE TABLE orders (id serial PRIMARY KEY);\nALTER TABLE orders ADD COLUMN total numeric NOT NUL;\n',
      'V3__items.sql': 'CREATE TABLE items (id serial PRIMARY KEY);\n'
    },
    (f) => ({ db, dir } = f)
  );

  it('a syntax error in file 2 of 3, then the fixed file applies with no repair; history keeps both attempts', async () => {
    const failed = await migrate(db.url, dir);
    expect(failed.applied.map((a) => a.version)).toEqual(['1']);
    expect(failed.failure).toMatchObject({ version: '2', line: 2, rolledBack: true });
    expect(failed.error!.hint).toContain('no repair needed');
    expect(failed.pending).toEqual(['2', '3']);
    expect(await tables(db.name)).toEqual(['users']);

    // the fix changes the file's checksum: it never applied, so that is no drift
    writeFiles(dir, {
      'V2__orders.sql':
        'CREATE TABLE orders (id serial PRIMARY KEY);\nALTER TABLE orders ADD COLUMN total numeric NOT NULL;\n'
    });
    const fixed = await migrate(db.url, dir, {}); // no mode: repair in between
    expect(fixed.error).toBeUndefined();
    expect(fixed.applied.map((a) => a.version)).toEqual(['2', '3']);
    expect(fixed.warnings).toEqual([]);
    expect(fixed.retried.map((r) => [r.file, r.earlierFailures.length, r.earlierFailures[0]!.line])).toEqual([
      ['V2__orders.sql', 1, 2]
    ]);
    expect(await tables(db.name)).toEqual(['items', 'orders', 'users']);

    const rows = await historyRows(db.name);
    expect(rows.map((x) => [x.version, x.status, x.execution, x.error_line, x.applied_by])).toEqual([
      ['1', 'applied', 'transaction', null, 'octocat'],
      ['2', 'failed', 'transaction', 2, 'octocat'],
      ['2', 'applied', 'transaction', null, 'octocat'],
      ['3', 'applied', 'transaction', null, 'octocat']
    ]);
    expect(rows[1]!.error).toMatch(/^V2__orders.sql at line 2, column \d+: syntax error at or near "NUL"/);
    expect(rows[1]!.checksum).not.toBe(rows[2]!.checksum);

    const status = await migrate(db.url, dir, { mode: 'status' });
    expect(status.status.map((s) => [s.version, s.state, s.failedAttempts ?? 0])).toEqual([
      ['1', 'applied', 0],
      ['2', 'applied', 0],
      ['3', 'applied', 0]
    ]);
  });

  it('two failed attempts, then the fix: both are evidence, newest last', async () => {
    await migrate(db.url, dir);
    writeFiles(dir, {
      'V2__orders.sql': 'CREATE TABLE orders (id serial PRIMARY KEY);\nSELECT 1/0;\n'
    });
    const second = await migrate(db.url, dir);
    expect(second.failure).toMatchObject({ version: '2', line: 2 });
    writeFiles(dir, { 'V2__orders.sql': 'CREATE TABLE orders (id serial PRIMARY KEY);\n' });
    const ok = await migrate(db.url, dir);
    expect(ok.error).toBeUndefined();
    expect(ok.retried[0]!.earlierFailures.map((f) => f.error.replace(/ at line.*: /, ': '))).toEqual([
      'V2__orders.sql: syntax error at or near "NUL"',
      'V2__orders.sql: division by zero'
    ]);
    expect(ok.log).toContain('retried: 2 failed attempts, the last of');
  });

  it('a failed CREATE INDEX CONCURRENTLY (no transaction, partial state) still asks for mode: repair', async () => {
    writeFiles(dir, {
      'V2__orders.sql': 'CREATE TABLE orders (id serial PRIMARY KEY);\n',
      'V3__items.sql':
        '-- deploy-actions:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n'
    });
    const failed = await migrate(db.url, dir);
    expect(failed.applied.map((a) => a.version)).toEqual(['1', '2']);
    expect(failed.failure).toMatchObject({ version: '3', rolledBack: false, statementsDone: 0 });
    expect(failed.error!.message).toContain('could not create unique index "users_email_key"');
    expect(failed.error!.hint).toContain('then run mode: repair and apply again');
    // what it left: an INVALID index
    const invalid = await sql<{ valid: boolean }>(
      db.name,
      "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'users_email_key'::regclass"
    );
    expect(invalid).toEqual([{ valid: false }]);

    // fixing the data is not enough: the next apply refuses, naming the repair, and changes nothing
    await sql(db.name, "UPDATE users SET email = 'b@example.test' WHERE id = 2");
    const refused = await migrate(db.url, dir);
    expect(refused.error?.message).toMatch(
      /^An earlier run failed and is recorded in public.deploy_actions_migrations:\nV3__items.sql \(up\) failed at line 2 on .* by octocat/
    );
    expect(refused.error?.hint).toContain('mode: repair');
    expect(refused.error?.hint).toContain('INVALID index');
    expect(refused.applied).toEqual([]);
    expect(refused.retried).toEqual([]);

    // the person cleans up, repairs, and the next apply runs the file again
    await sql(db.name, 'DROP INDEX CONCURRENTLY users_email_key');
    const repaired = await migrate(db.url, dir, { mode: 'repair' });
    expect(repaired.repaired).toEqual([{ version: '3', file: 'V3__items.sql', action: 'failure-cleared' }]);
    const done = await migrate(db.url, dir);
    expect(done.error).toBeUndefined();
    expect(done.applied.map((a) => [a.version, a.execution])).toEqual([['3', 'no-transaction']]);
    expect(done.retried).toEqual([]); // the repair closed that failure: nothing retried without a person
    expect((await historyRows(db.name)).map((x) => `${x.version}:${x.status}:${x.kind}`)).toEqual([
      '1:applied:up',
      '2:applied:up',
      '3:failed:up',
      '3:repaired:repair',
      '3:applied:up'
    ]);
  });
});

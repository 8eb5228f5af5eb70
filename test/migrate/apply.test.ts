import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifySignature } from '../../packages/events/src/index.js';
import { join } from 'node:path';
import { captureLogger } from '../../packages/core/src/index.js';
import { loadMigrations, parseDatabaseUrl, runMigrations } from '../../packages/migrate/src/index.js';
import { infra, integration } from '../support/infra.js';
import {
  context,
  createDb,
  historyRows,
  migrate,
  migrationsDir,
  removeDir,
  sql,
  tables,
  withFreshDb,
  writeFiles,
  type TestDb
} from './support.js';

const FIVE = {
  'V1__create_users.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n',
  'V2__add_name.sql': 'ALTER TABLE users ADD COLUMN name text;\n',
  'V3__orders.sql': 'CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users(id));\n',
  'U3__orders.sql': 'DROP TABLE orders;\n',
  'U2__add_name.sql': 'ALTER TABLE users DROP COLUMN name;\n'
};

integration('run-migrations engine: apply, plan, status, down, repair', () => {
  let db: TestDb;
  let dir: string;
  withFreshDb('apply', FIVE, (f) => ({ db, dir } = f));

  it('plan lists the pending files with their SQL and changes nothing, not even the history table', async () => {
    const r = await migrate(db.url, dir, { mode: 'plan' });
    expect(r.error).toBeUndefined();
    expect(r.plan.map((p) => [p.version, p.file, p.execution])).toEqual([
      ['1', 'V1__create_users.sql', 'transaction'],
      ['2', 'V2__add_name.sql', 'transaction'],
      ['3', 'V3__orders.sql', 'transaction']
    ]);
    expect(r.plan[0]!.sql).toContain('CREATE TABLE users');
    expect(r.pending).toEqual(['1', '2', '3']);
    expect(r.server?.version).toMatch(/^\d+\.\d+/);
    const all = await sql<{ t: string }>(
      db.name,
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'"
    );
    expect(all).toEqual([]);
  });

  it('applies every pending file in order, records each, and a second run has nothing to do', async () => {
    const r = await migrate(db.url, dir);
    expect(r.error).toBeUndefined();
    expect(r.applied.map((a) => a.version)).toEqual(['1', '2', '3']);
    expect(r.currentVersion).toBe('3');
    expect(r.pending).toEqual([]);
    expect(await tables(db.name)).toEqual(['orders', 'users']);
    const rows = await historyRows(db.name);
    expect(rows.map((x) => [x.version, x.status, x.kind, x.execution, x.applied_by, x.run_url])).toEqual([
      [
        '1',
        'applied',
        'up',
        'transaction',
        'octocat',
        'https://github.com/acme/shop/actions/runs/42/attempts/1'
      ],
      [
        '2',
        'applied',
        'up',
        'transaction',
        'octocat',
        'https://github.com/acme/shop/actions/runs/42/attempts/1'
      ],
      [
        '3',
        'applied',
        'up',
        'transaction',
        'octocat',
        'https://github.com/acme/shop/actions/runs/42/attempts/1'
      ]
    ]);
    expect(rows[0]!.checksum).toBe(r.applied[0]!.checksum);
    expect(r.applied[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(r.events.map((e) => [e.type, e.version, e.app, e.environment])).toEqual([
      ['migration.applied', '1', 'shop', 'test'],
      ['migration.applied', '2', 'shop', 'test'],
      ['migration.applied', '3', 'shop', 'test']
    ]);
    const again = await migrate(db.url, dir);
    expect(again.error).toBeUndefined();
    expect(again.applied).toEqual([]);
    expect(again.currentVersion).toBe('3');
    expect((await historyRows(db.name)).length).toBe(3);
  });

  it('connects over a Unix socket (host= in the query), backup included', async () => {
    const p = infra().postgres;
    const url = `postgresql://${p.user}:${encodeURIComponent(p.password)}@/${db.name}?host=${p.socketDir}&port=${p.port}`;
    const path = join(dir, 'socket.dump');
    const r = await migrate(url, dir, { backup: { path, binDir: p.bin } });
    expect(r.error).toBeUndefined();
    expect(r.database?.display).toBe(`postgres://postgres:***@[${p.socketDir}]/${db.name}`);
    expect(r.applied.map((a) => a.version)).toEqual(['1', '2', '3']);
    expect(r.backup!.bytes).toBeGreaterThan(0);
  });

  it('stops at target, then status reports applied and pending', async () => {
    const r = await migrate(db.url, dir, { target: '2' });
    expect(r.applied.map((a) => a.version)).toEqual(['1', '2']);
    expect(r.pending).toEqual(['3']);
    const back = await migrate(db.url, dir, { target: '1' });
    expect(back.applied).toEqual([]);
    expect(back.warnings).toEqual([
      'target 1 is below the current version 2: apply never goes back; use mode: down'
    ]);
    const s = await migrate(db.url, dir, { mode: 'status' });
    expect(s.error).toBeUndefined();
    expect(s.status.map((x) => [x.version, x.state])).toEqual([
      ['1', 'applied'],
      ['2', 'applied'],
      ['3', 'pending']
    ]);
    expect(s.status[0]!.appliedBy).toBe('octocat');
    expect(s.currentVersion).toBe('2');
  });

  it('down walks back to target with the down files, newest first, and apply brings them back', async () => {
    await migrate(db.url, dir);
    const d = await migrate(db.url, dir, { mode: 'down', target: '1' });
    expect(d.error).toBeUndefined();
    expect(d.reverted.map((a) => [a.version, a.file])).toEqual([
      ['3', 'U3__orders.sql'],
      ['2', 'U2__add_name.sql']
    ]);
    expect(d.currentVersion).toBe('1');
    expect(d.pending).toEqual(['2', '3']);
    expect(await tables(db.name)).toEqual(['users']);
    const cols = await sql<{ c: string }>(
      db.name,
      "SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1"
    );
    expect(cols.map((c) => c.c)).toEqual(['email', 'id']);
    const up = await migrate(db.url, dir);
    expect(up.applied.map((a) => a.version)).toEqual(['2', '3']);
  });

  it('down refuses before any change when a down file is missing', async () => {
    await migrate(db.url, dir);
    const d = await migrate(db.url, dir, { mode: 'down', target: '0' });
    expect(d.error?.message).toMatch(
      /Cannot walk back to 0: no down file for version 1 \(V1__create_users.sql\)/
    );
    expect(d.error?.state).toBe('nothing was changed by this run');
    expect(await tables(db.name)).toEqual(['orders', 'users']);
  });

  it('a failing down file is rolled back and recorded; the version stays applied and the fixed file runs with no repair', async () => {
    await migrate(db.url, dir);
    writeFiles(dir, { 'U3__orders.sql': 'DROP TABLE orders;\nDROP TABLE no_such_table;\n' });
    const d = await migrate(db.url, dir, { mode: 'down', target: '2' });
    expect(d.error!.message).toContain(
      'U3__orders.sql at line 2 (the statement starting there): table "no_such_table" does not exist'
    );
    expect(d.error!.hint).toBe(
      'fix U3__orders.sql (line 2), then run mode: down again: it was rolled back, so it simply runs again (no repair needed; the failed attempt stays in the history)'
    );
    expect(d.currentVersion).toBe('3');
    expect(await tables(db.name)).toEqual(['orders', 'users']);
    const nothing = await migrate(db.url, dir, { mode: 'repair' });
    expect(nothing.repaired).toEqual([]);
    writeFiles(dir, { 'U3__orders.sql': 'DROP TABLE orders;\n' });
    const again = await migrate(db.url, dir, { mode: 'down', target: '2' });
    expect(again.error).toBeUndefined();
    expect(again.reverted.map((r) => r.version)).toEqual(['3']);
    expect(again.retried.map((r) => [r.version, r.file, r.direction, r.earlierFailures[0]!.line])).toEqual([
      ['3', 'U3__orders.sql', 'down', 2]
    ]);
    expect((await historyRows(db.name)).map((x) => `${x.version}:${x.status}:${x.kind}`).slice(3)).toEqual([
      '3:failed:down',
      '3:reverted:down'
    ]);
  });

  it('applies a golang-migrate folder (<version>_<name>.up.sql / .down.sql) and walks it back', async () => {
    const go = migrationsDir({
      '000001_create_items.up.sql': 'CREATE TABLE items (id bigserial PRIMARY KEY);',
      '000001_create_items.down.sql': 'DROP TABLE items;',
      '000002_add_price.up.sql': 'ALTER TABLE items ADD COLUMN price_cents int NOT NULL DEFAULT 0;',
      '000002_add_price.down.sql': 'ALTER TABLE items DROP COLUMN price_cents;',
      '000010_idx.up.sql': 'CREATE INDEX items_price ON items (price_cents);',
      '000010_idx.down.sql': 'DROP INDEX items_price;'
    });
    try {
      const r = await migrate(db.url, go);
      expect(r.error).toBeUndefined();
      expect(r.applied.map((a) => a.file)).toEqual([
        '000001_create_items.up.sql',
        '000002_add_price.up.sql',
        '000010_idx.up.sql'
      ]);
      expect(r.currentVersion).toBe('10');
      const d = await migrate(db.url, go, { mode: 'down', target: '0' });
      expect(d.error).toBeUndefined();
      expect(d.reverted.map((a) => a.version)).toEqual(['10', '2', '1']);
      expect(await tables(db.name)).toEqual([]);
    } finally {
      removeDir(go);
    }
  });

  it('every file starts from the same session: a SET in one file does not leak into the next', async () => {
    writeFiles(dir, {
      'V4__search_path.sql': 'CREATE SCHEMA other; SET search_path = other;',
      'V5__table.sql': 'CREATE TABLE after_reset (id int);'
    });
    const r = await migrate(db.url, dir);
    expect(r.error).toBeUndefined();
    expect(await tables(db.name)).toContain('after_reset');
  });

  it('statement-timeout cancels a slow statement and names the file and line', async () => {
    writeFiles(dir, {
      'V4__slow.sql':
        "-- takes a while\nDO $$ BEGIN RAISE NOTICE 'backfilling, be patient'; END $$;\nSELECT pg_sleep(5);\n"
    });
    const r = await migrate(db.url, dir, { statementTimeoutMs: 300 });
    expect(r.applied.map((a) => a.version)).toEqual(['1', '2', '3']);
    expect(r.error?.message).toContain('V4__slow.sql');
    expect(r.error?.message).toContain('canceling statement due to statement timeout');
    expect(r.failure?.sqlState).toBe('57014');
    expect(r.log).toContain('notice: backfilling, be patient');
  });

  it('hands each migration.applied event to the onEvent sink once its file committed; a failing sink is a warning', async () => {
    const seen: [string, number][] = [];
    const logger = captureLogger();
    const r = await runMigrations(
      {
        mode: 'apply',
        database: parseDatabaseUrl(db.url),
        migrations: loadMigrations(dir),
        dir,
        lockTimeoutMs: 5000,
        statementTimeoutMs: 0,
        allowOutOfOrder: false,
        historyTable: 'deploy_actions_migrations',
        app: 'shop',
        environment: 'test'
      },
      {
        logger,
        context,
        onEvent: async (event) => {
          // Seen from another session: the file and its history row are committed before the event.
          const rows = await sql(db.name, "SELECT 1 FROM deploy_actions_migrations WHERE status = 'applied'");
          seen.push([event.version, rows.length]);
          if (event.version === '2') throw new Error('sink down');
        }
      }
    );
    expect(r.error).toBeUndefined();
    expect(seen).toEqual([
      ['1', 1],
      ['2', 2],
      ['3', 3]
    ]);
    expect(r.events.map((e) => e.version)).toEqual(['1', '2', '3']);
    expect(r.warnings).toEqual(['Error: sink down']);
  });

  it('sends each migration.applied event to the webhook, signed', async () => {
    const received: { body: string; ok: boolean; type: string | undefined }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const sig = req.headers[SIGNATURE_HEADER];
        received.push({
          body,
          ok: verifySignature(body, 'hook-secret', typeof sig === 'string' ? sig : undefined),
          type: req.headers['x-deploy-actions-event'] as string | undefined
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const r = await migrate(db.url, dir, {
        webhook: { url: `http://127.0.0.1:${port}/hook`, secret: 'hook-secret' }
      });
      expect(r.error).toBeUndefined();
      expect(received.map((x) => [x.type, x.ok])).toEqual([
        ['migration.applied', true],
        ['migration.applied', true],
        ['migration.applied', true]
      ]);
      const first = JSON.parse(received[0]!.body) as { version: string; migration: { file: string } };
      expect(first.version).toBe('1');
      expect(first.migration.file).toBe('V1__create_users.sql');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

integration('run-migrations engine: files that manage their own transaction', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createDb('txwrap');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('a file wrapped in BEGIN; … COMMIT; runs atomically with its record, and its error lines are the file lines', async () => {
    const dir = migrationsDir({
      '1_init.up.sql': 'BEGIN;\nCREATE TABLE wrapped (id int);\nCOMMIT;\n',
      '2_more.up.sql':
        'BEGIN;\nCREATE TABLE wrapped_two (id int);\nALTER TABLE nope ADD COLUMN x int;\nCOMMIT;\n'
    });
    try {
      const r = await migrate(db.url, dir);
      expect(r.applied.map((a) => a.version)).toEqual(['1']);
      expect(r.failure).toMatchObject({ version: '2', line: 3, rolledBack: true });
      expect(r.error!.message).toContain(
        '2_more.up.sql at line 3 (the statement starting there): relation "nope" does not exist'
      );
      expect(await tables(db.name)).toEqual(['wrapped']);
    } finally {
      removeDir(dir);
    }
  });

  it('a no-transaction file with its own failing transaction is rolled back and recorded', async () => {
    const dir = migrationsDir({
      'V5__own.sql':
        '-- deploy-actions:no-transaction\nBEGIN;\nCREATE TABLE own_tx (id int);\nINSERT INTO own_tx VALUES (1), (1 / 0);\nCOMMIT;\n'
    });
    try {
      const r = await migrate(db.url, dir, { historyTable: 'own_history' });
      expect(r.failure).toMatchObject({ version: '5', line: 4, statementsDone: 2, rolledBack: false });
      expect(r.error!.message).toContain('division by zero');
      expect(r.error!.state).toContain('the failure is recorded in public.own_history');
      expect(await tables(db.name)).not.toContain('own_tx');
      expect((await sql(db.name, 'SELECT status FROM own_history')).map((x) => x.status)).toEqual(['failed']);
    } finally {
      removeDir(dir);
    }
  });
});

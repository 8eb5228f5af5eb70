import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  captureLogger,
  LocalExecutor,
  type Command,
  type Executor,
  type RunResult
} from '../../packages/core/src/index.js';
import {
  libpqEnv,
  parseDatabaseUrl,
  pgRestoreArgv,
  runMigrations
} from '../../packages/migrate/src/index.js';
import { REPO_ROOT } from '../support/paths.js';
import { infra, integration } from '../support/infra.js';
import { connectInfraHost } from '../support/connect.js';
import {
  context,
  createDb,
  historyRows,
  migrate,
  sql,
  tables,
  withFreshDb,
  writeFiles,
  type TestDb
} from './support.js';

/** Records every command before running it locally, so tests can check argv and env. */
class RecordingExecutor implements Executor {
  readonly target = 'local';
  readonly commands: Command[] = [];
  private readonly inner = new LocalExecutor();
  run(command: Command): Promise<RunResult> {
    this.commands.push(command);
    return this.inner.run(command);
  }
  async close(): Promise<void> {}
}

integration('run-migrations engine: backup and command', () => {
  let db: TestDb;
  let dir: string;
  let out: string;
  withFreshDb(
    'backup',
    {
      'V1__users.sql':
        "CREATE TABLE users (id int PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a@example.test'), (2, 'b@example.test');\n"
    },
    (f) => ({ db, dir } = f)
  );
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'da-migrate-backup-'));
  });
  afterEach(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('takes a 0600 pg_dump before the first change, with the password only in the environment, and it restores', async () => {
    await migrate(db.url, dir);
    writeFiles(dir, { 'V2__drop.sql': 'DROP TABLE users;\nCREATE TABLE accounts (id int);\n' });
    const path = join(out, 'nested', 'before-v2.dump');
    const executor = new RecordingExecutor();
    const { bin, password } = infra().postgres;
    const r = await migrate(db.url, dir, { backup: { path, binDir: bin } }, executor);
    expect(r.error).toBeUndefined();
    expect(r.backup?.path).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(r.backup!.bytes).toBe(statSync(path).size);
    const dump = executor.commands.find((c) => c.argv.includes('--file'))!;
    expect(dump.argv).toEqual([join(bin, 'pg_dump'), '--format=custom', '--no-password', '--file', path]);
    expect(dump.argv.join(' ')).not.toContain(password);
    expect(dump.env?.PGPASSWORD).toBe(password);
    expect(await tables(db.name)).toEqual(['accounts']);

    // The runbook's restore: into a fresh database, the users are back.
    const restored = await createDb(`restored_${Math.floor(Math.random() * 1e6)}`);
    try {
      await new LocalExecutor().run({
        argv: pgRestoreArgv(path, restored.name, { binDir: bin }),
        env: libpqEnv(parseDatabaseUrl(restored.url))
      });
      expect(await sql(restored.name, 'SELECT id, email FROM users ORDER BY id')).toEqual([
        { id: 1, email: 'a@example.test' },
        { id: 2, email: 'b@example.test' }
      ]);
      expect((await sql(restored.name, 'SELECT version FROM deploy_actions_migrations')).length).toBe(1);
    } finally {
      await restored.drop();
    }
  });

  it('takes no backup when nothing is pending', async () => {
    await migrate(db.url, dir);
    const path = join(out, 'none.dump');
    const r = await migrate(db.url, dir, { backup: { path, binDir: infra().postgres.bin } });
    expect(r.backup).toBeUndefined();
    expect(existsSync(path)).toBe(false);
  });

  it('a pg_dump that does not run stops the run before any change', async () => {
    const r = await migrate(db.url, dir, {
      backup: { path: join(out, 'x.dump'), binDir: '/nonexistent/bin' }
    });
    expect(r.error?.message).toMatch(
      /^Backup refused: input pg-dump must be a pg_dump of the server's major version; the server runs PostgreSQL \S+ \(major \d+\), the given pg_dump is \/nonexistent\/bin\/pg_dump \(did not run\)/
    );
    expect(r.error?.state).toBe('nothing was applied');
    expect(await tables(db.name)).toEqual([]);
  });

  it("command: runs the app's own tool as argv under the lock, with DATABASE_URL in its environment, recorded", async () => {
    const script = join(out, 'migrate.mjs');
    writeFileSync(
      script,
      `import pg from 'pg';
const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
await c.connect();
await c.query('CREATE TABLE from_tool (id int)');
await c.end();
console.log('tool: 1 migration applied');
if (process.argv[2] === 'fail') { console.error('tool: boom'); process.exit(3); }
`
    );
    // The script imports pg, so it runs from the repository (node resolves pg from the script's folder up).
    const local = join(REPO_ROOT, 'test', 'migrate', `.tool-${process.pid}.mjs`);
    writeFileSync(local, (await import('node:fs')).readFileSync(script));
    try {
      const ok = await migrate(db.url, dir, {
        command: [process.execPath, local],
        commandCwd: REPO_ROOT,
        migrations: []
      });
      expect(ok.error).toBeUndefined();
      expect(ok.command).toMatchObject({ exitCode: 0, target: 'local' });
      expect(ok.command!.stdoutTail).toContain('tool: 1 migration applied');
      expect(ok.log).toContain('tool: 1 migration applied');
      expect(await tables(db.name)).toEqual(['from_tool']);
      expect(ok.events.map((e) => e.type)).toEqual(['migration.applied']);

      await sql(db.name, 'DROP TABLE from_tool');
      const bad = await migrate(db.url, dir, {
        command: [process.execPath, local, 'fail'],
        commandCwd: REPO_ROOT,
        migrations: []
      });
      expect(bad.error?.message).toMatch(
        /^Migration command `.*node .*\.tool-\d+\.mjs fail` exited 3 on local:\ntool: boom/
      );
      const rows = await historyRows(db.name);
      expect(rows.map((x) => [x.kind, x.status, x.execution])).toEqual([
        ['command', 'applied', 'command'],
        ['command', 'failed', 'command']
      ]);
    } finally {
      rmSync(local, { force: true });
    }
  });

  it('command on a deploy host: the SSH executor (packages/ssh) runs the argv there, under our lock, sending no secret', async () => {
    const { ssh: s } = infra();
    const ssh = await connectInfraHost(s, { connectTimeoutMs: 5000 });
    try {
      const logger = captureLogger();
      const r = await runMigrations(
        {
          mode: 'apply',
          database: parseDatabaseUrl(db.url),
          migrations: [],
          command: ['sh', '-c', 'env; echo "tool ran with [$1]"', 'sh', 'one arg; not code'],
          lockTimeoutMs: 5000,
          statementTimeoutMs: 0,
          allowOutOfOrder: false,
          historyTable: 'deploy_actions_migrations',
          app: 'shop',
          environment: 'test'
        },
        { logger, context, commandExecutor: ssh }
      );
      expect(r.error).toBeUndefined();
      expect(r.command).toMatchObject({ target: ssh.target, exitCode: 0 });
      expect(r.command!.stdoutTail).toContain('tool ran with [one arg; not code]');
      expect(r.command!.stdoutTail).not.toContain('DATABASE_URL');
      expect(r.command!.stdoutTail).not.toContain(infra().postgres.password);
      const rows = await historyRows(db.name);
      expect(rows.map((x) => [x.kind, x.status, x.script])).toEqual([['command', 'applied', 'sh']]);
    } finally {
      await ssh.close();
    }
  });
});

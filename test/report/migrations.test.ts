import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  environmentReport,
  lastTableMigration,
  parseHistory,
  type LastMigration
} from '../../packages/report/src/index.js';
import type { HistoryRow } from '../../packages/migrate/src/index.js';
import { fieldHost, integration } from '../support/infra.js';
import { hostCli } from '../support/host-cli.js';
import {
  createDb,
  migrate,
  migrationsDir,
  removeDir,
  sql,
  writeFiles,
  type TestDb
} from '../migrate/support.js';

const row = (over: Partial<HistoryRow>): HistoryRow => ({
  id: 1,
  version: '1',
  name: 'a',
  script: 'V1__a.sql',
  checksum: 'x',
  kind: 'up',
  execution: 'transaction',
  status: 'applied',
  durationMs: 5,
  error: null,
  errorLine: null,
  appliedBy: 'octocat',
  appliedAt: '2026-11-02T10:00:00.000Z',
  runUrl: '',
  ...over
});

describe("run-migrations' history as the last migration (pure)", () => {
  it('counts applied ups, reverted downs and applied commands; not failures, baselines or repairs', () => {
    expect(
      lastTableMigration([
        row({ version: '1', appliedAt: '2026-11-02T10:00:00.000Z' }),
        row({ version: '2', kind: 'down', status: 'reverted', appliedAt: '2026-11-03T10:00:00.000Z' }),
        row({ version: '3', status: 'failed', appliedAt: '2026-11-04T10:00:00.000Z' }),
        row({ version: '4', kind: 'baseline', appliedAt: '2026-11-05T10:00:00.000Z' }),
        row({ version: '5', kind: 'repair', status: 'repaired', appliedAt: '2026-11-06T10:00:00.000Z' })
      ])
    ).toEqual({ time: '2026-11-03T10:00:00.000Z', version: '2', source: 'run-migrations' });
    expect(
      lastTableMigration([row({ kind: 'command', appliedAt: '2026-11-07T10:00:00.000Z', version: '9' })])
    ).toMatchObject({ version: '9' });
    expect(lastTableMigration([])).toBeNull();
  });

  it("takes the newer of the hosts' migration.applied and the table's, and flags a drill older than it", () => {
    const history = parseHistory(
      'h1',
      [
        { time: '2026-11-02T10:00:00Z', event: 'migration.applied', version: 'v1.0.0' },
        { time: '2026-11-03T10:00:00Z', event: 'drill.completed' }
      ]
        .map((l) => JSON.stringify({ app: 'shop', environment: 'production', ...l }))
        .join('\n')
    );
    const at = (tableMigration: LastMigration | null | undefined) =>
      environmentReport('production', [history], {
        app: 'shop',
        incidentWindowMs: 86_400_000,
        until: Date.parse('2026-11-10T00:00:00Z'),
        ...(tableMigration !== undefined ? { tableMigration } : {})
      });
    expect(at(undefined)).toMatchObject({
      lastMigration: '2026-11-02T10:00:00Z',
      lastMigrationSource: 'history',
      drillOlderThanMigration: false
    });
    const newer = { time: '2026-11-04T09:00:00.000Z', version: '7', source: 'run-migrations' as const };
    expect(at(newer)).toMatchObject({
      lastMigration: newer.time,
      lastMigrationSource: 'run-migrations',
      drillOlderThanMigration: true
    });
    const older = { time: '2026-11-01T09:00:00.000Z', version: '1', source: 'run-migrations' as const };
    expect(at(older)).toMatchObject({
      lastMigration: '2026-11-02T10:00:00Z',
      drillOlderThanMigration: false
    });
  });
});

/**
 * Real run-migrations records in the lab's PostgreSQL, and a history on field host 1 with a drill between two
 * migrations: `deploy-actions report --database-url-env` names the newer migration and flags the drill once a
 * migration is newer than it. The times compared are the table's own `applied_at`.
 */
integration("the report reads run-migrations' history table", () => {
  const h = fieldHost(0);
  const app = 'metrics-migrations';
  const historyFile = join(h.stateDir, app, 'test', 'history.jsonl');
  let db: TestDb;
  let dir: string;

  beforeAll(async () => {
    db = await createDb('metrics_report');
    dir = migrationsDir({ 'V1__users.sql': 'CREATE TABLE users (id int);' });
    rmSync(join(h.stateDir, app), { recursive: true, force: true });
  });
  afterAll(async () => {
    await db?.drop();
    removeDir(dir);
    rmSync(join(h.stateDir, app), { recursive: true, force: true });
  });

  /** The report with the database URL in the variable named (as the key travels), or none. */
  const report = (url?: string) =>
    hostCli(
      h,
      [
        'report',
        '--app',
        app,
        '--environment',
        'test',
        '--state-dir',
        h.stateDir,
        '--database-url-env',
        'test=DA_TEST_DB',
        '--format',
        'json'
      ],
      undefined,
      url ? { DA_TEST_DB: url } : {}
    );

  it('names the newer migration and flags a drill older than it', async () => {
    const v1 = await migrate(db.url, dir);
    expect(v1.applied.map((a) => a.version)).toEqual(['1']);
    // The drill, recorded on the host after V1, as the engine writes it.
    const drillAt = new Date().toISOString();
    execFileSync('runuser', ['-u', h.user, '--', 'mkdir', '-p', join(h.stateDir, app, 'test')]);
    execFileSync('runuser', ['-u', h.user, '--', 'tee', '-a', historyFile], {
      input:
        JSON.stringify({ time: drillAt, event: 'drill.completed', app, environment: 'test', host: h.host }) +
        '\n',
      stdio: ['pipe', 'ignore', 'inherit']
    });
    const applied = async () =>
      (
        await sql<{ t: string }>(
          db.name,
          `SELECT to_char(max(applied_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS t FROM deploy_actions_migrations WHERE status = 'applied'`
        )
      )[0]!.t;
    const first = report(db.url);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)[0]).toMatchObject({
      lastDrill: drillAt,
      lastMigration: await applied(),
      lastMigrationSource: 'run-migrations',
      drillOlderThanMigration: false
    });

    // V2 lands after the drill; a V3 that fails changes nothing.
    writeFiles(dir, { 'V2__orders.sql': 'CREATE TABLE orders (id int);' });
    expect((await migrate(db.url, dir)).applied.map((a) => a.version)).toEqual(['2']);
    writeFiles(dir, { 'V3__broken.sql': 'CREATE TABLE broken (id int REFERENCES nowhere(id));' });
    expect((await migrate(db.url, dir)).error).toBeDefined();
    const second = report(db.url);
    expect(second.status).toBe(0);
    const r = JSON.parse(second.stdout)[0];
    expect(r).toMatchObject({
      lastMigration: await applied(),
      lastMigrationSource: 'run-migrations',
      drillOlderThanMigration: true
    });
    expect(Date.parse(r.lastMigration)).toBeGreaterThan(Date.parse(drillAt));
  }, 120_000);

  it('a database it cannot read is a note, not a guess; an empty variable is refused', () => {
    const r = report('postgresql://nobody:wrong@127.0.0.1:1/none');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout)[0];
    expect(json.lastMigrationSource).toBeNull();
    expect(json.notes.join('\n')).toMatch(/run-migrations' history not read/);
    expect(r.stdout).not.toContain('wrong');
    const empty = report();
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/--database-url-env names \$DA_TEST_DB for test, which is empty/);
  });
});

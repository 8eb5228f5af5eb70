import { join } from 'node:path';
import { InputReader, parseDuration } from '../../packages/core/src/index.js';
import {
  readMigrateInputs,
  migrationSummary,
  evidenceJson,
  type MigrateResult
} from '../../packages/migrate/src/index.js';
import { INPUTS } from '../../packages/manifest/src/index.js';
import { migrationsDir, removeDir, writeFiles } from './support.js';

/** run-migrations' inputs read into options, and the summary and evidence it writes. */
describe('readMigrateInputs', () => {
  const dir = migrationsDir({ 'V1__a.sql': 'SELECT 1;' });
  afterAll(() => removeDir(dir));
  const read = (values: Record<string, string>, env: Record<string, string> = {}) =>
    readMigrateInputs(
      new InputReader((n) => values[n] ?? ''),
      { GITHUB_WORKSPACE: '/tmp', ...env },
      new Date('2026-11-23T09:30:00Z')
    );
  const url = 'postgres://u:pw@127.0.0.1:5432/shop';

  it('durations past 24h are refused naming the input (issue 28): a timer would overflow and fire at once', () => {
    expect(() => read({ dir, 'lock-timeout': '600h' }, { DATABASE_URL: url })).toThrow(
      /Input 'lock-timeout': 600h is longer than 24h/
    );
    expect(() => read({ dir, 'statement-timeout': '25h' }, { DATABASE_URL: url })).toThrow(
      /statement-timeout/
    );
  });

  it('reads defaults, takes the URL from env DATABASE_URL, and resolves backup: true into RUNNER_TEMP', () => {
    const o = read(
      { dir, backup: 'true', 'lock-timeout': '30s' },
      { DATABASE_URL: url, RUNNER_TEMP: '/runner/tmp', GITHUB_REPOSITORY: 'acme/shop' }
    );
    expect(o).toMatchObject({
      mode: 'apply',
      lockTimeoutMs: 30_000,
      statementTimeoutMs: 0,
      allowOutOfOrder: false,
      app: 'shop'
    });
    expect(o.database?.database).toBe('shop');
    expect(o.backup).toEqual({ path: '/runner/tmp/shop-20261123T093000.dump', image: 'postgres:{major}' });
    const env = { DATABASE_URL: url, RUNNER_TEMP: '/runner/tmp' };
    expect(read({ dir, backup: 'true', 'pg-dump-image': 'none' }, env).backup?.image).toBe('');
    expect(
      read(
        {
          dir,
          backup: 'true',
          'pg-dump': '/usr/lib/postgresql/17/bin/pg_dump',
          'pg-dump-image': 'r/pg:{major}'
        },
        env
      ).backup
    ).toMatchObject({ binDir: '/usr/lib/postgresql/17/bin', image: 'r/pg:{major}' });
    expect(o.migrations.map((m) => m.file)).toEqual(['V1__a.sql']);
  });

  it('falls back to the defaults run-migrations declares in manifest.yml', () => {
    const declared = INPUTS['run-migrations'];
    const workspace = migrationsDir({});
    try {
      writeFiles(join(workspace, declared.dir.default), { 'V1__a.sql': 'SELECT 1;' });
      const o = read({ 'database-url': url }, { GITHUB_WORKSPACE: workspace });
      expect(o).toMatchObject({
        mode: declared.mode.default,
        dir: join(workspace, declared.dir.default),
        historyTable: declared['history-table'].default,
        lockTimeoutMs: parseDuration(declared['lock-timeout'].default),
        statementTimeoutMs: parseDuration(declared['statement-timeout'].default),
        allowOutOfOrder: (declared['allow-out-of-order'].default as string) === 'true',
        environment: declared.environment.default
      });
      expect(o.backup).toBeUndefined();
      const c = read({ 'database-url': url, command: 'migrate up' }, { GITHUB_WORKSPACE: workspace });
      expect(c.commandTimeoutMs).toBe(parseDuration(declared['command-timeout'].default));
    } finally {
      removeDir(workspace);
    }
  });

  it.each([
    [{}, /Input 'database-url': is required/],
    [{ 'database-url': url, dir, mode: 'down' }, /Input 'target': is required with mode down/],
    [
      { 'database-url': url, dir, mode: 'migrate' },
      /Input 'mode': "migrate" is not one of apply, plan, down, status, repair/
    ],
    [{ 'database-url': url, dir, target: 'latest' }, /Input 'target': "latest" is not a version/],
    [{ 'database-url': url, dir, 'lock-timeout': 'soon' }, /Input 'lock-timeout': "soon" is not a duration/],
    [
      { 'database-url': url, dir, command: 'migrate up', mode: 'down', target: '1' },
      /Input 'command': .*only fits mode apply/
    ],
    [{ 'database-url': url, dir, 'webhook-url': 'ftp://x' }, /Input 'webhook-url': is not an http\(s\) URL/]
  ])('%j', (values, message) => {
    expect(() => read(values)).toThrow(message);
  });
});

describe('summary and evidence', () => {
  it('renders what ran and keeps the error as text', () => {
    const result: MigrateResult = {
      mode: 'apply',
      outcome: 'success',
      startedAt: '2026-11-23T09:00:00.000Z',
      durationMs: 120,
      database: { display: 'postgres://u:***@h:5432/db', host: 'h', port: 5432, database: 'db', user: 'u' },
      server: { version: '15.18', versionNum: 150018 },
      applied: [
        {
          version: '1',
          name: 'a',
          file: 'V1__a.sql',
          checksum: 'ab'.repeat(32),
          execution: 'transaction',
          durationMs: 5
        }
      ],
      reverted: [],
      pending: [],
      currentVersion: '1',
      plan: [],
      status: [],
      repaired: [],
      retried: [
        {
          version: '1',
          file: 'V1__a.sql',
          direction: 'up',
          earlierFailures: [
            {
              at: '2026-11-23T08:00:00.000Z',
              by: 'alice',
              runUrl: '',
              line: 3,
              error: 'V1__a.sql at line 3: boom'
            }
          ]
        }
      ],
      baselined: [],
      events: [],
      warnings: []
    };
    const md = migrationSummary(result);
    expect(md).toContain('### ✅ run-migrations apply: success');
    expect(md).toContain('**Retried after a failed attempt**');
    expect(md).toContain(
      '| 1 | V1__a.sql | 1 | 2026-11-23T08:00:00.000Z by alice, line 3: V1__a.sql at line 3: boom |'
    );
    expect((evidenceJson(result).retried as { version: string }[]).map((r) => r.version)).toEqual(['1']);
    expect(md).toContain('| 1 | V1__a.sql | transaction | 5ms | abababababab |');
    expect(md).toContain('PostgreSQL 15.18');
    expect(evidenceJson(result)).not.toHaveProperty('error');
  });
});

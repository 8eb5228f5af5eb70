import { parseCommandLine } from '../../packages/command/src/index.js';
import { InputError, type MigrationError } from '../../packages/core/src/index.js';
import {
  canonicalVersion,
  compareVersions,
  computeState,
  loadMigrations,
  parseDatabaseUrl,
  parseMigrationName,
  pgDumpArgv,
  pgRestoreArgv,
  positionToLine,
  preflight,
  psqlFileArgv,
  redact,
  splitStatements,
  libpqEnv,
  createHistoryTableSql,
  parseTableName,
  type HistoryRow
} from '../../packages/migrate/src/index.js';
import { migrationsDir, removeDir } from './support.js';

describe('file names and versions', () => {
  it.each([
    ['V1__create_users.sql', { version: '1', name: 'create_users', direction: 'up', layout: 'flyway' }],
    ['V1_2__x.sql', { version: '1.2', name: 'x', direction: 'up', layout: 'flyway' }],
    ['V1.2.0__x.sql', { version: '1.2', name: 'x', direction: 'up', layout: 'flyway' }],
    ['U003__x.sql', { version: '3', name: 'x', direction: 'down', layout: 'flyway' }],
    ['000001_init.up.sql', { version: '1', name: 'init', direction: 'up', layout: 'golang-migrate' }],
    [
      '20240101120000_add.down.sql',
      { version: '20240101120000', name: 'add', direction: 'down', layout: 'golang-migrate' }
    ],
    ['3_users.down.sql', { version: '3', name: 'users', direction: 'down', layout: 'golang-migrate' }]
  ])('%s', (file, expected) => {
    expect(parseMigrationName(file)).toEqual(expected);
  });

  it.each(['R__view.sql', 'V1_create.sql', 'init.sql', '1_x.sql', 'Vx__y.sql'])(
    '%s is not a migration name',
    (f) => {
      expect(parseMigrationName(f)).toBeUndefined();
    }
  );

  it('compares versions as numbers, part by part', () => {
    const sorted = ['10', '9', '1.10', '1.9', '20240101120000', '2', '1'].sort(compareVersions);
    expect(sorted).toEqual(['1', '1.9', '1.10', '2', '9', '10', '20240101120000']);
    expect(canonicalVersion('0001_0')).toBe('1');
    expect(compareVersions('1', '1.0')).toBe(0);
  });

  it('loads, pairs down files, reads directives and refuses ambiguity', () => {
    const dir = migrationsDir({
      'V1__a.sql': 'CREATE TABLE a (id int);\r\n',
      'U1__a.sql': 'DROP TABLE a;',
      '2_b.up.sql': '-- +goose NO TRANSACTION\nCREATE INDEX CONCURRENTLY b ON a (id);',
      '2_b.down.sql': 'DROP INDEX b;',
      'V3__c.sql': 'SELECT 1;',
      'V3__c.sql.conf': 'executeInTransaction=false\n',
      'README.md': 'not sql'
    });
    try {
      const files = loadMigrations(dir);
      expect(
        files.map((f) => [f.version, f.file, f.transactional, f.down?.file ?? null, f.directive ?? null])
      ).toEqual([
        ['1', 'V1__a.sql', true, 'U1__a.sql', null],
        ['2', '2_b.up.sql', false, '2_b.down.sql', 'goose: +goose NO TRANSACTION'],
        ['3', 'V3__c.sql', false, null, 'flyway: executeInTransaction=false']
      ]);
      // CRLF is normalised before hashing: a Windows checkout does not look like drift.
      expect(files[0]!.sql).toBe('CREATE TABLE a (id int);\n');
    } finally {
      removeDir(dir);
    }
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'V1__a.sql': '', '1_a.up.sql': '' }, /Input 'dir': .* both have version 1/],
      [
        { 'seed.sql': '' },
        /Input 'dir': seed.sql is not a migration file name. Fix: name it V<version>__<name>.sql/
      ],
      [{ 'U4__x.sql': '' }, /down file U4__x.sql has no up file of version 4/],
      [
        { 'V1__half.sql': 'CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);' },
        /Input 'dir': V1__half.sql line 2: `COMMIT` controls the transaction, but each file already runs in a transaction of its own/
      ]
    ];
    for (const [files, message] of cases) {
      const d = migrationsDir(files);
      try {
        expect(() => loadMigrations(d)).toThrow(message);
      } finally {
        removeDir(d);
      }
    }
    expect(() => loadMigrations('/nonexistent/migrations')).toThrow(
      /Input 'dir': "\/nonexistent\/migrations" is not a directory/
    );
  });
});

describe('SQL lexing', () => {
  it('splits statements, keeping quotes, dollar quotes, comments and BEGIN ATOMIC bodies whole', () => {
    const sql = [
      '-- header; not a statement',
      'CREATE TABLE t (s text DEFAULT \'a;b\', "we;ird" int);',
      "INSERT INTO t (s) VALUES (E'it\\'s;'), ('x'';y');",
      '/* block; /* nested; */ still */ CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;',
      'CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;',
      'DO $$ BEGIN PERFORM 1; END $$;',
      'SELECT $1::int',
      ''
    ].join('\n');
    const s = splitStatements(sql);
    expect(s.map((x) => x.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(s[0]!.text).toBe('CREATE TABLE t (s text DEFAULT \'a;b\', "we;ird" int)');
    expect(s[2]!.text).toMatch(/^CREATE FUNCTION f\(\).*LANGUAGE sql$/);
    expect(s[3]!.text).toBe(
      'CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END'
    );
    expect(s[4]!.text).toBe('DO $$ BEGIN PERFORM 1; END $$');
    expect(sql.slice(s[1]!.offset).startsWith('INSERT')).toBe(true);
    expect(splitStatements('-- only a comment\n;\n')).toEqual([]);
    const rule = splitStatements(
      'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1;'
    );
    expect(rule.map((x) => x.line)).toEqual([1, 2]);
    expect(rule[0]!.text).toMatch(/\(2\)\)$/);
  });

  it('turns a server position (characters) into line and column', () => {
    const text = 'SELECT 1;\n-- 𝄞é\nSELEC 2;';
    // position of "SELEC": characters before it = 9 + 1 + 5 + 1 = 16 → position 17
    expect(positionToLine(text, 17)).toEqual({ line: 3, column: 1, lineText: 'SELEC 2;' });
    expect(positionToLine(text, 1)).toEqual({ line: 1, column: 1, lineText: 'SELECT 1;' });
  });
});

describe('database URL, argv and the command input', () => {
  const url = 'postgres://app%40prod:p%40ss%3Aw0rd@db.internal:6432/shop?sslmode=require';

  it('parses a URL and never shows the password', () => {
    const t = parseDatabaseUrl(url);
    expect(t).toMatchObject({
      host: 'db.internal',
      port: 6432,
      user: 'app@prod',
      password: 'p@ss:w0rd',
      database: 'shop',
      sslmode: 'require'
    });
    expect(t.display).toBe('postgres://app%40prod:***@db.internal:6432/shop');
    expect(libpqEnv(t)).toEqual({
      PGHOST: 'db.internal',
      PGPORT: '6432',
      PGUSER: 'app@prod',
      PGDATABASE: 'shop',
      PGPASSWORD: 'p@ss:w0rd',
      PGSSLMODE: 'require'
    });
    expect(redact(`failed for ${url} with p@ss:w0rd and p%40ss%3Aw0rd`, t)).toBe(
      'failed for *** with *** and ***'
    );
  });

  it('accepts a Unix socket directory as ?host=', () => {
    const t = parseDatabaseUrl('postgresql://app@/shop?host=/var/run/postgresql');
    expect(t).toMatchObject({
      host: '/var/run/postgresql',
      port: 5432,
      user: 'app',
      database: 'shop',
      password: ''
    });
    expect(t.display).toBe('postgres://app@[/var/run/postgresql]/shop');
    expect(libpqEnv(t)).toEqual({
      PGHOST: '/var/run/postgresql',
      PGPORT: '5432',
      PGUSER: 'app',
      PGDATABASE: 'shop'
    });
  });

  it.each([
    ['not a url p@ss', /Input 'database-url': is not a URL/],
    ['mysql://u:secretpw@h/db', /Input 'database-url': has scheme "mysql:"/]
  ])('refuses %s without echoing it', (value, message) => {
    let err: unknown;
    try {
      parseDatabaseUrl(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('secretpw');
    expect((err as Error).message).not.toContain('p@ss');
  });

  it('builds argv with no secret in it', () => {
    expect(pgDumpArgv('/tmp/b.dump')).toEqual([
      'pg_dump',
      '--format=custom',
      '--no-password',
      '--file',
      '/tmp/b.dump'
    ]);
    expect(pgDumpArgv('/tmp/b.dump', { binDir: '/usr/lib/postgresql/16/bin' })[0]).toBe(
      '/usr/lib/postgresql/16/bin/pg_dump'
    );
    expect(pgRestoreArgv('/tmp/b.dump', 'shop_restore', { clean: true })).toEqual([
      'pg_restore',
      '--no-password',
      '--exit-on-error',
      '--clean',
      '--if-exists',
      '--dbname',
      'shop_restore',
      '/tmp/b.dump'
    ]);
    expect(psqlFileArgv('V1__a.sql')).toEqual([
      'psql',
      '--no-password',
      '--quiet',
      '--no-psqlrc',
      '-v',
      'ON_ERROR_STOP=1',
      '--single-transaction',
      '--file',
      'V1__a.sql'
    ]);
  });

  it('reads the command as argv data, never as shell code (the splitter deploy-compose uses too)', () => {
    const parseCommandInput = (text: string) => parseCommandLine(text, 'command');
    expect(parseCommandInput('npm run migrate -- --env "prod eu"')).toEqual([
      'npm',
      'run',
      'migrate',
      '--',
      '--env',
      'prod eu'
    ]);
    expect(parseCommandInput(`bin/rails 'db:migrate'`)).toEqual(['bin/rails', 'db:migrate']);
    expect(parseCommandInput('["./migrate", "up; rm -rf /"]')).toEqual(['./migrate', 'up; rm -rf /']);
    expect(parseCommandInput('- ./migrate\n- up')).toEqual(['./migrate', 'up']);
    expect(() => parseCommandInput('npm run migrate && echo done')).toThrow(
      /Input 'command': has `&&` outside quotes: a shell would read it as an operator/
    );
    expect(() => parseCommandInput('migrate $DATABASE_URL')).toThrow(/has `\$D` outside quotes/);
    expect(() => parseCommandInput('["a", {"b": 1}]')).toThrow(/item 2 of the list is not a string/);
    expect(() => parseCommandInput('say "hi')).toThrow(/unclosed "/);
    expect(() => parseCommandInput('migrate\nseed')).toThrow(/line break/);
  });

  it('quotes the history table and refuses names that would need quoting', () => {
    expect(parseTableName('ops.schema_history', 'public').sql).toBe('"ops"."schema_history"');
    expect(parseTableName('deploy_actions_migrations', 'app').display).toBe('app.deploy_actions_migrations');
    expect(() => parseTableName('x; DROP TABLE users', 'public')).toThrow(/Input 'history-table'/);
    expect(createHistoryTableSql(parseTableName('h', 'public'))).toContain(
      'CREATE TABLE IF NOT EXISTS "public"."h"'
    );
  });
});

describe('state and pre-flight', () => {
  const dir = migrationsDir({ 'V1__a.sql': 'SELECT 1;', 'V2__b.sql': 'SELECT 2;', 'V3__c.sql': 'SELECT 3;' });
  afterAll(() => removeDir(dir));
  const files = () => loadMigrations(dir);
  let id = 0;
  const row = (
    version: string,
    status: HistoryRow['status'],
    extra: Partial<HistoryRow> = {}
  ): HistoryRow => ({
    id: ++id,
    version,
    name: 'x',
    script: `V${version}__x.sql`,
    checksum: files().find((f) => f.version === version)?.checksum ?? null,
    kind: 'up',
    execution: 'transaction',
    status,
    durationMs: 1,
    error: null,
    errorLine: null,
    appliedBy: 'octocat',
    appliedAt: '2026-11-23T09:00:00.000Z',
    runUrl: '',
    ...extra
  });
  const check =
    (history: HistoryRow[], allowOutOfOrder = false) =>
    () =>
      preflight(computeState(files(), history), { mode: 'apply', allowOutOfOrder, table: 'public.h' });

  it('derives each version from its latest row', () => {
    const s = computeState(files(), [
      row('1', 'applied'),
      row('2', 'applied'),
      row('2', 'reverted'),
      row('9', 'applied')
    ]);
    expect(s.versions.map((v) => [v.version, v.state])).toEqual([
      ['1', 'applied'],
      ['2', 'pending'],
      ['3', 'pending'],
      ['9', 'applied']
    ]);
    expect(s.currentVersion).toBe('9');
    expect(s.missingFiles.map((v) => v.version)).toEqual(['9']);
    expect(s.outOfOrder.map((v) => v.version)).toEqual(['2', '3']);
  });

  it('refuses a recorded failure of a no-transaction file, naming the repair', () => {
    const nt = { execution: 'no-transaction' } as const;
    expect(
      check([row('1', 'applied'), row('2', 'failed', { ...nt, error: 'syntax error', errorLine: 7 })])
    ).toThrow(/V2__x.sql \(up\) failed at line 7 on 2026-11-23T09:00:00.000Z by octocat: syntax error/);
    let hint = '';
    try {
      check([row('1', 'applied'), row('2', 'failed', nt)])();
    } catch (err) {
      hint = (err as MigrationError).hint ?? '';
    }
    expect(hint).toContain('then run this action with mode: repair');
    expect(
      check([row('1', 'applied'), row('2', 'failed', nt), row('2', 'repaired', { kind: 'repair' })])
    ).not.toThrow();
  });

  it('a failure that rolled back blocks nothing: the version stays pending, the attempt is evidence', () => {
    const history = [
      row('1', 'applied'),
      row('2', 'failed', {
        error: 'V2__x.sql at line 7: syntax error',
        errorLine: 7,
        checksum: 'e'.repeat(64)
      })
    ];
    expect(check(history)).not.toThrow();
    const s = computeState(files(), history);
    const v2 = s.versions.find((v) => v.version === '2')!;
    expect([v2.state, v2.drifted, v2.failedAttempts.map((r) => r.errorLine)]).toEqual([
      'pending',
      false,
      [7]
    ]);
    expect(s.failed).toEqual([]);
    expect(s.drifted).toEqual([]); // the failed attempt had another checksum: a file that never applied is not drift
    // once applied, the attempts are history: they no longer hang on the version
    const after = computeState(files(), [...history, { ...row('2', 'applied'), id: 99 }]);
    expect(after.versions.find((v) => v.version === '2')!.failedAttempts).toEqual([]);
    // a down that rolled back leaves the version applied
    const down = computeState(files(), [
      row('1', 'applied'),
      row('2', 'applied'),
      row('2', 'failed', { kind: 'down' })
    ]);
    expect(down.versions.find((v) => v.version === '2')!.state).toBe('applied');
  });

  it('refuses drift and out-of-order files', () => {
    expect(check([row('1', 'applied', { checksum: 'f'.repeat(64) })])).toThrow(/checksum drift/);
    expect(check([row('1', 'applied'), row('3', 'applied')])).toThrow(
      /older than the current version 3:\nV2__b.sql/
    );
    expect(check([row('1', 'applied'), row('3', 'applied')], true)).not.toThrow();
  });
});

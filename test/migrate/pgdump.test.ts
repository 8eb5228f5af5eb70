import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor, type Command, type Executor, type RunResult } from '../../packages/core/src/index.js';
import {
  choosePgDump,
  dockerPgDumpArgv,
  pgDumpMajor,
  serverMajor
} from '../../packages/migrate/src/index.js';
import { integration } from '../support/infra.js';
import { migrate, sql, tables, withFreshDb, type TestDb } from './support.js';

describe('the backup pg_dump matches the server major version', () => {
  const server = { serverVersion: '17.2', serverMajor: 17 };
  it('reads the versions', () => {
    expect(pgDumpMajor('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n')).toBe(15);
    expect(pgDumpMajor('pg_dump (PostgreSQL) 9.6.24')).toBe(9);
    expect(pgDumpMajor('bash: pg_dump: not found')).toBeUndefined();
    expect(serverMajor(170002)).toBe(17);
    expect(serverMajor(90624)).toBe(9);
  });

  it('takes the first local pg_dump of that major, else the image, else refuses naming the versions', () => {
    const found = [
      { path: '/usr/lib/postgresql/17/bin/pg_dump', major: undefined },
      { path: 'pg_dump', major: 16 }
    ];
    expect(
      choosePgDump({
        ...server,
        found: [...found, { path: '/x/pg_dump', major: 17 }],
        image: '',
        explicit: false
      })
    ).toEqual({ kind: 'local', path: '/x/pg_dump', major: 17 });
    expect(choosePgDump({ ...server, found, image: 'postgres:{major}', explicit: false })).toEqual({
      kind: 'image',
      image: 'postgres:17',
      major: 17
    });
    expect(() => choosePgDump({ ...server, found, image: '', explicit: false })).toThrow(
      "Backup refused: no pg_dump of the server's major version; the server runs PostgreSQL 17.2 (major 17), pg_dump found: /usr/lib/postgresql/17/bin/pg_dump (did not run), pg_dump (version 16), and pg-dump-image is none"
    );
    // A newer client would dump, but its dump needs as new a pg_restore: only the same major is taken.
    expect(
      choosePgDump({
        ...server,
        serverMajor: 15,
        serverVersion: '15.4',
        found,
        image: 'reg/pg:{major}-alpine',
        explicit: false
      })
    ).toEqual({ kind: 'image', image: 'reg/pg:15-alpine', major: 15 });
  });

  it('an explicit pg-dump of another major is refused, never replaced by the image', () => {
    expect(() =>
      choosePgDump({
        ...server,
        found: [{ path: '/opt/pg/bin/pg_dump', major: 16 }],
        image: 'postgres:{major}',
        explicit: true
      })
    ).toThrow(
      /input pg-dump must be a pg_dump of the server's major version; the server runs PostgreSQL 17.2 \(major 17\), the given pg_dump is \/opt\/pg\/bin\/pg_dump \(version 16\)/
    );
  });

  it('runs the image on the host network as the runner user, passing libpq variables by name only', () => {
    const argv = dockerPgDumpArgv('postgres:17', '/tmp/r/db.dump', ['PGHOST', 'PGPASSWORD'], {
      uid: 1001,
      gid: 121
    });
    expect(argv).toEqual([
      'docker',
      'run',
      '--rm',
      '--network',
      'host',
      '--user',
      '1001:121',
      '--volume',
      '/tmp/r:/tmp/r',
      '--env',
      'PGHOST',
      '--env',
      'PGPASSWORD',
      'postgres:17',
      'pg_dump',
      '--format=custom',
      '--no-password',
      '--file',
      '/tmp/r/db.dump'
    ]);
  });
});

/** Records every command before running it locally. */
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

integration("run-migrations backup: pg_dump of the lab server's major version", () => {
  let db: TestDb;
  let dir: string;
  let out: string;
  withFreshDb('pgdump', { 'V1__t.sql': 'CREATE TABLE t (id int);\n' }, (f) => ({ db, dir } = f));
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'da-anon2-pgdump-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  /** A pg_dump stand-in that reports `version` and would write a file if it ever ran a dump. */
  const fakePgDump = (version: string) => {
    const bin = join(out, `fake-${version.replace(/\W/g, '')}`);
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'pg_dump'),
      `#!/bin/sh\nif [ "$1" = --version ]; then echo "pg_dump (PostgreSQL) ${version}"; exit 0; fi\ntouch "${out}/fake-dump-ran"; exit 1\n`
    );
    chmodSync(join(bin, 'pg_dump'), 0o755);
    return bin;
  };

  it("without pg-dump, finds the server's major in /usr/lib/postgresql/<major>/bin and dumps with it", async () => {
    const major = serverMajor(Number((await sql(db.name, 'SHOW server_version_num'))[0]!.server_version_num));
    const executor = new RecordingExecutor();
    const path = join(out, 'a.dump');
    const r = await migrate(db.url, dir, { backup: { path, image: '' } }, executor);
    expect(r.error).toBeUndefined();
    expect(r.backup?.pgDump).toBe(`/usr/lib/postgresql/${major}/bin/pg_dump`);
    expect(statSync(path).size).toBeGreaterThan(0);
    const dump = executor.commands.find((c) => c.argv.includes('--file'))!;
    expect(dump.argv[0]).toBe(`/usr/lib/postgresql/${major}/bin/pg_dump`);
    expect(r.log).toContain(
      `Backup with pg_dump ${major} (/usr/lib/postgresql/${major}/bin/pg_dump) of PostgreSQL`
    );
    expect(await tables(db.name)).toEqual(['t']);
  });

  it('a pg-dump of another major is refused before any change, naming both versions', async () => {
    const bin = fakePgDump('13.9');
    const r = await migrate(db.url, dir, {
      backup: { path: join(out, 'b.dump'), binDir: bin, image: 'postgres:{major}' }
    });
    const server = ((await sql(db.name, 'SHOW server_version'))[0]!.server_version as string).split(' ')[0];
    expect(r.error?.message).toContain(
      `Backup refused: input pg-dump must be a pg_dump of the server's major version; the server runs PostgreSQL ${server} (major ${serverMajor(Number((await sql(db.name, 'SHOW server_version_num'))[0]!.server_version_num))}), the given pg_dump is ${bin}/pg_dump (version 13)`
    );
    expect(r.error?.state).toBe('nothing was applied');
    expect(await tables(db.name)).toEqual([]);
    expect(existsSync(join(out, 'fake-dump-ran'))).toBe(false);
  });

  it('a matching pg_dump that fails stops the run before any change', async () => {
    const major = (await sql(db.name, 'SHOW server_version_num'))[0]!.server_version_num as string;
    const bin = fakePgDump(`${serverMajor(Number(major))}.1`);
    const r = await migrate(db.url, dir, { backup: { path: join(out, 'c.dump'), binDir: bin } });
    expect(r.error?.message).toMatch(
      /^Backup failed: pg_dump of postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\S+ did not complete/
    );
    expect(r.error?.state).toBe('nothing was applied');
    expect(await tables(db.name)).toEqual([]);
    expect(existsSync(join(out, 'fake-dump-ran'))).toBe(true);
  });
});

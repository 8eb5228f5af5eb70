import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { integration, infra } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';
import { createDb, SALT, sql, type TestDb } from './support.js';

/** The engine as its own process: killed mid-copy, and copying a table larger than its heap. */
function start(src: TestDb, dst: TestDb, rules: string, nodeArgs: string[] = []): ChildProcess {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', join(REPO_ROOT, 'test/anonymize/child.ts')],
    {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe']
    }
  );
  child.stdin!.end(
    JSON.stringify({ source: src.url, target: dst.url, rules, salt: SALT, pgBin: infra().postgres.bin })
  );
  return child;
}

function exit(
  child: ChildProcess
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))
  );
}

const WIDE_RULES = `
tables:
  wide:
    columns:
      id: keep
      email: email
      secret: hash
      payload: keep
`;

async function seedWide(db: string, rows: number): Promise<void> {
  await sql(
    db,
    `CREATE TABLE wide (id bigint PRIMARY KEY, email text UNIQUE NOT NULL, secret text NOT NULL, payload text NOT NULL)`
  );
  await sql(
    db,
    `INSERT INTO wide SELECT g, 'user' || g || '@corp.test', md5(g::text), repeat(md5(g::text), 8) FROM generate_series(1, $1) g`,
    [rows]
  );
}

integration('anonymize-data as a process', () => {
  let src: TestDb;
  let dst: TestDb;
  beforeAll(async () => {
    src = await createDb('proc_src');
    dst = await createDb('proc_dst');
    await seedWide(src.name, 400_000); // ~150 MB of rows: more than the 64 MB heap below
  }, 300_000);
  afterAll(async () => {
    await src?.drop();
    await dst?.drop();
  });

  it('copies a table larger than its heap under --max-old-space-size=64', async () => {
    const done = await exit(start(src, dst, WIDE_RULES, ['--max-old-space-size=64']));
    expect(done.stderr.split('\n').filter((l) => /heap out of memory|FATAL/.test(l))).toEqual([]);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout.trim().split('\n').pop()!).rows).toEqual([['public.wide', 400_000]]);
    expect(
      await sql(
        dst.name,
        `SELECT count(*)::int AS n, count(DISTINCT email)::int AS e FROM wide WHERE email LIKE '%@example.com'`
      )
    ).toEqual([{ n: 400_000, e: 400_000 }]);
  }, 600_000);

  it('killed mid-copy, it leaves the previous data in place and readable; the next run finishes', async () => {
    // the previous staging data: the small table from before
    await sql(
      dst.name,
      `DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE TABLE wide (id bigint PRIMARY KEY, email text); INSERT INTO wide VALUES (1, 'old@staging')`
    );
    const child = start(src, dst, WIDE_RULES);
    const exited = exit(child);
    // wait on observable state: the copy's COPY FROM is writing rows into the loading schema
    for (;;) {
      const progress = await sql<{ n: string }>(
        dst.name,
        `SELECT tuples_processed::text AS n FROM pg_stat_progress_copy WHERE datname = current_database() AND command = 'COPY FROM'`
      );
      if (progress.length && Number(progress[0]!.n) > 10_000) break;
      const gone = await Promise.race([
        exited.then(() => true),
        new Promise((r) => setImmediate(() => r(false)))
      ]);
      if (gone) throw new Error(`the copy ended before it could be killed: ${(await exited).stderr}`);
    }
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    expect(await sql(dst.name, 'SELECT id::int, email FROM public.wide')).toEqual([
      { id: 1, email: 'old@staging' }
    ]);

    const again = await exit(start(src, dst, WIDE_RULES));
    expect(again.code).toBe(0);
    expect(await sql(dst.name, 'SELECT count(*)::int AS n FROM public.wide')).toEqual([{ n: 400_000 }]);
    expect(
      await sql(dst.name, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'anon%'`)
    ).toEqual([{ n: 0 }]);
  }, 600_000);
});

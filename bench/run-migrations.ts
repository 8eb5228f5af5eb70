/**
 * run-migrations: applying 500 small migrations with the engine (advisory lock, pre-flight, one
 * transaction per file, a history row per file with sha256 and timings) against what a user would
 * otherwise script: feeding the same files one by one to `psql -1 -v ON_ERROR_STOP=1 -f`, bare, and with
 * a history INSERT in the same transaction to get comparable evidence. Then the no-op re-run (the common
 * case in a deploy pipeline) for both.
 *
 *   npx tsx bench/run-migrations.ts [count]
 *
 * Uses the infra's PostgreSQL (bash scripts/infra.sh up); creates and drops da_migrate_bench_* databases.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { LocalExecutor, silentLogger } from '../packages/core/src/index.js';
import {
  libpqEnv,
  loadMigrations,
  parseDatabaseUrl,
  psqlFileArgv,
  runMigrations
} from '../packages/migrate/src/index.js';

const COUNT = Number(process.argv[2] ?? 500);
const infra = JSON.parse(readFileSync('/tmp/deploy-actions-infra/infra.json', 'utf8')) as {
  postgres: { host: string; port: number; user: string; password: string; bin: string };
};
const pgi = infra.postgres;
const urlFor = (db: string) =>
  `postgres://${pgi.user}:${encodeURIComponent(pgi.password)}@${pgi.host}:${pgi.port}/${db}`;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: urlFor('postgres') });
  await c.connect();
  await c.query(sql);
  await c.end();
}

async function freshDb(name: string): Promise<string> {
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  return urlFor(name);
}

async function countTables(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const r = await c.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 't\\_%'");
  await c.end();
  return Number(r.rows[0]!.n);
}

const dir = mkdtempSync(join(tmpdir(), 'da-migrate-bench-'));
for (let i = 1; i <= COUNT; i++) {
  writeFileSync(
    join(dir, `V${i}__table_${i}.sql`),
    `-- migration ${i}\nCREATE TABLE t_${i} (id int PRIMARY KEY, note text NOT NULL DEFAULT '');\nINSERT INTO t_${i} (id) VALUES (1), (2), (3);\nCREATE INDEX t_${i}_note ON t_${i} (note);\n`
  );
}
const files = loadMigrations(dir);

interface Row {
  how: string;
  ms: number;
  recorded: string;
  lock: string;
  ok: boolean;
}
const rows: Row[] = [];

async function engine(url: string): Promise<{ ms: number; applied: number }> {
  const started = performance.now();
  const r = await runMigrations(
    {
      mode: 'apply',
      database: parseDatabaseUrl(url),
      migrations: files,
      lockTimeoutMs: 10_000,
      statementTimeoutMs: 0,
      allowOutOfOrder: false,
      historyTable: 'deploy_actions_migrations',
      app: 'bench',
      environment: 'bench'
    },
    {
      logger: silentLogger,
      context: { actor: 'bench', runUrl: '', repository: 'acme/bench', runId: '', runAttempt: '' }
    }
  );
  if (r.error) throw r.error;
  return { ms: performance.now() - started, applied: r.applied.length };
}

async function psqlLoop(url: string, withHistory: boolean): Promise<number> {
  const executor = new LocalExecutor();
  const env = libpqEnv(parseDatabaseUrl(url));
  const started = performance.now();
  if (withHistory) {
    await executor.run({
      argv: [
        join(pgi.bin, 'psql'),
        '--no-password',
        '--quiet',
        '-c',
        'CREATE TABLE IF NOT EXISTS schema_history (version text PRIMARY KEY, applied_at timestamptz DEFAULT now())'
      ],
      env
    });
  }
  for (const f of files) {
    const argv = psqlFileArgv(join(dir, f.file), { binDir: pgi.bin });
    if (withHistory) argv.push('-c', `INSERT INTO schema_history (version) VALUES ('${f.version}')`);
    await executor.run({ argv, env });
  }
  return performance.now() - started;
}

/** The no-op re-run of a psql script: it must ask, per file, whether it already ran. */
async function psqlNoop(url: string): Promise<number> {
  const executor = new LocalExecutor();
  const env = libpqEnv(parseDatabaseUrl(url));
  const started = performance.now();
  const r = await executor.run({
    argv: [join(pgi.bin, 'psql'), '--no-password', '-At', '-c', 'SELECT version FROM schema_history'],
    env
  });
  const done = new Set(r.stdout.split('\n'));
  const todo = files.filter((f) => !done.has(f.version));
  if (todo.length) throw new Error('psql no-op found work');
  return performance.now() - started;
}

try {
  const a = await freshDb('da_migrate_bench_engine');
  const e = await engine(a);
  rows.push({
    how: `run-migrations engine: apply ${COUNT}`,
    ms: e.ms,
    recorded: 'yes: version, sha256, duration, who, run',
    lock: 'advisory',
    ok: (await countTables(a)) === COUNT
  });
  const again = await engine(a);
  rows.push({
    how: 'run-migrations engine: re-run, nothing pending (pre-flight + checksums)',
    ms: again.ms,
    recorded: '-',
    lock: 'advisory',
    ok: again.applied === 0
  });

  // Interleaved and repeated, best of two: 500 process starts are at the mercy of whatever else the
  // machine is doing, and the first loop also warms the page cache for psql.
  const b = await freshDb('da_migrate_bench_psql');
  const c = await freshDb('da_migrate_bench_psqlh');
  const bareTimes: number[] = [];
  const histTimes: number[] = [];
  for (let round = 0; round < 2; round++) {
    if (round === 1) {
      await freshDb('da_migrate_bench_psql');
      await freshDb('da_migrate_bench_psqlh');
    }
    bareTimes.push(await psqlLoop(b, false));
    histTimes.push(await psqlLoop(c, true));
  }
  rows.push({
    how: `psql -1 -f per file: ${COUNT} processes (best of ${bareTimes.map((t) => (t / 1000).toFixed(1)).join(' / ')} s)`,
    ms: Math.min(...bareTimes),
    recorded: 'no',
    lock: 'none',
    ok: (await countTables(b)) === COUNT
  });
  rows.push({
    how: `psql -1 -f per file + history INSERT in the same transaction (best of ${histTimes.map((t) => (t / 1000).toFixed(1)).join(' / ')} s)`,
    ms: Math.min(...histTimes),
    recorded: 'version, time',
    lock: 'none',
    ok: (await countTables(c)) === COUNT
  });
  rows.push({
    how: 'psql script: re-run, nothing pending (one SELECT of the history)',
    ms: await psqlNoop(c),
    recorded: '-',
    lock: 'none',
    ok: true
  });

  const base = rows[0]!.ms;
  console.log(
    `\n### run-migrations: ${COUNT} small migrations (CREATE TABLE + INSERT + CREATE INDEX each), PostgreSQL on 127.0.0.1\n`
  );
  console.log('| how | total | per file | vs engine | history | lock | all applied |');
  console.log('| --- | ---: | ---: | ---: | --- | --- | --- |');
  for (const r of rows) {
    const perFile = r.how.includes('re-run') ? '-' : `${(r.ms / COUNT).toFixed(2)} ms`;
    console.log(
      `| ${r.how} | ${(r.ms / 1000).toFixed(2)} s | ${perFile} | ${r.how.includes('re-run') ? '-' : `${(r.ms / base).toFixed(1)}×`} | ${r.recorded} | ${r.lock} | ${r.ok ? 'yes' : 'NO'} |`
    );
  }
  console.log(
    `\nnode ${process.version}, ${files.length} files, cores: ${(await import('node:os')).cpus().length}`
  );
} finally {
  for (const d of ['engine', 'psql', 'psqlh'])
    await admin(`DROP DATABASE IF EXISTS da_migrate_bench_${d} WITH (FORCE)`);
  rmSync(dir, { recursive: true, force: true });
}

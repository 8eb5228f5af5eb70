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
import { KILL_POINTS, killMatrixTable, runKillPoint } from '../test/migrate/kill-matrix.js';
import { runBundle } from '../test/support/harness.js';
import {
  libpqEnv,
  loadMigrations,
  type MigrateOptions,
  parseDatabaseUrl,
  psqlFileArgv,
  runMigrations
} from '../packages/migrate/src/index.js';

const args = process.argv.slice(2);
const COUNT = Number(args.find((a) => /^\d+$/.test(a)) ?? 500);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const section = (name: string) => !only || only === name;
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
  if (section('apply')) await applySection();
  if (section('retry')) await retrySection();
  if (section('kill')) await killSection();
} finally {
  for (const d of ['engine', 'psql', 'psqlh'])
    await admin(`DROP DATABASE IF EXISTS da_migrate_bench_${d} WITH (FORCE)`);
  rmSync(dir, { recursive: true, force: true });
}

async function applySection(): Promise<void> {
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
}

function engineOptions(url: string, migrationDir: string): MigrateOptions {
  return {
    mode: 'apply',
    database: parseDatabaseUrl(url),
    migrations: loadMigrations(migrationDir),
    lockTimeoutMs: 10_000,
    statementTimeoutMs: 0,
    allowOutOfOrder: false,
    historyTable: 'deploy_actions_migrations',
    app: 'bench',
    environment: 'bench'
  };
}

/**
 * A file fails in its transaction (file 10 of 10: a typo), the author fixes it, and it ships. Now: the
 * fixed file simply applies. Before: the next apply refused until a separate `mode: repair` run, so the
 * same fix cost three runs (and a person starting the middle one). Both measured with the engine, best
 * of ROUNDS on fresh databases; the "before" path is the sequence of runs that release had to make.
 */
async function retrySection(): Promise<void> {
  const ROUNDS = 5;
  const N = 10;
  const retryDir = mkdtempSync(join(tmpdir(), 'da-migrate-bench-retry-'));
  const good = (i: number) =>
    `CREATE TABLE r_${i} (id int PRIMARY KEY, note text);\nINSERT INTO r_${i} VALUES (1, 'x');\n`;
  const write = (broken: boolean) => {
    for (let i = 1; i <= N; i++) {
      const body = i === N && broken ? `CREATE TABLE r_${i} (id int PRIMARY KEY, note txet);\n` : good(i);
      writeFileSync(join(retryDir, `V${i}__r_${i}.sql`), body);
    }
  };
  const context = { actor: 'bench', runUrl: '', repository: 'acme/bench', runId: '', runAttempt: '' };
  const run = async (url: string, mode: 'apply' | 'repair') => {
    const started = performance.now();
    const r = await runMigrations(
      { ...engineOptions(url, retryDir), mode },
      { logger: silentLogger, context }
    );
    return { ms: performance.now() - started, r };
  };
  const now: number[] = [];
  const before: number[] = [];
  let nowOk = true;
  let beforeOk = true;
  let repairStepMs = NaN;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const path of ['now', 'before'] as const) {
        const url = await freshDb(`da_migrate_bench_retry_${path}`);
        write(true);
        const failed = await run(url, 'apply');
        write(false);
        let total = failed.ms;
        if (path === 'before') total += (await run(url, 'repair')).ms;
        const fixed = await run(url, 'apply');
        total += fixed.ms;
        const ok =
          !!failed.r.error &&
          !fixed.r.error &&
          fixed.r.applied.length === 1 &&
          fixed.r.currentVersion === String(N);
        if (path === 'now') {
          now.push(total);
          nowOk &&= ok && fixed.r.retried.length === 1;
        } else {
          before.push(total);
          beforeOk &&= ok;
        }
      }
    }
    // What the extra run costs as a step of its own: the bundle, started as the runner starts it.
    const url = await freshDb('da_migrate_bench_retry_now');
    const step = performance.now();
    const repairStep = await runBundle('run-migrations', {
      inputs: { 'database-url': url, dir: retryDir, mode: 'repair' }
    });
    repairStepMs = repairStep.exitCode === 0 ? performance.now() - step : NaN;
  } finally {
    for (const p of ['now', 'before'])
      await admin(`DROP DATABASE IF EXISTS da_migrate_bench_retry_${p} WITH (FORCE)`);
    rmSync(retryDir, { recursive: true, force: true });
  }
  const best = (xs: number[]) => Math.min(...xs);
  console.log(
    `\n### run-migrations: a file fails in its transaction, then the fix ships (${N} files, best of ${ROUNDS})\n`
  );
  console.log(
    '| path | runs | by hand | total (failed run + fix) | vs now | fix applied, history keeps the failure |'
  );
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  console.log(
    `| now: apply (fails, rolled back) → fix → apply | 2 | 0 | ${best(now).toFixed(0)} ms | 1.0× | ${nowOk ? 'yes, and the summary names the failed attempt' : 'NO'} |`
  );
  console.log(
    `| before: apply (fails) → fix → mode: repair → apply | 3 | 1 (a separate repair run) | ${best(before).toFixed(0)} ms | ${(best(before) / best(now)).toFixed(1)}× | ${beforeOk ? 'yes' : 'NO'} |`
  );
  console.log(
    `\nThe engine time of the repair run is small; as a step of its own (the bundle started as the runner starts it) it took ${repairStepMs.toFixed(0)} ms here, before any job queueing, runner start or the person who has to dispatch it.`
  );
}

/** The kill matrix (issue 17.4): the same runs as test/migrate/kill.test.ts, printed as evidence. */
async function killSection(): Promise<void> {
  const outcomes = [];
  for (const point of KILL_POINTS) outcomes.push(await runKillPoint(point));
  const green = outcomes.filter(
    (o) =>
      o.signal === 'SIGKILL' &&
      o.lockFreed &&
      o.failedRows === 0 &&
      o.nextExit === 0 &&
      o.finalHistory.join() === '1:applied,2:applied,3:applied' &&
      o.finalData === '1,2,3'
  ).length;
  console.log(
    `\n### run-migrations killed (SIGKILL of the bundle process) at ${outcomes.length} points, then a plain apply\n`
  );
  console.log(killMatrixTable(outcomes));
  console.log(
    `\n${green} of ${outcomes.length} cells green (lock freed, no failed row, next apply ok, history and data complete)`
  );
}

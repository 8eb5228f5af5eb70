/**
 * anonymize-data: 1 million rows across three tables (customers, orders, tickets), each masking at least one
 * `hash` and one `email` column, copied by the engine (COPY streaming, masking, leak check, swap with the
 * constraints built) against what a user would otherwise run with no masking at all: `pg_dump | psql` of the
 * same database into an empty one. Wall time and peak memory (max RSS) of each, same data, same run.
 *
 *   npx tsx bench/anonymize-data.ts [rows]      (default 1000000)
 *
 * Uses the infra's PostgreSQL (bash scripts/infra.sh up); creates and drops anon_bench_* databases.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { libpqEnv, parseDatabaseUrl } from '../packages/migrate/src/index.js';

const ROWS = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const infra = JSON.parse(readFileSync('/tmp/deploy-actions-infra/infra.json', 'utf8')) as {
  postgres: { host: string; port: number; user: string; password: string; bin: string };
};
const pgi = infra.postgres;
const urlFor = (db: string) =>
  `postgres://${pgi.user}:${encodeURIComponent(pgi.password)}@${pgi.host}:${pgi.port}/${db}`;
const root = join(import.meta.dirname, '..');

async function query(db: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: urlFor(db) });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

const RULES = `
tables:
  customers:
    columns: { id: keep, email: email, api_token: hash, full_name: name, created_at: keep }
  orders:
    columns: { id: keep, customer_id: keep, billing_email: email, card_token: hash, total: keep }
  tickets:
    columns: { id: keep, order_id: keep, reporter_email: email, session_token: hash, body: keep }
`;

async function seed(db: string): Promise<void> {
  const c = Math.round(ROWS * 0.4);
  const o = Math.round(ROWS * 0.4);
  const t = ROWS - c - o;
  await query(
    db,
    `CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, api_token text NOT NULL, full_name text NOT NULL, created_at timestamptz NOT NULL);
     CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, billing_email text NOT NULL, card_token text NOT NULL, total numeric(10,2) NOT NULL);
     CREATE TABLE tickets (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders, reporter_email text NOT NULL, session_token text NOT NULL, body text NOT NULL);
     INSERT INTO customers SELECT g, 'customer' || g || '@corp.test', md5('t' || g), 'Customer ' || g, timestamptz '2026-01-01' + g * interval '1 minute' FROM generate_series(1, ${c}) g;
     INSERT INTO orders SELECT g, 1 + g % ${c}, 'billing' || g || '@corp.test', md5('c' || g), (g % 1000) / 7.0 FROM generate_series(1, ${o}) g;
     INSERT INTO tickets SELECT g, 1 + g % ${o}, 'reporter' || g || '@corp.test', md5('s' || g), repeat('the parcel did not arrive ', 3) FROM generate_series(1, ${t}) g;
     ANALYZE;`
  );
}

/** Run argv under /usr/bin/time; resolve with wall seconds and the max RSS (MB) GNU time reports. */
function timed(
  argv: string[],
  options: { env?: Record<string, string>; stdin?: string; pipeTo?: string[] } = {}
): Promise<{ seconds: number; rssMb: number[]; stdout: string; log: string }> {
  const started = process.hrtime.bigint();
  const env = { ...process.env, ...options.env };
  const a = spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M', ...argv], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const b = options.pipeTo
    ? spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M', ...options.pipeTo], {
        env,
        stdio: ['pipe', 'pipe', 'pipe']
      })
    : undefined;
  if (b) a.stdout.pipe(b.stdin);
  let stdout = '';
  const errs = ['', ''];
  (b ?? a).stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  a.stderr.on('data', (d: Buffer) => (errs[0] += d.toString()));
  b?.stderr.on('data', (d: Buffer) => (errs[1] += d.toString()));
  a.stdin.end(options.stdin ?? '');
  const exit = (p: ReturnType<typeof spawn>) =>
    new Promise<number>((r) => p.on('exit', (code) => r(code ?? 1)));
  return Promise.all([exit(a), b ? exit(b) : Promise.resolve(0)]).then(([ca, cb]) => {
    if (ca || cb) throw new Error(`${argv[0]} failed: ${errs.join('\n').slice(-2000)}`);
    const rssMb = errs
      .filter(Boolean)
      .map((e) => Math.round(Number(/maxrss_kb=(\d+)/.exec(e)?.[1] ?? 0) / 1024));
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, rssMb, stdout, log: errs[0]! };
  });
}

const src = `anon_bench_src_${process.pid}`;
const dumpDst = `anon_bench_dump_${process.pid}`;
const anonDst = `anon_bench_anon_${process.pid}`;
try {
  for (const db of [src, dumpDst, anonDst]) await query('postgres', `CREATE DATABASE ${db}`);
  console.log(`seeding ${ROWS} rows…`);
  await seed(src);
  const size = (await query(src, `SELECT pg_size_pretty(pg_database_size(current_database())) AS s`)).rows[0]
    .s as string;

  const env = libpqEnv(parseDatabaseUrl(urlFor(src)));
  const dump = await timed([join(pgi.bin, 'pg_dump'), '--no-password', '--no-owner', src], {
    env,
    pipeTo: [join(pgi.bin, 'psql'), '--no-password', '-q', '-v', 'ON_ERROR_STOP=1', '-d', dumpDst]
  });
  console.log(`pg_dump | psql: ${dump.seconds.toFixed(1)} s`);

  const anon = await timed([process.execPath, '--import', 'tsx', join(root, 'test/anonymize/child.ts')], {
    stdin: JSON.stringify({
      source: urlFor(src),
      target: urlFor(anonDst),
      rules: RULES,
      salt: 'bench-salt-0123456789',
      pgBin: pgi.bin
    })
  });
  const out = JSON.parse(anon.stdout.trim().split('\n').pop()!) as { rows: [string, number][] };
  const copied = out.rows.reduce((n, [, r]) => n + r, 0);
  console.log(`anonymize-data: ${anon.seconds.toFixed(1)} s, ${copied} rows`);
  console.log(anon.log.replace(/maxrss_kb=\d+\n?/, ''));
  const [leaks] = (
    await query(anonDst, `SELECT count(*)::int AS n FROM customers WHERE email LIKE '%@corp.test'`)
  ).rows;

  console.log(
    `\n${ROWS} rows (customers ${Math.round(ROWS * 0.4)}, orders ${Math.round(ROWS * 0.4)}, tickets ${ROWS - 2 * Math.round(ROWS * 0.4)}), database ${size}; PostgreSQL ${pgi.bin}; ${new Date().toISOString()}\n`
  );
  console.log('| run | what it does | wall time | peak memory (max RSS) | × pg_dump \\| psql |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(
    `| \`pg_dump \\| psql\` | plain copy, no masking | ${dump.seconds.toFixed(1)} s | pg_dump ${dump.rssMb[0]} MB, psql ${dump.rssMb[1]} MB | 1.00 |`
  );
  console.log(
    `| anonymize-data engine | 7 columns masked (3 hash, 3 email, 1 name), leak check, swap | ${anon.seconds.toFixed(1)} s | node ${anon.rssMb[0]} MB | ${(anon.seconds / dump.seconds).toFixed(2)} |`
  );
  console.log(`\nrows copied: ${copied}; unmasked emails left in customers: ${leaks.n}`);
} finally {
  for (const db of [src, dumpDst, anonDst])
    await query('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
}

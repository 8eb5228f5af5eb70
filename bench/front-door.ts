/**
 * The front door against the per-app proxy: the same upstream (a small node HTTP server), the same load
 * (200 requests/s on fresh connections for 20 s each), the latency seen by the client, p50 and p99, and their
 * ratio. Both nginx configs are the ones a deploy writes (packages/frontdoor, packages/deploy proxy.ts), run
 * from temp dirs on 127.0.0.1. Run: npx tsx bench/front-door.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PROXY, nginxConf, proxyFiles, upstreamConf } from '../packages/deploy/src/index.js';
import { frontDoorConf, frontDoorLayout, siteConf } from '../packages/frontdoor/src/index.js';

const NGINX = '/usr/sbin/nginx';
const RATE = 200;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const [APP, PROXY, DOOR] = [18690, 18691, 18692];

function once(port: number, host: string): Promise<number> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(Number(process.hrtime.bigint() - t) / 1e6)
          : reject(new Error(`status ${res.statusCode}`))
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function run(port: number, host: string): Promise<{ p50: number; p99: number; failed: number }> {
  const times: number[] = [];
  let failed = 0;
  const all: Promise<void>[] = [];
  await new Promise<void>((done) => {
    let sent = 0;
    const timer = setInterval(() => {
      all.push(
        once(port, host).then(
          (ms) => void times.push(ms),
          () => void failed++
        )
      );
      if (++sent >= RATE * SECONDS) {
        clearInterval(timer);
        done();
      }
    }, 1000 / RATE);
  });
  await Promise.all(all);
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { p50: q(0.5), p99: q(0.99), failed };
}

function start(dir: string, conf: string): void {
  execFileSync(NGINX, ['-e', join(dir, 'error.log'), '-p', dir, '-c', conf], { stdio: 'pipe' });
}
function stop(pidFile: string): void {
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGQUIT');
  } catch {
    /* gone */
  }
}

const root = mkdtempSync(join(tmpdir(), 'bench-front-door-'));
const app = createServer((_q, r) => r.end('ok\n')).listen(APP, '127.0.0.1');
const pd = join(root, 'proxy');
const proxy = proxyFiles(pd);
mkdirSync(join(pd, 'tmp'), { recursive: true });
writeFileSync(proxy.upstream, upstreamConf(APP, 'bench', 'blue'));
writeFileSync(proxy.conf, nginxConf(proxy, '127.0.0.1', PROXY, DEFAULT_PROXY));
const l = frontDoorLayout(root);
mkdirSync(join(l.root, 'tmp'), { recursive: true });
mkdirSync(l.sites, { recursive: true });
const listen = { bind: '127.0.0.1', httpPort: DOOR };
writeFileSync(l.conf, frontDoorConf(l, listen));
writeFileSync(join(l.root, 'owner.conf'), 'return 200 "owner bench\\n";\n');
for (const [i, name] of ['shop', 'blog', 'wiki'].entries())
  writeFileSync(
    join(l.sites, `${name}--production.conf`),
    siteConf({
      app: `${name}/production`,
      key: `${name}--production`,
      hostnames: [`${name}.bench.test`],
      listen,
      port: i === 0 ? APP : APP + 10 + i,
      release: 'bench',
      forwarding: DEFAULT_PROXY
    })
  );
try {
  start(pd, proxy.conf);
  start(l.root, l.conf);
  await run(PROXY, 'shop.bench.test'); // warm-up, not counted
  const p = await run(PROXY, 'shop.bench.test');
  const f = await run(DOOR, 'shop.bench.test');
  const r = (a: number, b: number) => (a / b).toFixed(2);
  console.log(`\nfront door (3 sites) vs per-app proxy, plain HTTP, ${RATE} req/s for ${SECONDS} s each\n`);
  console.log('| path | p50 ms | p99 ms | failed |\n| --- | ---: | ---: | ---: |');
  console.log(`| per-app proxy | ${p.p50.toFixed(2)} | ${p.p99.toFixed(2)} | ${p.failed} |`);
  console.log(`| front door | ${f.p50.toFixed(2)} | ${f.p99.toFixed(2)} | ${f.failed} |`);
  console.log(`| ratio (goal ≤ 1.1×) | ${r(f.p50, p.p50)}× | ${r(f.p99, p.p99)}× | |`);
} finally {
  stop(proxy.pid);
  stop(l.pid);
  app.close();
  rmSync(root, { recursive: true, force: true });
}

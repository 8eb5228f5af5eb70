/**
 * health-gate: how fast a broken release is caught, against the bound the docs promise
 * (initial-delay + failure-threshold × interval + one probe timeout), and what one probe round costs, each
 * side by side with what a user would otherwise script: a `curl --retry` loop.
 *
 *   npx tsx bench/health-gate.ts
 *
 * Everything runs on 127.0.0.1: local HTTP servers that break in different ways, the infra's Prometheus
 * (when up) and a local busybox container (when Docker is available).
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { LocalExecutor, silentLogger } from '../packages/core/src/index.js';
import {
  defaultGateSpec,
  parseMetricCheck,
  probeContainer,
  probeHttp,
  probeMetric,
  runGate,
  percentile,
  type GateSpec
} from '../packages/health/src/index.js';
import { existsSync, readFileSync } from 'node:fs';

type Mode = 'ok' | '500' | 'reset' | 'hang' | 'flap' | 'slow';

async function server(mode: () => Mode): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let n = 0;
  const s = http.createServer((req, res) => {
    const m = mode();
    n++;
    if (m === 'hang') return;
    if (m === 'reset') return (req.socket as Socket & { resetAndDestroy(): void }).resetAndDestroy();
    if (m === 'slow') return void setTimeout(() => res.writeHead(200).end('ok'), SLOW_MS);
    const fail = m === '500' || (m === 'flap' && n % 2 === 0);
    res.writeHead(fail ? 500 : 200).end(fail ? 'boom' : 'ok');
  });
  s.on('connection', (c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/up`,
    close: () => new Promise<void>((r) => (sockets.forEach((c) => c.destroy()), s.close(() => r())))
  };
}

function sh(argv: string[]): Promise<{ code: number; ms: number }> {
  const t = performance.now();
  return new Promise((resolve) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    c.on('close', (code) => resolve({ code: code ?? -1, ms: performance.now() - t }));
  });
}

const INTERVAL = 1000;
const FAILS = 3;
const PROBE_TIMEOUT = 2000;
const DELAY = 0;
const MAX_LATENCY = 500;
const SLOW_MS = 800;
/** The documented bound for a release that is broken from the first round on. */
const BOUND = DELAY + FAILS * INTERVAL + PROBE_TIMEOUT;

const cell = (text: string) => text.replace(/\|/g, '\\|').slice(0, 100);

/** What users script, and what jtalk/url-health-check-action does: pass as soon as one attempt succeeds. */
function curlRetry(url: string): Promise<{ code: number; ms: number }> {
  return sh([
    ...['curl', '-fsS', '-o', '/dev/null', '--retry', String(FAILS - 1)],
    ...['--retry-delay', String(INTERVAL / 1000), '--retry-all-errors'],
    ...['--max-time', String(PROBE_TIMEOUT / 1000), url]
  ]);
}

async function timeToUnhealthy(): Promise<string[]> {
  const rows: string[] = [];
  // [break, rounds the gate needs to see FAILS failures]: a flapping release fails every other round.
  const cases: [Mode, number][] = [
    ['500', FAILS],
    ['reset', FAILS],
    ['hang', FAILS],
    ['slow', FAILS],
    ['flap', 2 * FAILS]
  ];
  for (const [mode, rounds] of cases) {
    const s = await server(() => mode);
    const spec: GateSpec = {
      ...defaultGateSpec(),
      urls: [{ url: s.url }],
      intervalMs: INTERVAL,
      initialDelayMs: DELAY,
      probeTimeoutMs: PROBE_TIMEOUT,
      failureThreshold: FAILS,
      successThreshold: 3,
      timeoutMs: 60_000,
      ...(mode === 'slow' ? { maxLatencyMs: MAX_LATENCY } : {})
    };
    // The release is broken from the moment the gate starts.
    const g = await runGate(spec, { logger: silentLogger });
    const c = await curlRetry(s.url);
    await s.close();
    const bound = DELAY + rounds * INTERVAL + PROBE_TIMEOUT;
    const curlVerdict = c.code === 0 ? '**healthy** (missed)' : `unhealthy (exit ${c.code})`;
    const what = mode === 'slow' ? `slow (${SLOW_MS}ms, max-latency ${MAX_LATENCY}ms)` : mode;
    rows.push(
      `| ${what} | ${g.verdict} | ${Math.round(g.durationMs)} | ${bound} | ${g.durationMs <= bound ? 'yes' : '**no**'} | ${curlVerdict} | ${Math.round(c.ms)} | ${cell(g.reason)} |`
    );
  }

  // A release that passes its first checks and breaks 3 s into a 60 s soak window.
  const BREAK_AFTER = 3000;
  const SOAK_INTERVAL = 500;
  const t0 = performance.now();
  const s = await server(() => (performance.now() - t0 < BREAK_AFTER ? 'ok' : '500'));
  const soak: GateSpec = {
    ...defaultGateSpec(),
    mode: 'soak',
    urls: [{ url: s.url }],
    intervalMs: SOAK_INTERVAL,
    probeTimeoutMs: PROBE_TIMEOUT,
    windowMs: 60_000,
    soak: { minSuccessRate: 0.95 }
  };
  const c = await curlRetry(s.url);
  const g = await runGate(soak, { logger: silentLogger });
  const sinceBreak = performance.now() - (t0 + BREAK_AFTER);
  await s.close();
  // 120 samples, 5% may fail: the 7th failure settles it, one interval of phase and a probe late at most.
  const allowed = Math.floor(0.05 * (soak.windowMs / SOAK_INTERVAL));
  const bound = (allowed + 1) * SOAK_INTERVAL + PROBE_TIMEOUT;
  rows.push(
    `| 500 after ${BREAK_AFTER / 1000}s of a 60s soak (interval ${SOAK_INTERVAL}ms, success >= 95%), ms after the break | ${g.verdict} | ${Math.round(sinceBreak)} | ${bound} | ${sinceBreak <= bound ? 'yes' : '**no**'} | ${c.code === 0 ? '**healthy** (missed: checked once, before the break)' : `unhealthy (exit ${c.code})`} | ${Math.round(c.ms)} | ${cell(g.reason)} |`
  );
  return rows;
}

async function roundCost(): Promise<string[]> {
  const RUNS = 50;
  const s = await server(() => 'ok');
  const spec = { ...defaultGateSpec(), urls: [{ url: s.url }] };
  const stat = (xs: number[]) => `${percentile(xs, 50).toFixed(2)} | ${percentile(xs, 95).toFixed(2)}`;
  const rows: string[] = [];
  const measure = async (fn: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await fn();
      xs.push(performance.now() - t);
    }
    return xs;
  };
  rows.push(
    `| 1 URL, health-gate (in-process node:http) | ${stat(await measure(() => probeHttp(spec.urls[0]!, spec, 1)))} |`
  );
  rows.push(
    `| 1 URL, \`curl -fsS\` (one process per probe) | ${stat(await measure(() => sh(['curl', '-fsS', '-o', '/dev/null', '--max-time', '2', s.url])))} |`
  );
  const five = Array.from({ length: 5 }, () => spec.urls[0]!);
  rows.push(
    `| 5 URLs, health-gate (parallel) | ${stat(await measure(() => Promise.all(five.map((u) => probeHttp(u, spec, 1)))))} |`
  );
  rows.push(
    `| 5 URLs, \`curl\` one after another | ${stat(
      await measure(async () => {
        for (let i = 0; i < 5; i++) await sh(['curl', '-fsS', '-o', '/dev/null', s.url]);
      })
    )} |`
  );
  await s.close();

  const infraFile = '/tmp/deploy-actions-infra/infra.json';
  if (existsSync(infraFile)) {
    const prom = (JSON.parse(readFileSync(infraFile, 'utf8')) as { prometheus: { url: string } }).prometheus
      .url;
    const check = parseMetricCheck('up < 2');
    rows.push(
      `| 1 Prometheus query, health-gate | ${stat(await measure(() => probeMetric(check, { prometheusUrl: prom, noData: 'fail', timeoutMs: 2000, round: 1 })))} |`
    );
    rows.push(
      `| 1 Prometheus query, \`curl \\| jq\` | ${stat(await measure(() => sh(['sh', '-c', `curl -fsS '${prom}/api/v1/query?query=up' | jq -e '.data.result[0].value[1] | tonumber < 2' >/dev/null`])))} |`
    );
  }
  const exec = new LocalExecutor();
  const name = `health-bench-${process.pid}`;
  const started = await exec
    .run({
      argv: [
        'docker',
        'run',
        '-d',
        '--rm',
        '--network',
        'host',
        '--name',
        name,
        'deploy-actions/busybox:latest',
        'sleep',
        '60'
      ],
      check: false,
      timeoutMs: 30_000
    })
    .catch(() => undefined);
  if (started?.exitCode === 0) {
    rows.push(
      `| 1 container, health-gate (\`docker inspect\` via Executor) | ${stat(await measure(() => probeContainer(name, { executor: exec, round: 1, timeoutMs: 5000 })))} |`
    );
    await exec.run({ argv: ['docker', 'rm', '-f', name], check: false });
  }
  return rows;
}

const detect = await timeToUnhealthy();
console.log(`### Time from a broken release to a verdict\n`);
console.log(
  `interval ${INTERVAL}ms, failure-threshold ${FAILS}, probe-timeout ${PROBE_TIMEOUT}ms, initial-delay ${DELAY}ms; bound = initial-delay + failure-threshold × interval + probe-timeout = ${BOUND}ms for a steady break (a flapping release needs twice the rounds to fail ${FAILS} times). curl: \`curl -fsS --retry ${FAILS - 1} --retry-delay ${INTERVAL / 1000} --retry-all-errors --max-time ${PROBE_TIMEOUT / 1000}\`: pass on the first successful attempt of max-attempts, retry-delay apart, as jtalk/url-health-check-action does.\n`
);
console.log(
  '| Break | health-gate verdict | health-gate ms | bound ms | within bound | curl --retry verdict | curl ms | health-gate reason |'
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
console.log(detect.join('\n'));
const cost = await roundCost();
console.log(`\n### Cost of one probe round (ms, 50 runs)\n`);
console.log('| Round | p50 | p95 |');
console.log('| --- | --- | --- |');
console.log(cost.join('\n'));

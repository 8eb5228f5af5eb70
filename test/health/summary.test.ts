import {
  defaultGateSpec,
  gateSummary,
  latencyChart,
  type GateResult,
  type ProbeRecord
} from '../../packages/health/src/index.js';

const time = '2026-11-23T09:00:00.000Z';
const http = (round: number, ok: boolean, latencyMs: number): ProbeRecord => ({
  round,
  target: 'https://shop.example/up',
  kind: 'http',
  ok,
  status: ok ? 200 : 503,
  latencyMs,
  expectation: 'status 200-399',
  ...(ok ? {} : { reason: 'GET https://shop.example/up: expected status 200-399, got 503' }),
  time
});
const metric = (round: number): ProbeRecord => ({
  round,
  target: 'sum(rate(x{code=~"5..|4.."}[1m])) < 0.01',
  kind: 'metric',
  ok: true,
  value: 0.002,
  latencyMs: 3,
  expectation: '< 0.01',
  time
});
const container = (round: number): ProbeRecord => ({
  round,
  target: 'shop-web-1',
  kind: 'container',
  ok: true,
  value: 'healthy',
  latencyMs: 20,
  expectation: 'healthy',
  time
});

describe('job summary', () => {
  const evidence = [1, 2, 3].flatMap((r) => [http(r, r !== 2, 10 * r), metric(r), container(r)]);
  const result: GateResult = {
    verdict: 'unhealthy',
    reason: 'GET https://shop.example/up: expected status 200-399, got 503 [1 of 1 allowed failing rounds]',
    probes: evidence.length,
    failures: 1,
    p50Ms: 20,
    p95Ms: 30,
    evidence,
    durationMs: 2400
  };

  it('has the verdict, a table per probe target, and the last failure of each', () => {
    const md = gateSummary(result, { ...defaultGateSpec(), maxLatencyMs: 250 });
    expect(md).toContain('### ❌ Health gate: unhealthy');
    expect(md).toContain('#### https://shop.example/up\n');
    // The pipe inside the PromQL is escaped so the heading and tables keep their shape.
    expect(md).toContain('#### metric: sum(rate(x{code=~"5..\\|4.."}[1m])) < 0.01');
    expect(md).toContain('#### container: shop-web-1');
    expect(md).toContain(
      '| 3 | 1 | status 200-399 | 200 | 20ms | 30ms | 30ms | GET https://shop.example/up: expected status 200-399, got 503 |'
    );
    expect(md).toContain('| 3 | 0 | healthy | healthy | 20ms | 20ms | 20ms |  |');
  });

  it('charts the worst HTTP latency per round with the latency bound as a flat line', () => {
    expect(latencyChart(evidence, 250)).toBe(
      [
        '```mermaid',
        'xychart-beta',
        '  title "HTTP latency per round (worst probe, ms; flat line: bound 250ms)"',
        '  x-axis "round" ["1", "2", "3"]',
        '  y-axis "ms" 0 --> 280',
        '  line [10, 20, 30]',
        '  line [250, 250, 250]',
        '```',
        ''
      ].join('\n')
    );
  });

  it('buckets a long window to at most 60 points, keeping the worst of each bucket', () => {
    const long = Array.from({ length: 600 }, (_, i) => http(i + 1, true, i === 137 ? 900 : 5));
    const chart = latencyChart(long);
    const line = /\n {2}line \[(.*)\]\n/.exec(chart)![1]!.split(', ').map(Number);
    expect(line).toHaveLength(60);
    expect(line[13]).toBe(900);
    expect(chart).toContain('"131-140"');
  });

  it('describes the soak rules it judged', () => {
    const md = gateSummary(
      { ...result, verdict: 'healthy', reason: 'soak rules met' },
      {
        ...defaultGateSpec(),
        mode: 'soak',
        windowMs: 300_000,
        intervalMs: 5000,
        urls: [{ url: 'https://a/' }]
      }
    );
    expect(md).toContain('soak for 5m every 5s; success rate >= 99%, error rate <= 1%, p99 <= 500ms');
  });
});

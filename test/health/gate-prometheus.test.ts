import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureLogger } from '../../packages/core/src/index.js';
import {
  defaultGateSpec,
  parseMetricCheck,
  queryPrometheus,
  runGate,
  type GateSpec
} from '../../packages/health/src/index.js';
import { runBundle } from '../support/harness.js';
import { infra, integration } from '../support/infra.js';
import { startServer, type TestServer } from './servers.js';

/**
 * A real Prometheus (scripts/infra.sh, scraping every 1 s) scraping a local exporter we start: the target is
 * written as a file_sd JSON into infra().prometheus.targetsDir and removed afterwards.
 */
integration('metric gate against a real Prometheus', () => {
  const suite = `health-${randomBytes(4).toString('hex')}`;
  let exporter: TestServer;
  let targetFile: string;
  let prom: string;

  beforeAll(async () => {
    prom = infra().prometheus.url;
    exporter = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        [
          '# TYPE health_gate_error_ratio gauge',
          'health_gate_error_ratio 0.002',
          '# TYPE health_gate_ratio_nan gauge',
          'health_gate_ratio_nan NaN',
          '# TYPE health_gate_latency_inf gauge',
          'health_gate_latency_inf +Inf',
          ''
        ].join('\n')
      );
    });
    targetFile = join(infra().prometheus.targetsDir, `${suite}.json`);
    writeFileSync(
      targetFile,
      JSON.stringify([{ targets: [exporter.url.replace('http://', '')], labels: { suite } }])
    );
    // Wait (bounded) until Prometheus has scraped the exporter at least once.
    const until = Date.now() + 30_000;
    for (;;) {
      const r = await queryPrometheus(prom, `health_gate_error_ratio{suite="${suite}"}`, { timeoutMs: 2000 });
      if (r.ok && r.samples.length > 0) break;
      if (Date.now() > until)
        throw new Error(`Prometheus at ${prom} did not scrape ${exporter.url} within 30s`);
      await new Promise((res) => setTimeout(res, 250));
    }
  }, 40_000);

  afterAll(async () => {
    if (targetFile) rmSync(targetFile, { force: true });
    await exporter?.close();
  });

  const spec = (lines: string[], over: Partial<GateSpec> = {}): GateSpec => ({
    ...defaultGateSpec(),
    prometheusUrl: prom,
    metrics: lines.map((l) => parseMetricCheck(l)),
    intervalMs: 100,
    successThreshold: 2,
    failureThreshold: 2,
    timeoutMs: 10_000,
    ...over
  });

  it('passes when the error ratio is under the threshold', async () => {
    const r = await runGate(spec([`health_gate_error_ratio{suite="${suite}"} < 0.01`]), {
      logger: captureLogger()
    });
    expect(r.verdict).toBe('healthy');
    expect(r.evidence[0]).toMatchObject({ kind: 'metric', ok: true, value: 0.002, expectation: '< 0.01' });
  });

  it('fails when a query breaks its threshold, naming the query, the comparison and the value', async () => {
    const q = `health_gate_error_ratio{suite="${suite}"}`;
    const r = await runGate(spec([`${q} < 0.01`, `${q} < 0.001`]), { logger: captureLogger() });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toMatch(
      new RegExp(
        `^query \`${q.replace(/[{}"]/g, '.')}\`: expected < 0.001, got 0.002\\{.*suite="${suite}".*\\} \\[2 of 2`
      )
    );
  });

  it('fails on no data and on NaN by default, and passes them when told to', async () => {
    const missing = `health_gate_missing_metric{suite="${suite}"} < 1`;
    const nan = `health_gate_ratio_nan{suite="${suite}"} < 1`;
    const r = await runGate(spec([missing]), { logger: captureLogger() });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toMatch(/expected < 1, got no data \(no-data is fail/);
    const r2 = await runGate(spec([nan]), { logger: captureLogger() });
    expect(r2.reason).toMatch(/expected < 1, got NaN \(no-data is fail/);
    expect(
      (await runGate(spec([missing, nan], { noData: 'pass' }), { logger: captureLogger() })).verdict
    ).toBe('healthy');
  });

  it('judges +Inf as a value, not as missing data', async () => {
    const r = await runGate(spec([`health_gate_latency_inf{suite="${suite}"} < 1`], { noData: 'pass' }), {
      logger: captureLogger()
    });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toMatch(/expected < 1, got \+Inf\{/);
    expect(r.evidence[0]!.value).toBe('+Inf');
  });

  it('runs through the action bundle: one query passes, one fails the step', async () => {
    const q = `health_gate_error_ratio{suite="${suite}"}`;
    const inputs = {
      'prometheus-url': prom,
      interval: '100ms',
      'success-threshold': 2,
      'failure-threshold': 2
    };
    const pass = await runBundle('health-gate', { inputs: { ...inputs, 'prometheus-query': `${q} < 0.01` } });
    expect([pass.exitCode, pass.outputs.verdict, pass.outputs.probes]).toEqual([0, 'healthy', '2']);
    const fail = await runBundle('health-gate', {
      inputs: { ...inputs, 'prometheus-query': `${q} < 0.01\n${q} < 0.001` }
    });
    expect([fail.exitCode, fail.outputs.verdict, fail.outputs.failures]).toEqual([1, 'unhealthy', '2']);
    expect(fail.outputs.reason).toContain('expected < 0.001, got 0.002');
    expect(fail.summary).toContain(`#### metric: ${q} < 0.001`);
  });

  it('reports a bad query with Prometheus’s own error', async () => {
    const r = await runGate(spec(['sum(rate(x[1m]) < 1'], { failureThreshold: 1 }), {
      logger: captureLogger()
    });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toMatch(/Prometheus answered HTTP 400: bad_data: .*parse error/);
  });
});

describe('metric gate against a Prometheus behind authentication', () => {
  it('sends prometheus-headers and never shows their values', async () => {
    const token = 'Bearer prom-3f9a1c';
    const prom: TestServer = await startServer((req, res) => {
      const ok = req.headers.authorization === token;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(
        ok
          ? '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.5"]}]}}'
          : `{"status":"error","errorType":"unauthorized","error":"bad token ${String(req.headers.authorization)}"}`
      );
    });
    try {
      const base: GateSpec = {
        ...defaultGateSpec(),
        prometheusUrl: prom.url,
        metrics: [parseMetricCheck('up > 0')],
        intervalMs: 50,
        successThreshold: 1,
        failureThreshold: 1
      };
      const logger = captureLogger();
      const denied = await runGate(
        { ...base, prometheusHeaders: { Authorization: 'Bearer wrong-0000' } },
        { logger }
      );
      expect(denied.reason).toBe(
        'query `up`: Prometheus answered HTTP 401: unauthorized: bad token *** [1 of 1 allowed failing rounds]'
      );
      const r = await runGate({ ...base, prometheusHeaders: { Authorization: token } }, { logger });
      expect(r.verdict).toBe('healthy');
      expect(r.evidence[0]).toMatchObject({ ok: true, value: 0.5 });
    } finally {
      await prom.close();
    }
  });
});

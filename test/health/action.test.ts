import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { reply, startServer, type TestServer } from './servers.js';

/** The committed bundle (node scripts/build.mjs health-gate) run like the GitHub runner runs it. */
describe('health-gate action bundle', () => {
  const token = 'Bearer hg-secret-7f3a9c';
  let good: TestServer;
  let bad: TestServer;
  let flaky: TestServer;
  const temps: string[] = [];
  afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));
  beforeAll(async () => {
    flaky = await startServer((req, res, n) => reply(n === 2 ? 500 : 200, 'ok')(req, res, n));
    good = await startServer((req, res, n) =>
      reply(req.headers.authorization === token ? 200 : 401, { status: 'ok', version: '1.4.2' })(req, res, n)
    );
    bad = await startServer(reply(404, 'not found'));
  });
  afterAll(async () => {
    await good.close();
    await bad.close();
    await flaky.close();
  });

  it('passes a healthy target and sets every output', async () => {
    // The runner deletes its own RUNNER_TEMP after the step; this one outlives it so the file can be read.
    const runnerTemp = mkdtempSync(join(tmpdir(), 'health-action-temp-'));
    temps.push(runnerTemp);
    const run = await runBundle('health-gate', {
      env: { RUNNER_TEMP: runnerTemp },
      inputs: {
        url: `${good.url}/up`,
        headers: `Authorization: ${token}`,
        'expect-json': '$.status == ok\n$.version matches /^1\\.4\\./',
        interval: '100ms',
        'success-threshold': 2
      }
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ verdict: 'healthy', probes: '2', failures: '0' });
    expect(Number(run.outputs['p95-ms'])).toBeGreaterThan(0);
    const evidence = JSON.parse(run.outputs.evidence!) as { ok: boolean; status: number; target: string }[];
    expect(evidence).toHaveLength(2);
    expect(evidence.every((e) => e.ok && e.status === 200 && e.target === `${good.url}/up`)).toBe(true);
    expect(run.summary).toContain('Health gate: healthy');
    expect(run.summary).toContain('xychart-beta');
    expect(leakedSecrets(run, [token, 'hg-secret-7f3a9c'])).toEqual([]);
    // Every probe is also in a private file, for upload as an artifact.
    const file = run.outputs['evidence-file']!;
    expect(file.startsWith(runnerTemp)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(evidence);
  });

  it('fails the step on an unhealthy target with the reason as the error annotation', async () => {
    const run = await runBundle('health-gate', {
      inputs: { url: `${bad.url}/up`, interval: '100ms', 'failure-threshold': 2 }
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict).toBe('unhealthy');
    expect(run.outputs.reason).toBe(
      `GET ${bad.url}/up: expected status 200-399, got 404; body: "not found" [2 of 2 allowed failing rounds]`
    );
    expect(run.annotations.some((a) => a.level === 'error' && a.message.includes('got 404'))).toBe(true);
    expect(run.summary).toContain('Health gate: unhealthy');
  });

  it('reports but does not fail when fail-on-unhealthy is false', async () => {
    const run = await runBundle('health-gate', {
      inputs: { url: `${bad.url}/up`, interval: '100ms', 'failure-threshold': 1, 'fail-on-unhealthy': false }
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verdict).toBe('unhealthy');
    expect(run.annotations.some((a) => a.level === 'warning' && a.message.includes('got 404'))).toBe(true);
  });

  it('fails on bad input before any probe, naming the input', async () => {
    const run = await runBundle('health-gate', { inputs: { url: `${good.url}/up`, interval: '0s' } });
    expect(run.exitCode).toBe(1);
    expect(good.hits()).toBe(2);
    expect(run.outputs.verdict).toBeUndefined();
    expect(
      run.annotations.some((a) => a.level === 'error' && a.message.includes(`Input 'interval': "0s" is zero`))
    ).toBe(true);
  });

  it('judges a soak window and fails the step with the broken rule', async () => {
    const run = await runBundle('health-gate', {
      inputs: {
        url: `${flaky.url}/up`,
        mode: 'soak',
        interval: '50ms',
        window: '500ms',
        'min-success-rate': '95%'
      }
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict).toBe('unhealthy');
    expect(run.outputs.reason).toMatch(/success rate at most 90% \(1 of 10 possible samples failed\) < 95%/);
    expect(run.summary).toContain('soak for 500ms every 50ms; success rate >= 95%');
  });

  it('trusts a CA given as a file, and refuses the server without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'health-action-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
          ...['-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
          ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem')]
        ],
        { stdio: 'ignore' }
      );
      const tls = await startServer(reply(200, 'ok'), {
        key: readFileSync(join(dir, 'key.pem'), 'utf8'),
        cert: readFileSync(join(dir, 'ca.pem'), 'utf8')
      });
      try {
        const inputs = {
          url: `${tls.url}/up`,
          interval: '100ms',
          'success-threshold': 1,
          'failure-threshold': 1
        };
        const refused = await runBundle('health-gate', { inputs });
        expect(refused.exitCode).toBe(1);
        expect(refused.outputs.reason).toContain('TLS: self-signed certificate');
        const trusted = await runBundle('health-gate', {
          inputs: { ...inputs, 'ca-cert': join(dir, 'ca.pem') }
        });
        expect([trusted.exitCode, trusted.outputs.verdict]).toEqual([0, 'healthy']);
      } finally {
        await tls.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ url: 'http//127.0.0.1/up' }, `Input 'url': "http//127.0.0.1/up" is not a URL`],
    [
      { url: 'GOOD', 'expect-json': '$.status === ok' },
      `Input 'expect-json': "$.status === ok": unknown comparator "==="`
    ],
    [
      { url: 'GOOD', 'success-threshold': 10, interval: '10s', timeout: '30s' },
      `Input 'success-threshold': 10 consecutive passes`
    ],
    [{ url: 'GOOD', headers: 'Authorization Bearer hg-malformed-91b2' }, `Input 'headers': a line is not`]
  ])('refuses %j before any probe', async (inputs, message) => {
    const before = good.hits();
    const run = await runBundle('health-gate', {
      inputs: { ...inputs, url: inputs.url === 'GOOD' ? `${good.url}/up` : inputs.url }
    });
    expect(run.exitCode).toBe(1);
    expect(good.hits()).toBe(before);
    expect(run.outputs.verdict).toBeUndefined();
    expect(run.annotations.some((a) => a.level === 'error' && a.message.includes(message))).toBe(true);
    expect(leakedSecrets(run, ['hg-malformed-91b2'])).toEqual([]);
  });
});

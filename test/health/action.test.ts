import { leakedSecrets, runBundle } from '../support/harness.js';
import { reply, startServer, type TestServer } from './servers.js';

/** The committed bundle (node scripts/build.mjs health-gate) run like the GitHub runner runs it. */
describe('health-gate action bundle', () => {
  const token = 'Bearer hg-secret-7f3a9c';
  let good: TestServer;
  let bad: TestServer;
  beforeAll(async () => {
    good = await startServer((req, res, n) =>
      reply(req.headers.authorization === token ? 200 : 401, { status: 'ok', version: '1.4.2' })(req, res, n)
    );
    bad = await startServer(reply(404, 'not found'));
  });
  afterAll(async () => {
    await good.close();
    await bad.close();
  });

  it('passes a healthy target and sets every output', async () => {
    const run = await runBundle('health-gate', {
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
});

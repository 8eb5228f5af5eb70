import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogger } from '../../packages/core/src/index.js';
import {
  MAX_ROUNDS_IN_FLIGHT,
  defaultGateSpec,
  gateSummary,
  runGate,
  type GateSpec
} from '../../packages/health/src/index.js';
import { hang, reply, resetConnection, startServer, type TestServer } from './servers.js';

/** Short intervals keep the suite fast; the verdict logic is the same at any scale. */
function spec(url: string, over: Partial<GateSpec> = {}): GateSpec {
  return {
    ...defaultGateSpec(),
    urls: [{ url }],
    intervalMs: 40,
    probeTimeoutMs: 1000,
    timeoutMs: 10_000,
    successThreshold: 2,
    failureThreshold: 2,
    ...over
  };
}

const servers: TestServer[] = [];
async function serve(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('HTTP gate against real local servers', () => {
  it('passes a healthy target after consecutive passing rounds', async () => {
    const s = await serve(reply(200, { status: 'ok', version: '1.4.2' }));
    const logger = captureLogger();
    const r = await runGate(spec(`${s.url}/up`, { expectBody: '"ok"', maxLatencyMs: 1000 }), { logger });
    expect(r.verdict).toBe('healthy');
    expect(r.evidence[0]!.expectation).toBe('status 200-399; body contains "\\"ok\\""; latency <= 1s');
    expect(r.probes).toBe(2);
    expect(r.failures).toBe(0);
    expect(r.evidence.every((e) => e.ok && e.status === 200)).toBe(true);
    expect(r.p95Ms).toBeGreaterThan(0);
    expect(logger.text()).toMatch(/round 2: pass \(2\/2\)/);
  });

  it('fails a 404 naming the URL, the expectation, the status and the body', async () => {
    const s = await serve(reply(404, 'not found'));
    const r = await runGate(spec(`${s.url}/up`), { logger: captureLogger() });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toBe(
      `GET ${s.url}/up: expected status 200-399, got 404; body: "not found" [2 of 2 allowed failing rounds]`
    );
    expect(r.evidence[0]).toMatchObject({
      kind: 'http',
      ok: false,
      status: 404,
      round: 1,
      expectation: 'status 200-399'
    });
  });

  it('catches a target that turns unhealthy during the window', async () => {
    const s = await serve((req, res, n) =>
      reply(n <= 2 ? 200 : 503, n <= 2 ? 'ok' : 'overloaded')(req, res, n)
    );
    const r = await runGate(spec(`${s.url}/`, { successThreshold: 5 }), { logger: captureLogger() });
    expect(r.verdict).toBe('unhealthy');
    expect(r.evidence.map((e) => e.status)).toEqual([200, 200, 503, 503]);
    expect(r.reason).toContain('got 503; body: "overloaded"');
  });

  it('counts failures of a flapping target in total, not only consecutively', async () => {
    const s = await serve((req, res, n) => reply(n % 2 ? 200 : 500, 'x')(req, res, n));
    const r = await runGate(spec(`${s.url}/`, { successThreshold: 2, failureThreshold: 3 }), {
      logger: captureLogger()
    });
    expect(r.verdict).toBe('unhealthy');
    expect(r.failures).toBe(3);
    expect(r.evidence.map((e) => e.ok)).toEqual([true, false, true, false, true, false]);
  });

  it('ends with timeout when neither threshold is reached in time', async () => {
    const s = await serve((req, res, n) => reply(n % 2 ? 200 : 500, 'x')(req, res, n));
    const logger = captureLogger();
    const r = await runGate(
      spec(`${s.url}/`, { successThreshold: 3, failureThreshold: 100, timeoutMs: 500 }),
      { logger }
    );
    // 100 failing rounds 40ms apart cannot fit in 500ms, and the gate says so up front.
    expect(logger.lines.filter((l) => l.level === 'warning').map((l) => l.message)).toEqual([
      '100 failing rounds 40ms apart cannot happen within the 500ms timeout: a broken release ends as `timeout`, not `unhealthy`'
    ]);
    expect(r.verdict).toBe('timeout');
    expect(r.reason).toMatch(
      /^no verdict within 500ms: [01] of 3 consecutive passes, \d+ of 100 failing rounds( \(the last round was cut short by the timeout\))?; last failure: GET .* got 500/
    );
  });

  it('fails a slow target on max latency', async () => {
    const s = await serve(reply(200, 'ok', 250));
    const r = await runGate(spec(`${s.url}/`, { maxLatencyMs: 100, probeTimeoutMs: 1000 }), {
      logger: captureLogger()
    });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toMatch(
      new RegExp(`^GET ${s.url}/: expected latency <= 100ms, got (2[5-9]\\d|[3-9]\\d\\d)ms`)
    );
  });

  it('fails wrong JSON naming the expectation and the observed value', async () => {
    const s = await serve(reply(200, { status: 'degraded', version: '1.4.2' }));
    const s2 = await serve(reply(200, '<html>oops</html>'));
    const expectJson = [
      { text: '$.version == 1.4.2', path: ['version'], op: '==' as const, value: '1.4.2' },
      { text: '$.status == ok', path: ['status'], op: '==' as const, value: 'ok' }
    ];
    const r = await runGate(spec(`${s.url}/health`, { expectJson }), { logger: captureLogger() });
    expect(r.reason).toBe(
      `GET ${s.url}/health: expected \`$.status == ok\`, got "degraded" [2 of 2 allowed failing rounds]`
    );
    const r2 = await runGate(spec(`${s2.url}/health`, { expectJson }), { logger: captureLogger() });
    expect(r2.reason).toContain(
      'expected a JSON body for $.version == 1.4.2, got non-JSON body "<html>oops</html>"'
    );
  });

  it('checks the body against a substring or a regex', async () => {
    const s = await serve(reply(200, 'status: maintenance'));
    const r = await runGate(spec(`${s.url}/`, { expectBody: /status: (ok|fine)/ }), {
      logger: captureLogger()
    });
    expect(r.reason).toContain('expected body to match /status: (ok|fine)/, got body "status: maintenance"');
  });

  it('reports a connection reset as such', async () => {
    const s = await serve(resetConnection);
    const r = await runGate(spec(`${s.url}/`), { logger: captureLogger() });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toMatch(new RegExp(`^GET ${s.url}/: connection reset by peer`));
  });

  it('reports a refused connection', async () => {
    const s = await serve(reply(200, 'ok'));
    const url = `${s.url}/`;
    await s.close();
    const r = await runGate(spec(url), { logger: captureLogger() });
    expect(r.reason).toMatch(/: connection refused \[/);
  });

  it('fires the probe timeout on a hanging server', async () => {
    const s = await serve(hang);
    const r = await runGate(spec(`${s.url}/`, { probeTimeoutMs: 200, failureThreshold: 1 }), {
      logger: captureLogger()
    });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toBe(
      `GET ${s.url}/: no response within 200ms (probe timeout) [1 of 1 allowed failing rounds]`
    );
    expect(r.evidence[0]!.latencyMs).toBeGreaterThanOrEqual(195);
  });

  it('keeps rounds on schedule while a hanging round waits for its probe timeout', async () => {
    let open = 0;
    let most = 0;
    const s = await serve((req) => {
      most = Math.max(most, ++open);
      req.socket.on('close', () => open--);
    });
    const r = await runGate(spec(`${s.url}/`, { intervalMs: 50, probeTimeoutMs: 400, failureThreshold: 3 }), {
      logger: captureLogger()
    });
    expect(r.verdict).toBe('unhealthy');
    expect(r.evidence.map((e) => e.round)).toEqual([1, 2, 3]);
    expect(r.reason).toBe(
      `GET ${s.url}/: no response within 400ms (probe timeout) [3 of 3 allowed failing rounds]`
    );
    // Round 3 started while rounds 1 and 2 still hung: detection does not wait for timeouts in a row.
    expect(most).toBeGreaterThanOrEqual(3);
  });

  it('ends with timeout, not unhealthy, when the overall timeout cuts a hanging probe short', async () => {
    const s = await serve(hang);
    const r = await runGate(spec(`${s.url}/`, { probeTimeoutMs: 5000, timeoutMs: 300, intervalMs: 50 }), {
      logger: captureLogger()
    });
    expect(r.verdict).toBe('timeout');
    expect(r.failures).toBe(0);
    expect(r.reason).toMatch(
      /^no verdict within 300ms: 0 of 2 consecutive passes, 0 of 2 failing rounds \(the last round was cut short by the timeout\)$/
    );
    expect(r.evidence[0]!.reason).toMatch(/\(cut short by the overall timeout; not counted\)$/);
  });

  it('catches a target that slows down', async () => {
    const s = await serve((req, res, n) => reply(200, 'ok', n <= 2 ? 0 : 250)(req, res, n));
    const r = await runGate(
      spec(`${s.url}/`, { maxLatencyMs: 100, successThreshold: 5, failureThreshold: 2 }),
      {
        logger: captureLogger()
      }
    );
    expect(r.verdict).toBe('unhealthy');
    expect(r.evidence.map((e) => e.ok)).toEqual([true, true, false, false]);
    expect(r.reason).toMatch(/expected latency <= 100ms, got (2[5-9]\d|[3-9]\d\d)ms \[2 of 2/);
  });

  it('reports a connection reset in the middle of the body', async () => {
    const s = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"status":');
      setTimeout(() => (req.socket as typeof req.socket & { resetAndDestroy(): void }).resetAndDestroy(), 20);
    });
    const r = await runGate(spec(`${s.url}/`, { failureThreshold: 1 }), { logger: captureLogger() });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toMatch(new RegExp(`^GET ${s.url}/: .*(reset|closed|aborted).*while reading the body`));
  });

  it('never shows a header value, even when the server echoes it back', async () => {
    const token = 'Bearer echo-7c1d2e9f';
    const s = await serve((req, res, n) =>
      reply(500, `denied for ${String(req.headers.authorization)}`)(req, res, n)
    );
    const logger = captureLogger();
    const r = await runGate(spec(`${s.url}/`, { headers: { Authorization: token } }), { logger });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toContain('body: "denied for ***"');
    expect(JSON.stringify(r)).not.toContain('echo-7c1d2e9f');
    expect(logger.text()).not.toContain('echo-7c1d2e9f');
  });

  it('fires the probe timeout on a body that never ends, naming the status it saw', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":');
    });
    const r = await runGate(spec(`${s.url}/`, { probeTimeoutMs: 200, failureThreshold: 1 }), {
      logger: captureLogger()
    });
    expect(r.reason).toBe(
      `GET ${s.url}/: body not complete within 200ms after status 200 (probe timeout) [1 of 1 allowed failing rounds]`
    );
  });

  it('sends a password in the URL as basic auth and never shows it, nor the user name', async () => {
    const s = await serve((req, res, n) =>
      reply(req.headers.authorization === `Basic ${btoa('deploy:pw-5e6f7a')}` ? 503 : 401, 'x')(req, res, n)
    );
    const url = s.url.replace('http://', 'http://deploy:pw-5e6f7a@') + '/up';
    const logger = captureLogger();
    const r = await runGate(spec(url), { logger });
    expect(r.reason).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/up: expected status 200-399, got 503/);
    expect(JSON.stringify(r)).not.toContain('pw-5e6f7a');
    expect(JSON.stringify(r)).not.toContain('deploy:');
    expect(logger.text()).not.toContain('pw-5e6f7a');
  });

  it('sends the configured headers', async () => {
    const s = await serve((req, res, n) =>
      reply(req.headers.authorization === 'Bearer t0ken' ? 200 : 401, 'x')(req, res, n)
    );
    expect((await runGate(spec(`${s.url}/`), { logger: captureLogger() })).verdict).toBe('unhealthy');
    expect(
      (
        await runGate(spec(`${s.url}/`, { headers: { Authorization: 'Bearer t0ken' } }), {
          logger: captureLogger()
        })
      ).verdict
    ).toBe('healthy');
  });

  it('requires every URL of a round to pass', async () => {
    const good = await serve(reply(200, 'ok'));
    const bad = await serve(reply(500, 'boom'));
    const r = await runGate(
      { ...spec(`${good.url}/`), urls: [{ url: `${good.url}/` }, { url: `${bad.url}/` }] },
      { logger: captureLogger() }
    );
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toContain(`GET ${bad.url}/: expected status 200-399, got 500`);
    expect(r.probes).toBe(4);
  });

  it('stops when cancelled', async () => {
    const s = await serve(hang);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await runGate(spec(`${s.url}/`, { probeTimeoutMs: 5000 }), {
      logger: captureLogger(),
      signal: ac.signal
    });
    expect(r.verdict).toBe('timeout');
    expect(r.reason).toMatch(/^cancelled/);
  });

  it('writes a summary with the verdict, a table per target and a latency chart', async () => {
    const s = await serve((req, res, n) => reply(n === 1 ? 502 : 200, 'x')(req, res, n));
    const sp = spec(`${s.url}/`, { failureThreshold: 3 });
    const r = await runGate(sp, { logger: captureLogger() });
    const md = gateSummary(r, sp);
    expect(md).toContain('### ✅ Health gate: healthy');
    expect(md).toContain(`#### ${s.url}/`);
    expect(md).toMatch(/```mermaid\nxychart-beta\n.*\n {2}x-axis "round" \["1", "2", "3"\]/);
    expect(md).toContain('got 502');
  });
});

describe('soak mode', () => {
  it('fails on a success rate below the rule, with the numbers', async () => {
    const s = await serve((req, res, n) => reply(n % 5 === 0 ? 500 : 200, 'x')(req, res, n));
    const r = await runGate(
      spec(`${s.url}/`, { mode: 'soak', windowMs: 400, soak: { minSuccessRate: 0.8, maxErrorRate: 0.5 } }),
      { logger: captureLogger() }
    );
    // 2 of 10 fail: exactly 80% would pass, so the window runs to its end and the rule holds at the edge.
    expect(r.probes).toBe(10);
    expect(r.verdict).toBe('healthy');
    const r2 = await runGate(
      spec(`${s.url}/`, { mode: 'soak', windowMs: 400, soak: { minSuccessRate: 0.85, maxErrorRate: 0.5 } }),
      { logger: captureLogger() }
    );
    expect(r2.verdict).toBe('unhealthy');
    expect(r2.reason).toMatch(
      /^soak rule broken: success rate 80% \(8\/10\) < 85%; first failure: GET .* got 500/
    );
  });

  it('judges the whole window when the rules can still be met, and names the broken rule at the end', async () => {
    // One failure in the last round of 10: only the final judgement can see the error rate is too high.
    const s = await serve((req, res, n) => reply(n === 10 ? 503 : 200, 'x')(req, res, n));
    const r = await runGate(
      spec(`${s.url}/`, { mode: 'soak', windowMs: 400, soak: { minSuccessRate: 0.5, maxErrorRate: 0.05 } }),
      { logger: captureLogger() }
    );
    expect(r.probes).toBe(10);
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toMatch(
      /^soak rule broken: error rate 10% \(1\/10 5xx or no response\) > 5%; first failure: GET .* got 503/
    );
  });

  it('stops a long soak as soon as a rule can no longer be met', async () => {
    const s = await serve(reply(500, 'release broken'));
    const r = await runGate(
      spec(`${s.url}/`, { mode: 'soak', intervalMs: 50, windowMs: 60_000, soak: { minSuccessRate: 0.99 } }),
      { logger: captureLogger() }
    );
    // 1200 rounds fit in the window and 1% of them may fail: the 13th failure settles it.
    expect(r.verdict).toBe('unhealthy');
    expect(r.probes).toBe(13);
    expect(r.reason).toMatch(
      /^soak rule can no longer be met after 13 of 1200 round\(s\): success rate at most 98\.9% \(13 of 1200 possible samples failed\) < 99%/
    );
    expect(s.hits()).toBeLessThan(13 + MAX_ROUNDS_IN_FLIGHT);
  });

  it('applies the canary rule set when soak mode has no rules', async () => {
    const s = await serve((req, res, n) => reply(200, 'ok', n === 3 ? 600 : 0)(req, res, n));
    const r = await runGate(spec(`${s.url}/`, { mode: 'soak', windowMs: 200, soak: {} }), {
      logger: captureLogger()
    });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toMatch(/p99 latency above 500ms: 1 of 5 possible HTTP samples were slower/);
    const good = await serve(reply(200, 'ok'));
    const r2 = await runGate(spec(`${good.url}/`, { mode: 'soak', windowMs: 200, soak: {} }), {
      logger: captureLogger()
    });
    expect(r2.reason).toMatch(
      /^soak rules met over 5 samples: success rate 100% \(5\/5\) >= 99%; error rate 0% \(0\/5 5xx or no response\) <= 1%; p99 latency \d+ms <= 500ms$/
    );
  });

  it('passes when every rule holds over the window', async () => {
    const s = await serve(reply(200, 'ok'));
    const r = await runGate(
      spec(`${s.url}/`, {
        mode: 'soak',
        windowMs: 200,
        soak: { minSuccessRate: 0.99, maxErrorRate: 0.01, maxP95LatencyMs: 500 }
      }),
      { logger: captureLogger() }
    );
    expect(r.verdict).toBe('healthy');
    expect(r.reason).toMatch(
      /^soak rules met over 5 samples: success rate 100% \(5\/5\) >= 99%; error rate 0% .*; p95 latency \d+ms <= 500ms$/
    );
  });

  it('judges p95 latency over all samples: one slow sample in 20 is within p95, two are not', async () => {
    const soak = { mode: 'soak' as const, intervalMs: 20, windowMs: 400, soak: { maxP95LatencyMs: 100 } };
    const once = await serve((req, res, n) => reply(200, 'ok', n === 3 ? 130 : 0)(req, res, n));
    const r = await runGate(spec(`${once.url}/`, soak), { logger: captureLogger() });
    expect(r.probes).toBe(20);
    expect(r.verdict).toBe('healthy');
    expect(r.reason).toMatch(/p95 latency \d{1,2}ms <= 100ms$/);
    const twice = await serve((req, res, n) => reply(200, 'ok', n === 3 || n === 12 ? 130 : 0)(req, res, n));
    const r2 = await runGate(spec(`${twice.url}/`, soak), { logger: captureLogger() });
    expect(r2.verdict).toBe('unhealthy');
    expect(r2.reason).toBe(
      'soak rule can no longer be met after 12 of 20 round(s): p95 latency above 100ms: 2 of 20 possible HTTP samples were slower'
    );
  });
});

describe('TLS', () => {
  let dir: string;
  let key: string;
  let cert: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'health-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem')
      ],
      { stdio: 'ignore' }
    );
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an unknown CA, trusts a given one, and skips verification only on opt-in', async () => {
    const s = await serve(reply(200, 'ok'), { key, cert });
    const r = await runGate(spec(`${s.url}/`), { logger: captureLogger() });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toMatch(/TLS: self-signed certificate/);
    expect(
      (await runGate(spec(`${s.url}/`, { tls: { ca: cert } }), { logger: captureLogger() })).verdict
    ).toBe('healthy');
    expect(
      (await runGate(spec(`${s.url}/`, { tls: { insecure: true } }), { logger: captureLogger() })).verdict
    ).toBe('healthy');
  });
});

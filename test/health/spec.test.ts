import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../support/paths.js';

import { InputReader, InputError } from '../../packages/core/src/index.js';
import {
  evaluateJson,
  parseJsonExpectation,
  parseMetricCheck,
  parseStatusRanges,
  readGateInputs,
  dockerInspectHealthArgv,
  evidenceForOutput,
  headerValues,
  urlPasswords,
  GATE_INPUT_NAMES,
  percentile,
  judgeContainerState,
  parseQueryResponse,
  prometheusQueryUrl,
  defaultGateSpec,
  judgeHttpResponse,
  saveExpectations,
  withExpectations
} from '../../packages/health/src/index.js';

const reader = (values: Record<string, string>) => new InputReader((n) => values[n] ?? '');

describe('readGateInputs', () => {
  it('reads exactly the inputs health-gate/action.yml declares (and the entry reads fail-on-unhealthy)', () => {
    const declared = Object.keys(
      (parseYaml(readFileSync(join(REPO_ROOT, 'health-gate', 'action.yml'), 'utf8')) as { inputs: object })
        .inputs
    );
    expect([...GATE_INPUT_NAMES, 'fail-on-unhealthy'].sort()).toEqual([...declared].sort());
    const asked = new Set<string>();
    const values: Record<string, string> = {
      'health-url': 'http://127.0.0.1:18101/up',
      'health-mode': 'soak',
      'health-prometheus-url': 'http://127.0.0.1:9099',
      'health-prometheus-query': 'up > 0',
      'health-container': 'web'
    };
    readGateInputs(
      new InputReader((n) => {
        asked.add(n);
        return values[n] ?? '';
      }),
      { prefix: 'health-' }
    );
    expect([...asked].sort()).toEqual(GATE_INPUT_NAMES.map((n) => `health-${n}`).sort());
  });

  it('returns undefined when there is nothing to probe', () => {
    expect(readGateInputs(reader({ interval: '1s' }))).toBeUndefined();
  });

  it('reads every input with defaults', () => {
    const spec = readGateInputs(
      reader({
        url: 'http://127.0.0.1:18101/up\nHEAD https://example.test/health',
        'expect-json': '$.status == ok\n$.checks[0].name exists',
        'expect-body': '/ok|fine/i',
        headers: 'Authorization: Bearer abc\nX-Env=prod',
        interval: '500ms',
        timeout: '30s'
      })
    )!;
    expect(spec.urls).toEqual([
      { url: 'http://127.0.0.1:18101/up' },
      { url: 'https://example.test/health', method: 'HEAD' }
    ]);
    expect(spec.expectStatus).toEqual([{ min: 200, max: 399 }]);
    expect(spec.expectJson.map((e) => e.path)).toEqual([['status'], ['checks', 0, 'name']]);
    expect(spec.expectBody).toEqual(/ok|fine/i);
    expect(spec.headers).toEqual({ Authorization: 'Bearer abc', 'X-Env': 'prod' });
    expect(spec.intervalMs).toBe(500);
    expect(spec.timeoutMs).toBe(30_000);
    expect(spec.successThreshold).toBe(3);
    expect(spec.noData).toBe('fail');
  });

  it('names the prefixed input at fault', () => {
    expect(() =>
      readGateInputs(reader({ 'health-url': 'http://x/', 'health-interval': '0s' }), { prefix: 'health-' })
    ).toThrow(/Input 'health-interval': "0s" is zero/);
  });

  it.each([
    [{ url: 'not a url' }, /Input 'url': "not a url" is not a URL/],
    [{ url: 'ftp://127.0.0.1/x' }, /Input 'url': .* is not an http\(s\) URL/],
    [{ url: 'http://a/', interval: '-1s' }, /Input 'interval': "-1s" is negative/],
    [{ url: 'http://a/', interval: 'often' }, /Input 'interval': "often" is not a duration/],
    [{ url: 'http://a/', 'expect-json': 'status == ok' }, /Input 'expect-json': .*must start with \$/],
    [{ url: 'http://a/', 'expect-json': '$.status ~= ok' }, /Input 'expect-json': .*unknown comparator "~="/],
    [{ url: 'http://a/', 'expect-json': '$.n > many' }, /needs a number/],
    [{ url: 'http://a/', 'expect-json': '$.v matches 1.2' }, /matches needs a \/regex\//],
    [{ url: 'http://a/', 'expect-status': '2000' }, /Input 'expect-status': "2000" is not a status code/],
    [{ url: 'http://a/', 'success-threshold': '0' }, /Input 'success-threshold': 0 is below the minimum 1/],
    [
      { url: 'http://a/', 'success-threshold': '10', interval: '10s', timeout: '1m' },
      /Input 'success-threshold': 10 consecutive passes .* cannot fit/
    ],
    [{ 'prometheus-query': 'up == 1' }, /Input 'prometheus-url': is required/],
    [
      { 'prometheus-url': 'http://p:9090', 'prometheus-query': 'up' },
      /Input 'prometheus-query': "up" does not end with a comparison/
    ],
    [{ 'prometheus-url': 'http://p:9090', 'prometheus-query': 'up =< 1' }, /Input 'prometheus-query'/],
    [{ container: 'web', 'expect-json': '$.a exists' }, /Input 'expect-json': applies to HTTP probes/],
    [
      { url: 'http://a/', 'min-success-rate': '0.9' },
      /Input 'min-success-rate': is a soak rule but mode is threshold/
    ],
    [
      { url: 'http://a/', mode: 'soak', 'min-success-rate': '1.5' },
      /Input 'min-success-rate': "1.5" is not a rate/
    ],
    [{ url: 'http://a/', mode: 'canary' }, /Input 'mode': "canary" is not one of threshold, soak/],
    [
      { url: 'http://a/', headers: 'Authorization Bearer secret-token' },
      /Input 'headers': a line is not `Name: value`/
    ],
    [{ url: 'http://a/', 'ca-cert': '/nonexistent/ca.pem' }, /Input 'ca-cert'/],
    [{ 'prometheus-url': 'http://p:9090', 'prometheus-query': 'up = 1' }, /unknown comparator "="/],
    [{ 'prometheus-url': 'http://p:9090', 'prometheus-query': 'up <> 1' }, /unknown comparator "<>"/],
    [{ 'prometheus-url': 'http://p:9090', 'prometheus-query': '< 1' }, /Input 'prometheus-query'/],
    [{ 'prometheus-url': 'not a url', 'prometheus-query': 'up < 1' }, /Input 'prometheus-url'/],
    [
      { url: 'http://a/', 'prometheus-headers': 'Authorization: Bearer secret-token' },
      /Input 'prometheus-headers': is given but no prometheus-query/
    ],
    [
      { url: 'http://a/', 'expect-body': '/unclosed(/' },
      /Input 'expect-body': .* is not a valid regular expression/
    ],
    [{ url: 'http://a/', interval: '0ms' }, /Input 'interval': "0ms" is zero/],
    [{ url: 'http://a/', 'probe-timeout': '0s' }, /Input 'probe-timeout'/],
    [
      { url: 'http://a/', mode: 'soak', window: '1s', interval: '2s' },
      /Input 'window': .* shorter than the interval/
    ],
    [
      { url: 'http://a/', 'initial-delay': '2m', timeout: '1m' },
      /Input 'success-threshold': 3 consecutive passes 2s apart after an initial delay of 2m cannot fit in the 1m timeout: the gate could never be healthy. Fix: raise `timeout` to at least 129s/
    ]
  ])('refuses %j', (values, message) => {
    let err: unknown;
    try {
      readGateInputs(reader(values as Record<string, string>));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
    // A malformed header line is never echoed: it likely holds a token.
    expect((err as Error).message).not.toContain('secret-token');
  });

  it('soak mode gets the canary rule set by default and reads percentages', () => {
    expect(readGateInputs(reader({ url: 'http://a/', mode: 'soak', window: '10s' }))!.soak).toEqual({
      minSuccessRate: 0.99,
      maxErrorRate: 0.01,
      maxP99LatencyMs: 500
    });
    expect(
      readGateInputs(
        reader({ 'prometheus-url': 'http://p:9090', 'prometheus-query': 'up == 1', mode: 'soak' })
      )!.soak
    ).toEqual({ minSuccessRate: 0.99 });
    const s = readGateInputs(
      reader({ url: 'http://a/', mode: 'soak', 'max-error-rate': '1%', 'max-p95-latency': '500ms' })
    )!;
    expect(s.soak).toEqual({ maxErrorRate: 0.01, maxP95LatencyMs: 500 });
  });
});

describe('header values', () => {
  it('are found for masking before any validation, a malformed line whole', () => {
    expect(
      headerValues('Authorization: Bearer abc\n# comment\nX-Env=prod\nbroken line with-token\n')
    ).toEqual(['Bearer abc', 'prod', 'broken line with-token']);
  });

  it('include passwords written into URLs', () => {
    expect(urlPasswords('https://deploy:p%40ss@a.example/up\nhttp://b.example/\nhttp://u:x@c/')).toEqual([
      'p%40ss',
      'p@ss',
      'x'
    ]);
  });

  it('are read for Prometheus too', () => {
    const s = readGateInputs(
      reader({
        'prometheus-url': 'https://prom.example/',
        'prometheus-query': 'up >= 1',
        'prometheus-headers': 'Authorization: Bearer p'
      })
    )!;
    expect(s.prometheusHeaders).toEqual({ Authorization: 'Bearer p' });
  });
});

describe('evidence output', () => {
  const rec = (round: number) => ({
    round,
    target: 'http://a/',
    kind: 'http' as const,
    ok: true,
    status: 200,
    time: '2026-11-23T09:00:00.000Z'
  });
  it('holds every probe when they fit, else the most recent that fit', () => {
    const all = Array.from({ length: 50 }, (_, i) => rec(i + 1));
    expect(JSON.parse(evidenceForOutput(all).json)).toEqual(all);
    const one = JSON.stringify(rec(50)).length;
    const out = evidenceForOutput(all, 10 * (one + 1) + 2);
    expect(out).toMatchObject({ kept: 10, dropped: 40 });
    expect((JSON.parse(out.json) as { round: number }[]).map((r) => r.round)).toEqual([
      41, 42, 43, 44, 45, 46, 47, 48, 49, 50
    ]);
  });
});

describe('expectations', () => {
  it.each([
    ['200-399', [{ min: 200, max: 399 }]],
    [
      '200, 204',
      [
        { min: 200, max: 200 },
        { min: 204, max: 204 }
      ]
    ],
    [
      '2xx 304',
      [
        { min: 200, max: 299 },
        { min: 304, max: 304 }
      ]
    ]
  ])('status %s', (text, ranges) => expect(parseStatusRanges(text)).toEqual(ranges));

  const doc = {
    status: 'ok',
    version: '1.4.2',
    count: 3,
    ready: true,
    tags: ['a', 'blue'],
    checks: [{ name: 'db', ms: 12 }],
    nil: null
  };
  it.each([
    ['$.status == ok', true],
    ['$.status == "ok"', true],
    ['$.status != ok', false],
    ['$.version == 1.4.2', true],
    ['$.count == 3', true],
    ['$.count >= 3', true],
    ['$.count < 3', false],
    ['$.ready == true', true],
    ['$.tags contains blue', true],
    ['$.tags contains green', false],
    ['$.version matches /^1\\.4\\./', true],
    ['$.checks[0].ms <= 20', true],
    ['$.checks[-1].name == db', true],
    ['$.checks[1].name exists', false],
    ['$.nil == null', true],
    ['$["status"] == ok', true],
    ['$.missing != x', true],
    ['$.status > 1', false]
  ])('%s is %s', (line, ok) => expect(evaluateJson(doc, parseJsonExpectation(line)).ok).toBe(ok));

  it('reports what it observed', () => {
    expect(evaluateJson(doc, parseJsonExpectation('$.status == degraded')).observed).toBe('"ok"');
    expect(evaluateJson(doc, parseJsonExpectation('$.nope exists')).observed).toBe(
      'nothing (path not found)'
    );
  });

  it('splits a metric check at its last comparator, keeping PromQL comparisons inside', () => {
    const c = parseMetricCheck('sum(rate(x{code=~"5.."}[1m])) / sum(rate(x[1m])) > 0 < 0.01');
    expect(c).toMatchObject({
      query: 'sum(rate(x{code=~"5.."}[1m])) / sum(rate(x[1m])) > 0',
      op: '<',
      threshold: 0.01
    });
    expect(parseMetricCheck('up >= 1e0')).toMatchObject({ query: 'up', op: '>=', threshold: 1 });
  });
});

describe('commands are data', () => {
  it('inspects a container state as JSON', () => {
    expect(dockerInspectHealthArgv('web-1')).toEqual([
      'docker',
      'inspect',
      '--type',
      'container',
      '--format',
      '{{json .State}}',
      'web-1'
    ]);
  });

  it('judges container states', () => {
    expect(judgeContainerState('w', { Status: 'running' }).ok).toBe(true);
    expect(judgeContainerState('w', { Status: 'running', Health: { Status: 'starting' } })).toMatchObject({
      ok: false,
      value: 'starting'
    });
    expect(judgeContainerState('w', { Status: 'exited', ExitCode: 137 }).reason).toBe(
      'container w: expected running, got exited (exit code 137)'
    );
    const r = judgeContainerState('w', {
      Status: 'running',
      Health: { Status: 'unhealthy', FailingStreak: 3, Log: [{ ExitCode: 1, Output: 'db down\n' }] }
    });
    expect(r.reason).toBe(
      'container w: expected health healthy, got unhealthy (failing streak 3); last check exited 1: "db down"'
    );
  });

  it('builds the Prometheus query URL and parses answers', () => {
    expect(prometheusQueryUrl('http://p:9090/', 'up{job="a"} == 1')).toBe(
      'http://p:9090/api/v1/query?query=up%7Bjob%3D%22a%22%7D+%3D%3D+1'
    );
    expect(
      parseQueryResponse(200, '{"status":"success","data":{"resultType":"vector","result":[]}}')
    ).toEqual({ ok: true, samples: [] });
    expect(
      parseQueryResponse(200, '{"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}}')
    ).toMatchObject({ ok: true, samples: [{ value: NaN }] });
    expect(
      parseQueryResponse(
        200,
        '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"+Inf"]}]}}'
      )
    ).toEqual({ ok: true, samples: [{ labels: {}, value: Infinity }] });
    expect(parseQueryResponse(200, 'null')).toEqual({
      ok: false,
      error: 'Prometheus answered HTTP 200 with "null", not a query result'
    });
    expect(
      parseQueryResponse(200, '{"status":"success","data":{"resultType":"vector","result":[{}]}}')
    ).toMatchObject({ ok: true, samples: [{ labels: {}, value: NaN }] });
    expect(
      parseQueryResponse(200, '{"status":"success","data":{"resultType":"matrix","result":[]}}')
    ).toMatchObject({ ok: false, error: expect.stringContaining('not an instant vector') });
    expect(
      parseQueryResponse(400, '{"status":"error","errorType":"bad_data","error":"parse error"}')
    ).toEqual({ ok: false, error: 'Prometheus answered HTTP 400: bad_data: parse error' });
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([], 95)).toBe(0);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        95
      )
    ).toBe(95);
  });
});

describe('saved expectations (an unverified switch is judged by what its own run expected)', () => {
  const judge = (g: ReturnType<typeof defaultGateSpec>, body: string) =>
    judgeHttpResponse({ url: 'http://127.0.0.1/' }, g, 1, { status: 200, body, latencyMs: 1 }, 'now').ok;
  const gate = (over: Partial<ReturnType<typeof defaultGateSpec>>) => ({ ...defaultGateSpec(), ...over });

  it('round-trips a substring, a regex and expect-json lines through JSON, and replaces the gate’s own', () => {
    const switching = gate({
      expectBody: /"VERSION":"v2"/i,
      expectJson: [parseJsonExpectation('$.version == v2')]
    });
    const saved = JSON.parse(JSON.stringify(saveExpectations(switching))) as ReturnType<
      typeof saveExpectations
    >;
    expect(saved).toEqual({ body: '/"VERSION":"v2"/i', regex: true, json: ['$.version == v2'] });
    // The next run expects its own version; judged with the saved expectations, v2's answers pass.
    const next = gate({
      expectBody: 'v3',
      expectJson: [parseJsonExpectation('$.version == v3')],
      maxLatencyMs: 500
    });
    const judged = withExpectations(next, saved);
    expect(judge(next, '{"version":"v2"}')).toBe(false);
    expect(judge(judged, '{"version":"v2"}')).toBe(true);
    expect(judge(judged, '{"version":"v3"}')).toBe(false);
    expect(judged.expectBody).toEqual(/"VERSION":"v2"/i);
    expect(judged.maxLatencyMs).toBe(500);
    const plain = withExpectations(next, saveExpectations(gate({ expectBody: 'v2' })));
    expect(judge(plain, 'release v2 ok')).toBe(true);
    expect(judge(plain, 'release v3 ok')).toBe(false);
  });

  it('a switching run that expected nothing of the body leaves no body check', () => {
    const judged = withExpectations(gate({ expectBody: 'v3' }), saveExpectations(gate({})));
    expect(judged.expectBody).toBeUndefined();
    expect(judged.expectJson).toEqual([]);
  });
});

import { compareNumbers } from './json.js';
import { httpRequest, snippet } from './http.js';
import type { MetricCheck, NoDataPolicy, ProbeRecord, TlsOptions } from './types.js';

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

export type QueryResult = { ok: true; samples: MetricSample[] } | { ok: false; error: string };

/** The URL of an instant query: `<base>/api/v1/query?query=…`. Pure, so tests can assert it. */
export function prometheusQueryUrl(baseUrl: string, query: string): string {
  const u = new URL(baseUrl.replace(/\/+$/, '') + '/api/v1/query');
  u.searchParams.set('query', query);
  return u.toString();
}

/** Prometheus writes sample values as strings: `"0.25"`, `"NaN"`, `"+Inf"`, `"-Inf"`. */
export function sampleValue(text: unknown): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return typeof text === 'string' && text.trim() !== '' ? Number(text) : NaN;
}

/** Parse an `/api/v1/query` answer into samples (vector or scalar); NaN values are kept as NaN. */
export function parseQueryResponse(status: number, body: string): QueryResult {
  let doc: {
    status?: string;
    error?: string;
    errorType?: string;
    data?: { resultType?: string; result?: unknown };
  };
  try {
    doc = JSON.parse(body) as typeof doc;
  } catch {
    return { ok: false, error: `Prometheus answered HTTP ${status} with non-JSON ${snippet(body)}` };
  }
  if (typeof doc !== 'object' || doc === null)
    return {
      ok: false,
      error: `Prometheus answered HTTP ${status} with ${snippet(body)}, not a query result`
    };
  if (doc.status !== 'success')
    return {
      ok: false,
      error: `Prometheus answered HTTP ${status}: ${doc.errorType ?? 'error'}: ${doc.error ?? snippet(body)}`
    };
  const data = doc.data ?? {};
  if (data.resultType === 'scalar' && Array.isArray(data.result)) {
    const r = data.result as [number, string];
    return { ok: true, samples: [{ labels: {}, value: sampleValue(r[1]) }] };
  }
  if (data.resultType === 'vector' && Array.isArray(data.result)) {
    const r = data.result as { metric?: Record<string, string>; value?: [number, string] }[];
    return {
      ok: true,
      samples: r.map((s) => ({ labels: s.metric ?? {}, value: sampleValue(s.value?.[1]) }))
    };
  }
  return {
    ok: false,
    error: `the query returns a ${data.resultType}, not an instant vector or scalar (drop the [range] selector or wrap it in a function)`
  };
}

export async function queryPrometheus(
  baseUrl: string,
  query: string,
  options: { timeoutMs: number; headers?: Record<string, string>; tls?: TlsOptions; signal?: AbortSignal }
): Promise<QueryResult & { latencyMs: number }> {
  const r = await httpRequest(
    { url: prometheusQueryUrl(baseUrl, query) },
    {
      headers: { accept: 'application/json', ...options.headers },
      ca: options.tls?.ca,
      insecure: options.tls?.insecure,
      timeoutMs: options.timeoutMs,
      signal: options.signal
    }
  );
  if ('error' in r)
    return { ok: false, error: `Prometheus at ${baseUrl}: ${r.error}`, latencyMs: r.latencyMs };
  return { ...parseQueryResponse(r.status, r.body), latencyMs: r.latencyMs };
}

/** Evidence is JSON, where Infinity would become null: infinities are kept as Prometheus writes them. */
function shown(v: number): number | string {
  return Number.isFinite(v) ? v : v > 0 ? '+Inf' : '-Inf';
}

function labelText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}` : '';
}

/** Judge one metric check: every returned series must satisfy the comparison; no data / NaN follow `noData`. */
export async function probeMetric(
  check: MetricCheck,
  options: {
    prometheusUrl: string;
    noData: NoDataPolicy;
    timeoutMs: number;
    round: number;
    headers?: Record<string, string>;
    tls?: TlsOptions;
    signal?: AbortSignal;
  }
): Promise<ProbeRecord> {
  const time = new Date().toISOString();
  const expectation = `${check.op} ${check.threshold}`;
  const base = { round: options.round, target: check.text, kind: 'metric' as const, time, expectation };
  const r = await queryPrometheus(options.prometheusUrl, check.query, options);
  if (!r.ok)
    return { ...base, ok: false, latencyMs: r.latencyMs, reason: `query \`${check.query}\`: ${r.error}` };
  const values = r.samples.filter((s) => !Number.isNaN(s.value));
  if (values.length === 0) {
    const what = r.samples.length === 0 ? 'no data' : 'NaN';
    const ok = options.noData === 'pass';
    return {
      ...base,
      ok,
      latencyMs: r.latencyMs,
      value: what,
      reason: `query \`${check.query}\`: expected ${expectation}, got ${what}${ok ? ' (passes: no-data is pass)' : ' (no-data is fail: the series may not exist yet, or the denominator is 0; set no-data: pass to accept)'}`
    };
  }
  const bad = values.find((s) => !compareNumbers(s.value, check.op, check.threshold));
  if (bad) {
    return {
      ...base,
      ok: false,
      latencyMs: r.latencyMs,
      value: shown(bad.value),
      reason: `query \`${check.query}\`: expected ${expectation}, got ${shown(bad.value)}${labelText(bad.labels)}`
    };
  }
  return {
    ...base,
    ok: true,
    latencyMs: r.latencyMs,
    value: values.length === 1 ? shown(values[0]!.value) : values.map((v) => shown(v.value)).join(', ')
  };
}

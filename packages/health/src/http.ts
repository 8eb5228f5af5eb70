import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { formatMs } from '../../core/src/index.js';
import { evaluateJson } from './json.js';
import { formatStatusRanges } from './spec.js';
import type { GateSpec, HttpTarget, ProbeRecord } from './types.js';

/** How much of a body we read: enough for any health document, bounded against a streaming endpoint. */
const MAX_BODY = 64 * 1024;

export interface HttpResponse {
  status: number;
  body: string;
  latencyMs: number;
}

export interface HttpFailure {
  error: string;
  latencyMs: number;
}

const ERROR_TEXT: Record<string, string> = {
  ECONNRESET: 'connection reset by peer',
  ECONNREFUSED: 'connection refused',
  EPIPE: 'connection closed while sending',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connect timed out',
  DEPTH_ZERO_SELF_SIGNED_CERT:
    'TLS: self-signed certificate (give ca-cert, or opt in to insecure-skip-tls-verify)',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS: self-signed certificate in chain (give ca-cert)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: unable to verify the certificate (give ca-cert)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: certificate does not match the host name',
  CERT_HAS_EXPIRED: 'TLS: certificate has expired'
};

/**
 * Node's `ca` option replaces the trusted roots; `ca-cert` adds to them, so a gate can probe an internal
 * service and a public one in the same step.
 */
function trustedCas(extra: string | undefined): string[] | undefined {
  return extra ? [...tls.rootCertificates, extra] : undefined;
}

/** One HTTP request with a hard deadline covering connect, headers and body. Never throws. */
export function httpRequest(
  target: HttpTarget,
  options: {
    headers?: Record<string, string>;
    ca?: string;
    insecure?: boolean;
    timeoutMs: number;
    signal?: AbortSignal;
  }
): Promise<HttpResponse | HttpFailure> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: HttpResponse | HttpFailure) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    // Set once the status line arrived: a failure after it is a broken body, not a refused request.
    let responded: number | undefined;
    const midBody = () => `after status ${responded}, while reading the body`;
    const u = new URL(target.url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(
      u,
      {
        method: target.method ?? 'GET',
        headers: { 'user-agent': 'deploy-actions-health-gate', accept: '*/*', ...options.headers },
        // A fresh connection per probe: a health check must see what a new client sees.
        agent: false,
        ...(u.protocol === 'https:'
          ? { ca: trustedCas(options.ca), rejectUnauthorized: !options.insecure }
          : {})
      },
      (res) => {
        responded = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let len = 0;
        res.on('data', (b: Buffer) => {
          if (len < MAX_BODY) chunks.push(b);
          len += b.length;
          if (len >= MAX_BODY) {
            finish({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY),
              latencyMs: elapsed()
            });
            req.destroy();
          }
        });
        res.on('end', () =>
          finish({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            latencyMs: elapsed()
          })
        );
        res.on('error', (e: NodeJS.ErrnoException) =>
          finish({ error: describeNetError(e, midBody()), latencyMs: elapsed() })
        );
        res.on('aborted', () =>
          finish({ error: `connection reset by peer ${midBody()}`, latencyMs: elapsed() })
        );
      }
    );
    const timer = setTimeout(() => {
      finish({
        error:
          responded === undefined
            ? `no response within ${formatMs(options.timeoutMs)} (probe timeout)`
            : `body not complete within ${formatMs(options.timeoutMs)} after status ${responded} (probe timeout)`,
        latencyMs: elapsed()
      });
      req.destroy();
    }, options.timeoutMs);
    const onAbort = () => {
      finish({ error: 'cancelled', latencyMs: elapsed() });
      req.destroy();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) =>
      finish({ error: describeNetError(e, responded === undefined ? '' : midBody()), latencyMs: elapsed() })
    );
    req.end();
  });
}

function describeNetError(e: NodeJS.ErrnoException, when = ''): string {
  const text =
    (e.code && ERROR_TEXT[e.code]) ??
    (e.message === 'socket hang up' ? 'connection closed without a response (socket hang up)' : e.message);
  return when ? `${text} ${when}` : text;
}

/** The first bytes of a body, on one line, for reasons. */
export function snippet(body: string, max = 120): string {
  const oneLine = body.replace(/\s+/g, ' ').trim();
  return JSON.stringify(oneLine.length > max ? oneLine.slice(0, max) + '…' : oneLine);
}

/** Probe one URL and judge it against every HTTP expectation of the spec. */
export async function probeHttp(
  target: HttpTarget,
  spec: Pick<
    GateSpec,
    'expectStatus' | 'expectBody' | 'expectJson' | 'headers' | 'tls' | 'maxLatencyMs' | 'probeTimeoutMs'
  >,
  round: number,
  options: { timeoutMs?: number; signal?: AbortSignal } = {}
): Promise<ProbeRecord> {
  const time = new Date().toISOString();
  const r = await httpRequest(target, {
    headers: spec.headers,
    ca: spec.tls.ca,
    insecure: spec.tls.insecure,
    timeoutMs: options.timeoutMs ?? spec.probeTimeoutMs,
    signal: options.signal
  });
  return judgeHttpResponse(target, spec, round, r, time);
}

/**
 * Judge one answer (or failure) against every HTTP expectation of the spec. Pure; shared by probeHttp and
 * by probes made elsewhere (deploy-compose's canary probes run on the host and are judged here).
 */
export function judgeHttpResponse(
  target: HttpTarget,
  spec: Pick<GateSpec, 'expectStatus' | 'expectBody' | 'expectJson' | 'maxLatencyMs'>,
  round: number,
  r: HttpResponse | HttpFailure,
  time: string
): ProbeRecord {
  const name = `${target.method ?? 'GET'} ${target.url}`;
  const base = { round, target: target.url, kind: 'http' as const, time, latencyMs: r.latencyMs };
  if ('error' in r) {
    return { ...base, ok: false, expectation: 'a response', value: r.error, reason: `${name}: ${r.error}` };
  }
  const fail = (expectation: string, observed: string): ProbeRecord => ({
    ...base,
    ok: false,
    status: r.status,
    expectation,
    value: observed,
    reason: `${name}: expected ${expectation}, got ${observed}`
  });
  const statusText = formatStatusRanges(spec.expectStatus);
  if (!spec.expectStatus.some((s) => r.status >= s.min && r.status <= s.max)) {
    const f = fail(`status ${statusText}`, String(r.status));
    f.reason += `; body: ${snippet(r.body)}`;
    return f;
  }
  if (spec.expectBody !== undefined) {
    const ok =
      typeof spec.expectBody === 'string' ? r.body.includes(spec.expectBody) : spec.expectBody.test(r.body);
    const shown =
      typeof spec.expectBody === 'string' ? JSON.stringify(spec.expectBody) : String(spec.expectBody);
    if (!ok)
      return fail(
        `body to ${typeof spec.expectBody === 'string' ? 'contain' : 'match'} ${shown}`,
        `body ${snippet(r.body)}`
      );
  }
  if (spec.expectJson.length > 0) {
    let doc: unknown;
    try {
      doc = JSON.parse(r.body);
    } catch {
      return fail(`a JSON body for ${spec.expectJson[0]!.text}`, `non-JSON body ${snippet(r.body)}`);
    }
    for (const exp of spec.expectJson) {
      const c = evaluateJson(doc, exp);
      if (!c.ok) return fail(`\`${exp.text}\``, exp.path.length ? `${c.observed}` : c.observed);
    }
  }
  if (spec.maxLatencyMs !== undefined && r.latencyMs > spec.maxLatencyMs) {
    return fail(`latency <= ${formatMs(spec.maxLatencyMs)}`, `${Math.round(r.latencyMs)}ms`);
  }
  const expectation = [
    `status ${statusText}`,
    ...(spec.expectBody === undefined
      ? []
      : [
          typeof spec.expectBody === 'string'
            ? `body contains ${JSON.stringify(spec.expectBody)}`
            : `body matches ${String(spec.expectBody)}`
        ]),
    ...spec.expectJson.map((e) => e.text),
    ...(spec.maxLatencyMs === undefined ? [] : [`latency <= ${formatMs(spec.maxLatencyMs)}`])
  ].join('; ');
  return { ...base, ok: true, status: r.status, value: r.status, expectation };
}

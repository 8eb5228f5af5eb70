import { formatMs, type Executor, type Logger } from '../../core/src/index.js';
import { probeContainer } from './container.js';
import { probeHttp } from './http.js';
import { probeMetric } from './prometheus.js';
import { percentile, round1 } from './stats.js';
import type { GateResult, GateSpec, ProbeRecord } from './types.js';

export interface GateDeps {
  logger: Logger;
  /** Runs `docker inspect` for container probes (local or SSH). Required when spec.containers is not empty. */
  executor?: Executor;
  /** Stops the gate early; the verdict is then `timeout` with reason "cancelled". */
  signal?: AbortSignal;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One round: every URL, metric and container probed in parallel. */
async function probeRound(
  spec: GateSpec,
  deps: GateDeps,
  round: number,
  timeoutMs: number
): Promise<ProbeRecord[]> {
  const jobs: Promise<ProbeRecord>[] = [];
  for (const target of spec.urls)
    jobs.push(probeHttp(target, spec, round, { timeoutMs, signal: deps.signal }));
  for (const check of spec.metrics) {
    jobs.push(
      probeMetric(check, {
        prometheusUrl: spec.prometheusUrl!,
        noData: spec.noData,
        timeoutMs,
        round,
        headers: spec.prometheusHeaders,
        tls: spec.tls,
        signal: deps.signal
      })
    );
  }
  for (const c of spec.containers) {
    if (!deps.executor) throw new Error('runGate: container probes need deps.executor');
    jobs.push(probeContainer(c, { executor: deps.executor, round, timeoutMs }));
  }
  return Promise.all(jobs);
}

function latencies(evidence: readonly ProbeRecord[]): number[] {
  const http = evidence.filter((e) => e.kind === 'http' && e.latencyMs !== undefined);
  return (http.length ? http : evidence.filter((e) => e.latencyMs !== undefined)).map((e) => e.latencyMs!);
}

function finish(
  verdict: GateResult['verdict'],
  reason: string,
  evidence: ProbeRecord[],
  failures: number,
  started: number
): GateResult {
  const lat = latencies(evidence);
  return {
    verdict,
    reason,
    probes: evidence.length,
    failures,
    p50Ms: round1(percentile(lat, 50)),
    p95Ms: round1(percentile(lat, 95)),
    evidence,
    durationMs: Math.round(performance.now() - started)
  };
}

function describeRound(records: readonly ProbeRecord[]): string {
  return records
    .map((r) => {
      const v = r.kind === 'http' ? (r.status ?? 'no response') : r.value;
      const lat = r.latencyMs !== undefined ? ` ${Math.round(r.latencyMs)}ms` : '';
      return `${r.ok ? '✓' : '✗'} ${r.target} ${v}${lat}`;
    })
    .join(' · ');
}

/**
 * Run the gate. Threshold mode: rounds every `intervalMs` after `initialDelayMs` (fixed rate: a slow round
 * does not push the schedule back); healthy after `successThreshold` consecutive passing rounds, unhealthy
 * once `failureThreshold` rounds failed, `timeout` when `timeoutMs` runs out first. Soak mode: rounds for
 * `windowMs`, then the soak rules are judged over every sample. Never throws for an unhealthy target.
 */
export async function runGate(spec: GateSpec, deps: GateDeps): Promise<GateResult> {
  const { logger } = deps;
  if (spec.containers.length > 0 && !deps.executor)
    throw new Error('runGate: container probes need deps.executor');
  const started = performance.now();
  const evidence: ProbeRecord[] = [];
  const soak = spec.mode === 'soak';
  const deadline =
    started + (soak ? spec.initialDelayMs + spec.windowMs + spec.probeTimeoutMs : spec.timeoutMs);
  const targets = [...spec.urls.map((u) => u.url), ...spec.metrics.map((m) => m.query), ...spec.containers];
  logger.info(
    soak
      ? `Health gate (soak): ${targets.length} target(s) every ${formatMs(spec.intervalMs)} for ${formatMs(spec.windowMs)}`
      : `Health gate: ${targets.length} target(s) every ${formatMs(spec.intervalMs)}; healthy after ${spec.successThreshold} consecutive passing round(s), unhealthy after ${spec.failureThreshold} failing round(s), timeout ${formatMs(spec.timeoutMs)}`
  );

  await sleep(Math.min(spec.initialDelayMs, deadline - performance.now()), deps.signal);
  const firstRound = performance.now();
  const windowEnd = firstRound + spec.windowMs;
  let consecutive = 0;
  let failedRounds = 0;
  let lastFailure = '';
  for (let round = 1; ; round++) {
    if (deps.signal?.aborted)
      return finish(
        'timeout',
        `cancelled after ${round - 1} round(s)${lastFailure ? `; last failure: ${lastFailure}` : ''}`,
        evidence,
        failedRounds,
        started
      );
    const remaining = deadline - performance.now();
    if (!soak && remaining <= 0) break;
    const records = await probeRound(
      spec,
      deps,
      round,
      Math.max(1, Math.min(spec.probeTimeoutMs, soak ? spec.probeTimeoutMs : remaining))
    );
    evidence.push(...records);
    const failed = records.filter((r) => !r.ok);
    if (failed.length === 0) {
      consecutive++;
      logger.info(
        `round ${round}: pass${soak ? '' : ` (${consecutive}/${spec.successThreshold})`}: ${describeRound(records)}`
      );
      if (!soak && consecutive >= spec.successThreshold) {
        return finish(
          'healthy',
          `${consecutive} consecutive passing round(s) of ${records.length} probe(s); ${failedRounds} failing round(s) before`,
          evidence,
          failedRounds,
          started
        );
      }
    } else {
      consecutive = 0;
      failedRounds++;
      lastFailure = failed[0]!.reason ?? `${failed[0]!.target} failed`;
      const more = failed.length > 1 ? ` (and ${failed.length - 1} more probe(s) failed)` : '';
      logger.info(
        `round ${round}: fail${soak ? '' : ` (${failedRounds}/${spec.failureThreshold})`}: ${failed.map((f) => f.reason).join(' | ')}`
      );
      if (!soak && failedRounds >= spec.failureThreshold) {
        return finish(
          'unhealthy',
          `${lastFailure}${more} [${failedRounds} of ${spec.failureThreshold} allowed failing rounds]`,
          evidence,
          failedRounds,
          started
        );
      }
    }
    const next = firstRound + round * spec.intervalMs;
    if (soak && next >= windowEnd) break;
    if (!soak && next >= deadline) {
      await sleep(deadline - performance.now(), deps.signal);
      break;
    }
    await sleep(next - performance.now(), deps.signal);
  }
  if (soak) return judgeSoak(spec, evidence, failedRounds, started);
  return finish(
    'timeout',
    `no verdict within ${formatMs(spec.timeoutMs)}: ${consecutive} of ${spec.successThreshold} consecutive passes, ${failedRounds} of ${spec.failureThreshold} failing rounds${lastFailure ? `; last failure: ${lastFailure}` : ''}`,
    evidence,
    failedRounds,
    started
  );
}

const pct = (x: number) => `${round1(x * 100)}%`;

/** Judge soak rules over every sample: success rate (all probes), error rate and latency percentiles (HTTP). */
export function judgeSoak(
  spec: GateSpec,
  evidence: ProbeRecord[],
  failedRounds: number,
  started: number
): GateResult {
  const rules = spec.soak;
  const total = evidence.length;
  const ok = evidence.filter((e) => e.ok).length;
  const http = evidence.filter((e) => e.kind === 'http');
  const errors = http.filter((e) => e.status === undefined || e.status >= 500).length;
  const lat = http.map((e) => e.latencyMs ?? 0);
  const broken: string[] = [];
  const met: string[] = [];
  const firstFail = evidence.find((e) => !e.ok)?.reason;
  if (total === 0)
    return finish('unhealthy', 'soak window ended with no samples', evidence, failedRounds, started);
  const check = (good: boolean, text: string) => (good ? met : broken).push(text);
  if (rules.minSuccessRate !== undefined) {
    const rate = ok / total;
    check(
      rate >= rules.minSuccessRate,
      `success rate ${pct(rate)} (${ok}/${total}) ${rate >= rules.minSuccessRate ? '>=' : '<'} ${pct(rules.minSuccessRate)}`
    );
  }
  if (rules.maxErrorRate !== undefined && http.length) {
    const rate = errors / http.length;
    check(
      rate <= rules.maxErrorRate,
      `error rate ${pct(rate)} (${errors}/${http.length} 5xx or no response) ${rate <= rules.maxErrorRate ? '<=' : '>'} ${pct(rules.maxErrorRate)}`
    );
  }
  if (rules.maxP95LatencyMs !== undefined && lat.length) {
    const p = percentile(lat, 95);
    check(
      p <= rules.maxP95LatencyMs,
      `p95 latency ${Math.round(p)}ms ${p <= rules.maxP95LatencyMs ? '<=' : '>'} ${formatMs(rules.maxP95LatencyMs)}`
    );
  }
  if (rules.maxP99LatencyMs !== undefined && lat.length) {
    const p = percentile(lat, 99);
    check(
      p <= rules.maxP99LatencyMs,
      `p99 latency ${Math.round(p)}ms ${p <= rules.maxP99LatencyMs ? '<=' : '>'} ${formatMs(rules.maxP99LatencyMs)}`
    );
  }
  if (broken.length) {
    return finish(
      'unhealthy',
      `soak rule broken: ${broken.join('; ')}${firstFail ? `; first failure: ${firstFail}` : ''}`,
      evidence,
      failedRounds,
      started
    );
  }
  return finish(
    'healthy',
    `soak rules met over ${total} samples: ${met.join('; ')}`,
    evidence,
    failedRounds,
    started
  );
}

import { setMaxListeners } from 'node:events';
import { Redactor, describeError, formatMs, type Executor, type Logger } from '../../core/src/index.js';
import { probeContainer } from './container.js';
import { probeHttp } from './http.js';
import { probeMetric } from './prometheus.js';
import { percentile, round1 } from './stats.js';
import { urlPasswords, withoutUserinfo } from './spec.js';
import { canaryRules, MAX_ROUNDS_IN_FLIGHT } from './defaults.js';
import type { GateResult, GateSpec, ProbeRecord, SoakRules } from './types.js';

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

/** A probe that threw (a bug or an answer no parser expected) fails its check instead of the gate. */
function guard(
  job: Promise<ProbeRecord>,
  base: Pick<ProbeRecord, 'round' | 'target' | 'kind'>
): Promise<ProbeRecord> {
  return job.catch((err: unknown) => {
    const text = describeError(err).split('\n')[0]!;
    return {
      ...base,
      ok: false,
      value: 'error',
      reason: `${base.target}: the probe failed: ${text}`,
      time: new Date().toISOString()
    };
  });
}

/** One round: every URL, metric and container probed in parallel. Never rejects. */
function probeRound(
  spec: GateSpec,
  deps: GateDeps,
  round: number,
  timeoutMs: number,
  signal: AbortSignal
): Promise<ProbeRecord[]> {
  const jobs: Promise<ProbeRecord>[] = [];
  for (const target of spec.urls)
    jobs.push(
      guard(probeHttp(target, spec, round, { timeoutMs, signal }), {
        round,
        target: target.url,
        kind: 'http'
      })
    );
  for (const check of spec.metrics) {
    const job = probeMetric(check, {
      prometheusUrl: spec.prometheusUrl!,
      noData: spec.noData,
      timeoutMs,
      round,
      headers: spec.prometheusHeaders,
      tls: spec.tls,
      signal
    });
    jobs.push(guard(job, { round, target: check.text, kind: 'metric' }));
  }
  for (const c of spec.containers)
    jobs.push(
      guard(probeContainer(c, { executor: deps.executor!, round, timeoutMs }), {
        round,
        target: c,
        kind: 'container'
      })
    );
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
 * Header values are credentials as often as not: no log line may show them, whoever calls the engine, and a
 * server that echoes a request header into its error page must not carry it into a reason or the evidence.
 */
function secretsOf(spec: GateSpec, logger: Logger): (r: ProbeRecord) => ProbeRecord {
  const redactor = new Redactor();
  const secrets = [...Object.values(spec.headers), ...Object.values(spec.prometheusHeaders ?? {})];
  // A password in a URL (https://user:pass@host/) is sent as basic auth and must not be shown either.
  // A token as the user name (https://TOKEN@host/) too.
  secrets.push(...urlPasswords([...spec.urls.map((u) => u.url), spec.prometheusUrl ?? ''].join('\n')));
  for (const v of secrets) {
    if (!v) continue;
    logger.secret(v);
    redactor.add(v);
  }
  return (r) => {
    r.target = withoutUserinfo(redactor.redact(r.target));
    if (r.reason) r.reason = withoutUserinfo(redactor.redact(r.reason));
    if (typeof r.value === 'string') r.value = redactor.redact(r.value);
    return r;
  };
}

/**
 * Run the gate. Threshold mode: a round every `intervalMs` after `initialDelayMs`; healthy after
 * `successThreshold` consecutive passing rounds, unhealthy once `failureThreshold` rounds failed, `timeout`
 * when `timeoutMs` runs out first. Soak mode: rounds for `windowMs`, then the soak rules are judged over every
 * sample (or earlier, as soon as the samples so far break a rule whatever the rest show). Rounds are judged in
 * order; a slow round does not delay the schedule (see MAX_ROUNDS_IN_FLIGHT). Never throws for an unhealthy
 * target.
 */
export async function runGate(spec: GateSpec, deps: GateDeps): Promise<GateResult> {
  const { logger } = deps;
  if (spec.containers.length > 0 && !deps.executor)
    throw new Error('runGate: container probes need deps.executor');
  const redact = secretsOf(spec, logger);
  const started = performance.now();
  const evidence: ProbeRecord[] = [];
  const soak = spec.mode === 'soak';
  const rules: SoakRules = Object.keys(spec.soak).length ? spec.soak : canaryRules(spec.urls.length > 0);
  const deadline = started + spec.timeoutMs;
  const targets = [...spec.urls.map((u) => u.url), ...spec.metrics.map((m) => m.query), ...spec.containers];
  logger.info(
    soak
      ? `Health gate (soak): ${targets.length} target(s) every ${formatMs(spec.intervalMs)} for ${formatMs(spec.windowMs)}; rules: ${describeRules(rules)}`
      : `Health gate: ${targets.length} target(s) every ${formatMs(spec.intervalMs)}; healthy after ${spec.successThreshold} consecutive passing round(s), unhealthy after ${spec.failureThreshold} failing round(s), timeout ${formatMs(spec.timeoutMs)}`
  );

  if (!soak && spec.initialDelayMs + (spec.failureThreshold - 1) * spec.intervalMs >= spec.timeoutMs)
    logger.warning(
      `${spec.failureThreshold} failing rounds ${formatMs(spec.intervalMs)} apart cannot happen within the ${formatMs(spec.timeoutMs)} timeout: a broken release ends as \`timeout\`, not \`unhealthy\``
    );

  // Probes still open when the verdict is reached (or the caller cancels) are stopped through this.
  const stop = new AbortController();
  const signal = deps.signal ? AbortSignal.any([deps.signal, stop.signal]) : stop.signal;
  // Every open probe listens on it; up to MAX_ROUNDS_IN_FLIGHT rounds of many targets is not a leak.
  setMaxListeners(0, signal);
  const inflight = new Map<number, { records: Promise<ProbeRecord[]>; cut: boolean }>();
  const end = async (result: GateResult): Promise<GateResult> => {
    stop.abort();
    await Promise.allSettled([...inflight.values()].map((r) => r.records));
    return result;
  };

  await sleep(soak ? spec.initialDelayMs : Math.min(spec.initialDelayMs, deadline - started), deps.signal);
  const firstRound = performance.now();
  const launchAt = (round: number) => firstRound + (round - 1) * spec.intervalMs;
  // No round starts after this: the end of the soak window, or the overall timeout.
  const lastStart = soak ? firstRound + spec.windowMs : deadline;
  const maxRounds = soak ? Math.ceil(spec.windowMs / spec.intervalMs) : Infinity;
  const probesPerRound = targets.length;

  let nextLaunch = 1;
  let nextJudge = 1;
  let consecutive = 0;
  let failedRounds = 0;
  let lastFailure = '';
  let cutShort = false;
  const tally: SoakTally = { failed: 0, httpErrors: 0, overP95: 0, overP99: 0 };
  const canLaunch = () =>
    nextLaunch <= maxRounds &&
    launchAt(nextLaunch) < lastStart &&
    nextLaunch - nextJudge < MAX_ROUNDS_IN_FLIGHT;

  for (;;) {
    if (deps.signal?.aborted)
      return end(
        finish(
          'timeout',
          `cancelled after ${nextJudge - 1} round(s)${lastFailure ? `; last failure: ${lastFailure}` : ''}`,
          evidence,
          failedRounds,
          started
        )
      );
    const now = performance.now();
    while (canLaunch() && launchAt(nextLaunch) <= now) {
      // In threshold mode no probe may outlive the overall timeout; such a probe is cut, not failed.
      const room = soak ? Infinity : deadline - now;
      const timeoutMs = Math.max(1, Math.min(spec.probeTimeoutMs, room));
      inflight.set(nextLaunch, {
        records: probeRound(spec, deps, nextLaunch, timeoutMs, signal),
        cut: timeoutMs < spec.probeTimeoutMs
      });
      nextLaunch++;
    }
    const wakeAt = canLaunch() ? launchAt(nextLaunch) : Infinity;
    const pending = inflight.get(nextJudge);
    if (!pending) {
      if (wakeAt === Infinity) break;
      await sleep(wakeAt - now, deps.signal);
      continue;
    }
    const records = await raceTimer(pending.records, wakeAt - now, deps.signal);
    if (records === undefined) continue;
    inflight.delete(nextJudge);
    records.forEach(redact);
    const round = nextJudge++;
    const failed = records.filter((r) => !r.ok);
    if (pending.cut && failed.length > 0 && performance.now() >= deadline - 1) {
      // The overall timeout ended this round before its own probe timeout: it says nothing about health.
      for (const f of failed) f.reason = `${f.reason ?? ''} (cut short by the overall timeout; not counted)`;
      evidence.push(...records);
      cutShort = true;
      break;
    }
    evidence.push(...records);
    tallyRound(tally, rules, records);
    if (failed.length === 0) {
      consecutive++;
      logger.info(
        `round ${round}: pass${soak ? '' : ` (${consecutive}/${spec.successThreshold})`}: ${describeRound(records)}`
      );
      if (!soak && consecutive >= spec.successThreshold) {
        return end(
          finish(
            'healthy',
            `${consecutive} consecutive passing round(s) of ${records.length} probe(s); ${failedRounds} failing round(s) before`,
            evidence,
            failedRounds,
            started
          )
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
        return end(
          finish(
            'unhealthy',
            `${lastFailure}${more} [${failedRounds} of ${spec.failureThreshold} allowed failing rounds]`,
            evidence,
            failedRounds,
            started
          )
        );
      }
    }
    // After the last round the final judgement gives the exact figures instead.
    if (soak && round < maxRounds) {
      const broken = soakAlreadyBroken(
        rules,
        tally,
        maxRounds * probesPerRound,
        maxRounds * spec.urls.length
      );
      if (broken) {
        const first = evidence.find((e) => !e.ok)?.reason;
        return end(
          finish(
            'unhealthy',
            `soak rule can no longer be met after ${round} of ${maxRounds} round(s): ${broken}${first ? `; first failure: ${first}` : ''}`,
            evidence,
            failedRounds,
            started
          )
        );
      }
    }
  }
  if (soak) return end(judgeSoak({ ...spec, soak: rules }, evidence, failedRounds, started));
  return end(
    finish(
      'timeout',
      `no verdict within ${formatMs(spec.timeoutMs)}: ${consecutive} of ${spec.successThreshold} consecutive passes, ${failedRounds} of ${spec.failureThreshold} failing rounds${cutShort ? ' (the last round was cut short by the timeout)' : ''}${lastFailure ? `; last failure: ${lastFailure}` : ''}`,
      evidence,
      failedRounds,
      started
    )
  );
}

/** The promise's value, or undefined when `ms` passes (or the signal fires) first. */
async function raceTimer<T>(p: Promise<T>, ms: number, signal?: AbortSignal): Promise<T | undefined> {
  if (ms === Infinity && !signal) return p;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const tick = new Promise<undefined>((resolve) => {
    if (ms !== Infinity) timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    if (signal) {
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([p, tick]);
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

const pct = (x: number) => `${round1(x * 100)}%`;

export function describeRules(rules: SoakRules): string {
  const parts: string[] = [];
  if (rules.minSuccessRate !== undefined) parts.push(`success rate >= ${pct(rules.minSuccessRate)}`);
  if (rules.maxErrorRate !== undefined) parts.push(`error rate <= ${pct(rules.maxErrorRate)}`);
  if (rules.maxP95LatencyMs !== undefined) parts.push(`p95 <= ${formatMs(rules.maxP95LatencyMs)}`);
  if (rules.maxP99LatencyMs !== undefined) parts.push(`p99 <= ${formatMs(rules.maxP99LatencyMs)}`);
  return parts.join(', ');
}

const isError = (e: ProbeRecord) => e.status === undefined || e.status >= 500;

/** How many of n samples must exceed a bound for the nearest-rank percentile p to exceed it. */
function overToBreak(n: number, p: number): number {
  return n - Math.ceil((p / 100) * n) + 1;
}

/** Running counts over a soak window, kept per round so a long window stays linear. */
export interface SoakTally {
  failed: number;
  httpErrors: number;
  overP95: number;
  overP99: number;
}

export function tallyRound(tally: SoakTally, rules: SoakRules, records: readonly ProbeRecord[]): void {
  for (const e of records) {
    if (!e.ok) tally.failed++;
    if (e.kind !== 'http') continue;
    if (isError(e)) tally.httpErrors++;
    const ms = e.latencyMs ?? 0;
    if (rules.maxP95LatencyMs !== undefined && ms > rules.maxP95LatencyMs) tally.overP95++;
    if (rules.maxP99LatencyMs !== undefined && ms > rules.maxP99LatencyMs) tally.overP99++;
  }
}

/**
 * Whether the samples so far break a rule however the remaining ones turn out, given at most `maxSamples`
 * probes (`maxHttp` HTTP probes) in the window. Sound: with fewer samples than the maximum, each rule is
 * only harder to meet, so a window that ends short cannot turn this verdict.
 */
export function soakAlreadyBroken(
  rules: SoakRules,
  tally: SoakTally,
  maxSamples: number,
  maxHttp: number
): string | undefined {
  if (rules.minSuccessRate !== undefined && maxSamples > 0) {
    const best = (maxSamples - tally.failed) / maxSamples;
    if (best < rules.minSuccessRate)
      return `success rate at most ${pct(best)} (${tally.failed} of ${maxSamples} possible samples failed) < ${pct(rules.minSuccessRate)}`;
  }
  if (rules.maxErrorRate !== undefined && maxHttp > 0) {
    const least = tally.httpErrors / maxHttp;
    if (least > rules.maxErrorRate)
      return `error rate at least ${pct(least)} (${tally.httpErrors} of ${maxHttp} possible HTTP samples were 5xx or unanswered) > ${pct(rules.maxErrorRate)}`;
  }
  for (const [p, bound, over] of [
    [95, rules.maxP95LatencyMs, tally.overP95],
    [99, rules.maxP99LatencyMs, tally.overP99]
  ] as const) {
    if (bound === undefined || maxHttp === 0) continue;
    if (over >= overToBreak(maxHttp, p))
      return `p${p} latency above ${formatMs(bound)}: ${over} of ${maxHttp} possible HTTP samples were slower`;
  }
  return undefined;
}

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
  const errors = http.filter(isError).length;
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

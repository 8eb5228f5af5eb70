import { HealthError, describeError, formatMs } from '../../core/src/index.js';
import {
  judgeHttpResponse,
  judgeSoak,
  percentile,
  probeMetric,
  type GateResult,
  type GateSpec,
  type ProbeRecord
} from '../../health/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import {
  canaryProbeArgv,
  canaryUrl,
  curlConfig,
  curlErrorText,
  parseProbeLines,
  weightedUpstreamConf,
  type ProbeSample
} from './canary-proxy.js';
import { proxySwitchArgv } from './commands.js';
import { stepError } from './host.js';
import { nginxConf, proxyFiles, upstreamConf } from './proxy.js';
import { persist } from './revert.js';
import { withoutCanary } from './resolve.js';
import { commitStep, entry, type HostRun, type RunState } from './run.js';
import type { CanaryStepReport, DeployOutcome, DeploySpec, HistoryEntry } from './types.js';

const WEIGHTS = 'weight the proxy (nginx -t, reload)';
const PROBE = 'probe the canary slot';
const RESTORE = 'all traffic back to the stable release (nginx -t, reload)';

/**
 * `strategy: canary`, the steps below 100%: the new release already runs in the free slot (start phase);
 * each step weights the proxy's upstreams, probes the canary slot on the host for the step's duration (one
 * session per step and host, Prometheus rules from the runner meanwhile), and judges that evidence. A
 * failing step puts every host back on the stable release at once and throws; the 100% step is the
 * blue-green switch and gate that follow in deploy().
 */
export async function canarySteps(runs: HostRun[], d: DeploySpec, outcome: DeployOutcome): Promise<void> {
  const plan = d.canary!;
  const logger = runs[0]?.ctx.deps.logger;
  outcome.canary = [];
  if (runs.some((r) => !r.state.before)) {
    logger?.info(
      'first release of this app here: nothing to compare a canary with, so it is switched like blue-green'
    );
    return;
  }
  const total = plan.steps.length;
  for (const [i, percent] of plan.steps.entries()) {
    if (percent >= 100) return;
    logger?.info(
      `canary step ${i + 1}/${total}: ${percent}% of traffic to ${outcome.releaseId} for ${formatMs(plan.stepMs)}`
    );
    const settled = await Promise.allSettled(runs.map((r) => stepOnHost(r, d, i + 1, percent)));
    let failure: { host: string; reason: string; cause?: unknown } | undefined;
    settled.forEach((res, h) => {
      const host = runs[h]!.ctx.host.name;
      if (res.status === 'rejected') {
        const reason = describeError(res.reason).split('\n')[0]!;
        outcome.canary!.push(report(i + 1, percent, host, undefined, reason));
        failure ??= { host, reason, cause: res.reason };
        return;
      }
      outcome.canary!.push(report(i + 1, percent, host, res.value));
      logger?.info(`canary step ${i + 1} on ${host}: ${res.value.verdict}: ${res.value.reason}`);
      if (res.value.verdict !== 'healthy')
        failure ??= { host, reason: `${res.value.verdict}: ${res.value.reason}` };
    });
    if (failure) {
      const what = `Canary release ${outcome.releaseId} failed step ${i + 1} of ${total} (${percent}% of traffic) on ${failure.host}: ${failure.reason}`;
      await abortCanary(runs, d, { step: i + 1, percent, host: failure.host, reason: failure.reason });
      // Traffic moved back off the new release: that is a rollback, whoever reads the outcome.
      outcome.rolledBack = runs.every((r) => !r.state.switched);
      throw new HealthError(what, {
        state: 'all traffic is back on the stable release; the canary slot is stopped next',
        hint: 'read the canary steps and their evidence in the job summary (docs/runbooks/aborted-canary.md)',
        ...(failure.cause ? { cause: failure.cause } : {})
      });
    }
  }
}

function report(
  step: number,
  percent: number,
  host: string,
  g: GateResult | undefined,
  error?: string
): CanaryStepReport {
  return {
    step,
    percent,
    host,
    verdict: g?.verdict ?? 'error',
    reason: g?.reason ?? error ?? '',
    probes: g?.probes ?? 0,
    failures: g?.failures ?? 0,
    p50Ms: g?.p50Ms ?? 0,
    p95Ms: g?.p95Ms ?? 0,
    durationMs: g?.durationMs ?? 0
  };
}

/** One step on one host: weights, reload, and the probe loop on the host, in one session. */
async function stepOnHost(r: HostRun, d: DeploySpec, step: number, percent: number): Promise<GateResult> {
  const { ctx } = r;
  const { host, spec } = ctx;
  const s = r.state;
  const gate = spec.gate!;
  const stable = s.before!.active;
  const cand = s.candidate!;
  const proxy = proxyFiles(host.layout.proxy);
  const target = gate.urls[0]!;
  const wantBody = gate.expectBody !== undefined || gate.expectJson.length > 0;
  const line = entry(ctx, s, 'canary.step', { step, percent, stable: stable.release, slot: cand.slot });
  const steps: ScriptStep[] = [
    commitStep(
      ctx,
      'write the canary weights',
      [
        // The mark first: a run killed after it leaves weights the next deploy or rollback takes back.
        {
          path: 'active.json',
          content:
            JSON.stringify({
              ...withoutCanary(stable),
              canary: {
                release: s.release!.id,
                slot: cand.slot!,
                port: cand.port!,
                percent,
                runUrl: ctx.deps.context.runUrl
              }
            }) + '\n'
        },
        {
          path: 'proxy/upstream.conf',
          content: weightedUpstreamConf(
            { port: stable.port!, release: stable.release, slot: stable.slot! },
            { port: cand.port!, release: s.release!.id, slot: cand.slot! },
            percent
          )
        },
        { path: 'proxy/nginx.conf', content: nginxConf(proxy, spec.proxyBind, spec.publicPort!, spec.proxy) }
      ],
      [...s.pending, line]
    ),
    { name: WEIGHTS, argv: proxySwitchArgv(proxy.conf, proxy.prefix) },
    {
      name: PROBE,
      argv: canaryProbeArgv(canaryUrl(target.url, cand.port!), {
        intervalS: gate.intervalMs / 1000,
        durationS: d.canary!.stepMs / 1000,
        timeoutS: gate.probeTimeoutMs / 1000,
        bodyBytes: wantBody ? 4096 : 0,
        ...(target.method ? { method: target.method } : {}),
        // Threshold mode: stop at failure-threshold plain failures; soak rules need the whole window.
        stopAfter: gate.mode === 'threshold' ? gate.failureThreshold : 0,
        statuses: gate.expectStatus
      }),
      stdin: curlConfig(gate.headers)
    }
  ];
  // From here the proxy may send traffic to the canary: a failure of any kind must put it back.
  r.state = { ...s, switched: true, pending: [] };
  const started = performance.now();
  const metrics = metricRounds(gate, d.canary!.stepMs);
  let res;
  try {
    res = await host.phase(`canary step ${step}`, steps, d.canary!.stepMs + gate.probeTimeoutMs + 60_000);
  } catch (err) {
    r.state = { ...r.state, pending: s.pending };
    throw err;
  } finally {
    metrics.stop();
  }
  const metricRecords = await metrics.records;
  const failed = res.failed(steps);
  if (failed) {
    if (res.get(WEIGHTS)?.exitCode !== 0) r.state = { ...r.state, switched: s.switched };
    throw stepError(failed, host.name);
  }
  const samples = parseProbeLines(res.get(PROBE)?.stdout ?? '');
  const result = judgeCanary(gate, target.url, samples, metricRecords, performance.now() - started);
  r.state = {
    ...r.state,
    gate: result,
    pending: [
      entry(ctx, r.state, result.verdict === 'healthy' ? 'canary.passed' : 'canary.failed', {
        step,
        percent,
        reason: result.reason,
        probes: result.probes,
        p95Ms: result.p95Ms
      })
    ]
  };
  return result;
}

/** Prometheus rules from the runner every interval while a step runs (none without rules). */
function metricRounds(gate: GateSpec, stepMs: number): { records: Promise<ProbeRecord[]>; stop(): void } {
  const stop = new AbortController();
  if (!gate.prometheusUrl || gate.metrics.length === 0)
    return { records: Promise.resolve([]), stop: () => stop.abort() };
  const end = performance.now() + stepMs;
  const records = (async () => {
    const out: ProbeRecord[] = [];
    for (let round = 1; performance.now() < end && !stop.signal.aborted; round++) {
      const at = performance.now();
      const rs = await Promise.all(
        gate.metrics.map((m) =>
          probeMetric(m, {
            prometheusUrl: gate.prometheusUrl!,
            noData: gate.noData,
            timeoutMs: gate.probeTimeoutMs,
            round,
            ...(gate.prometheusHeaders ? { headers: gate.prometheusHeaders } : {}),
            tls: gate.tls,
            signal: stop.signal
          }).catch((err: unknown): ProbeRecord => ({
            round,
            target: m.text,
            kind: 'metric',
            ok: false,
            reason: `${m.text}: ${describeError(err).split('\n')[0]}`,
            time: new Date().toISOString()
          }))
        )
      );
      if (!stop.signal.aborted) out.push(...rs);
      const wait = gate.intervalMs - (performance.now() - at);
      if (wait > 0 && performance.now() + wait < end)
        await new Promise<void>((res) => {
          const t = setTimeout(res, wait);
          stop.signal.addEventListener('abort', () => (clearTimeout(t), res()), { once: true });
        });
      else if (wait > 0) break;
    }
    return out;
  })();
  return { records, stop: () => stop.abort() };
}

/**
 * Judge a step on the canary's own evidence: every probe of its slot (judged with the gate's expectations)
 * and the Prometheus rounds. Threshold mode: unhealthy at failure-threshold failing probes (or rounds of
 * rules), healthy with success-threshold passing in a row; soak mode: the soak rules over every sample. Pure.
 */
export function judgeCanary(
  gate: GateSpec,
  publicUrl: string,
  samples: readonly ProbeSample[],
  metrics: readonly ProbeRecord[],
  durationMs: number
): GateResult {
  const now = new Date().toISOString();
  const http: ProbeRecord[] = samples.map((x, i) => {
    const record = judgeHttpResponse(
      { url: publicUrl },
      gate,
      i + 1,
      x.curlExit === 0
        ? { status: x.status, body: x.body, latencyMs: x.latencyMs }
        : { error: curlErrorText(x.curlExit), latencyMs: x.latencyMs },
      now
    );
    return {
      ...record,
      target: `canary slot (${publicUrl})`,
      reason: record.reason?.replace(publicUrl, 'canary slot')
    };
  });
  const evidence = [...http, ...metrics];
  const lat = http.map((e) => e.latencyMs ?? 0);
  const done = (verdict: GateResult['verdict'], reason: string, failures: number): GateResult => ({
    verdict,
    reason,
    probes: evidence.length,
    failures,
    p50Ms: Math.round(percentile(lat, 50) * 10) / 10,
    p95Ms: Math.round(percentile(lat, 95) * 10) / 10,
    evidence,
    durationMs: Math.round(durationMs)
  });
  if (http.length === 0) return done('unhealthy', 'no probe of the canary slot came back', 0);
  if (gate.mode === 'soak') {
    const rules = Object.keys(gate.soak).length ? gate.soak : { minSuccessRate: 0.99, maxErrorRate: 0.01 };
    const failedRounds = evidence.filter((e) => !e.ok).length;
    const g = judgeSoak({ ...gate, soak: rules }, evidence, failedRounds, performance.now() - durationMs);
    return done(g.verdict, g.reason, failedRounds);
  }
  const verdictOf = (records: readonly ProbeRecord[], what: string) => {
    const byRound = new Map<number, boolean>();
    for (const e of records) byRound.set(e.round, (byRound.get(e.round) ?? true) && e.ok);
    let run = 0;
    let best = 0;
    let failed = 0;
    for (const ok of byRound.values()) {
      run = ok ? run + 1 : 0;
      best = Math.max(best, run);
      if (!ok) failed++;
    }
    const first = records.find((e) => !e.ok)?.reason;
    if (failed >= gate.failureThreshold)
      return {
        ok: false,
        failed,
        text: `${failed} of ${byRound.size} ${what} failed (failure threshold ${gate.failureThreshold}); first: ${first}`
      };
    if (best < gate.successThreshold)
      return {
        ok: false,
        failed,
        text: `only ${best} ${what} passed in a row, ${gate.successThreshold} needed${first ? `; first failure: ${first}` : ''}`
      };
    return { ok: true, failed, text: `${byRound.size - failed} of ${byRound.size} ${what} passed` };
  };
  const parts = [verdictOf(http, 'probes of the canary slot')];
  if (metrics.length) parts.push(verdictOf(metrics, 'rounds of Prometheus rules'));
  const bad = parts.filter((p) => !p.ok);
  const failures = parts.reduce((n, p) => n + p.failed, 0);
  return bad.length
    ? done('unhealthy', bad.map((p) => p.text).join('; '), failures)
    : done(
        'healthy',
        `${parts.map((p) => p.text).join('; ')} (p95 ${Math.round(percentile(lat, 95))} ms)`,
        failures
      );
}

/**
 * A step failed: every host's upstream back to the stable release alone, a graceful reload, and a drain so
 * the requests the canary holds finish before its slot is stopped (by the revert that follows).
 */
async function abortCanary(
  runs: HostRun[],
  d: DeploySpec,
  why: { step: number; percent: number; host: string; reason: string }
): Promise<void> {
  await Promise.allSettled(
    runs.map(async (r) => {
      const { ctx } = r;
      const s: RunState = r.state;
      const stable = s.before!.active;
      const proxy = proxyFiles(ctx.host.layout.proxy);
      const lines: HistoryEntry[] = [
        ...s.pending,
        entry(ctx, s, 'canary.aborted', { ...why, back: stable.release })
      ];
      const steps: ScriptStep[] = [
        commitStep(
          ctx,
          'write the stable upstream',
          [
            {
              path: 'proxy/upstream.conf',
              content: upstreamConf(stable.port!, stable.release, stable.slot!)
            },
            { path: 'active.json', content: JSON.stringify(withoutCanary(stable)) + '\n' }
          ],
          lines
        ),
        { name: RESTORE, argv: proxySwitchArgv(proxy.conf, proxy.prefix) },
        ...(d.drainMs > 0 ? [{ name: 'drain', argv: ['sleep', String(d.drainMs / 1000)] }] : [])
      ];
      try {
        const res = await persist('canary abort', ctx.host.logger, () =>
          ctx.host.phase('canary abort', steps, 60_000 + d.drainMs)
        );
        const failed = res.failed(steps);
        if (res.get(RESTORE)?.exitCode === 0) r.state = { ...s, switched: false, pending: [] };
        else if (res.get('write the stable upstream')?.exitCode === 0) r.state = { ...s, pending: [] };
        if (failed && failed.name !== 'drain') throw stepError(failed, ctx.host.name);
      } catch (err) {
        // The revert that follows switches this host back the blue-green way (switched stays true).
        ctx.host.logger.warning(
          `canary abort on ${ctx.host.name}: ${describeError(err).split('\n')[0]}; the revert will switch back`
        );
      }
    })
  );
}

import { InputError, formatMs, table } from '../../core/src/index.js';
import type { GateResult, GateSpec } from '../../health/src/index.js';
import type { CanaryPlan, CanaryStepReport } from './types.js';
import { HOST_SCRIPTS } from './host-scripts.generated.js';
export type { CanaryPlan };

/**
 * The pure half of `strategy: canary`: the plan read from the inputs, the weighted nginx upstream of a step,
 * and the probe loop that runs on the host against the canary's own slot port (the runner cannot reach a
 * slot port; the public port only measures the mix). Nothing here runs anything.
 */

/** `10,50,100` → [10, 50, 100]; refused (naming `canary-steps`) unless increasing percentages ending at 100. */
export function parseCanarySteps(text: string): number[] {
  const parts = text
    .split(/[\s,]+/)
    .map((p) => p.trim().replace(/%$/, ''))
    .filter(Boolean);
  const fix = 'write increasing percentages that end at 100, e.g. `10,50,100`';
  if (parts.length === 0) throw new InputError('canary-steps', 'is empty', fix);
  const steps = parts.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 100)
      throw new InputError('canary-steps', `"${p}" is not a percentage from 1 to 100`, fix);
    return n;
  });
  for (let i = 1; i < steps.length; i++)
    if (steps[i]! <= steps[i - 1]!)
      throw new InputError(
        'canary-steps',
        `${steps[i]} follows ${steps[i - 1]}: the steps must increase`,
        fix
      );
  if (steps[steps.length - 1] !== 100)
    throw new InputError(
      'canary-steps',
      `ends at ${steps[steps.length - 1]}%, so the new release would never take all traffic`,
      fix
    );
  if (steps.length < 2)
    throw new InputError(
      'canary-steps',
      'is only 100: that is a blue-green switch with no canary step',
      'add at least one share below 100 (e.g. `20,100`), or use strategy blue-green'
    );
  return steps;
}

/** The shortest step the gate can judge: its initial delay plus success-threshold probes, interval apart. */
export function minStepMs(gate: GateSpec): number {
  return gate.initialDelayMs + gate.intervalMs * gate.successThreshold;
}

/**
 * A canary plan fits its gate and the deploy's timeout; refused before anything changes, naming the input.
 * `gate` is the deploy's gate (health-*): a canary is judged on evidence or not at all.
 */
export function checkCanaryPlan(plan: CanaryPlan, gate: GateSpec | undefined, timeoutMs: number): void {
  if (!gate || gate.urls.length === 0)
    throw new InputError(
      'health-url',
      'is required with strategy canary: each step is judged by probing the new release, and a canary with no gate would only move traffic blindly',
      'give health-url (its path is probed on the canary slot from the host, e.g. https://app.example.com/up)'
    );
  const min = minStepMs(gate);
  if (plan.stepMs < min)
    throw new InputError(
      'canary-step-duration',
      `${formatMs(plan.stepMs)} is shorter than the gate can judge: ${gate.successThreshold} passing probes ${formatMs(gate.intervalMs)} apart${gate.initialDelayMs ? ` after ${formatMs(gate.initialDelayMs)}` : ''} take ${formatMs(min)}`,
      `make it at least ${formatMs(min)}, or lower health-success-threshold / health-interval`
    );
  const partial = plan.steps.filter((p) => p < 100).length;
  if (partial * plan.stepMs >= timeoutMs)
    throw new InputError(
      'timeout',
      `${formatMs(timeoutMs)} cannot hold ${partial} canary step(s) of ${formatMs(plan.stepMs)}`,
      `raise timeout above ${formatMs(partial * plan.stepMs)} plus the time a deploy takes, or shorten canary-step-duration`
    );
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export interface UpstreamServer {
  port: number;
  release: string;
  slot: string;
}

/** nginx weighted round robin: `percent` of requests to the canary, the rest to the stable release. */
export function weightedUpstreamConf(
  stable: UpstreamServer,
  canary: UpstreamServer,
  percent: number
): string {
  const g = gcd(100 - percent, percent);
  const ws = (100 - percent) / g;
  const wc = percent / g;
  return [
    `# canary step ${percent}%: release ${stable.release} (slot ${stable.slot}) weight ${ws}, release ${canary.release} (slot ${canary.slot}) weight ${wc}`,
    `server 127.0.0.1:${stable.port} weight=${ws};`,
    `server 127.0.0.1:${canary.port} weight=${wc};`,
    ''
  ].join('\n');
}

/** Headers of the gate as a curl config file (on stdin of the probe loop: header values are secrets). */
export function curlConfig(headers: Record<string, string>): string {
  const q = (s: string) =>
    `"${s
      .replace(/\\/g, '\\\\')
      .replace(/"/g, '\\"')
      .replace(/[\r\n]/g, ' ')}"`;
  return Object.entries(headers)
    .map(([k, v]) => `header = ${q(`${k}: ${v}`)}\n`)
    .join('');
}

/**
 * Probe `url` (the canary slot, from the host) every `intervalS` for `durationS`, in one session. Reads a
 * curl config (headers) on stdin. One line per probe: `probe <curl exit> <status> <seconds> <base64 body>`
 * (the first `bodyBytes` of the body; none when 0). `-K` keeps header values out of argv. With `stopAfter`
 * > 0 the loop ends early, printing `stopped <n>`, once that many probes got no answer or a status outside
 * `statuses` (`200-399 …`): a canary that fails plainly does not keep its share for the whole step. Body,
 * JSON and latency expectations are judged on the runner afterwards.
 */
export function canaryProbeArgv(
  url: string,
  o: {
    intervalS: number;
    durationS: number;
    timeoutS: number;
    bodyBytes: number;
    method?: 'GET' | 'HEAD';
    stopAfter?: number;
    statuses?: readonly { min: number; max: number }[];
  }
): string[] {
  return [
    'sh',
    '-c',
    HOST_SCRIPTS['canary-probe'],
    'sh',
    url,
    String(o.intervalS),
    String(Math.max(1, Math.ceil(o.durationS))),
    String(Math.max(1, Math.ceil(o.timeoutS))),
    String(o.bodyBytes),
    o.method ?? 'GET',
    String(o.stopAfter ?? 0),
    (o.statuses ?? [{ min: 200, max: 399 }]).map((r) => `${r.min}-${r.max}`).join(' ')
  ];
}

export interface ProbeSample {
  /** curl's exit code: 0 an answer came (any status), else the transport failed. */
  curlExit: number;
  status: number;
  latencyMs: number;
  body: string;
}

/** The probe loop's output. Pure. */
export function parseProbeLines(stdout: string): ProbeSample[] {
  const out: ProbeSample[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^probe (\d+) (\d{3}) ([\d.,]+) ?(\S*)$/.exec(line.trim());
    if (!m) continue;
    out.push({
      curlExit: Number(m[1]),
      status: Number(m[2]),
      latencyMs: Math.round(Number(m[3]!.replace(',', '.')) * 10_000) / 10,
      body: m[4] ? Buffer.from(m[4], 'base64').toString('utf8') : ''
    });
  }
  return out;
}

const CURL_ERRORS: Record<number, string> = {
  6: 'host not found',
  7: 'connection refused',
  28: 'timed out',
  52: 'empty reply (connection closed without a response)',
  56: 'connection reset while receiving'
};

export function curlErrorText(code: number): string {
  return CURL_ERRORS[code] ?? `curl failed with exit code ${code}`;
}

/** The canary's URL for a gate URL: same path and query, on the canary slot port of the host's loopback. */
export function canaryUrl(gateUrl: string, port: number): string {
  const u = new URL(gateUrl);
  return `http://127.0.0.1:${port}${u.pathname}${u.search}`;
}

/**
 * The summary's canary table: each step with its share, verdict and latency; the 100% step is the switch and
 * the gate after it; steps after a failed one were never reached. Empty when the run was no canary.
 */
export function canarySummary(
  rows: readonly CanaryStepReport[] | undefined,
  plan: CanaryPlan | undefined,
  finalGate: GateResult | undefined
): string[] {
  if (!rows || !plan) return [];
  const icon = (v: string) => (v === 'healthy' ? '✅ ' : v === 'not reached' ? '' : '❌ ');
  const out = rows.map((r) => [
    `${r.step}`,
    `${r.percent}%`,
    r.host,
    `${icon(r.verdict)}${r.verdict}`,
    r.probes ? `${r.probes} (${r.failures} failed)` : '',
    r.probes ? `p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms` : '',
    r.reason
  ]);
  const failed = rows.some((r) => r.verdict !== 'healthy');
  const done = new Set(rows.map((r) => r.step));
  plan.steps.forEach((percent, i) => {
    if (done.has(i + 1)) return;
    if (percent === 100 && !failed && finalGate)
      out.push([
        `${i + 1}`,
        '100%',
        'all (switch + gate)',
        `${icon(finalGate.verdict)}${finalGate.verdict}`,
        `${finalGate.probes} (${finalGate.failures} failed)`,
        `p50 ${finalGate.p50Ms} ms, p95 ${finalGate.p95Ms} ms`,
        finalGate.reason
      ]);
    else out.push([`${i + 1}`, `${percent}%`, '', 'not reached', '', '', '']);
  });
  return [
    `### Canary steps (${formatMs(plan.stepMs)} each)\n`,
    table(['step', 'share', 'host', 'verdict', 'probes', 'latency', 'evidence'], out)
  ];
}

import { details, escapeCell, formatMs, table } from '../../core/src/index.js';
import { canaryRules } from './defaults.js';
import { describeRules } from './gate.js';
import { percentile, round1 } from './stats.js';
import type { GateResult, GateSpec, ProbeRecord } from './types.js';

const ICON: Record<GateResult['verdict'], string> = { healthy: '✅', unhealthy: '❌', timeout: '⏱️' };
/** Mermaid charts get unreadable past this many points; longer windows are bucketed (max per bucket). */
const MAX_POINTS = 60;

function label(r: ProbeRecord): string {
  return r.kind === 'http'
    ? r.target
    : r.kind === 'metric'
      ? `metric: ${r.target}`
      : `container: ${r.target}`;
}

function observed(r: ProbeRecord): string {
  if (r.kind === 'http') return r.status !== undefined ? String(r.status) : String(r.value ?? '');
  return String(r.value ?? '');
}

/**
 * A mermaid xychart-beta of per-round latency (worst HTTP probe per round, or all probes when no HTTP), with
 * the latency bound as a second, flat line when the gate has one.
 */
export function latencyChart(evidence: readonly ProbeRecord[], boundMs?: number): string {
  const http = evidence.filter((e) => e.kind === 'http');
  const source = http.length ? http : evidence;
  const perRound = new Map<number, number>();
  for (const e of source)
    if (e.latencyMs !== undefined) perRound.set(e.round, Math.max(perRound.get(e.round) ?? 0, e.latencyMs));
  const rounds = [...perRound.keys()].sort((a, b) => a - b);
  if (rounds.length === 0) return '';
  const size = Math.ceil(rounds.length / MAX_POINTS);
  const xs: string[] = [];
  const ys: number[] = [];
  for (let i = 0; i < rounds.length; i += size) {
    const chunk = rounds.slice(i, i + size);
    xs.push(chunk.length > 1 ? `"${chunk[0]}-${chunk.at(-1)}"` : `"${chunk[0]}"`);
    ys.push(Math.round(Math.max(...chunk.map((r) => perRound.get(r)!))));
  }
  const bound = boundMs !== undefined && http.length ? Math.round(boundMs) : undefined;
  const top = Math.max(10, Math.ceil((Math.max(...ys, bound ?? 0) * 1.1) / 10) * 10);
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${http.length ? 'HTTP' : 'Probe'} latency per round (worst probe, ms${bound !== undefined ? `; flat line: bound ${bound}ms` : ''})"`,
    `  x-axis "round" [${xs.join(', ')}]`,
    `  y-axis "ms" 0 --> ${top}`,
    `  line [${ys.join(', ')}]`,
    ...(bound !== undefined ? [`  line [${ys.map(() => bound).join(', ')}]`] : []),
    '```',
    ''
  ].join('\n');
}

/** Markdown for the job summary: verdict, a table per probe target, a mermaid latency chart of the window. */
export function gateSummary(result: GateResult, spec: GateSpec): string {
  const out: string[] = [];
  out.push(`### ${ICON[result.verdict]} Health gate: ${result.verdict}\n`);
  out.push(`${escapeCell(result.reason)}\n`);
  const rule =
    spec.mode === 'soak'
      ? `soak for ${formatMs(spec.windowMs)} every ${formatMs(spec.intervalMs)}; ${describeRules(Object.keys(spec.soak).length ? spec.soak : canaryRules(spec.urls.length > 0))}`
      : `${spec.successThreshold} consecutive passes to pass, ${spec.failureThreshold} failing rounds to fail, every ${formatMs(spec.intervalMs)}, timeout ${formatMs(spec.timeoutMs)}`;
  out.push(
    table(
      ['Verdict', 'Probes', 'Failing rounds', 'p50', 'p95', 'Duration', 'Rule'],
      [
        [
          result.verdict,
          result.probes,
          result.failures,
          `${result.p50Ms}ms`,
          `${result.p95Ms}ms`,
          formatMs(result.durationMs),
          rule
        ]
      ]
    )
  );
  const byTarget = new Map<string, ProbeRecord[]>();
  for (const e of result.evidence) {
    const k = label(e);
    byTarget.set(k, [...(byTarget.get(k) ?? []), e]);
  }
  for (const [name, records] of byTarget) {
    const fails = records.filter((r) => !r.ok);
    const lat = records.filter((r) => r.latencyMs !== undefined).map((r) => r.latencyMs!);
    const last = records.at(-1)!;
    out.push(`#### ${escapeCell(name)}\n`);
    out.push(
      table(
        ['Probes', 'Failed', 'Expectation', 'Last observed', 'p50', 'p95', 'Max', 'Last failure'],
        [
          [
            records.length,
            fails.length,
            // A passing probe lists every expectation; a failing one only the one it broke.
            (records.find((r) => r.ok) ?? last).expectation ?? '',
            observed(last),
            `${round1(percentile(lat, 50))}ms`,
            `${round1(percentile(lat, 95))}ms`,
            `${round1(Math.max(0, ...lat))}ms`,
            fails.at(-1)?.reason ?? ''
          ]
        ]
      )
    );
  }
  const chart = latencyChart(
    result.evidence,
    spec.mode === 'soak' ? (spec.soak.maxP99LatencyMs ?? spec.soak.maxP95LatencyMs) : spec.maxLatencyMs
  );
  if (chart) out.push(chart);
  const rows = result.evidence
    .slice(-50)
    .map((e) => [
      e.round,
      e.time,
      label(e),
      e.ok ? 'pass' : 'fail',
      observed(e),
      e.latencyMs ?? '',
      e.reason ?? ''
    ]);
  if (rows.length)
    out.push(
      details(
        `Last ${rows.length} probes`,
        table(['Round', 'Time', 'Target', 'Result', 'Observed', 'ms', 'Reason'], rows)
      )
    );
  return out.join('\n');
}

import type { RunContext } from './context.js';

/** The events every step emits, as JSON lines: to the job summary, the host's history, outputs, a webhook. */
export type EventType =
  | 'deploy.started'
  | 'deploy.completed'
  | 'deploy.failed'
  | 'migration.applied'
  | 'rollback.executed'
  | 'incident.opened'
  | 'release.tagged'
  | 'image.published'
  | 'health.verdict'
  | 'lock.taken-over'
  | 'deploy.cancelled'
  | 'drill.completed';

export interface DeployEvent {
  type: EventType;
  time: string;
  app: string;
  environment: string;
  version: string;
  actor: string;
  runUrl: string;
  [field: string]: unknown;
}

export function makeEvent(
  type: EventType,
  where: { app: string; environment: string; version: string },
  context: Pick<RunContext, 'actor' | 'runUrl'>,
  fields: Record<string, unknown> = {},
  now: Date = new Date()
): DeployEvent {
  return { type, time: now.toISOString(), ...where, actor: context.actor, runUrl: context.runUrl, ...fields };
}

/**
 * scan-gate's verdict on the report of a release's image, as the release record, the history line and the
 * notifications carry it (scan-gate's `record` output; deploy-compose's `scan-verdict` input).
 */
export interface ScanRecord {
  verdict: 'pass' | 'fail';
  /** Findings by severity, e.g. { CRITICAL: 2, HIGH: 0, … }. */
  counts: Record<string, number>;
  /** sha256 of the report's bytes (`sha256:…`): the stored report and the release directory's copy. */
  report: string;
  /** Findings that blocked under the policy of the environment judged. */
  blocking?: number;
}

/** One line for people: `pass; CRITICAL 0, HIGH 1, MEDIUM 4; report sha256:0123456789ab`. */
export function scanLine(s: ScanRecord): string {
  const counts = Object.entries(s.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return `${s.verdict}; ${counts || 'no findings'}; report ${s.report.slice(0, 19)}`;
}

/** A ScanRecord read back from JSON (an input, a host record): undefined when it is not one. */
export function asScanRecord(value: unknown): ScanRecord | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (v.verdict !== 'pass' && v.verdict !== 'fail') return undefined;
  if (typeof v.report !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(v.report)) return undefined;
  if (!v.counts || typeof v.counts !== 'object') return undefined;
  const counts: Record<string, number> = {};
  for (const [k, n] of Object.entries(v.counts as Record<string, unknown>)) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return undefined;
    counts[k] = n;
  }
  return {
    verdict: v.verdict,
    counts,
    report: v.report,
    ...(typeof v.blocking === 'number' ? { blocking: v.blocking } : {})
  };
}

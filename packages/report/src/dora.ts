import { bands, DORA_BANDS, type Band } from './bands.js';
import { timeOf, type HistoryLine, type HostHistory } from './history.js';
import { newerMigration, type LastMigration } from './migrations.js';

/** A commit that a served version brought, for lead time. */
export interface Commit {
  sha: string;
  /** The commit's committer time, epoch ms. */
  time: number;
}

export interface HostReading extends HostHistory {
  /** The host's clock minus the runner's, measured when the history was read; undefined when not measured. */
  skewSeconds?: number;
  /** Why the host's history could not be read; the report then speaks only of the others. */
  error?: string;
}

export interface ReportOptions {
  app: string;
  /** An incident within this long after a release began serving counts that release as failed. */
  incidentWindowMs: number;
  /** The commits each served version brought (since the version that served before it), when known. */
  commits?: ReadonlyMap<string, readonly Commit[]>;
  /** The period reported on; default from the first history line to `until`. */
  since?: number;
  until: number;
  /** A clock further off than this is reported as skew. */
  skewToleranceSeconds?: number;
  /** The newest schema change in run-migrations' history table (readLastMigration), when it was read. */
  tableMigration?: LastMigration | null;
}

/** One deploy: every host's lines for one release id that a deploy started. */
export interface DeployAttempt {
  release: string;
  version: string;
  startedAt: number;
  /** When it first served: its traffic switch, else its completion. */
  servedAt?: number;
  completedAt?: number;
  durationSeconds?: number;
  failed: boolean;
  /** What made it a failed change: its own failure, a rollback away from it, or an incident. */
  failure?: { kind: 'deploy.failed' | 'rollback' | 'incident'; at: number; reason: string };
  /** From the bad change's first serving (or the incident) to the next healthy serving release. */
  restoreSeconds?: number;
}

export interface Figures {
  deployments: number;
  successfulDeployments: number;
  failedDeployments: number;
  changeFailureRate: number | null;
  deploysPerWeek: number;
  leadTimeMedianSeconds: number | null;
  leadTimeP90Seconds: number | null;
  timeToRestoreMedianSeconds: number | null;
  timeToRestoreWorstSeconds: number | null;
  deployDurationMedianSeconds: number | null;
  timeToServeMedianSeconds: number | null;
}

export interface WeekFigures extends Figures {
  week: string;
}

export interface EnvironmentReport extends Figures {
  environment: string;
  app: string;
  period: { from: string; to: string };
  bands: {
    year: number;
    deploymentFrequency: Band;
    leadTime: Band | null;
    changeFailureRate: Band | null;
    timeToRestore: Band | null;
  };
  attempts: DeployAttempt[];
  weeks: WeekFigures[];
  lastDrill: string | null;
  /** The newer of the hosts' last `migration.applied` and run-migrations' last schema change. */
  lastMigration: string | null;
  /** Which record named it: `history` (migrate-command on a host) or `run-migrations` (its history table). */
  lastMigrationSource: LastMigration['source'] | null;
  /** The last migration is newer than the last successful rollback drill: the way back is untried. */
  drillOlderThanMigration: boolean;
  hosts: { host: string; lines: number; torn: number; skewSeconds: number | null; error: string | null }[];
  /** Hosts whose clock disagrees with the runner's by more than the tolerance: reported, never corrected. */
  skew: { host: string; seconds: number }[];
  notes: string[];
}

const WEEK_MS = 7 * 86_400_000;
const RESTORING = new Set(['rollback.executed', 'switch.reverted']);

export function environmentReport(
  environment: string,
  readings: readonly HostReading[],
  options: ReportOptions
): EnvironmentReport {
  const lines = readings
    .flatMap((r) => r.lines)
    .filter((l) => l.environment === environment && (!l.app || l.app === options.app))
    .sort((a, b) => timeOf(a) - timeOf(b));
  const from = options.since ?? (lines[0] ? timeOf(lines[0]) : options.until);
  const inPeriod = lines.filter((l) => timeOf(l) >= from && timeOf(l) <= options.until);
  const attempts = deployAttempts(inPeriod, lines, options.incidentWindowMs);
  const leads = leadTimes(attempts, options.commits);
  const figures = figuresOf(attempts, leads, Math.max(options.until - from, WEEK_MS));
  const tolerance = options.skewToleranceSeconds ?? 2;
  const drill = last(lines, (l) => l.event === 'drill.completed');
  const onHost = last(lines, (l) => l.event === 'migration.applied');
  const migration = newerMigration(
    onHost ? { time: onHost.time, version: String(onHost.version ?? ''), source: 'history' as const } : null,
    options.tableMigration ?? null
  );
  const notes: string[] = [];
  if (!options.commits)
    notes.push('lead time not computed: no repository was given to read commit times from');
  for (const r of readings) if (r.error) notes.push(`${r.host}: history not read (${r.error})`);
  for (const r of readings) if (r.torn) notes.push(`${r.host}: ${r.torn} torn line(s) skipped`);
  return {
    environment,
    app: options.app,
    period: { from: new Date(from).toISOString(), to: new Date(options.until).toISOString() },
    ...figures,
    bands: {
      year: DORA_BANDS.year,
      deploymentFrequency: bands.deploysPerWeek(figures.deploysPerWeek),
      leadTime: figures.leadTimeMedianSeconds === null ? null : bands.leadTime(figures.leadTimeMedianSeconds),
      changeFailureRate:
        figures.changeFailureRate === null ? null : bands.changeFailureRate(figures.changeFailureRate),
      timeToRestore:
        figures.timeToRestoreMedianSeconds === null
          ? null
          : bands.timeToRestore(figures.timeToRestoreMedianSeconds)
    },
    attempts,
    weeks: weeksOf(attempts, leads),
    lastDrill: drill?.time ?? null,
    lastMigration: migration?.time ?? null,
    lastMigrationSource: migration?.source ?? null,
    drillOlderThanMigration: !!migration && (!drill || timeOf(drill) < timeOf(migration)),
    hosts: readings.map((r) => ({
      host: r.host,
      lines: r.lines.length,
      torn: r.torn,
      skewSeconds: r.skewSeconds ?? null,
      error: r.error ?? null
    })),
    skew: readings
      .filter((r) => r.skewSeconds !== undefined && Math.abs(r.skewSeconds) > tolerance)
      .map((r) => ({ host: r.host, seconds: r.skewSeconds! })),
    notes
  };
}

/**
 * Every release a deploy started, judged from all hosts' lines. A change failed when it failed its gate or
 * soak (`deploy.failed`), was rolled back later (`rollback.executed` from it, by hand or automatically), or
 * was followed by `incident.opened` within the incident window of its serving.
 */
export function deployAttempts(
  lines: readonly HistoryLine[],
  all: readonly HistoryLine[],
  incidentWindowMs: number
): DeployAttempt[] {
  const byRelease = new Map<string, HistoryLine[]>();
  for (const l of lines)
    if (l.event === 'deploy.started' && l.release && !byRelease.has(l.release)) byRelease.set(l.release, []);
  for (const l of all) if (l.release && byRelease.has(l.release)) byRelease.get(l.release)!.push(l);
  const attempts = [...byRelease.entries()].map(([release, own]) => attemptOf(release, own, all));
  for (const incident of all.filter((l) => l.event === 'incident.opened')) {
    const at = timeOf(incident);
    const release = typeof incident.release === 'string' ? incident.release : servingAt(all, at);
    const serving = attempts.find(
      (a) => a.release === release && a.servedAt !== undefined && a.servedAt <= at
    );
    if (!serving || at - serving.servedAt! > incidentWindowMs) continue;
    // An incident that came first explains a later rollback away from the release: it is the failure's start.
    if (!serving.failure || (serving.failure.kind === 'rollback' && serving.failure.at >= at)) {
      serving.failed = true;
      serving.failure = { kind: 'incident', at, reason: String(incident.reason ?? 'incident opened') };
    }
  }
  for (const a of attempts) a.restoreSeconds = restoreSeconds(a, all);
  return attempts.sort((a, b) => a.startedAt - b.startedAt);
}

/** The release serving at a time: the last deploy completed, rollback or reverted switch before it. */
function servingAt(all: readonly HistoryLine[], at: number): string | undefined {
  let serving: string | undefined;
  for (const l of all) {
    if (timeOf(l) > at) break;
    if (l.event === 'deploy.completed' && l.release) serving = l.release;
    else if ((l.event === 'rollback.executed' || l.event === 'switch.reverted') && typeof l.to === 'string')
      serving = l.to;
  }
  return serving;
}

function attemptOf(release: string, own: HistoryLine[], all: readonly HistoryLine[]): DeployAttempt {
  const at = (event: string) => own.filter((l) => l.event === event).map(timeOf);
  const started = Math.min(...at('deploy.started'));
  const completed = at('deploy.completed');
  const switched = at('traffic.switched');
  const failedAt = at('deploy.failed');
  const version = String(own.find((l) => typeof l.version === 'string')?.version ?? '');
  const durations = own.filter((l) => l.event === 'deploy.completed' && typeof l.durationMs === 'number');
  const a: DeployAttempt = { release, version, startedAt: started, failed: false };
  const served = [...switched, ...completed];
  if (served.length) a.servedAt = Math.min(...served);
  if (completed.length && !failedAt.length) a.completedAt = Math.max(...completed);
  if (durations.length) a.durationSeconds = Math.max(...durations.map((l) => l.durationMs!)) / 1000;
  const rolledBackFrom = all.find(
    (l) => l.event === 'rollback.executed' && l.from === release && !l.drill && timeOf(l) >= started
  );
  if (failedAt.length) {
    const l = own.find((x) => x.event === 'deploy.failed')!;
    a.failed = true;
    a.failure = { kind: 'deploy.failed', at: Math.min(...failedAt), reason: String(l.reason ?? 'failed') };
  } else if (rolledBackFrom) {
    a.failed = true;
    a.failure = {
      kind: 'rollback',
      at: timeOf(rolledBackFrom),
      reason: String(rolledBackFrom.reason ?? 'rolled back')
    };
  }
  return a;
}

/**
 * Time to restore: from the moment the failed change began serving (or the incident was opened) to the next
 * line that says a healthy release serves again: a rollback, a reverted switch, or another release's
 * completed deploy. A change that failed before it ever served needed no restore and is not counted.
 */
function restoreSeconds(a: DeployAttempt, all: readonly HistoryLine[]): number | undefined {
  if (!a.failed || !a.failure) return undefined;
  const start = a.failure.kind === 'incident' ? a.failure.at : a.servedAt;
  if (start === undefined) return undefined;
  const end = all.find(
    (l) =>
      timeOf(l) >= start &&
      ((RESTORING.has(l.event) && !l.drill) || (l.event === 'deploy.completed' && l.release !== a.release))
  );
  return end ? (timeOf(end) - start) / 1000 : undefined;
}

/** Lead time of each commit: from its time to the first moment a release containing it served. */
function leadTimes(
  attempts: readonly DeployAttempt[],
  commits: ReadonlyMap<string, readonly Commit[]> | undefined
): { at: number; seconds: number }[] {
  if (!commits) return [];
  const seen = new Set<string>();
  const out: { at: number; seconds: number }[] = [];
  for (const a of attempts) {
    if (a.completedAt === undefined || a.servedAt === undefined || seen.has(a.version)) continue;
    seen.add(a.version);
    for (const c of commits.get(a.version) ?? [])
      out.push({ at: a.startedAt, seconds: Math.max(0, (a.servedAt - c.time) / 1000) });
  }
  return out;
}

function figuresOf(
  attempts: readonly DeployAttempt[],
  leads: readonly { seconds: number }[],
  periodMs: number
): Figures {
  const ok = attempts.filter((a) => a.completedAt !== undefined);
  const failed = attempts.filter((a) => a.failed);
  const restores = attempts.flatMap((a) => (a.restoreSeconds === undefined ? [] : [a.restoreSeconds]));
  const durations = attempts.flatMap((a) => (a.durationSeconds === undefined ? [] : [a.durationSeconds]));
  const serve = attempts.flatMap((a) =>
    a.servedAt === undefined ? [] : [(a.servedAt - a.startedAt) / 1000]
  );
  const leadSeconds = leads.map((l) => l.seconds);
  return {
    deployments: attempts.length,
    successfulDeployments: ok.length,
    failedDeployments: failed.length,
    changeFailureRate: attempts.length ? failed.length / attempts.length : null,
    deploysPerWeek: ok.length / (periodMs / WEEK_MS),
    leadTimeMedianSeconds: quantile(leadSeconds, 0.5),
    leadTimeP90Seconds: quantile(leadSeconds, 0.9),
    timeToRestoreMedianSeconds: quantile(restores, 0.5),
    timeToRestoreWorstSeconds: restores.length ? Math.max(...restores) : null,
    deployDurationMedianSeconds: quantile(durations, 0.5),
    timeToServeMedianSeconds: quantile(serve, 0.5)
  };
}

/** The same figures per ISO week of each deploy's start (a week's frequency is its own count). */
function weeksOf(
  attempts: readonly DeployAttempt[],
  leads: readonly { at: number; seconds: number }[]
): WeekFigures[] {
  const weeks = new Map<string, DeployAttempt[]>();
  for (const a of attempts) {
    const w = isoWeek(a.startedAt);
    weeks.set(w, [...(weeks.get(w) ?? []), a]);
  }
  return [...weeks.entries()].map(([week, list]) => ({
    week,
    ...figuresOf(
      list,
      leads.filter((l) => isoWeek(l.at) === week),
      WEEK_MS
    )
  }));
}

/** `2026-W49`: ISO 8601 week-numbering year and week of a UTC time. */
export function isoWeek(ms: number): string {
  const d = new Date(ms);
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7));
  const year = thursday.getUTCFullYear();
  const week = Math.ceil(((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Nearest-rank quantile; null for no values. */
export function quantile(values: readonly number[], q: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function last(lines: readonly HistoryLine[], pick: (l: HistoryLine) => boolean): HistoryLine | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (pick(lines[i]!)) return lines[i];
  return undefined;
}

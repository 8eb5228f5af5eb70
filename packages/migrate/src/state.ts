import { MigrationError } from '../../core/src/index.js';
import type { HistoryRow } from './db.js';
import { compareVersions, type MigrationFile } from './files.js';
import type { FailedAttempt } from './types.js';

/**
 * Files on disk + rows in the history table → the state of every version. Pure, so every rule of the
 * pre-flight is unit-tested without a database.
 */
export type VersionStateKind = 'applied' | 'pending' | 'failed';

export interface VersionState {
  version: string;
  name: string;
  /** The up file; undefined when the version is in the history but not on disk. */
  file?: MigrationFile;
  state: VersionStateKind;
  /** The latest history row of this version. */
  row?: HistoryRow;
  /** The checksum recorded when the version was applied. */
  recordedChecksum?: string;
  /** Applied, but the file on disk differs from what ran. */
  drifted: boolean;
  /** Pending, but older than the current version. */
  outOfOrder: boolean;
  /**
   * Clean failures since the version last changed: attempts whose transaction rolled back, so they left
   * nothing. Evidence only: they neither block the next run nor count as the version's state.
   */
  failedAttempts: HistoryRow[];
}

export interface MigrationState {
  versions: VersionState[];
  applied: VersionState[];
  pending: VersionState[];
  failed: VersionState[];
  drifted: VersionState[];
  outOfOrder: VersionState[];
  /** Applied versions whose file is no longer in dir. */
  missingFiles: VersionState[];
  /** The highest applied version, '' when none. */
  currentVersion: string;
}

/**
 * A failure that left nothing behind: the file ran in a transaction, which rolled back, and the failure
 * row was written after the rollback. Like Flyway on PostgreSQL, such an attempt does not need a person:
 * the next run simply runs the (fixed) file again. A no-transaction file's failure may have left some of
 * its statements in effect, so it stays the version's state until `mode: repair` clears it.
 */
export function isCleanFailure(row: HistoryRow): boolean {
  return (
    row.status === 'failed' && row.execution === 'transaction' && (row.kind === 'up' || row.kind === 'down')
  );
}

export function computeState(
  files: readonly MigrationFile[],
  history: readonly HistoryRow[]
): MigrationState {
  /** The latest row that changed the version's state (clean failures do not). */
  const latest = new Map<string, HistoryRow>();
  const attempts = new Map<string, HistoryRow[]>();
  /** The checksum that is live for a version: from its latest `applied` row. */
  const liveChecksum = new Map<string, string | null>();
  for (const row of [...history].sort((a, b) => a.id - b.id)) {
    if (row.kind === 'command') continue;
    if (isCleanFailure(row)) {
      attempts.set(row.version, [...(attempts.get(row.version) ?? []), row]);
      continue;
    }
    latest.set(row.version, row);
    attempts.delete(row.version);
    if (row.status === 'applied') liveChecksum.set(row.version, row.checksum);
  }
  const versions: VersionState[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    seen.add(file.version);
    const row = latest.get(file.version);
    const state: VersionStateKind =
      row?.status === 'applied' ? 'applied' : row?.status === 'failed' ? 'failed' : 'pending';
    const recorded = liveChecksum.get(file.version) ?? undefined;
    versions.push({
      version: file.version,
      name: file.name,
      file,
      state,
      ...(row ? { row } : {}),
      ...(state === 'applied' && recorded ? { recordedChecksum: recorded } : {}),
      drifted: state === 'applied' && !!recorded && recorded !== file.checksum,
      outOfOrder: false,
      failedAttempts: attempts.get(file.version) ?? []
    });
  }
  for (const [version, row] of latest) {
    if (seen.has(version) || row.status === 'reverted' || row.status === 'repaired') continue;
    versions.push({
      version,
      name: row.name,
      state: row.status === 'failed' ? 'failed' : 'applied',
      row,
      ...(row.checksum ? { recordedChecksum: row.checksum } : {}),
      drifted: false,
      outOfOrder: false,
      failedAttempts: attempts.get(version) ?? []
    });
  }
  versions.sort((a, b) => compareVersions(a.version, b.version));
  const applied = versions.filter((v) => v.state === 'applied');
  const currentVersion = applied.length ? applied[applied.length - 1]!.version : '';
  for (const v of versions) {
    if (v.state === 'pending' && currentVersion && compareVersions(v.version, currentVersion) < 0) {
      v.outOfOrder = true;
    }
  }
  return {
    versions,
    applied,
    pending: versions.filter((v) => v.state === 'pending'),
    failed: versions.filter((v) => v.state === 'failed'),
    drifted: versions.filter((v) => v.drifted),
    outOfOrder: versions.filter((v) => v.outOfOrder),
    missingFiles: applied.filter((v) => !v.file),
    currentVersion
  };
}

const label = (v: VersionState) => (v.file ? v.file.file : v.row ? v.row.script : `version ${v.version}`);

/**
 * The refusals of the pre-flight, first problem class first. `apply`/`plan` check everything; `down`
 * skips out-of-order (it does not run up files).
 */
export function preflight(
  state: MigrationState,
  options: { mode: 'apply' | 'plan' | 'down'; allowOutOfOrder: boolean; table: string }
): void {
  if (state.failed.length) {
    const lines = state.failed.map((v) => {
      const r = v.row!;
      const where = r.errorLine ? ` at line ${r.errorLine}` : '';
      return `${r.script} (${r.kind}) failed${where} on ${r.appliedAt} by ${r.appliedBy}${
        r.runUrl ? ` in ${r.runUrl}` : ''
      }: ${firstLine(r.error ?? '')}`;
    });
    throw new MigrationError(
      `An earlier run failed and is recorded in ${options.table}:\n${lines.join('\n')}`,
      {
        state: 'nothing was changed by this run',
        hint: `the file ran without a transaction, so the statements before the failing one took effect and stay (a failed CREATE INDEX CONCURRENTLY leaves an INVALID index: DROP INDEX CONCURRENTLY it); undo or complete them and fix the file, then run this action with mode: repair, which marks the failure repaired (the record stays) so the next apply runs the file again`
      }
    );
  }
  if (state.drifted.length) {
    const lines = state.drifted.map(
      (v) => `${label(v)}: applied with sha256 ${v.recordedChecksum}, the file now has ${v.file!.checksum}`
    );
    throw new MigrationError(
      `Applied migration files were changed after they ran (checksum drift):\n${lines.join('\n')}`,
      {
        state: 'nothing was changed by this run',
        hint: 'restore the files to what ran (git log -p on them) and put the change in a new migration; if the edit is harmless (a comment, whitespace), accept it with mode: repair'
      }
    );
  }
  if (options.mode !== 'down' && state.outOfOrder.length && !options.allowOutOfOrder) {
    const lines = state.outOfOrder.map((v) => `${label(v)} (version ${v.version})`);
    throw new MigrationError(
      `Pending migrations are older than the current version ${state.currentVersion}:\n${lines.join('\n')}`,
      {
        state: 'nothing was changed by this run',
        hint: 'give the files versions above the current one (e.g. a timestamp), or set allow-out-of-order: true if they are independent of the newer ones (typical after merging two branches)'
      }
    );
  }
}

export function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/** The pending files apply runs (and plan shows), up to and including `target`. */
export function selectPending(state: MigrationState, target: string | undefined): MigrationFile[] {
  return state.pending
    .filter((v) => v.file && (!target || compareVersions(v.version, target) <= 0))
    .map((v) => v.file!);
}

/** The earlier clean failures of a version in one direction, as evidence for the run that retries it. */
export function earlierFailures(v: VersionState | undefined, direction: 'up' | 'down'): FailedAttempt[] {
  return (v?.failedAttempts ?? [])
    .filter((r) => r.kind === direction)
    .map((r) => ({
      at: r.appliedAt,
      by: r.appliedBy,
      runUrl: r.runUrl,
      ...(r.errorLine ? { line: r.errorLine } : {}),
      error: firstLine(r.error ?? '')
    }));
}

/** "the failed attempt of <when> by <who> (line n)", for the log. */
export function describeAttempts(attempts: readonly FailedAttempt[]): string {
  const last = attempts[attempts.length - 1]!;
  const more = attempts.length > 1 ? `${attempts.length} failed attempts, the last` : 'the failed attempt';
  return `${more} of ${last.at} by ${last.by}${last.line ? ` (line ${last.line})` : ''} rolled back`;
}

import { formatMs } from '../../core/src/index.js';
import type { LockHolder, WorkflowRunState } from './types.js';
export type { WorkflowRunState };

/**
 * Whether a held deploy lock may be taken over without a person: only when its holder is PROVABLY gone.
 * Pure: every fact it weighs (the clock, whether a local pid runs, what GitHub says of the holder's run) is
 * an input, so the unit tests can state each rule.
 *
 *   gone   the holder cannot come back: take the lock over and record `lock.taken-over` with the proof
 *   stale  it looks dead but nothing proves it (another runner, no answer from GitHub): the error names the
 *          holder and the `break-lock` fix
 *   live   wait for it (bounded by lock-timeout)
 */
export type LockVerdict =
  { kind: 'gone'; proof: TakeoverProof } | { kind: 'stale'; reason: string } | { kind: 'live' };

export interface TakeoverProof {
  /** pid: its process on this runner exited; github-run: its run completed; heartbeat: silent too long on this runner. */
  via: 'pid' | 'github-run' | 'heartbeat';
  detail: string;
}

export interface TakeoverFacts {
  holder: LockHolder | undefined;
  now: number;
  staleMs: number;
  /** This runner's name (the machine that runs this deploy). */
  runnerName: string;
  /** This runner's identity (identity.ts runnerIdentity); compared instead of the name when both have one. */
  runnerId?: string;
  pidAlive(pid: number): boolean;
  /** A local process's start time (identity.ts processStart), to tell a reused pid from the holder. */
  pidStart?(pid: number): string | undefined;
  /** The holder's run as GitHub reports it; undefined without a token, a run id, or an answer. */
  run?: WorkflowRunState;
}

export function lockVerdict(f: TakeoverFacts): LockVerdict {
  const h = f.holder;
  if (!h)
    return { kind: 'stale', reason: 'the lock has no holder.json (written by an older version, or damaged)' };
  // The same runner: same hostname, and (when both record one) the same boot and pid namespace.
  const sameRunner =
    h.runnerId && f.runnerId ? h.runnerId === f.runnerId : !!h.runner && h.runner === f.runnerName;
  if (sameRunner && h.pid > 0) {
    if (!f.pidAlive(h.pid))
      return {
        kind: 'gone',
        proof: { via: 'pid', detail: `its process ${h.pid} on this runner (${h.runner}) has exited` }
      };
    const start = h.pidStart && f.pidStart ? f.pidStart(h.pid) : undefined;
    if (start !== undefined && start !== h.pidStart)
      return {
        kind: 'gone',
        proof: {
          via: 'pid',
          detail: `its process ${h.pid} on this runner (${h.runner}) has exited (the pid now belongs to a process started later)`
        }
      };
    // Its process runs: a live holder wins over an old heartbeat (a long phase, a stalled timer).
    return { kind: 'live' };
  }
  if (f.run && h.runId) {
    const attempt = Number(h.runAttempt || '1');
    if (f.run.status === 'completed')
      return {
        kind: 'gone',
        proof: {
          via: 'github-run',
          detail: `its GitHub run ${h.repository ?? ''}#${h.runId} is completed (${f.run.conclusion ?? 'no conclusion'})`
        }
      };
    if (f.run.runAttempt !== undefined && f.run.runAttempt > attempt)
      return {
        kind: 'gone',
        proof: {
          via: 'github-run',
          detail: `its GitHub run ${h.repository ?? ''}#${h.runId} attempt ${attempt} was superseded by attempt ${f.run.runAttempt}`
        }
      };
  }
  const beat = Date.parse(h.heartbeatAt || h.startedAt);
  const silent = Number.isFinite(beat) ? f.now - beat : Infinity;
  if (silent > f.staleMs) {
    const ago = Number.isFinite(silent) ? `${formatMs(silent)} ago` : 'never';
    if (sameRunner)
      return {
        kind: 'gone',
        proof: {
          via: 'heartbeat',
          detail: `its last heartbeat was ${ago} (lock-stale-after ${formatMs(f.staleMs)}) and it declared this runner (${h.runner})`
        }
      };
    return {
      kind: 'stale',
      reason: `its last heartbeat was ${ago} (stale after ${formatMs(f.staleMs)}), but it ran on ${h.runner || 'an unknown runner'}, not here, and ${h.runId ? 'GitHub did not confirm its run ended' : 'it names no GitHub run to check'}`
    };
  }
  return { kind: 'live' };
}

/** The holder's run, as the lock records it; undefined when it names none. */
export function holderRun(h: LockHolder | undefined): { repository: string; runId: string } | undefined {
  return h?.repository && h.runId && /^\d+$/.test(h.runId)
    ? { repository: h.repository, runId: h.runId }
    : undefined;
}

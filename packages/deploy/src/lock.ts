import { randomUUID } from 'node:crypto';
import { LockError, formatMs } from '../../core/src/index.js';
import { linkTimeoutMs, type ScriptStep } from '../../ssh/src/index.js';
import {
  LOCK_HELD,
  lockAcquireArgv,
  lockHeartbeatArgv,
  lockReadArgv,
  lockReleaseArgv,
  lockRemoveIfHolderArgv
} from './commands.js';
import type { Clock } from './clock.js';
import type { Host, PhaseResult } from './host.js';
import type { LockHolder } from './types.js';

/**
 * The app's deploy lock on a host: a directory holding holder.json, created whole by one rename, refreshed by a
 * heartbeat while held. Taking it is a few steps of the open phase (lockSteps); what the phase saw decides:
 * taken, held by a live holder (wait and try again), held by a holder that is provably gone (taken over, with
 * the proof in the history: takeover.ts), or stale without proof (reported; broken only on request).
 */
export interface LockOptions {
  timeoutMs: number;
  staleMs: number;
  pollMs: number;
  breakLock: boolean;
  holder: Omit<LockHolder, 'token' | 'startedAt' | 'heartbeatAt'>;
  /** Remove the old holder's lock (its token; '' for a lock without holder.json) before taking it. */
  /** The runner's own name: a holder from this machine whose pid is gone is stale at once. */
  runnerName: string;
  /** This runner's identity (identity.ts). */
  runnerId?: string;
}

export function describeHolder(h: LockHolder | undefined): string {
  if (!h) return 'an unknown holder (no holder.json)';
  const what = `${h.operation}${h.release ? ` of ${h.release}` : ''}`;
  return `${what} by ${h.actor}${h.runUrl ? ` (${h.runUrl})` : ''} on ${h.runner} pid ${h.pid}, since ${h.startedAt}`;
}

export function localPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface HeldLock {
  holder: LockHolder;
  /** Stop the heartbeat (the release itself may ride in a phase: releaseStep). */
  stop(): Promise<void>;
  /** Stop the heartbeat and release the lock in a session of its own. */
  release(): Promise<void>;
}

export function newHolder(o: LockOptions, clock: Clock): LockHolder {
  const now = clock.now().toISOString();
  return { ...o.holder, token: randomUUID(), startedAt: now, heartbeatAt: now };
}

export const LOCK_TAKE = 'take the deploy lock';
export const LOCK_READ = 'read the lock holder';
export const LOCK_BREAK = "remove the old holder's lock";

/**
 * The open phase's lock steps: (remove the lock of a holder judged gone, only while it is still that holder's),
 * take it, and read the holder when that failed.
 */
export function lockSteps(dir: string, holder: LockHolder, removeToken?: string): ScriptStep[] {
  return [
    ...(removeToken !== undefined
      ? [{ name: LOCK_BREAK, argv: lockRemoveIfHolderArgv(dir, removeToken), check: false }]
      : []),
    { name: LOCK_TAKE, argv: lockAcquireArgv(dir), stdin: JSON.stringify(holder) + '\n' },
    { name: LOCK_READ, argv: lockReadArgv(dir), always: true, check: false }
  ];
}

export function lockReleaseStep(dir: string, token: string): ScriptStep {
  return { name: 'release the deploy lock', argv: lockReleaseArgv(dir, token), always: true, check: false };
}

export type LockSeen =
  { taken: true } | { taken: false; holder?: LockHolder } | { taken: false; failed: string };

/** What the open phase's lock steps say. */
export function lockSeen(r: PhaseResult): LockSeen | undefined {
  const take = r.get(LOCK_TAKE);
  if (!take) return undefined;
  if (take.exitCode === 0) return { taken: true };
  if (take.exitCode !== LOCK_HELD) return { taken: false, failed: (take.stderr || take.stdout).trim() };
  const text = r.get(LOCK_READ)?.stdout.trim() ?? '';
  let holder: LockHolder | undefined;
  try {
    holder = text ? (JSON.parse(text) as LockHolder) : undefined;
  } catch {
    holder = undefined;
  }
  return { taken: false, ...(holder ? { holder } : {}) };
}

export function lockFailed(host: Host, message: string): LockError {
  return new LockError(`Could not take the deploy lock ${host.layout.lock} on ${host.name}: ${message}`, {
    state: 'nothing was changed',
    hint: 'check that the SSH user can write state-dir on the host'
  });
}

export function staleLockError(host: Host, holder: LockHolder | undefined, stale: string): LockError {
  return new LockError(
    `The deploy lock of ${host.layout.root} on ${host.name} is STALE: held by ${describeHolder(holder)}; ${stale}`,
    {
      state: 'nothing was changed; the lock is still in place',
      hint: 'make sure that run is really gone, then run again with `break-lock: true` (docs/runbooks/stale-lock.md)'
    }
  );
}

export function lockTimeoutError(host: Host, timeoutMs: number, holder: LockHolder | undefined): LockError {
  return new LockError(
    `Timed out after ${formatMs(timeoutMs)} waiting for the deploy lock of ${host.layout.root} on ${host.name}, held by ${describeHolder(holder)}`,
    {
      state: 'nothing was changed; the other run is still deploying',
      hint: 'wait for that run to finish (or use a workflow `concurrency:` group), or raise `lock-timeout`'
    }
  );
}

/**
 * Keep the lock fresh while held. The heartbeat rides at the end of every phase (Host.heartbeat), so it costs
 * no session of its own; only when no phase ran for a quarter of lock-stale-after (a long gate) does a timer
 * send one. release() lets the lock go only while it is still ours.
 */
export function heldLock(host: Host, holder: LockHolder, staleMs: number, clock: Clock): HeldLock {
  const dir = host.layout.lock;
  const every = Math.max(1000, Math.floor(staleMs / 4));
  let lastBeat = clock.ms();
  const beatStdin = () => {
    lastBeat = clock.ms();
    return JSON.stringify({ ...holder, heartbeatAt: clock.now().toISOString() }) + '\n';
  };
  host.heartbeat = () => ({
    name: 'lock heartbeat',
    argv: lockHeartbeatArgv(dir, holder.token),
    stdin: beatStdin(),
    always: true,
    check: false
  });
  let beating: Promise<unknown> = Promise.resolve();
  const timer = setInterval(
    () => {
      if (clock.ms() - lastBeat < every) return;
      beating = host.executor
        .run({
          argv: lockHeartbeatArgv(dir, holder.token),
          stdin: beatStdin(),
          check: false,
          timeoutMs: linkTimeoutMs(every, host.noopMs)
        })
        .catch(() => undefined);
    },
    Math.max(500, Math.floor(every / 4))
  );
  timer.unref();
  const stop = async () => {
    clearInterval(timer);
    host.heartbeat = undefined;
    await beating;
  };
  return {
    holder,
    stop,
    release: async () => {
      await stop();
      await host.run(lockReleaseArgv(dir, holder.token), 'release the deploy lock', { ownTimeoutMs: 30_000 });
    }
  };
}

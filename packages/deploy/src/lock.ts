import { randomUUID } from 'node:crypto';
import { LockError, formatMs } from '../../core/src/index.js';
import {
  LOCK_HELD,
  lockAcquireArgv,
  lockHeartbeatArgv,
  lockReadArgv,
  lockReleaseArgv,
  removeTreeArgv
} from './commands.js';
import type { Host } from './host.js';
import type { HistoryEntry, LockHolder } from './types.js';

export interface LockOptions {
  timeoutMs: number;
  staleMs: number;
  pollMs: number;
  breakLock: boolean;
  holder: Omit<LockHolder, 'token' | 'startedAt' | 'heartbeatAt'>;
  /** The runner's own name: a holder from this machine whose pid is gone is stale at once. */
  runnerName: string;
  history(entry: Pick<HistoryEntry, 'event'> & Record<string, unknown>): Promise<void>;
}

export function describeHolder(h: LockHolder | undefined): string {
  if (!h) return 'an unknown holder (no holder.json)';
  const what = `${h.operation}${h.release ? ` of ${h.release}` : ''}`;
  return `${what} by ${h.actor}${h.runUrl ? ` (${h.runUrl})` : ''} on ${h.runner} pid ${h.pid}, since ${h.startedAt}`;
}

/** Why a holder is stale, or undefined when it looks alive. Pure. */
export function staleReason(
  h: LockHolder | undefined,
  now: number,
  staleMs: number,
  runnerName: string,
  pidAlive: (pid: number) => boolean
): string | undefined {
  if (!h) return 'the lock has no holder.json (a run died while taking it)';
  const beat = Date.parse(h.heartbeatAt || h.startedAt);
  if (h.runner === runnerName && !pidAlive(h.pid)) return `its process ${h.pid} on ${h.runner} is gone`;
  if (Number.isFinite(beat) && now - beat > staleMs)
    return `its last heartbeat was ${formatMs(now - beat)} ago (stale after ${formatMs(staleMs)})`;
  return undefined;
}

function localPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface HeldLock {
  holder: LockHolder;
  release(): Promise<void>;
}

async function readHolder(host: Host, dir: string): Promise<LockHolder | undefined> {
  const r = await host.run(lockReadArgv(dir), 'read lock holder', { check: false });
  try {
    return r.stdout.trim() ? (JSON.parse(r.stdout) as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Take the app's lock on the host: an atomic `mkdir` plus holder.json, refreshed by a heartbeat while held.
 * Waits up to timeoutMs for a live holder, then fails naming it. A stale holder is reported, and broken only
 * when breakLock is set.
 */
export async function acquireLock(host: Host, o: LockOptions): Promise<HeldLock> {
  const dir = host.layout.lock;
  const started = Date.now();
  let waitedFor: string | undefined;
  for (;;) {
    const now = new Date().toISOString();
    const holder: LockHolder = { ...o.holder, token: randomUUID(), startedAt: now, heartbeatAt: now };
    const r = await host.run(lockAcquireArgv(dir), 'take the deploy lock', {
      stdin: JSON.stringify(holder) + '\n',
      check: false
    });
    if (r.exitCode === 0) {
      if (waitedFor)
        host.logger.info(`lock taken after waiting ${formatMs(Date.now() - started)} for ${waitedFor}`);
      return startHeartbeat(host, dir, holder, o.staleMs);
    }
    if (r.exitCode !== LOCK_HELD) {
      throw new LockError(
        `Could not take the deploy lock ${dir} on ${host.name}: ${(r.stderr || r.stdout).trim()}`,
        {
          state: 'nothing was changed',
          hint: 'check that the SSH user can write state-dir on the host'
        }
      );
    }
    const current = await readHolder(host, dir);
    const stale = staleReason(current, Date.now(), o.staleMs, o.runnerName, localPidAlive);
    if (stale) {
      if (o.breakLock) {
        host.logger.warning(`breaking a stale lock on ${host.name}: ${describeHolder(current)}; ${stale}`);
        await host.run(removeTreeArgv(dir), 'break the stale lock');
        await o.history({ event: 'lock.broken', holder: current ?? null, reason: stale });
        continue;
      }
      throw new LockError(
        `The deploy lock of ${host.layout.root} on ${host.name} is STALE: held by ${describeHolder(current)}; ${stale}`,
        {
          state: 'nothing was changed; the lock is still in place',
          hint: 'make sure that run is really gone, then run again with `break-lock: true` (docs/runbooks/stale-lock.md)'
        }
      );
    }
    const waited = Date.now() - started;
    if (!waitedFor) {
      waitedFor = describeHolder(current);
      host.logger.info(`waiting up to ${formatMs(o.timeoutMs)} for the deploy lock held by ${waitedFor}`);
    }
    if (waited >= o.timeoutMs) {
      throw new LockError(
        `Timed out after ${formatMs(o.timeoutMs)} waiting for the deploy lock of ${host.layout.root} on ${host.name}, held by ${describeHolder(current)}`,
        {
          state: 'nothing was changed; the other run is still deploying',
          hint: 'wait for that run to finish (or use a workflow `concurrency:` group), or raise `lock-timeout`'
        }
      );
    }
    await new Promise((res) => setTimeout(res, Math.min(o.pollMs, o.timeoutMs - waited + 10)));
  }
}

function startHeartbeat(host: Host, dir: string, holder: LockHolder, staleMs: number): HeldLock {
  const every = Math.max(1000, Math.floor(staleMs / 4));
  let beating: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    const next = { ...holder, heartbeatAt: new Date().toISOString() };
    beating = host.executor
      .run({
        argv: lockHeartbeatArgv(dir, holder.token),
        stdin: JSON.stringify(next) + '\n',
        check: false,
        timeoutMs: every
      })
      .catch(() => undefined);
  }, every);
  timer.unref();
  return {
    holder,
    release: async () => {
      clearInterval(timer);
      await beating;
      await host.executor.run({
        argv: lockReleaseArgv(dir, holder.token),
        check: false,
        timeoutMs: 30_000,
        step: 'release the deploy lock'
      });
    }
  };
}

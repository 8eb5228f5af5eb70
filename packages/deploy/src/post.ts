import { join } from 'node:path/posix';
import { describeError, type Executor } from '../../core/src/index.js';
import { appendFileArgv, lockReleaseIfOursArgv } from './commands.js';
import type { EngineDeps, HeldLockRef } from './types.js';

/**
 * For the action's `post:` step: release locks its main step took and never let go (the run was cancelled
 * or killed), only when they are still held with the same token, and record it in the host history.
 */
export async function releaseLeftLocks(
  locks: Record<string, HeldLockRef>,
  deps: Pick<EngineDeps, 'logger' | 'context' | 'connect'>
): Promise<string[]> {
  const released: string[] = [];
  for (const [host, held] of Object.entries(locks)) {
    let executor: Executor | undefined;
    try {
      executor = await deps.connect(host);
      const r = await executor.run({
        argv: lockReleaseIfOursArgv(held.dir),
        stdin: held.token,
        check: false,
        timeoutMs: 30_000,
        step: 'release the left lock'
      });
      if (!r.stdout.includes('released')) continue;
      released.push(host);
      const entry = {
        time: new Date().toISOString(),
        event: 'lock.released',
        host,
        actor: deps.context.actor,
        runUrl: deps.context.runUrl,
        ...(held.release ? { release: held.release } : {}),
        reason: 'the run ended without releasing its lock (cancelled or killed); released by its post step'
      };
      await executor.run({
        argv: appendFileArgv(join(held.dir, '..', 'history.jsonl')),
        stdin: JSON.stringify(entry) + '\n',
        check: false,
        timeoutMs: 30_000
      });
      deps.logger.warning(
        `${host}: the deploy was interrupted while holding the lock${held.release ? ` (release ${held.release})` : ''}; the lock is released. Check what it left: docs/runbooks/failed-deploy.md`
      );
    } catch (err) {
      deps.logger.warning(
        `${host}: could not release the lock left by this run: ${describeError(err)}; see docs/runbooks/stale-lock.md`
      );
    } finally {
      await executor?.close().catch(() => undefined);
    }
  }
  return released;
}

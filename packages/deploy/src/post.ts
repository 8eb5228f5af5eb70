import { join } from 'node:path/posix';
import { describeError, type Executor } from '../../core/src/index.js';
import { historyAppendArgv, lockReleaseIfOursArgv } from './commands.js';
import type { EngineDeps, HeldLockRef } from './types.js';

/**
 * For the action's `post:` step: release locks its main step took and never let go (the run was cancelled
 * or killed), only when they are still held with the same token, and record `deploy.cancelled` and
 * `lock.released` in the host history. A switch the killed run made but never verified is marked in
 * active.json (`unverified`); the next deploy or rollback resolves it (resolve.ts).
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
      const base = {
        time: new Date().toISOString(),
        ...(held.app ? { app: held.app } : {}),
        ...(held.environment ? { environment: held.environment } : {}),
        host,
        actor: deps.context.actor,
        runUrl: deps.context.runUrl,
        ...(held.release ? { release: held.release } : {})
      };
      const lines = [
        {
          ...base,
          event: 'deploy.cancelled',
          operation: held.operation ?? 'deploy',
          reason:
            'the main step ended without finishing (cancelled or killed); what it left is resolved by the next run'
        },
        {
          ...base,
          event: 'lock.released',
          reason: 'the run ended without releasing its lock (cancelled or killed); released by its post step'
        }
      ];
      // One write of whole lines (history-append closes a torn last line first).
      await executor.run({
        argv: historyAppendArgv(join(held.dir, '..', 'history.jsonl')),
        stdin: lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
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

import { ConnectionError, type Logger } from '../../core/src/index.js';
import { composeDownArgv, composeUpArgv } from '../../compose/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import { accessoriesProject, releaseUpOptions, restoreRetiredArgv } from './accessories.js';
import { hostHttpCheckArgv, lockOursArgv, proxyStopArgv, startSlotArgv, waitReadyArgv } from './commands.js';
import { releaseDir } from './layout.js';
import { stepError } from './host.js';
import { lockReleaseStep } from './lock.js';
import { proxyFiles } from './proxy.js';
import { frontDoorRemoveStep } from './front-door.js';
import { commitStep, envSlug, project, recordFile, type HostContext, type RunState } from './run.js';
import { switchSteps } from './switch.js';
import { TEXTFILE_STEP, textfileStep, textfileWarning } from './textfile.js';
import type { HistoryEntry, ReleaseRecord } from './types.js';

/** Retry a cleanup phase across a short connection outage: cleanup must not give up at the first drop. */
export async function persist<T>(
  what: string,
  logger: Logger,
  fn: () => Promise<T>,
  attempts = 5
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ConnectionError) || i >= attempts) throw err;
      logger.warning(`${what}: ${err.message.split('\n')[0]}; retrying (${i}/${attempts - 1})`);
      await new Promise((r) => setTimeout(r, 1000 * i));
    }
  }
}

export interface Reverted {
  state: RunState;
  serving: string;
  restored: boolean;
  /** The lock is no longer this run's (its finish completed on the host, or a takeover): nothing was touched. */
  left?: boolean;
}

const LOCK_OURS = 'the deploy lock is still this run';
const OLD_READY = 'wait until the previous release is ready';
const RESTORE_RETIRED = "start the serving release's retired services again";

/**
 * Undo, one session: traffic back to what served before (its slot still runs), or `up -d` of the previous
 * release (recreate); the candidate stops. A first release that failed leaves no proxy and no `current`
 * behind, so nothing answers 502 on the public port.
 */
export async function revertPhase(ctx: HostContext, s: RunState): Promise<Reverted> {
  const { host } = ctx;
  const old = s.before;
  // First: the lock is still ours. A finish the link cut may have completed on the host (released the lock,
  // stopped the old slot): that release passed its gate and stays.
  const steps: ScriptStep[] = s.lock
    ? [{ name: LOCK_OURS, argv: lockOursArgv(host.layout.lock, s.lock.holder.token) }]
    : [];
  let restored = !old;
  // The serving release's own copies of what became accessories with this release: back before traffic is.
  if (s.retired && old)
    steps.push({
      name: RESTORE_RETIRED,
      argv: restoreRetiredArgv(
        accessoriesProject(ctx.spec.app, envSlug(ctx.spec)),
        s.retired.project,
        s.retired.services
      ),
      check: false
    });
  if (s.switched && old?.record) {
    const up = composeUpArgv(
      s.tools!.compose,
      project(ctx, old.record, old.active),
      releaseUpOptions(old.record)
    );
    if (!old.active.slot)
      steps.push({ name: `compose up ${old.active.project} (previous release)`, argv: up });
    else if (s.oldStopped) {
      // The finish stopped the old slot: traffic goes back only to a slot that runs and answers again.
      const port = old.active.port;
      const url =
        ctx.spec.slotCheckPath && port !== undefined && s.tools?.http
          ? hostHttpCheckArgv(s.tools.http, `http://127.0.0.1:${port}${ctx.spec.slotCheckPath}`, 3)
          : [];
      steps.push(
        {
          name: `start ${old.active.project} (previous release)`,
          argv: startSlotArgv(old.active.project, releaseDir(host.layout, old.record.id), up)
        },
        {
          name: OLD_READY,
          argv: waitReadyArgv(
            old.active.project,
            Math.min(ctx.spec.startTimeoutMs, host.deadline.remaining()) / 1000,
            url
          )
        }
      );
    }
    steps.push(...switchSteps(ctx, s, old.active, old.record, []));
    restored = true;
  } else if (old?.record) restored = true;
  if (!old && s.candidate) {
    const proxy = proxyFiles(host.layout.proxy);
    if (ctx.spec.frontDoor && s.switched) steps.push(frontDoorRemoveStep(ctx.spec));
    else if (!s.proxyWasUp && s.candidate.slot)
      steps.push({ name: 'stop the proxy', argv: proxyStopArgv(proxy.conf, proxy.prefix), check: false });
    steps.push({
      name: 'forget the failed first release',
      argv: ['rm', '-f', '--', host.layout.active, host.layout.current],
      check: false
    });
  }
  const cand = s.candidate;
  if (cand && s.release && cand.project !== old?.active.project)
    steps.push({
      name: `stop ${cand.project}`,
      argv: composeDownArgv(s.tools!.compose, project(ctx, s.release, cand), {
        removeOrphans: true,
        timeoutS: 5
      }),
      check: false
    });
  if (steps.length) {
    const r = await persist('revert', host.logger, () => host.phase('revert', steps, 5 * 60_000));
    const failed = r.failed(steps);
    if (failed?.name === LOCK_OURS)
      return {
        state: { ...s, lockReleased: true },
        serving: `release ${s.release?.id} is serving on ${host.name}, untouched: the deploy lock there is no longer this run's (its finish completed on the host, or another run took over)`,
        restored: false,
        left: true
      };
    if (failed) throw stepError(failed, host.name);
    const back = r.get(RESTORE_RETIRED);
    if (back && s.retired) {
      if (back.exitCode !== 0)
        host.logger.warning(
          `${host.name}: could not start ${s.retired.services.join(', ')} of ${s.retired.project} again (${(back.stderr || back.stdout).trim().split('\n')[0]}): start them by hand (docker start)`
        );
      else {
        host.logger.info(
          `${host.name}: ${back.stdout.trim().split('\n').join(', ')} in ${s.retired.project}`
        );
        const line = ctx.rec.entry(host.name, 'accessories.restored', {
          release: old?.active.release,
          project: s.retired.project,
          services: s.retired.services
        });
        return finish({ ...s, retired: undefined, pending: [...s.pending, line] });
      }
    }
  }
  return finish(s);

  function finish(st: RunState): Reverted {
    const serving = old
      ? `release ${old.active.release} is serving on ${host.name}`
      : `nothing is serving on ${host.name} (there was no earlier release)`;
    return { state: { ...st, switched: false }, serving, restored };
  }
}

/**
 * The last session of a failed run: the release's record (when its directory exists) and the history lines,
 * then the lock.
 */
export async function recordFailure(
  ctx: HostContext,
  s: RunState,
  history: readonly HistoryEntry[],
  release?: ReleaseRecord
): Promise<RunState> {
  const { host } = ctx;
  const steps: ScriptStep[] = [
    commitStep(ctx, 'record the failure', release && s.written ? [recordFile(release)] : [], [
      ...s.pending,
      ...history
    ])
  ];
  // What serves now: the failed release when it still holds traffic (auto-rollback off), else what served before.
  const textfile = textfileStep(ctx, s.switched ? s.release : s.before?.record, false);
  if (textfile) steps.push(textfile);
  if (s.lock) steps.push(lockReleaseStep(host.layout.lock, s.lock.holder.token));
  const r = await persist('record the failure', host.logger, () => host.phase('record', steps, 60_000));
  textfileWarning(ctx, r.get(TEXTFILE_STEP));
  const released = r.get('release the deploy lock')?.exitCode === 0;
  if (released) {
    await s.lock?.stop();
    ctx.deps.onLock?.(host.name, undefined);
  }
  const failed = r.failed(steps);
  if (failed) throw stepError(failed, host.name);
  return { ...s, pending: [], lockReleased: released };
}

/** Let go of the lock (unless a phase did) and the connection. Never throws. */
export async function closeHost(ctx: HostContext, s: RunState): Promise<void> {
  try {
    if (s.lock && !s.lockReleased) {
      await persist('release the lock', ctx.host.logger, () => s.lock!.release(), 3);
      ctx.deps.onLock?.(ctx.host.name, undefined);
    } else await s.lock?.stop();
  } catch (err) {
    ctx.host.logger.warning(
      `could not release the lock on ${ctx.host.name}: ${(err as Error).message.split('\n')[0]}; the next run will report it as stale`
    );
  }
  await ctx.host.executor.close().catch(() => undefined);
}

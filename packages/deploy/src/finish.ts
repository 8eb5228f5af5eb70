import { DeployError, type Command, type Executor } from '../../core/src/index.js';
import { runGate, type GateResult, type GateSpec } from '../../health/src/index.js';
import { dirname } from 'node:path/posix';
import { linkTimeoutMs, type ScriptStep } from '../../ssh/src/index.js';
import { pruneImagesArgv, setAsideArgv, stillRunningArgv, stopKeepArgv } from './commands.js';
import { removeRetiredArgv } from './accessories.js';
import { noopCost, stepError } from './host.js';
import { earlierDataDir, prunedDir, releaseDir } from './layout.js';
import { lockReleaseStep } from './lock.js';
import { prunePlan } from './retention.js';
import { TEXTFILE_STEP, textfileStep, textfileWarning } from './textfile.js';
import { commitStep, entry, failWith, recordFile, type HostContext, type RunState } from './run.js';
import type { HistoryEntry, ReleaseRecord } from './types.js';
import { activeRecord, gated } from './switch.js';
import { pruneReleaseArgv } from './user-files.js';

const STILL_RUNNING = 'check the containers still run';
const RECORD = 'record the release';
const REMOVE = 'remove pruned release';
const PRUNE_IMAGES = 'prune old images';

/** Container probes of a gate pay the link: their timeouts grow with the measured no-op cost. */
export function linkAware(executor: Executor): Executor {
  const noop = noopCost(executor);
  return {
    target: executor.target,
    close: () => executor.close(),
    run: (c: Command) =>
      executor.run({ ...c, ...(c.timeoutMs ? { timeoutMs: linkTimeoutMs(c.timeoutMs, noop) } : {}) })
  };
}

/**
 * The gate after a switch, from the runner: the spec's HTTP, metric and container probes. The release's own
 * containers are checked on the host (start and finish phases), not by a round trip per probe.
 */
export async function gatePhase(
  ctx: HostContext,
  s: RunState,
  release: ReleaseRecord
): Promise<{ state: RunState; result?: GateResult }> {
  const spec = ctx.spec.gate;
  if (!spec) return { state: s };
  const gate =
    ctx.deps.runGate ??
    ((g: GateSpec, executor: Executor) => runGate(g, { logger: ctx.host.logger, executor }));
  const result = await gate(spec, linkAware(ctx.host.executor));
  const line = entry(ctx, s, result.verdict === 'healthy' ? 'gate.passed' : 'gate.failed', {
    gateRelease: release.id,
    reason: result.reason
  });
  return { state: { ...s, gate: result, pending: [...s.pending, line] }, result };
}

/**
 * The finish phase, one session: the new containers still run, the old slot drains (a sleep on the host)
 * and stops, the release is recorded as deployed, old releases are pruned, and the lock is released.
 */
export async function finishPhase(
  ctx: HostContext,
  s: RunState,
  keepReleases: number,
  history: readonly HistoryEntry[]
): Promise<RunState> {
  const { host, spec } = ctx;
  const release: ReleaseRecord = {
    ...s.release!,
    status: 'deployed',
    activatedAt: ctx.rec.clock.now().toISOString()
  };
  const old = s.before?.active;
  const cand = s.candidate!;
  const steps: ScriptStep[] = [
    { name: STILL_RUNNING, argv: stillRunningArgv(cand.project, spec.gate ? 1 : 3, 1) }
  ];
  // The gate passed: the switch is verified before anything of the old release goes (a kill from here on
  // leaves a verified switch and an old slot the next run clears).
  if (gated(ctx).unverified)
    steps.push(
      commitStep(
        ctx,
        'mark the switch verified',
        [{ path: 'active.json', content: JSON.stringify(activeRecord(ctx, cand)) + '\n' }],
        []
      )
    );
  const lines: HistoryEntry[] = [...s.pending];
  if (old && old.project !== cand.project && old.slot) {
    // Drain: nginx's old workers finish the requests they hold while new ones go to the new slot. The stop
    // then honours the services' own stop_grace_period.
    // The time the gate took since the switch counts towards the drain.
    const drainMs = Math.max(0, spec.drainMs - (s.gate?.durationMs ?? 0));
    const drainS = Math.min(drainMs, Math.max(0, host.deadline.remaining() - 5000)) / 1000;
    if (drainS > 0) steps.push({ name: 'drain', argv: ['sleep', String(drainS)] });
    // Stopped, not removed (no compose run): a rollback starts them again (start.ts, startSlotArgv).
    steps.push({ name: `stop ${old.project}`, argv: stopKeepArgv(old.project), check: false });
    lines.push(entry(ctx, s, 'release.stopped', { stopped: old.release, project: old.project }));
  }
  // The prune: each dropped release is set aside by one rename before the record is committed (so the history
  // says what the list holds), and removed after it. A removal that fails (files a container wrote as root, on
  // a non-root SSH user) only warns: the release passed its gate and is recorded, and the next deploy's prune
  // tries the leftover again. Nothing of the prune is checked, so it can never revert the switch.
  const plan = prunePlan(s.known, release, keepReleases);
  for (const id of plan.drop)
    steps.push({
      name: `set aside release ${id}`,
      argv: setAsideArgv(releaseDir(host.layout, id), prunedDir(host.layout, id)),
      check: false
    });
  lines.push(...history);
  if (plan.drop.length)
    lines.push(entry(ctx, s, 'releases.pruned', { removed: plan.drop, images: plan.images }));
  steps.push(commitStep(ctx, RECORD, [recordFile(release)], lines));
  // After the record, so the textfile's counters include this run's lines.
  const textfile = textfileStep(ctx, release, true);
  if (textfile) steps.push(textfile);
  // The serving release's copies of what are accessories now: stopped since this run's migrate or start phase,
  // kept for a revert until here. Recorded and gated: they go (a rollback to that release uses the accessories).
  if (s.retired)
    steps.push({
      name: 'remove the retired copies',
      argv: removeRetiredArgv(s.retired.project, s.retired.services),
      check: false
    });
  const leftovers = [...new Set([...(s.known.leftovers ?? []), ...plan.drop])];
  for (const id of leftovers)
    // pruneReleaseArgv moves a release holding data an earlier version of this action left in it (adoptDataArgv)
    // out of releases/ instead, once: it is no leftover for the next deploy.
    steps.push({
      name: `${REMOVE} ${id}`,
      argv: pruneReleaseArgv(prunedDir(host.layout, id), earlierDataDir(host.layout, id)),
      check: false
    });
  // The pruned releases' images go with them (by digest and by the tag they were pulled by), unless a record
  // under the state dir (a kept release, another environment or app) still names them, or a container uses them.
  if (plan.images.length)
    steps.push({
      name: PRUNE_IMAGES,
      argv: pruneImagesArgv(dirname(dirname(host.layout.root)), plan.images, plan.tags),
      check: false
    });
  // Only when everything before it worked: a failed finish is reverted under the lock.
  if (s.lock) steps.push({ ...lockReleaseStep(host.layout.lock, s.lock.holder.token), always: false });
  // Cut part way (a dropped link, a timeout): the old slot may be stopped already, so a revert starts it again.
  const stops = steps.some((x) => x.name.startsWith('stop '));
  const r = await host.phase('finish', steps, 60_000 + spec.drainMs + 5 * 60_000).catch((err: Error) => {
    throw failWith(err, { ...s, oldStopped: s.oldStopped || stops });
  });
  const released = r.get('release the deploy lock')?.exitCode === 0;
  if (released) {
    await s.lock?.stop();
    ctx.deps.onLock?.(host.name, undefined);
  }
  textfileWarning(ctx, r.get(TEXTFILE_STEP));
  for (const id of leftovers) {
    const rm = r.get(`${REMOVE} ${id}`);
    if (rm && rm.exitCode !== 0)
      host.logger.warning(
        `could not remove ${prunedDir(host.layout, id)} on ${host.name} (${firstLine(rm.stderr)}): the next deploy retries; files a container wrote as root need root (sudo rm -rf)`
      );
    else if (rm?.stdout.startsWith('kept '))
      host.logger.warning(
        `release ${id} on ${host.name} is pruned but holds data an earlier version of this action kept in it (${rm.stdout.slice(5).trim()}): moved to ${earlierDataDir(host.layout, id)}, which no prune deletes; merge that data into data/ or remove it by hand once nothing needs it`
      );
  }
  const images = r.get(PRUNE_IMAGES)?.stdout.trim();
  if (images) host.logger.info(`${host.name}: images of pruned releases: ${images.split('\n').join('; ')}`);
  const next: RunState = { ...s, release, pending: [], lockReleased: released };
  const failed = r.failed(steps);
  if (!failed) return { ...next, finished: true };
  const stopped = { ...s, oldStopped: s.oldStopped || r.get(`stop ${old?.project}`) !== undefined };
  const notRunning = failed.name === STILL_RUNNING;
  const err = notRunning
    ? new DeployError(
        `Containers of release ${release.id} stopped running on ${host.name} after the switch: ${failed.stdout.trim().split('\n').join('; ')}`,
        { hint: 'read the container logs (docker logs) on the host; the previous release is restored' }
      )
    : stepError(failed, host.name);
  throw failWith(err, stopped);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] || 'no error text';
}

import { DeployError, type Command, type Executor } from '../../core/src/index.js';
import { imageRmArgv } from '../../docker/src/index.js';
import { runGate, type GateResult, type GateSpec } from '../../health/src/index.js';
import { linkTimeoutMs, type ScriptStep } from '../../ssh/src/index.js';
import { stillRunningArgv, stopKeepArgv } from './commands.js';
import { noopCost, stepError } from './host.js';
import { releaseDir } from './layout.js';
import { lockReleaseStep } from './lock.js';
import { prunePlan } from './retention.js';
import { commitStep, entry, failWith, recordFile, type HostContext, type RunState } from './run.js';
import type { HistoryEntry, ReleaseRecord } from './types.js';
import { activeRecord, gated } from './switch.js';
import { pruneReleaseArgv } from './user-files.js';

const STILL_RUNNING = 'check the containers still run';

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
  const plan = prunePlan(s.known, release, keepReleases);
  for (const id of plan.drop)
    steps.push({ name: `remove release ${id}`, argv: pruneReleaseArgv(releaseDir(host.layout, id)) });
  if (plan.images.length)
    steps.push({ name: 'prune old images', argv: imageRmArgv(plan.images), check: false });
  lines.push(...history);
  if (plan.drop.length)
    lines.push(entry(ctx, s, 'releases.pruned', { removed: plan.drop, images: plan.images }));
  steps.push(commitStep(ctx, 'record the release', [recordFile(release)], lines));
  // Only when everything before it worked: a failed finish is reverted under the lock.
  if (s.lock) steps.push({ ...lockReleaseStep(host.layout.lock, s.lock.holder.token), always: false });
  const r = await host.phase('finish', steps, 60_000 + spec.drainMs + 5 * 60_000);
  const released = r.get('release the deploy lock')?.exitCode === 0;
  if (released) {
    await s.lock?.stop();
    ctx.deps.onLock?.(host.name, undefined);
  }
  const next: RunState = { ...s, release, pending: [], lockReleased: released };
  const failed = r.failed(steps);
  if (!failed) return next;
  const notRunning = failed.name === STILL_RUNNING;
  const err = notRunning
    ? new DeployError(
        `Containers of release ${release.id} stopped running on ${host.name} after the switch: ${failed.stdout.trim().split('\n').join('; ')}`,
        { hint: 'read the container logs (docker logs) on the host; the previous release is restored' }
      )
    : stepError(failed, host.name);
  throw failWith(err, s);
}

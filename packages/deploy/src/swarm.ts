import { join } from 'node:path/posix';
import {
  DeployActionsError,
  DeployError,
  InputError,
  describeError,
  formatMs
} from '../../core/src/index.js';
import { linkTimeoutMs } from '../../ssh/src/index.js';
import {
  assertManager,
  deployStack,
  rollbackStack,
  swarmStackFile,
  type ConvergeResult,
  type StackDeployResult,
  type StackSource,
  type SwarmTarget
} from '../../swarm/src/index.js';
import { composeInfo } from './compose-files.js';
import { beginDeploy, openHosts, releaseImages } from './deploy.js';
import { gatePhase } from './finish.js';
import { lockReleaseStep } from './lock.js';
import { projectName, releaseDir } from './layout.js';
import { preparePhase } from './prepare.js';
import { Recorder } from './recorder.js';
import { closeHost, recordFailure } from './revert.js';
import {
  commitStep,
  entry,
  envSlug,
  failWith,
  recordFile,
  releaseFile,
  stateAfter,
  type HostContext,
  type HostRun,
  type RunState
} from './run.js';
import { switchSteps } from './switch.js';
import type {
  ActiveRecord,
  DeployOutcome,
  DeploySpec,
  HistoryEntry,
  ReleaseRecord,
  TargetSpec
} from './types.js';

/** The release's stack file, images pinned by digest, beside its compose.yml. */
export const STACK_FILE = 'stack.yml';

/** The Swarm stack of an app in an environment (the same name its compose project would have). */
export function stackName(spec: TargetSpec): string {
  return projectName(spec.app, envSlug(spec));
}

/**
 * Bad input for `strategy: swarm`, refused before anything changes: one manager as the host, and a compose
 * file Swarm runs as written (packages/swarm names each key it would drop or ignore).
 */
export function checkSwarmSpec(d: Pick<DeploySpec, 'hosts' | 'composeText' | 'images'>): void {
  if (d.hosts.length !== 1)
    throw new InputError(
      'hosts',
      `strategy swarm deploys through one swarm manager, but ${d.hosts.length} hosts were given`,
      'give one manager as `host`: Swarm places the tasks on its nodes (`deploy.placement.constraints` in the compose file chooses which)'
    );
  swarmStackFile(d.composeText, releaseImages(d, composeInfo(d)));
}

function target(ctx: HostContext, spec: TargetSpec): SwarmTarget {
  return {
    executor: ctx.host.executor,
    logger: ctx.host.logger,
    stack: stackName(spec),
    commandTimeoutMs: linkTimeoutMs(60_000, ctx.host.noopMs)
  };
}

/** The stack file of a release already on the manager, for a redeploy (rollback). */
export function releaseStack(ctx: HostContext, record: ReleaseRecord): StackSource {
  return {
    path: join(releaseDir(ctx.host.layout, record.id), STACK_FILE),
    services: Object.keys(record.digests),
    images: record.digests
  };
}

function convergeFailure(c: ConvergeResult): string {
  const detail = c.services.map((s) => `${s.service}: ${s.detail}`).join('; ');
  return c.timedOut
    ? `did not converge within ${formatMs(c.durationMs)} (${detail})`
    : `failed to converge (${detail})`;
}

/** The end of a good run, one session: active.json and `current`, the record, history, the lock. */
async function finishSwarm(
  ctx: HostContext,
  s: RunState,
  history: readonly HistoryEntry[]
): Promise<RunState> {
  const release: ReleaseRecord = {
    ...s.release!,
    status: 'deployed',
    activatedAt: ctx.rec.clock.now().toISOString()
  };
  const steps = [
    ...switchSteps(ctx, s, s.candidate!, release, s.pending),
    commitStep(ctx, 'record the release', [recordFile(release)], history),
    ...(s.lock ? [lockReleaseStep(ctx.host.layout.lock, s.lock.holder.token)] : [])
  ];
  const r = await ctx.host.phase('finish', steps, 60_000);
  const released = r.get('release the deploy lock')?.exitCode === 0;
  if (released) {
    await s.lock?.stop();
    ctx.deps.onLock?.(ctx.host.name, undefined);
  }
  const failed = r.failed(steps);
  if (failed)
    throw new DeployError(
      `Recording release ${release.id} on ${ctx.host.name} failed at '${failed.name}': ${(failed.stderr || failed.stdout).trim()}`
    );
  return { ...s, release, pending: [], lockReleased: released };
}

/**
 * `strategy: swarm`: the release directory on the manager (compose file, .env, stack.yml with digests,
 * release.json), `docker stack deploy --with-registry-auth` from a private DOCKER_CONFIG, a wait until every
 * task of the new spec runs (healthy where the image has a HEALTHCHECK), the gate, and on failure a rollback:
 * redeploy the previous release's stack.yml (or Swarm's `service rollback` when there is none), gated again.
 * Lock, history, events and release records as on compose hosts. Never throws for a failed deploy.
 */
export async function deploySwarm(d: DeploySpec, deps: DeploySwarmDeps): Promise<DeployOutcome> {
  checkSwarmSpec(d);
  const begun = beginDeploy(d, deps);
  const { clock, rec, deadline, releaseId, outcome } = begun;
  await rec.emit('deploy.started', d.version, { release: releaseId, strategy: 'swarm', hosts: d.hosts });
  let run: HostRun;
  try {
    [run] = (await openHosts(d, deps, rec, deadline, 'swarm', 'deploy', {
      lock: true,
      releaseHint: releaseId,
      needNginx: false
    })) as [HostRun];
  } catch (err) {
    return begun.openFailed(err);
  }
  const { ctx } = run;
  const t = target(ctx, d);
  const before = run.state.before;
  outcome.previousReleaseId = before?.active.release;
  const wait = () => ({
    timeoutMs: Math.max(1000, deadline.remaining() - 10_000),
    pollMs: deps.pollMs ?? 1000
  });
  let deployed: StackDeployResult | undefined;
  try {
    if (before && before.active.strategy !== 'swarm')
      throw new DeployError(
        `${ctx.host.name} runs ${before.active.release} with strategy ${before.active.strategy}; switching to swarm in place is not supported`,
        {
          state: 'nothing was changed',
          hint: `deploy the swarm stack as another app or environment, then retire the ${before.active.strategy} one`
        }
      );
    await assertManager(t);
    const record = begun.record(before?.active.release);
    try {
      run.state = await preparePhase(ctx, run.state, d, record);
    } catch (err) {
      run.state = stateAfter(err, run.state);
      throw err;
    }
    const release = run.state.release!;
    outcome.digests = { ...release.digests };
    const file = swarmStackFile(d.composeText, release.digests);
    const stack = releaseStack(ctx, release);
    const write = [
      commitStep(
        ctx,
        'write the stack file',
        [{ path: releaseFile(release.id, STACK_FILE), content: file.text }],
        []
      )
    ];
    (await ctx.host.phase('stack file', write, 60_000)).expectOk(write);
    const candidate: ActiveRecord = {
      release: release.id,
      strategy: 'swarm',
      project: t.stack,
      since: clock.now().toISOString()
    };
    run.state = { ...run.state, candidate, switched: true };
    deployed = await deployStack(t, stack, {
      ...wait(),
      ...(d.registry ? { registryAuth: d.registry } : {})
    });
    ctx.host.logger.info(
      `swarm: ${deployed.converge.services.map((v) => `${v.service}: ${v.detail}`).join('; ')}`
    );
    run.state = {
      ...run.state,
      pending: [
        ...run.state.pending,
        entry(ctx, run.state, 'stack.deployed', {
          stack: t.stack,
          converge: deployed.converge.state,
          changed: deployed.changed,
          durationMs: deployed.converge.durationMs
        })
      ]
    };
    if (deployed.converge.state !== 'converged')
      throw new DeployError(`Stack ${t.stack} ${convergeFailure(deployed.converge)} on ${ctx.host.name}`, {
        hint: '`docker service ps --no-trunc <service>` on the manager shows each task and its error'
      });
    try {
      run.state = await begun.gate(ctx, run.state, release);
    } catch (err) {
      run.state = stateAfter(err, run.state);
      throw err;
    }
    run.state = await finishSwarm(ctx, run.state, [begun.completedEntry(ctx, release.digests)]);
    await begun.complete();
  } catch (err) {
    await undoSwarm(d, run, t, err, deployed, outcome, rec, wait());
  } finally {
    outcome.hosts.push(begun.served(run, before));
    await closeHost(ctx, run.state);
  }
  return begun.end();
}

/** A swarm deploy failed: put back what served (gated), record the failure, release the lock. */
async function undoSwarm(
  d: DeploySpec,
  run: HostRun,
  t: SwarmTarget,
  err: unknown,
  deployed: StackDeployResult | undefined,
  outcome: DeployOutcome,
  rec: Recorder,
  wait: { timeoutMs: number; pollMs: number }
): Promise<void> {
  const { ctx } = run;
  const error = err instanceof DeployActionsError ? err : new DeployError(describeError(err));
  const what = error.message.split('\n')[0]!;
  const before = run.state.before;
  const history: HistoryEntry[] = [];
  let state = before ? `release ${before.active.release} is still serving` : 'nothing was serving';
  let restored = true;
  try {
    if (deployed && d.autoRollback) {
      const previous =
        before?.record && before.active.strategy === 'swarm' ? releaseStack(ctx, before.record) : undefined;
      const back = await rollbackStack(t, deployed, {
        ...wait,
        ...(previous ? { previous } : {}),
        ...(d.registry ? { registryAuth: d.registry } : {})
      });
      restored = back.state === 'converged';
      if (before?.record) {
        const g = await gatePhase(ctx, run.state, before.record);
        run.state = g.state;
        if (g.result && g.result.verdict !== 'healthy') restored = false;
        outcome.rolledBack = true;
        history.push(
          ctx.rec.entry(ctx.host.name, 'rollback.executed', {
            release: outcome.releaseId,
            version: d.version,
            from: outcome.releaseId,
            to: before.active.release,
            reason: what,
            automatic: true,
            how: back.how
          })
        );
        state = restored
          ? `release ${before.active.release} serves again (${back.how === 'redeploy' ? `its ${STACK_FILE} redeployed` : 'docker service rollback'}; rolled back automatically)`
          : `release ${before.active.release} was redeployed but is NOT healthy or did not converge`;
      } else
        state =
          back.how === 'removed' ? 'the stack was removed: nothing served before this first deploy' : state;
    } else if (deployed) {
      restored = false;
      state = `release ${outcome.releaseId} (failed) is still deployed: auto-rollback is off`;
    }
    const failedRecord = run.state.release
      ? { ...run.state.release, status: 'failed' as const, reason: what }
      : undefined;
    history.push(
      ctx.rec.entry(ctx.host.name, 'deploy.failed', {
        release: outcome.releaseId,
        version: d.version,
        reason: what
      })
    );
    run.state = await recordFailure(ctx, { ...run.state, switched: false }, history, failedRecord);
  } catch (cleanupErr) {
    restored = false;
    state += `; cleanup failed: ${describeError(cleanupErr).split('\n')[0]}`;
  }
  if (outcome.rolledBack)
    await rec.emit('rollback.executed', d.version, {
      release: outcome.previousReleaseId ?? '',
      from: outcome.releaseId,
      reason: what,
      automatic: true
    });
  await rec.emit('deploy.failed', d.version, {
    release: outcome.releaseId,
    reason: what,
    rolledBack: outcome.rolledBack
  });
  outcome.error = new DeployError(
    `Deploy of ${d.app}/${d.environment} release ${outcome.releaseId} (swarm stack ${t.stack}) failed: ${error.message}`,
    {
      state,
      hint: restored
        ? 'fix the cause above and deploy again (docs/runbooks/failed-deploy.md)'
        : 'act now: check the stack on the manager (`docker stack ps`) and roll back with the rollback action (docs/runbooks/manual-rollback.md)',
      cause: err
    }
  );
}

export type DeploySwarmDeps = Parameters<typeof openHosts>[1] & { pollMs?: number };

function swarmWait(ctx: HostContext): { timeoutMs: number; pollMs: number } {
  return { timeoutMs: Math.max(1000, ctx.host.deadline.remaining() - 10_000), pollMs: 1000 };
}

/**
 * Rollback on a swarm manager: redeploy the target release's own stack.yml and wait until it runs. The
 * caller gates it and finishes with `finishSwarmRun`; on failure `revertSwarm` puts back what served.
 */
export async function activateSwarm(
  ctx: HostContext,
  s: RunState,
  targetRelease: ReleaseRecord
): Promise<RunState> {
  const t = target(ctx, ctx.spec);
  await assertManager(t);
  const candidate: ActiveRecord = {
    release: targetRelease.id,
    strategy: 'swarm',
    project: t.stack,
    since: ctx.rec.clock.now().toISOString()
  };
  const r = await deployStack(t, releaseStack(ctx, targetRelease), {
    ...swarmWait(ctx),
    ...(ctx.spec.registry ? { registryAuth: ctx.spec.registry } : {})
  });
  const next: RunState = { ...s, candidate, switched: true };
  if (r.converge.state !== 'converged')
    throw failWith(
      new DeployError(`Stack ${t.stack} ${convergeFailure(r.converge)} on ${ctx.host.name}`),
      next
    );
  return next;
}

/** Put back the release that served before this run on a swarm manager (its stack.yml). */
export async function revertSwarm(
  ctx: HostContext,
  s: RunState
): Promise<{ state: RunState; serving: string }> {
  const before = s.before;
  if (!s.switched || !before?.record)
    return {
      state: s,
      serving: before ? `release ${before.active.release} is still serving` : 'nothing was serving'
    };
  const t = target(ctx, ctx.spec);
  const r = await deployStack(t, releaseStack(ctx, before.record), {
    ...swarmWait(ctx),
    ...(ctx.spec.registry ? { registryAuth: ctx.spec.registry } : {})
  });
  const ok = r.converge.state === 'converged';
  return {
    state: { ...s, switched: !ok },
    serving: ok
      ? `release ${before.active.release} serves again`
      : `release ${before.active.release} was redeployed but ${convergeFailure(r.converge)}`
  };
}

export { finishSwarm as finishSwarmRun };

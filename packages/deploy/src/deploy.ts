import { join } from 'node:path/posix';
import { DeployActionsError, DeployError, HealthError, describeError } from '../../core/src/index.js';
import { volumesOverride, type ComposeFileInfo } from '../../compose/src/index.js';
import { composeFiles, composeInfo, composeTexts } from './compose-files.js';
import {
  chooseAccessories,
  needsSharedNetwork,
  networkOverride,
  reportChoice,
  sharedNetworkName
} from './accessories.js';
import { withoutUserinfo, type GateResult } from '../../health/src/index.js';
import { canarySteps } from './canary.js';
import { clockFrom } from './clock.js';
import { finishPhase, gatePhase } from './finish.js';
import { Deadline, Host, sessionCount } from './host.js';
import { layout, newReleaseId, projectName } from './layout.js';
import { SCAN_REPORT_FILE } from './scan-record.js';
import { migrateOnce } from './migrate.js';
import { openHost } from './open.js';
import { includedFiles } from './includes.js';
import { checkComposeVersion, checkStrategy, preparePhase } from './prepare.js';
import { Recorder } from './recorder.js';
import { resolveUnverified } from './resolve.js';
import { closeHost, recordFailure, revertPhase } from './revert.js';
import {
  IMAGES_FILE,
  NETWORK_FILE,
  VOLUMES_FILE,
  envSlug,
  failWith,
  newHostRun,
  stateAfter,
  type HostContext,
  type HostRun,
  type RunState
} from './run.js';
import { startPhase } from './start.js';
import { reportUserCompose, userCompose, type UserCompose } from './user-files.js';
import { switchPhase } from './switch.js';
import { configHash } from './validate.js';
import type {
  DeployOutcome,
  DeploySpec,
  EngineDeps,
  HostOutcome,
  HistoryEntry,
  ReleaseRecord,
  Strategy,
  TargetSpec
} from './types.js';
import { usesSlots } from './strategy.js';

export function gateFailure(result: GateResult): string {
  return `health gate ${result.verdict}: ${result.reason}`;
}

/** Connect and open every host (in parallel); on any failure close what was opened and throw. */
export async function openHosts(
  spec: TargetSpec,
  deps: EngineDeps,
  rec: Recorder,
  deadline: Deadline,
  strategy: Strategy,
  operation: 'deploy' | 'rollback',
  o: { lock: boolean; releaseHint?: string; needNginx: boolean }
): Promise<HostRun[]> {
  const runs: HostRun[] = [];
  const results = await Promise.allSettled(
    spec.hosts.map(async (name) => {
      const own = deps.forHost ? deps.forHost(name, spec) : spec;
      const l = layout(own.stateDir, own.app, envSlug(own));
      const executor = await deps.connect(name);
      const ctx: HostContext = {
        host: new Host(name, executor, l, deadline, deps.logger),
        spec: own,
        strategy,
        rec,
        deps,
        operation
      };
      const run = newHostRun(ctx);
      runs.push(run);
      run.state = await openHost(ctx, run.state, o);
      return run;
    })
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(runs.map((r) => closeHost(r.ctx, r.state)));
    throw (failed as PromiseRejectedResult).reason;
  }
  // In the order the hosts were given.
  return spec.hosts.map((h) => runs.find((r) => r.ctx.host.name === h)!);
}

async function eachParallel(runs: HostRun[], fn: (r: HostRun) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(runs.map(fn));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** Run a phase and keep the state it leaves, also when it fails. */
async function step(r: HostRun, fn: (s: HostRun['state']) => Promise<HostRun['state']>): Promise<void> {
  try {
    r.state = await fn(r.state);
  } catch (err) {
    r.state = stateAfter(err, r.state);
    throw err;
  }
}

/** What one host's run did, for the outcome and the per-host summary table (deploy, rollback, swarm). */
export function hostOutcome(r: HostRun, rolledBack: boolean): HostOutcome {
  const sessions = sessionCount(r.ctx.host.executor);
  return {
    host: r.ctx.host.name,
    release: r.state.release?.id,
    previous: r.state.before?.active.release,
    digests: r.state.release?.digests ?? {},
    ...(r.state.gate ? { gate: r.state.gate } : {}),
    rolledBack,
    ...(sessions !== undefined ? { sessions } : {}),
    noopMs: r.ctx.host.noopMs
  };
}

/** service → the image reference this release runs: the `images` input, else the compose file's own. */
export function releaseImages(
  d: Pick<DeploySpec, 'images'>,
  info: ComposeFileInfo,
  accessories: readonly string[] = []
): Record<string, string> {
  const images: Record<string, string> = {};
  for (const s of info.services) {
    if (accessories.includes(s)) continue;
    const ref = d.images[s] ?? info.images[s];
    if (ref) images[s] = ref;
  }
  return images;
}

/**
 * The files a release directory holds besides compose.yml, .env and release.json: the further compose files
 * given (compose.2.yml, …), then the overrides the deploy writes (images first, written by prepare itself),
 * pinned volume names, and the shared network when there are accessories and some service is not on the
 * host network. `overrides` is what compose gets after compose.yml (undefined: the default).
 */
export function releaseFiles(
  d: DeploySpec,
  info: ComposeFileInfo,
  accessories: readonly string[]
): { overrides?: string[]; extra: { name: string; content: string }[] } {
  const extra = (d.composeMore ?? []).map((content, i) => ({ name: `compose.${i + 2}.yml`, content }));
  const names = extra.map((f) => f.name);
  const volumes = volumesOverride(info, projectName(d.app, envSlug(d)));
  const mine: { name: string; content: string }[] = [];
  if (volumes) mine.push({ name: VOLUMES_FILE, content: volumes });
  if (accessories.length && needsSharedNetwork(info))
    mine.push({ name: NETWORK_FILE, content: networkOverride(sharedNetworkName(d.app, envSlug(d))) });
  const overrides = [...names, IMAGES_FILE, ...mine.map((f) => f.name)];
  // The report the image was judged on: beside the release's record, which names its sha256.
  const scan = d.scan ? [{ name: SCAN_REPORT_FILE, content: d.scan.report }] : [];
  return {
    ...(overrides.length > 1 ? { overrides } : {}),
    extra: [...extra, ...mine, ...scan]
  };
}

/** What every deploy starts with, whatever its strategy: one clock, the recorder, the deadline, an empty outcome. */
export function beginDeploy(d: DeploySpec, deps: EngineDeps) {
  const clock = clockFrom(deps.now);
  const rec = new Recorder(d, deps, clock);
  const releaseId = newReleaseId(clock.now());
  const started = clock.ms();
  const outcome: DeployOutcome = {
    ok: false,
    releaseId,
    digests: {},
    rolledBack: false,
    durationMs: 0,
    events: rec.events,
    hosts: []
  };
  const info = composeInfo(d);
  const choice =
    d.strategy === 'swarm'
      ? { accessories: [], how: 'none' as const }
      : chooseAccessories(d.accessories ?? [], info, d.images);
  reportChoice(choice, deps.logger);
  const accessories = choice.accessories;
  const images = releaseImages(d, info, accessories);
  return {
    clock,
    started,
    rec,
    deadline: new Deadline(d.timeoutMs, 'deploy', clock),
    releaseId,
    outcome,
    info,
    images,
    accessories,
    /** The hosts could not be opened: nothing changed anywhere. */
    async openFailed(err: unknown): Promise<DeployOutcome> {
      const error = err instanceof DeployActionsError ? err : new DeployError(describeError(err));
      outcome.error = error;
      outcome.durationMs = clock.ms() - started;
      await rec.emit('deploy.failed', d.version, {
        release: releaseId,
        reason: error.message.split('\n')[0]
      });
      return outcome;
    },
    /** The record of this release on one host, before anything of it runs. */
    record(previous: string | undefined, extra: Partial<ReleaseRecord> = {}): ReleaseRecord {
      return {
        id: releaseId,
        app: d.app,
        environment: d.environment,
        version: d.version,
        strategy: d.strategy,
        images: { ...images },
        digests: {},
        configHash: configHash(composeTexts(d), images, d.envText),
        actor: deps.context.actor,
        runUrl: deps.context.runUrl,
        createdAt: clock.now().toISOString(),
        status: 'pending',
        ...(d.scan ? { scan: d.scan.record } : {}),
        ...extra,
        ...(previous ? { previous } : {})
      };
    },
    /** Gate what one host now serves; a verdict other than healthy fails the deploy. */
    async gate(ctx: HostContext, s: RunState, release: ReleaseRecord): Promise<RunState> {
      const g = await gatePhase(ctx, s, release);
      if (g.result) outcome.gate = g.result;
      if (g.result && g.result.verdict !== 'healthy')
        throw failWith(
          new HealthError(`Release ${releaseId} failed its ${gateFailure(g.result)} on ${ctx.host.name}`, {
            hint: 'read the gate evidence in the job summary'
          }),
          g.state
        );
      return g.state;
    },
    /** The history line each host writes when the deploy completed. */
    completedEntry(ctx: HostContext, digests: Record<string, string>): HistoryEntry {
      return ctx.rec.entry(ctx.host.name, 'deploy.completed', {
        release: releaseId,
        version: d.version,
        digests,
        durationMs: clock.ms() - started,
        ...(d.scan ? { scan: d.scan.record } : {})
      });
    },
    /** Every host completed: the deploy is done, and the world is told once. */
    async complete(): Promise<void> {
      outcome.ok = true;
      await rec.emit('deploy.completed', d.version, {
        release: releaseId,
        digests: outcome.digests,
        durationMs: clock.ms() - started,
        ...(d.scan ? { scan: d.scan.record } : {})
      });
    },
    /** One host's line in the outcome: what it did and what serves there now. */
    served(r: HostRun, before: RunState['before']): HostOutcome {
      return {
        ...hostOutcome(r, outcome.rolledBack),
        outcome: outcome.ok
          ? `serving ${releaseId}`
          : before
            ? `serving ${before.active.release}`
            : 'nothing serving'
      };
    },
    /** The outcome, stamped with its URL and duration. */
    end(): DeployOutcome {
      // Without userinfo: the URL goes to outputs, the summary and the Deployment's environment_url.
      const url = d.gate?.urls[0]?.url;
      outcome.url = url ? withoutUserinfo(url) : undefined;
      outcome.durationMs = clock.ms() - started;
      return outcome;
    }
  };
}

/**
 * Deploy a release to every host with its strategy, gate it, and undo it when the gate fails (auto-rollback).
 * Phases, each one SSH session per host: open, prepare, start, switch, (gate from the runner), finish.
 * Never throws for a failed deploy: the outcome carries the error, so outputs can still be set.
 */
export async function deploy(d: DeploySpec, deps: EngineDeps): Promise<DeployOutcome> {
  const begun = beginDeploy(d, deps);
  const { rec, deadline, releaseId, outcome, info, accessories } = begun;
  // The compose files as users write them: the release's copy, rewritten where two slots need it.
  let user: UserCompose;
  try {
    user = userCompose(d, accessories);
    // Files an `include:` names ship with the release too (Compose v2.20+ resolves them there).
    const included = includedFiles(d.composeDir, composeFiles(d));
    if (included.length)
      user = {
        ...user,
        files: [...user.files.filter((f) => !included.some((x) => x.name === f.name)), ...included]
      };
  } catch (err) {
    return begun.openFailed(err);
  }
  reportUserCompose(user, deps.logger);
  if (user.report.length || user.plan.warnings.length)
    outcome.compose = { report: user.report, warnings: user.plan.warnings };
  const [composeText = d.composeText, ...composeMore] = user.texts;
  const shipped = { composeText, ...(composeMore.length ? { composeMore } : {}) };
  const files = releaseFiles({ ...d, ...shipped }, info, accessories);
  await rec.emit('deploy.started', d.version, { release: releaseId, strategy: d.strategy, hosts: d.hosts });
  let runs: HostRun[] = [];
  try {
    runs = await openHosts(d, deps, rec, deadline, d.strategy, 'deploy', {
      lock: true,
      releaseHint: releaseId,
      needNginx: usesSlots(d.strategy)
    });
  } catch (err) {
    return begun.openFailed(err);
  }
  try {
    // A switch an earlier (killed) run never verified is resolved first: verified, or reverted.
    await eachParallel(runs, (r) => step(r, (s) => resolveUnverified(r.ctx, s)));
    outcome.previousReleaseId = runs[0]!.state.before?.active.release;
    for (const r of runs) {
      checkStrategy(r.ctx, r.state);
      checkComposeVersion(r.ctx, r.state, info);
    }
    await eachParallel(runs, (r) =>
      step(r, (s) => {
        const record = begun.record(s.before?.active.release, {
          ...(files.overrides ? { overrides: files.overrides } : {}),
          ...(accessories.length ? { accessories: [...accessories] } : {}),
          ...(user.plan.awaitHealthy.length ? { awaitHealthy: [...user.plan.awaitHealthy] } : {})
        });
        return preparePhase(r.ctx, s, { ...d, ...r.ctx.spec, ...shipped }, record, files.extra, user);
      })
    );
    outcome.digests = { ...runs[0]!.state.release!.digests };
    // migrate-command: once, on the first host, before any traffic moves under any strategy (migrate.ts).
    if (d.migrate) await migrateOnce(runs, d, d.migrate, outcome);
    // rolling and recreate: one host at a time, gated before the next; blue-green: every host ready, then
    // every host switched, then gated.
    const batches = d.strategy === 'blue-green' || d.strategy === 'canary' ? [runs] : runs.map((r) => [r]);
    for (const batch of batches) {
      await eachParallel(batch, (r) =>
        step(r, (s) => startPhase(r.ctx, s, { writeRecord: true, alsoSwitch: false }))
      );
      // canary: the steps below 100% (canary.ts); the switch and gate below are its last step.
      if (d.strategy === 'canary') await canarySteps(batch, d, outcome);
      await eachParallel(
        batch.filter(() => usesSlots(d.strategy)),
        (r) => step(r, (s) => switchPhase(r.ctx, s))
      );
      for (const r of batch) await step(r, (s) => begun.gate(r.ctx, s, s.release!));
    }
    await eachParallel(runs, (r) =>
      step(r, (s) => finishPhase(r.ctx, s, d.keepReleases, [begun.completedEntry(r.ctx, s.release!.digests)]))
    );
    await begun.complete();
  } catch (err) {
    await undoDeploy(d, runs, err, outcome, rec);
  } finally {
    for (const r of runs) {
      outcome.hosts.push(begun.served(r, r.state.before));
      await closeHost(r.ctx, r.state);
    }
  }
  return begun.end();
}

/** A deploy failed: return every host that moved to what served before, gate that, record it everywhere. */
async function undoDeploy(
  d: DeploySpec,
  runs: HostRun[],
  err: unknown,
  outcome: DeployOutcome,
  rec: Recorder
): Promise<void> {
  const logger = runs[0]?.ctx.deps.logger;
  const error = err instanceof DeployActionsError ? err : new DeployError(describeError(err));
  const what = error.message.split('\n')[0]!;
  const releaseId = outcome.releaseId;
  logger?.warning(`deploy of ${releaseId} failed: ${what}; cleaning up`);
  const serving: string[] = [];
  let restoredAll = true;
  let anySwitched = false;
  for (const r of runs) {
    const s0 = r.state;
    anySwitched ||= s0.switched;
    if (!s0.release) continue;
    const name = r.ctx.host.name;
    // Its finish completed: the release passed its gate here and is recorded; the lock is released. It stays.
    if (s0.finished) {
      serving.push(`release ${releaseId} (gated and recorded) is serving on ${name}`);
      restoredAll = false;
      continue;
    }
    try {
      const history: HistoryEntry[] = [];
      if (!d.autoRollback && s0.switched) {
        serving.push(`release ${releaseId} (failed) is still serving on ${name}: auto-rollback is off`);
        restoredAll = false;
      } else {
        const rv = await revertPhase(r.ctx, s0);
        r.state = rv.state;
        serving.push(rv.serving);
        if (rv.left) {
          restoredAll = false;
          continue;
        }
        restoredAll &&= rv.restored;
        if (s0.switched && s0.before?.record) {
          // Gate what serves again: a rollback is only done when it is healthy.
          const g = await gatePhase(r.ctx, r.state, s0.before.record);
          r.state = g.state;
          if (g.result && g.result.verdict !== 'healthy') {
            restoredAll = false;
            serving.push(
              `but the previous release ${s0.before.active.release} on ${name} is NOT healthy either (${gateFailure(g.result)})`
            );
          }
          outcome.rolledBack = true;
          // A critical environment's automatic rollback is an incident (the notifier sends it too): the
          // hosts keep it, so delivery reports count it.
          if (d.critical)
            history.push(
              r.ctx.rec.entry(name, 'incident.opened', {
                release: releaseId,
                version: d.version,
                failedRelease: releaseId,
                reason: what,
                serving: `release ${s0.before.active.release}`,
                severity: 'critical',
                automatic: true
              })
            );
          history.push(
            r.ctx.rec.entry(name, 'rollback.executed', {
              release: releaseId,
              version: d.version,
              from: releaseId,
              to: s0.before.active.release,
              reason: what,
              automatic: true
            })
          );
        }
      }
      const failedRecord = { ...s0.release, status: 'failed' as const, reason: what };
      history.push(
        r.ctx.rec.entry(name, 'deploy.failed', { release: releaseId, version: d.version, reason: what })
      );
      r.state = await recordFailure(r.ctx, r.state, history, failedRecord);
    } catch (cleanupErr) {
      restoredAll = false;
      serving.push(`cleanup on ${name} failed: ${describeError(cleanupErr).split('\n')[0]}`);
    }
  }
  if (outcome.rolledBack)
    await rec.emit('rollback.executed', d.version, {
      release: outcome.previousReleaseId ?? '',
      from: releaseId,
      reason: what,
      automatic: true
    });
  await rec.emit('deploy.failed', d.version, {
    release: releaseId,
    reason: what,
    rolledBack: outcome.rolledBack,
    ...(d.scan ? { scan: d.scan.record } : {})
  });
  const state =
    serving.join('; ') +
    (anySwitched && d.autoRollback && restoredAll && outcome.rolledBack
      ? ' (rolled back automatically)'
      : '');
  // Refused before any release directory was written (a check on what the host offers): its own words hold.
  const untouched = runs.every((r) => !r.state.release) && error.state !== undefined;
  outcome.error = new DeployError(
    `Deploy of ${d.app}/${d.environment} release ${releaseId} failed: ${error.message}`,
    untouched
      ? { state: error.state, ...(error.hint ? { hint: error.hint } : {}), cause: err }
      : {
          state,
          hint: restoredAll
            ? `fix the cause above and deploy again; the failed release stays in ${join(d.stateDir, d.app, envSlug(d), 'releases', releaseId)} for inspection (docs/runbooks/failed-deploy.md)`
            : 'act now: check what serves (docs/runbooks/failed-deploy.md) and roll back by hand with the rollback action or `deploy-actions rollback` (docs/runbooks/manual-rollback.md)',
          cause: err
        }
  );
}

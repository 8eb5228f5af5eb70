import { join } from 'node:path/posix';
import { DeployError, HealthError, formatMs } from '../../core/src/index.js';
import {
  ACCESSORIES_BEFORE,
  ACCESSORIES_RECORD,
  accessoriesProject,
  accessoryChanges,
  accessorySteps,
  retiredBy,
  parseAccessoryState,
  releaseUpOptions,
  sharedNetworkName
} from './accessories.js';
import { composeUpArgv, imagesOverride, type ComposeTool } from '../../compose/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import { hostHttpCheckArgv, pullIfMissingArgv, removeTreeArgv, startSlotArgv } from './commands.js';
import { decodeWaitReady, waitReadyArgv } from './wait-ready.js';
import { loginArgv, pullArgv, withDockerConfig } from '../../docker/src/index.js';
import { registryOf } from './images.js';
import type { RegistryLogin } from './types.js';
import { stepError, type PhaseResult } from './host.js';
import { otherSlot, projectName, releaseDir } from './layout.js';
import {
  ACCESSORIES_STATE,
  IMAGES_FILE,
  NETWORK_FILE,
  commitStep,
  envSlug,
  failWith,
  project,
  recordFile,
  releaseFile,
  slotPort,
  type HostContext,
  type RunState
} from './run.js';
import { gated, switchSteps } from './switch.js';
import { awaitHealthyArgv } from './user-files.js';
import type { ActiveRecord, HistoryEntry, ReleaseRecord } from './types.js';

const WAIT = 'wait until ready';
const AWAIT = 'wait for healthy accessories';

/** Where the release will run: the idle slot (slots) or the app's one project (recreate). Pure. */
export function candidateFor(ctx: HostContext, s: RunState, release: ReleaseRecord): ActiveRecord {
  const since = ctx.rec.clock.now().toISOString();
  if (ctx.strategy === 'recreate')
    return {
      release: release.id,
      strategy: 'recreate',
      project: projectName(ctx.spec.app, envSlug(ctx.spec)),
      ...(ctx.spec.publicPort !== undefined ? { port: ctx.spec.publicPort } : {}),
      since
    };
  const slot = otherSlot(s.before?.active.slot);
  return {
    release: release.id,
    strategy: ctx.strategy,
    project: projectName(ctx.spec.app, envSlug(ctx.spec), slot),
    slot,
    port: slotPort(ctx.spec, slot),
    since
  };
}

/**
 * The start phase, one session: (the release record with pinned digests), the accessories (a deploy), the
 * idle slot's kept containers started again when they are this release's or else the slot cleared and
 * `compose up`, and wait ON THE HOST until the containers run (healthy) and the slot answers. Under recreate
 * the switch record rides along; a rollback adds the whole switch (`alsoSwitch`).
 */
export async function startPhase(
  ctx: HostContext,
  s: RunState,
  o: { writeRecord: boolean; alsoSwitch: boolean }
): Promise<RunState> {
  const { host, spec } = ctx;
  const release = s.release!;
  const candidate = candidateFor(ctx, s, release);
  const tool = s.tools!.compose;
  const url =
    spec.slotCheckPath && candidate.port !== undefined && s.tools?.http
      ? `http://127.0.0.1:${candidate.port}${spec.slotCheckPath}`
      : undefined;
  if (spec.slotCheckPath && candidate.port !== undefined && !s.tools?.http)
    host.logger.warning(
      `neither curl nor wget on ${host.name}: the new containers are checked by their state only before traffic moves`
    );
  const recreate = ctx.strategy === 'recreate';
  let next: RunState = { ...s, candidate, switched: recreate || s.switched };
  const steps: ScriptStep[] = [];
  if (o.writeRecord)
    steps.push(
      commitStep(
        ctx,
        'pin image digests',
        [
          { path: releaseFile(release.id, IMAGES_FILE), content: imagesOverride(release.digests) },
          recordFile(release)
        ],
        [
          ...s.pending,
          ctx.rec.entry(host.name, 'images.pulled', {
            release: release.id,
            version: release.version,
            digests: release.digests
          })
        ]
      )
    );
  else if (s.pending.length) steps.push(commitStep(ctx, 'record history', [], s.pending));
  // A deploy (not a rollback) brings its accessories up first, unless its migrate phase did; an unchanged one
  // keeps its container.
  const acc = o.writeRecord ? deployAccessories(ctx, s, release, tool) : undefined;
  steps.push(...(acc?.steps ?? []));
  if (acc?.retired) next = { ...next, retired: acc.retired };
  // A rollback past the release that introduced accessories still leaves them to their own project.
  const up = composeUpArgv(
    tool,
    project(ctx, release, candidate),
    releaseUpOptions(
      release,
      release.accessories?.length ? release.accessories : (s.before?.record?.accessories ?? [])
    )
  );
  // A slot that waits for an accessory's health (depends_on … service_healthy) starts after it, with --no-deps.
  if (release.awaitHealthy?.length)
    steps.push({
      name: AWAIT,
      argv: awaitHealthyArgv(
        accessoriesProject(spec.app, envSlug(spec)),
        release.awaitHealthy,
        Math.min(spec.startTimeoutMs, host.deadline.remaining()) / 1000
      )
    });
  // A rollback re-pulls, by digest, what the host no longer has (pruned, a new host) with its own login.
  if (!o.writeRecord && spec.registry)
    steps.push(...repullSteps(ctx, release.id, release.digests, spec.registry));
  steps.push(
    {
      name: `compose up ${candidate.project}`,
      // Slots: the idle slot's stopped containers when they are this release's (a rollback), else cleared.
      argv: recreate ? up : startSlotArgv(candidate.project, releaseDir(host.layout, release.id), up)
    },
    {
      name: WAIT,
      argv: waitReadyArgv(
        candidate.project,
        Math.min(spec.startTimeoutMs, host.deadline.remaining()) / 1000,
        url ? hostHttpCheckArgv(s.tools!.http!, url, 3) : []
      )
    }
  );
  const started = ctx.rec.entry(host.name, 'release.started', {
    release: release.id,
    version: release.version,
    project: candidate.project,
    slot: candidate.slot ?? null,
    port: candidate.port ?? null
  });
  const switching = recreate || o.alsoSwitch;
  if (switching) steps.push(...switchSteps(ctx, next, candidate, release, [started], gated(ctx)));
  // A phase cut part way (a dropped link, a timeout) may have started the candidate: revert must know it.
  const r = await host.phase('start', steps, 5 * 60_000 + spec.startTimeoutMs).catch((err: Error) => {
    throw failWith(err, { ...next, switched: next.switched || switching });
  });
  const accLines = acc?.report(r) ?? [];
  next = { ...next, pending: switching ? accLines : [started, ...accLines] };
  const failed = r.failed(steps);
  if (!failed) return { ...next, switched: switching || next.switched };
  if (failed.name === WAIT)
    throw failWith(waitError(ctx, release, failed.exitCode, failed.stdout, url), next);
  if (failed.name === AWAIT)
    throw failWith(
      new HealthError(
        `Accessories of release ${release.id} did not become healthy on ${host.name} within ${formatMs(spec.startTimeoutMs)} (${failed.stdout.trim().replace(/^timeout\s*/, '')}): the slot waits for them (depends_on … condition: service_healthy)`,
        { hint: "check the accessory's healthcheck and logs; raise `start-timeout` if it is slow to start" }
      ),
      next
    );
  // A switch step that failed after the wait: traffic may or may not have moved; revert decides.
  throw failWith(stepError(failed, host.name), { ...next, switched: next.switched || !!r.get(WAIT) });
}

/** Say what the accessories' `up` did (kept, started, recreated because the spec changed); a history line. */
function accessoriesReport(ctx: HostContext, release: ReleaseRecord, r: PhaseResult): HistoryEntry {
  const acc = release.accessories ?? [];
  const changes = accessoryChanges(
    acc,
    parseAccessoryState(r.get(ACCESSORIES_BEFORE)?.stdout ?? ''),
    parseAccessoryState(r.get(ACCESSORIES_RECORD)?.stdout ?? '')
  );
  const h = ctx.host.name;
  if (changes.recreated.length)
    ctx.host.logger.info(
      `accessories on ${h}: recreated ${changes.recreated.join(', ')} (spec changed)${changes.kept.length ? `; kept ${changes.kept.join(', ')} running` : ''}`
    );
  if (changes.started.length)
    ctx.host.logger.info(`accessories on ${h}: started ${changes.started.join(', ')}`);
  if (changes.kept.length && !changes.recreated.length)
    ctx.host.logger.info(`accessories on ${h}: kept ${changes.kept.join(', ')} running (spec unchanged)`);
  return ctx.rec.entry(h, 'accessories.up', {
    release: release.id,
    version: release.version,
    project: accessoriesProject(ctx.spec.app, envSlug(ctx.spec)),
    ...changes
  });
}

function waitError(
  ctx: HostContext,
  release: ReleaseRecord,
  code: number,
  out: string,
  url: string | undefined
): Error {
  const h = ctx.host.name;
  const within = formatMs(ctx.spec.startTimeoutMs);
  const hint =
    'check the health endpoint and the container logs; raise `start-timeout` if it is slow to start';
  const notReady = (why: string) =>
    new HealthError(`Release ${release.id} did not become ready on ${h} within ${within}: ${why}`, { hint });
  const wait = decodeWaitReady(code, out);
  switch (wait.kind) {
    case 'crashed': {
      const c = wait.container;
      return new DeployError(
        `Container ${c.name} of release ${release.id} crashed on start on ${h} (${c.status}, exit code ${c.exitCode}, ${c.restarts} restarts). Last log lines:\n${wait.logs.join('\n')}`,
        { hint: 'read the log lines above; run the image locally with the same .env to reproduce' }
      );
    }
    case 'unhealthy':
      return notReady(`${wait.container} is unhealthy`);
    case 'check-timeout':
      return notReady(`${url} does not answer (http ${wait.checkExit})`);
    case 'states-timeout':
      return notReady(
        wait.containers.length
          ? wait.containers.map((c) => `${c.name} ${c.status}/${c.health}`).join(', ')
          : 'no containers yet'
      );
    default:
      return new DeployError(
        `Waiting for release ${release.id} on ${h} failed (exit ${code}): ${out.trim()}`
      );
  }
}

/** A deploy's accessory steps, and the history line that says what they did once a phase ran them. */
export interface AccessoryRun {
  readonly steps: ScriptStep[];
  /** The `accessories.up` line, only when the steps ran to their record (a phase stopped earlier says nothing). */
  report(r: PhaseResult): HistoryEntry[];
  /** What the steps retire of the serving release (RunState.retired), set before the phase runs. */
  retired?: { project: string; services: string[] };
}

/**
 * A deploy's accessory steps (accessories.ts accessorySteps) with what this host serves. The migrate phase
 * runs them first, so a migration reaches a database the release brings as an accessory, and marks the run
 * state; the start phase then leaves them alone. Without a migration the start phase runs them.
 */
export function deployAccessories(
  ctx: HostContext,
  s: RunState,
  release: ReleaseRecord,
  tool: ComposeTool
): AccessoryRun {
  const { spec, host } = ctx;
  if (s.accessoriesUp || !release.accessories?.length) return { steps: [], report: () => [] };
  const steps = accessorySteps(ctx, tool, release, {
    ...(s.before
      ? {
          serving: {
            project: s.before.active.project,
            accessories: s.before.record?.accessories ?? []
          }
        }
      : {}),
    ...(release.overrides?.includes(NETWORK_FILE)
      ? { network: sharedNetworkName(spec.app, envSlug(spec)) }
      : {}),
    stateFile: join(host.layout.root, ACCESSORIES_STATE)
  });
  const retire = s.before
    ? retiredBy(release.accessories, { accessories: s.before.record?.accessories ?? [] })
    : [];
  return {
    steps,
    report: (r) =>
      steps.length && r.get(ACCESSORIES_RECORD)?.exitCode === 0 ? [accessoriesReport(ctx, release, r)] : [],
    ...(s.before && retire.length ? { retired: { project: s.before.active.project, services: retire } } : {})
  };
}

/**
 * The release's images from the login's registry, pulled by digest only when the host lacks them, with the login
 * in a private docker config that is removed whatever happens (the deploy's login never stays on the host).
 */
export function repullSteps(
  ctx: HostContext,
  releaseId: string,
  digests: Record<string, string>,
  login: RegistryLogin
): ScriptStep[] {
  const refs = Object.entries(digests).filter(([, ref]) => registryOf(ref) === login.registry);
  if (!refs.length) return [];
  const cfg = join(ctx.host.layout.root, `.docker-${releaseId}-again`);
  return [
    { name: 'private docker config', argv: ['mkdir', '-m', '700', '-p', cfg] },
    {
      name: `docker login ${login.registry}`,
      argv: withDockerConfig(cfg, loginArgv(login.registry, login.username)),
      stdin: login.password
    },
    ...refs.map(([service, ref]) => ({
      name: `pull ${service} again if missing`,
      argv: pullIfMissingArgv(ref, withDockerConfig(cfg, pullArgv(ref)))
    })),
    { name: 'remove the registry login', argv: removeTreeArgv(cfg), always: true, check: false }
  ];
}

import { join } from 'node:path/posix';
import { DeployError } from '../../core/src/index.js';
import {
  composeConfigArgv,
  composeTooOld,
  featuresUsed,
  imagesOverride,
  type ComposeFileInfo
} from '../../compose/src/index.js';
import { composeInfo } from './compose-files.js';
import {
  inspectArgv,
  loginArgv,
  pullArgv,
  removeProjectContainersArgv,
  withDockerConfig
} from '../../docker/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import {
  portFreeArgv,
  publicPortArgv,
  pullIfMissingArgv,
  removeTreeArgv,
  sweepDockerConfigsArgv
} from './commands.js';
import { stepError } from './host.js';
import { registryOf, repositoryOf } from './images.js';
import { otherSlot, projectName } from './layout.js';
import { proxyFiles } from './proxy.js';
import { FRONT_DOOR_CHECK, frontDoorCheckStep } from './front-door.js';
import {
  COMPOSE_FILE,
  IMAGES_FILE,
  commitStep,
  entry,
  envSlug,
  failWith,
  project,
  recordFile,
  releaseFile,
  slotPort,
  type HostContext,
  type RunState
} from './run.js';
import type { DeploySpec, ReleaseRecord } from './types.js';
import { usesSlots } from './strategy.js';
import { ADOPT_DATA, userComposeSteps, type UserCompose } from './user-files.js';

const SLOT_CHECK = 'check the slot port';
const PUBLIC_CHECK = 'check the public port';
const WRITE = 'write the release directory';
const CONFIG = 'compose config';
const FETCH = 'fetch accessory ';
const SWEEP = 'remove registry logins a stopped run left';

/** The strategy fits what runs now (pure; before any session). */
export function checkStrategy(ctx: HostContext, s: RunState): void {
  const before = s.before?.active;
  const slotted = usesSlots(ctx.strategy);
  if (before && (before.strategy === 'recreate') !== !slotted)
    throw new DeployError(
      `${ctx.host.name} runs ${before.release} with strategy ${before.strategy}; switching to ${ctx.strategy} in place is not supported`,
      {
        state: 'nothing was changed',
        hint: `keep strategy ${before.strategy}, or take the app down (docs/runbooks/failed-deploy.md) and deploy anew`
      }
    );
}

/**
 * The host's compose runs every feature the files use (pure; right after the open phase, before any change):
 * `include:` needs Compose v2.20+, so docker-compose v1 or an older plugin is refused, naming the version found
 * and the one needed. Versions compare as major.minor.patch (Debian's `2.26.1-4` is 2.26.1).
 */
export function checkComposeVersion(
  ctx: HostContext,
  s: RunState,
  info: Pick<ComposeFileInfo, 'include'>
): void {
  const tool = s.tools?.compose;
  if (!tool) return;
  const old = composeTooOld(tool, featuresUsed(info));
  if (old)
    throw new DeployError(
      `compose-file uses ${old.feature.what}, which ${old.found} (${tool.generation}) on ${ctx.host.name} cannot resolve: it needs ${old.needed}`,
      {
        state: 'nothing was changed on the host',
        hint: `install the Compose v2 plugin ${old.feature.since} or later on the host (docker compose), or give the included files in \`compose-file\` instead (newline- or comma-separated, in order, as \`docker compose -f a -f b\` merges them)`
      }
    );
}

/**
 * The prepare phase, one session: the ports the strategy needs are free, the release directory is written,
 * the host's compose resolves the files, the images are pulled (with a registry login in a private
 * DOCKER_CONFIG removed at the end) and their digests read.
 */
export async function preparePhase(
  ctx: HostContext,
  s: RunState,
  d: DeploySpec,
  release: ReleaseRecord,
  extraFiles: readonly { name: string; content: string | Buffer }[] = [],
  user?: UserCompose
): Promise<RunState> {
  const { host } = ctx;
  const tool = s.tools!.compose;
  const info = composeInfo(d);
  checkComposeVersion(ctx, s, info);
  const slotted = usesSlots(ctx.strategy);
  const before = s.before?.active;
  const slot = otherSlot(before?.slot);
  const pf = proxyFiles(host.layout.proxy);
  const cfg = join(host.layout.root, `.docker-${release.id}`);
  const files = [
    { path: releaseFile(release.id, COMPOSE_FILE), content: d.composeText },
    { path: releaseFile(release.id, '.env'), content: d.envText },
    { path: releaseFile(release.id, IMAGES_FILE), content: imagesOverride(release.images) },
    ...extraFiles.map((f) => ({ path: releaseFile(release.id, f.name), content: f.content })),
    ...(user?.files ?? []).map((f) => ({ path: releaseFile(release.id, f.name), content: f.content })),
    recordFile(release)
  ];
  const withCfg = (argv: string[]) => (d.registry ? withDockerConfig(cfg, argv) : argv);
  const services = Object.entries(release.images);
  // Accessories' images (a database) are compose's own, by tag: fetched here when the host lacks them, with
  // this deploy's login (the start phase has none left), and never refreshed. Interpolated ones compose pulls.
  const fetch = (release.accessories ?? []).flatMap((a) => {
    const ref = info.images[a];
    return ref && !ref.includes('$') ? [[a, ref] as const] : [];
  });
  const steps: ScriptStep[] = [
    ...(slotted
      ? [
          // Under the lock the idle slot serves nothing: what runs there was left by an interrupted run.
          {
            name: 'clear the idle slot',
            argv: removeProjectContainersArgv(projectName(d.app, envSlug(d), slot)),
            check: false
          },
          { name: SLOT_CHECK, argv: portFreeArgv(slotPort(ctx.spec, slot)) },
          ...(ctx.spec.frontDoor
            ? []
            : [{ name: PUBLIC_CHECK, argv: publicPortArgv(pf.pid, ctx.spec.publicPort!) }])
        ]
      : []),
    ...(ctx.spec.frontDoor ? [frontDoorCheckStep(ctx.spec)] : []),
    commitStep(ctx, WRITE, files, [
      ...s.pending,
      entry(ctx, { ...s, release }, 'deploy.started', { strategy: d.strategy }),
      entry(ctx, { ...s, release }, 'release.written', { configHash: release.configHash })
    ]),
    ...(user ? userComposeSteps(host.layout, release.id, user) : []),
    {
      name: CONFIG,
      argv: composeConfigArgv(
        tool,
        project(ctx, release, {
          project: projectName(d.app, envSlug(d)),
          port: d.publicPort ?? d.slotPorts[0]
        })
      )
    },
    // Logins a stopped run left behind (its removal step never ran) go first, whatever this deploy's registry.
    { name: SWEEP, argv: sweepDockerConfigsArgv(host.layout.root), check: false },
    ...(d.registry
      ? [
          { name: 'private docker config', argv: ['mkdir', '-m', '700', '-p', cfg] },
          {
            name: `docker login ${d.registry.registry}`,
            argv: withCfg(loginArgv(d.registry.registry, d.registry.username)),
            stdin: d.registry.password
          }
        ]
      : []),
    ...services.flatMap(([service, ref]) => [
      { name: `pull ${service}`, argv: withCfg(pullArgv(ref)) },
      { name: `inspect ${service}`, argv: inspectArgv(ref, '{{json .RepoDigests}} {{.Id}}') }
    ]),
    // From the deploy's registry with its login; from any other with the host user's own, as compose would.
    ...fetch.map(([a, ref]) => ({
      name: `${FETCH}${a}`,
      argv: pullIfMissingArgv(
        ref,
        registryOf(ref) === d.registry?.registry ? withCfg(pullArgv(ref)) : pullArgv(ref)
      )
    })),
    ...(d.registry
      ? [{ name: 'remove the registry login', argv: removeTreeArgv(cfg), always: true, check: false }]
      : [])
  ];
  const r = await host
    .phase('prepare', steps, 10 * 60_000 * Math.max(1, services.length))
    .catch((err: Error) => {
      throw failWith(err, { ...s, release, written: true });
    });
  const written = r.get(WRITE)?.exitCode === 0;
  const next: RunState = {
    ...s,
    release,
    written,
    pending: written ? [] : s.pending,
    proxyWasUp: r.get(PUBLIC_CHECK)?.stdout.includes('proxy-up') ?? false
  };
  const swept = r.get(SWEEP)?.stdout.trim();
  if (swept)
    host.logger.warning(
      `${host.name}: removed registry logins a stopped run left behind (${swept.split('\n').length}): ${swept
        .replace(/removed /g, '')
        .split('\n')
        .join(', ')}`
    );
  for (const [a, ref] of fetch)
    if (r.get(`${FETCH}${a}`)?.exitCode === 0 && !r.get(`${FETCH}${a}`)?.stdout.includes('present'))
      host.logger.info(`${host.name}: fetched ${ref} for accessory ${a} (the host lacked it)`);
  for (const line of (r.get(ADOPT_DATA)?.stdout ?? '').split('\n').filter(Boolean))
    host.logger.warning(
      `${host.name}: ${line.startsWith('left') ? `${line} (data an earlier version of deploy-compose kept per release; not adopted: each copy is kept beside as <path>.earlier, never pruned, and those releases now bind data/ too: merge a copy into data/ by hand if it matters)` : `${line} (data an earlier version of deploy-compose kept per release; now in data/, shared by every release)`}`
    );
  const failed = r.failed(steps);
  if (!failed) {
    const digests: Record<string, string> = {};
    for (const [service, ref] of services)
      digests[service] = pickDigest(ref, r.get(`inspect ${service}`)?.stdout ?? '');
    return { ...next, release: { ...release, digests } };
  }
  const serving = before ? `release ${before.release} is still serving` : 'nothing was serving';
  let error: Error;
  if (failed.name === SLOT_CHECK)
    error = new DeployError(
      `Slot port ${slotPort(ctx.spec, slot)} (${slot}) is already in use on ${host.name}: ${failed.stdout.trim().replace(/\s+/g, ' ')}`,
      {
        state: `nothing was started; ${serving}`,
        hint: 'stop what listens there, or choose other `slot-ports`'
      }
    );
  else if (failed.name === PUBLIC_CHECK)
    error = new DeployError(
      `Public port ${ctx.spec.publicPort} is already in use on ${host.name} and not by this app's proxy: ${failed.stdout.trim().replace(/\s+/g, ' ')}`,
      { state: `nothing was started; ${serving}`, hint: 'free the port or choose another `public-port`' }
    );
  else if (failed.name === FRONT_DOOR_CHECK)
    error = new DeployError(`${host.name}: ${(failed.stderr || failed.stdout).trim()}`, {
      state: `nothing was started; ${serving}`,
      hint: 'every app on a host shares one front door: see docs/front-door.md'
    });
  else if (failed.name === CONFIG)
    error = new DeployError(
      `compose-file is not valid for ${tool.generation === 'v2' ? 'docker compose' : 'docker-compose'} ${tool.version} on ${host.name}: ${(failed.stderr || failed.stdout).trim()}`,
      {
        state: 'the release directory was written; nothing was started',
        hint: 'fix the compose file (docker compose config -q shows the same error locally); files that need a newer compose (include, profiles) need it on the host'
      }
    );
  else if (failed.name.startsWith('pull ')) {
    const service = failed.name.slice(5);
    const ref = release.images[service];
    error = new DeployError(
      `Pulling ${ref} (service ${service}) on ${host.name} failed: ${(failed.stderr || failed.stdout).trim().split('\n').join(' ')}`,
      {
        state: 'nothing was started; the previous release is untouched',
        hint: 'check that the registry is reachable from the host and that registry/username/password are right'
      }
    );
  } else if (failed.name.startsWith(FETCH)) {
    const accessory = failed.name.slice(FETCH.length);
    error = new DeployError(
      `Fetching ${info.images[accessory]} (accessory ${accessory}) on ${host.name} failed: ${(failed.stderr || failed.stdout).trim().split('\n').join(' ')}`,
      {
        state: 'nothing was started; the previous release is untouched',
        hint: 'check the image name in the compose file; a private image needs `registry`/`username`/`password` for its registry, or a `docker login` of the deploy user on the host'
      }
    );
  } else error = stepError(failed, host.name);
  throw failWith(error, next);
}

/** The digest the host pulled for `ref`: its RepoDigest in the same repository (parsed by packages/registry). */
export function pickDigest(ref: string, inspect: string): string {
  const [json = '[]', id = ''] = inspect.trim().split(' ');
  let digests: string[] = [];
  try {
    digests = JSON.parse(json) as string[];
  } catch {
    /* no digests */
  }
  const want = repositoryOf(ref);
  return digests.find((d) => repositoryOf(d) === want) ?? digests[0] ?? (id || ref);
}

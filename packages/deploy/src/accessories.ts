import { InputError, type Logger } from '../../core/src/index.js';
import {
  composeUpArgv,
  type ComposeFileInfo,
  type ComposeTool,
  type UpOptions
} from '../../compose/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import { projectName } from './layout.js';
import { project, type HostContext } from './run.js';
import type { ReleaseRecord } from './types.js';
import { HOST_SCRIPTS } from './host-scripts.generated.js';

/**
 * Accessories (Kamal's word): the stateful services of a compose file (databases, caches, queues). They run
 * once per app and environment, in a long-lived compose project of their own (`<app>-<env>-accessories`),
 * never in a slot. A deploy runs `compose up -d --no-deps <accessories>` in that project before the release
 * starts: compose recreates a container only when the config hash it labels it with
 * (`com.docker.compose.config-hash`, compose's own hash of the resolved service spec) differs from the
 * spec this release resolves to; an unchanged accessory keeps its container. The hashes and container ids
 * after each deploy are recorded on the host in `accessories.state`. Slots start only the release's own
 * services (`up --no-deps <services>`); rollback and revert never touch accessories.
 */

/** How the accessories of a deploy were chosen. */
export interface AccessoryChoice {
  accessories: string[];
  /** `declared` (the input), `detected` (the rule below) or `none`. */
  how: 'declared' | 'detected' | 'none';
}

/**
 * The accessories of a deploy. Pure; every problem names the `accessories` input.
 *
 * - `accessories: none` turns them off: every service runs in the slots, as before accessories existed.
 * - A list (comma- or newline-separated service names) declares them.
 * - Empty (the default) detects them: when `images` names at least one service, every other service that
 *   has its own `image:` in the compose file is an accessory (its image is not set by this deploy, so it is
 *   not what the deploy ships), unless it `depends_on` a service that is not one (a proxy in front of the
 *   app runs in the slot beside it). With `images` empty nothing is detected.
 */
export function chooseAccessories(
  declared: readonly string[],
  info: Pick<ComposeFileInfo, 'services' | 'images'> & Partial<Pick<ComposeFileInfo, 'dependsOn'>>,
  imagesInput: Readonly<Record<string, string>>
): AccessoryChoice {
  if (declared.length === 1 && declared[0] === 'none') return { accessories: [], how: 'none' };
  if (declared.length) {
    for (const name of declared) {
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name))
        throw new InputError(
          'accessories',
          `"${name}" is not a service name`,
          'list service names of the compose file, comma- or newline-separated (or `none`)'
        );
      if (!info.services.includes(name))
        throw new InputError(
          'accessories',
          `"${name}" is not a service of compose-file (its services: ${info.services.join(', ')})`,
          'list services the compose file defines'
        );
      if (imagesInput[name])
        throw new InputError(
          'accessories',
          `"${name}" also has an image in \`images\`: an accessory is not shipped by the deploy`,
          `remove ${name} from \`images\` (an accessory keeps the compose file's image) or from \`accessories\``
        );
    }
    if (new Set(declared).size !== declared.length)
      throw new InputError('accessories', 'lists a service twice', 'give each service once');
    if (declared.length === info.services.length)
      throw new InputError(
        'accessories',
        'lists every service of compose-file: nothing would be left to deploy',
        'leave at least the app service out of `accessories`'
      );
    return { accessories: [...declared], how: 'declared' };
  }
  if (Object.keys(imagesInput).length === 0) return { accessories: [], how: 'none' };
  let detected = info.services.filter((s) => !imagesInput[s] && info.images[s]);
  // A service that depends on one the release ships (a proxy in front of the app) runs beside it, in the slot.
  for (let changed = true; changed;) {
    const before = detected.length;
    detected = detected.filter((s) => (info.dependsOn?.[s] ?? []).every((d) => detected.includes(d)));
    changed = detected.length !== before;
  }
  return detected.length ? { accessories: detected, how: 'detected' } : { accessories: [], how: 'none' };
}

/** Say which services are accessories and why, once per deploy. */
export function reportChoice(choice: AccessoryChoice, logger: Logger): void {
  if (choice.how === 'detected')
    logger.info(
      `accessories detected: ${choice.accessories.join(', ')} (their image is not set by \`images\`); they run once in their own compose project and deploys keep them running unless their spec changes. Set \`accessories: none\` to run every service in the release instead.`
    );
  else if (choice.how === 'declared') logger.info(`accessories: ${choice.accessories.join(', ')}`);
}

export function accessoriesProject(app: string, environment: string): string {
  return `${projectName(app, environment)}-accessories`;
}

/**
 * `compose up` of a release's own services: with accessories, only the release's services (`--no-deps`, so
 * a `depends_on` on an accessory does not start a second copy in the slot).
 */
export function releaseUpOptions(
  release: Pick<ReleaseRecord, 'images' | 'accessories'>,
  accessories: readonly string[] = release.accessories ?? []
): UpOptions {
  return accessories.length
    ? {
        removeOrphans: true,
        noDeps: true,
        services: Object.keys(release.images).filter((s) => !accessories.includes(s))
      }
    : { removeOrphans: true };
}

/** Per accessory container: `service id config-hash`, one per line (stopped ones too). */
export function accessoryStateArgv(project: string): string[] {
  return [
    'sh',
    '-c',
    'docker ps -a --no-trunc --filter "label=com.docker.compose.project=$1" --format \'{{.Label "com.docker.compose.service"}} {{.ID}} {{.Label "com.docker.compose.config-hash"}}\'',
    'sh',
    project
  ];
}

/** The same lines, also written to `file` (the host's record of its accessories). */
export function recordAccessoriesArgv(project: string, file: string): string[] {
  return [
    'sh',
    '-c',
    'umask 077; docker ps -a --no-trunc --filter "label=com.docker.compose.project=$1" --format \'{{.Label "com.docker.compose.service"}} {{.ID}} {{.Label "com.docker.compose.config-hash"}}\' > "$2.tmp" && mv -f "$2.tmp" "$2" && cat "$2"',
    'sh',
    project,
    file
  ];
}

/**
 * Stop the containers of `services` in another project (`project`): an app deployed before its accessories
 * were declared ran them inside its release; two copies must not share one volume. Stopped, not removed,
 * until the new release passed its gate (removeRetiredArgv): a failed deploy starts them again
 * (restoreRetiredArgv), so the serving release keeps its database.
 */
export function retireServicesArgv(project: string, services: readonly string[]): string[] {
  return retiredServicesArgv('retire', project, services);
}

/** The retired copies go for good (the release that replaced them passed its gate). */
export function removeRetiredArgv(project: string, services: readonly string[]): string[] {
  return retiredServicesArgv('remove', project, services);
}

/**
 * A deploy that retired the serving release's copies failed: the accessories' own containers of those services
 * stop (one copy per volume), and the retired ones start again. Prints `restored <service>`.
 */
export function restoreRetiredArgv(
  accessories: string,
  project: string,
  services: readonly string[]
): string[] {
  return retiredServicesArgv('restore', project, services, accessories);
}

/** packages/deploy/host/retired-services.sh: one loop over the services, per mode. */
function retiredServicesArgv(
  mode: 'retire' | 'remove' | 'restore',
  project: string,
  services: readonly string[],
  accessories = ''
): string[] {
  return ['sh', '-c', HOST_SCRIPTS['retired-services'], 'sh', mode, project, accessories, ...services];
}

/** The shared network slots and accessories meet on when services are not on the host network. */
export function sharedNetworkName(app: string, environment: string): string {
  return projectName(app, environment);
}

/** Create the shared network unless it exists (compose treats it as external). */
export function ensureNetworkArgv(name: string): string[] {
  return [
    'sh',
    '-c',
    'docker network inspect "$1" >/dev/null 2>&1 || docker network create "$1" >/dev/null',
    'sh',
    name
  ];
}

/**
 * Compose override: every project's default network is the shared external network, so a slot reaches an
 * accessory by its service name (compose adds the service name as an alias on the default network).
 */
export function networkOverride(name: string): string {
  return [
    '# written by deploy-actions: slots and accessories share one network',
    'networks:',
    '  default:',
    `    name: ${JSON.stringify(name)}`,
    '    external: true',
    ''
  ].join('\n');
}

/** Some service joins compose's default network (no `network_mode`): slots reach accessories through it. */
export function needsSharedNetwork(info: Pick<ComposeFileInfo, 'networkModes'>): boolean {
  return Object.values(info.networkModes).some((m) => m === undefined);
}

export interface AccessoryContainer {
  service: string;
  id: string;
  hash: string;
}

export function parseAccessoryState(text: string): AccessoryContainer[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => p.length >= 2 && p[0])
    .map(([service = '', id = '', hash = '']) => ({ service, id, hash }));
}

/** What `up` did to each accessory: started (new), recreated (its spec changed) or kept. Pure. */
export function accessoryChanges(
  accessories: readonly string[],
  before: readonly AccessoryContainer[],
  after: readonly AccessoryContainer[]
): { started: string[]; recreated: string[]; kept: string[] } {
  const out = { started: [] as string[], recreated: [] as string[], kept: [] as string[] };
  for (const s of accessories) {
    const a = before.find((c) => c.service === s);
    const b = after.find((c) => c.service === s);
    if (!a) out.started.push(s);
    else if (!b || a.id !== b.id) out.recreated.push(s);
    else out.kept.push(s);
  }
  return out;
}

/** The serving release's own copies a deploy of `accessories` retires (run in its slot before they were accessories). */
export function retiredBy(
  accessories: readonly string[],
  serving?: { accessories: readonly string[] }
): string[] {
  return serving ? accessories.filter((s) => !serving.accessories.includes(s)) : [];
}

export const ACCESSORIES_BEFORE = 'accessories before';
export const ACCESSORIES_UP = 'compose up accessories';
export const ACCESSORIES_RECORD = 'record the accessories';

/**
 * The start phase's accessory steps for a deploy: retire copies the serving release ran itself, the shared
 * network when needed, the state before, `up -d --no-deps <accessories>` in their project with the release's
 * files, the state after (recorded on the host in `stateFile`).
 */
export function accessorySteps(
  ctx: HostContext,
  tool: ComposeTool,
  release: ReleaseRecord,
  o: { serving?: { project: string; accessories: readonly string[] }; network?: string; stateFile: string }
): ScriptStep[] {
  const acc = release.accessories ?? [];
  if (!acc.length) return [];
  const accProject = accessoriesProject(ctx.spec.app, ctx.spec.environmentSlug ?? ctx.spec.environment);
  const steps: ScriptStep[] = [];
  const toRetire = retiredBy(acc, o.serving);
  if (o.serving && toRetire.length)
    steps.push({
      name: 'retire accessories from the serving release',
      argv: retireServicesArgv(o.serving.project, toRetire),
      check: false
    });
  if (o.network) steps.push({ name: 'shared network', argv: ensureNetworkArgv(o.network) });
  steps.push(
    { name: ACCESSORIES_BEFORE, argv: accessoryStateArgv(accProject), check: false },
    {
      name: ACCESSORIES_UP,
      argv: composeUpArgv(tool, project(ctx, release, { project: accProject }), {
        noDeps: true,
        services: acc
      })
    },
    { name: ACCESSORIES_RECORD, argv: recordAccessoriesArgv(accProject, o.stateFile) }
  );
  return steps;
}

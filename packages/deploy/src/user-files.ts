import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { InputError, type Logger } from '../../core/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import { ensureNetworkArgv } from './accessories.js';
import { composeFiles } from './compose-files.js';
import { releaseDir, type Layout } from './layout.js';
import { planUserCompose, type ShippedPath, type UserComposePlan } from './user-compose.js';
import { usesSlots } from './strategy.js';
import type { DeploySpec } from './types.js';
import { HOST_SCRIPTS } from './host-scripts.generated.js';

/** Config that ships with a release (relative binds that exist, secrets, configs, env files): at most this. */
export const SHIP_LIMIT_BYTES = 20 * 1024 * 1024;

/** The user's own files, kept beside the rewritten copies: compose.user.yml, compose.2.user.yml, … */
export function userFileName(i: number): string {
  return i === 0 ? 'compose.user.yml' : `compose.${i + 1}.user.yml`;
}

/** A file the release directory gets besides its compose files: its path there and who may read it. */
export interface ShippedFile {
  name: string;
  content: Buffer;
  public: boolean;
}

/** What a deploy does with its compose files as written: the plan, the files to ship, what to tell. */
export interface UserCompose {
  plan: UserComposePlan;
  /** The release's compose files (rewritten where needed). */
  texts: string[];
  /** Shipped config and the user's originals, relative to the release directory. */
  files: ShippedFile[];
  /** Lines for the log and the job summary. */
  report: string[];
}

let last: { key: DeploySpec; accessories: string; value: UserCompose } | undefined;

/**
 * Plan a deploy's compose files and read what ships from the first compose file's directory on the runner
 * (`composeDir`; without it nothing exists there, so every relative bind is data and nothing ships). The
 * input reader and the engine both ask; the work is done once per spec.
 */
export function userCompose(d: DeploySpec, accessories: readonly string[]): UserCompose {
  if (last?.key === d && last.accessories === accessories.join()) return last.value;
  const dir = d.composeDir;
  const texts = composeFiles(d);
  const plan = planUserCompose(texts, {
    app: d.app,
    environment: d.environmentSlug ?? d.environment,
    slotted: usesSlots(d.strategy),
    accessories,
    ...(d.webService ? { webService: d.webService } : {}),
    ...(d.appPort !== undefined ? { appPort: d.appPort } : {}),
    dataPaths: d.dataPaths ?? [],
    portVar: d.portVar,
    exists: (p) => !!dir && existsSync(join(dir, p))
  });
  const files: ShippedFile[] = dir ? readShipped(dir, plan.ship) : [];
  if (plan.changed)
    texts.forEach((t, i) => {
      if (plan.texts[i] !== t) files.push({ name: userFileName(i), content: Buffer.from(t), public: false });
    });
  const value: UserCompose = { plan, texts: plan.texts, files, report: reportLines(plan) };
  last = { key: d, accessories: accessories.join(), value };
  return value;
}

/** Regular files under each shipped path (directories walked, `.git` skipped), capped at SHIP_LIMIT_BYTES. */
export function readShipped(dir: string, ship: readonly ShippedPath[]): ShippedFile[] {
  const out: ShippedFile[] = [];
  let total = 0;
  const add = (rel: string, pub: boolean, top: string) => {
    const full = join(dir, rel);
    const st = statSync(full);
    if (st.isDirectory()) {
      for (const e of readdirSync(full).sort())
        if (e !== '.git') add(rel === '.' ? e : posix.join(rel, e), pub, top);
      return;
    }
    if (!st.isFile() || out.some((f) => f.name === rel)) return;
    // The release directory's own files are never replaced by a shipped one.
    if (/^(?:compose(?:\.[\w-]+)*\.yml|\.env|release\.json)$/.test(rel)) return;
    total += st.size;
    if (total > SHIP_LIMIT_BYTES)
      throw new InputError(
        'compose-file',
        `${top} makes the config shipped with the release larger than ${SHIP_LIMIT_BYTES / 1024 / 1024} MiB`,
        `make ${top} data (\`data-paths: ${top}\`), bake it into the image, or bind a smaller path`
      );
    // ustar names hold 100 bytes, `releases/<id>/` included.
    if (Buffer.byteLength(rel) > 64)
      throw new InputError(
        'compose-file',
        `${rel} (shipped with the release) has a path longer than 64 bytes`,
        'bind a shorter path'
      );
    out.push({ name: rel, content: readFileSync(full), public: pub });
  };
  for (const s of ship) add(s.path, s.mode === 'public', s.path);
  return out;
}

function reportLines(plan: UserComposePlan): string[] {
  const lines: string[] = [];
  if (plan.web)
    lines.push(
      `web service ${plan.web.service}: container port ${plan.web.containerPort} (from ${plan.web.how}), published in each slot on 127.0.0.1:<slot port>`
    );
  for (const p of plan.droppedPorts)
    lines.push(`dropped host port ${p.mapping} of service ${p.service} (two slots cannot share it)`);
  for (const n of plan.droppedNames)
    lines.push(
      `dropped container_name ${n.name} of service ${n.service} (compose names each slot's containers)`
    );
  for (const b of plan.binds)
    lines.push(
      b.class === 'config'
        ? `bind ${b.source} → ${b.target} (service ${b.service}): config, ships with the release`
        : `bind ${b.source} → ${b.target} (service ${b.service}): data, kept in data/${b.path} for every release`
    );
  for (const n of plan.networks)
    lines.push(`network ${n.key}: pinned to ${n.name} (slots and accessories meet there)`);
  for (const a of plan.awaitHealthy)
    lines.push(`slots wait for accessory ${a} to be healthy before they start`);
  return lines;
}

/** Say what the rewrite did, once per deploy; the warnings as warnings. */
export function reportUserCompose(u: UserCompose, logger: Logger): void {
  for (const l of u.report) logger.info(`compose-file: ${l}`);
  for (const w of u.plan.warnings) logger.warning(`compose-file: ${w}`);
}

/**
 * Host steps after the release directory is written: shipped config and secrets readable by any container uid
 * (0644 files, 0755 directories, inside the 0700 release directory), the data directories, and the pinned
 * networks.
 */
export function userComposeSteps(l: Layout, releaseId: string, u: UserCompose): ScriptStep[] {
  const steps: ScriptStep[] = [];
  const pub = u.files.filter((f) => f.public).map((f) => f.name);
  if (pub.length) {
    const dirs = new Set<string>();
    for (const f of pub) for (let d = posix.dirname(f); d !== '.'; d = posix.dirname(d)) dirs.add(d);
    steps.push({
      name: 'open shipped config to containers',
      argv: [
        'sh',
        '-c',
        HOST_SCRIPTS['open-shipped'],
        'sh',
        releaseDir(l, releaseId),
        ...[...dirs].sort(),
        ...pub
      ]
    });
  }
  if (u.plan.data.length) steps.push({ name: ADOPT_DATA, argv: adoptDataArgv(l.root, u.plan.data) });
  if (u.plan.data.length)
    steps.push({
      name: 'data directories',
      argv: ['mkdir', '-p', '--', ...u.plan.data.map((p) => posix.join(l.root, 'data', p))]
    });
  for (const n of u.plan.networks) steps.push({ name: `network ${n.name}`, argv: ensureNetworkArgv(n.name) });
  return steps;
}

export const ADOPT_DATA = 'adopt data of earlier releases';

/**
 * Data an earlier version of this action left inside release directories (a relative bind resolved there, so
 * each release had its own `releases/<id>/<path>`), adopted once per path, when `<root>/data/<path>` does not
 * exist yet:
 * - the serving release's copy is moved there (a rename: a running container keeps its mount);
 * - every other release's copy is kept beside, renamed `<path>.earlier` (a rename in the same directory, which a
 *   copy owned by a container's user cannot stop), listed, and marked in that release's `.earlier-data` so that
 *   no prune deletes it (pruneReleaseArgv);
 * - each of them gets a link to `<root>/data/<path>` in place of its copy: its compose file binds `./<path>`,
 *   so a rollback to any of them mounts the one stable directory, never an old copy.
 * Prints `adopted <path> from releases/<id>` and `left <path> in releases/<id> …`; a copy it cannot move fails
 * the step, naming it.
 */
export function adoptDataArgv(root: string, paths: readonly string[]): string[] {
  return ['sh', '-c', HOST_SCRIPTS['adopt-data'], 'sh', root, ...paths];
}

/**
 * Prune a release directory (set aside at `dir`). One that holds data an earlier version of this action left in
 * it (listed in its `.earlier-data` by adoptDataArgv) is moved whole to `keepIn` (one rename of a directory the
 * deploy user owns), out of releases/ so no later prune reads it again; there it loses its release.json, its
 * .env and its links to the stable data, and keeps the data. Prints `kept <path> …` then, once.
 */
export function pruneReleaseArgv(dir: string, keepIn: string): string[] {
  return ['sh', '-c', HOST_SCRIPTS['prune-release'], 'sh', dir, keepIn];
}

/**
 * Wait until every container of `services` in `project` is healthy (running, when it has no healthcheck), at
 * most `timeoutS`. Exit 0 `healthy`; exit 5 `timeout <service state>…`.
 */
export function awaitHealthyArgv(project: string, services: readonly string[], timeoutS: number): string[] {
  return [
    'sh',
    '-c',
    HOST_SCRIPTS['await-healthy'],
    'sh',
    String(Math.max(1, Math.ceil(timeoutS))),
    project,
    ...services
  ];
}

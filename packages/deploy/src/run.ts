import { join } from 'node:path/posix';
import type { ComposeProject, ComposeTool } from '../../compose/src/index.js';
import type { GateResult } from '../../health/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import { HISTORY_ADD, commitArgv } from './commands.js';
import type { Host } from './host.js';
import { releaseDir, type Slot } from './layout.js';
import type { HeldLock } from './lock.js';
import type { Recorder } from './recorder.js';
import { tarball, type TarFile } from './tar.js';
import type {
  ActiveRecord,
  EngineDeps,
  HistoryEntry,
  HostState,
  ReleaseRecord,
  Strategy,
  TargetSpec
} from './types.js';

export const COMPOSE_FILE = 'compose.yml';
export const IMAGES_FILE = 'compose.images.yml';
export const VOLUMES_FILE = 'compose.volumes.yml';
export const NETWORK_FILE = 'compose.network.yml';
/** The host's record of its accessories (accessories.ts), in the app's state directory. */
export const ACCESSORIES_STATE = 'accessories.state';

/** What a host run is about; fixed for its whole life. */
export interface HostContext {
  host: Host;
  spec: TargetSpec;
  strategy: Strategy;
  rec: Recorder;
  deps: EngineDeps;
  operation: 'deploy' | 'rollback';
}

/** What the host offers, found by the open phase. */
export interface HostTools {
  compose: ComposeTool;
  http: 'curl' | 'wget' | null;
  nginx: boolean;
}

/**
 * The state of one host's part of a deploy or rollback. Phases take it and return the next one; nothing
 * mutates it in place.
 */
export interface RunState {
  readonly tools?: HostTools;
  readonly lock?: HeldLock;
  readonly lockReleased: boolean;
  /** What the host knew when the lock was taken. */
  readonly known: HostState;
  /** What served before (its record and how it ran). */
  readonly before?: { record?: ReleaseRecord; active: ActiveRecord };
  /** The release being activated. */
  readonly release?: ReleaseRecord;
  readonly candidate?: ActiveRecord;
  /** The release directory exists on the host. */
  readonly written: boolean;
  /** Traffic (or `current`) points at the candidate. */
  readonly switched: boolean;
  /** This app's proxy ran before this run. */
  readonly proxyWasUp: boolean;
  readonly gate?: GateResult;
  /** This run brought the release's accessories up already (the migrate phase): the start phase does not. */
  readonly accessoriesUp?: boolean;
  /**
   * The serving release's own copies of services that are accessories from this release on (the first deploy
   * that has them): stopped by this run (or maybe, when cut), started again by a revert, removed by the finish.
   */
  readonly retired?: { project: string; services: readonly string[] };
  /** A phase that stops the serving slot ran (or was cut part way): a revert starts that slot again first. */
  readonly oldStopped?: boolean;
  /** The finish completed here: the release passed its gate and is recorded, and the lock is released. */
  readonly finished?: boolean;
  /** History lines that ride along with the next phase. */
  readonly pending: readonly HistoryEntry[];
}

export interface HostRun {
  readonly ctx: HostContext;
  state: RunState;
}

/** A fresh host run: nothing known yet. */
export function newHostRun(ctx: HostContext, state: Partial<RunState> = {}): HostRun {
  return {
    ctx,
    state: {
      lockReleased: false,
      known: { releases: [] },
      written: false,
      switched: false,
      proxyWasUp: false,
      pending: [],
      ...state
    }
  };
}

export function entry(
  ctx: HostContext,
  s: RunState,
  event: string,
  fields: Record<string, unknown> = {}
): HistoryEntry {
  return ctx.rec.entry(ctx.host.name, event, {
    release: s.release?.id,
    version: s.release?.version,
    ...fields
  });
}

export function releaseFile(id: string, name: string): string {
  return `releases/${id}/${name}`;
}

export function recordFile(r: ReleaseRecord): TarFile {
  return { path: releaseFile(r.id, 'release.json'), content: JSON.stringify(r) + '\n' };
}

/** Files (relative to the app root) and history lines as one step; optionally re-point `current`. */
export function commitStep(
  ctx: HostContext,
  name: string,
  files: readonly TarFile[],
  history: readonly HistoryEntry[],
  link?: string
): ScriptStep {
  const all = [...files];
  if (history.length)
    all.push({ path: HISTORY_ADD, content: history.map((e) => JSON.stringify(e)).join('\n') + '\n' });
  return { name, argv: commitArgv(ctx.host.layout.root, link), stdin: tarball(all) };
}

/** The compose project of a release as it runs (or ran) in `active`. */
export function project(
  ctx: HostContext,
  release: Pick<ReleaseRecord, 'id' | 'overrides'>,
  active: Pick<ActiveRecord, 'project' | 'port'>
): ComposeProject {
  const dir = releaseDir(ctx.host.layout, release.id);
  const overrides = release.overrides ?? [IMAGES_FILE];
  return {
    project: active.project,
    files: [join(dir, COMPOSE_FILE), ...overrides.map((f) => join(dir, f))],
    ...(active.port !== undefined ? { vars: { [ctx.spec.portVar]: String(active.port) } } : {})
  };
}

export function slotPort(spec: TargetSpec, slot: Slot): number {
  return slot === 'blue' ? spec.slotPorts[0] : spec.slotPorts[1];
}

export function envSlug(spec: TargetSpec): string {
  return spec.environmentSlug ?? spec.environment;
}

const STATE = Symbol('runState');

/** A phase failed: the error carries the state the host was left in (what was written, switched, …). */
export function failWith<E extends Error>(err: E, s: RunState): E {
  (err as unknown as Record<symbol, RunState>)[STATE] = s;
  return err;
}

export function stateAfter(err: unknown, fallback: RunState): RunState {
  const s = err && typeof err === 'object' ? (err as Record<symbol, RunState>)[STATE] : undefined;
  return s ?? fallback;
}

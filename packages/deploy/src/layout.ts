import { join } from 'node:path/posix';
import { randomBytes } from 'node:crypto';

/**
 * Where an app's truth lives on a host:
 *
 *   <state-dir>/<app>/<environment>/
 *     releases/<release-id>/compose.yml, compose.images.yml, .env (0600), release.json
 *     current -> releases/<release-id>
 *     active.json        what serves now: release, slot, port, compose project
 *     history.jsonl      append-only audit log
 *     lock/holder.json   one deploy at a time
 *     proxy/             nginx.conf, upstream.conf, pid, logs (blue-green and rolling)
 *     data/<path>        relative binds that are data, shared by every release (user-files.ts)
 *     earlier-data/<id>/ pruned releases' own copies of such data, from an earlier version (never deleted)
 */
export interface Layout {
  root: string;
  releases: string;
  current: string;
  active: string;
  history: string;
  lock: string;
  proxy: string;
}

export function layout(stateDir: string, app: string, environment: string): Layout {
  const root = join(stateDir, app, environment);
  return {
    root,
    releases: join(root, 'releases'),
    current: join(root, 'current'),
    active: join(root, 'active.json'),
    history: join(root, 'history.jsonl'),
    lock: join(root, 'lock'),
    proxy: join(root, 'proxy')
  };
}

/**
 * `<state-dir>/<app>/observe.sh`: the forced command of the app's read-only observe keys (packages/report's
 * host/observe.sh, installed by `deploy-actions observe-key`). One per app: it reads any of its environments.
 */
export function observeScriptPath(stateDir: string, app: string): string {
  return join(stateDir, app, 'observe.sh');
}

export function releaseDir(l: Layout, id: string): string {
  return join(l.releases, id);
}

/**
 * Where a pruned release's directory is set aside (one rename, which a root-owned file inside cannot stop)
 * before it is removed: out of the release list at once, and found again by the next prune when the removal
 * failed (host.ts parseState, `leftover`).
 */
export const PRUNED_PREFIX = '.pruned-';
export function prunedDir(l: Layout, id: string): string {
  return join(l.releases, `${PRUNED_PREFIX}${id}`);
}

/**
 * Where a pruned release's copy of data an earlier version of this action kept inside it (adoptDataArgv) is
 * moved, whole, by the prune: out of releases/, so no later prune reads it again, and never deleted.
 */
export function earlierDataDir(l: Layout, id: string): string {
  return join(l.root, 'earlier-data', id);
}

/** Release ids sort in creation order: `20261123T091502Z-3fa9`. */
export function newReleaseId(
  now: Date = new Date(),
  suffix: string = randomBytes(2).toString('hex')
): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${suffix}`;
}

export const RELEASE_ID = /^\d{8}T\d{6}Z-[0-9a-z]{2,12}$/;

/** Names that become paths and compose project names: lowercase, digits, `-` and `_`. */
export const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export type Slot = 'blue' | 'green';

export function otherSlot(slot: Slot | undefined): Slot {
  return slot === 'blue' ? 'green' : 'blue';
}

/** The compose project of a release run: per slot for blue-green/rolling, one for recreate. */
export function projectName(app: string, environment: string, slot?: Slot): string {
  return [app, environment, slot].filter(Boolean).join('-');
}

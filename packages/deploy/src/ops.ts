import { join } from 'node:path/posix';
import { accessoriesProject } from './accessories.js';
import { layout, projectName, type Layout } from './layout.js';
import { bootHookRemoveArgv } from './proxy-boot.js';
import { proxyStopArgv } from './commands.js';
import { EXTRA_PATH } from '../../ssh/src/index.js';
import type { ActiveRecord } from './types.js';

/**
 * Day-2 operations on a deployed app (`deploy-actions logs`, `exec`, `remove`): every command as argv data
 * built here, run by the caller's one executor. Containers are found by their compose labels, so the
 * commands work the same under Compose v1 and v2 and need no compose file.
 */

/** argv: what serves now (active.json). */
export function activeReadArgv(l: Layout): string[] {
  return ['cat', '--', l.active];
}

/** The compose projects that serve: the active release's, then the accessories'. */
export function servingProjects(
  app: string,
  environment: string,
  active: Pick<ActiveRecord, 'project'>
): string[] {
  return [active.project, accessoriesProject(app, environment)];
}

/** Every compose project a deploy of this app may have made in this environment (slots, recreate, accessories, migrations). */
export function appProjects(app: string, environment: string): string[] {
  const slots = [undefined, 'blue', 'green'] as const;
  const base = slots.map((s) => projectName(app, environment, s));
  return [...base, ...base.map((p) => `${p}-migrate`), accessoriesProject(app, environment)];
}

/** argv: containers of one compose project, one `<id> <service> <state>` line each (`all`: stopped ones too). */
export function projectContainersArgv(project: string, o: { all?: boolean } = {}): string[] {
  return [
    'docker',
    'ps',
    ...(o.all ? ['-a'] : []),
    '--no-trunc',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--format',
    '{{.ID}} {{.Label "com.docker.compose.service"}} {{.State}}'
  ];
}

export interface ContainerLine {
  id: string;
  service: string;
  state: string;
}

export function parseContainerLines(text: string): ContainerLine[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => /^[0-9a-f]{12,64}$/.test(p[0] ?? ''))
    .map(([id, service, state]) => ({ id: id!, service: service ?? '', state: state ?? '' }));
}

export interface LogsOptions {
  /** Lines from the end (docker's --tail); undefined: all. */
  tail?: number;
  /** docker's --since: a duration (10m) or a time. */
  since?: string;
  timestamps?: boolean;
}

/** argv: a container's logs, both streams. */
export function logsArgv(id: string, o: LogsOptions = {}): string[] {
  return [
    'docker',
    'logs',
    ...(o.tail !== undefined ? ['--tail', String(o.tail)] : []),
    ...(o.since ? ['--since', o.since] : []),
    ...(o.timestamps ? ['--timestamps'] : []),
    id
  ];
}

/** argv: a command in a running container (no TTY: its output comes back through the session). */
export function execArgv(
  id: string,
  command: readonly string[],
  o: { user?: string; workdir?: string } = {}
): string[] {
  if (command.length === 0) throw new Error('exec: give the command after `--`');
  return [
    'docker',
    'exec',
    ...(o.user ? ['--user', o.user] : []),
    ...(o.workdir ? ['--workdir', o.workdir] : []),
    id,
    ...command
  ];
}

/** The labels of what `remove` lists in a project: networks and (only with deleteData) volumes. */
export function projectObjectsArgv(kind: 'network' | 'volume', project: string): string[] {
  return ['docker', kind, 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`];
}

/**
 * argv: remove the app's state on the host, keeping `data/` (bind-mounted data) and `history.jsonl` (the audit
 * trail) unless `deleteData`, when the whole environment directory goes. Prints nothing; fails naming what it
 * could not remove (a root-owned file a container wrote).
 */
export function stateRemoveArgv(l: Layout, deleteData: boolean): string[] {
  if (deleteData) return ['rm', '-rf', '--', l.root];
  return [
    'find',
    l.root,
    '-mindepth',
    '1',
    '-maxdepth',
    '1',
    '!',
    '-name',
    'data',
    '!',
    '-name',
    'history.jsonl',
    '-exec',
    'rm',
    '-rf',
    '--',
    '{}',
    '+'
  ];
}

/** argv run with the sbin directories after the user's PATH (nginx lives in /usr/sbin on Debian), as phases do. */
export function withSbinPath(argv: readonly string[]): string[] {
  return ['sh', '-c', `PATH="$PATH:${EXTRA_PATH.join(':')}"; export PATH; exec "$@"`, 'sh', ...argv];
}

/** argv: networks whose name starts with the app's `<app>-<environment>` (the deploy's shared and pinned ones). */
export function appNetworksArgv(app: string, environment: string): string[] {
  return [
    'docker',
    'network',
    'ls',
    '--filter',
    `name=${projectName(app, environment)}`,
    '--format',
    '{{.ID}} {{.Name}}'
  ];
}

/** Of appNetworksArgv's lines, the ids of the networks the deploy made: `<app>-<env>` and `<app>-<env>_<network>`. */
export function pickAppNetworks(text: string, app: string, environment: string): string[] {
  const base = projectName(app, environment);
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([id, name]) => id && name && (name === base || name.startsWith(`${base}_`)))
    .map(([id]) => id!);
}

export interface RemovePlan {
  projects: string[];
  proxy: string[];
  bootHook: string[];
  state: string[];
  deleteData: boolean;
}

/** What `deploy-actions remove` does on one host, in order. */
export function removePlan(
  stateDir: string,
  app: string,
  environment: string,
  deleteData: boolean
): RemovePlan {
  const l = layout(stateDir, app, environment);
  return {
    projects: appProjects(app, environment),
    proxy: withSbinPath(proxyStopArgv(join(l.proxy, 'nginx.conf'), l.proxy)),
    bootHook: bootHookRemoveArgv(l.proxy),
    state: stateRemoveArgv(l, deleteData),
    deleteData
  };
}

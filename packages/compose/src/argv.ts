/**
 * Pure argv builders for Docker Compose, both generations: v2 is the docker CLI plugin (`docker compose`),
 * v1 the Python `docker-compose`. The subcommands and flags used here mean the same in both.
 */
export type ComposeGeneration = 'v2' | 'v1';

export interface ComposeTool {
  generation: ComposeGeneration;
  /** Version as reported, e.g. `2.29.1` or `1.29.2`. */
  version: string;
}

/** One compose project: a name (`-p`), its files (`-f`, in order), an optional `--env-file`. */
export interface ComposeProject {
  project: string;
  files: readonly string[];
  envFile?: string;
  /** Variables for interpolation (e.g. PORT), set with `env NAME=value` in front: never secrets. */
  vars?: Readonly<Record<string, string>>;
}

export function composeBase(generation: ComposeGeneration): string[] {
  return generation === 'v2' ? ['docker', 'compose'] : ['docker-compose'];
}

/** Parse `docker compose version` / `docker-compose version` output. */
export function parseComposeVersion(output: string): string | undefined {
  const m = /version\s+v?(\d+\.\d+\.\d+[\w.+-]*)/i.exec(output);
  return m?.[1];
}

export function composeArgv(tool: ComposeTool, p: ComposeProject, sub: readonly string[]): string[] {
  const vars = Object.entries(p.vars ?? {});
  const prefix = vars.length ? ['env', ...vars.map(([k, v]) => `${k}=${v}`)] : [];
  const argv = [...prefix, ...composeBase(tool.generation), '-p', p.project];
  for (const f of p.files) argv.push('-f', f);
  if (p.envFile) argv.push('--env-file', p.envFile);
  return [...argv, ...sub];
}

/** Validate the files (and interpolation) without printing them: they may hold secrets. */
export function composeConfigArgv(tool: ComposeTool, p: ComposeProject): string[] {
  return composeArgv(tool, p, ['config', '-q']);
}

export function composePullArgv(
  tool: ComposeTool,
  p: ComposeProject,
  services: readonly string[] = []
): string[] {
  return composeArgv(tool, p, ['pull', ...services]);
}

export interface UpOptions {
  /** `-d`; default true. */
  detach?: boolean;
  noDeps?: boolean;
  forceRecreate?: boolean;
  removeOrphans?: boolean;
  /**
   * `--wait` (v2 only): return once the services are running and healthy. docker-compose v1 has no such flag,
   * so asking for it there is a programming error: wait from a host loop instead (awaitHealthyArgv).
   */
  wait?: boolean;
  services?: readonly string[];
}

export function composeUpArgv(tool: ComposeTool, p: ComposeProject, o: UpOptions = {}): string[] {
  const sub = ['up'];
  if (o.detach !== false) sub.push('-d');
  if (o.noDeps) sub.push('--no-deps');
  if (o.forceRecreate) sub.push('--force-recreate');
  if (o.removeOrphans) sub.push('--remove-orphans');
  if (o.wait) {
    if (tool.generation !== 'v2')
      throw new Error(
        `compose up --wait: docker-compose ${tool.version} (v1) has no --wait; wait with a host loop`
      );
    sub.push('--wait');
  }
  return composeArgv(tool, p, [...sub, ...(o.services ?? [])]);
}

export interface RunOptions {
  /** `--name`: a known name, so a host script can `docker kill` / `rm -f` the one-off container. */
  name?: string;
}

/**
 * A one-off container of `service` running `command` (argv, never a shell string): `run --rm --no-deps -T`.
 * `-T`: no pseudo-TTY (the host script has no terminal; v1 would otherwise refuse, v2 detects it the same).
 * Options go before the service; everything after it is the container's command.
 */
export function composeRunArgv(
  tool: ComposeTool,
  p: ComposeProject,
  service: string,
  command: readonly string[],
  o: RunOptions = {}
): string[] {
  const sub = ['run', '--rm', '--no-deps', '-T', ...(o.name ? ['--name', o.name] : [])];
  return composeArgv(tool, p, [...sub, service, ...command]);
}

/** Container ids of the project (`-a`: stopped ones too). */
export function composePsArgv(tool: ComposeTool, p: ComposeProject, o: { all?: boolean } = {}): string[] {
  return composeArgv(tool, p, ['ps', '-q', ...(o.all ? ['-a'] : [])]);
}

export function composeDownArgv(
  tool: ComposeTool,
  p: ComposeProject,
  o: { removeOrphans?: boolean; timeoutS?: number } = {}
): string[] {
  const sub = ['down'];
  if (o.removeOrphans) sub.push('--remove-orphans');
  if (o.timeoutS !== undefined) sub.push('-t', String(o.timeoutS));
  return composeArgv(tool, p, sub);
}

/** Compose normalises project names this way (v1 and v2 agree on this subset). */
export function normaliseProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '');
}

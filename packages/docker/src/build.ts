import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError, InputError, type Executor, type Logger } from '../../core/src/index.js';
import {
  buildArgv,
  buildkitDropsAnnotations,
  buildkitLacksNamedContexts,
  hasSyntaxDirective,
  buildxInspectArgv,
  buildxVersionArgv,
  driverStatusArgv,
  parseBuildxInspect,
  refuseForDockerDriver,
  usesContainerdStore,
  needsDriverCheck,
  type BuilderInfo,
  classicUnsupported,
  daemonPlatformArgv,
  inspectArgv,
  parsePushDigest,
  pushArgv,
  type BuildOptions,
  type BuildSecret,
  type Builder
} from './argv.js';

export interface BuildRequest extends Omit<BuildOptions, 'secrets' | 'iidFile' | 'metadataFile'> {
  /** auto: buildx when `docker buildx version` works, else the classic builder. */
  builder?: Builder | 'auto';
  /** Secret values by id: written to 0600 files in a private temp dir, passed as id=…,src=…. */
  secretValues?: Record<string, string>;
  /** Secrets already in files (id → path) or environment variables (id → VAR). */
  secretFiles?: Record<string, string>;
  secretEnvs?: Record<string, string>;
  /** build-push-action's `github-token`: authenticates a Git context (buildx's GIT_AUTH_TOKEN secret). */
  githubToken?: string;
}

/** A remote context (Git repository or tarball URL, or stdin) rather than a local directory. */
export function isRemoteContext(context: string): boolean {
  return context === '-' || /^(https?:\/\/|git:\/\/|git@|ssh:\/\/|github\.com\/)/.test(context);
}

export function isGitContext(context: string): boolean {
  return (
    /^(git:\/\/|git@|ssh:\/\/|github\.com\/)/.test(context) ||
    /^https?:\/\/.*(\.git)(#.*)?$/.test(context) ||
    /^https?:\/\/(www\.)?github\.com\//.test(context)
  );
}

/** A local context must be a directory: say so, naming the input, before docker is asked. */
export function checkContext(context: string): void {
  if (isRemoteContext(context)) return;
  let dir = false;
  try {
    dir = statSync(context).isDirectory();
  } catch {
    throw new InputError(
      'context',
      `"${context}" does not exist`,
      'check out the repository first (actions/checkout) or fix the path'
    );
  }
  if (!dir)
    throw new InputError(
      'context',
      `"${context}" is not a directory`,
      'give the directory that holds the build context'
    );
}

export interface BuildResult {
  builder: Builder;
  /** Why this builder was chosen, as logged. */
  builderReason: string;
  /** Image id (config digest; for buildx whatever --iidfile held). */
  imageId: string;
  /** Manifest digest when pushed (or reported by buildx), else ''. */
  digest: string;
  tags: string[];
  pushed: string[];
  argv: string[];
}

export interface BuildDeps {
  executor: Executor;
  logger: Logger;
  /** Extra environment for docker (DOCKER_CONFIG, and for type=gha the runner's ACTIONS_* variables). */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Where the buildx plugin is looked for first (default: the docker CLI's own plugin directories). */
  pluginDirs?: readonly string[];
}

/**
 * The docker CLI's plugin directories on Linux, in its order: the user's (`$DOCKER_CONFIG/cli-plugins`,
 * else `~/.docker/cli-plugins`), then the system ones, where GitHub's runners (and the lab) have buildx.
 */
export function cliPluginDirs(env: Record<string, string | undefined> = process.env): string[] {
  return [
    join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'cli-plugins'),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins'
  ];
}

/** The first executable `docker-buildx` in the plugin directories. */
export function findBuildxPlugin(dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const path = join(dir, 'docker-buildx');
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not there
    }
  }
  return undefined;
}

/**
 * Read the buildx builder's driver when the request needs what a driver may lack: the `docker` driver
 * without the containerd image store cannot export a cache (other than inline), build several platforms or
 * attach attestations, and buildx fails on each only after the context was sent. Refuse first, by input.
 * Annotations are not refused (buildx takes them), but BuildKit before v0.11 drops them: say so.
 * A named `docker`-driver builder runs through its own docker context (buildx demands it).
 */
async function checkDriver(o: BuildOptions, deps: BuildDeps): Promise<BuilderInfo | undefined> {
  const annotations = (o.annotations ?? []).length > 0;
  const contexts = (o.buildContexts ?? []).length > 0 && !isRemoteContext(o.context);
  if (!needsDriverCheck(o) && !annotations && !contexts && !o.builderName) return undefined;
  const r = await deps.executor.run({
    argv: buildxInspectArgv(o.builderName),
    env: deps.env,
    step: 'docker buildx inspect',
    timeoutMs: 60_000
  });
  const info = parseBuildxInspect(r.stdout);
  deps.logger.info(
    `builder "${info.name}": driver ${info.driver}, endpoint ${info.endpoint}, BuildKit ${info.buildkit || '?'}`
  );
  if (o.builderName && info.driver === 'docker') o.dockerContext = info.endpoint;
  if (annotations && buildkitDropsAnnotations(info.buildkit))
    deps.logger.warning(
      `annotations: builder "${info.name}" runs BuildKit ${info.buildkit}, which writes no annotations ` +
        '(they need BuildKit v0.11 or later); the image is built without them'
    );
  if (contexts && buildkitLacksNamedContexts(info.buildkit)) {
    const file = o.file ?? join(o.context, 'Dockerfile');
    const text = await readFile(file, 'utf8').catch(() => '');
    if (!hasSyntaxDirective(text))
      throw new InputError(
        'build-contexts',
        `builder "${info.name}" runs BuildKit ${info.buildkit}, whose built-in Dockerfile frontend has no ` +
          'named contexts (buildx fails: unsupported frontend capability moby.buildkit.frontend.contexts)',
        'use a builder with BuildKit v0.10 or later (docker/setup-buildx-action), or put ' +
          `\`# syntax=docker/dockerfile:1\` at the top of ${file} to run a newer frontend`
      );
  }
  if (info.driver !== 'docker' || !needsDriverCheck(o)) return info;
  const status = await deps.executor.run({
    argv: driverStatusArgv(info.endpoint),
    env: deps.env,
    step: 'docker info',
    timeoutMs: 60_000
  });
  if (!usesContainerdStore(status.stdout)) refuseForDockerDriver(o, info);
  return info;
}

/**
 * Which builder runs, and why, said in one line: a `docker-buildx` plugin file where the CLI looks, else
 * `docker buildx version` (a plugin dir configured elsewhere) exiting 0.
 */
export async function detectBuilder(
  executor: Executor,
  wanted: Builder | 'auto' = 'auto',
  pluginDirs: readonly string[] = cliPluginDirs()
): Promise<{ builder: Builder; reason: string }> {
  if (wanted === 'classic') return { builder: 'classic', reason: 'builder: classic was asked for' };
  // Starting the plugin costs about half a second; a plugin where the CLI looks for it is enough.
  const plugin = findBuildxPlugin(pluginDirs);
  if (plugin) return { builder: 'buildx', reason: `docker buildx is installed (${plugin})` };
  const r = await executor
    .run({ argv: buildxVersionArgv(), check: false, step: 'detect buildx', timeoutMs: 30_000 })
    .catch((err: unknown) => {
      if (err instanceof CommandError && err.exitCode === 127)
        throw new CommandError(err.argv, 127, '', 'docker: command not found', {
          hint: 'install docker on the runner (GitHub-hosted Ubuntu runners have it)'
        });
      throw err;
    });
  if (r.exitCode === 0) {
    const version = r.stdout.trim().split('\n')[0] ?? '';
    return { builder: 'buildx', reason: `docker buildx is installed (${version})` };
  }
  if (wanted === 'buildx')
    throw new InputError(
      'builder',
      'buildx was asked for but `docker buildx version` failed',
      'install buildx (docker/setup-buildx-action) or use builder: auto'
    );
  return { builder: 'classic', reason: 'docker buildx is not installed, so the classic builder runs' };
}

function secretsOf(req: BuildRequest, dir: string): { secrets: BuildSecret[]; files: [string, string][] } {
  const secrets: BuildSecret[] = [];
  const files: [string, string][] = [];
  const ids = new Set<string>();
  const add = (id: string, input: string) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(id))
      throw new InputError(
        input,
        `secret id "${id}" may only hold letters, digits, '.', '_' and '-'`,
        'rename the secret'
      );
    if (ids.has(id))
      throw new InputError(input, `secret id "${id}" is given twice`, 'give each secret id once');
    ids.add(id);
  };
  for (const [id, value] of Object.entries(req.secretValues ?? {})) {
    add(id, 'secrets');
    const path = join(dir, `secret-${id}`);
    files.push([path, value]);
    secrets.push({ id, src: path });
  }
  for (const [id, src] of Object.entries(req.secretFiles ?? {})) {
    add(id, 'secret-files');
    secrets.push({ id, src });
  }
  for (const [id, env] of Object.entries(req.secretEnvs ?? {})) {
    add(id, 'secret-envs');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env))
      throw new InputError(
        'secret-envs',
        `"${env}" is not an environment variable name`,
        'write id=VARIABLE'
      );
    secrets.push({ id, env });
  }
  return { secrets, files };
}

/**
 * Build one image with buildx or the classic builder and, when asked, push it. Everything the chosen
 * builder cannot honour is refused (InputError) before the build starts.
 */
export async function buildImage(req: BuildRequest, deps: BuildDeps): Promise<BuildResult> {
  const { executor, logger } = deps;
  if (req.push && req.tags.length === 0)
    throw new InputError(
      'push',
      'is true but no tag was produced',
      'give `images` and tag rules that apply to this event'
    );
  checkContext(req.context);
  const dir = await mkdtemp(join(tmpdir(), 'build-image-'));
  try {
    const { secrets, files } = secretsOf(req, dir);
    for (const [, value] of files) logger.secret(value);
    const { builder, reason } = await detectBuilder(
      executor,
      req.builderName ? 'buildx' : req.builder,
      deps.pluginDirs ?? cliPluginDirs({ ...process.env, ...deps.env })
    );
    logger.info(`builder: ${builder} (${reason})`);
    if (req.githubToken && isGitContext(req.context)) {
      if (builder === 'classic')
        throw new InputError(
          'github-token',
          `cannot reach the classic builder, which clones ${req.context} without credentials`,
          "install buildx, or set github-token: '' for a public repository"
        );
      const host =
        /^(?:https?:\/\/|git@)?([^/:]+)/.exec(req.context.replace(/^ssh:\/\/(git@)?/, ''))?.[1] ??
        'github.com';
      const path = join(dir, 'secret-git-auth');
      files.push([path, req.githubToken]);
      secrets.push({ id: `GIT_AUTH_TOKEN.${host}`, src: path });
      logger.secret(req.githubToken);
    }
    const options: BuildOptions = { ...req, secrets, iidFile: join(dir, 'iid') };
    let daemonPlatform: string | undefined;
    if (builder === 'classic') {
      if ((req.platforms?.length ?? 0) === 1) {
        const v = await executor.run({
          argv: daemonPlatformArgv(),
          step: 'docker version',
          timeoutMs: 30_000
        });
        daemonPlatform = v.stdout.trim();
      }
      // Refuse before writing any secret to disk or starting the build.
      if (classicUnsupported(options, daemonPlatform).length > 0)
        buildArgv('classic', options, daemonPlatform);
    } else {
      options.metadataFile = join(dir, 'metadata.json');
      await checkDriver(options, deps);
    }
    for (const [path, value] of files) {
      await writeFile(path, value, { mode: 0o600 });
      await chmod(path, 0o600);
    }
    const argv = buildArgv(builder, options, daemonPlatform);
    await executor.run({
      argv,
      // The classic builder stays classic even where DOCKER_BUILDKIT=1 is set and no buildx exists.
      env: { ...deps.env, ...(builder === 'classic' ? { DOCKER_BUILDKIT: '0' } : {}) },
      step: `${builder === 'classic' ? 'docker build' : 'docker buildx build'}`,
      timeoutMs: deps.timeoutMs ?? 60 * 60_000,
      onOutput: (chunk) => {
        for (const line of chunk.split('\n')) if (line.trim()) logger.info(line.trimEnd());
      }
    });
    let imageId = (await readFile(options.iidFile!, 'utf8').catch(() => '')).trim();
    let digest = '';
    const pushed: string[] = [];
    if (builder === 'buildx') {
      const meta = JSON.parse(
        (await readFile(options.metadataFile!, 'utf8').catch(() => '')) || '{}'
      ) as Record<string, unknown>;
      digest = typeof meta['containerimage.digest'] === 'string' ? meta['containerimage.digest'] : '';
      if (!imageId && typeof meta['containerimage.config.digest'] === 'string')
        imageId = meta['containerimage.config.digest'];
      if (req.push) pushed.push(...req.tags);
    } else {
      if (!imageId && req.tags[0]) {
        const r = await executor.run({
          argv: inspectArgv(req.tags[0], '{{.Id}}'),
          step: 'docker image inspect'
        });
        imageId = r.stdout.trim();
      }
      if (req.push) {
        for (const tag of req.tags) {
          const r = await executor.run({
            argv: pushArgv(tag),
            env: deps.env,
            step: `docker push ${tag}`,
            timeoutMs: deps.timeoutMs ?? 60 * 60_000
          });
          const d = parsePushDigest(r.stdout);
          if (d && digest && d !== digest)
            logger.warning(
              `${tag} was pushed as ${d}, another tag as ${digest}: the registries differ in format`
            );
          digest ||= d ?? '';
          pushed.push(tag);
          logger.info(`pushed ${tag}${d ? ` (${d})` : ''}`);
        }
      }
    }
    return { builder, builderReason: reason, imageId, digest, tags: req.tags, pushed, argv };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

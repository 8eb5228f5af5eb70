import { InputError } from '../../core/src/index.js';
import type { DockerCli } from '../../registry/src/index.js';

/**
 * Pure argv builders for the docker CLI. Nothing here runs anything: the engine hands these arrays to an
 * Executor, and the unit tests compare them. No value ever becomes part of a shell string, and no secret
 * value ever appears in an argv (secrets are files or environment variable names; passwords go on stdin).
 */

export type Builder = 'buildx' | 'classic';

/** A build secret as buildx takes it: the value stays in a file or an environment variable. */
export type BuildSecret = { id: string; src: string } | { id: string; env: string };

export interface BuildOptions {
  context: string;
  file?: string;
  tags: string[];
  labels: Record<string, string>;
  buildArgs: Record<string, string>;
  target?: string;
  /** (buildx) linux/amd64, linux/arm64, … */
  platforms?: string[];
  /** type=gha, type=registry,ref=…; on the classic builder only plain image names. */
  cacheFrom?: string[];
  /** (buildx) type=gha,mode=max, type=registry,ref=…,mode=max, … */
  cacheTo?: string[];
  /** (buildx) secrets by file or environment variable. */
  secrets?: BuildSecret[];
  /** (buildx) false | true | mode=min | mode=max[,…]; undefined leaves the builder's default. */
  provenance?: string;
  /** (buildx) false | true | generator=…; undefined leaves the builder's default. */
  sbom?: string;
  push?: boolean;
  /** (buildx) load the result into the local image store (default: when not pushing and one platform). */
  load?: boolean;
  noCache?: boolean;
  pull?: boolean;
  /** host:ip mappings (both builders). */
  addHosts?: string[];
  /** (buildx) entitlements: network.host, security.insecure. */
  allow?: string[];
  /** (buildx) OCI annotations, `[level:]key=value`. */
  annotations?: string[];
  /** (buildx) attestations, `type=sbom,generator=…`. */
  attests?: string[];
  /** (buildx) named contexts, `name=path|docker-image://…`. */
  buildContexts?: string[];
  /** (buildx) evaluation method: build (default), check, outline, targets. */
  call?: string;
  cgroupParent?: string;
  /** RUN instructions' network mode (both builders). */
  network?: string;
  /** (buildx) stages not to cache. */
  noCacheFilters?: string[];
  /** (buildx) output destinations, `type=local,dest=path`, …; classic: only the local image store. */
  outputs?: string[];
  shmSize?: string;
  /** (buildx) SSH agent sockets or keys, `default|<id>[=<socket>|<key>…]`. */
  ssh?: string[];
  /** `nofile=1024:1024` (both builders). */
  ulimits?: string[];
  /** (buildx) a named builder instance (build-push-action's `builder`). */
  builderName?: string;
  /**
   * (buildx) the docker context a `docker`-driver builder lives on: buildx refuses `--builder` naming a
   * docker-driver builder of another context ("use `docker --context=… buildx`"), so the CLI is pointed there.
   */
  dockerContext?: string;
  /** Where the builder writes the image id (buildx: the manifest or config digest). */
  iidFile?: string;
  /** (buildx) Where buildx writes containerimage.digest and friends. */
  metadataFile?: string;
}

/** `docker buildx version`: exit 0 means the buildx plugin is installed. */
export function buildxVersionArgv(): string[] {
  return ['docker', 'buildx', 'version'];
}

/** The platform the local daemon builds for, e.g. linux/amd64. */
export function daemonPlatformArgv(): string[] {
  return ['docker', 'version', '--format', '{{.Server.Os}}/{{.Server.Arch}}'];
}

function pairs(flag: string, map: Record<string, string>): string[] {
  return Object.entries(map).flatMap(([k, v]) => [flag, `${k}=${v}`]);
}

/** A classic --cache-from takes an image reference; anything with type= or attributes is buildx's syntax. */
function isPlainImage(cache: string): boolean {
  return !cache.includes('=') && !cache.includes(',');
}

export interface UnsupportedInput {
  input: string;
  why: string;
}

/**
 * Inputs the classic builder cannot honour. They are refused, never silently dropped: an image built
 * without its cache export, attestation or secret is not the image the workflow asked for.
 * `daemonPlatform` is the platform the classic builder builds for (one platform, the daemon's own).
 */
export function classicUnsupported(o: BuildOptions, daemonPlatform?: string): UnsupportedInput[] {
  const out: UnsupportedInput[] = [];
  const platforms = o.platforms ?? [];
  if (platforms.length > 1)
    out.push({ input: 'platforms', why: `${platforms.length} platforms need buildx (one manifest list)` });
  else if (platforms.length === 1 && daemonPlatform && normalizePlatform(platforms[0]!) !== daemonPlatform)
    out.push({
      input: 'platforms',
      why: `${platforms[0]} is not the daemon's platform ${daemonPlatform}; cross-building needs buildx`
    });
  const typed = (o.cacheFrom ?? []).filter((c) => !isPlainImage(c));
  if (typed.length > 0)
    out.push({ input: 'cache-from', why: `${typed.join(' ')} is a buildx cache source (type=…)` });
  if ((o.cacheTo ?? []).length > 0) out.push({ input: 'cache-to', why: 'cache export needs buildx' });
  if ((o.secrets ?? []).length > 0)
    out.push({
      input: 'secrets',
      why: 'build secrets need BuildKit, and the classic builder here has none (buildx is not installed)'
    });
  if (o.provenance !== undefined && o.provenance !== 'false')
    out.push({ input: 'provenance', why: 'provenance attestations need buildx' });
  if (o.sbom !== undefined && o.sbom !== 'false')
    out.push({ input: 'sbom', why: 'SBOM attestations need buildx' });
  const needs = (input: string, what: unknown[] | undefined, why: string) => {
    if ((what ?? []).length > 0) out.push({ input, why });
  };
  needs('allow', o.allow, 'entitlements (network.host, security.insecure) are a BuildKit feature');
  needs('annotations', o.annotations, 'the classic builder writes no OCI annotations');
  needs('attests', o.attests, 'attestations need buildx');
  needs('build-contexts', o.buildContexts, 'named build contexts need BuildKit');
  needs('no-cache-filters', o.noCacheFilters, 'per-stage cache control needs BuildKit');
  needs('ssh', o.ssh, 'SSH forwarding needs BuildKit');
  const exports = (o.outputs ?? []).filter((x) => !isLocalStoreOutput(x));
  needs('outputs', exports, `${exports.join(' ')}: the classic builder only writes to the local image store`);
  if (o.call !== undefined && o.call !== 'build')
    out.push({ input: 'call', why: `call=${o.call} (build checks and outlines) needs buildx` });
  if (o.builderName)
    out.push({ input: 'builder', why: `"${o.builderName}" names a buildx builder instance` });
  return out;
}

/** `type=docker` / `type=image` without a push: what the classic builder does anyway. */
function isLocalStoreOutput(output: string): boolean {
  const attrs = output.split(',').map((a) => a.trim());
  const type = attrs.find((a) => a.startsWith('type='))?.slice(5) ?? '';
  return (type === 'docker' || type === 'image') && !attrs.some((a) => /^push=true$/i.test(a));
}

export function normalizePlatform(p: string): string {
  const [os = '', arch = '', variant] = p.trim().toLowerCase().split('/');
  const a = arch === 'x86_64' ? 'amd64' : arch === 'aarch64' ? 'arm64' : arch;
  // linux/arm64/v8 is linux/arm64; other variants stay.
  return [os, a, a === 'arm64' && variant === 'v8' ? undefined : variant].filter(Boolean).join('/');
}

export function secretArg(s: BuildSecret): string {
  return 'src' in s ? `id=${s.id},src=${s.src}` : `id=${s.id},env=${s.env}`;
}

/** `docker build …` (the classic builder). Throws InputError for what only buildx can honour. */
export function classicBuildArgv(o: BuildOptions, daemonPlatform?: string): string[] {
  const unsupported = classicUnsupported(o, daemonPlatform);
  if (unsupported.length > 0) {
    const first = unsupported[0]!;
    throw new InputError(
      first.input,
      `${unsupported.map((u) => `${u.input}: ${u.why}`).join('; ')}. Only the classic builder is available`,
      'install buildx (docker/setup-buildx-action) before this step, or remove these inputs'
    );
  }
  const argv = ['docker', 'build'];
  if (o.file) argv.push('--file', o.file);
  for (const t of o.tags) argv.push('--tag', t);
  argv.push(...pairs('--label', o.labels), ...pairs('--build-arg', o.buildArgs));
  if (o.target) argv.push('--target', o.target);
  if (o.platforms?.length === 1) argv.push('--platform', o.platforms[0]!);
  for (const c of o.cacheFrom ?? []) argv.push('--cache-from', c);
  argv.push(...sharedFlags(o));
  if (o.noCache) argv.push('--no-cache');
  if (o.pull) argv.push('--pull');
  if (o.iidFile) argv.push('--iidfile', o.iidFile);
  argv.push(o.context);
  return argv;
}

/** The flags both builders take with the same meaning. */
function sharedFlags(o: BuildOptions): string[] {
  const argv: string[] = [];
  for (const h of o.addHosts ?? []) argv.push('--add-host', h);
  if (o.cgroupParent) argv.push('--cgroup-parent', o.cgroupParent);
  if (o.network) argv.push('--network', o.network);
  if (o.shmSize) argv.push('--shm-size', o.shmSize);
  for (const u of o.ulimits ?? []) argv.push('--ulimit', u);
  return argv;
}

/** `docker buildx build …`. */
export function buildxBuildArgv(o: BuildOptions): string[] {
  const argv = ['docker'];
  if (o.dockerContext && o.dockerContext !== 'default') argv.push('--context', o.dockerContext);
  argv.push('buildx', 'build');
  if (o.builderName) argv.push('--builder', o.builderName);
  if (o.file) argv.push('--file', o.file);
  for (const t of o.tags) argv.push('--tag', t);
  argv.push(...pairs('--label', o.labels), ...pairs('--build-arg', o.buildArgs));
  if (o.target) argv.push('--target', o.target);
  if (o.platforms && o.platforms.length > 0) argv.push('--platform', o.platforms.join(','));
  for (const c of o.cacheFrom ?? []) argv.push('--cache-from', c);
  for (const c of o.cacheTo ?? []) argv.push('--cache-to', c);
  for (const s of o.secrets ?? []) argv.push('--secret', secretArg(s));
  if (o.provenance !== undefined) argv.push(`--provenance=${o.provenance}`);
  if (o.sbom !== undefined) argv.push(`--sbom=${o.sbom}`);
  for (const a of o.attests ?? []) argv.push('--attest', a);
  for (const a of o.annotations ?? []) argv.push('--annotation', a);
  for (const a of o.allow ?? []) argv.push('--allow', a);
  for (const c of o.buildContexts ?? []) argv.push('--build-context', c);
  if (o.call) argv.push('--call', o.call);
  argv.push(...sharedFlags(o));
  for (const f of o.noCacheFilters ?? []) argv.push('--no-cache-filter', f);
  for (const x of o.outputs ?? []) argv.push('--output', x);
  for (const x of o.ssh ?? []) argv.push('--ssh', x);
  if (o.noCache) argv.push('--no-cache');
  if (o.pull) argv.push('--pull');
  // buildx refuses an image-id file beside the local and tar exporters (no image comes out of them).
  if (o.iidFile && !(o.outputs ?? []).some(isFileExport)) argv.push('--iidfile', o.iidFile);
  if (o.metadataFile) argv.push('--metadata-file', o.metadataFile);
  if (o.push) argv.push('--push');
  // The docker image store takes one platform; a multi-platform build without push stays in the cache.
  // Explicit outputs decide for themselves (buildx refuses --load beside another --output).
  const load = o.load ?? ((o.outputs ?? []).length === 0 && !o.push && (o.platforms?.length ?? 0) <= 1);
  if (load) argv.push('--load');
  argv.push(o.context);
  return argv;
}

/** The exporter an `--output` names: `type=…`, or a bare path / `dest=…` (buildx reads both as local). */
export function outputType(output: string): string {
  const attrs = output.split(',').map((a) => a.trim());
  const type = attrs.find((a) => a.startsWith('type='));
  if (type) return type.slice(5);
  return output === '-' ? 'tar' : 'local';
}

/** The local and tar exporters write files, not an image: buildx refuses --iidfile beside them. */
export function isFileExport(output: string): boolean {
  const t = outputType(output);
  return t === 'local' || t === 'tar';
}

/** `docker buildx inspect [name]`: the builder's driver, endpoint and BuildKit version. */
export function buildxInspectArgv(name?: string): string[] {
  return ['docker', 'buildx', 'inspect', ...(name ? [name] : [])];
}

/** What `docker buildx inspect` says about a builder's first node. */
export interface BuilderInfo {
  name: string;
  driver: string;
  endpoint: string;
  buildkit: string;
}

export function parseBuildxInspect(text: string): BuilderInfo {
  const field = (key: string) => new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return {
    name: field('Name'),
    driver: field('Driver'),
    endpoint: field('Endpoint'),
    buildkit: field('BuildKit version') || field('Buildkit')
  };
}

/**
 * The image store of the daemon a docker-driver builder runs on: `docker info`'s DriverStatus names
 * `io.containerd.snapshotter.v1` when the containerd image store is on. `context` is the builder's endpoint.
 */
export function driverStatusArgv(context?: string): string[] {
  return [
    'docker',
    ...(context && context !== 'default' ? ['--context', context] : []),
    'info',
    '--format',
    '{{json .DriverStatus}}'
  ];
}

export function usesContainerdStore(driverStatusJson: string): boolean {
  return driverStatusJson.includes('io.containerd.snapshotter');
}

/** Cache exports other than inline (registry, gha, local, s3, azblob…). */
function exportedCaches(o: BuildOptions): string[] {
  return (o.cacheTo ?? []).filter((c) => outputType(c) !== 'inline');
}

/** Whether a request asks for anything a docker-driver builder may refuse (then the driver is read). */
export function needsDriverCheck(o: BuildOptions): boolean {
  return dockerDriverUnsupported(o).length > 0;
}

/**
 * What the `docker` driver without the containerd image store cannot do; buildx itself fails on each of
 * these ("… is not supported for the docker driver"), after the build context has been sent. Refused here
 * before anything runs, naming the input and the fix.
 */
export function dockerDriverUnsupported(o: BuildOptions): UnsupportedInput[] {
  const out: UnsupportedInput[] = [];
  const caches = exportedCaches(o);
  if (caches.length > 0)
    out.push({ input: 'cache-to', why: `${caches.join(' ')}: cache export (other than type=inline)` });
  if ((o.platforms ?? []).length > 1)
    out.push({ input: 'platforms', why: `${o.platforms!.join(',')}: a multi-platform image` });
  if (o.provenance !== undefined && o.provenance !== 'false')
    out.push({ input: 'provenance', why: `provenance=${o.provenance}: attestations` });
  if (o.sbom !== undefined && o.sbom !== 'false')
    out.push({ input: 'sbom', why: `sbom=${o.sbom}: attestations` });
  if ((o.attests ?? []).length > 0) out.push({ input: 'attests', why: 'attestations' });
  return out;
}

/** Throws the InputError for what the docker driver cannot do (nothing when it can do it all). */
export function refuseForDockerDriver(o: BuildOptions, builder: BuilderInfo): void {
  const unsupported = dockerDriverUnsupported(o);
  if (unsupported.length === 0) return;
  throw new InputError(
    unsupported[0]!.input,
    `${unsupported.map((u) => `${u.input}: ${u.why}`).join('; ')} is not supported by builder "${
      builder.name
    }" (driver docker, without the containerd image store)`,
    'create a docker-container builder with docker/setup-buildx-action and pass its name as `builder`, ' +
      'or turn on the containerd image store on the daemon'
  );
}

/**
 * A builder's BuildKit as major and minor, or undefined when it does not say. Distribution builds of dockerd
 * report `v0.0.0+unknown` (Debian's 26.1 does, and runs BuildKit v0.13): that is no version, not v0.0.
 */
function buildkitVersion(version: string): { major: number; minor: number } | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version) ?? /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (major === 0 && minor === 0 && patch === 0) return undefined;
  return { major, minor };
}

/** BuildKit before v0.11 writes no OCI annotations (the registry gets a Docker v2 manifest without them). */
export function buildkitDropsAnnotations(version: string): boolean {
  const v = buildkitVersion(version);
  return v !== undefined && v.major === 0 && v.minor < 11;
}

/** BuildKit before v0.10 has a built-in Dockerfile frontend without named contexts (`--build-context`). */
export function buildkitLacksNamedContexts(version: string): boolean {
  const v = buildkitVersion(version);
  return v !== undefined && v.major === 0 && v.minor < 10;
}

/** A `# syntax=` directive at the top of a Dockerfile: the build then runs that frontend, not the built-in one. */
export function hasSyntaxDirective(dockerfile: string): boolean {
  for (const line of dockerfile.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    if (!t.startsWith('#')) return false;
    if (/^#\s*syntax\s*=/i.test(t)) return true;
  }
  return false;
}

export function buildArgv(builder: Builder, o: BuildOptions, daemonPlatform?: string): string[] {
  return builder === 'classic' ? classicBuildArgv(o, daemonPlatform) : buildxBuildArgv(o);
}

/** `docker login` with the password on stdin, never in argv. */
export function loginArgv(registry: string, username: string): string[] {
  return ['docker', 'login', '--username', username, '--password-stdin', registry];
}
export function logoutArgv(registry: string): string[] {
  return ['docker', 'logout', registry];
}
export function tagArgv(source: string, target: string): string[] {
  return ['docker', 'tag', source, target];
}
export function pushArgv(ref: string): string[] {
  return ['docker', 'push', ref];
}
export function pullArgv(ref: string): string[] {
  return ['docker', 'pull', ref];
}
/** `docker image inspect` with an optional Go template, e.g. '{{json .RepoDigests}}'. */
export function inspectArgv(ref: string, format?: string): string[] {
  return format
    ? ['docker', 'image', 'inspect', '--format', format, ref]
    : ['docker', 'image', 'inspect', ref];
}
export function imageRmArgv(refs: string[], force = false): string[] {
  return ['docker', 'image', 'rm', ...(force ? ['--force'] : []), ...refs];
}

/** The manifest digest `docker push` prints on its last line: `<tag>: digest: sha256:… size: N`. */
export function parsePushDigest(output: string): string | undefined {
  const all = [...output.matchAll(/digest: (sha256:[0-9a-f]{64})/g)];
  return all.at(-1)?.[1];
}

/** The docker CLI argv publish-registry needs (registry's DockerCli), so registry never imports docker. */
export const dockerCli: DockerCli = {
  loginArgv,
  logoutArgv,
  tagArgv,
  pushArgv,
  inspectArgv,
  parsePushDigest
};

// ---------------------------------------------------------------------------------------------------------
// Container and daemon queries for deploys on a host (deploy-compose, rollback). Kept as one block: the
// build and tag parts above have another owner.

/** The daemon's version: fails (naming the socket) when the user may not use docker. */
export function serverVersionArgv(): string[] {
  return ['docker', 'version', '--format', '{{.Server.Version}}'];
}

/**
 * Run a docker argv with a private client config dir (a per-deploy registry login that does not stay behind).
 * Never a compose call: the Compose v2 plugin lives in the user's ~/.docker/cli-plugins, which docker looks
 * for under DOCKER_CONFIG, so `docker compose` would vanish there (and v1 would lose the user's own logins).
 * Log in and pull under the private config; run compose under the user's own.
 */
export function withDockerConfig(dir: string, argv: readonly string[]): string[] {
  const words = argv.filter((w) => !/^\w+=/.test(w) && w !== 'env');
  if (words[0] === 'docker-compose' || (words[0] === 'docker' && words[1] === 'compose'))
    throw new Error(
      `withDockerConfig: \`${words.slice(0, 3).join(' ')}\` would run under a private DOCKER_CONFIG, where the compose plugin is not found`
    );
  return ['env', `DOCKER_CONFIG=${dir}`, ...argv];
}

/** `<id> <status> <health|-> <restarts> <exit code> <name>` per container. */
export const CONTAINER_STATE_FORMAT =
  // `index` and not `.State.Health`: the key is absent for containers without a HEALTHCHECK.
  '{{.Id}} {{.State.Status}} {{with index .State "Health"}}{{.Status}}{{else}}-{{end}} {{.RestartCount}} {{.State.ExitCode}} {{.Name}}';

/** Remove whatever containers a compose project left (a failed earlier run in an idle slot). */
export function removeProjectContainersArgv(project: string): string[] {
  return [
    'sh',
    '-c',
    'ids=$(docker ps -aq --filter "label=com.docker.compose.project=$1"); [ -z "$ids" ] || docker rm -f $ids',
    'sh',
    project
  ];
}

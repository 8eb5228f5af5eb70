import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError, RegistryError, table, type Executor, type Logger } from '../../core/src/index.js';
import { RegistryClient, type Credentials } from './client.js';
import { copyImage, emptyCopyResult, type CopyResult } from './copy.js';
import {
  checkLogin,
  dockerLogin,
  normalizeRegistry,
  parseEcrMode,
  scopeConfigDir,
  usesEcr,
  type DockerCli,
  type Login,
  type LoginState
} from './logins.js';
import { TAG, formatReference, parseReference, type Reference } from './reference.js';

export interface PublishOptions {
  /** host[:port] the username/password belong to; targets without a host go here. */
  registry: string;
  username?: string;
  password?: string;
  /** Used for ghcr.io when no password is given (the workflow's GITHUB_TOKEN). */
  githubToken?: string;
  /** Credentials for the source's registry when it is not `registry`. */
  sourceUsername?: string;
  sourcePassword?: string;
  /** A remote reference (host/repo:tag or @digest) or a local image (no registry host). */
  source: string;
  targets: string[];
  tags: string[];
  /** Also `docker login` (for later steps, and needed to push a local source). */
  dockerLogin: boolean;
  retries?: number;
  backoffMs?: number;
  /** Where docker's config.json is read for registries without explicit credentials (default $DOCKER_CONFIG or ~/.docker). */
  dockerConfigDir?: string;
  /** Environment for docker commands (DOCKER_CONFIG). */
  env?: Record<string, string>;
  /** login-action's `registry-auth`, parsed (parseRegistryAuth): several logins in one step. */
  registryAuth?: Login[];
  /** login-action's `scope` for the `registry` login. */
  scope?: string;
  /** login-action's `ecr`: auto (ECR hosts detected), true or false. */
  ecr?: string;
  /** The environment scope dirs are derived from (BUILDX_CONFIG, DOCKER_CONFIG, DOCKER_LOGIN_SCOPE_DISABLED). */
  loginEnv?: Record<string, string | undefined>;
}

export interface PublishPlan {
  /** `registry`, normalised (index.docker.io → docker.io). */
  registry: string;
  /** Neither source nor targets: log in (and out in the post step) only, as docker/login-action. */
  loginOnly: boolean;
  source: Reference;
  /** The source is an image in the local docker daemon, pushed with docker to the first target. */
  local: boolean;
  targets: { ref: Reference; tags: string[] }[];
  credentials: Map<string, Credentials>;
  /** Where each registry's credentials come from, for the log (never the secret). */
  credentialSource: Map<string, string>;
  /** The `docker login`s this step makes (when dockerLogin), in order. */
  logins: Login[];
}

export interface PublishResult extends CopyResult {
  /** Registries `docker login` succeeded for (logged out in the post step). */
  loggedIn: string[];
  /** The source was a local image, pushed with docker to the first target. */
  local: boolean;
  /** Nothing was promoted: the step only logged in. */
  loginOnly: boolean;
}

const GHCR = 'ghcr.io';

/** Validate every input and decide what goes where; throws InputError before anything changes. */
export function planPublish(o: PublishOptions): PublishPlan {
  const raw = o.registry.trim();
  if (!raw) throw new InputError('registry', 'is empty', 'give the registry host, e.g. ghcr.io');
  // docker.io and index.docker.io are one registry; keys below use the normalised name.
  const registry = normalizeRegistry(raw, 'registry');
  const auths = o.registryAuth ?? [];
  const ecr = parseEcrMode(o.ecr);
  if (auths.length > 0 && (o.password || o.scope || ecr !== 'auto'))
    throw new InputError(
      'registry-auth',
      `cannot be used with ${o.password ? 'password' : o.scope ? 'scope' : 'ecr'}`,
      'put every login in registry-auth, or use registry/username/password for one'
    );

  const loginOnly = o.source.trim() === '' && o.targets.length === 0;
  if (loginOnly) {
    const creds =
      auths.length > 0 || (o.password && (o.username || usesEcr({ registry, ecr })))
        ? true
        : registry === GHCR && !!o.githubToken;
    if (!creds)
      throw new InputError(
        'password',
        `is empty, and with no source and targets this step only logs in to ${registry}`,
        'give username and password (or a source and targets to promote)'
      );
  } else if (o.source.trim() === '')
    throw new InputError('source', 'is empty but targets are given', 'give the image to promote');
  const source = loginOnly
    ? { registry, repository: '', explicitRegistry: true }
    : parseReference(o.source, { input: 'source' });
  const local = !source.explicitRegistry;
  if (local && source.digest)
    throw new InputError(
      'source',
      `"${o.source}" has a digest but no registry host`,
      'a local image is named by name[:tag]; a remote one by host/repo@sha256:…'
    );

  // A remote source with no targets is only resolved: its digest, nothing written.
  if (o.targets.length === 0 && !loginOnly && local)
    throw new InputError(
      'targets',
      'is empty, and a local image needs a target to be pushed to',
      'give one or more references, e.g. ghcr.io/acme/shop'
    );
  if (o.targets.length === 0 && !loginOnly && o.tags.length > 0)
    throw new InputError(
      'tags',
      'are given but there are no targets to put them on',
      'give targets, or no tags'
    );
  for (const tag of o.tags)
    if (!TAG.test(tag))
      throw new InputError(
        'tags',
        `"${tag}" is not a valid tag`,
        'a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}'
      );
  const targets = o.targets.map((t) => {
    const withHost = parseReference(t, { input: 'targets' }).explicitRegistry ? t : `${registry}/${t}`;
    const ref = parseReference(withHost, { input: 'targets' });
    if (ref.digest)
      throw new InputError('targets', `"${t}" has a digest`, 'a target is a repository with an optional tag');
    const tags = o.tags.length > 0 ? o.tags : ref.tag ? [ref.tag] : source.tag ? [source.tag] : [];
    return { ref: { ...ref, tag: undefined }, tags };
  });
  const seen = new Set<string>();
  for (const t of targets) {
    const key = `${t.ref.registry}/${t.ref.repository}`;
    if (seen.has(key) && o.tags.length > 0)
      throw new InputError('targets', `${key} is listed twice`, 'list each target repository once');
    seen.add(key);
  }

  const credentials = new Map<string, Credentials>();
  const credentialSource = new Map<string, string>();
  // `username` defaults to the workflow actor, so a username without a password is not an error: the
  // registry's credentials then come from docker config.json, else anonymous access (and a registry that
  // needs more answers the ping before anything is pushed, naming itself).
  const logins: Login[] = [];
  for (const a of auths) {
    credentials.set(a.registry, { username: a.username, password: a.password });
    credentialSource.set(a.registry, `registry-auth (user ${a.username}${usesEcr(a) ? ', ECR' : ''})`);
    logins.push(a);
  }
  const ecrLogin = usesEcr({ registry, ecr });
  if (o.password && !o.username && !ecrLogin)
    throw new InputError(
      'username',
      'is empty but a password is given',
      'give the user the password belongs to'
    );
  if (auths.length > 0) {
    // every credential came from registry-auth
  } else if (o.password) {
    const login = checkLogin(
      {
        registry,
        username: o.username ?? '',
        password: o.password,
        scope: o.scope || undefined,
        ecr,
        configDir: scopeConfigDir(registry, o.scope, o.loginEnv ?? {})
      },
      ecrLogin ? 'ecr' : 'password'
    );
    credentials.set(registry, { username: login.username, password: login.password });
    credentialSource.set(
      registry,
      `inputs username/password (user ${login.username}${ecrLogin ? ', ECR' : ''})`
    );
    logins.push(login);
  } else if (ecrLogin) {
    throw new InputError(
      'password',
      `is empty and ${registry} is ECR`,
      'pass the output of `aws ecr get-login-password` as password (username AWS); this action makes no AWS call'
    );
  } else if (registry === GHCR && o.githubToken) {
    const login = {
      registry,
      username: o.username || 'github-actions',
      password: o.githubToken,
      scope: o.scope || undefined,
      ecr,
      configDir: scopeConfigDir(registry, o.scope, o.loginEnv ?? {})
    };
    credentials.set(registry, { username: login.username, password: login.password });
    credentialSource.set(registry, 'the workflow token');
    logins.push(login);
  }
  if (o.sourceUsername && !o.sourcePassword)
    throw new InputError(
      'source-password',
      'is empty but source-username is set',
      'give the source password'
    );
  if (o.sourcePassword && !o.sourceUsername)
    throw new InputError('source-username', 'is empty but source-password is set', 'give the source user');
  if (o.sourcePassword && o.sourceUsername) {
    if (local)
      throw new InputError(
        'source-username',
        'is set but the source is a local image',
        'drop source-username/password'
      );
    credentials.set(source.registry, { username: o.sourceUsername, password: o.sourcePassword });
    credentialSource.set(
      source.registry,
      `inputs source-username/source-password (user ${o.sourceUsername})`
    );
  }
  const config = readDockerConfig(o.dockerConfigDir);
  for (const host of new Set([
    ...(local || loginOnly ? [] : [source.registry]),
    ...targets.map((t) => t.ref.registry)
  ])) {
    if (credentials.has(host)) continue;
    const fromConfig = config(host);
    if (fromConfig) {
      credentials.set(host, fromConfig);
      credentialSource.set(host, `docker config.json (user ${fromConfig.username})`);
    } else credentialSource.set(host, 'anonymous');
  }
  return { registry, loginOnly, source, local, targets, credentials, credentialSource, logins };
}

/** Credentials from docker's config.json `auths` (base64 user:password); credential helpers are not run. */
export function readDockerConfig(dir?: string): (host: string) => Credentials | undefined {
  const path = join(dir ?? process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let auths: Record<string, { auth?: string; username?: string; password?: string }> = {};
  try {
    auths = (JSON.parse(readFileSync(path, 'utf8')) as { auths?: typeof auths }).auths ?? {};
  } catch {
    return () => undefined;
  }
  return (host) => {
    const keys =
      host === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io'] : [host];
    for (const k of [...keys, `https://${host}`, `http://${host}`]) {
      const e = auths[k];
      if (!e) continue;
      if (e.auth) {
        const text = Buffer.from(e.auth, 'base64').toString('utf8');
        const i = text.indexOf(':');
        if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
      }
      if (e.username && e.password) return { username: e.username, password: e.password };
    }
    return undefined;
  };
}

/**
 * publish-registry's engine: log in, then promote `source` to every target by digest through the
 * Registry API (a local source is first pushed with docker to the first target), and verify.
 */
export async function publish(
  o: PublishOptions,
  deps: {
    executor: Executor;
    logger: Logger;
    /** The docker CLI's argv (packages/docker's dockerCli). */
    docker: DockerCli;
    /** Called after each successful `docker login`, so the post step logs out even when the copy fails. */
    onLogin?: (login: LoginState) => void;
  }
): Promise<PublishResult> {
  const { logger } = deps;
  const plan = planPublish(o);
  for (const c of plan.credentials.values()) logger.secret(c.password);
  for (const [host, from] of plan.credentialSource) logger.info(`${host}: credentials from ${from}`);

  const clients = new Map<string, RegistryClient>();
  const clientFor = (host: string): RegistryClient => {
    let c = clients.get(host);
    if (!c) {
      c = new RegistryClient({
        registry: host,
        credentials: plan.credentials.get(host),
        retries: o.retries,
        backoffMs: o.backoffMs,
        logger
      });
      clients.set(host, c);
    }
    return c;
  };
  // Every registry answers and takes the credentials before anything is pushed.
  const loginHosts = plan.logins.length > 0 ? plan.logins.map((l) => l.registry) : [plan.registry];
  const hosts = new Set([
    ...(plan.local || plan.loginOnly ? [] : [plan.source.registry]),
    ...(plan.loginOnly ? loginHosts : []),
    ...plan.targets.map((t) => t.ref.registry)
  ]);
  for (const host of hosts) await clientFor(host).ping();

  const loggedIn: string[] = [];
  if (o.dockerLogin) {
    for (const login of plan.logins) {
      const r = await dockerLogin(login, { ...deps, env: o.env });
      if (r === 'absent') {
        logger.warning('docker is not installed: skipped docker login (the API copy needs no daemon)');
        break;
      }
      loggedIn.push(login.registry);
      deps.onLogin?.({
        registry: login.registry,
        ...(login.configDir ? { configDir: login.configDir } : {})
      });
    }
  }

  if (plan.loginOnly) {
    logger.info(
      `${[...new Set(loginHosts)].join(', ')}: credentials accepted; nothing to promote (no source and targets)`
    );
    return {
      ...emptyCopyResult(),
      loggedIn,
      local: false,
      loginOnly: true
    };
  }
  let source = plan.source;
  if (plan.local) source = await pushLocal(plan, o, deps);

  const result = await copyImage(
    { ref: source, client: clientFor(source.registry) },
    plan.targets.map((t) => ({ ref: t.ref, client: clientFor(t.ref.registry), tags: t.tags })),
    { logger, retries: o.retries, backoffMs: o.backoffMs }
  );
  if (plan.targets.length === 0)
    logger.info(`${formatReference(source)} resolves to ${result.digest}; no targets, nothing written`);
  return { ...result, loggedIn, local: plan.local, loginOnly: false };
}

/** A local image: `docker tag` + `docker push` to the first target; returns the pushed reference by digest. */
async function pushLocal(
  plan: PublishPlan,
  o: PublishOptions,
  deps: { executor: Executor; logger: Logger; docker: DockerCli }
): Promise<Reference> {
  const { executor, logger, docker } = deps;
  const name = o.source.trim();
  const inspect = await executor.run({
    argv: docker.inspectArgv(name, '{{.Id}}'),
    check: false,
    step: 'docker image inspect'
  });
  if (inspect.exitCode !== 0) {
    throw new InputError(
      'source',
      `"${name}" names no registry host, so it is a local image, and docker has no image by that name`,
      'build it first, or give a remote reference with its registry host (docker.io/… for Docker Hub)'
    );
  }
  const t = plan.targets[0]!;
  const tag = t.tags[0] ?? plan.source.tag ?? 'latest';
  const dest = formatReference({ ...t.ref, tag });
  await executor.run({ argv: docker.tagArgv(name, dest), env: o.env, step: 'docker tag', timeoutMs: 60_000 });
  logger.info(`pushing local image ${name} (${inspect.stdout.trim()}) as ${dest}`);
  const push = await executor.run({
    argv: docker.pushArgv(dest),
    env: o.env,
    step: 'docker push',
    timeoutMs: 30 * 60_000
  });
  const digest = docker.parsePushDigest(push.stdout + push.stderr);
  if (!digest)
    throw new RegistryError(`docker push ${dest} printed no digest`, {
      state: `${dest} may have been pushed`,
      hint: 'look at the docker push output above'
    });
  return { ...t.ref, tag: undefined, digest };
}

export function publishSummary(r: PublishResult): string {
  if (r.loginOnly)
    return `### publish-registry: logged in to ${r.loggedIn.join(', ') || 'the registry (credentials checked)'}\n`;
  if (r.refs.length === 0)
    return `### publish-registry: resolved \`${r.digest}\`\n\nNo targets: nothing was written.\n`;
  return [
    `### publish-registry: \`${r.digest}\``,
    '',
    `${r.mediaType}${r.platforms.length ? ` with ${r.platforms.length} platforms: ${r.platforms.join(', ')}` : ''}`,
    '',
    table(
      ['blobs copied', 'mounted', 'already there', 'bytes streamed', 'manifests written'],
      [[r.blobsCopied, r.blobsMounted, r.blobsSkipped, r.bytesCopied, r.manifestsPut]]
    ),
    table(
      ['Reference written and verified'],
      r.refs.map((ref) => [`\`${ref}\``])
    ),
    ''
  ].join('\n');
}

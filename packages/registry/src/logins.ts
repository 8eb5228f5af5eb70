import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CommandError, InputError, RegistryError, type Executor, type Logger } from '../../core/src/index.js';
import { parseReference } from './reference.js';

/**
 * docker/login-action's logins: one registry (`registry`/`username`/`password`/`scope`/`ecr`) or several
 * (`registry-auth`, a YAML list of the same fields); ECR hosts detected; `scope` logs in under a buildx
 * config dir of its own. The docker CLI's argv comes from packages/docker through `DockerCli`, so this
 * package never imports docker (docker imports registry for the reference grammar).
 */
export type EcrMode = 'auto' | 'true' | 'false';

export interface Login {
  /** host[:port], normalised (index.docker.io → docker.io). */
  registry: string;
  username: string;
  password: string;
  scope?: string;
  ecr: EcrMode;
  /** DOCKER_CONFIG for this login (a scoped login); undefined: docker's default config. */
  configDir?: string;
}

/** The docker CLI argv publish needs; packages/docker's `dockerCli` is the implementation. */
export interface DockerCli {
  loginArgv(registry: string, username: string): string[];
  logoutArgv(registry: string): string[];
  tagArgv(source: string, target: string): string[];
  pushArgv(ref: string): string[];
  inspectArgv(ref: string, format?: string): string[];
  parsePushDigest(output: string): string | undefined;
}

const ECR =
  /^(([0-9]{12})\.(dkr\.ecr|dkr-ecr)\.(.+)\.(on\.aws|amazonaws\.(com(\.cn)?|eu)))(\/([^:]+)(:.+)?)?$/;
const ECR_PUBLIC = /public\.ecr\.aws|ecr-public\.aws\.com/;

/** An Amazon ECR host (private `<account>.dkr.ecr.<region>.amazonaws.com` or ECR Public). */
export function isEcr(registry: string): boolean {
  return ECR.test(registry) || ECR_PUBLIC.test(registry);
}

/** Does this login go through ECR's flow? `ecr: true` forces it, `auto` asks the host name. */
export function usesEcr(login: Pick<Login, 'registry' | 'ecr'>): boolean {
  return login.ecr === 'true' || (login.ecr === 'auto' && isEcr(login.registry));
}

export function parseEcrMode(value: string | undefined, input = 'ecr'): EcrMode {
  const v = (value ?? '').trim().toLowerCase() || 'auto';
  if (v !== 'auto' && v !== 'true' && v !== 'false')
    throw new InputError(
      input,
      `"${value}" is not auto, true or false`,
      'use ecr: auto (the default), true or false'
    );
  return v;
}

/** buildx's config dir: $BUILDX_CONFIG, else $DOCKER_CONFIG/buildx, else ~/.docker/buildx. */
export function buildxConfigDir(env: Record<string, string | undefined>): string {
  return env.BUILDX_CONFIG || join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'buildx');
}

/**
 * login-action's `scope`: the login lands in `<buildx config>/config/<registry>/<scope>` (`@push` style
 * scopes are appended to the registry directory), which buildx reads for that repository only.
 */
export function scopeConfigDir(
  registry: string,
  scope: string | undefined,
  env: Record<string, string | undefined>
): string | undefined {
  if (!scope || /^(true|1)$/i.test(env.DOCKER_LOGIN_SCOPE_DISABLED ?? '')) return undefined;
  const base = join(
    buildxConfigDir(env),
    'config',
    registry === 'docker.io' ? 'registry-1.docker.io' : registry
  );
  return scope.startsWith('@') ? `${base}${scope}` : join(base, scope);
}

export function normalizeRegistry(raw: string, input: string): string {
  const ref = parseReference(`${raw.trim()}/x/y`, { input });
  if (!ref.explicitRegistry || ref.repository !== 'x/y')
    throw new InputError(input, `"${raw}" is not a registry host[:port]`, 'e.g. ghcr.io or 127.0.0.1:5000');
  return ref.registry;
}

/**
 * A login ready to run: ECR logins take `AWS` as the user by default and refuse AWS access keys (no AWS
 * call is made here: the password is the token an earlier AWS step printed).
 */
export function checkLogin(login: Login, input: string): Login {
  if (usesEcr(login)) {
    const username = login.username || 'AWS';
    if (/^(AKIA|ASIA)[A-Z0-9]{12,}$/.test(username))
      throw new InputError(
        input,
        `${login.registry} is ECR and the username is an AWS access key id; this action makes no AWS call`,
        'get a registry password in an earlier step (aws ecr get-login-password, or aws-actions/amazon-ecr-login) and pass it as password with username AWS'
      );
    if (!login.password)
      throw new InputError(
        input,
        `${login.registry} is ECR and no password is given`,
        'pass the output of `aws ecr get-login-password` as password (username AWS)'
      );
    return { ...login, username };
  }
  if (!login.username || !login.password)
    throw new InputError(
      input,
      `the login to ${login.registry} needs ${!login.username && !login.password ? 'a username and a password' : !login.username ? 'a username' : 'a password'}`,
      'give username and password'
    );
  return login;
}

/** `registry-auth`: a YAML list of `{registry, username, password, scope?, ecr?}`. */
export function parseRegistryAuth(text: string, env: Record<string, string | undefined> = {}): Login[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputError(
      'registry-auth',
      `is not YAML: ${(err as Error).message.split('\n')[0]}`,
      'write a YAML list of logins'
    );
  }
  if (!Array.isArray(doc) || doc.length === 0)
    throw new InputError(
      'registry-auth',
      'is not a list of logins',
      'write e.g. "- registry: ghcr.io\\n  username: …\\n  password: …" per registry'
    );
  return doc.map((entry: unknown, i) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const str = (k: string) => (e[k] === undefined || e[k] === null ? '' : String(e[k]));
    for (const k of Object.keys(e))
      if (!['registry', 'username', 'password', 'scope', 'ecr'].includes(k))
        throw new InputError(
          'registry-auth',
          `entry ${i + 1}: unknown key "${k}"`,
          'use registry, username, password, scope, ecr'
        );
    const registry = normalizeRegistry(str('registry') || 'docker.io', 'registry-auth');
    const scope = str('scope') || undefined;
    return checkLogin(
      {
        registry,
        username: str('username'),
        password: str('password'),
        scope,
        ecr: parseEcrMode(str('ecr'), 'registry-auth'),
        configDir: scopeConfigDir(registry, scope, env)
      },
      'registry-auth'
    );
  });
}

export interface LoginDeps {
  executor: Executor;
  logger: Logger;
  docker: DockerCli;
  env?: Record<string, string>;
}

/** `docker login` with the password on stdin. 'absent': docker is not installed (a warning, not an error). */
export async function dockerLogin(login: Login, deps: LoginDeps): Promise<'ok' | 'absent'> {
  const env = { ...deps.env, ...(login.configDir ? { DOCKER_CONFIG: login.configDir } : {}) };
  const r = await deps.executor
    .run({
      argv: deps.docker.loginArgv(login.registry, login.username),
      stdin: login.password,
      env,
      check: false,
      step: `docker login ${login.registry}`,
      timeoutMs: 60_000
    })
    .catch((err: unknown) => {
      if (err instanceof CommandError && err.exitCode === 127) return undefined;
      throw err;
    });
  if (!r) return 'absent';
  if (r.exitCode !== 0)
    throw new RegistryError(`docker login ${login.registry} failed: ${r.stderr.trim().split('\n').at(-1)}`, {
      state: 'nothing was pushed',
      hint: usesEcr(login)
        ? 'an ECR password lasts 12 hours: get a fresh one in the step before'
        : 'check username and password'
    });
  deps.logger.info(
    `docker login ${login.registry}${login.scope ? ` (scope ${login.scope}, config ${login.configDir})` : ''}${usesEcr(login) ? ' (ECR)' : ''}: ok`
  );
  return 'ok';
}

/** What the post step logs out of: each registry with the config dir it was logged in under. */
export interface LoginState {
  registry: string;
  configDir?: string;
}

export function encodeLoginState(list: LoginState[]): string {
  return JSON.stringify(list);
}

export function decodeLoginState(state: string): LoginState[] {
  const t = state.trim();
  if (!t) return [];
  if (t.startsWith('[')) return JSON.parse(t) as LoginState[];
  return t
    .split('\n')
    .filter(Boolean)
    .map((registry) => ({ registry })); // the older one-per-line state
}

/** The post step: `docker logout` of every login the main step made; a failure is a warning only. */
export async function logoutAll(state: string, deps: Omit<LoginDeps, 'env'>): Promise<void> {
  for (const s of decodeLoginState(state)) {
    const r = await deps.executor
      .run({
        argv: deps.docker.logoutArgv(s.registry),
        env: s.configDir ? { DOCKER_CONFIG: s.configDir } : undefined,
        check: false,
        step: 'docker logout',
        timeoutMs: 30_000
      })
      .catch((err: unknown) => ({ exitCode: -1, stderr: String(err) }));
    if (r.exitCode === 0)
      deps.logger.info(`logged out of ${s.registry}${s.configDir ? ` (${s.configDir})` : ''}`);
    else deps.logger.warning(`docker logout ${s.registry} failed: ${r.stderr.trim()}`);
  }
}

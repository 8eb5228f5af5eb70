import {
  CommandError,
  DeployError,
  type Executor,
  type Logger,
  type RunResult
} from '../../core/src/index.js';
import {
  privateDirArgv,
  registryLoginArgv,
  removeDirArgv,
  STACK_STATE_MARKER,
  serviceRollbackArgv,
  stackDeployArgv,
  stackRemoveArgv,
  stackStateArgv,
  swarmInfoArgv
} from './argv.js';
import { judgeStack, type StackVerdict, type SwarmService, type SwarmTask } from './converge.js';
import type { StackSource } from './stackfile.js';

/** Where a stack runs: a manager reached by an executor (local or SSH), and the stack's name. */
export interface SwarmTarget {
  executor: Executor;
  logger: Logger;
  stack: string;
  /** Bound on each single docker command (default 60 s). */
  commandTimeoutMs?: number;
}

export interface RegistryAuth {
  registry: string;
  username: string;
  password: string;
}

export interface WaitOptions {
  /** Overall bound on convergence. */
  timeoutMs: number;
  /** Between two looks (default 1 s). */
  pollMs?: number;
  maxFailedTasks?: number;
  /** One clock for the loop; tests may pass their own. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface StackState {
  services: SwarmService[];
  tasks: SwarmTask[];
}

export interface ConvergeResult extends StackVerdict {
  timedOut: boolean;
  durationMs: number;
  /** Looks taken (each is one command, one SSH session). */
  polls: number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function docker(
  t: SwarmTarget,
  argv: string[],
  step: string,
  extra: { stdin?: string; check?: boolean } = {}
): Promise<RunResult> {
  return t.executor.run({ argv, step, timeoutMs: t.commandTimeoutMs ?? 60_000, ...extra });
}

/**
 * Refuse a node that cannot deploy stacks, naming the fix: no swarm at all (`docker swarm init`), or a
 * worker (stacks deploy only through a manager).
 */
export async function assertManager(t: SwarmTarget): Promise<void> {
  const r = await docker(t, swarmInfoArgv(), 'swarm state');
  let info: { LocalNodeState?: string; ControlAvailable?: boolean; Error?: string };
  try {
    info = JSON.parse(r.stdout) as typeof info;
  } catch {
    throw new DeployError(
      `Could not read the swarm state of ${t.executor.target}: ${r.stdout.trim() || r.stderr.trim()}`,
      {
        state: 'nothing was changed'
      }
    );
  }
  if (info.LocalNodeState !== 'active')
    throw new DeployError(
      `This node is not a swarm manager: ${t.executor.target} is in swarm state "${info.LocalNodeState || 'unknown'}"${info.Error ? ` (${info.Error})` : ''}`,
      {
        state: 'nothing was changed',
        hint: `make it a manager with \`docker swarm init --advertise-addr <its address>\`, or point the deploy at an existing manager (a node joins with \`docker swarm join\`)`
      }
    );
  if (!info.ControlAvailable)
    throw new DeployError(`This node is not a swarm manager: ${t.executor.target} is a worker`, {
      state: 'nothing was changed',
      hint: 'point the deploy at a manager (`docker node ls` on a manager lists them, MANAGER STATUS set)'
    });
}

/** The stack's services and every task of them, as Docker reports them now (one command). */
export async function readStack(t: SwarmTarget): Promise<StackState> {
  const out = (await docker(t, stackStateArgv(t.stack), 'read the stack state')).stdout;
  const at = out.indexOf(STACK_STATE_MARKER);
  if (at < 0)
    throw new DeployError(
      `Could not read the state of stack ${t.stack} on ${t.executor.target}: ${out.slice(0, 200)}`
    );
  return {
    services: JSON.parse(out.slice(0, at)) as SwarmService[],
    tasks: JSON.parse(out.slice(at + STACK_STATE_MARKER.length)) as SwarmTask[]
  };
}

/** service name → Version.Index, to tell which services an operation changed. */
function versions(state: StackState): Map<string, number | undefined> {
  return new Map(state.services.map((s) => [s.Spec.Name, s.Version?.Index]));
}

/**
 * Wait until every service runs its spec (or one fails, or time runs out). Never trusts a command's return:
 * only what the tasks report counts. `before` (the state before the operation) marks the services the
 * operation left unchanged, whose UpdateStatus is from an earlier update.
 */
export async function waitForConvergence(
  t: SwarmTarget,
  before: StackState,
  options: WaitOptions & { mode?: 'update' | 'rollback'; expect?: readonly string[] }
): Promise<ConvergeResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const started = now();
  const old = versions(before);
  let polls = 0;
  for (;;) {
    const state = await readStack(t);
    polls++;
    const unchanged = new Set(
      state.services
        .filter((s) => old.has(s.Spec.Name) && old.get(s.Spec.Name) === s.Version?.Index)
        .map((s) => s.Spec.Name)
    );
    const verdict = judgeStack(state.services, state.tasks, {
      mode: options.mode,
      unchanged,
      maxFailedTasks: options.maxFailedTasks
    });
    const missing = (options.expect ?? []).filter(
      (name) => !state.services.some((s) => s.Spec.Name === name)
    );
    const done = verdict.state === 'failed' || (verdict.state === 'converged' && !missing.length);
    const elapsed = now() - started;
    if (done || elapsed >= options.timeoutMs) {
      const timedOut = !done;
      return {
        ...verdict,
        state: timedOut ? 'failed' : verdict.state,
        timedOut,
        durationMs: elapsed,
        polls
      };
    }
    t.logger.debug(`swarm: ${verdict.services.map((v) => `${v.service}: ${v.detail}`).join('; ')}`);
    await sleep(Math.min(options.pollMs ?? 1000, Math.max(0, options.timeoutMs - elapsed)));
  }
}

/** Run `fn` with a private client config logged in to the registry (when given), removed afterwards. */
async function withRegistryAuth<T>(
  t: SwarmTarget,
  auth: RegistryAuth | undefined,
  fn: (dockerConfig?: string) => Promise<T>
): Promise<T> {
  if (!auth) return fn();
  const dir = (await docker(t, privateDirArgv(), 'private docker config')).stdout.trim();
  try {
    await docker(t, registryLoginArgv(auth.registry, auth.username, dir), `log in to ${auth.registry}`, {
      stdin: auth.password
    });
    return await fn(dir);
  } finally {
    await docker(t, removeDirArgv(dir), 'remove private docker config', { check: false });
  }
}

export interface StackDeployResult {
  converge: ConvergeResult;
  /** Services whose image this deploy changed (or created). */
  changed: string[];
  /** What ran before, for the rollback. */
  before: StackState;
}

/**
 * `docker stack deploy` of a pinned stack file, then wait for convergence. Registry credentials go to a
 * per-deploy DOCKER_CONFIG and on to the nodes with `--with-registry-auth`; nothing stays in the user's
 * own config.
 */
export async function deployStack(
  t: SwarmTarget,
  file: StackSource,
  options: WaitOptions & { registryAuth?: RegistryAuth; prune?: boolean }
): Promise<StackDeployResult> {
  const before = await readStack(t);
  const images = new Map(before.services.map((s) => [s.Spec.Name, s.Spec.TaskTemplate.ContainerSpec.Image]));
  const changed = file.services.filter((name) => {
    const running = images.get(`${t.stack}_${name}`);
    return !running || !sameImage(running, file.images[name]!);
  });
  await withRegistryAuth(t, options.registryAuth, async (dockerConfig) => {
    const r = await docker(
      t,
      stackDeployArgv(t.stack, {
        withRegistryAuth: Boolean(dockerConfig),
        prune: options.prune,
        dockerConfig,
        ...(file.path ? { file: file.path } : {})
      }),
      `docker stack deploy ${t.stack}`,
      { ...(file.path ? {} : { stdin: file.text ?? '' }), check: false }
    );
    if (r.exitCode !== 0)
      throw new CommandError(r.argv, r.exitCode, r.stdout, r.stderr, {
        where: t.executor.target,
        state: 'the stack was not changed, or only partly: the services that ran before keep running',
        hint: 'read the error above; `docker stack config -c <file>` shows how Docker reads the stack file'
      });
  });
  const converge = await waitForConvergence(t, before, {
    ...options,
    mode: 'update',
    expect: file.services.map((s) => `${t.stack}_${s}`)
  });
  return { converge, changed, before };
}

/**
 * Return the stack to what served before. With the previous release's stack file, redeploy it whole (this
 * also restores services the failed release removed); without one, `docker service rollback` each changed
 * service that Swarm is not already rolling back; with nothing before (a first deploy), remove the stack.
 */
export async function rollbackStack(
  t: SwarmTarget,
  failed: StackDeployResult,
  options: WaitOptions & { previous?: StackSource; registryAuth?: RegistryAuth }
): Promise<ConvergeResult & { how: 'redeploy' | 'service-rollback' | 'removed' }> {
  if (options.previous) {
    const r = await deployStack(t, options.previous, { ...options, prune: true });
    return { ...r.converge, how: 'redeploy' };
  }
  const now = await readStack(t);
  const existed = new Set(failed.before.services.map((s) => s.Spec.Name));
  if (!existed.size) {
    await docker(t, stackRemoveArgv(t.stack), `docker stack rm ${t.stack}`);
    return { state: 'converged', services: [], timedOut: false, durationMs: 0, polls: 0, how: 'removed' };
  }
  for (const s of now.services) {
    const name = s.Spec.Name;
    const short = name.slice(t.stack.length + 1);
    if (!existed.has(name) || !failed.changed.includes(short)) continue;
    if (s.UpdateStatus?.State?.startsWith('rollback')) continue; // Swarm is already on it.
    await docker(t, serviceRollbackArgv(name), `docker service rollback ${name}`);
  }
  const converge = await waitForConvergence(t, now, { ...options, mode: 'rollback' });
  return { ...converge, how: 'service-rollback' };
}

/** Docker writes `repo:tag@sha256:…` into the spec; a reference pinned by digest matches on the digest. */
function sameImage(a: string, b: string): boolean {
  const digest = (ref: string) => /@(sha256:[a-f0-9]{64})$/.exec(ref)?.[1];
  const da = digest(a);
  const db = digest(b);
  return da && db ? da === db : a === b;
}

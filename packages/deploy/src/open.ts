import { hostname } from 'node:os';
import { DeployError } from '../../core/src/index.js';
import { composeDetectArgv, composeFound } from '../../compose/src/index.js';
import { serverVersionArgv } from '../../docker/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import { mkdirArgv, readStateArgv, requireProgramArgv, whichArgv } from './commands.js';
import { parseState, type Host, type PhaseResult } from './host.js';
import {
  heldLock,
  lockFailed,
  lockSeen,
  lockSteps,
  lockTimeoutError,
  localPidAlive,
  newHolder,
  staleLockError,
  describeHolder,
  type LockOptions
} from './lock.js';
import { holderRun, lockVerdict, type WorkflowRunState } from './takeover.js';
import { processStart, runnerIdentity } from './identity.js';
import type { HistoryEntry, LockHolder } from './types.js';
import { type HostContext, type HostTools, type RunState } from './run.js';

/**
 * The open phase, one session: docker answers for this user, compose and (for slots) nginx are there, the
 * lock is taken and the host's releases are read. Refused with the fix before anything changes.
 */
export function checkSteps(needNginx: boolean): ScriptStep[] {
  return [
    { name: 'docker', argv: serverVersionArgv() },
    { name: 'compose', argv: composeDetectArgv({ required: true }) },
    { name: 'tools', argv: whichArgv('curl', 'wget', 'nginx', 'flock'), check: false },
    ...(needNginx ? [{ name: 'nginx', argv: requireProgramArgv('nginx') }] : [])
  ];
}

/** The docker check's verdict: undefined when docker answers for this user. */
export function dockerProblem(host: Host, r: PhaseResult, user?: string): DeployError | undefined {
  const docker = r.get('docker');
  if (!docker || docker.exitCode === 0) return undefined;
  const text = (docker.stderr || docker.stdout).trim();
  const denied = /permission denied/i.test(text);
  return new DeployError(`Docker does not answer on ${host.name}: ${text}`, {
    state: 'nothing was changed on the host',
    hint: denied
      ? `the SSH user${user ? ` ${user}` : ''} may not use docker: add it to the docker group on the host (\`sudo usermod -aG docker ${user ?? '<user>'}\`, then reconnect) or deploy as a user who may`
      : 'check that dockerd runs and that the SSH user may use it (docker group or root)'
  });
}

export function nginxProblem(host: Host, r: PhaseResult): DeployError | undefined {
  const nginx = r.get('nginx');
  if (!nginx || nginx.exitCode === 0) return undefined;
  return new DeployError(
    `nginx is not installed on ${host.name} (${(nginx.stderr || nginx.stdout).trim()}); blue-green and rolling switch traffic with it`,
    {
      state: 'nothing was changed on the host',
      hint: 'install nginx on the host (`apt-get install nginx-light`; it needs no service: the deploy runs its own instance from state-dir as the SSH user), or use strategy recreate'
    }
  );
}

/** Turn the check steps' results into tools, or the error that names the fix. */
export function checkedTools(host: Host, r: PhaseResult, user?: string): HostTools {
  const docker = dockerProblem(host, r, user);
  if (docker) throw docker;
  const compose = r.get('compose');
  const tool = composeFound((compose?.stdout ?? '') + (compose?.stderr ?? ''), host.name, host.logger);
  const nginx = nginxProblem(host, r);
  if (nginx) throw nginx;
  const found = (r.get('tools')?.stdout ?? '').split('\n').map((l) => l.trim());
  if (r.get('tools')?.exitCode === 0 && !found.includes('flock'))
    host.logger.warning(
      `${host.name} has no flock: the phases of two runs (a takeover beside a detached phase a dead runner left) are not serialized there; install util-linux (apt-get install util-linux)`
    );
  return {
    compose: tool,
    http: found.includes('curl') ? 'curl' : found.includes('wget') ? 'wget' : null,
    nginx: found.includes('nginx')
  };
}

export interface OpenOptions {
  /** Take the lock (a dry run only reads). */
  lock: boolean;
  releaseHint?: string;
  /** Refuse a host without nginx (deploys with slots). */
  needNginx: boolean;
}

export async function openHost(ctx: HostContext, s: RunState, o: OpenOptions): Promise<RunState> {
  const { host, spec, deps, rec } = ctx;
  const clock = rec.clock;
  const runner = deps.runner ?? { name: hostname(), pid: process.pid, id: runnerIdentity() };
  const pidStart = runner.pid === process.pid ? processStart(runner.pid) : undefined;
  const lockOptions: LockOptions = {
    timeoutMs: spec.lockTimeoutMs,
    staleMs: spec.lockStaleMs,
    pollMs: spec.lockPollMs,
    breakLock: spec.breakLock,
    runnerName: runner.name,
    ...(runner.id ? { runnerId: runner.id } : {}),
    holder: {
      actor: deps.context.actor,
      runUrl: deps.context.runUrl,
      runner: runner.name,
      pid: runner.pid,
      ...(runner.id ? { runnerId: runner.id } : {}),
      ...(pidStart ? { pidStart } : {}),
      ...(runner.repository && runner.runId
        ? { repository: runner.repository, runId: runner.runId, runAttempt: runner.runAttempt ?? '1' }
        : {}),
      operation: ctx.operation,
      ...(o.releaseHint ? { release: o.releaseHint } : {})
    }
  };
  const started = clock.ms();
  // The token of the lock to remove before taking it ('' for one without holder.json), once judged.
  let removeToken: string | undefined;
  let takenOver: { holder?: LockHolder; proof: string; via: string } | undefined;
  let waitedFor: string | undefined;
  const pending = [...s.pending];
  for (;;) {
    const holder = newHolder(lockOptions, clock);
    const steps: ScriptStep[] = [
      ...checkSteps(o.needNginx),
      ...(o.lock
        ? [
            { name: 'create state-dir', argv: mkdirArgv(host.layout.releases, host.layout.proxy) },
            ...lockSteps(host.layout.lock, holder, removeToken)
          ]
        : []),
      { name: 'read releases', argv: readStateArgv(host.layout.root) }
    ];
    const r = await host.phase('open', steps, 60_000);
    const tools = checkedTools(host, r, userOf(host.executor.target));
    const mk = r.get('create state-dir');
    if (mk && mk.exitCode !== 0) {
      const why = (mk.stderr || mk.stdout).trim();
      if (/permission denied|read-only/i.test(why))
        throw stateDirProblem(host, spec.stateDir, userOf(host.executor.target), why);
      throw lockFailed(host, why);
    }
    const seen = o.lock ? lockSeen(r) : { taken: true as const };
    if (!seen) throw lockFailed(host, 'the lock step did not run');
    if ('failed' in seen) throw lockFailed(host, seen.failed);
    if (seen.taken) {
      if (waitedFor) host.logger.info(`lock taken after waiting ${clock.ms() - started}ms for ${waitedFor}`);
      if (takenOver) await recordTakeover(ctx, pending, takenOver);
      const known = parseState(r.get('read releases')?.stdout ?? '');
      const active = known.active;
      const record = active ? known.releases.find((x) => x.id === active.release) : undefined;
      const lock = o.lock ? heldLock(host, holder, spec.lockStaleMs, clock) : undefined;
      if (lock)
        deps.onLock?.(host.name, {
          dir: host.layout.lock,
          token: holder.token,
          operation: ctx.operation,
          app: spec.app,
          environment: spec.environment,
          ...(o.releaseHint ? { release: o.releaseHint } : {})
        });
      return {
        ...s,
        tools,
        known,
        pending,
        ...(lock ? { lock } : {}),
        ...(active ? { before: { active, ...(record ? { record } : {}) } } : {})
      };
    }
    const old = seen.holder;
    const again = removeToken !== undefined && removeToken === (old?.token ?? '');
    const verdict = lockVerdict({
      holder: old,
      now: clock.ms(),
      staleMs: lockOptions.staleMs,
      runnerName: lockOptions.runnerName,
      ...(lockOptions.runnerId ? { runnerId: lockOptions.runnerId } : {}),
      pidAlive: localPidAlive,
      pidStart: processStart,
      run: await runOf(ctx, old)
    });
    if (verdict.kind === 'gone') {
      if (again) throw lockFailed(host, `the lock of ${describeHolder(old)} could not be removed`);
      host.logger.warning(
        `taking over the deploy lock on ${host.name}: ${describeHolder(old)}; ${verdict.proof.detail}`
      );
      takenOver = { ...(old ? { holder: old } : {}), proof: verdict.proof.detail, via: verdict.proof.via };
      removeToken = old?.token ?? '';
      continue;
    }
    if (verdict.kind === 'stale') {
      if (!lockOptions.breakLock || again) throw staleLockError(host, old, verdict.reason);
      host.logger.warning(`breaking a stale lock on ${host.name}: ${describeHolder(old)}; ${verdict.reason}`);
      pending.push(ctx.rec.entry(host.name, 'lock.broken', { holder: old ?? null, reason: verdict.reason }));
      removeToken = old?.token ?? '';
      continue;
    }
    const waited = clock.ms() - started;
    if (!waitedFor) {
      waitedFor = describeHolder(seen.holder);
      host.logger.info(
        `waiting up to ${Math.round(lockOptions.timeoutMs / 1000)}s for the deploy lock held by ${waitedFor}`
      );
    }
    if (waited >= lockOptions.timeoutMs) throw lockTimeoutError(host, lockOptions.timeoutMs, seen.holder);
    await new Promise((res) =>
      setTimeout(res, Math.min(lockOptions.pollMs, lockOptions.timeoutMs - waited + 10))
    );
  }
}

/** What GitHub says of the holder's run, when a token lets us ask and the holder names one. */
async function runOf(ctx: HostContext, h: LockHolder | undefined): Promise<WorkflowRunState | undefined> {
  const run = holderRun(h);
  if (!run || !ctx.deps.workflowRun) return undefined;
  try {
    return await ctx.deps.workflowRun(run.repository, run.runId);
  } catch {
    return undefined;
  }
}

/** `lock.taken-over`: in the host's history (with the next phase) and as an event, naming the old holder and the proof. */
async function recordTakeover(
  ctx: HostContext,
  pending: HistoryEntry[],
  t: { holder?: LockHolder; proof: string; via: string }
): Promise<void> {
  const holder = t.holder ? { ...t.holder, token: undefined } : null;
  const fields = { holder, proof: t.proof, via: t.via, operation: ctx.operation };
  pending.push(ctx.rec.entry(ctx.host.name, 'lock.taken-over', fields));
  await ctx.rec.emit('lock.taken-over', (ctx.spec as { version?: string }).version ?? '', {
    host: ctx.host.name,
    ...fields
  });
}

export function userOf(target: string): string | undefined {
  const at = target.indexOf('@');
  return at > 0 ? target.slice(0, at) : undefined;
}

/** What to run when the SSH user cannot create state-dir (the default /var/lib/deploy-actions needs root once). */
export function stateDirFix(stateDir: string, user: string | undefined): string {
  const u = user ?? '<ssh user>';
  return `once as root on the host: \`sudo install -d -o ${u} -g ${u} -m 755 ${stateDir}\`; or give state-dir a directory the user owns, e.g. \`state-dir: /home/${u}/deploy-actions\` (vars.DEPLOY_STATE_DIR in the reusable workflows)`;
}

export function stateDirProblem(
  host: Host,
  stateDir: string,
  user: string | undefined,
  why: string
): DeployError {
  return new DeployError(
    `Input 'state-dir': ${user ?? 'the SSH user'} cannot create ${host.layout.root} on ${host.name} (${why})`,
    { state: 'nothing was changed on the host', hint: stateDirFix(stateDir, user) }
  );
}

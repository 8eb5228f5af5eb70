import {
  CommandError,
  TimeoutError,
  type Command,
  type Executor,
  type Logger,
  type RunResult
} from '../../core/src/index.js';
import {
  linkTimeoutMs,
  runPhase,
  type PhaseRun,
  type ScriptStep,
  type StepResult
} from '../../ssh/src/index.js';
import type { Clock } from './clock.js';
import { RELEASE_ID, type Layout } from './layout.js';
import type { ActiveRecord, HostState, ReleaseRecord } from './types.js';

/** The overall bound of an operation; each phase gets what is left, so a timeout names the phase that ran out. */
export class Deadline {
  private readonly end: number;
  constructor(
    readonly totalMs: number,
    private readonly label: string,
    private readonly clock: Clock
  ) {
    this.end = clock.ms() + totalMs;
  }
  remaining(): number {
    return this.end - this.clock.ms();
  }
  /** A phase's timeout: its own bound, cut to the time left. */
  step(name: string, ownMs: number): number {
    const left = this.remaining();
    if (left <= 0)
      throw new TimeoutError(`${this.label} (before ${name})`, this.totalMs, {
        hint: 'raise the `timeout` input if the deploy is slow but healthy'
      });
    return Math.max(1000, Math.min(ownMs, left));
  }
}

export interface ContainerState {
  id: string;
  status: string;
  health: string;
  restarts: number;
  exitCode: number;
  name: string;
}

export function parseContainerStates(text: string): ContainerState[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [id = '', status = '', health = '-', restarts = '0', exitCode = '0', name = ''] = l.split(' ');
      return {
        id,
        status,
        health,
        restarts: Number(restarts),
        exitCode: Number(exitCode),
        name: name.replace(/^\//, '')
      };
    });
}

export function parseState(text: string): HostState {
  const state: HostState = { releases: [] };
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const kind = line.slice(0, tab);
    const value = line.slice(tab + 1).trim();
    if (!value) continue;
    try {
      if (kind === 'current') state.current = value.split('/').pop();
      else if (kind === 'active') state.active = JSON.parse(value) as ActiveRecord;
      else if (kind === 'release') {
        // Read back from the host: an id feeds paths and `rm -rf`, so a record that is not ours is no release.
        const r = JSON.parse(value) as ReleaseRecord;
        if (typeof r.id === 'string' && RELEASE_ID.test(r.id)) state.releases.push(r);
      } else if (kind === 'leftover' && RELEASE_ID.test(value)) (state.leftovers ??= []).push(value);
    } catch {
      /* a torn or foreign file is not a release we can use */
    }
  }
  state.releases.sort((a, b) => a.id.localeCompare(b.id));
  return state;
}

/** What a no-op costs on an executor (SshExecutor measures it at connect; 0 locally). */
export function noopCost(executor: Executor): number {
  const n = (executor as { noopMs?: unknown }).noopMs;
  return typeof n === 'number' ? n : 0;
}

/** Sessions an executor opened on its host so far (SshExecutor counts them; undefined elsewhere). */
export function sessionCount(executor: Executor): number | undefined {
  const n = (executor as { sessions?: unknown }).sessions;
  return typeof n === 'number' ? n : undefined;
}

/** A phase's results, by step name. */
export class PhaseResult {
  constructor(
    readonly run: PhaseRun,
    private readonly host: Host
  ) {}
  get(name: string): StepResult | undefined {
    return this.run.results.find((r) => r.name === name);
  }
  /** The first checked step that failed. */
  failed(steps: readonly ScriptStep[]): StepResult | undefined {
    return this.run.results.find((r) => r.exitCode !== 0 && steps[r.index]?.check !== false);
  }
  /** Throw a CommandError naming the step and host for the first failed checked step. */
  expectOk(steps: readonly ScriptStep[]): this {
    const f = this.failed(steps);
    if (f) throw stepError(f, this.host.name);
    return this;
  }
}

export function stepError(f: StepResult, where: string): CommandError {
  const e = new CommandError(f.argv, f.exitCode, f.stdout, f.stderr, { where });
  e.message = `Step '${f.name}' failed on ${where}: ${e.message}`;
  return e;
}

/** One host: the executor, the app's layout there, the operation's deadline and clock. */
export class Host {
  constructor(
    readonly name: string,
    readonly executor: Executor,
    readonly layout: Layout,
    readonly deadline: Deadline,
    readonly logger: Logger
  ) {}

  /** The measured cost of a no-op here. */
  get noopMs(): number {
    return noopCost(this.executor);
  }

  /** While the lock is held: a heartbeat step that rides at the end of every phase (lock.ts heldLock). */
  heartbeat?: () => ScriptStep;

  /**
   * Run a phase in one session; its timeout is its own bound plus what the link costs, cut to the deadline.
   * Detached on the host: a dropped link or a killed runner does not stop it halfway (DETACHED_PHASE); the
   * app's phases run one at a time there, so the next phase waits for one a dead runner left running.
   */
  async phase(name: string, steps: readonly ScriptStep[], ownMs: number): Promise<PhaseResult> {
    const timeoutMs = this.deadline.step(name, linkTimeoutMs(ownMs, this.noopMs));
    // Appended, so the caller's step indexes stay valid.
    const beat = this.heartbeat?.();
    const all = beat ? [...steps, beat] : steps;
    const run = await runPhase(this.executor, name, all, timeoutMs, {
      detach: true,
      serialize: `${this.layout.root}.phase-lock`
    });
    this.logger.debug(`${this.name}: phase ${name} took ${run.durationMs}ms (${run.results.length} steps)`);
    return new PhaseResult(run, this);
  }

  /** A single command outside a phase (lock heartbeat, the post step); timeouts grow with the link too. */
  run(
    argv: readonly string[],
    step: string,
    options: Partial<Command> & { ownTimeoutMs?: number } = {}
  ): Promise<RunResult> {
    const { ownTimeoutMs, ...rest } = options;
    return this.executor.run({
      ...rest,
      argv,
      step,
      timeoutMs: this.deadline.step(step, linkTimeoutMs(ownTimeoutMs ?? 60_000, this.noopMs))
    });
  }
}

import {
  TimeoutError,
  type Command,
  type Executor,
  type Logger,
  type RunResult
} from '../../core/src/index.js';
import {
  appendFileArgv,
  dockerContainerStateArgv,
  mkdirArgv,
  portListenersArgv,
  readStateArgv,
  whichArgv,
  writeFileArgv
} from './commands.js';
import type { Layout } from './layout.js';
import type { ActiveRecord, HistoryEntry, HostState, ReleaseRecord } from './types.js';

/** The overall bound of an operation; each step gets what is left, so a timeout names the step that ran out. */
export class Deadline {
  private readonly end: number;
  constructor(
    readonly totalMs: number,
    private readonly label: string
  ) {
    this.end = Date.now() + totalMs;
  }
  remaining(): number {
    return this.end - Date.now();
  }
  /** A step's timeout: its own bound, cut to the time left. */
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
      else if (kind === 'release') state.releases.push(JSON.parse(value) as ReleaseRecord);
    } catch {
      /* a torn or foreign file is not a release we can use */
    }
  }
  state.releases.sort((a, b) => a.id.localeCompare(b.id));
  return state;
}

/** One host: the executor, the app's layout there, the operation's deadline. */
export class Host {
  private httpTool: 'curl' | 'wget' | null | undefined;
  constructor(
    readonly name: string,
    readonly executor: Executor,
    readonly layout: Layout,
    readonly deadline: Deadline,
    readonly logger: Logger
  ) {}

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
      timeoutMs: this.deadline.step(step, ownTimeoutMs ?? 60_000)
    });
  }

  async writeFile(path: string, content: string, step: string): Promise<void> {
    await this.run(writeFileArgv(path), step, { stdin: content });
  }

  async mkdirs(...paths: string[]): Promise<void> {
    await this.run(mkdirArgv(...paths), 'create directories');
  }

  async appendHistory(entry: HistoryEntry): Promise<void> {
    await this.run(appendFileArgv(this.layout.history), `record ${entry.event} in history`, {
      stdin: JSON.stringify(entry) + '\n'
    });
  }

  async readState(): Promise<HostState> {
    const r = await this.run(readStateArgv(this.layout.root), 'read releases');
    return parseState(r.stdout);
  }

  async containerStates(ids: readonly string[]): Promise<ContainerState[]> {
    if (ids.length === 0) return [];
    const r = await this.run(dockerContainerStateArgv(ids), 'inspect containers', { check: false });
    return parseContainerStates(r.stdout);
  }

  async portListeners(port: number): Promise<string> {
    const r = await this.run(portListenersArgv(port), `check port ${port}`, { check: false });
    return r.stdout.trim();
  }

  async http(): Promise<'curl' | 'wget' | null> {
    if (this.httpTool === undefined) {
      const r = await this.run(whichArgv('curl', 'wget'), 'find curl or wget', { check: false });
      const first = r.stdout.trim().split('\n')[0];
      this.httpTool = first === 'curl' || first === 'wget' ? first : null;
    }
    return this.httpTool;
  }
}

import { spawn } from 'node:child_process';
import { CommandError, TimeoutError, formatArgv } from './errors.js';

/**
 * Commands are data: every external program is described by an argv array built by a pure function, and
 * run by an Executor. Two implementations share this interface: LocalExecutor here, and the SSH executor
 * in packages/ssh. Nothing ever builds a shell string from input.
 */
export interface Command {
  argv: readonly string[];
  /** Written to stdin, then closed. Secrets travel here, never in argv or env of a remote shell. */
  stdin?: string | Buffer;
  /** Extra environment for a local process. */
  env?: Record<string, string>;
  cwd?: string;
  /** Kill the command after this long and raise TimeoutError naming `step`. */
  timeoutMs?: number;
  /** The step this command belongs to, named in errors (default: the argv). */
  step?: string;
  /** When false, a non-zero exit is returned instead of thrown. Default true. */
  check?: boolean;
  /** Live output, e.g. to stream `docker build` progress to the log. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunResult {
  argv: readonly string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface Executor {
  /** Where commands run, for logs and errors: "local" or "root@127.0.0.1:2222". */
  readonly target: string;
  run(command: Command): Promise<RunResult>;
  /** Release connections; a no-op locally. */
  close(): Promise<void>;
}

/** Cap on captured output per stream: enough for any JSON we parse, bounded against runaway output. */
const MAX_CAPTURE = 32 * 1024 * 1024;

export class LocalExecutor implements Executor {
  readonly target = 'local';
  private readonly baseEnv: NodeJS.ProcessEnv;

  constructor(options: { env?: NodeJS.ProcessEnv } = {}) {
    this.baseEnv = options.env ?? process.env;
  }

  run(command: Command): Promise<RunResult> {
    return runProcess(command, this.baseEnv, this.target);
  }

  async close(): Promise<void> {}
}

/** Spawn argv[0] with argv[1..] directly (no shell), feed stdin, capture output, enforce the timeout. */
export function runProcess(command: Command, baseEnv: NodeJS.ProcessEnv, where: string): Promise<RunResult> {
  const { argv } = command;
  if (argv.length === 0 || !argv[0]) throw new Error('runProcess: empty argv');
  const started = Date.now();
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: command.cwd,
      env: { ...baseEnv, ...command.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group, so a timeout kills the whole tree (an ssh, a docker pull and its helpers).
      detached: true
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    let settled = false;

    const killTree = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        /* already gone */
      }
    };
    const timer =
      command.timeoutMs && command.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            killTree('SIGTERM');
            setTimeout(() => killTree('SIGKILL'), 2000).unref();
          }, command.timeoutMs)
        : undefined;

    child.stdout.on('data', (b: Buffer) => {
      if (outLen < MAX_CAPTURE) out.push(b);
      outLen += b.length;
      command.onOutput?.(b.toString('utf8'), 'stdout');
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errLen < MAX_CAPTURE) err.push(b);
      errLen += b.length;
      command.onOutput?.(b.toString('utf8'), 'stderr');
    });
    child.stdin.on('error', () => {
      /* the program may exit without reading stdin; its exit status tells the story */
    });
    child.stdin.end(command.stdin ?? '');

    child.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      const missing = e.code === 'ENOENT';
      reject(
        new CommandError(
          argv,
          missing ? 127 : null,
          '',
          missing ? `${argv[0]}: command not found` : e.message,
          {
            where,
            hint: missing ? `install ${argv[0]} on ${where} or put it on PATH` : undefined,
            cause: e
          }
        )
      );
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const durationMs = Date.now() - started;
      if (timedOut) {
        reject(
          new TimeoutError(command.step ?? formatArgv(argv), command.timeoutMs!, {
            state: `the command was stopped on ${where}`,
            hint: 'raise the timeout input if the step is slow but healthy, or look at why it hangs'
          })
        );
        return;
      }
      const exitCode = code ?? -1;
      if (command.check !== false && exitCode !== 0) {
        reject(new CommandError(argv, code, stdout, stderr, { where, signal }));
        return;
      }
      resolve({ argv, exitCode, stdout, stderr, durationMs });
    });
  });
}

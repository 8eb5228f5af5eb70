/**
 * One error type per failure class. Each message says what happened; `state` says what state things were
 * left in and `hint` what to do next, so an operator at 3 a.m. reads one paragraph and knows the next step.
 */
export type ErrorKind =
  | 'input'
  | 'connection'
  | 'command'
  | 'timeout'
  | 'health'
  | 'scan'
  | 'lock'
  | 'migration'
  | 'registry'
  | 'github'
  | 'deploy'
  | 'anonymize';

export interface ErrorDetails {
  /** What state things were left in, e.g. "release 20261122-1 is still serving". */
  state?: string;
  /** What to do next. */
  hint?: string;
  cause?: unknown;
}

export class DeployActionsError extends Error {
  readonly kind: ErrorKind;
  readonly state: string | undefined;
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.state = details.state;
    this.hint = details.hint;
  }

  /** The message with state and next step, as shown to a person. */
  describe(): string {
    const parts = [this.message];
    if (this.state) parts.push(`State: ${this.state}`);
    if (this.hint) parts.push(`Next: ${this.hint}`);
    return parts.join('\n');
  }
}

/** A bad input: names the input and the fix. Raised before anything changes. */
export class InputError extends DeployActionsError {
  readonly input: string;
  constructor(input: string, problem: string, fix?: string) {
    // The fix is part of the message itself, so it survives wherever only `.message` is shown.
    super('input', `Input '${input}': ${problem}${fix ? `. Fix: ${fix}` : ''}`, {
      state: 'nothing was changed'
    });
    this.input = input;
  }
}

export class ConnectionError extends DeployActionsError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('connection', message, details);
  }
}

/** A program exited non-zero. Carries the argv (never a shell string) and the tail of stderr. */
export class CommandError extends DeployActionsError {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  constructor(
    argv: readonly string[],
    exitCode: number | null,
    stdout: string,
    stderr: string,
    details: ErrorDetails & { where?: string; signal?: string | null } = {}
  ) {
    const how = exitCode === null ? `was killed (${details.signal ?? 'signal'})` : `exited ${exitCode}`;
    const where = details.where ? ` on ${details.where}` : '';
    const tail = lastLines(stderr || stdout, 12);
    super('command', `Command \`${formatArgv(argv)}\`${where} ${how}${tail ? `:\n${tail}` : ''}`, details);
    this.argv = argv;
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/** A step ran out of time. Names the step. */
export class TimeoutError extends DeployActionsError {
  readonly step: string;
  readonly timeoutMs: number;
  constructor(step: string, timeoutMs: number, details: ErrorDetails = {}) {
    super('timeout', `Step '${step}' ran out of time after ${formatMs(timeoutMs)}`, details);
    this.step = step;
    this.timeoutMs = timeoutMs;
  }
}

export class HealthError extends DeployActionsError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('health', message, details);
  }
}

/** A scanner's report that the scan gate refuses: blocking findings, an expired exception, another image. */
export class ScanError extends DeployActionsError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('scan', message, details);
  }
}

export class LockError extends DeployActionsError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('lock', message, details);
  }
}

export class MigrationError extends DeployActionsError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('migration', message, details);
  }
}

export class RegistryError extends DeployActionsError {
  readonly status: number | undefined;
  constructor(message: string, details: ErrorDetails & { status?: number } = {}) {
    super('registry', message, details);
    this.status = details.status;
  }
}

export class GitHubError extends DeployActionsError {
  readonly status: number | undefined;
  constructor(message: string, details: ErrorDetails & { status?: number } = {}) {
    super('github', message, details);
    this.status = details.status;
  }
}

export class DeployError extends DeployActionsError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('deploy', message, details);
  }
}

/** For logs and errors only: a readable rendering of an argv. Never executed. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

export function lastLines(text: string, n: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n');
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  return `${+(ms / 60_000).toFixed(1)}m`;
}

/** The person-facing text of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof DeployActionsError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * The engine logs through this interface and never through the runner, so the same code serves the
 * GitHub action (backed by @actions/core in actions/common) and the CLI (backed by the console).
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** Register a value that must never appear in any log line from now on. */
  secret(value: string): void;
  /** Group a block of log lines (a collapsible group in the GitHub log). */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** Replaces every registered secret with ***; shared by the console and capture loggers. */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(value: string): void {
    if (!value) return;
    this.secrets.add(value);
    // A multi-line secret (a private key) is masked line by line too, as the runner does.
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 4) this.secrets.add(line.trim());
  }

  redact(text: string): string {
    let out = text;
    // Longest first so a secret containing another is masked whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    return out;
  }
}

export interface CapturedLine {
  level: 'debug' | 'info' | 'warning' | 'error';
  message: string;
}

/** A logger that keeps its lines (redacted), for tests and for building summaries. */
export function captureLogger(): Logger & { lines: CapturedLine[]; text(): string } {
  const redactor = new Redactor();
  const lines: CapturedLine[] = [];
  const push = (level: CapturedLine['level']) => (message: string) => {
    lines.push({ level, message: redactor.redact(message) });
  };
  return {
    lines,
    text: () => lines.map((l) => l.message).join('\n'),
    debug: push('debug'),
    info: push('info'),
    warning: push('warning'),
    error: push('error'),
    secret: (v) => redactor.add(v),
    group: async (name, fn) => {
      push('info')(name);
      return fn();
    }
  };
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warning: () => {},
  error: () => {},
  secret: () => {},
  group: (_name, fn) => fn()
};

import { InputError } from './errors.js';
import { parseDuration } from './duration.js';

/**
 * Typed reading of action inputs. The entry layer passes the runner's raw getter (core.getInput); the CLI
 * passes its flags. Every problem is an InputError naming the input and the fix, raised before anything
 * changes.
 */
export type RawInputGetter = (name: string) => string;

export interface InputOptions {
  required?: boolean;
}

/** The longest duration any input takes (core InputReader.duration). */
export const MAX_INPUT_DURATION_MS = 24 * 3_600_000;

/**
 * Reads and checks inputs by name. `N` is the names the reader accepts: the entry layer gives each action a
 * reader of exactly its manifest's input names (actions/common/entry.ts), so a misspelt name fails `tsc`.
 */
export class InputReader<N extends string = string> {
  constructor(private readonly get: RawInputGetter) {}

  /** The trimmed value, or '' when unset. */
  raw(name: N): string {
    return (this.get(name) ?? '').trim();
  }

  string(name: N, options: InputOptions & { fallback?: string } = {}): string {
    const v = this.raw(name);
    if (v === '') {
      if (options.required)
        throw new InputError(name, 'is required', `set \`${name}\` in the step's \`with:\``);
      return options.fallback ?? '';
    }
    return v;
  }

  optional(name: N): string | undefined {
    const v = this.raw(name);
    return v === '' ? undefined : v;
  }

  boolean(name: N, fallback = false): boolean {
    const v = this.raw(name).toLowerCase();
    if (v === '') return fallback;
    if (['true', 'yes', '1', 'on'].includes(v)) return true;
    if (['false', 'no', '0', 'off'].includes(v)) return false;
    throw new InputError(name, `"${this.raw(name)}" is not a boolean`, 'use true or false');
  }

  integer(name: N, options: { fallback?: number; min?: number; max?: number } = {}): number {
    const v = this.raw(name);
    if (v === '') {
      if (options.fallback === undefined) throw new InputError(name, 'is required', 'give a whole number');
      return options.fallback;
    }
    if (!/^-?\d+$/.test(v)) throw new InputError(name, `"${v}" is not a whole number`, 'give a whole number');
    const n = Number(v);
    if (options.min !== undefined && n < options.min) {
      throw new InputError(name, `${n} is below the minimum ${options.min}`, `use ${options.min} or more`);
    }
    if (options.max !== undefined && n > options.max) {
      throw new InputError(name, `${n} is above the maximum ${options.max}`, `use ${options.max} or less`);
    }
    return n;
  }

  /** A duration in ms (`500ms`, `30s`, `2m`). `positive` refuses zero and negatives. */
  duration(name: N, options: { fallback?: string; positive?: boolean } = {}): number {
    const v = this.raw(name) || options.fallback;
    if (v === undefined || v === '') throw new InputError(name, 'is required', 'give a duration like 30s');
    if (v.trim().startsWith('-'))
      throw new InputError(name, `"${v}" is negative`, 'give a positive duration like 30s');
    const ms = parseDuration(v, name);
    if (options.positive && ms <= 0)
      throw new InputError(name, `"${v}" is zero`, 'give a positive duration like 30s');
    // Node's timers overflow past 2^31-1 ms (24.8 days) and fire at once: `probe-timeout: 600h` would fail every
    // probe after 1 ms. No duration of any action goes near a day.
    if (ms > MAX_INPUT_DURATION_MS) throw new InputError(name, `${v} is longer than 24h`, 'give at most 24h');
    return ms;
  }

  /** One item per line (and, unless `commas: false`, per comma); blank lines and `#` comments dropped. */
  list(name: N, options: { commas?: boolean } = {}): string[] {
    return splitList(this.raw(name), options.commas ?? true);
  }

  /** `key=value` lines into an ordered map. Duplicate keys are an error. */
  keyValues(name: N): Map<string, string> {
    const map = new Map<string, string>();
    for (const line of splitList(this.raw(name), false)) {
      const eq = line.indexOf('=');
      if (eq <= 0) throw new InputError(name, `"${line}" is not key=value`, 'write one key=value per line');
      const key = line.slice(0, eq).trim();
      if (map.has(key)) throw new InputError(name, `"${key}" is given twice`, 'give each key once');
      map.set(key, line.slice(eq + 1).trim());
    }
    return map;
  }

  choice<T extends string>(name: N, choices: readonly T[], fallback?: T): T {
    const v = this.raw(name);
    if (v === '' && fallback !== undefined) return fallback;
    if ((choices as readonly string[]).includes(v)) return v as T;
    throw new InputError(
      name,
      `"${v}" is not one of ${choices.join(', ')}`,
      `use one of: ${choices.join(', ')}`
    );
  }
}

export function splitList(text: string, commas = true): string[] {
  return text
    .split(commas ? /[\r\n,]+/ : /\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
}

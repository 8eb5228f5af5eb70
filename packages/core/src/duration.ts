import { InputError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parse `500ms`, `30s`, `2m`, `1h`, `1m30s` or a bare number of seconds into milliseconds.
 * Throws InputError naming `input` (the action input the value came from).
 */
export function parseDuration(value: string, input = 'duration'): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (text === '' || matched !== text.length) {
    throw new InputError(input, `"${value}" is not a duration`, 'write it like 500ms, 30s, 2m or 1m30s');
  }
  return Math.round(total);
}

import { InputError } from '../../core/src/index.js';
import { SEVERITIES, type Severity } from './types.js';

/** A scanner's severity word (`Critical`, `HIGH`, `negligible`) as ours; anything else is UNKNOWN. */
export function normalizeSeverity(value: unknown): Severity {
  const s = String(value ?? '')
    .trim()
    .toUpperCase();
  return (SEVERITIES as readonly string[]).includes(s) ? (s as Severity) : 'UNKNOWN';
}

/** `HIGH,CRITICAL` (commas or lines): validated, upper-cased. */
export function parseSeverityList(text: string, input: string): Severity[] {
  const words = text
    .split(/[\s,]+/)
    .map((w) => w.trim())
    .filter(Boolean);
  const out: Severity[] = [];
  for (const w of words) {
    const s = w.toUpperCase();
    if (s !== 'UNKNOWN' && !(SEVERITIES as readonly string[]).includes(s))
      throw new InputError(
        input,
        `'${w}' is not a severity`,
        `use some of ${[...SEVERITIES].reverse().join(', ')}, UNKNOWN (e.g. \`HIGH,CRITICAL\`)`
      );
    if (!out.includes(s as Severity)) out.push(s as Severity);
  }
  if (out.length === 0)
    throw new InputError(input, 'no severity given', 'name the severities that block, e.g. `HIGH,CRITICAL`');
  return out;
}

/**
 * Whether a severity is at or above `failOn`: the lowest severity listed and everything above it (so `HIGH`
 * and `HIGH,CRITICAL` mean the same); UNKNOWN only when listed.
 */
export function atOrAbove(severity: Severity, failOn: readonly Severity[]): boolean {
  if (severity === 'UNKNOWN') return failOn.includes('UNKNOWN');
  const ranks = failOn
    .filter((s) => s !== 'UNKNOWN')
    .map((s) => SEVERITIES.indexOf(s as (typeof SEVERITIES)[number]));
  if (ranks.length === 0) return false;
  return SEVERITIES.indexOf(severity) >= Math.min(...ranks);
}

import type { JsonExpectation } from './types.js';

/** Follow `$.a.b[0]` path segments; `undefined` when any step is missing. */
export function jsonPath(doc: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = doc;
  for (const seg of path) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg < 0 ? cur.length + seg : seg];
    } else {
      if (typeof cur !== 'object' || Array.isArray(cur)) return undefined;
      if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}

export interface JsonCheck {
  ok: boolean;
  observed: string;
}

/** Short, quoted rendering of an observed JSON value for reasons. */
export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing (path not found)';
  const text = JSON.stringify(v);
  return text.length > 80 ? text.slice(0, 77) + '...' : text;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

/**
 * Equality is forgiving the way a person writing YAML expects: `$.ok == true` matches the boolean,
 * `$.count == 3` the number 3 or the string "3", `$.version == 1.4.2` the string "1.4.2".
 */
function looseEquals(observed: unknown, expected: string): boolean {
  if (observed === null) return expected === 'null';
  if (typeof observed === 'boolean') return String(observed) === expected;
  if (typeof observed === 'number') {
    const n = asNumber(expected);
    return n !== undefined && n === observed;
  }
  if (typeof observed === 'string') return observed === expected;
  // Objects and arrays compare against their JSON text.
  try {
    return JSON.stringify(observed) === JSON.stringify(JSON.parse(expected));
  } catch {
    return false;
  }
}

export function evaluateJson(doc: unknown, exp: JsonExpectation): JsonCheck {
  const v = jsonPath(doc, exp.path);
  const observed = showValue(v);
  const expected = exp.value ?? '';
  switch (exp.op) {
    case 'exists':
      return { ok: v !== undefined, observed };
    case '==':
      return { ok: v !== undefined && looseEquals(v, expected), observed };
    case '!=':
      return { ok: v === undefined || !looseEquals(v, expected), observed };
    case 'contains':
      if (Array.isArray(v)) return { ok: v.some((x) => looseEquals(x, expected)), observed };
      if (typeof v === 'string') return { ok: v.includes(expected), observed };
      return { ok: false, observed };
    case 'matches':
      if (v === undefined || v === null || typeof v === 'object') return { ok: false, observed };
      return { ok: exp.regex!.test(String(v)), observed };
    default: {
      const a = asNumber(v);
      const b = asNumber(expected);
      if (a === undefined || b === undefined) return { ok: false, observed };
      return { ok: compareNumbers(a, exp.op, b), observed };
    }
  }
}

export function compareNumbers(a: number, op: string, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    default:
      return false;
  }
}

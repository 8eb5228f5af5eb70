/**
 * GitHub Actions expressions (`${{ … }}`), the subset workflows use: literals, property access (`a.b`,
 * `a['b']`), `!`, comparisons, `&&`, `||` (returning operand values, as GitHub does), parentheses, and the
 * functions contains, startsWith, endsWith, format, join, toJSON, fromJSON, success, failure, always,
 * cancelled. Comparison follows GitHub's loose rules: strings compare case-insensitively, mixed types
 * are coerced to numbers.
 */
export type Value = null | boolean | number | string | Value[] | { [k: string]: Value };
export type Context = Record<string, Value>;
export interface StatusFunctions {
  success(): boolean;
  failure(): boolean;
  always?(): boolean;
  cancelled?(): boolean;
}

type Token =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'id'; v: string }
  | { t: 'op'; v: string }
  | { t: 'end' };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in expression: ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: 'str', v: s });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('!<>()[],.*'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    const num = /^(?:0x[0-9a-f]+|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)/i.exec(src.slice(i));
    if (num && (out.length === 0 || out[out.length - 1]!.t === 'op')) {
      out.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][\w-]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    throw new Error(`unexpected '${c}' in expression: ${src}`);
  }
  out.push({ t: 'end' });
  return out;
}

export function truthy(v: Value | undefined): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v !== '';
  return true;
}

function toNumber(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v);
  return NaN;
}

function looseEquals(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b && (typeof a !== 'object' || a === null)) return a === b;
  if (typeof a === 'object' && a !== null) return a === b;
  if (typeof b === 'object' && b !== null) return false;
  return toNumber(a) === toNumber(b);
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = toNumber(a);
  const y = toNumber(b);
  return x < y ? -1 : x > y ? 1 : Number.isNaN(x) || Number.isNaN(y) ? NaN : 0;
}

export function toText(v: Value | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, null, 2);
}

export interface EvalResult {
  value: Value;
  /** Whether a status function (success(), always()…) was called: a job `if` without one gets `success() &&`. */
  usedStatus: boolean;
}

export function evaluate(src: string, ctx: Context, status?: StatusFunctions): EvalResult {
  const toks = tokenize(src);
  let p = 0;
  let usedStatus = false;
  const peek = () => toks[p]!;
  const isOp = (v: string) => peek().t === 'op' && (peek() as { v: string }).v === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw new Error(`expected '${v}' in expression: ${src}`);
    p++;
  };

  /** A left-associative chain of `op`: both sides are evaluated, `pick` keeps one (GitHub's || and &&). */
  const chain = (op: string, operand: () => Value, pick: (l: Value, r: Value) => Value) => (): Value => {
    let l = operand();
    while (isOp(op)) {
      p++;
      l = pick(l, operand());
    }
    return l;
  };
  const and = chain(
    '&&',
    () => cmp(),
    (l, r) => (truthy(l) ? r : l)
  );
  const or = chain('||', and, (l, r) => (truthy(l) ? l : r));
  const cmp = (): Value => {
    let l = unary();
    for (;;) {
      const t = peek();
      if (t.t !== 'op' || !['==', '!=', '<', '<=', '>', '>='].includes(t.v)) return l;
      p++;
      const r = unary();
      switch (t.v) {
        case '==':
          l = looseEquals(l, r);
          break;
        case '!=':
          l = !looseEquals(l, r);
          break;
        case '<':
          l = compare(l, r) < 0;
          break;
        case '<=':
          l = compare(l, r) <= 0;
          break;
        case '>':
          l = compare(l, r) > 0;
          break;
        default:
          l = compare(l, r) >= 0;
      }
    }
  };
  const unary = (): Value => {
    if (isOp('!')) {
      p++;
      return !truthy(unary());
    }
    return postfix(primary());
  };
  const postfix = (base: Value | undefined): Value => {
    let v: Value | undefined = base;
    for (;;) {
      if (isOp('.')) {
        p++;
        const t = peek();
        if (t.t === 'op' && t.v === '*') {
          p++;
          v = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
          continue;
        }
        if (t.t !== 'id') throw new Error(`expected a property name in expression: ${src}`);
        p++;
        v = prop(v, t.v);
      } else if (isOp('[')) {
        p++;
        const key = or();
        expect(']');
        v = prop(v, toText(key));
      } else return v ?? null;
    }
  };
  const prop = (v: Value | undefined, key: string): Value | undefined => {
    if (Array.isArray(v)) {
      const n = Number(key);
      return Number.isInteger(n) ? v[n] : undefined;
    }
    if (v && typeof v === 'object') {
      if (key in v) return v[key];
      const k = Object.keys(v).find((x) => x.toLowerCase() === key.toLowerCase());
      return k === undefined ? undefined : v[k];
    }
    return undefined;
  };
  const primary = (): Value | undefined => {
    const t = peek();
    p++;
    if (t.t === 'num' || t.t === 'str') return t.v;
    if (t.t === 'op' && t.v === '(') {
      const v = or();
      expect(')');
      return v;
    }
    if (t.t === 'id') {
      if (t.v === 'true') return true;
      if (t.v === 'false') return false;
      if (t.v === 'null') return null;
      if (isOp('(')) {
        p++;
        const args: Value[] = [];
        if (!isOp(')')) {
          args.push(or());
          while (isOp(',')) {
            p++;
            args.push(or());
          }
        }
        expect(')');
        return call(t.v, args);
      }
      return prop(ctx as Value, t.v);
    }
    throw new Error(`unexpected token in expression: ${src}`);
  };
  const call = (name: string, a: Value[]): Value => {
    const arg = (i: number) => a[i] ?? null;
    switch (name.toLowerCase()) {
      case 'contains': {
        const hay = arg(0);
        if (Array.isArray(hay)) return hay.some((x) => looseEquals(x, arg(1)));
        return toText(hay)
          .toLowerCase()
          .includes(toText(arg(1)).toLowerCase());
      }
      case 'startswith':
        return toText(arg(0))
          .toLowerCase()
          .startsWith(toText(arg(1)).toLowerCase());
      case 'endswith':
        return toText(arg(0))
          .toLowerCase()
          .endsWith(toText(arg(1)).toLowerCase());
      case 'format':
        return toText(arg(0)).replace(/\{(\d+)\}/g, (_, i: string) => toText(a[Number(i) + 1]));
      case 'join': {
        const v = arg(0);
        return Array.isArray(v) ? v.map(toText).join(a.length > 1 ? toText(arg(1)) : ',') : toText(v);
      }
      case 'tojson':
        return JSON.stringify(arg(0), null, 2);
      case 'fromjson':
        return JSON.parse(toText(arg(0))) as Value;
      case 'success':
      case 'failure':
      case 'always':
      case 'cancelled': {
        usedStatus = true;
        if (!status) throw new Error(`${name}() is only allowed in an if: condition`);
        if (name === 'always') return true;
        if (name === 'cancelled') return status.cancelled?.() ?? false;
        return name === 'success' ? status.success() : status.failure();
      }
      default:
        throw new Error(`unsupported function ${name}() in expression: ${src}`);
    }
  };

  const value = or();
  if (peek().t !== 'end') throw new Error(`unexpected trailing input in expression: ${src}`);
  return { value, usedStatus };
}

/** Substitute every `${{ … }}` in a string; a string that is one whole expression keeps its value's type. */
export function interpolate(text: string, ctx: Context): Value {
  const whole = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/.exec(text);
  if (whole && !whole[1]!.includes('}}')) return evaluate(whole[1]!, ctx).value;
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, e: string) => toText(evaluate(e, ctx).value));
}

/** An `if:` condition: with or without `${{ }}`, and `success() &&` implied when no status function is used. */
export function condition(
  text: string | boolean | undefined,
  ctx: Context,
  status: StatusFunctions
): boolean {
  if (text === undefined || text === '') return status.success();
  if (typeof text === 'boolean') return text && status.success();
  const src = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text)?.[1] ?? text;
  const r = evaluate(src, ctx, status);
  return r.usedStatus ? truthy(r.value) : status.success() && truthy(r.value);
}

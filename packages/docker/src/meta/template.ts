import { InputError } from '../../../core/src/index.js';

/**
 * The `{{…}}` expressions metadata-action evaluates with Handlebars, reimplemented for the subset tag rules
 * use: `{{name}}`, `{{ name }}`, `{{name 'arg' key='value'}}`, `{{{name}}}` (unescaped). As in Handlebars,
 * an unknown name renders empty, a function is called (with its arguments and `key=value` hash), an
 * unknown name given arguments is an error, and `{{…}}` output is HTML-escaped.
 */
export type Helper = (args: (string | undefined)[], hash: Record<string, string>) => string;
export type TemplateValue = string | number | boolean | null | undefined | readonly unknown[] | Helper;
export type Scope = Record<string, TemplateValue>;

interface Mustache {
  start: number;
  end: number;
  escaped: boolean;
  name: string;
  args: { literal: boolean; text: string }[];
  hash: Record<string, string>;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
  '`': '&#x60;',
  '=': '&#x3D;'
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`=]/g, (c) => ESCAPES[c]!);
}

/** Tokens of one expression: identifiers, 'quoted' or "quoted" strings, key=value pairs. */
function tokens(body: string, input: string): { key?: string; literal: boolean; text: string }[] {
  const out: { key?: string; literal: boolean; text: string }[] = [];
  const re = /\s*(?:([A-Za-z_][\w-]*)=)?(?:'([^']*)'|"([^"]*)"|([^\s'"=]+))/y;
  let pos = 0;
  while (pos < body.length) {
    if (/^\s*$/.test(body.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(body);
    if (!m)
      throw new InputError(input, `cannot read the expression {{${body}}}`, "write e.g. {{date 'YYYYMMDD'}}");
    const literal = m[2] !== undefined || m[3] !== undefined;
    out.push({ key: m[1], literal, text: m[2] ?? m[3] ?? m[4]! });
    pos = re.lastIndex;
  }
  return out;
}

/** Parsed templates by text: the same rule texts are rendered again for every run and image. */
const parsed = new Map<string, Mustache[]>();

function parse(text: string, input: string): Mustache[] {
  const hit = parsed.get(text);
  if (hit) return hit;
  const out: Mustache[] = [];
  const re = /\{\{(\{?)([^}]*)\}?\}\}/g;
  for (const m of text.matchAll(re)) {
    const toks = tokens(m[2]!.trim(), input);
    const [head, ...rest] = toks;
    if (!head || head.literal || head.key !== undefined) continue;
    const args = rest.filter((t) => t.key === undefined).map((t) => ({ literal: t.literal, text: t.text }));
    const hash = Object.fromEntries(rest.filter((t) => t.key !== undefined).map((t) => [t.key!, t.text]));
    out.push({
      start: m.index,
      end: m.index + m[0].length,
      escaped: m[1] !== '{',
      name: head.text,
      args,
      hash
    });
  }
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(text, out);
  return out;
}

function stringify(v: unknown): string {
  if (v === undefined || v === null || v === false) return v === false ? 'false' : '';
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** Render `text` with `scope`; `input` names the action input for errors. */
export function renderTemplate(text: string, scope: Scope, input = 'tags'): string {
  if (!text.includes('{{')) return text;
  let out = '';
  let at = 0;
  for (const m of parse(text, input)) {
    out += text.slice(at, m.start);
    at = m.end;
    const value = Object.prototype.hasOwnProperty.call(scope, m.name) ? scope[m.name] : undefined;
    let rendered: string;
    if (typeof value === 'function') {
      // A bare word argument is a lookup in the scope, as in Handlebars (usually undefined).
      const args = m.args.map((a) => (a.literal ? a.text : stringOrUndefined(scope[a.text])));
      rendered = value(args, m.hash);
    } else {
      if (m.args.length > 0 || Object.keys(m.hash).length > 0)
        throw new InputError(
          input,
          `{{${m.name} …}}: "${m.name}" is not a function`,
          'use one of the documented expressions (date, commit_date, branch, tag, sha, base_ref, …)'
        );
      rendered = stringify(value);
    }
    out += m.escaped ? escapeHtml(rendered) : rendered;
  }
  return out + text.slice(at);
}

function stringOrUndefined(v: TemplateValue): string | undefined {
  return v === undefined || typeof v === 'function' ? undefined : stringify(v);
}

/** True when the pattern is only `{{raw}}` (with any spacing): metadata-action then keeps a prerelease raw. */
export function isRawStatement(pattern: string): boolean {
  return /^\{\{\s*raw\s*\}\}$/.test(pattern);
}

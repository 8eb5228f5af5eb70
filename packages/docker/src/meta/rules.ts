import { InputError } from '../../../core/src/index.js';

/**
 * The `tags`, `flavor` and `images` lines of docker/metadata-action: one CSV record per line, fields
 * `key=value` (split at the first `=`), keys case-insensitive.
 */
export type RuleType = 'schedule' | 'semver' | 'pep440' | 'match' | 'edge' | 'ref' | 'raw' | 'sha';

export interface TagRule {
  type: RuleType;
  /** Every attribute, with metadata-action's defaults filled in (pr- and sha- prefixes, pattern=nightly…). */
  attrs: Map<string, string>;
  priority: number;
  /** The line as written, for errors. */
  text: string;
}

export const PRIORITY: Record<RuleType, number> = {
  schedule: 1000,
  semver: 900,
  pep440: 900,
  match: 800,
  edge: 700,
  ref: 600,
  raw: 200,
  sha: 100
};

export const DEFAULT_RULES = [
  'type=schedule',
  'type=ref,event=branch',
  'type=ref,event=tag',
  'type=ref,event=pr'
];

const ATTRIBUTES = [
  'type',
  'enable',
  'priority',
  'prefix',
  'suffix',
  'pattern',
  'value',
  'event',
  'format',
  'branch',
  'group',
  'match'
];

/** One CSV record: fields split at commas outside double quotes (`""` is a quote inside quotes). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur.trim() === '') {
      quoted = true;
      cur = '';
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.filter((f, i) => !(i === out.length - 1 && f.trim() === '' && out.length > 1));
}

function splitField(field: string): [string, string] | [string] {
  const eq = field.indexOf('=');
  if (eq <= 0) return [field.trim()];
  return [field.slice(0, eq).trim(), field.slice(eq + 1).trim()];
}

const fail = (line: string, what: string, fix: string) =>
  new InputError('tags', `rule "${line}": ${what}`, fix);

/** Parse `type=semver,pattern={{version}},prefix=v`; a field without `=` is the value (`foo` is raw). */
export function parseTagRule(text: string): TagRule {
  const line = text.trim();
  const attrs = new Map<string, string>();
  let type: RuleType = 'raw';
  for (const field of csvFields(line)) {
    const parts = splitField(field);
    if (parts.length === 1) {
      attrs.set('value', parts[0]);
      continue;
    }
    const key = parts[0].toLowerCase();
    const value = parts[1];
    if (key === 'type') {
      if (!(value in PRIORITY))
        throw fail(line, `unknown type "${value}"`, `use type=${Object.keys(PRIORITY).join(', type=')}`);
      type = value as RuleType;
    } else if (!ATTRIBUTES.includes(key))
      throw fail(line, `unknown attribute "${key}"`, 'see the tag rules in docs/actions/build-image.md');
    else attrs.set(key, value);
  }
  const def = (k: string, v: string) => {
    if (!attrs.has(k)) attrs.set(k, v);
  };
  switch (type) {
    case 'schedule':
      def('pattern', 'nightly');
      break;
    case 'semver':
    case 'pep440':
    case 'match':
      if (!attrs.has('pattern')) throw fail(line, 'has no pattern', 'e.g. type=semver,pattern={{version}}');
      def('value', '');
      if (type === 'match') {
        def('group', '0');
        if (!/^\d+$/.test(attrs.get('group')!))
          throw fail(
            line,
            `group "${attrs.get('group')}" is not a number`,
            'give the group index, e.g. group=1'
          );
      } else def('match', '');
      break;
    case 'edge':
      def('branch', '');
      break;
    case 'ref': {
      const event = attrs.get('event');
      if (!event || !['branch', 'tag', 'pr'].includes(event))
        throw fail(line, 'needs event=branch, event=tag or event=pr', 'add event=branch (or tag, pr)');
      if (event === 'pr') def('prefix', 'pr-');
      break;
    }
    case 'raw':
      if (!attrs.has('value')) throw fail(line, 'has no value', 'write type=raw,value=<tag>');
      break;
    case 'sha':
      def('prefix', 'sha-');
      def('format', 'short');
      if (!['short', 'long'].includes(attrs.get('format')!))
        throw fail(line, 'format must be short or long', 'write format=long or leave it out');
      break;
  }
  def('enable', 'true');
  const p = attrs.get('priority');
  if (p !== undefined && !/^-?\d+$/.test(p))
    throw fail(line, `priority "${p}" is not a number`, 'give a whole number');
  return { type, attrs, priority: p !== undefined ? Number(p) : PRIORITY[type], text: line };
}

/** Rules by priority, highest first; equal priorities keep their written order. Empty: the defaults. */
export function parseTagRules(lines: string[]): TagRule[] {
  return (lines.length > 0 ? lines : DEFAULT_RULES)
    .map(parseTagRule)
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.priority - a.r.priority || a.i - b.i)
    .map(({ r }) => r);
}

/**
 * build-image's `tags` takes metadata-action's rules and, for build-push-action users, full references:
 * a line with no `=` that holds a `/` or `:` (`ghcr.io/acme/shop:1.2.3`) is a reference, used as written.
 */
export function splitTagInput(lines: string[]): { rules: string[]; refs: string[] } {
  const isRef = (l: string) => !l.includes('=') && /[/:]/.test(l);
  return { rules: lines.filter((l) => !isRef(l)), refs: lines.filter(isRef).map((l) => l.trim()) };
}

export interface Flavor {
  latest: 'auto' | 'true' | 'false';
  prefix: string;
  suffix: string;
  /** `prefix=…,onlatest=true`: the `latest` tag gets the prefix too. */
  prefixLatest: boolean;
  suffixLatest: boolean;
}

export const DEFAULT_FLAVOR: Flavor = {
  latest: 'auto',
  prefix: '',
  suffix: '',
  prefixLatest: false,
  suffixLatest: false
};

/** `latest=auto|true|false`, `prefix=…[,onlatest=true]`, `suffix=…[,onlatest=true]`, one per line. */
export function parseFlavor(lines: string[]): Flavor {
  const f: Flavor = { ...DEFAULT_FLAVOR };
  for (const line of lines) {
    let onlatestFor: 'prefix' | 'suffix' | '' = '';
    for (const field of csvFields(line.trim())) {
      const parts = field.split('=').map((s) => s.trim());
      if (parts.length === 1)
        throw new InputError('flavor', `"${line}" is not key=value`, 'use latest=, prefix= or suffix=');
      const key = parts[0]!.toLowerCase();
      const value = parts[1]!;
      if (key === 'latest') {
        if (!['auto', 'true', 'false'].includes(value))
          throw new InputError('flavor', `latest="${value}"`, 'use latest=auto, latest=true or latest=false');
        f.latest = value as Flavor['latest'];
      } else if (key === 'prefix' || key === 'suffix') {
        f[key] = value;
        onlatestFor = key;
      } else if (key === 'onlatest') {
        if (!['true', 'false'].includes(value))
          throw new InputError('flavor', `onlatest="${value}"`, 'use onlatest=true or onlatest=false');
        if (onlatestFor === 'prefix') f.prefixLatest = value === 'true';
        if (onlatestFor === 'suffix') f.suffixLatest = value === 'true';
      } else
        throw new InputError(
          'flavor',
          `unknown flavor "${key}"`,
          'use latest=, prefix=, suffix= or onlatest='
        );
    }
  }
  return f;
}

export interface ImageEntry {
  name: string;
  enable: boolean;
}

/**
 * The `images` lines: `name=ghcr.io/acme/shop,enable=true` per line, or (the older form) bare names,
 * comma-separated on one line.
 */
export function parseImages(lines: string[]): ImageEntry[] {
  const fieldsOf = (line: string) => csvFields(line).map((f) => f.split('=').map((s) => s.trim()));
  if (lines.length === 1 && fieldsOf(lines[0]!).every((p) => p.length === 1))
    return fieldsOf(lines[0]!)
      .map((p) => ({ name: p[0]!, enable: true }))
      .filter((i) => i.name !== '');
  return lines.map((line) => {
    const image: ImageEntry = { name: '', enable: true };
    for (const parts of fieldsOf(line)) {
      if (parts.length === 1) image.name = parts[0]!;
      else {
        const key = parts[0]!.toLowerCase();
        if (key === 'name') image.name = parts[1]!;
        else if (key === 'enable') {
          if (!['true', 'false'].includes(parts[1]!))
            throw new InputError(
              'images',
              `"${line}": enable must be true or false`,
              'write enable=true or enable=false'
            );
          image.enable = parts[1] === 'true';
        } else
          throw new InputError('images', `"${line}": unknown attribute "${key}"`, 'use name= and enable=');
      }
    }
    if (!image.name)
      throw new InputError('images', `"${line}" has no image name`, 'write name=ghcr.io/owner/app');
    return image;
  });
}

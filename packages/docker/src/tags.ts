import semver from 'semver';
import { InputError } from '../../core/src/errors.js';
import { parseReference, TAG } from '../../registry/src/reference.js';

/**
 * Tags and OCI labels the way docker/metadata-action computes them, so its users can bring their `tags`
 * and `flavor` inputs as they are: the same rule types, attributes, priorities, global expressions,
 * sanitising of git refs and `latest` rules. Differences (documented in docs/actions/build-image.md): a
 * rule that yields an invalid tag is an InputError instead of a silently altered tag, and `latest=auto`
 * skips a release that is not the highest version when the known versions are given.
 */

export type RuleType = 'schedule' | 'semver' | 'match' | 'edge' | 'ref' | 'raw' | 'sha';

export interface TagRule {
  type: RuleType;
  attrs: Map<string, string>;
  priority: number;
  /** The line as written, for errors. */
  text: string;
}

const PRIORITY: Record<RuleType, number> = {
  schedule: 1000,
  semver: 900,
  match: 800,
  edge: 700,
  ref: 600,
  raw: 200,
  sha: 100
};

/** What the tag rules read from the run: GITHUB_* and the event payload. */
export interface MetaContext {
  ref: string;
  sha: string;
  eventName: string;
  repository: string;
  serverUrl: string;
  /** From the payload: pull_request.number. */
  prNumber?: number;
  /** From the payload: repository.default_branch. */
  defaultBranch?: string;
  repoName?: string;
  repoDescription?: string;
  /** SPDX id, e.g. MIT. */
  repoLicense?: string;
  repoUrl?: string;
}

export interface Flavor {
  latest: 'auto' | 'true' | 'false';
  prefix: string;
  suffix: string;
}

export interface MetaInput {
  images: string[];
  /** One rule per entry (metadata-action's `tags` input lines). Empty: metadata-action's defaults. */
  tagRules: string[];
  flavor?: Partial<Flavor>;
  /** User labels; they override the generated ones. */
  labels?: Record<string, string>;
  context: MetaContext;
  now?: Date;
  /**
   * Versions already released (e.g. the repository's git tags). When given, latest=auto adds `latest`
   * only when this release is the highest of them, so a backport patch of an old line does not take it.
   */
  knownVersions?: string[];
}

export interface Meta {
  /** The version (first tag by priority), as metadata-action's `version` output. */
  version: string;
  /** Tag names without image (`1.2.3`, `latest`, …). */
  tagNames: string[];
  /** Full references: every image × every tag name. */
  tags: string[];
  labels: Record<string, string>;
}

export const DEFAULT_RULES = [
  'type=schedule',
  'type=ref,event=branch',
  'type=ref,event=tag',
  'type=ref,event=pr'
];

/** Parse `type=semver,pattern={{version}},prefix=v` (or a bare `foo`, which is `type=raw,value=foo`). */
export function parseTagRule(text: string): TagRule {
  const line = text.trim();
  const attrs = new Map<string, string>();
  if (!line.includes('=')) {
    attrs.set('type', 'raw');
    attrs.set('value', line);
  } else {
    for (const part of splitCsv(line)) {
      const eq = part.indexOf('=');
      if (eq <= 0) {
        // metadata-action accepts `type=raw,foo`
        if (attrs.get('type') === 'raw' && !attrs.has('value')) {
          attrs.set('value', part.trim());
          continue;
        }
        throw new InputError(
          'tags',
          `rule "${line}": "${part}" is not key=value`,
          'write rules like type=semver,pattern={{version}}'
        );
      }
      const key = part.slice(0, eq).trim().toLowerCase();
      if (
        ![
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
          'group'
        ].includes(key)
      )
        throw new InputError(
          'tags',
          `rule "${line}": unknown attribute "${key}"`,
          'see the tag rules in docs/actions/build-image.md'
        );
      attrs.set(key, part.slice(eq + 1).trim());
    }
  }
  const type = attrs.get('type') as RuleType | undefined;
  if (!type || !(type in PRIORITY))
    throw new InputError(
      'tags',
      `rule "${line}" has ${type ? `unknown type "${type}"` : 'no type'}`,
      `use type=${Object.keys(PRIORITY).join(', type=')}`
    );
  if (type === 'ref' && !['branch', 'tag', 'pr'].includes(attrs.get('event') ?? ''))
    throw new InputError(
      'tags',
      `rule "${line}" needs event=branch, event=tag or event=pr`,
      'add event=branch (or tag, pr)'
    );
  if (type === 'raw' && !attrs.get('value'))
    throw new InputError('tags', `rule "${line}" has no value`, 'write type=raw,value=<tag>');
  if ((type === 'semver' || type === 'match') && !attrs.get('pattern'))
    throw new InputError('tags', `rule "${line}" has no pattern`, 'e.g. type=semver,pattern={{version}}');
  if (type === 'sha' && !['short', 'long', undefined].includes(attrs.get('format')))
    throw new InputError(
      'tags',
      `rule "${line}": format must be short or long`,
      'write format=long or leave it out'
    );
  const p = attrs.get('priority');
  if (p !== undefined && !/^-?\d+$/.test(p))
    throw new InputError('tags', `rule "${line}": priority "${p}" is not a number`, 'give a whole number');
  return { type, attrs, priority: p !== undefined ? Number(p) : PRIORITY[type], text: line };
}

/** CSV split honouring double quotes (`pattern="{{date 'YYYY,MM'}}"`). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/** metadata-action's sanitising of a git ref into a tag: every invalid character becomes '-'. */
export function sanitizeTag(s: string): string {
  return s.replace(/[^a-zA-Z0-9._-]+/g, '-');
}

export function parseFlavor(lines: string[]): Flavor {
  const f: Flavor = { latest: 'auto', prefix: '', suffix: '' };
  for (const line of lines) {
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : line.trim();
    const value = eq > 0 ? line.slice(eq + 1).trim() : '';
    if (key === 'latest') {
      if (!['auto', 'true', 'false'].includes(value))
        throw new InputError('flavor', `latest="${value}"`, 'use latest=auto, latest=true or latest=false');
      f.latest = value as Flavor['latest'];
    } else if (key === 'prefix' || key === 'suffix') f[key] = value.split(',')[0]!.trim();
    else throw new InputError('flavor', `unknown flavor "${key}"`, 'use latest=, prefix= or suffix=');
  }
  return f;
}

interface Git {
  branch?: string;
  tag?: string;
  pr?: number;
  shortSha: string;
  isDefaultBranch: boolean;
}

function gitOf(c: MetaContext): Git {
  const branch = c.ref.startsWith('refs/heads/') ? c.ref.slice(11) : undefined;
  const tag = c.ref.startsWith('refs/tags/') ? c.ref.slice(10) : undefined;
  const pr =
    c.prNumber ??
    (/^refs\/pull\/(\d+)\//.exec(c.ref) ? Number(/^refs\/pull\/(\d+)\//.exec(c.ref)![1]) : undefined);
  return {
    branch,
    tag,
    pr: c.eventName.startsWith('pull_request') ? pr : undefined,
    shortSha: c.sha.slice(0, 7),
    isDefaultBranch: branch !== undefined && branch === (c.defaultBranch ?? 'main')
  };
}

/** `{{branch}}`, `{{tag}}`, `{{sha}}`, `{{is_default_branch}}`, `{{date 'YYYYMMDD'}}` in prefix/suffix/value. */
function expand(text: string, git: Git, now: Date): string {
  return text.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (all, expr: string) => {
    if (expr === 'branch') return git.branch ?? '';
    if (expr === 'tag') return git.tag ?? '';
    if (expr === 'sha') return git.shortSha;
    if (expr === 'is_default_branch') return String(git.isDefaultBranch);
    if (expr === 'is_not_default_branch') return String(!git.isDefaultBranch);
    const date = /^date\s+'([^']*)'$/.exec(expr);
    if (date) return formatDate(date[1]!, now);
    return all;
  });
}

function formatDate(format: string, d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return format
    .replace(/YYYY/g, String(d.getUTCFullYear()))
    .replace(/MM/g, pad(d.getUTCMonth() + 1))
    .replace(/DD/g, pad(d.getUTCDate()))
    .replace(/HH/g, pad(d.getUTCHours()))
    .replace(/mm/g, pad(d.getUTCMinutes()))
    .replace(/ss/g, pad(d.getUTCSeconds()));
}

/** A semver pattern applied to a version; a prerelease only ever yields its full version. */
export function semverPattern(pattern: string, raw: string): string | undefined {
  const v = semver.parse(raw, { loose: true }) ?? semver.parse(semver.clean(raw, { loose: true }) ?? '');
  if (!v) return undefined;
  const version = v.version;
  if (v.prerelease.length > 0) return version;
  return pattern
    .replace(/\{\{\s*raw\s*\}\}/g, raw)
    .replace(/\{\{\s*version\s*\}\}/g, version)
    .replace(/\{\{\s*major\s*\}\}/g, String(v.major))
    .replace(/\{\{\s*minor\s*\}\}/g, String(v.minor))
    .replace(/\{\{\s*patch\s*\}\}/g, String(v.patch));
}

/** Compute tags and labels; throws InputError for a rule that yields an invalid tag or a bad image. */
export function computeMeta(input: MetaInput): Meta {
  const now = input.now ?? new Date();
  const c = input.context;
  const git = gitOf(c);
  const flavor: Flavor = { latest: 'auto', prefix: '', suffix: '', ...input.flavor };
  // As metadata-action: image names are lower-cased, so `ghcr.io/${{ github.repository }}` works for an
  // owner like "Acme"; anything still invalid after that is refused.
  const images = input.images.map((i) => i.trim().toLowerCase());
  for (const image of images) parseReference(image, { input: 'images', nameOnly: true });

  const rules = (input.tagRules.length > 0 ? input.tagRules : DEFAULT_RULES)
    .map(parseTagRule)
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.priority - a.r.priority || a.i - b.i)
    .map(({ r }) => r);

  const names: string[] = [];
  let latestAuto = false;
  for (const rule of rules) {
    const a = rule.attrs;
    const enable = expand(a.get('enable') ?? 'true', git, now).trim();
    if (!['true', 'false'].includes(enable))
      throw new InputError(
        'tags',
        `rule "${rule.text}": enable="${enable}" is not true or false`,
        'use enable=true, false or {{is_default_branch}}'
      );
    if (enable === 'false') continue;
    let value: string | undefined;
    let prefix = a.has('prefix') ? expand(a.get('prefix')!, git, now) : undefined;
    const suffix = a.has('suffix') ? expand(a.get('suffix')!, git, now) : undefined;
    let sanitized = false;
    switch (rule.type) {
      case 'schedule':
        if (c.eventName === 'schedule') value = expand(a.get('pattern') ?? 'nightly', git, now);
        break;
      case 'semver': {
        const raw = a.has('value') ? expand(a.get('value')!, git, now) : git.tag;
        if (!raw) break;
        value = semverPattern(a.get('pattern')!, raw);
        if (value !== undefined && isLatestRelease(raw, input.knownVersions)) latestAuto = true;
        break;
      }
      case 'match': {
        const raw = a.has('value') ? expand(a.get('value')!, git, now) : git.tag;
        if (!raw) break;
        let re: RegExp;
        try {
          re = new RegExp(a.get('pattern')!);
        } catch (err) {
          throw new InputError(
            'tags',
            `rule "${rule.text}": ${(err as Error).message}`,
            'fix the regular expression'
          );
        }
        const m = re.exec(raw);
        value = m?.[Number(a.get('group') ?? '0')];
        if (value) {
          sanitized = true;
          latestAuto = latestAuto || isLatestRelease(raw, input.knownVersions);
        }
        break;
      }
      case 'edge':
        if (git.branch !== undefined && git.branch === (a.get('branch') ?? c.defaultBranch ?? 'main'))
          value = 'edge';
        break;
      case 'ref': {
        const event = a.get('event');
        if (event === 'branch' && git.branch !== undefined) value = git.branch;
        else if (event === 'tag' && git.tag !== undefined) {
          value = git.tag;
          latestAuto = latestAuto || isLatestRelease(git.tag, input.knownVersions);
        } else if (event === 'pr' && git.pr !== undefined) {
          value = String(git.pr);
          prefix ??= 'pr-';
        }
        sanitized = true;
        break;
      }
      case 'raw':
        value = expand(a.get('value')!, git, now);
        break;
      case 'sha':
        if (c.sha) value = a.get('format') === 'long' ? c.sha : git.shortSha;
        prefix ??= 'sha-';
        break;
    }
    if (value === undefined || value === '') continue;
    if (sanitized) value = sanitizeTag(value);
    let tag = `${flavor.prefix}${prefix ?? ''}${value}${suffix ?? ''}${flavor.suffix}`;
    if (sanitized) tag = tag.slice(0, 128);
    if (!TAG.test(tag)) {
      throw new InputError(
        'tags',
        `rule "${rule.text}" yields "${tag}", which is not a valid tag`,
        'a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}: change the prefix, suffix or value'
      );
    }
    if (!names.includes(tag)) names.push(tag);
  }
  const version = names[0] ?? '';
  const wantLatest = flavor.latest === 'true' || (flavor.latest === 'auto' && latestAuto);
  if (wantLatest && !names.includes('latest')) names.push('latest');

  const repoUrl = c.repoUrl ?? (c.repository ? `${c.serverUrl}/${c.repository}` : '');
  const labels: Record<string, string> = {
    ...(c.repository
      ? { 'org.opencontainers.image.title': c.repoName ?? c.repository.split('/')[1] ?? '' }
      : {}),
    ...(c.repoDescription ? { 'org.opencontainers.image.description': c.repoDescription } : {}),
    ...(repoUrl
      ? { 'org.opencontainers.image.url': repoUrl, 'org.opencontainers.image.source': repoUrl }
      : {}),
    ...(version ? { 'org.opencontainers.image.version': version } : {}),
    'org.opencontainers.image.created': now.toISOString(),
    ...(c.sha ? { 'org.opencontainers.image.revision': c.sha } : {}),
    ...(c.repoLicense ? { 'org.opencontainers.image.licenses': c.repoLicense } : {}),
    ...input.labels
  };
  return {
    version,
    tagNames: names,
    tags: images.flatMap((image) => names.map((n) => `${image}:${n}`)),
    labels
  };
}

/**
 * latest=auto: a tag push gets `latest` unless it is a prerelease or, when the released versions are
 * known, lower than the highest of them.
 */
export function isLatestRelease(tag: string, known?: string[]): boolean {
  const v = semver.parse(tag, { loose: true }) ?? semver.parse(semver.clean(tag, { loose: true }) ?? '');
  if (!v) return true; // not semver (type=ref,event=tag on e.g. "release-42"): as metadata-action
  if (v.prerelease.length > 0) return false;
  for (const k of known ?? []) {
    const o = semver.parse(k, { loose: true });
    if (o && o.prerelease.length === 0 && semver.gt(o, v)) return false;
  }
  return true;
}

/** The repository fields metadata-action reads from the event payload (GITHUB_EVENT_PATH). */
export function contextFromPayload(payload: unknown): Partial<MetaContext> {
  const p = (payload ?? {}) as {
    repository?: {
      name?: string;
      description?: string | null;
      html_url?: string;
      default_branch?: string;
      license?: { spdx_id?: string | null } | null;
    };
    pull_request?: { number?: number };
    number?: number;
  };
  const r = p.repository ?? {};
  const license = r.license?.spdx_id;
  return {
    ...(r.name ? { repoName: r.name } : {}),
    ...(r.description ? { repoDescription: r.description } : {}),
    ...(r.html_url ? { repoUrl: r.html_url } : {}),
    ...(r.default_branch ? { defaultBranch: r.default_branch } : {}),
    ...(license && license !== 'NOASSERTION' ? { repoLicense: license } : {}),
    ...(p.pull_request?.number !== undefined ? { prNumber: p.pull_request.number } : {})
  };
}

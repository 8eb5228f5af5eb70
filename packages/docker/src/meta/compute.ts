import semver from 'semver';
import { InputError } from '../../../core/src/index.js';
import { TAG, parseReference } from '../../../registry/src/index.js';
import type { MetaContext } from './context.js';
import { formatDate } from './dates.js';
import { isPep440Special, normalizePep440, parsePep440 } from './pep440.js';
import { DEFAULT_FLAVOR, parseImages, parseTagRules, type Flavor, type TagRule } from './rules.js';
import { isRawStatement, renderTemplate, type Helper, type Scope } from './template.js';

/**
 * Tags, labels and annotations the way docker/metadata-action computes them, so its users bring their
 * `images`, `tags`, `flavor`, `labels` and `annotations` inputs as they are. The deliberate differences are
 * in docs/actions/build-image.md.
 */
export interface MetaInput {
  /** `images` lines: `name=…,enable=…` or bare names. */
  images: string[];
  /** `tags` lines, one rule each; empty: metadata-action's default rules. */
  tagRules: string[];
  flavor?: Partial<Flavor>;
  /** `labels` lines (`key=value`, expressions allowed); they override the generated OCI labels. */
  labels?: string[];
  annotations?: string[];
  context: MetaContext;
  now?: Date;
  /**
   * Versions already released (the repository's git tags). When given, latest=auto adds `latest` only
   * when this release is the highest of them, so a backport patch of an old line does not take it.
   */
  knownVersions?: string[];
}

export interface Version {
  main?: string;
  partial: string[];
  latest: boolean;
}

export interface Meta {
  /** The first tag by priority (metadata-action's `version` output), '' when no rule produced one. */
  version: string;
  versionInfo: Version;
  /** Tag names without image (`1.2.3`, `latest`, …). */
  tagNames: string[];
  /** The enabled images, lower-cased. */
  images: string[];
  /** Every image × every tag name; the bare names when no image is given. */
  tags: string[];
  /** `key=value`, sorted by key, empty values kept. */
  labels: string[];
  annotations: string[];
  flavor: Flavor;
}

/** metadata-action's sanitising of a tag: every run of invalid characters becomes '-'. */
export function sanitizeTag(s: string): string {
  return s.replace(/[^a-zA-Z0-9._-]+/g, '-');
}

const ATTR_HELPER = (now: Date): Helper => {
  return (args, hash) => {
    for (const k of Object.keys(hash))
      if (k !== 'tz')
        throw new InputError('tags', `unknown attribute ${k}= in a date expression`, "use tz='Zone'");
    return formatDate(now, args[0], hash.tz ?? 'UTC');
  };
};

function globals(c: MetaContext, now: Date): Scope {
  const shortSha = shortShaOf(c);
  const branch = /^refs\/heads\//.test(c.ref) ? c.ref.replace(/^refs\/heads\//, '') : '';
  const isDefault = () => {
    const b = c.ref.replace(/^refs\/heads\//, '');
    if (b === '') return false;
    if ((c.repo.defaultBranch ?? 'main') === b) return true;
    // These events always run on the default branch's last commit.
    return /create|discussion|issues|schedule/.test(c.eventName);
  };
  const p = c.payload as { base_ref?: string | null; pull_request?: { base?: { ref?: string } } };
  return {
    branch: () => branch,
    tag: () => (/^refs\/tags\//.test(c.ref) ? c.ref.replace(/^refs\/tags\//, '') : ''),
    sha: () => shortSha,
    base_ref: () => {
      if (/^refs\/tags\//.test(c.ref) && p.base_ref != null) return p.base_ref.replace(/^refs\/heads\//, '');
      if (/^refs\/pull\//.test(c.ref) && p.pull_request?.base?.ref != null) return p.pull_request.base.ref;
      return '';
    },
    is_default_branch: () => String(isDefault()),
    is_not_default_branch: () => String(!isDefault()),
    date: ATTR_HELPER(now),
    commit_date: ATTR_HELPER(c.commitDate ?? now)
  };
}

function shortShaOf(c: MetaContext): string {
  const n = c.shortShaLength ?? 7;
  return n >= c.sha.length ? c.sha : c.sha.slice(0, n);
}

/** Compute tags, labels and annotations. Throws InputError for a bad rule, image or resulting tag. */
export function computeMeta(input: MetaInput): Meta {
  const now = input.now ?? new Date();
  const c = input.context;
  const flavor: Flavor = { ...DEFAULT_FLAVOR, ...input.flavor };
  const scope = globals(c, now);
  const exp = (text: string) => renderTemplate(text, scope);
  const images = parseImages(input.images)
    .filter((i) => i.enable)
    .map((i) => i.name.toLowerCase());
  for (const image of images) parseReference(image, { input: 'images', nameOnly: true });

  const version: { main?: string; partial: string[]; latest?: boolean } = { partial: [] };
  const autoLatest = (auto: boolean) => (flavor.latest === 'auto' ? auto : flavor.latest === 'true');
  const withAffixes = (val: string, rule: TagRule) => {
    const a = rule.attrs;
    const prefix = a.has('prefix') ? exp(a.get('prefix')!) : flavor.prefix ? exp(flavor.prefix) : '';
    const suffix = a.has('suffix') ? exp(a.get('suffix')!) : flavor.suffix ? exp(flavor.suffix) : '';
    return `${prefix}${val}${suffix}`;
  };
  const add = (val: string, latest: boolean) => {
    if (val.length === 0) return;
    // Beyond metadata-action: a tag is at most 128 characters, so a long branch name is cut, not refused.
    const tag = sanitizeTag(val).slice(0, 128);
    if (version.main === undefined) version.main = tag;
    else if (tag !== version.main) version.partial.push(tag);
    version.latest ??= latest;
  };
  const released = (raw: string) => isLatestRelease(raw, input.knownVersions);

  for (const rule of parseTagRules(input.tagRules)) {
    const a = rule.attrs;
    const enable = exp(a.get('enable')!);
    if (!['true', 'false'].includes(enable))
      throw new InputError(
        'tags',
        `rule "${rule.text}": enable="${enable}" is not true or false`,
        'use enable=true, false or {{is_default_branch}}'
      );
    if (enable === 'false') continue;
    const isTag = /^refs\/tags\//.test(c.ref);
    const tagName = c.ref.replace(/^refs\/tags\//, '');
    switch (rule.type) {
      case 'schedule': {
        if (!/schedule/.test(c.eventName)) break;
        const dates = { date: scope.date, commit_date: scope.commit_date };
        add(withAffixes(renderTemplate(a.get('pattern')!, dates), rule), autoLatest(false));
        break;
      }
      case 'semver':
      case 'pep440': {
        if (!isTag && a.get('value') === '') break;
        let raw = a.get('value') ? exp(a.get('value')!) : tagName;
        if (a.get('match')) {
          const m = raw.match(new RegExp(a.get('match')!));
          if (m) raw = m[1] ?? '';
        }
        raw = raw.replace(/\//g, '-');
        const out =
          rule.type === 'semver' ? semverValue(a.get('pattern')!, raw) : pep440Value(a.get('pattern')!, raw);
        if (out === undefined) break;
        add(withAffixes(out.value, rule), autoLatest(out.release && released(raw)));
        break;
      }
      case 'match': {
        if (!isTag && a.get('value') === '') break;
        const raw = a.get('value') ? exp(a.get('value')!) : tagName;
        const pattern = a.get('pattern')!;
        const literal = /^\/(.+)\/(.*)$/.exec(pattern);
        let re: RegExp;
        try {
          re = literal ? new RegExp(literal[1]!, literal[2]) : new RegExp(pattern);
        } catch (err) {
          throw new InputError(
            'tags',
            `rule "${rule.text}": ${(err as Error).message}`,
            'fix the regular expression'
          );
        }
        const m = raw.match(re);
        const group = m?.[Number(a.get('group'))];
        if (group === undefined) break;
        add(withAffixes(group, rule), autoLatest(released(raw)));
        break;
      }
      case 'ref': {
        const event = a.get('event');
        if (event === 'branch' && /^refs\/heads\//.test(c.ref))
          add(withAffixes(c.ref.replace(/^refs\/heads\//, ''), rule), autoLatest(false));
        else if (event === 'tag' && isTag) add(withAffixes(tagName, rule), autoLatest(released(tagName)));
        else if (event === 'pr' && /^refs\/pull\//.test(c.ref))
          add(
            withAffixes(c.ref.replace(/^refs\/pull\//, '').replace(/\/merge$/, ''), rule),
            autoLatest(false)
          );
        break;
      }
      case 'edge': {
        if (!/^refs\/heads\//.test(c.ref)) break;
        const branch = a.get('branch') || (c.repo.defaultBranch ?? 'main');
        if (branch === c.ref.replace(/^refs\/heads\//, '')) add(withAffixes('edge', rule), autoLatest(false));
        break;
      }
      case 'raw':
        add(withAffixes(exp(a.get('value')!), rule), autoLatest(false));
        break;
      case 'sha':
        if (c.sha)
          add(withAffixes(a.get('format') === 'long' ? c.sha : shortShaOf(c), rule), autoLatest(false));
        break;
    }
  }
  const partial = version.partial.filter((t, i) => version.partial.indexOf(t) === i);
  const latest = version.latest ?? false;
  const tagNames: string[] = [];
  if (version.main !== undefined) {
    tagNames.push(version.main, ...partial);
    if (latest)
      tagNames.push(
        sanitizeTag(
          `${flavor.prefixLatest ? flavor.prefix : ''}latest${flavor.suffixLatest ? flavor.suffix : ''}`
        )
      );
  }
  for (const t of tagNames)
    if (!TAG.test(t))
      throw new InputError(
        'tags',
        `the rules yield "${t}", which is not a valid tag`,
        'a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}: change the prefix, suffix or value'
      );
  const oci = (extra: string[]) => ociAnnotations(c, version.main ?? '', now, extra.map(exp));
  return {
    version: version.main ?? '',
    versionInfo: { main: version.main, partial, latest },
    tagNames,
    images,
    tags: images.length > 0 ? images.flatMap((i) => tagNames.map((t) => `${i}:${t}`)) : [...tagNames],
    labels: oci(input.labels ?? []),
    annotations: oci(input.annotations ?? []),
    flavor
  };
}

/** A semver pattern applied to a version; a prerelease yields its full version (or `{{raw}}` as written). */
export function semverValue(pattern: string, raw: string): { value: string; release: boolean } | undefined {
  if (!semver.valid(raw)) return undefined;
  const v = semver.parse(raw, { loose: true })!;
  const scope: Scope = {
    raw: v.raw,
    version: v.version,
    major: v.major,
    minor: v.minor,
    patch: v.patch,
    prerelease: v.prerelease,
    build: v.build
  };
  if (v.prerelease.length > 0)
    return {
      value: renderTemplate(isRawStatement(pattern) ? pattern : '{{version}}', scope),
      release: false
    };
  return { value: renderTemplate(pattern, scope), release: true };
}

/** A PEP 440 pattern applied to a version; pre-, post- and dev-releases yield their normalised version. */
export function pep440Value(pattern: string, raw: string): { value: string; release: boolean } | undefined {
  const v = parsePep440(raw);
  if (!v) return undefined;
  if (isPep440Special(v))
    return { value: isRawStatement(pattern) ? raw : normalizePep440(v), release: false };
  const scope: Scope = {
    raw: () => raw,
    version: () => normalizePep440(v),
    major: () => String(v.release[0] ?? 0),
    minor: () => String(v.release[1] ?? 0),
    patch: () => String(v.release[2] ?? 0)
  };
  return { value: renderTemplate(pattern, scope), release: true };
}

/** localeCompare's order (metadata-action sorts with it), with one collator instead of one per call. */
const collator = new Intl.Collator();

/** The eight OCI keys (empty values kept) plus `extra` lines; lines without '=' dropped; sorted by key. */
function ociAnnotations(c: MetaContext, version: string, now: Date, extra: string[]): string[] {
  const lines = [
    `org.opencontainers.image.title=${c.repo.name ?? ''}`,
    `org.opencontainers.image.description=${c.repo.description ?? ''}`,
    `org.opencontainers.image.url=${c.repo.htmlUrl ?? ''}`,
    `org.opencontainers.image.source=${c.repo.htmlUrl ?? ''}`,
    `org.opencontainers.image.version=${version}`,
    `org.opencontainers.image.created=${now.toISOString()}`,
    `org.opencontainers.image.revision=${c.sha}`,
    `org.opencontainers.image.licenses=${c.repo.license ?? ''}`,
    ...extra
  ];
  const map = new Map<string, string>();
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return [...map].sort((a, b) => collator.compare(a[0], b[0])).map(([k, v]) => `${k}=${v}`);
}

/**
 * With known versions: a release takes `latest` only when no known release is higher. A version that is
 * not semver (e.g. "release-42") keeps metadata-action's answer.
 */
export function isLatestRelease(tag: string, known?: string[]): boolean {
  if (!known) return true;
  const v = semver.parse(tag, { loose: true }) ?? semver.parse(semver.clean(tag, { loose: true }) ?? '');
  if (!v) return true;
  for (const k of known) {
    const o = semver.parse(k, { loose: true });
    if (o && o.prerelease.length === 0 && semver.gt(o, v)) return false;
  }
  return true;
}

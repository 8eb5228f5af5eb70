import semver from 'semver';
import type { Bump } from './conventional.js';

/**
 * Versions from tags: `<prefix><semver>` only. A tag with the prefix that is not semver (`v1`, `v1.2`
 * floating tags, `vnext`) is not a release; the floating shapes are skipped quietly, others reported.
 */
export interface TagVersion {
  tag: string;
  version: semver.SemVer;
}

export function parseTags(tags: string[], prefix: string): { versions: TagVersion[]; ignored: string[] } {
  const versions: TagVersion[] = [];
  const ignored: string[] = [];
  for (const tag of tags) {
    if (!tag.startsWith(prefix)) continue;
    const rest = tag.slice(prefix.length);
    // semver.valid would accept `=1.2.3` and `v1.2.3`; a release tag is exactly prefix + version.
    const v = /^\d/.test(rest) ? semver.parse(rest) : null;
    if (v && v.version === rest) versions.push({ tag, version: v });
    else if (!/^\d+(\.\d+)?$/.test(rest)) ignored.push(tag);
  }
  versions.sort((a, b) => semver.rcompare(a.version, b.version));
  return { versions, ignored };
}

export interface NextInput {
  /** Release tags reachable from the target, highest first. */
  reachable: TagVersion[];
  /** Every release tag in the repository (any branch), highest first. */
  all: TagVersion[];
  /** Bump asked by the commits since the last final release. */
  bump: Bump;
  /** Is there a releasable commit since the last tag reachable from the target (for prerelease counting)? */
  releasableSinceLastTag: boolean;
  initialVersion: string;
  releaseAs?: string;
  /** Prerelease channel, e.g. `rc`. */
  prerelease?: string;
}

export interface NextVersion {
  released: boolean;
  version: string;
  bump: Bump;
  /** The last final release reachable from the target. */
  lastFinal?: TagVersion;
  /** The tag the changelog and compare link start from. */
  previous?: TagVersion;
  reason: string;
}

function channelCounter(all: TagVersion[], base: string, channel: string): number {
  let n = -1;
  for (const t of all) {
    const pre = t.version.prerelease;
    if (`${t.version.major}.${t.version.minor}.${t.version.patch}` !== base) continue;
    if (pre.length === 2 && pre[0] === channel && typeof pre[1] === 'number') n = Math.max(n, pre[1]);
  }
  return n + 1;
}

function bumpBetween(from: string | undefined, to: string): Bump {
  if (!from) return 'major';
  const d = semver.diff(from, to);
  if (d === null) return 'none';
  if (d === 'major' || d === 'premajor') return 'major';
  if (d === 'minor' || d === 'preminor') return 'minor';
  return 'patch';
}

export function nextVersion(input: NextInput): NextVersion {
  const lastFinal = input.reachable.find((t) => t.version.prerelease.length === 0);
  const lastAny = input.reachable[0];
  const channel = input.prerelease;

  if (input.releaseAs) {
    const forced = semver.parse(input.releaseAs)!;
    let version = forced.version;
    if (channel && forced.prerelease.length === 0)
      version = `${version}-${channel}.${channelCounter(input.all, version, channel)}`;
    const previous = channel || forced.prerelease.length ? lastAny : lastFinal;
    return {
      released: true,
      version,
      bump: bumpBetween(lastFinal?.version.version, version),
      ...(lastFinal ? { lastFinal } : {}),
      ...(previous ? { previous } : {}),
      reason: `release-as ${input.releaseAs}`
    };
  }

  if (input.bump === 'none') {
    return {
      released: false,
      version: lastAny?.version.version ?? '',
      bump: 'none',
      ...(lastFinal ? { lastFinal } : {}),
      ...(lastAny ? { previous: lastAny } : {}),
      reason: lastFinal
        ? `no feat, fix, perf or breaking commit since ${lastFinal.tag}`
        : 'no feat, fix, perf or breaking commit in the history'
    };
  }

  const base = lastFinal ? semver.inc(lastFinal.version.version, input.bump)! : input.initialVersion;
  if (!channel) {
    return {
      released: true,
      version: base,
      bump: input.bump,
      ...(lastFinal ? { lastFinal, previous: lastFinal } : {}),
      reason: lastFinal ? `${input.bump} since ${lastFinal.tag}` : `first release (initial-version ${base})`
    };
  }
  // A prerelease line: 1.3.0-rc.0, -rc.1 … counted over every tag in the repository so two branches never
  // make the same tag; a new one only when something releasable landed since the last tag.
  const sameLine = input.reachable.find(
    (t) =>
      t.version.prerelease[0] === channel &&
      `${t.version.major}.${t.version.minor}.${t.version.patch}` === base
  );
  if (sameLine && !input.releasableSinceLastTag) {
    return {
      released: false,
      version: sameLine.version.version,
      bump: 'none',
      ...(lastFinal ? { lastFinal } : {}),
      previous: sameLine,
      reason: `no feat, fix, perf or breaking commit since ${sameLine.tag}`
    };
  }
  const version = `${base}-${channel}.${channelCounter(input.all, base, channel)}`;
  const previous = lastAny && semver.gt(version, lastAny.version) ? lastAny : lastFinal;
  return {
    released: true,
    version,
    bump: input.bump,
    ...(lastFinal ? { lastFinal } : {}),
    ...(previous ? { previous } : {}),
    reason: `${lastFinal ? `${input.bump} since ${lastFinal.tag}` : 'first release'}, ${channel} prerelease`
  };
}

/**
 * The floating tags a final release moves: `v1` (and `v1.4` for major-minor), each only when this is the
 * highest final release of its line, so a backport 1.3.5 after 1.4.0 does not drag `v1` back.
 */
export function floatingTagsFor(
  version: string,
  prefix: string,
  mode: 'major' | 'major-minor' | 'none',
  all: TagVersion[]
): { move: string[]; skipped: string[] } {
  const v = semver.parse(version);
  if (!v || v.prerelease.length || mode === 'none') return { move: [], skipped: [] };
  const finals = all.filter((t) => t.version.prerelease.length === 0);
  const move: string[] = [];
  const skipped: string[] = [];
  const highestOf = (pred: (t: TagVersion) => boolean) =>
    finals.filter(pred).every((t) => semver.lte(t.version, v));
  const major = `${prefix}${v.major}`;
  if (highestOf((t) => t.version.major === v.major)) move.push(major);
  else skipped.push(major);
  if (mode === 'major-minor') {
    const minor = `${prefix}${v.major}.${v.minor}`;
    if (highestOf((t) => t.version.major === v.major && t.version.minor === v.minor)) move.push(minor);
    else skipped.push(minor);
  }
  return { move, skipped };
}

/** Is this final release the highest in the repository (GitHub's "latest" badge)? */
export function isLatest(version: string, all: TagVersion[]): boolean {
  const v = semver.parse(version);
  if (!v || v.prerelease.length) return false;
  return all.filter((t) => t.version.prerelease.length === 0).every((t) => semver.lte(t.version, v));
}

import semver from 'semver';
import { DeployActionsError, InputError, type Executor, type Logger } from '../../core/src/index.js';
import { renderChangelog } from './changelog.js';
import { cancelReverts, parseCommit, rangeBump, type Bump, type ParsedCommit } from './conventional.js';
import { git, gitArgv, parseLines, parseLog, parseTagCommits } from './git.js';
import { floatingTagsFor, isLatest, nextVersion, parseTags } from './version.js';
import type { Choice } from '../../manifest/src/index.js';

/** Which floating tags a final release moves (manifest.yml, tag-release's `floating-tags` options). */
export type FloatingMode = Choice<'tag-release', 'floating-tags'>;

export interface ReleaseOptions {
  /** The git working copy. */
  cwd: string;
  /** Commit to release (default HEAD). */
  target: string;
  tagPrefix: string;
  initialVersion: string;
  releaseAs?: string;
  prerelease?: string;
  floatingTags: FloatingMode;
  /** `https://github.com/owner/repo` for changelog links, or ''. */
  repoUrl: string;
}

export interface ReleasePlan {
  released: boolean;
  /** Why (or why not) there is a release, for the log and summary. */
  reason: string;
  version: string;
  tag: string;
  previousVersion: string;
  previousTag: string;
  bump: Bump;
  prerelease: boolean;
  targetSha: string;
  changelog: string;
  /** The commits in the changelog, parsed. */
  commits: ParsedCommit[];
  floatingTags: string[];
  /** Floating tags not moved because a higher release of their line exists. */
  floatingSkipped: string[];
  makeLatest: boolean;
  ignoredTags: string[];
}

const TAG_PREFIX = /^[A-Za-z0-9._\-/@]*$/;
const CHANNEL = /^[0-9A-Za-z-]+$/;

/** Checks that need no repository: they fail before anything is read or written. */
export function validateReleaseOptions(o: ReleaseOptions): void {
  if (!TAG_PREFIX.test(o.tagPrefix) || /^\d/.test(o.tagPrefix))
    throw new InputError(
      'tag-prefix',
      `"${o.tagPrefix}" is not a usable tag prefix`,
      'use letters, digits, `.`, `_`, `-`, `/` or `@`, not starting with a digit (default `v`)'
    );
  if (!semver.valid(o.initialVersion) || semver.clean(o.initialVersion) !== o.initialVersion)
    throw new InputError(
      'initial-version',
      `"${o.initialVersion}" is not a semantic version`,
      'give e.g. 1.0.0 or 0.1.0'
    );
  if (o.releaseAs !== undefined && (!semver.valid(o.releaseAs) || semver.clean(o.releaseAs) !== o.releaseAs))
    throw new InputError(
      'release-as',
      `"${o.releaseAs}" is not a semantic version`,
      'give e.g. 2.0.0 (without the prefix)'
    );
  if (o.prerelease !== undefined && (!CHANNEL.test(o.prerelease) || /^\d+$/.test(o.prerelease)))
    throw new InputError(
      'prerelease',
      `"${o.prerelease}" is not a prerelease channel`,
      'give a word such as rc, beta or alpha'
    );
  if (!o.target || o.target.startsWith('-'))
    throw new InputError(
      'target',
      `"${o.target}" is not a commit`,
      'give a commit SHA, branch or tag (default HEAD)'
    );
}

export async function planRelease(
  options: ReleaseOptions,
  deps: { executor: Executor; logger: Logger }
): Promise<ReleasePlan> {
  validateReleaseOptions(options);
  const { executor, logger } = deps;
  const { cwd, tagPrefix: prefix } = options;
  const run = (argv: string[], check = true) => git(executor, cwd, argv, check);

  const shallow = await run(gitArgv.isShallow(), false);
  if (shallow.exitCode !== 0)
    throw new DeployActionsError('input', `${cwd} is not a git repository: ${shallow.stderr.trim()}`, {
      state: 'nothing was changed',
      hint: 'run actions/checkout (with `fetch-depth: 0`) before tag-release, or set `working-directory`'
    });
  if (shallow.stdout.trim() === 'true')
    throw new DeployActionsError(
      'input',
      'The repository is a shallow clone: the tags and commits since the last release are not all there',
      {
        state: 'nothing was changed',
        hint: 'check out the full history: `actions/checkout` with `fetch-depth: 0` (it fetches the tags too)'
      }
    );
  const resolved = await run(gitArgv.resolveCommit(options.target), false);
  const targetSha = resolved.stdout.trim();
  if (resolved.exitCode !== 0 || !/^[0-9a-f]{40,64}$/.test(targetSha))
    throw new InputError(
      'target',
      `"${options.target}" is not a commit in this repository`,
      'give a commit SHA, branch or tag that the checkout contains'
    );

  const reachableNames = parseLines((await run(gitArgv.mergedTags(targetSha, prefix))).stdout);
  // One for-each-ref gives every tag with the prefix and its commit: the names, and the existing-tag check.
  const tagCommits = parseTagCommits((await run(gitArgv.tagCommits(prefix))).stdout);
  const allNames = [...tagCommits.keys()];
  const reachable = parseTags(reachableNames, prefix);
  const all = parseTags(allNames, prefix);
  for (const t of all.ignored) logger.info(`notice: tag ${t} is not ${prefix}<semver>; it is ignored`);

  const lastFinal = reachable.versions.find((t) => t.version.prerelease.length === 0);
  const lastAny = reachable.versions[0];
  const sinceFinal = cancelReverts(
    parseLog((await run(gitArgv.log(targetSha, lastFinal?.tag))).stdout).map(parseCommit)
  );
  let sinceLast = sinceFinal;
  if (lastAny && lastAny !== lastFinal) {
    const shas = new Set(parseLog((await run(gitArgv.log(targetSha, lastAny.tag))).stdout).map((c) => c.sha));
    sinceLast = sinceFinal.filter((c) => shas.has(c.sha));
  }
  const bump = rangeBump(
    sinceFinal,
    lastFinal ? lastFinal.version.major : semver.major(options.initialVersion)
  );
  const next = nextVersion({
    reachable: reachable.versions,
    all: all.versions,
    bump,
    releasableSinceLastTag: rangeBump(sinceLast, 1) !== 'none',
    initialVersion: options.initialVersion,
    ...(options.releaseAs ? { releaseAs: options.releaseAs } : {}),
    ...(options.prerelease ? { prerelease: options.prerelease } : {})
  });
  const tag = `${prefix}${next.version}`;
  const previous = next.previous;
  const prerelease = semver.prerelease(next.version) !== null && next.version !== '';

  let changelog = '';
  let commits: ParsedCommit[] = [];
  let floating = { move: [] as string[], skipped: [] as string[] };
  if (next.released) {
    const existing = tagCommits.get(tag);
    if (existing)
      throw new DeployActionsError(
        'input',
        `Tag ${tag} already exists (on commit ${existing.slice(0, 12)})`,
        {
          state: 'nothing was changed',
          hint:
            existing === targetSha
              ? 'this commit is already released as that version; nothing to do'
              : 'the version was released from another commit: pick another with `release-as`, or delete the tag if it was made by mistake'
        }
      );
    commits = previous === lastFinal ? sinceFinal : sinceLast;
    const date = (await run(gitArgv.commitDate(targetSha))).stdout.trim().slice(0, 10);
    changelog = renderChangelog({
      version: next.version,
      tag,
      ...(previous ? { previousTag: previous.tag } : {}),
      date,
      commits,
      repoUrl: options.repoUrl
    });
    floating = floatingTagsFor(next.version, prefix, options.floatingTags, all.versions);
  }
  return {
    released: next.released,
    reason: next.reason,
    version: next.version,
    tag: next.version ? tag : '',
    previousVersion: previous?.version.version ?? '',
    previousTag: previous?.tag ?? '',
    bump: next.bump,
    prerelease,
    targetSha,
    changelog,
    commits,
    floatingTags: floating.move,
    floatingSkipped: floating.skipped,
    makeLatest: next.released && isLatest(next.version, all.versions),
    ignoredTags: all.ignored
  };
}

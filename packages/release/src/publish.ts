import { GitHubError, type Logger } from '../../core/src/index.js';
import {
  createAnnotatedTag,
  createRelease,
  getTagRef,
  moveFloatingTag,
  type GitHubRequest,
  type RepoRef
} from '../../github/src/index.js';
import type { ReleasePlan } from './plan.js';

/**
 * Make the release on GitHub through the REST API (as release-please does), in the order that leaves the
 * least to clean up when something is refused: the version tag, then the release, then the floating tags
 * (the step rulesets most often refuse). The API, not `git push`, so no credentials are written into the
 * checkout and the tag is created even from a read-only clone.
 */
export interface PublishOptions {
  repo: RepoRef;
  createRelease: boolean;
  draft: boolean;
}

export interface PublishResult {
  releaseUrl: string;
  moved: { tag: string; how: 'created' | 'moved' | 'unchanged' }[];
}

export async function publishRelease(
  plan: ReleasePlan,
  request: GitHubRequest,
  options: PublishOptions,
  logger: Logger
): Promise<PublishResult> {
  const { repo } = options;
  const remote = await getTagRef(request, repo, plan.tag);
  if (remote !== undefined)
    throw new GitHubError(
      `Tag ${plan.tag} already exists on GitHub (at ${remote.slice(0, 12)}) but not in this checkout`,
      {
        state: 'nothing was changed',
        hint: 'fetch the tags (`actions/checkout` with `fetch-depth: 0`) and run again, or pick another version with `release-as`'
      }
    );
  await createAnnotatedTag(request, repo, {
    name: plan.tag,
    sha: plan.targetSha,
    message: `${plan.tag}\n\n${plan.changelog}`.slice(0, 60_000)
  });
  logger.info(`created tag ${plan.tag} at ${plan.targetSha}`);

  let releaseUrl = '';
  if (options.createRelease) {
    const created = await createRelease(
      request,
      repo,
      {
        tag: plan.tag,
        name: plan.tag,
        body: plan.changelog,
        draft: options.draft,
        prerelease: plan.prerelease,
        makeLatest: plan.makeLatest && !options.draft
      },
      `the tag ${plan.tag} exists without a release: create it by hand (gh release create ${plan.tag} --notes-from-tag) or delete the tag and re-run`
    );
    releaseUrl = created.htmlUrl;
    logger.info(`created ${options.draft ? 'draft ' : ''}release ${releaseUrl}`);
  }

  const moved: PublishResult['moved'] = [];
  for (const t of plan.floatingTags) {
    const how = await moveFloatingTag(
      request,
      repo,
      t,
      plan.targetSha,
      `${plan.tag}${releaseUrl ? ' and its release exist' : ' exists'}; floating tags moved: ${moved.map((m) => m.tag).join(', ') || 'none'}; ${t} still points where it did`
    );
    moved.push({ tag: t, how });
    logger.info(`floating tag ${t}: ${how}${how === 'unchanged' ? '' : ` → ${plan.targetSha.slice(0, 12)}`}`);
  }
  return { releaseUrl, moved };
}

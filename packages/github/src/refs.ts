import { getIfFound, githubError } from './errors.js';
import type { GitHubRequest } from './client.js';

/**
 * Tags through the REST API, the way release-please makes them: an annotated tag object
 * (POST /git/tags) and the ref pointing at it (POST /git/refs). Floating tags (`v1`, `v1.4`) are
 * lightweight refs moved with a forced PATCH, as action publishers move them.
 */
export interface RepoRef {
  owner: string;
  repo: string;
}

export interface Tagger {
  name: string;
  email: string;
}

/** The sha a tag ref points at (a tag object for annotated tags), or undefined when there is none. */
export async function getTagRef(
  request: GitHubRequest,
  r: RepoRef,
  tag: string
): Promise<string | undefined> {
  const data = await getIfFound(
    request,
    'GET /repos/{owner}/{repo}/git/ref/{ref}',
    { ...r, ref: `tags/${tag}` },
    (err) => githubError(err, `read tag ${tag}`)
  );
  return data === undefined ? undefined : (data as { object: { sha: string } }).object.sha;
}

export async function createAnnotatedTag(
  request: GitHubRequest,
  r: RepoRef,
  tag: { name: string; sha: string; message: string; tagger?: Tagger }
): Promise<{ objectSha: string }> {
  let objectSha: string;
  try {
    const res = await request('POST /repos/{owner}/{repo}/git/tags', {
      ...r,
      tag: tag.name,
      message: tag.message,
      object: tag.sha,
      type: 'commit',
      ...(tag.tagger ? { tagger: tag.tagger } : {})
    });
    objectSha = (res.data as { sha: string }).sha;
  } catch (err) {
    throw githubError(
      err,
      `create the tag object ${tag.name} for ${tag.sha.slice(0, 12)}`,
      'nothing was created'
    );
  }
  try {
    await request('POST /repos/{owner}/{repo}/git/refs', {
      ...r,
      ref: `refs/tags/${tag.name}`,
      sha: objectSha
    });
  } catch (err) {
    throw githubError(
      err,
      `create the tag ref refs/tags/${tag.name}`,
      'an unreferenced tag object was created (harmless; GitHub collects it); no tag exists yet'
    );
  }
  return { objectSha };
}

export type FloatingMove = 'created' | 'moved' | 'unchanged';

/** Point a floating tag at `sha`: a forced update when it exists, a create when it does not. */
export async function moveFloatingTag(
  request: GitHubRequest,
  r: RepoRef,
  tag: string,
  sha: string,
  state?: string
): Promise<FloatingMove> {
  const current = await getTagRef(request, r, tag);
  if (current === sha) return 'unchanged';
  try {
    if (current === undefined) {
      await request('POST /repos/{owner}/{repo}/git/refs', { ...r, ref: `refs/tags/${tag}`, sha });
      return 'created';
    }
    await request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
      ...r,
      ref: `tags/${tag}`,
      sha,
      force: true
    });
    return 'moved';
  } catch (err) {
    throw githubError(
      err,
      `${current === undefined ? 'create' : 'move'} the floating tag ${tag} to ${sha.slice(0, 12)}`,
      state
    );
  }
}

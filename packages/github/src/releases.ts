import { githubError } from './errors.js';
import type { GitHubRequest } from './client.js';
import type { RepoRef } from './refs.js';

/** GitHub limits a release body to 125,000 characters. */
export const MAX_RELEASE_BODY = 125_000;

export interface NewRelease {
  tag: string;
  name: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
  /** Whether GitHub shows it as the latest release: never a prerelease or an older line's patch. */
  makeLatest: boolean;
}

export interface CreatedRelease {
  id: number;
  htmlUrl: string;
}

export function releaseBody(text: string): string {
  if (text.length <= MAX_RELEASE_BODY) return text;
  const note = '\n\n… (truncated: the full changelog is in the job summary)';
  return text.slice(0, MAX_RELEASE_BODY - note.length) + note;
}

export async function createRelease(
  request: GitHubRequest,
  r: RepoRef,
  release: NewRelease,
  state?: string
): Promise<CreatedRelease> {
  try {
    const res = await request('POST /repos/{owner}/{repo}/releases', {
      ...r,
      tag_name: release.tag,
      name: release.name,
      body: releaseBody(release.body),
      draft: release.draft,
      prerelease: release.prerelease,
      make_latest: release.makeLatest ? 'true' : 'false'
    });
    const data = res.data as { id: number; html_url: string };
    return { id: data.id, htmlUrl: data.html_url };
  } catch (err) {
    throw githubError(err, `create the release ${release.tag}`, state);
  }
}

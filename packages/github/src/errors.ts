import { GitHubError } from '../../core/src/index.js';
import type { GitHubRequest } from './client.js';

/**
 * GitHub's refusals, turned into errors that name the fix. The two that catch release automation most
 * often are repository rulesets (GH013) on tags such as `v1`, and the `workflows` permission that a
 * token needs before it may create a ref to commits that change `.github/workflows/`.
 */
export interface ApiFailure {
  status: number | undefined;
  message: string;
}

export function apiFailure(err: unknown): ApiFailure {
  const e = err as { status?: number; message?: string; response?: { data?: { message?: string } } };
  const message = e.response?.data?.message ?? e.message ?? String(err);
  return { status: typeof e.status === 'number' ? e.status : undefined, message };
}

export function isRulesetRejection(f: ApiFailure): boolean {
  return /GH013|Repository rule violations found/i.test(f.message);
}

export function isWorkflowsPermission(f: ApiFailure): boolean {
  return /without `?workflows?`? (permission|scope)|workflows? (permission|scope)/i.test(f.message);
}

export interface GitHubErrorOptions {
  /** The job permission the call needs, named in the hint for a 403/404 (default `contents: write`). */
  permission?: string;
  /** The next step for a 403/404 when a job permission is not the fix (e.g. a token kind the job cannot have). */
  refusedHint?: string;
  /** The next step for a 401 (default: pass a valid token in the `token` input). */
  unauthorizedHint?: string;
}

/**
 * The one mapping of GitHub's answers to errors, for every package that calls GitHub.
 * @param action what we tried, e.g. "move tag v1 to 3f2a…"
 * @param state what is already done, e.g. "tag v1.4.0 and its release exist"
 */
export function githubError(
  err: unknown,
  action: string,
  state?: string,
  options: GitHubErrorOptions = {}
): GitHubError {
  const permission = options.permission ?? 'contents: write';
  const f = apiFailure(err);
  const details = (hint: string) => ({
    hint,
    cause: err,
    ...(f.status === undefined ? {} : { status: f.status }),
    ...(state ? { state } : {})
  });
  const said = f.message.split('\n')[0]!.trim();
  if (isRulesetRejection(f))
    return new GitHubError(
      `GitHub refused to ${action}: a repository ruleset blocks it (GH013: ${said.replace(/^GH013:\s*/, '')})`,
      details(
        "add the actor that owns the token to the ruleset's bypass list (a GitHub App, or a role or team for a PAT; " +
          'the workflow GITHUB_TOKEN cannot be a bypass actor, so use an App token), or change the ruleset ' +
          '(Settings → Rules → Rulesets) so that it does not restrict creating/updating this tag, e.g. exclude the ' +
          'floating tags such as `v1` from its target pattern'
      )
    );
  if (isWorkflowsPermission(f))
    return new GitHubError(
      `GitHub refused to ${action}: the token lacks the workflows permission (${said})`,
      details(
        'use a token that may change workflow files: a GitHub App installation token with "Workflows: write", a ' +
          'fine-grained PAT with "Workflows: read and write", or a classic PAT with the `workflow` scope; the ' +
          'workflow GITHUB_TOKEN can never have it'
      )
    );
  if (f.status === 422 && /Reference already exists/i.test(f.message))
    return new GitHubError(
      `GitHub refused to ${action}: the reference already exists (another run may have released at the same time)`,
      details(
        'give the release job a `concurrency:` group so that two runs never release at once, then re-run: ' +
          'the next run sees the tag and computes from it'
      )
    );
  if (f.status === 422 && /Object does not exist/i.test(f.message))
    return new GitHubError(
      `GitHub refused to ${action}: the commit is not on GitHub (${said})`,
      details(
        'push the commit first, or set `target` to a commit that is on GitHub (the default HEAD of a fresh checkout is)'
      )
    );
  if (f.status === undefined)
    return new GitHubError(
      `Could not ${action}: no answer from the GitHub API (${said})`,
      details('check GITHUB_API_URL and the network from the runner to GitHub; re-running is safe')
    );
  if (f.status === 401)
    return new GitHubError(
      `GitHub refused to ${action}: the token is invalid or expired (${said})`,
      details(
        options.unauthorizedHint ?? 'pass a valid token in `token` (default: the workflow GITHUB_TOKEN)'
      )
    );
  if (f.status === 403 || f.status === 404)
    return new GitHubError(
      `GitHub refused to ${action} (${f.status}: ${said})`,
      details(
        options.refusedHint ??
          `give the job \`permissions: ${permission}\`, and check that the token ` +
            'belongs to this repository; a token from another repository or an App not installed on it sees 404'
      )
    );
  return new GitHubError(
    `GitHub refused to ${action} (${f.status}: ${said})`,
    details('read the message above; re-running is safe once the cause is fixed')
  );
}

/**
 * GET `route`: the response's data, or undefined when GitHub answers 404 (no such tag, release, …). Any
 * other failure is thrown as `fail` maps it (githubError with what was being done).
 */
export async function getIfFound(
  request: GitHubRequest,
  route: string,
  params: Record<string, unknown>,
  fail: (err: unknown) => Error
): Promise<unknown> {
  try {
    return (await request(route, params)).data;
  } catch (err) {
    if (apiFailure(err).status === 404) return undefined;
    throw fail(err);
  }
}

/**
 * One way to call GitHub: `request(route, params)` with Octokit's route syntax
 * (`'POST /repos/{owner}/{repo}/git/refs'`). Octokit is imported on the first call only, so an action
 * run that never reaches the API (a dry run, nothing to release) does not load it. The base URL comes
 * from GITHUB_API_URL, which is how GitHub Enterprise Server works and how tests point at the stand-in.
 */
export type GitHubRequest = (
  route: string,
  params?: Record<string, unknown>
) => Promise<{ status: number; data: unknown }>;

export interface ClientOptions {
  token: string;
  /** Default: https://api.github.com */
  baseUrl?: string;
  userAgent?: string;
  /** Octokit's own request log (e.g. `GET … - 404 in 5ms`, expected when probing for a tag): debug only. */
  debug?: (message: string) => void;
}

export function octokitRequest(options: ClientOptions): GitHubRequest {
  let client: Promise<GitHubRequest> | undefined;
  const quiet = (message: string) => options.debug?.(message);
  const load = async (): Promise<GitHubRequest> => {
    const { Octokit } = await import('@octokit/rest');
    const octokit = new Octokit({
      auth: options.token,
      baseUrl: (options.baseUrl || 'https://api.github.com').replace(/\/+$/, ''),
      userAgent: options.userAgent ?? 'deploy-actions',
      log: { debug: quiet, info: quiet, warn: quiet, error: quiet }
    });
    return async (route, params) => {
      const res = await octokit.request(route, params ?? {});
      return { status: res.status, data: res.data as unknown };
    };
  };
  return async (route, params) => {
    client ??= load();
    return (await client)(route, params);
  };
}

/** `owner/name` into its parts; undefined when it is not of that shape. */
export function splitRepository(fullName: string): { owner: string; repo: string } | undefined {
  const m = /^([A-Za-z0-9-_.]+)\/([A-Za-z0-9-_.]+)$/.exec(fullName.trim());
  return m ? { owner: m[1]!, repo: m[2]! } : undefined;
}

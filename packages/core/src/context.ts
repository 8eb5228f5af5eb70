/**
 * Who and what a run is about, read from the runner's environment (or the CLI's), as plain data so the
 * engine can record it in release.json, history.jsonl, events and GitHub deployments.
 */
export interface RunContext {
  repository: string;
  sha: string;
  ref: string;
  actor: string;
  eventName: string;
  runId: string;
  runAttempt: string;
  serverUrl: string;
  apiUrl: string;
  workflow: string;
  job: string;
  /** Link to the run's log, or '' outside GitHub. */
  runUrl: string;
  /** true under the GitHub runner, false from the CLI. */
  onGitHub: boolean;
}

export function runContextFromEnv(env: NodeJS.ProcessEnv = process.env): RunContext {
  const serverUrl = env.GITHUB_SERVER_URL || 'https://github.com';
  const repository = env.GITHUB_REPOSITORY || '';
  const runId = env.GITHUB_RUN_ID || '';
  const runAttempt = env.GITHUB_RUN_ATTEMPT || '1';
  return {
    repository,
    sha: env.GITHUB_SHA || '',
    ref: env.GITHUB_REF || '',
    actor: env.GITHUB_TRIGGERING_ACTOR || env.GITHUB_ACTOR || env.USER || 'unknown',
    eventName: env.GITHUB_EVENT_NAME || '',
    runId,
    runAttempt,
    serverUrl,
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    workflow: env.GITHUB_WORKFLOW || '',
    job: env.GITHUB_JOB || '',
    runUrl:
      repository && runId ? `${serverUrl}/${repository}/actions/runs/${runId}/attempts/${runAttempt}` : '',
    onGitHub: env.GITHUB_ACTIONS === 'true'
  };
}

import type { Logger, RunContext } from '../../core/src/index.js';
import type { GitHubRequest } from './client.js';
import { githubError } from './errors.js';

/** Deployments need `deployments: write`; a failure leaves the deploy itself as it was. */
const asGitHubError = (err: unknown, route: string) =>
  githubError(err, `record the deployment (${route})`, 'the deploy itself is not affected by this record', {
    permission: 'deployments: write'
  });

/**
 * GitHub Deployments for deploy-compose and rollback, done the way the API expects (../shared/PEERS.md):
 * the commit SHA as ref, `auto_merge: false`, explicit `required_contexts: []` (our own gate is the
 * check), `in_progress` at once with the run's log URL, `success` with the environment URL, `failure`
 * for a failed deploy and `error` for a tooling fault, and superseded deployments of the environment
 * marked `inactive` explicitly, since `auto_inactive` skips production and transient environments.
 */
export interface DeploymentTarget {
  owner: string;
  repo: string;
  /** Commit SHA (not a branch name, which moves). */
  sha: string;
  environment: string;
  description: string;
  logUrl: string;
  productionEnvironment: boolean;
  transientEnvironment?: boolean;
  /** Stored with the deployment: app, release id, digests. */
  payload?: Record<string, unknown>;
}

export type FinalState = 'success' | 'failure' | 'error' | 'inactive';

export interface DeploymentRecord {
  id: number;
  /** Mark the deployment finished. `success` also deactivates superseded deployments of the environment. */
  finish(state: FinalState, options?: { environmentUrl?: string; description?: string }): Promise<void>;
}

export async function startDeployment(
  request: GitHubRequest,
  target: DeploymentTarget,
  logger: Logger
): Promise<DeploymentRecord> {
  const { owner, repo } = target;
  let created: { status: number; data: unknown };
  try {
    created = await request('POST /repos/{owner}/{repo}/deployments', {
      owner,
      repo,
      ref: target.sha,
      environment: target.environment,
      description: target.description.slice(0, 140),
      auto_merge: false,
      required_contexts: [],
      production_environment: target.productionEnvironment,
      transient_environment: target.transientEnvironment ?? false,
      payload: target.payload ?? {}
    });
  } catch (err) {
    throw asGitHubError(err, 'POST /repos/{owner}/{repo}/deployments');
  }
  // 202 means GitHub merged or refused to create one (e.g. an auto-merge); there is no deployment to update.
  const id = (created.data as { id?: number }).id;
  if (created.status !== 201 || typeof id !== 'number') {
    throw asGitHubError(
      {
        status: created.status,
        message: `no deployment was created: ${JSON.stringify(created.data).slice(0, 200)}`
      },
      'POST /repos/{owner}/{repo}/deployments'
    );
  }
  const status = async (state: string, extra: Record<string, unknown>) => {
    try {
      await request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
        owner,
        repo,
        deployment_id: id,
        state,
        log_url: target.logUrl || undefined,
        ...extra
      });
    } catch (err) {
      throw asGitHubError(err, 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses');
    }
  };
  await status('in_progress', { description: target.description.slice(0, 140) });
  logger.info(`GitHub deployment ${id} for ${target.environment} is in progress`);
  return {
    id,
    async finish(state, options = {}) {
      await status(state, {
        ...(options.description ? { description: options.description.slice(0, 140) } : {}),
        ...(state === 'success' && options.environmentUrl ? { environment_url: options.environmentUrl } : {}),
        ...(state === 'success' ? { auto_inactive: true } : {})
      });
      if (state === 'success') await deactivateSuperseded(request, target, id, logger);
    }
  };
}

/** Mark every earlier deployment of the environment whose latest status is success as inactive. */
export async function deactivateSuperseded(
  request: GitHubRequest,
  target: DeploymentTarget,
  keepId: number,
  logger: Logger
): Promise<number> {
  const { owner, repo } = target;
  const call = async (route: string, params: Record<string, unknown>) => {
    try {
      return (await request(route, { owner, repo, ...params })).data;
    } catch (err) {
      throw asGitHubError(err, route);
    }
  };
  const list = (await call('GET /repos/{owner}/{repo}/deployments', {
    environment: target.environment,
    per_page: 30
  })) as { id: number }[];
  let n = 0;
  for (const d of list) {
    if (d.id === keepId) continue;
    const statuses = (await call('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
      deployment_id: d.id,
      per_page: 1
    })) as { state: string }[];
    if (statuses[0]?.state === 'success') {
      await call('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
        deployment_id: d.id,
        state: 'inactive',
        description: `superseded by deployment ${keepId}`
      });
      n++;
    }
  }
  if (n) logger.info(`marked ${n} superseded deployment(s) of ${target.environment} inactive`);
  return n;
}

/**
 * What deploy-compose and rollback call when given a token: a deployment record whose failures to talk to
 * GitHub are warnings, never a failed deploy (the release on the host is the truth; the record mirrors it).
 */
export interface TrackOptions {
  token: string;
  /** The run: its repository and commit are deployed, its API URL called, its log URL linked. */
  context: Pick<RunContext, 'apiUrl' | 'repository' | 'sha' | 'runUrl'>;
  environment: string;
  /** Cut to GitHub's 140 characters. */
  description: string;
  payload?: Record<string, unknown>;
}

export async function trackDeployment(
  options: TrackOptions,
  logger: Logger
): Promise<
  { finish(state: FinalState, environmentUrl?: string, description?: string): Promise<void> } | undefined
> {
  const { context } = options;
  const [owner, repo] = context.repository.split('/');
  if (!options.token || !owner || !repo || !/^[0-9a-f]{40}$/.test(context.sha)) {
    if (options.token)
      logger.warning('GitHub deployment not recorded: no repository or commit SHA in this run');
    return undefined;
  }
  const { octokitRequest } = await import('./client.js');
  const request = octokitRequest({
    token: options.token,
    baseUrl: context.apiUrl,
    debug: (m) => logger.debug(m)
  });
  let record: DeploymentRecord;
  try {
    record = await startDeployment(
      request,
      {
        owner,
        repo,
        sha: context.sha,
        environment: options.environment,
        description: options.description.slice(0, 140),
        logUrl: context.runUrl,
        productionEnvironment: /^prod/i.test(options.environment),
        ...(options.payload ? { payload: options.payload } : {})
      },
      logger
    );
  } catch (err) {
    logger.warning(`GitHub deployment not recorded: ${(err as Error).message}`);
    return undefined;
  }
  logger.info(`GitHub deployment ${record.id} for ${options.environment}: in_progress`);
  return {
    finish: async (state, environmentUrl, description) => {
      try {
        await record.finish(state, {
          ...(environmentUrl ? { environmentUrl } : {}),
          ...(description ? { description } : {})
        });
        logger.info(`GitHub deployment ${record.id}: ${state}`);
      } catch (err) {
        logger.warning(`GitHub deployment ${record.id} not updated to ${state}: ${(err as Error).message}`);
      }
    }
  };
}

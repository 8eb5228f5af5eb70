import {
  answer,
  type Handler,
  notFound,
  objectExists,
  page,
  type StandInState,
  validationFailed
} from './state.js';
import { jsonBuilders } from './json.js';
import type { StandInDeployment } from './types.js';

export function deploymentHandlers(state: StandInState): Record<string, Handler> {
  const { runJson, deploymentJson, statusJson } = jsonBuilders(state);
  return {
    // ---- deployments
    'POST /repos/{owner}/{repo}/deployments': ({ repo, fullName, body }) => {
      const ref = String(body.ref);
      const sha = /^[0-9a-f]{40}$/.test(ref)
        ? ref
        : (repo.refs.get(`refs/heads/${ref}`) ?? repo.refs.get(`refs/tags/${ref}`));
      if (!sha || !objectExists(repo, sha)) return validationFailed(`No ref found for: ${ref}`);
      const environment = String(body.environment ?? 'production');
      const d: StandInDeployment = {
        id: state.nextId++,
        sha,
        ref,
        task: String(body.task ?? 'deploy'),
        environment,
        description: (body.description as string | undefined) ?? null,
        payload: body.payload ?? {},
        production_environment:
          typeof body.production_environment === 'boolean'
            ? body.production_environment
            : environment === 'production',
        transient_environment: body.transient_environment === true,
        created_at: state.now(),
        statuses: []
      };
      repo.deployments.push(d);
      return answer(201, deploymentJson(fullName, d));
    },
    'GET /repos/{owner}/{repo}/actions/runs/{run_id}': ({ repo, fullName, params }) => {
      const id = Number(params.run_id);
      const run = repo.runs.get(id);
      return run
        ? { status: 200, body: runJson(fullName, id, run) }
        : {
            status: 404,
            body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' }
          };
    },
    'GET /repos/{owner}/{repo}/deployments': ({ repo, fullName, query }) =>
      answer(
        200,
        page(
          [...repo.deployments]
            .reverse()
            .filter(
              (d) =>
                (query.environment === undefined || d.environment === query.environment) &&
                (query.sha === undefined || d.sha === query.sha) &&
                (query.ref === undefined || d.ref === query.ref) &&
                (query.task === undefined || d.task === query.task)
            ),
          query
        ).map((d) => deploymentJson(fullName, d))
      ),
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}': ({ repo, fullName, params }) => {
      const d = repo.deployments.find((x) => x.id === Number(params.deployment_id));
      return d ? answer(200, deploymentJson(fullName, d)) : notFound();
    },
    'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': ({ repo, fullName, params, body }) => {
      const d = repo.deployments.find((x) => x.id === Number(params.deployment_id));
      if (!d) return notFound();
      const s = {
        id: state.nextId++,
        state: String(body.state),
        description: String(body.description ?? ''),
        environment_url: String(body.environment_url ?? ''),
        log_url: String(body.log_url ?? body.target_url ?? ''),
        created_at: state.now()
      };
      d.statuses.push(s);
      // GitHub's auto_inactive: only earlier non-transient, non-production deployments of the environment.
      if (s.state === 'success' && body.auto_inactive !== false) {
        for (const other of repo.deployments) {
          const last = other.statuses[other.statuses.length - 1];
          if (
            other.id !== d.id &&
            other.environment === d.environment &&
            !other.production_environment &&
            !other.transient_environment &&
            last?.state === 'success'
          )
            other.statuses.push({ ...last, id: state.nextId++, state: 'inactive', created_at: state.now() });
        }
      }
      return answer(201, statusJson(fullName, d, s));
    },
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': ({ repo, fullName, params, query }) => {
      const d = repo.deployments.find((x) => x.id === Number(params.deployment_id));
      if (!d) return notFound();
      return answer(
        200,
        page([...d.statuses].reverse(), query).map((s) => statusJson(fullName, d, s))
      );
    }
  };
}

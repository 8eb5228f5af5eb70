import { answer, env, type Handler, notFound, page, type StandInState, validationFailed } from './state.js';
import { jsonBuilders } from './json.js';
import type { StandInEnvironment } from './types.js';

export function environmentHandlers(s: StandInState): Record<string, Handler> {
  const { envJson } = jsonBuilders(s);
  return {
    // ---- environments
    'GET /repos/{owner}/{repo}/environments': ({ repo, fullName, query }) => {
      const all = [...repo.environments.values()];
      return answer(200, {
        total_count: all.length,
        environments: page(all, query).map((e) => envJson(fullName, e))
      });
    },
    'GET /repos/{owner}/{repo}/environments/{environment_name}': ({ repo, fullName, params }) => {
      const e = env(repo, params.environment_name);
      return e ? answer(200, envJson(fullName, e)) : notFound();
    },
    'PUT /repos/{owner}/{repo}/environments/{environment_name}': ({ repo, fullName, params, body }) => {
      const name = params.environment_name!;
      const b = (body ?? {}) as Record<string, unknown>;
      const wait = b.wait_timer as number | undefined;
      if (wait !== undefined && (wait < 0 || wait > 43200))
        return validationFailed('Validation Failed', [{ resource: 'Environment', field: 'wait_timer' }]);
      const reviewers =
        (b.reviewers as { type: 'User' | 'Team'; id: number }[] | null | undefined) ?? undefined;
      if (reviewers && reviewers.length > 6)
        return validationFailed('Only 6 reviewers are allowed per environment');
      for (const rv of reviewers ?? []) {
        const known = rv.type === 'User' ? [...s.users.values()] : [...s.teams.values()];
        if (!known.includes(rv.id)) return validationFailed(`Reviewer ${rv.type} ${rv.id} was not found`);
      }
      const dbp = b.deployment_branch_policy as StandInEnvironment['deployment_branch_policy'] | undefined;
      if (dbp && dbp.protected_branches === dbp.custom_branch_policies)
        return validationFailed(
          'Exactly one of protected_branches or custom_branch_policies must be true for deployment_branch_policy'
        );
      let e = repo.environments.get(name);
      const t = s.now();
      if (!e) {
        e = {
          id: s.nextId++,
          name,
          wait_timer: 0,
          prevent_self_review: false,
          reviewers: [],
          deployment_branch_policy: null,
          policies: [],
          variables: new Map(),
          secrets: [],
          created_at: t,
          updated_at: t
        };
        repo.environments.set(name, e);
      }
      if (wait !== undefined) e.wait_timer = wait;
      if (typeof b.prevent_self_review === 'boolean') e.prevent_self_review = b.prevent_self_review;
      if (reviewers !== undefined) e.reviewers = reviewers ?? [];
      if (dbp !== undefined) {
        if (!dbp?.custom_branch_policies) e.policies = [];
        e.deployment_branch_policy = dbp;
      }
      e.updated_at = t;
      return answer(200, envJson(fullName, e));
    },
    'DELETE /repos/{owner}/{repo}/environments/{environment_name}': ({ repo, params }) =>
      repo.environments.delete(params.environment_name!) ? answer(204) : notFound(),
    'GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies': ({
      repo,
      params,
      query
    }) => {
      const e = env(repo, params.environment_name);
      if (!e) return notFound();
      return answer(200, {
        total_count: e.policies.length,
        branch_policies: page(e.policies, query).map((p) => ({
          id: p.id,
          node_id: Buffer.from(`policy:${p.id}`).toString('base64'),
          name: p.name,
          type: p.type
        }))
      });
    },
    'POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies': ({
      repo,
      params,
      body
    }) => {
      const e = env(repo, params.environment_name);
      // GitHub refuses custom policies unless the environment's policy is set to custom branches.
      if (!e || !e.deployment_branch_policy?.custom_branch_policies) return notFound();
      const type = (body.type as 'branch' | 'tag' | undefined) ?? 'branch';
      const name = String(body.name);
      if (e.policies.some((p) => p.name === name && p.type === type))
        return answer(303, { message: 'See Other' });
      const p = { id: s.nextId++, name, type };
      e.policies.push(p);
      return answer(200, { ...p, node_id: Buffer.from(`policy:${p.id}`).toString('base64') });
    },
    'DELETE /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}':
      ({ repo, params }) => {
        const e = env(repo, params.environment_name);
        const i = e?.policies.findIndex((p) => p.id === Number(params.branch_policy_id)) ?? -1;
        if (!e || i < 0) return notFound();
        e.policies.splice(i, 1);
        return answer(204);
      },
    'GET /repos/{owner}/{repo}/environments/{environment_name}/variables': ({ repo, params, query }) => {
      const e = env(repo, params.environment_name);
      if (!e) return notFound();
      const all = [...e.variables].map(([name, v]) => ({ name, ...v }));
      return answer(200, { total_count: all.length, variables: page(all, query, 10) });
    },
    'GET /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}': ({ repo, params }) => {
      const v = env(repo, params.environment_name)?.variables.get(params.name!);
      return v ? answer(200, { name: params.name, ...v }) : notFound();
    },
    'POST /repos/{owner}/{repo}/environments/{environment_name}/variables': ({ repo, params, body }) => {
      const e = env(repo, params.environment_name);
      if (!e) return notFound();
      const name = String(body.name);
      if (e.variables.has(name)) return answer(409, { message: 'Already exists - Variable already exists' });
      const t = s.now();
      e.variables.set(name, { value: String(body.value), created_at: t, updated_at: t });
      return answer(201, {});
    },
    'PATCH /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}': ({
      repo,
      params,
      body
    }) => {
      const v = env(repo, params.environment_name)?.variables.get(params.name!);
      if (!v) return notFound();
      if (typeof body.value === 'string') v.value = body.value;
      v.updated_at = s.now();
      return answer(204);
    },
    'DELETE /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}': ({ repo, params }) =>
      env(repo, params.environment_name)?.variables.delete(params.name!) ? answer(204) : notFound(),
    'GET /repos/{owner}/{repo}/environments/{environment_name}/secrets': ({ repo, params, query }) => {
      const e = env(repo, params.environment_name);
      if (!e) return notFound();
      return answer(200, {
        total_count: e.secrets.length,
        secrets: page(e.secrets, query).map((name) => ({
          name,
          created_at: e.created_at,
          updated_at: e.updated_at
        }))
      });
    }
  };
}

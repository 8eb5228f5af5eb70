import { GitHubError } from '../../core/src/index.js';
import { getIfFound, githubError, type GitHubRequest } from '../../github/src/index.js';
import type { EnvironmentSpec, Reviewer } from './config.js';

/**
 * Read what GitHub has, compare with environments.yml, and describe the changes; `applyPlan` makes them.
 * Talks to GitHub through packages/github's one `request(route, params)` function, so tests run it against
 * the local stand-in that checks every call against GitHub's OpenAPI description.
 */

export type BranchPolicyState =
  null | { protectedBranches: true } | { custom: { branches: string[]; tags: string[] } };

export interface ReviewerRef {
  type: 'User' | 'Team';
  id: number;
  /** login, or org/slug. */
  name: string;
}

export interface CurrentEnvironment {
  exists: boolean;
  waitTimer: number;
  preventSelfReview: boolean;
  reviewers: ReviewerRef[];
  branchPolicy: BranchPolicyState;
  /** Custom branch/tag policies with their ids (for deletion). */
  policies: { id: number; name: string; type: 'branch' | 'tag' }[];
  variables: Record<string, string>;
  secrets: string[];
}

export type Change =
  | {
      kind: 'environment';
      env: string;
      action: 'create' | 'update';
      details: string[];
      body: Record<string, unknown>;
    }
  | {
      kind: 'policy';
      env: string;
      action: 'create' | 'delete';
      name: string;
      type: 'branch' | 'tag';
      id?: number;
    }
  | {
      kind: 'variable';
      env: string;
      action: 'create' | 'update' | 'delete';
      name: string;
      value?: string;
      from?: string;
    };

export interface Plan {
  owner: string;
  repo: string;
  changes: Change[];
  /** Required secret names the environment lacks: apply cannot set them (values never pass through here). */
  missingSecrets: { env: string; name: string }[];
  /** Variables present on GitHub but not in the file (deleted only with prune). */
  unmanagedVariables: { env: string; name: string }[];
}

async function tryGet(
  request: GitHubRequest,
  route: string,
  params: Record<string, unknown>
): Promise<unknown | undefined> {
  return getIfFound(request, route, params, (err) => asGitHubError(err, route));
}

/** GitHub's refusal of an environments call, mapped by packages/github with the permission it needs. */
function asGitHubError(err: unknown, route: string): GitHubError {
  return githubError(
    err,
    `call ${route}`,
    'changes already applied before this call stay applied; run the command again to converge',
    {
      unauthorizedHint: 'the token is invalid or expired: set GITHUB_TOKEN or GH_TOKEN to a valid one',
      refusedHint:
        'environment administration needs a token with the repository "Administration: write" permission (a fine-grained PAT or a GitHub App); the workflow GITHUB_TOKEN cannot manage environments'
    }
  );
}

async function listAll<T>(
  request: GitHubRequest,
  route: string,
  params: Record<string, unknown>,
  key: string,
  perPage: number
): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; page < 50; page++) {
    const data = (await tryGet(request, route, { ...params, per_page: perPage, page })) as
      Record<string, unknown> | undefined;
    const batch = (data?.[key] ?? []) as T[];
    items.push(...batch);
    if (batch.length < perPage) break;
  }
  return items;
}

export async function readEnvironment(
  request: GitHubRequest,
  owner: string,
  repo: string,
  name: string
): Promise<CurrentEnvironment> {
  const base = { owner, repo, environment_name: name };
  const env = (await tryGet(request, 'GET /repos/{owner}/{repo}/environments/{environment_name}', base)) as
    | {
        protection_rules?: {
          type: string;
          wait_timer?: number;
          prevent_self_review?: boolean;
          reviewers?: { type: 'User' | 'Team'; reviewer: { id: number; login?: string; slug?: string } }[];
        }[];
        deployment_branch_policy?: { protected_branches: boolean; custom_branch_policies: boolean } | null;
      }
    | undefined;
  if (!env) {
    return {
      exists: false,
      waitTimer: 0,
      preventSelfReview: false,
      reviewers: [],
      branchPolicy: null,
      policies: [],
      variables: {},
      secrets: []
    };
  }
  const rules = env.protection_rules ?? [];
  const wait = rules.find((r) => r.type === 'wait_timer');
  const reviewRule = rules.find((r) => r.type === 'required_reviewers');
  const reviewers: ReviewerRef[] = (reviewRule?.reviewers ?? []).map((r) => ({
    type: r.type,
    id: r.reviewer.id,
    name:
      r.type === 'User'
        ? (r.reviewer.login ?? String(r.reviewer.id))
        : `${owner}/${r.reviewer.slug ?? r.reviewer.id}`
  }));
  const dbp = env.deployment_branch_policy ?? null;
  const policies = dbp?.custom_branch_policies
    ? (
        await listAll<{ id: number; name: string; type?: 'branch' | 'tag' }>(
          request,
          'GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies',
          base,
          'branch_policies',
          100
        )
      ).map((p) => ({ id: p.id, name: p.name, type: p.type ?? 'branch' }))
    : [];
  const branchPolicy: BranchPolicyState = !dbp
    ? null
    : dbp.protected_branches
      ? { protectedBranches: true }
      : {
          custom: {
            branches: policies.filter((p) => p.type === 'branch').map((p) => p.name),
            tags: policies.filter((p) => p.type === 'tag').map((p) => p.name)
          }
        };
  const variables: Record<string, string> = {};
  for (const v of await listAll<{ name: string; value: string }>(
    request,
    'GET /repos/{owner}/{repo}/environments/{environment_name}/variables',
    base,
    'variables',
    30
  )) {
    variables[v.name] = v.value;
  }
  const secrets = (
    await listAll<{ name: string }>(
      request,
      'GET /repos/{owner}/{repo}/environments/{environment_name}/secrets',
      base,
      'secrets',
      100
    )
  ).map((s) => s.name);
  return {
    exists: true,
    waitTimer: wait?.wait_timer ?? 0,
    preventSelfReview: reviewRule?.prevent_self_review ?? false,
    reviewers,
    branchPolicy,
    policies,
    variables,
    secrets
  };
}

export async function resolveReviewers(
  request: GitHubRequest,
  reviewers: Reviewer[]
): Promise<ReviewerRef[]> {
  const out: ReviewerRef[] = [];
  for (const r of reviewers) {
    if (r.type === 'User') {
      const user = (await tryGet(request, 'GET /users/{username}', { username: r.login })) as
        { id: number } | undefined;
      if (!user)
        throw new GitHubError(`Reviewer user '${r.login}' does not exist`, {
          hint: 'check the login in environments.yml'
        });
      out.push({ type: 'User', id: user.id, name: r.login });
    } else {
      const team = (await tryGet(request, 'GET /orgs/{org}/teams/{team_slug}', {
        org: r.org,
        team_slug: r.slug
      })) as { id: number } | undefined;
      if (!team)
        throw new GitHubError(
          `Reviewer team '${r.org}/${r.slug}' does not exist or is not visible to the token`,
          {
            hint: "check the team slug, and that the token can read the organization's teams (members: read)"
          }
        );
      out.push({ type: 'Team', id: team.id, name: `${r.org}/${r.slug}` });
    }
  }
  return out;
}

const policyLabel = (p: BranchPolicyState) =>
  p === null
    ? 'any branch'
    : 'protectedBranches' in p
      ? 'protected branches'
      : `selected branches/tags (${[...p.custom.branches, ...p.custom.tags.map((t) => `tag ${t}`)].join(', ')})`;
const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

export function diffEnvironment(
  spec: EnvironmentSpec,
  current: CurrentEnvironment,
  reviewers: ReviewerRef[],
  prune: boolean
): { changes: Change[]; missingSecrets: string[]; unmanaged: string[] } {
  const changes: Change[] = [];
  const details: string[] = [];
  if (!current.exists) details.push('create the environment');
  if (current.waitTimer !== spec.waitTimer)
    details.push(`wait timer ${current.waitTimer} → ${spec.waitTimer} minutes`);
  if (
    !sameSet(
      current.reviewers.map((r) => `${r.type}:${r.id}`),
      reviewers.map((r) => `${r.type}:${r.id}`)
    )
  ) {
    details.push(
      `required reviewers [${current.reviewers.map((r) => r.name).join(', ')}] → [${reviewers.map((r) => r.name).join(', ')}]`
    );
  }
  if (current.preventSelfReview !== spec.preventSelfReview && reviewers.length > 0) {
    details.push(`prevent self-review ${current.preventSelfReview} → ${spec.preventSelfReview}`);
  }
  const policyKind = (p: BranchPolicyState) =>
    p === null ? 'none' : 'protectedBranches' in p ? 'protected' : 'custom';
  if (policyKind(current.branchPolicy) !== policyKind(spec.branchPolicy)) {
    details.push(
      `deployment branches: ${policyLabel(current.branchPolicy)} → ${policyLabel(spec.branchPolicy)}`
    );
  }
  if (details.length) {
    const body: Record<string, unknown> = {
      wait_timer: spec.waitTimer,
      prevent_self_review: spec.preventSelfReview,
      reviewers: reviewers.map((r) => ({ type: r.type, id: r.id })),
      deployment_branch_policy:
        spec.branchPolicy === null
          ? null
          : 'protectedBranches' in spec.branchPolicy
            ? { protected_branches: true, custom_branch_policies: false }
            : { protected_branches: false, custom_branch_policies: true }
    };
    changes.push({
      kind: 'environment',
      env: spec.name,
      action: current.exists ? 'update' : 'create',
      details,
      body
    });
  }
  if (spec.branchPolicy && 'custom' in spec.branchPolicy) {
    const want = [
      ...spec.branchPolicy.custom.branches.map((name) => ({ name, type: 'branch' as const })),
      ...spec.branchPolicy.custom.tags.map((name) => ({ name, type: 'tag' as const }))
    ];
    for (const w of want) {
      if (!current.policies.some((p) => p.name === w.name && p.type === w.type))
        changes.push({ kind: 'policy', env: spec.name, action: 'create', ...w });
    }
    for (const p of current.policies) {
      if (!want.some((w) => w.name === p.name && w.type === p.type))
        changes.push({
          kind: 'policy',
          env: spec.name,
          action: 'delete',
          name: p.name,
          type: p.type,
          id: p.id
        });
    }
  }
  for (const [name, value] of Object.entries(spec.variables)) {
    if (!(name in current.variables))
      changes.push({ kind: 'variable', env: spec.name, action: 'create', name, value });
    else if (current.variables[name] !== value)
      changes.push({
        kind: 'variable',
        env: spec.name,
        action: 'update',
        name,
        value,
        from: current.variables[name]!
      });
  }
  const unmanaged = Object.keys(current.variables).filter((n) => !(n in spec.variables));
  if (prune)
    for (const name of unmanaged) changes.push({ kind: 'variable', env: spec.name, action: 'delete', name });
  const missingSecrets = spec.secrets.filter((s) => !current.secrets.includes(s));
  return { changes, missingSecrets, unmanaged: prune ? [] : unmanaged };
}

export async function planEnvironments(
  request: GitHubRequest,
  owner: string,
  repo: string,
  specs: EnvironmentSpec[],
  options: { prune?: boolean } = {}
): Promise<Plan> {
  const plan: Plan = { owner, repo, changes: [], missingSecrets: [], unmanagedVariables: [] };
  for (const spec of specs) {
    const current = await readEnvironment(request, owner, repo, spec.name);
    const reviewers = await resolveReviewers(request, spec.reviewers);
    const d = diffEnvironment(spec, current, reviewers, options.prune ?? false);
    plan.changes.push(...d.changes);
    plan.missingSecrets.push(...d.missingSecrets.map((name) => ({ env: spec.name, name })));
    plan.unmanagedVariables.push(...d.unmanaged.map((name) => ({ env: spec.name, name })));
  }
  return plan;
}

export async function applyPlan(request: GitHubRequest, plan: Plan): Promise<number> {
  const { owner, repo } = plan;
  let applied = 0;
  const call = async (route: string, params: Record<string, unknown>) => {
    try {
      await request(route, { owner, repo, ...params });
      applied++;
    } catch (err) {
      throw asGitHubError(err, route);
    }
  };
  for (const c of plan.changes) {
    const environment_name = c.env;
    if (c.kind === 'environment')
      await call('PUT /repos/{owner}/{repo}/environments/{environment_name}', {
        environment_name,
        ...c.body
      });
    else if (c.kind === 'policy' && c.action === 'create') {
      await call('POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies', {
        environment_name,
        name: c.name,
        type: c.type
      });
    } else if (c.kind === 'policy') {
      await call(
        'DELETE /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}',
        { environment_name, branch_policy_id: c.id }
      );
    } else if (c.action === 'create') {
      await call('POST /repos/{owner}/{repo}/environments/{environment_name}/variables', {
        environment_name,
        name: c.name,
        value: c.value
      });
    } else if (c.action === 'update') {
      await call('PATCH /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}', {
        environment_name,
        name: c.name,
        value: c.value
      });
    } else {
      await call('DELETE /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}', {
        environment_name,
        name: c.name
      });
    }
  }
  return applied;
}

/** The dry-run diff, in the style of `terraform plan`. */
export function renderPlan(plan: Plan): string {
  const lines: string[] = [`Environments of ${plan.owner}/${plan.repo}:`];
  if (plan.changes.length === 0) lines.push('  no changes: GitHub matches the file');
  for (const c of plan.changes) {
    if (c.kind === 'environment')
      for (const d of c.details) lines.push(`  ${c.action === 'create' ? '+' : '~'} ${c.env}: ${d}`);
    else if (c.kind === 'policy')
      lines.push(`  ${c.action === 'create' ? '+' : '-'} ${c.env}: deployment ${c.type} policy ${c.name}`);
    else if (c.action === 'create') lines.push(`  + ${c.env}: variable ${c.name} = ${c.value}`);
    else if (c.action === 'update') lines.push(`  ~ ${c.env}: variable ${c.name}: ${c.from} → ${c.value}`);
    else lines.push(`  - ${c.env}: variable ${c.name}`);
  }
  for (const u of plan.unmanagedVariables)
    lines.push(`  ? ${u.env}: variable ${u.name} is not in the file (kept; --prune deletes it)`);
  for (const m of plan.missingSecrets) {
    lines.push(
      `  ! ${m.env}: required secret ${m.name} is missing: gh secret set ${m.name} --env ${m.env} --repo ${plan.owner}/${plan.repo}`
    );
  }
  return lines.join('\n') + '\n';
}

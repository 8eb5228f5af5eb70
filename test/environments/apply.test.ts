import { GitHubError } from '../../packages/core/src/index.js';
import {
  applyPlan,
  parseEnvironmentsFile,
  planEnvironments,
  renderPlan
} from '../../packages/environments/src/index.js';
import { octokitRequest } from '../../packages/github/src/index.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin.js';

/**
 * Environment protection as code, planned and applied against the stand-in: every request must be one
 * GitHub's OpenAPI description accepts (violations stay empty), and a second plan after apply is empty.
 */
const FILE = `
repository: acme/envs
environments:
  staging:
    branches: [main]
    variables: { DEPLOY_HOSTS: staging1.example.com }
    secrets: [SSH_KEY]
  production:
    wait-timer: 10
    prevent-self-review: true
    reviewers:
      - user: alice
      - team: acme/platform
    branches: [main, 'release/*']
    tags: ['v*']
    variables:
      DEPLOY_HOSTS: web1.example.com
      ENVIRONMENT_URL: https://shop.example.com
    secrets: [SSH_KEY, KNOWN_HOSTS]
`;

describe('environments plan/apply against the GitHub stand-in', () => {
  const token = 'ghp_environmentsadmin';
  let gh: GitHubStandIn;
  beforeAll(async () => {
    gh = await startGitHubStandIn({ token });
    gh.addUser('alice', 501);
    gh.addTeam('acme', 'platform', 9001);
  });
  afterAll(() => gh.close());
  afterEach(() => {
    expect(gh.violations).toEqual([]);
    expect(gh.faults).toEqual([]);
  });

  const request = () => octokitRequest({ token, baseUrl: gh.url });

  it('creates environments with reviewers, wait timer, branch and tag policies and variables, then converges', async () => {
    const { environments } = parseEnvironmentsFile(FILE);
    const plan = await planEnvironments(request(), 'acme', 'envs', environments);
    const text = renderPlan(plan);
    expect(text).toContain('+ production: create the environment');
    expect(text).toContain('+ production: deployment tag policy v*');
    expect(text).toContain('+ staging: variable DEPLOY_HOSTS = staging1.example.com');
    expect(text).toContain('! production: required secret KNOWN_HOSTS is missing');
    const writesBefore = gh.requests.filter((r) => r.method !== 'GET').length;
    expect(writesBefore).toBe(0); // planning writes nothing

    const applied = await applyPlan(request(), plan);
    expect(applied).toBe(plan.changes.length);
    const prod = gh.repo('acme/envs').environments.get('production')!;
    expect(prod).toMatchObject({
      wait_timer: 10,
      prevent_self_review: true,
      reviewers: [
        { type: 'User', id: 501 },
        { type: 'Team', id: 9001 }
      ],
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true }
    });
    expect(prod.policies.map((p) => `${p.type}:${p.name}`).sort()).toEqual([
      'branch:main',
      'branch:release/*',
      'tag:v*'
    ]);
    expect(Object.fromEntries([...prod.variables].map(([k, v]) => [k, v.value]))).toEqual({
      DEPLOY_HOSTS: 'web1.example.com',
      ENVIRONMENT_URL: 'https://shop.example.com'
    });

    const again = await planEnvironments(request(), 'acme', 'envs', environments);
    expect(again.changes).toEqual([]);
    expect(renderPlan(again)).toContain('no changes: GitHub matches the file');
  });

  it('updates what drifted: wait timer, a variable value, a removed policy; prune deletes unmanaged variables', async () => {
    const repo = gh.repo('acme/envs');
    const prod = repo.environments.get('production')!;
    prod.wait_timer = 30;
    prod.variables.get('DEPLOY_HOSTS')!.value = 'old.example.com';
    prod.variables.set('LEFTOVER', {
      value: 'x',
      created_at: '2026-11-01T00:00:00Z',
      updated_at: '2026-11-01T00:00:00Z'
    });
    prod.policies.push({ id: 77, name: 'hotfix/*', type: 'branch' });
    const { environments } = parseEnvironmentsFile(FILE);

    const plan = await planEnvironments(request(), 'acme', 'envs', environments);
    expect(renderPlan(plan)).toContain('? production: variable LEFTOVER is not in the file');
    const pruning = await planEnvironments(request(), 'acme', 'envs', environments, { prune: true });
    const text = renderPlan(pruning);
    expect(text).toContain('~ production: wait timer 30 → 10 minutes');
    expect(text).toContain('~ production: variable DEPLOY_HOSTS: old.example.com → web1.example.com');
    expect(text).toContain('- production: deployment branch policy hotfix/*');
    expect(text).toContain('- production: variable LEFTOVER');
    await applyPlan(request(), pruning);
    expect(prod.wait_timer).toBe(10);
    expect(prod.variables.get('DEPLOY_HOSTS')?.value).toBe('web1.example.com');
    expect(prod.variables.has('LEFTOVER')).toBe(false);
    expect(prod.policies.some((p) => p.name === 'hotfix/*')).toBe(false);
    expect((await planEnvironments(request(), 'acme', 'envs', environments)).changes).toEqual([]);
  });

  it('switches to protected branches and back to any branch', async () => {
    const env = (policy: string) =>
      parseEnvironmentsFile(`environments:\n  qa:\n    ${policy}\n`).environments;
    await applyPlan(
      request(),
      await planEnvironments(request(), 'acme', 'envs', env('protected-branches: true'))
    );
    expect(gh.repo('acme/envs').environments.get('qa')?.deployment_branch_policy).toEqual({
      protected_branches: true,
      custom_branch_policies: false
    });
    await applyPlan(request(), await planEnvironments(request(), 'acme', 'envs', env('all-branches: true')));
    expect(gh.repo('acme/envs').environments.get('qa')?.deployment_branch_policy).toBeNull();
  });

  it('fails on a reviewer GitHub does not know, before changing anything', async () => {
    const writes = gh.requests.filter((r) => r.method !== 'GET').length;
    const { environments } = parseEnvironmentsFile(
      'environments:\n  production:\n    reviewers:\n      - user: mallory\n'
    );
    const err = await planEnvironments(request(), 'acme', 'envs', environments).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).message).toBe("Reviewer user 'mallory' does not exist");
    expect(gh.requests.filter((r) => r.method !== 'GET').length).toBe(writes);
  });

  it('names the token permission when GitHub refuses environment administration', async () => {
    gh.fail({
      route: 'PUT /repos/{owner}/{repo}/environments/{environment_name}',
      status: 403,
      body: { message: 'Resource not accessible by integration', status: '403' },
      times: 1
    });
    const { environments } = parseEnvironmentsFile('environments:\n  preview:\n    wait-timer: 1\n');
    const plan = await planEnvironments(request(), 'acme', 'envs', environments);
    const err = await applyPlan(request(), plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).status).toBe(403);
    expect((err as GitHubError).hint).toContain('Administration: write');
  });

  it('maps an expired token through packages/github, naming the call and where the token comes from', async () => {
    gh.fail({
      route: 'PUT /repos/{owner}/{repo}/environments/{environment_name}',
      status: 401,
      body: { message: 'Bad credentials', status: '401' },
      times: 1
    });
    const { environments } = parseEnvironmentsFile('environments:\n  preview:\n    wait-timer: 2\n');
    const plan = await planEnvironments(request(), 'acme', 'envs', environments);
    const err = await applyPlan(request(), plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).status).toBe(401);
    expect((err as GitHubError).message).toContain(
      'call PUT /repos/{owner}/{repo}/environments/{environment_name}'
    );
    expect((err as GitHubError).message).toContain('Bad credentials');
    expect((err as GitHubError).hint).toContain('GITHUB_TOKEN or GH_TOKEN');
    expect((err as GitHubError).state).toContain('run the command again');
  });
});

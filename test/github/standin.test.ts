import {
  checkRequest,
  checkResponse,
  loadSpec,
  rulesetRejection,
  startGitHubStandIn,
  type GitHubStandIn
} from '../support/github-standin.js';
import { octokitRequest } from '../../packages/github/src/index.js';

/**
 * The stand-in is only worth its checks if it refuses what GitHub refuses: these tests send it requests
 * GitHub's OpenAPI description does not allow and expect an error answer AND a recorded violation.
 */
describe('GitHub API stand-in', () => {
  let gh: GitHubStandIn;
  const token = 'ghs_standintoken';
  beforeAll(async () => {
    gh = await startGitHubStandIn({ token });
  });
  afterAll(() => gh.close());
  beforeEach(() => {
    gh.violations.length = 0;
  });
  afterEach(() => expect(gh.faults).toEqual([]));

  const raw = async (method: string, path: string, body?: unknown, auth = `token ${token}`) => {
    const res = await fetch(`${gh.url}${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    });
    const text = await res.text();
    return { status: res.status, data: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  it('serves valid requests made through Octokit with no violation', async () => {
    const request = octokitRequest({ token, baseUrl: gh.url });
    const sha = 'a'.repeat(40);
    const tagObj = await request('POST /repos/{owner}/{repo}/git/tags', {
      owner: 'acme',
      repo: 'shop',
      tag: 'v1.0.0',
      message: 'v1.0.0',
      object: sha,
      type: 'commit'
    });
    const objSha = (tagObj.data as { sha: string }).sha;
    await request('POST /repos/{owner}/{repo}/git/refs', {
      owner: 'acme',
      repo: 'shop',
      ref: 'refs/tags/v1.0.0',
      sha: objSha
    });
    const ref = await request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
      owner: 'acme',
      repo: 'shop',
      ref: 'tags/v1.0.0'
    });
    expect(ref.data).toMatchObject({ ref: 'refs/tags/v1.0.0', object: { type: 'tag', sha: objSha } });
    expect(gh.repo('acme/shop').tagObjects.get(objSha)).toMatchObject({ tag: 'v1.0.0', object: { sha } });
    // Octokit encodes the slash of `tags/v1.0.0` as %2F; the stand-in decodes path parameters like GitHub
    expect(gh.requests.some((r) => r.path.includes('tags%2Fv1.0.0'))).toBe(true);
    expect(gh.violations).toEqual([]);
  });

  it('refuses an operation GitHub does not have (404) and records it', async () => {
    const res = await raw('POST', '/repos/acme/shop/git/tag', { tag: 'v1' });
    expect(res.status).toBe(404);
    expect(gh.violations).toEqual([
      expect.objectContaining({ method: 'POST', problem: expect.stringContaining('no GitHub API operation') })
    ]);
  });

  it('refuses a method a path does not have', async () => {
    const res = await raw('PUT', '/repos/acme/shop/git/refs/tags/v1', { sha: 'a'.repeat(40) });
    expect(res.status).toBe(404);
    expect(gh.violations[0]?.problem).toContain('PUT is not an operation of this path');
  });

  it('refuses a body that does not fit the schema: wrong type, missing required field, unknown field, bad enum', async () => {
    const res = await raw('POST', '/repos/acme/shop/git/tags', {
      tag: 'v1.0.0',
      object: 'a'.repeat(40),
      type: 'branch',
      draft: true
    });
    expect(res.status).toBe(422);
    const problems = gh.violations.map((v) => v.problem).join('\n');
    expect(problems).toContain("must have required property 'message'");
    expect(problems).toContain('body/type must be equal to one of the allowed values');
    expect(problems).toContain('body field draft is not in POST /repos/{owner}/{repo}/git/tags');
    gh.violations.length = 0;
    await raw('PATCH', '/repos/acme/shop/git/refs/tags%2Fv1', { sha: 'a'.repeat(40), force: 'yes' });
    expect(gh.violations.map((v) => v.problem).join('\n')).toContain('body/force must be boolean');
  });

  it('checks query parameters against their schemas', async () => {
    const bad = await raw('GET', '/repos/acme/shop/releases?per_page=lots');
    expect(bad.status).toBe(422);
    expect(gh.violations[0]?.problem).toContain('query parameter per_page must be integer');
    gh.violations.length = 0;
    await raw('GET', '/repos/acme/shop/releases?perpage=10');
    expect(gh.violations[0]?.problem).toContain('query parameter perpage is not a parameter');
  });

  it('loads the 13 MB description once per process', () => {
    const first = loadSpec();
    expect(loadSpec()).toBe(first);
    expect(first.operations.length).toBeGreaterThan(1000);
  });

  it('checks every operation against the description, including those it does not implement', () => {
    const ok = checkRequest('GET', '/repos/acme/shop/actions/runs', { per_page: '5' }, undefined, false);
    expect(ok.problems).toEqual([]);
    expect(ok.operation?.template).toBe('/repos/{owner}/{repo}/actions/runs');
    const latest = checkRequest('GET', '/repos/acme/shop/releases/latest', {}, undefined, false);
    expect(latest.operation?.template).toBe('/repos/{owner}/{repo}/releases/latest');
    const env = checkRequest(
      'PUT',
      '/repos/acme/shop/environments/production',
      {},
      { wait_timer: '10', deployment_branch_policy: { protected_branches: true } },
      true
    );
    expect(env.problems.join('\n')).toMatch(/wait_timer must be integer[\s\S]*custom_branch_policies/);
  });

  it('answers 401 without a token or with another one', async () => {
    expect((await raw('GET', '/users/octocat', undefined, '')).status).toBe(401);
    expect((await raw('GET', '/users/octocat', undefined, 'token nope')).data.message).toBe(
      'Bad credentials'
    );
  });

  it('behaves like GitHub for refs: no duplicate, no fast-forward-less move without force, no unknown object', async () => {
    const r = gh.repo('acme/refs');
    const a = 'b'.repeat(40);
    const b = 'c'.repeat(40);
    r.commits.add(a).add(b);
    expect((await raw('POST', '/repos/acme/refs/git/refs', { ref: 'refs/tags/v1', sha: a })).status).toBe(
      201
    );
    expect(
      (await raw('POST', '/repos/acme/refs/git/refs', { ref: 'refs/tags/v1', sha: a })).data.message
    ).toBe('Reference already exists');
    expect((await raw('PATCH', '/repos/acme/refs/git/refs/tags/v1', { sha: b })).data.message).toBe(
      'Update is not a fast forward'
    );
    expect((await raw('PATCH', '/repos/acme/refs/git/refs/tags/v1', { sha: b, force: true })).status).toBe(
      200
    );
    expect(r.refs.get('refs/tags/v1')).toBe(b);
    expect(
      (await raw('POST', '/repos/acme/refs/git/refs', { ref: 'refs/tags/v2', sha: 'd'.repeat(40) })).data
        .message
    ).toBe('Object does not exist');
    expect(gh.violations).toEqual([]);
  });

  it('injects the errors GitHub gives for rulesets, a given number of times', async () => {
    gh.repo('acme/rules').refs.set('refs/tags/v1', 'e'.repeat(40));
    gh.fail({
      route: 'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
      ...rulesetRejection('refs/tags/v1'),
      times: 1
    });
    const first = await raw('PATCH', '/repos/acme/rules/git/refs/tags/v1', {
      sha: 'f'.repeat(40),
      force: true
    });
    expect(first.status).toBe(422);
    expect(first.data.message).toContain('GH013: Repository rule violations found for refs/tags/v1');
    const second = await raw('PATCH', '/repos/acme/rules/git/refs/tags/v1', {
      sha: 'f'.repeat(40),
      force: true
    });
    expect(second.status).toBe(200);
    expect(gh.violations).toEqual([]);
  });

  it('checks its own answers against the documented response schemas', () => {
    expect(checkResponse('GET', '/repos/{owner}/{repo}/git/ref/{ref}', 200, { ref: 'refs/tags/v1' })).toEqual(
      expect.arrayContaining(["response 200 must have required property 'object'"])
    );
    expect(checkResponse('POST', '/repos/{owner}/{repo}/git/refs', 200, {})).toEqual([
      'POST /repos/{owner}/{repo}/git/refs does not document status 200'
    ]);
    expect(checkResponse('PATCH', '/repos/{owner}/{repo}/git/refs/{ref}', 422, { message: 'x' })).toEqual([]);
  });

  it('answers every operation it implements in the shape GitHub documents', async () => {
    gh.addUser('alice', 1);
    gh.addTeam('acme', 'platform', 2);
    const r = octokitRequest({ token, baseUrl: gh.url });
    const o = { owner: 'acme', repo: 'tour' };
    const sha = '9'.repeat(40);
    const calls: [string, Record<string, unknown>][] = [
      ['POST /repos/{owner}/{repo}/git/tags', { tag: 'v1.0.0', message: 'm', object: sha, type: 'commit' }],
      ['POST /repos/{owner}/{repo}/git/refs', { ref: 'refs/tags/v1', sha }],
      ['GET /repos/{owner}/{repo}/git/ref/{ref}', { ref: 'tags/v1' }],
      ['GET /repos/{owner}/{repo}/git/matching-refs/{ref}', { ref: 'tags/' }],
      ['PATCH /repos/{owner}/{repo}/git/refs/{ref}', { ref: 'tags/v1', sha, force: true }],
      ['POST /repos/{owner}/{repo}/releases', { tag_name: 'v1', body: 'notes', make_latest: 'true' }],
      ['GET /repos/{owner}/{repo}/releases', { per_page: 10 }],
      ['GET /repos/{owner}/{repo}/releases/latest', {}],
      ['GET /repos/{owner}/{repo}/releases/tags/{tag}', { tag: 'v1' }],
      ['POST /repos/{owner}/{repo}/deployments', { ref: sha, environment: 'staging', required_contexts: [] }],
      ['GET /repos/{owner}/{repo}/deployments', { environment: 'staging' }],
      [
        'PUT /repos/{owner}/{repo}/environments/{environment_name}',
        {
          environment_name: 'prod',
          wait_timer: 1,
          reviewers: [
            { type: 'User', id: 1 },
            { type: 'Team', id: 2 }
          ],
          deployment_branch_policy: { protected_branches: false, custom_branch_policies: true }
        }
      ],
      ['GET /repos/{owner}/{repo}/environments/{environment_name}', { environment_name: 'prod' }],
      ['GET /repos/{owner}/{repo}/environments', {}],
      [
        'POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies',
        { environment_name: 'prod', name: 'main', type: 'branch' }
      ],
      [
        'GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies',
        { environment_name: 'prod' }
      ],
      [
        'POST /repos/{owner}/{repo}/environments/{environment_name}/variables',
        { environment_name: 'prod', name: 'A', value: 'b' }
      ],
      ['GET /repos/{owner}/{repo}/environments/{environment_name}/variables', { environment_name: 'prod' }],
      [
        'GET /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}',
        { environment_name: 'prod', name: 'A' }
      ],
      ['GET /repos/{owner}/{repo}/environments/{environment_name}/secrets', { environment_name: 'prod' }]
    ];
    for (const [route, params] of calls)
      expect((await r(route, { ...o, ...params })).status).toBeLessThan(300);
    expect((await r('GET /users/{username}', { username: 'alice' })).data).toMatchObject({
      login: 'alice',
      id: 1
    });
    expect(
      (await r('GET /orgs/{org}/teams/{team_slug}', { org: 'acme', team_slug: 'platform' })).data
    ).toMatchObject({
      id: 2,
      slug: 'platform'
    });
    const [d] = (await r('GET /repos/{owner}/{repo}/deployments', o)).data as { id: number }[];
    await r('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
      ...o,
      deployment_id: d!.id,
      state: 'success'
    });
    const statuses = await r('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
      ...o,
      deployment_id: d!.id
    });
    expect(statuses.data).toMatchObject([{ state: 'success', environment: 'staging' }]);
    expect(gh.violations).toEqual([]);
    // faults (answers that do not fit the documented response schemas) are checked after each test
    expect(
      gh.requests.filter((q) => q.path.startsWith('/repos/acme/tour/')).every((q) => q.route !== '')
    ).toBe(true);
  });
});

import { GitHubError, captureLogger } from '../../packages/core/src/index.js';
import { octokitRequest, startDeployment, type DeploymentTarget } from '../../packages/github/src/index.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin.js';

/** Deployment records against the stand-in, which checks each call against GitHub's OpenAPI description. */
describe('GitHub deployment records', () => {
  const token = 'ghs_deployments';
  let gh: GitHubStandIn;
  beforeAll(async () => {
    gh = await startGitHubStandIn({ token });
  });
  afterAll(() => gh.close());
  afterEach(() => {
    expect(gh.violations).toEqual([]);
    expect(gh.faults).toEqual([]);
  });

  const request = () => octokitRequest({ token, baseUrl: gh.url });
  const target = (repo: string, sha: string, environment = 'production'): DeploymentTarget => ({
    owner: 'acme',
    repo,
    sha,
    environment,
    description: `deploy ${sha.slice(0, 7)}`,
    logUrl: 'https://github.com/acme/shop/actions/runs/4242/attempts/1',
    productionEnvironment: environment === 'production',
    payload: { app: 'shop', release: sha.slice(0, 7) }
  });

  it('records in_progress at once, then success with the URL, and marks the superseded production deployment inactive', async () => {
    const logger = captureLogger();
    const first = await startDeployment(request(), target('prod', '1'.repeat(40)), logger);
    await first.finish('success', { environmentUrl: 'https://shop.example.com' });
    const second = await startDeployment(request(), target('prod', '2'.repeat(40)), logger);
    await second.finish('success', { environmentUrl: 'https://shop.example.com' });

    const [d1, d2] = gh.repo('acme/prod').deployments;
    expect(d2).toMatchObject({
      sha: '2'.repeat(40),
      ref: '2'.repeat(40),
      environment: 'production',
      production_environment: true,
      payload: { app: 'shop', release: '2222222' }
    });
    expect(d2!.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(d2!.statuses[0]!.log_url).toBe('https://github.com/acme/shop/actions/runs/4242/attempts/1');
    expect(d2!.statuses[1]!.environment_url).toBe('https://shop.example.com');
    // GitHub's auto_inactive skips production: the explicit inactive status is what retires the first one
    expect(d1!.statuses.map((s) => s.state)).toEqual(['in_progress', 'success', 'inactive']);
    expect(logger.text()).toContain('marked 1 superseded deployment(s) of production inactive');
    const create = gh.requests.find(
      (r) => r.method === 'POST' && r.route === '/repos/{owner}/{repo}/deployments'
    );
    expect(create?.body).toMatchObject({ auto_merge: false, required_contexts: [] });
  });

  it('records a failed deploy as failure and leaves the serving deployment active', async () => {
    const logger = captureLogger();
    const good = await startDeployment(request(), target('fail', 'a'.repeat(40)), logger);
    await good.finish('success', { environmentUrl: 'https://shop.example.com' });
    const bad = await startDeployment(request(), target('fail', 'b'.repeat(40)), logger);
    await bad.finish('failure', { description: 'health gate: unhealthy' });
    const [d1, d2] = gh.repo('acme/fail').deployments;
    expect(d2!.statuses.map((s) => [s.state, s.description])).toEqual([
      ['in_progress', 'deploy bbbbbbb'],
      ['failure', 'health gate: unhealthy']
    ]);
    expect(d1!.statuses.at(-1)?.state).toBe('success');
  });

  it('fails with a GitHub error when GitHub answers 202 (no deployment was created)', async () => {
    gh.fail({
      route: 'POST /repos/{owner}/{repo}/deployments',
      status: 202,
      body: { message: 'Auto-merged main into topic branch.' },
      times: 1
    });
    const err = await startDeployment(request(), target('merge', 'c'.repeat(40)), captureLogger()).catch(
      (e: unknown) => e
    );
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).message).toContain('no deployment was created');
    expect(gh.repo('acme/merge').deployments).toEqual([]);
  });

  it('names the deployments permission when the token may not create deployments', async () => {
    gh.fail({
      route: 'POST /repos/{owner}/{repo}/deployments',
      status: 403,
      body: { message: 'Resource not accessible by integration', status: '403' },
      times: 1
    });
    const err = await startDeployment(request(), target('perm', 'd'.repeat(40)), captureLogger()).catch(
      (e: unknown) => e
    );
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).hint).toContain('permissions: deployments: write');
    expect((err as GitHubError).state).toBe('the deploy itself is not affected by this record');
  });

  it('maps a refusal while retiring superseded deployments too', async () => {
    const logger = captureLogger();
    const first = await startDeployment(request(), target('retire', 'e'.repeat(40)), logger);
    await first.finish('success');
    gh.fail({
      route: 'GET /repos/{owner}/{repo}/deployments',
      when: (q) => q.path.startsWith('/repos/acme/retire/'),
      status: 403,
      body: { message: 'Resource not accessible by integration', status: '403' },
      times: 1
    });
    const second = await startDeployment(request(), target('retire', 'f'.repeat(40)), logger);
    const err = await second.finish('success').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).message).toContain('GET /repos/{owner}/{repo}/deployments');
    expect((err as GitHubError).hint).toContain('deployments: write');
  });
});

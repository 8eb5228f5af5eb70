import { leakedSecrets, runBundle } from '../support/harness.js';
import {
  rulesetRejection,
  startGitHubStandIn,
  workflowsPermissionRejection,
  type GitHubStandIn
} from '../support/github-standin.js';
import { GitRepo } from './gitrepo.js';

/**
 * The committed bundle (node scripts/build.mjs tag-release) run like the GitHub runner runs it, against
 * real git repositories and the GitHub stand-in, which checks every request against GitHub's OpenAPI
 * description: `violations` must stay empty.
 */
describe('tag-release action bundle', () => {
  const token = 'ghs_tagreleasetoken0123456789';
  let gh: GitHubStandIn;
  const repos: GitRepo[] = [];
  beforeAll(async () => {
    gh = await startGitHubStandIn({ token });
  });
  afterAll(async () => {
    await gh.close();
    repos.forEach((r) => r.remove());
  });
  afterEach(() => {
    expect(gh.violations).toEqual([]);
    expect(gh.faults).toEqual([]);
  });

  /** A repository at v1.2.0 with a feat and a fix after it, known to the stand-in as acme/<name>. */
  const setup = (name: string) => {
    const r = GitRepo.create(`tag-release-${name}-`);
    repos.push(r);
    const first = r.commit('feat: first');
    r.tag('v1.2.0');
    r.commit('fix(api): handle empty body');
    r.commit('feat(ui): dark mode');
    const state = gh.repo(`acme/${name}`);
    for (const sha of r.git('rev-list', '--all').split('\n')) state.commits.add(sha);
    state.refs.set('refs/tags/v1.2.0', first);
    state.refs.set('refs/tags/v1', first);
    return { r, state, first };
  };
  const run = (name: string, r: GitRepo, inputs: Record<string, string | boolean> = {}) =>
    runBundle('tag-release', {
      inputs,
      githubToken: token,
      workspace: r.dir,
      env: { GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: `acme/${name}`, GITHUB_REPOSITORY_OWNER: 'acme' }
    });
  const writes = (name: string) =>
    gh.requests.filter((q) => q.method !== 'GET' && q.path.startsWith(`/repos/acme/${name}/`));

  it('tags, releases and moves the floating tags through the API', async () => {
    const { r, state } = setup('full');
    const head = r.head();
    const result = await run('full', r, { 'floating-tags': 'major-minor' });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({
      version: '1.3.0',
      'previous-version': '1.2.0',
      tag: 'v1.3.0',
      bump: 'minor',
      released: 'true',
      'release-url': 'https://github.com/acme/full/releases/tag/v1.3.0'
    });
    // an annotated tag: the ref points at a tag object that points at the commit
    const objectSha = state.refs.get('refs/tags/v1.3.0')!;
    expect(state.tagObjects.get(objectSha)).toMatchObject({
      tag: 'v1.3.0',
      object: { sha: head, type: 'commit' }
    });
    expect(state.refs.get('refs/tags/v1')).toBe(head);
    expect(state.refs.get('refs/tags/v1.3')).toBe(head);
    const release = state.releases.find((x) => x.tag_name === 'v1.3.0');
    expect(release).toMatchObject({ draft: false, prerelease: false, make_latest: 'true', name: 'v1.3.0' });
    expect(release?.body).toBe(result.outputs.changelog);
    expect(result.outputs.changelog).toContain(
      '## [1.3.0](https://github.com/acme/full/compare/v1.2.0...v1.3.0)'
    );
    expect(result.outputs.changelog).toMatch(
      /### Features\n\n\* \*\*ui:\*\* dark mode \(\[[0-9a-f]{7}\]\(https:\/\/github\.com\/acme\/full\/commit\/[0-9a-f]{40}\)\)/
    );
    // order: tag object, tag ref, release, then the floating tags (v1 moved with force, v1.3 created)
    expect(writes('full').map((q) => `${q.method} ${q.route} ${q.status}`)).toEqual([
      'POST /repos/{owner}/{repo}/git/tags 201',
      'POST /repos/{owner}/{repo}/git/refs 201',
      'POST /repos/{owner}/{repo}/releases 201',
      'PATCH /repos/{owner}/{repo}/git/refs/{ref} 200',
      'POST /repos/{owner}/{repo}/git/refs 201'
    ]);
    expect(writes('full')[3]?.body).toEqual({ sha: head, force: true });
    expect(result.summary).toContain('### tag-release: v1.3.0');
    expect(result.summary).toContain('dark mode');
    expect(leakedSecrets(result, [token])).toEqual([]);
  });

  it('dry-run computes and prints everything and makes no API call at all', async () => {
    const { r } = setup('dry');
    const before = gh.requests.length;
    const result = await run('dry', r, { 'dry-run': true, 'floating-tags': 'major' });
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ version: '1.3.0', released: 'true', 'release-url': '' });
    expect(result.log).toContain('dry run: would create v1.3.0 and move v1');
    expect(result.summary).toContain('dry run: nothing was created');
    expect(gh.requests.length).toBe(before);
  });

  it('makes a prerelease as a draft, not "latest", and moves no floating tag', async () => {
    const { r, state, first } = setup('rc');
    const result = await run('rc', r, { prerelease: 'rc', draft: true, 'floating-tags': 'major' });
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ version: '1.3.0-rc.0', tag: 'v1.3.0-rc.0', bump: 'minor' });
    expect(state.releases[0]).toMatchObject({
      tag_name: 'v1.3.0-rc.0',
      draft: true,
      prerelease: true,
      make_latest: 'false'
    });
    expect(result.outputs['release-url']).toMatch(
      /^https:\/\/github\.com\/acme\/rc\/releases\/tag\/untagged-\d+$/
    );
    expect(state.refs.get('refs/tags/v1')).toBe(first);
  });

  it('releases nothing when nothing releasable landed, and writes nothing', async () => {
    const r = GitRepo.create('tag-release-none-');
    repos.push(r);
    r.commit('feat: a');
    r.tag('v3.0.0');
    r.commit('docs: b');
    const result = await run('none', r);
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({
      released: 'false',
      version: '3.0.0',
      tag: 'v3.0.0',
      bump: 'none',
      changelog: ''
    });
    expect(result.summary).toContain('nothing to release');
    expect(gh.requests.filter((q) => q.path.startsWith('/repos/acme/none/'))).toEqual([]);
  });

  it('a ruleset (GH013) refusing the floating tag fails with the fix, after the version is out', async () => {
    const { r, state } = setup('ruleset');
    gh.fail({
      route: 'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
      when: (q) => q.path.startsWith('/repos/acme/ruleset/'),
      ...rulesetRejection('refs/tags/v1')
    });
    const result = await run('ruleset', r, { 'floating-tags': 'major' });
    expect(result.exitCode).toBe(1);
    const error = result.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toContain('GitHub refused to move the floating tag v1');
    expect(error).toContain('a repository ruleset blocks it (GH013');
    expect(error).toContain('bypass list');
    expect(error).toContain(
      'State: v1.3.0 and its release exist; floating tags moved: none; v1 still points where it did'
    );
    expect(state.releases.map((x) => x.tag_name)).toEqual(['v1.3.0']);
  });

  it('a token without the workflows permission fails naming the token to use', async () => {
    const { r, state } = setup('workflows');
    gh.fail({
      route: 'POST /repos/{owner}/{repo}/git/refs',
      when: (q) => q.path.startsWith('/repos/acme/workflows/'),
      ...workflowsPermissionRejection()
    });
    const result = await run('workflows', r);
    expect(result.exitCode).toBe(1);
    const error = result.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toContain(
      'GitHub refused to create the tag ref refs/tags/v1.3.0: the token lacks the workflows permission'
    );
    expect(error).toContain('classic PAT with the `workflow` scope');
    expect(error).toContain('GitHub App installation token with "Workflows: write"');
    expect(state.releases).toEqual([]);
  });

  it('fails clearly when the tag exists on GitHub but not in the checkout', async () => {
    const { r, state, first } = setup('exists');
    state.refs.set('refs/tags/v1.3.0', first);
    const result = await run('exists', r);
    expect(result.exitCode).toBe(1);
    expect(result.annotations.find((a) => a.level === 'error')?.message).toContain(
      'Tag v1.3.0 already exists on GitHub'
    );
    expect(writes('exists')).toEqual([]);
  });

  it('a concurrent run that created the tag first is named, with concurrency: as the fix', async () => {
    const { r, state } = setup('race');
    gh.fail({
      route: 'POST /repos/{owner}/{repo}/git/refs',
      when: (q) => q.path.startsWith('/repos/acme/race/'),
      status: 422,
      body: { message: 'Reference already exists', status: '422' },
      times: 1
    });
    const result = await run('race', r);
    expect(result.exitCode).toBe(1);
    const error = result.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toContain('the reference already exists (another run may have released at the same time)');
    expect(error).toContain('`concurrency:` group');
    expect(state.releases).toEqual([]);
  });

  it('a target commit that was never pushed is named as such', async () => {
    const { r } = setup('unpushed');
    r.commit('fix: only local'); // not registered with the stand-in: GitHub does not have this commit
    const result = await run('unpushed', r);
    expect(result.exitCode).toBe(1);
    const error = result.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toContain('GitHub refused to create the tag object v1.3.0');
    expect(error).toContain('the commit is not on GitHub');
    expect(error).toContain('push the commit first');
  });

  it('refuses a bad input before any git or API call, naming the input', async () => {
    const { r } = setup('badinput');
    const result = await run('badinput', r, { 'floating-tags': 'all' });
    expect(result.exitCode).toBe(1);
    expect(result.annotations.find((a) => a.level === 'error')?.message).toContain(
      `Input 'floating-tags': "all" is not one of major, major-minor, none`
    );
    expect(gh.requests.filter((q) => q.path.startsWith('/repos/acme/badinput/'))).toEqual([]);
    const noToken = await run('badinput', r, { token: '' });
    expect(noToken.exitCode).toBe(1);
    expect(noToken.annotations.find((a) => a.level === 'error')?.message).toContain(
      "Input 'token': is empty. Fix: pass `token: ${{ github.token }}`"
    );
    const badVersion = await run('badinput', r, { 'release-as': 'v2' });
    expect(badVersion.annotations.find((a) => a.level === 'error')?.message).toContain(
      `Input 'release-as': "v2" is not a semantic version`
    );
    expect(gh.requests.filter((q) => q.path.startsWith('/repos/acme/badinput/'))).toEqual([]);
  });
});

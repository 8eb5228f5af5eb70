import { DEFAULT_PERMISSIONS, TokenAuthority } from '../../packages/workflow-sim/src/index.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin.js';

/**
 * With a token authority (the simulator's per-job tokens), the stand-in grants nothing it cannot account
 * for: a token the authority never issued is refused as GitHub refuses a bad credential, and a route with no
 * permission mapping is refused (and recorded) instead of being granted to any token.
 */
describe('the GitHub stand-in refuses what it cannot scope', () => {
  let gh: GitHubStandIn;
  const authority = new TokenAuthority();
  const reader = authority.mint({ ...DEFAULT_PERMISSIONS, actions: 'read' }, 'reader');
  const plain = authority.mint(DEFAULT_PERMISSIONS, 'plain');
  beforeAll(async () => {
    gh = await startGitHubStandIn({ tokenScopes: (t) => authority.scopes(t) });
  });
  afterAll(() => gh.close());
  const get = (path: string, token: string) =>
    fetch(`${gh.url}${path}`, { headers: { authorization: `token ${token}` } });

  test('a token the authority never issued gets 401 Bad credentials', async () => {
    const res = await get('/repos/acme/shop/releases', 'ghs_notissuedbyanyone');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toBe('Bad credentials');
  });

  test('a route with no permission mapping is refused and recorded, not granted', async () => {
    const res = await get('/repos/acme/shop/hooks', reader);
    expect(res.status).toBe(403);
    expect(gh.violations.map((v) => v.problem)).toContainEqual(
      expect.stringMatching(/GET \/repos\/\{owner\}\/\{repo\}\/hooks has no permission mapping/)
    );
  });

  test('GET /actions/runs/{id} needs actions: read', async () => {
    const res = await get('/repos/acme/shop/actions/runs/42', plain);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-accepted-github-permissions')).toBe('actions=read');
    expect((await get('/repos/acme/shop/actions/runs/42', reader)).status).not.toBe(403);
  });
});

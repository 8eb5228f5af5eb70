import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { urlPasswords, withoutUserinfo } from '../../packages/health/src/index.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin.js';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { integration } from '../support/infra.js';
import { COMPOSE, bundleDeploy, buildImages, cleanup, history, target } from './support.js';

/** issue 28 item 8: credentials in URLs are masked, and no output, record or Deployment carries them. */
describe('credentials in URLs', () => {
  it('a token as the user name is masked whole; user:pass masks the password', () => {
    expect(urlPasswords('https://ghp_abcdef123456@example.com/up')).toEqual(['ghp_abcdef123456']);
    expect(urlPasswords('https://u:p%40ss@example.com/')).toEqual(['p%40ss', 'p@ss']);
    expect(urlPasswords('https://example.com/a@b')).toEqual([]);
  });

  it('URLs lose their userinfo, in a URL or inside a text', () => {
    expect(withoutUserinfo('https://TOKEN@host.example/up')).toBe('https://host.example/up');
    expect(withoutUserinfo('https://u:p@host.example:8443/up?x=1')).toBe('https://host.example:8443/up?x=1');
    expect(withoutUserinfo('GET http://u:p@h/up: got 502; then https://t@h2/')).toBe(
      'GET http://h/up: got 502; then https://h2/'
    );
    expect(withoutUserinfo('https://host.example/a@b')).toBe('https://host.example/a@b');
  });
});

integration('credentials in the health URL (deploy-compose bundle, GitHub stand-in)', () => {
  const app = 'errors-url';
  const port = 19450;
  const token = 'tokAsUser9f3c2e1d';
  const password = 'pw-9f3c2e1d-secret';
  let gh: GitHubStandIn;
  let workspace: string;
  const h = () => target();

  beforeAll(async () => {
    buildImages();
    cleanup(h().stateDir, app);
    gh = await startGitHubStandIn();
    workspace = mkdtempSync('/tmp/errors-url-ws-');
    mkdirSync(join(workspace, 'deploy'));
    writeFileSync(join(workspace, 'deploy', 'compose.yml'), COMPOSE);
    writeFileSync(join(workspace, 'deploy', '.env'), 'GREETING=hi\n');
  });
  afterAll(async () => {
    cleanup(h().stateDir, app);
    rmSync(workspace, { recursive: true, force: true });
    await gh.close();
  });

  it.each([
    ['a token as the user name', `http://${token}@127.0.0.1:${port}/`, token, 'v1'],
    ['user:pass', `http://deployer:${password}@127.0.0.1:${port}/`, password, 'v2']
  ])(
    '%s: in no log, output, summary, record or environment_url',
    async (_what, url, secret, tag) => {
      const run = await runBundle('deploy-compose', {
        inputs: bundleDeploy(
          { app, port, dir: h().stateDir, tag },
          { 'health-url': url, 'drain-timeout': '300ms', token: 'ghs_standin_token_url' }
        ),
        workspace,
        env: { GITHUB_API_URL: gh.url }
      });
      expect(run.annotations.filter((a) => a.level === 'error')).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.outputs.url).toBe(`http://127.0.0.1:${port}/`);
      expect(leakedSecrets(run, [secret])).toEqual([]);
      expect(`${run.stdout}${run.summary}`).not.toMatch(/\/\/[^/\s]*@127\.0\.0\.1/);
      const urls = gh.requests
        .map((r) => (r.body as { environment_url?: string } | null)?.environment_url)
        .filter((u): u is string => typeof u === 'string');
      expect(urls.length).toBeGreaterThan(0);
      for (const u of urls) expect(u).toBe(`http://127.0.0.1:${port}/`);
      expect(JSON.stringify(history(h().stateDir, app))).not.toContain(secret);
      expect(gh.violations).toEqual([]);
    },
    180_000
  );
});

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin.js';

/** `deploy-actions environments plan|apply` (the committed CLI bundle) against the stand-in. */
describe('deploy-actions environments (CLI bundle)', () => {
  const token = 'ghp_cli_environments';
  let gh: GitHubStandIn;
  let dir: string;
  beforeAll(async () => {
    gh = await startGitHubStandIn({ token });
    gh.addUser('alice', 501);
    dir = mkdtempSync(join(tmpdir(), 'environments-cli-'));
    writeFileSync(
      join(dir, 'environments.yml'),
      [
        'repository: acme/cli',
        'environments:',
        '  production:',
        '    wait-timer: 5',
        '    reviewers: [{ user: alice }]',
        '    branches: [main]',
        '    variables: { REGION: eu-west-1 }',
        '    secrets: [SSH_KEY]',
        ''
      ].join('\n')
    );
  });
  afterAll(async () => {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(gh.violations).toEqual([]);
    expect(gh.faults).toEqual([]);
  });

  // Asynchronous on purpose: the stand-in answers from this same process.
  const cli = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [join(REPO_ROOT, 'bin', 'deploy-actions.js'), 'environments', ...args],
        {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '', GITHUB_TOKEN: token, GITHUB_API_URL: gh.url }
        }
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  it('plan shows the diff and writes nothing; apply converges; missing secrets keep the exit status 1', async () => {
    const plan = await cli('plan');
    expect(plan.stdout).toContain('+ production: create the environment');
    expect(plan.stdout).toContain('+ production: variable REGION = eu-west-1');
    expect(plan.stdout).toContain('! production: required secret SSH_KEY is missing');
    expect(plan.status).toBe(1); // a required secret is missing: apply cannot set it
    expect(gh.requests.filter((r) => r.method !== 'GET')).toEqual([]);

    const apply = await cli('apply');
    expect(apply.stdout).toMatch(/Applied \d+ change\(s\)/);
    const env = gh.repo('acme/cli').environments.get('production')!;
    expect(env).toMatchObject({ wait_timer: 5, reviewers: [{ type: 'User', id: 501 }] });

    env.secrets.push('SSH_KEY'); // someone ran `gh secret set SSH_KEY --env production`
    const again = await cli('plan');
    expect(again.stdout).toContain('no changes: GitHub matches the file');
    expect(again.status).toBe(0);
  });
});

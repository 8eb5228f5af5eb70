import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_PERMISSIONS,
  TokenAuthority,
  jobPermissions,
  parsePermissions,
  runWorkflow,
  type SimOptions
} from '../../packages/workflow-sim/src/index.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin.js';
import { integration } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';
import { startTokenRegistry, type TokenRegistry } from '../support/token-registry.js';

const repo = join(REPO_ROOT, 'test', 'workflow-sim', 'repo');

describe('permissions: as GitHub computes a job token', () => {
  test('a job map replaces the workflow map; unlisted scopes are none; absent means the default', () => {
    const wf = parsePermissions({ contents: 'read' }, 'wf');
    const job = parsePermissions({ packages: 'write' }, 'job');
    expect(jobPermissions('a', job, wf, undefined)).toMatchObject({ packages: 'write', contents: 'none' });
    expect(jobPermissions('a', undefined, wf, undefined)).toMatchObject({
      contents: 'read',
      packages: 'none'
    });
    expect(jobPermissions('a', undefined, undefined, undefined)).toEqual(DEFAULT_PERMISSIONS);
    expect(parsePermissions({}, 'x')).toMatchObject({ contents: 'none', packages: 'none' });
    expect(parsePermissions('write-all', 'x')).toMatchObject({ deployments: 'write' });
    expect(() => parsePermissions({ package: 'read' }, 'x')).toThrow(/unknown permission scope 'package'/);
  });

  test('a called workflow gets at most what the calling job has, and refuses more the way GitHub does', async () => {
    const r = await runWorkflow('.github/workflows/caller.yml', {
      root: REPO_ROOT,
      repo,
      workspace: mkdtempSync(join(tmpdir(), 'da-perm-')),
      token: 'x'
    });
    const byId = Object.fromEntries(r.jobs.map((j) => [j.id, j]));
    expect(byId.narrow!.result).toBe('failure');
    expect(byId.narrow!.error).toBe(
      "The nested job 'publish' is requesting 'packages: write', but is only allowed 'packages: none'."
    );
    expect(byId.wide!.result).toBe('success');
    expect(byId.wide!.called!.jobs[0]!.permissions).toMatchObject({ contents: 'read', packages: 'write' });
  });
});

describe('the GitHub stand-in answers 403 outside the token scopes', () => {
  let standIn: GitHubStandIn;
  const authority = new TokenAuthority();
  beforeAll(async () => {
    standIn = await startGitHubStandIn({ tokenScopes: (t) => authority.scopes(t) });
  });
  afterAll(() => standIn.close());

  test('a job without deployments: write cannot record a deployment; one with it can', async () => {
    const r = await runWorkflow('.github/workflows/api-scopes.yml', {
      root: REPO_ROOT,
      repo,
      workspace: mkdtempSync(join(tmpdir(), 'da-perm-')),
      github: { api_url: standIn.url },
      mintToken: (p, job) => authority.mint(p, job)
    });
    const out = Object.fromEntries(r.jobs.map((j) => [j.id, j.steps[0]!.outputs]));
    expect(out['read-only']).toEqual({ status: '403', accepted: 'deployments=write' });
    expect(out.deployer).toEqual({ status: '201' });
    expect(standIn.repo('acme/shop').deployments).toHaveLength(1);
    expect(standIn.violations).toEqual([]);
  });
});

integration('a registry that authorizes by the token packages scope, as GHCR does', () => {
  const authority = new TokenAuthority();
  let registry: TokenRegistry;
  let image: string;
  const dockerConfig = mkdtempSync(join(tmpdir(), 'da-perm-docker-'));
  // Asynchronous: the token server answers docker from this same process.
  const docker = (args: string[], input?: string) =>
    new Promise<void>((resolve, reject) => {
      const child = execFile(
        'docker',
        args,
        { env: { ...process.env, DOCKER_CONFIG: dockerConfig } },
        (err) => (err ? reject(err) : resolve())
      );
      child.stdin?.end(input ?? '');
    });

  beforeAll(async () => {
    registry = await startTokenRegistry(
      (t) => authority.scopes(t),
      (t) => authority.job(t)
    );
    // The private image, pushed with a token that has packages: write.
    image = `${registry.host}/acme/private-${Date.now().toString(36)}:1`;
    const admin = authority.mint({ ...DEFAULT_PERMISSIONS, packages: 'write' }, 'seed');
    await docker(['login', registry.host, '-u', 'seed', '--password-stdin'], admin);
    await docker(['tag', 'deploy-actions/busybox:latest', image]);
    await docker(['push', image]);
    await docker(['image', 'rm', image]);
  }, 120_000);
  afterAll(async () => {
    await registry?.stop();
    rmSync(dockerConfig, { recursive: true, force: true });
  });

  test('a job without packages fails to pull, with a message naming the missing permission', async () => {
    const options: SimOptions = {
      root: REPO_ROOT,
      repo,
      workspace: mkdtempSync(join(tmpdir(), 'da-perm-')),
      inputs: { image },
      env: { DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'da-perm-docker-job-')) },
      mintToken: (p, job) => authority.mint(p, job)
    };
    const r = await runWorkflow('.github/workflows/pull-private.yml', options);
    const byId = Object.fromEntries(r.jobs.map((j) => [j.id, j]));
    expect(byId['without-packages']!.result).toBe('failure');
    expect(byId['without-packages']!.steps[0]!.error).toMatch(/packages: none/);
    expect(byId['without-packages']!.steps[0]!.error).toMatch(/needs `permissions: packages: read`/);
    expect(byId['with-packages']!.result).toBe('success');
    expect(registry.decisions.filter((d) => d.refused).map((d) => d.job)).toEqual([
      '.github/workflows/pull-private.yml#without-packages'
    ]);
  }, 120_000);
});

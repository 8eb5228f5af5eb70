import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenAuthority, runWorkflow, type WorkflowResult } from '../../packages/workflow-sim/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin.js';
import { fieldHost, infra } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';
import { fetchText, flattenJobs } from './chain.js';

/**
 * Issue 32 item 1: the app's runtime config reaches the hosts through the reusable workflow. deploy.yml is run
 * in the simulator for one environment whose ENV_FILE secret holds the app's config; the app's compose file
 * reads it (`env_file: .env`, and `${APP_SECRET:?…}`), its `.env.example` is the env-template, and its
 * migrate-command succeeds only when it sees the secret. Checked on the field host: the release's `.env` is
 * 0600 and holds the value, the running container has it, no step log holds it, and the runner's copy was
 * 0600 and is gone at the end. A second run whose ENV_FILE lacks a template key fails before any host is
 * touched, naming the key.
 */

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function threePorts(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 30000 + Math.floor(Math.random() * 900) * 10;
    if ((await Promise.all([base, base + 1, base + 2].map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no three free ports on 127.0.0.1');
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Ada Dev', '-c', 'user.email=ada@example.com', ...args], {
    cwd,
    encoding: 'utf8'
  }).trim();
}

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

/** Running containers whose compose project lives under `dir`. */
function containersUnder(dir: string): string[] {
  return docker('ps', '-q', '--filter', 'label=com.docker.compose.project')
    .split('\n')
    .filter(Boolean)
    .filter((id) =>
      docker(
        'inspect',
        '-f',
        '{{ index .Config.Labels "com.docker.compose.project.working_dir" }}',
        id
      ).startsWith(dir)
    );
}

function stopUnder(dir: string, app: string): void {
  for (const id of docker('ps', '-aq', '--filter', 'label=com.docker.compose.project')
    .split('\n')
    .filter(Boolean)) {
    const wd = docker(
      'inspect',
      '-f',
      '{{ index .Config.Labels "com.docker.compose.project.working_dir" }}',
      id
    );
    if (wd.startsWith(dir)) execFileSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
  }
  // The app's networks (the shared one and the compose file's): the lab's dockerd has a bounded address pool.
  for (const net of docker('network', 'ls', '-q', '--filter', `name=${app}-`).split('\n').filter(Boolean))
    execFileSync('docker', ['network', 'rm', net], { stdio: 'ignore' });
  try {
    for (const pid of execFileSync('pgrep', ['-f', `nginx.*${dir}`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean))
      process.kill(Number(pid), 'SIGTERM');
  } catch {
    /* no proxy left */
  }
}

integrationOn('issue 32 item 1: ENV_FILE through deploy.yml', [1], () => {
  const host = fieldHost(1);
  const suffix = Date.now().toString(36);
  const app = `adopt2-env-${suffix}`;
  const work = mkdtempSync(join(tmpdir(), 'adopt2-env-'));
  const repo = join(work, 'shop');
  const stateDir = join(host.stateDir, app);
  // 24 characters the app's migrate-command checks the length of; never in a log.
  const secretValue = `s3cr3t-${randomBytes(12).toString('hex').slice(0, 17)}`;
  let standIn: GitHubStandIn;
  let port = 0;
  const authority = new TokenAuthority();

  beforeAll(async () => {
    standIn = await startGitHubStandIn({ tokenScopes: (t) => authority.scopes(t) });
    port = await threePorts();
    cpSync(join(REPO_ROOT, 'docs', 'examples', 'app-repo'), repo, { recursive: true });
    // The app (the web service, and migrate-command's service: the first) reads its config from .env, and
    // refuses to start without APP_SECRET.
    const compose = join(repo, 'compose.yml');
    writeFileSync(
      compose,
      readFileSync(compose, 'utf8').replace(
        '  app:\n',
        '  app:\n    env_file: .env\n    environment:\n      APP_SECRET: ${APP_SECRET:?set APP_SECRET in ENV_FILE}\n'
      )
    );
    writeFileSync(
      join(repo, '.env.example'),
      '# The keys every environment must set\nAPP_SECRET=\nAPP_MODE=\n'
    );
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'feat: the shop');
  }, 60_000);

  afterAll(async () => {
    stopUnder(stateDir, app);
    await standIn?.close();
    rmSync(work, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  const run = async (
    envFile: string,
    runner: { path?: string; mode?: number; gone?: boolean }
  ): Promise<WorkflowResult> => {
    const { registries } = infra();
    const reg = registries[0]!;
    const sha = git(repo, 'rev-parse', 'HEAD');
    return runWorkflow('.github/workflows/deploy.yml', {
      root: REPO_ROOT,
      refs: 'worktree',
      repo: REPO_ROOT,
      workspace: repo,
      mintToken: (permissions, job) => authority.mint(permissions, job),
      env: { DOCKER_CONFIG: join(work, 'docker-config') },
      inputs: {
        app,
        environment: 'dev',
        image: `${reg.host}/adopt2/${app}`,
        'env-template': '.env.example',
        // Fails unless the one-off container sees the 24-character secret from .env.
        'migrate-command': `sh -c '[ "\${#APP_SECRET}" -eq 24 ] && [ "$APP_MODE" = test ]'`,
        'health-expect-json': '$.status == ok'
      },
      github: {
        actor: 'ada',
        repository: 'acme/shop',
        sha,
        ref: 'refs/heads/main',
        ref_name: 'main',
        event_name: 'push',
        server_url: 'https://github.com',
        api_url: standIn.url,
        run_id: String(Date.now())
      },
      event: {
        ref: 'refs/heads/main',
        after: sha,
        repository: { full_name: 'acme/shop', default_branch: 'main' }
      },
      vars: { REGISTRY: reg.host, REGISTRY_USERNAME: reg.username, BUILD_NETWORK: 'host' },
      secrets: { REGISTRY_PASSWORD: reg.password },
      environments: {
        dev: {
          vars: {
            DEPLOY_HOSTS: host.host,
            DEPLOY_USER: host.user,
            DEPLOY_SSH_PORT: String(host.port),
            DEPLOY_STATE_DIR: stateDir,
            PUBLIC_PORT: String(port),
            SLOT_PORTS: `${port + 1},${port + 2}`,
            PROXY_BIND: '127.0.0.1',
            // The proxy-* variables reach deploy-compose.
            PROXY_MAX_BODY_SIZE: '7m',
            ENVIRONMENT_URL: `http://127.0.0.1:${port}`,
            HEALTH_PROBE_TIMEOUT: '20s'
          },
          secrets: {
            SSH_KEY: readFileSync(host.keyPath, 'utf8'),
            KNOWN_HOSTS: readFileSync(host.knownHostsPath, 'utf8'),
            ENV_FILE: envFile
          }
        }
      },
      afterStep: (_job, step) => {
        if (step.id === 'env' && step.outputs.path) {
          runner.path = step.outputs.path;
          runner.mode = statSync(step.outputs.path).mode & 0o777;
        }
        if (step.name === 'remove the runtime config from the runner' && runner.path)
          runner.gone = !existsSync(runner.path);
      }
    });
  };

  const logs = (r: WorkflowResult) =>
    flattenJobs(r)
      .flatMap((j) => j.steps.map((s) => `${s.log}\n${s.error ?? ''}`))
      .join('\n');

  test('the secret becomes the release .env (0600), the container and migrate-command see it, no log holds it', async () => {
    const runner: { path?: string; mode?: number; gone?: boolean } = {};
    const r = await run(`APP_SECRET=${secretValue}\nAPP_MODE=test\n`, runner);
    const rollout = flattenJobs(r).find((j) => j.id === 'rollout')!;
    const outcome = Object.fromEntries(rollout.steps.map((s) => [s.id ?? s.name, s.outcome]));
    expect([r.conclusion, rollout.error, rollout.steps.find((s) => s.error)?.error]).toEqual([
      'success',
      undefined,
      undefined
    ]);
    expect(outcome).toMatchObject({ env: 'success', deploy: 'success' });
    // migrate-command ran (and passed only because it saw the env).
    expect(rollout.steps.find((s) => s.id === 'deploy')!.log).toMatch(/migrate-command done in/);
    // The runner's copy: 0600, and removed by the last step.
    expect(runner).toMatchObject({ mode: 0o600, gone: true });
    // On the host: the release's .env, 0600, holding the value.
    const releases = join(stateDir, app, 'dev', 'releases');
    const ids = readdirSync(releases);
    expect(ids).toHaveLength(1);
    const envPath = join(releases, ids[0]!, '.env');
    expect((statSync(envPath).mode & 0o777).toString(8)).toBe('600');
    expect(readFileSync(envPath, 'utf8')).toContain(`APP_SECRET=${secretValue}`);
    // In the running app container (the db accessory has its own environment).
    const ids2 = containersUnder(stateDir).filter(
      (id) => docker('inspect', '-f', '{{ index .Config.Labels "com.docker.compose.service" }}', id) === 'app'
    );
    expect(ids2.length).toBeGreaterThan(0);
    for (const id of ids2)
      expect(docker('exec', id, 'sh', '-c', 'printf %s "$APP_SECRET"')).toBe(secretValue);
    expect(JSON.parse(await fetchText(`http://127.0.0.1:${port}/up`))).toMatchObject({ status: 'ok' });
    // No log of any step holds it.
    expect(logs(r)).not.toContain(secretValue);
    // The proxy variable reached the proxy's config.
    const conf = execFileSync('grep', ['-rh', 'client_max_body_size', join(stateDir, app, 'dev')], {
      encoding: 'utf8'
    });
    expect(conf).toContain('client_max_body_size 7m;');
  }, 900_000);

  test('an ENV_FILE missing a key of the template fails before a host is touched, naming the key', async () => {
    const before = readdirSync(join(stateDir, app, 'dev', 'releases'));
    const r = await run(`APP_SECRET=${secretValue}\n`, {});
    const rollout = flattenJobs(r).find((j) => j.id === 'rollout')!;
    const deploy = rollout.steps.find((s) => s.id === 'deploy')!;
    expect(r.conclusion).toBe('failure');
    expect(deploy.outcome).toBe('failure');
    expect(`${deploy.error ?? ''}\n${deploy.log}`).toMatch(
      /env-file.*misses key APP_MODE listed in env-template/
    );
    expect(readdirSync(join(stateDir, app, 'dev', 'releases'))).toEqual(before);
    expect(logs(r)).not.toContain(secretValue);
  }, 900_000);
});

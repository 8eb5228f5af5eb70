import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  TokenAuthority,
  runWorkflow,
  type JobResult,
  type SimOptions,
  type WorkflowResult
} from '../../packages/workflow-sim/src/index.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin.js';
import { startChatReceiver } from '../support/chat-receiver.js';
import { fieldHost, infra } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';

/**
 * The whole chain on the local infrastructure, driven through the workflow files themselves: the example
 * app repository (docs/examples/app-repo) pushes to main, its pipeline calls our reusable workflows
 * (release → deploy dev → promote staging → promote production). Then a release that passes its gate in
 * dev but fails its soak (the harness degrades its container once the deploy step is done) is rolled back
 * in the same job, keeps the `dev` tag on the previous digest and is never promoted; then a push that breaks
 * the app fails its gate, deploy-compose rolls back, and nothing is promoted. Every job gets a GITHUB_TOKEN
 * with only its declared permissions, which the GitHub stand-in enforces.
 * Used by test/e2e/chain.test.ts and by the README's main command (scripts/demo.sh).
 */
export const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;
type Env = (typeof ENVIRONMENTS)[number];
/**
 * Each environment's public port and two slot ports: a free block chosen per run, so two runs on one
 * machine (another helper's, CI's) never fight over a port.
 */
const PUBLIC_PORT: Record<Env, number> = { dev: 0, staging: 0, production: 0 };

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function choosePorts(): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 900) * 10;
    const ports = ENVIRONMENTS.flatMap((_, i) => [0, 1, 2].map((k) => base + i * 10 + k));
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) {
      ENVIRONMENTS.forEach((env, i) => (PUBLIC_PORT[env] = base + i * 10));
      return;
    }
  }
  throw new Error('no free block of ports for the chain on 127.0.0.1');
}

export interface ChainRun {
  push: string;
  result: WorkflowResult;
  serving: Record<Env, string>;
  /** The environment approvals this push asked for, as `environment (job)`. */
  approvals: string[];
  /** The digest each environment's image tag names after this push ('' when there is none). */
  tags: Record<Env, string>;
}

export interface ChainReport {
  runs: ChainRun[];
  standIn: {
    violations: number;
    faults: number;
    /** Requests answered 403 because a job's token lacked a permission. */
    forbidden: string[];
    requests: number;
    releases: string[];
    tags: string[];
    /** environment → the states of its deployments, oldest first, each as its statuses joined by '>'. */
    deployments: Record<string, string[]>;
  };
  approvals: string[];
  /** What the environments' notification webhooks received: `<environment> <format> <event>`. */
  notifications: string[];
  /** Payloads the receiver refused for missing what the chat service requires. */
  refusedNotifications: string[];
  /** What the deploy steps' logs say ran on the host: `docker compose 2.26.1-4 (v2)`, each once. */
  compose: string[];
  /**
   * Each environment's database file in its ./data (the stable data directory on the host): the version of each
   * release start, in order. Every release and rollback appends to the same file.
   */
  data: Record<Env, string[]>;
  markdown: string;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Ada Dev', '-c', 'user.email=ada@example.com', ...args], {
    cwd,
    encoding: 'utf8'
  }).trim();
}

/** GET a URL on 127.0.0.1; '' when nothing answers. */
export function fetchText(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('error', () => resolve(''));
    req.on('timeout', () => req.destroy());
  });
}

export async function serving(): Promise<Record<Env, string>> {
  const out = {} as Record<Env, string>;
  for (const env of ENVIRONMENTS) out[env] = await fetchText(`http://127.0.0.1:${PUBLIC_PORT[env]}/up`);
  return out;
}

/** Every job of a run, reusable-workflow calls flattened as `caller/job`. */
export function flattenJobs(result: WorkflowResult, prefix = ''): JobResult[] {
  return result.jobs.flatMap((j) =>
    j.called ? flattenJobs(j.called, `${prefix}${j.id}/`) : [{ ...j, id: `${prefix}${j.id}` }]
  );
}

export async function runChain(log: (line: string) => void = () => undefined): Promise<ChainReport> {
  const { registries, postgres } = infra();
  // The field path: host 1 as the field has it (a non-root deploy user, a slow login shell, a far link),
  // with its pinned known_hosts; the chain's state lives in a directory of its own under that user's home.
  const host = fieldHost(0);
  await choosePorts();
  const reg = registries[0]!;
  const suffix = `${Date.now().toString(36)}`;
  const image = `${reg.host}/e2e/shop-${suffix}`;
  const work = mkdtempSync(join(tmpdir(), 'deploy-actions-e2e-'));
  const app = join(work, 'shop');
  const stateRoot = join(host.stateDir, `fa-e2e-${suffix}`);
  const authority = new TokenAuthority();
  const standIn: GitHubStandIn = await startGitHubStandIn({ tokenScopes: (t) => authority.scopes(t) });
  // Each environment notifies in another chat format; dev is marked critical.
  const chat = await startChatReceiver();
  const NOTIFY: Record<Env, 'slack' | 'teams' | 'discord'> = {
    dev: 'slack',
    staging: 'teams',
    production: 'discord'
  };
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  const databases: string[] = [];
  const approvals: string[] = [];
  try {
    // The app repository: the documented example, with only the image repository pointed at the local registry.
    cpSync(join(REPO_ROOT, 'docs', 'examples', 'app-repo'), app, { recursive: true });
    const pipeline = join(app, '.github', 'workflows', 'deploy.yml');
    writeFileSync(pipeline, readFileSync(pipeline, 'utf8').replaceAll('ghcr.io/acme/shop', image));
    // The example's database stand-in (its db/ folder): the lab pulls no images, so the host's dockerd builds it.
    docker('build', '-q', '--network', 'host', '-t', 'deploy-actions/shop-db:latest', join(app, 'db'));
    git(app, 'init', '-q', '-b', 'main');
    git(app, 'add', '-A');
    git(app, 'commit', '-qm', 'feat: the shop, first release');

    const environments: NonNullable<SimOptions['environments']> = {};
    for (const env of ENVIRONMENTS) {
      const db = `da_e2e_${env}_${suffix}`;
      await admin.query(`CREATE DATABASE ${db}`);
      databases.push(db);
      const url = new URL(postgres.url);
      url.pathname = `/${db}`;
      const port = PUBLIC_PORT[env];
      environments[env] = {
        vars: {
          DEPLOY_HOSTS: host.host,
          DEPLOY_USER: host.user,
          DEPLOY_SSH_PORT: String(host.port),
          DEPLOY_STATE_DIR: join(stateRoot, env),
          PUBLIC_PORT: String(port),
          SLOT_PORTS: `${port + 1},${port + 2}`,
          PROXY_BIND: '127.0.0.1',
          ENVIRONMENT_URL: `http://127.0.0.1:${port}`,
          // A probe over SSH on a busy machine (other test suites share its 2 cores) can take more than 5 s.
          HEALTH_PROBE_TIMEOUT: '20s',
          NOTIFY_FORMAT: NOTIFY[env],
          ...(env === 'dev' ? { CRITICAL: 'true' } : {})
        },
        secrets: {
          SSH_KEY: readFileSync(host.keyPath, 'utf8'),
          KNOWN_HOSTS: readFileSync(host.knownHostsPath, 'utf8'),
          DATABASE_URL: url.toString(),
          NOTIFY_WEBHOOK_URL: `${chat.url}/${env}/${NOTIFY[env]}`
        }
      };
    }

    const push = async (label: string, degradeAfterDeploy = false): Promise<ChainRun> => {
      log(`\n## push: ${label}`);
      const sha = git(app, 'rev-parse', 'HEAD');
      const pushApprovals: string[] = [];
      const result = await runWorkflow('.github/workflows/deploy.yml', {
        root: REPO_ROOT,
        // The working tree's unreleased workflows (OWNER/…@main), as a development run; release tags and
        // SHAs resolve in git only (test/workflow-sim/strict.test.ts).
        refs: 'worktree',
        repo: app,
        workspace: app,
        // Each job's own token, with only the permissions its job declares (the stand-in answers 403 otherwise).
        mintToken: (permissions, job) => authority.mint(permissions, job),
        // The release passed its gate; now it degrades (as under real load), before the soak starts.
        afterStep: (job, step) => {
          if (!degradeAfterDeploy || !job.endsWith('deploy.yml#rollout') || step.id !== 'deploy') return;
          if (step.outcome !== 'success') return;
          for (const ref of Object.values(JSON.parse(step.outputs.digests || '{}') as Record<string, string>))
            for (const id of docker('ps', '-q', '--filter', `ancestor=${ref}`).split('\n').filter(Boolean)) {
              log(`  (harness) the release in container ${id} starts failing its health endpoint`);
              docker('exec', id, 'sed', '-i', 's/"ok"/"degraded"/', '/www/up');
            }
        },
        // The runner's own docker login (publish-registry logs out in its post step): never the machine's.
        env: { DOCKER_CONFIG: join(work, 'docker-config') },
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
        // The lab's dockerd has no default bridge: buildx's RUN steps need the host network.
        vars: { REGISTRY: reg.host, REGISTRY_USERNAME: reg.username, DEV_SOAK: '6s', BUILD_NETWORK: 'host' },
        secrets: { REGISTRY_PASSWORD: reg.password },
        environments,
        approve: (env, job) => {
          approvals.push(`${env} (${job})`);
          pushApprovals.push(`${env} (${job})`);
          log(`  environment ${env}: required reviewers approve (local stand-in for the protection rules)`);
          return true;
        },
        // actions/checkout with fetch-depth: 0 brings the tags GitHub has: the ones tag-release made.
        externalAction: (uses) => {
          if (!uses.startsWith('actions/checkout@')) return undefined;
          return (async () => {
            const repo = standIn.repo('acme/shop');
            for (const [ref, target] of repo.refs) {
              if (!ref.startsWith('refs/tags/')) continue;
              const commit = repo.tagObjects.get(target)?.object.sha ?? target;
              git(app, 'tag', '-f', ref.slice('refs/tags/'.length), commit);
            }
            return {};
          })();
        },
        log
      });
      const tags = {} as Record<Env, string>;
      for (const env of ENVIRONMENTS) tags[env] = await tagDigest(reg, image, env);
      return { push: label, result, serving: await serving(), approvals: pushApprovals, tags };
    };

    const runs = [await push('feat: the shop, first release')];
    // A release that passes its gate and then fails its soak in dev.
    const page = join(app, 'www', 'index.html');
    writeFileSync(page, readFileSync(page, 'utf8') + '\n<!-- a heavier page -->\n');
    git(app, 'commit', '-qam', 'fix: a heavier front page');
    runs.push(await push('fix: a heavier front page (passes its gate, fails its soak)', true));
    // A change that breaks the health endpoint, shipped like any other.
    const dockerfile = join(app, 'Dockerfile');
    writeFileSync(
      dockerfile,
      readFileSync(dockerfile, 'utf8').replace('ARG BROKEN=false', 'ARG BROKEN=true')
    );
    git(app, 'commit', '-qam', 'fix: report the health endpoint the new way');
    runs.push(await push('fix: report the health endpoint the new way (breaks /up)'));

    const repo = standIn.repo('acme/shop');
    const report: ChainReport = {
      runs,
      standIn: {
        violations: standIn.violations.length,
        faults: standIn.faults.length,
        forbidden: standIn.requests.filter((q) => q.status === 403).map((q) => `${q.method} ${q.path}`),
        requests: standIn.requests.length,
        releases: repo.releases.map((r) => r.tag_name),
        tags: [...repo.refs.keys()].filter((r) => r.startsWith('refs/tags/')).map((r) => r.slice(10)),
        deployments: {}
      },
      approvals,
      notifications: chat.got.map((g) => `${g.path.split('/')[2]} ${g.format} ${g.event}`),
      refusedNotifications: chat.refused,
      compose: composeSeen(runs),
      data: dataLines(stateRoot),
      markdown: ''
    };
    for (const d of repo.deployments)
      (report.standIn.deployments[d.environment] ??= []).push(d.statuses.map((st) => st.state).join('>'));
    report.markdown = renderReport(report);
    return report;
  } finally {
    await stopApps(stateRoot);
    for (const db of databases)
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await standIn.close();
    chat.server.close();
    rmSync(work, { recursive: true, force: true });
    rmSync(stateRoot, { recursive: true, force: true });
  }
}

/** The versions in each environment's database file (`<state-dir>/shop/<env>/data/data/releases.log`). */
function dataLines(stateRoot: string): Record<Env, string[]> {
  const out = {} as Record<Env, string[]>;
  for (const env of ENVIRONMENTS) {
    const file = join(stateRoot, env, 'shop', env, 'data', 'data', 'releases.log');
    out[env] = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' ')[1] ?? '')
      : [];
  }
  return out;
}

/** Run docker here (the field hosts share this dockerd). */
function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** The digest `<image>:<tag>` names in the registry ('' when the tag does not exist). */
function tagDigest(
  reg: { host: string; username: string; password: string },
  image: string,
  tag: string
): Promise<string> {
  const repo = image.slice(reg.host.length + 1);
  return new Promise((resolve) => {
    const req = get(
      `http://${reg.host}/v2/${repo}/manifests/${tag}`,
      {
        auth: `${reg.username}:${reg.password}`,
        headers: {
          accept: [
            'application/vnd.oci.image.index.v1+json',
            'application/vnd.oci.image.manifest.v1+json',
            'application/vnd.docker.distribution.manifest.list.v2+json',
            'application/vnd.docker.distribution.manifest.v2+json'
          ].join(', ')
        },
        timeout: 5000
      },
      (res: IncomingMessage) => {
        res.resume();
        resolve(res.statusCode === 200 ? String(res.headers['docker-content-digest'] ?? '') : '');
      }
    );
    req.on('error', () => resolve(''));
    req.on('timeout', () => req.destroy());
  });
}

/** Stop what the chain started under `work` on the host: its containers and its nginx proxies. */
async function stopApps(work: string): Promise<void> {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', 'label=com.docker.compose.project'], {
    encoding: 'utf8'
  })
    .split('\n')
    .filter(Boolean);
  for (const id of ids) {
    const dir = execFileSync(
      'docker',
      ['inspect', '-f', '{{ index .Config.Labels "com.docker.compose.project.working_dir" }}', id],
      {
        encoding: 'utf8'
      }
    ).trim();
    if (dir.startsWith(work)) execFileSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
  }
  // The example's networks, made by the deploy per app and environment: its `backend` and the shared
  // default one (a network in use by another run stays). The lab's dockerd has few address pools to spare.
  for (const env of ENVIRONMENTS)
    for (const net of [`shop-${env}_backend`, `shop-${env}`])
      try {
        execFileSync('docker', ['network', 'rm', net], { stdio: 'ignore' });
      } catch {
        /* absent, or in use */
      }
  try {
    const pids = execFileSync('pgrep', ['-f', `nginx.*${work}`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    for (const pid of pids) process.kill(Number(pid), 'SIGTERM');
  } catch {
    /* no proxy left */
  }
}

/** The compose each deploy, migrate and rollback step found on its host, from the step logs (`compose: …`). */
export function composeSeen(runs: readonly ChainRun[]): string[] {
  const seen = new Set<string>();
  for (const run of runs)
    for (const j of flattenJobs(run.result))
      for (const st of j.steps)
        for (const m of st.log.matchAll(/compose: (docker[ -]compose \S+ \(v[12]\)) on /g)) seen.add(m[1]!);
  return [...seen].sort();
}

export function renderReport(r: ChainReport): string {
  const lines = [
    '# deploy-actions: the chain, end to end',
    '',
    `Compose on the deploy host: ${r.compose.join(', ') || 'not found in the step logs'}`,
    '',
    "The database's file in each environment's ./data (one line per release start; rollbacks included):",
    '',
    ...Object.entries(r.data).map(([env, lines]) => `- ${env}: ${lines.join(' → ') || '(none)'}`),
    ''
  ];
  for (const run of r.runs) {
    lines.push(`## ${run.push}: ${run.result.conclusion}`, '', '| job | result | steps |', '|---|---|---|');
    for (const j of flattenJobs(run.result)) {
      const steps = j.steps
        .filter((s) => s.outcome !== 'skipped')
        .map(
          (s) =>
            `${s.outcome === 'success' ? '✓' : '✗'} ${s.id ?? s.name} ${(s.durationMs / 1000).toFixed(1)}s`
        )
        .join(', ');
      lines.push(
        `| ${j.id}${j.environment ? ` (${j.environment.name})` : ''} | ${j.result} | ${steps || j.error || ''} |`
      );
    }
    const failures = flattenJobs(run.result).flatMap((j) =>
      j.steps
        .filter((s) => s.error)
        .map((s) => `- ${j.id} › ${s.id ?? s.name}: ${s.error!.split('\n').slice(0, 4).join(' ')}`)
    );
    if (failures.length) lines.push('', 'What failed:', ...failures);
    lines.push('', 'Serving after this push (and the digest each environment tag names):', '');
    for (const [env, body] of Object.entries(run.serving))
      lines.push(`- ${env}: ${body || '(nothing)'}; tag ${run.tags[env as Env] || '(none)'}`);
    lines.push('', `Approvals asked: ${run.approvals.join(', ') || '(none)'}`);
    lines.push('');
  }
  lines.push(
    '## GitHub (local stand-in, every request checked against the OpenAPI description)',
    '',
    `- releases: ${r.standIn.releases.join(', ') || '(none)'}; tags: ${r.standIn.tags.join(', ')}`,
    `- ${r.standIn.requests} requests, ${r.standIn.violations} rejected by the OpenAPI check, ${r.standIn.forbidden.length} refused for a missing token permission`,
    ...Object.entries(r.standIn.deployments).map(
      ([env, states]) => `- deployments in ${env}: ${states.join(', ')}`
    ),
    `- environment approvals: ${r.approvals.join(', ')}`,
    '',
    '## Notifications (a local receiver checking each chat service format)',
    '',
    ...r.notifications.map((n) => `- ${n}`),
    ...r.refusedNotifications.map((n) => `- REFUSED: ${n}`)
  );
  return lines.join('\n') + '\n';
}

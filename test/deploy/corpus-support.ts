import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Executor } from '../../packages/core/src/index.js';
import { infra } from '../support/infra.js';
import { connectInfraHost } from '../support/connect.js';
import { REPO_ROOT } from '../support/paths.js';

/**
 * The compose corpus (../shared/compose-corpus beside the repository: awesome-compose apps, unmodified) and
 * what deploying them here needs: a checkout of each app (its files linked in place, plus the source folders the
 * corpus leaves out), stand-in images that listen where the real ones would, and the near host (root).
 */
export const CORPUS = process.env.DEPLOY_ACTIONS_CORPUS ?? findCorpus();

/** Beside the repository; from a linked git worktree, beside its main checkout. */
function findCorpus(): string {
  const beside = (root: string) => join(root, '..', 'shared', 'compose-corpus');
  if (existsSync(join(beside(REPO_ROOT), 'README.md'))) return beside(REPO_ROOT);
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore']
    }).trim();
    if (existsSync(join(beside(dirname(common)), 'README.md'))) return beside(dirname(common));
  } catch {
    /* not a git checkout */
  }
  return beside(REPO_ROOT);
}

export function corpusDir(): string {
  if (!existsSync(join(CORPUS, 'README.md')))
    throw new Error(
      `The compose corpus is missing: expected ${CORPUS} (the shared folder beside the repository, with the awesome-compose apps). Clone the repository next to a copy of shared/, or point DEPLOY_ACTIONS_CORPUS at the corpus.`
    );
  return CORPUS;
}

/** The web stand-in: busybox httpd on `port`, its version at `/`; it exits on TERM (PID 1 would ignore it). */
export const WEB_REPO = '127.0.0.1:5055/deploy/cf-corpus';
const WEB_DOCKERFILE = `FROM deploy-actions/busybox:latest
ARG VERSION=v1
ARG PORT=80
RUN mkdir -p /www && echo "$VERSION" > /www/index.html && echo "$PORT" > /port
ENTRYPOINT ["sh", "-c", "trap 'exit 0' TERM INT; httpd -f -p $(cat /port) -h /www & wait $!", "standin"]
`;

/**
 * The accessory stand-in (databases, caches, Prometheus), tagged to the names the compose files use: it checks
 * the files it is given (secrets, a Prometheus config) are readable by its user, answers `pg_isready` and
 * `mysqladmin ping` (only with a password read from its secret), and sleeps until TERM.
 */
const ACCESSORY_DOCKERFILE = `FROM deploy-actions/busybox:latest
RUN echo 'postgres:x:999:999::/tmp:/bin/sh' >> /etc/passwd && echo 'postgres:x:999:' >> /etc/group \\
 && printf '#!/bin/sh\\nexit 0\\n' > /bin/pg_isready \\
 && printf '#!/bin/sh\\nfor a in "$@"; do case "$a" in --password=?*) exit 0;; esac; done\\nexit 1\\n' > /bin/mysqladmin \\
 && chmod 755 /bin/pg_isready /bin/mysqladmin
COPY entry.sh /entry.sh
ENTRYPOINT ["sh", "/entry.sh"]
`;
const ACCESSORY_ENTRY = `for f in "$POSTGRES_PASSWORD_FILE" "$MYSQL_ROOT_PASSWORD_FILE"; do
  [ -z "$f" ] || [ -s "$f" ] || { echo "cannot read $f" >&2; exit 3; }
done
for a in "$@"; do case "$a" in --config.file=*) [ -r "\${a#*=}" ] || { echo "cannot read \${a#*=}" >&2; exit 3; };; esac; done
trap 'exit 0' TERM INT
while :; do sleep 1 & wait $!; done
`;
export const ACCESSORY_TAGS = [
  'postgres:alpine',
  'postgres:latest',
  'mariadb:10-focal',
  'mariadb:10.6.4-focal',
  'mongo:4.2.0',
  'redislabs/redismod:latest',
  'prom/prometheus:latest'
];

export function webImage(port: number, version: string): string {
  return `${WEB_REPO}:${port}-${version}`;
}

let built = false;
/** Build (and push, for the release services) the stand-ins once per process: a few layers on busybox. */
export function buildStandIns(ports: readonly number[]): void {
  if (built) return;
  const reg = infra().registries[0]!;
  const dir = mkdtempSync('/tmp/cf-corpus-img-');
  const env = { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') };
  const run = (args: string[], input?: string) =>
    execFileSync('docker', args, { env, input, stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
  try {
    run(['login', reg.host, '--username', reg.username, '--password-stdin'], reg.password);
    writeFileSync(join(dir, 'Dockerfile'), WEB_DOCKERFILE);
    for (const port of ports)
      for (const v of ['v1', 'v2']) {
        const tag = webImage(port, v);
        run([
          'build',
          '-q',
          '--network',
          'host',
          '--build-arg',
          `VERSION=${v}`,
          '--build-arg',
          `PORT=${port}`,
          '-t',
          tag,
          dir
        ]);
        run(['push', '-q', tag]);
      }
    const acc = join(dir, 'accessory');
    mkdirSync(acc);
    writeFileSync(join(acc, 'Dockerfile'), ACCESSORY_DOCKERFILE);
    writeFileSync(join(acc, 'entry.sh'), ACCESSORY_ENTRY);
    run(['build', '-q', '--network', 'host', '-t', 'deploy-actions/cf-corpus-accessory:latest', acc]);
    for (const t of ACCESSORY_TAGS) run(['tag', 'deploy-actions/cf-corpus-accessory:latest', t]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  built = true;
}

/**
 * A checkout of a corpus app: its files linked from the corpus (read in place), and the source folders a real
 * checkout would have (the corpus leaves application source out).
 */
export function checkout(app: string, sources: readonly string[], into: string): string {
  const from = join(corpusDir(), app);
  const dir = join(into, app);
  mkdirSync(dir, { recursive: true });
  for (const e of readdirSync(from)) symlinkSync(join(from, e), join(dir, e));
  for (const s of sources) {
    mkdirSync(join(dir, s), { recursive: true });
    writeFileSync(join(dir, s, 'README'), `source of ${app}/${s} (left out of the corpus)\n`);
  }
  return dir;
}

/** The near host: root's sshd on 127.0.0.1:2222 (Compose v2), on the runner's dockerd. */
export function nearHost(): (host: string) => Promise<Executor> {
  const ssh = infra().ssh;
  return () => connectInfraHost(ssh);
}

function docker(args: string[]): string {
  try {
    return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Remove what an app left: its containers (slots, accessories), networks, volumes, proxy and state. */
export function cleanupApp(stateDir: string, app: string, env = 'test'): void {
  const base = `${app}-${env}`;
  for (const p of [base, `${base}-blue`, `${base}-green`, `${base}-accessories`]) {
    const ids = docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${p}`]);
    if (ids) docker(['rm', '-f', ...ids.split('\n')]);
  }
  const nets = docker(['network', 'ls', '-q', '--filter', `name=^${base}`]);
  if (nets) docker(['network', 'rm', ...nets.split('\n')]);
  const vols = docker(['volume', 'ls', '-q', '--filter', `name=^${base}_`]);
  if (vols) docker(['volume', 'rm', '-f', ...vols.split('\n')]);
  const pid = join(stateDir, app, env, 'proxy', 'nginx.pid');
  if (existsSync(pid))
    try {
      process.kill(Number(readFileSync(pid, 'utf8').trim()), 'SIGTERM');
    } catch {
      /* gone */
    }
  rmSync(join(stateDir, app), { recursive: true, force: true });
}

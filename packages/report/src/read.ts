import { LocalExecutor, describeError, type Executor, type Logger } from '../../core/src/index.js';
import { environmentSlug, historyAppendArgv, layout } from '../../deploy/src/index.js';
import { SshExecutor } from '../../ssh/src/index.js';
import type { Commit, HostReading } from './dora.js';
import { parseHistory } from './history.js';

export interface HostConnection {
  host: string;
  port?: number;
  user: string;
  privateKey: string;
  knownHosts: string;
}

/** argv: the app's history on a host, whole (the engine's layout owns the path). */
export function historyReadArgv(stateDir: string, app: string, environment: string): string[] {
  return ['cat', '--', layout(stateDir, app, environmentSlug(environment)).history];
}

/** argv: the host's clock, for skew. */
export const clockArgv = (): string[] => ['date', '-u', '+%s.%N'];

/**
 * One host's history for one environment, and how far its clock is from ours (measured around one command,
 * against the midpoint of its round trip). A host that cannot be reached or has no history becomes a
 * reading with an error: the report says so and speaks of the others.
 */
export async function readHost(
  exec: Executor,
  name: string,
  stateDir: string,
  app: string,
  environment: string
): Promise<HostReading> {
  try {
    const sent = Date.now();
    const clock = await exec.run({ argv: clockArgv(), check: false, timeoutMs: 30_000 });
    const back = Date.now();
    const history = await exec.run({
      argv: historyReadArgv(stateDir, app, environment),
      check: false,
      timeoutMs: 120_000
    });
    if (history.exitCode !== 0)
      return {
        host: name,
        lines: [],
        torn: 0,
        error: /No such file/.test(history.stderr)
          ? `no history for ${app} in ${environment} under ${stateDir}`
          : history.stderr.trim().split('\n')[0] || `cat exited ${history.exitCode}`
      };
    const hostNow = Number(clock.stdout.trim()) * 1000;
    const skew = Number.isFinite(hostNow) ? (hostNow - (sent + back) / 2) / 1000 : undefined;
    return { ...parseHistory(name, history.stdout), ...(skew === undefined ? {} : { skewSeconds: skew }) };
  } catch (err) {
    return { host: name, lines: [], torn: 0, error: describeError(err).split('\n')[0]! };
  }
}

/** Run `work` on each host over its own pinned connection; a host that fails yields its error. */
export async function eachHost<T>(
  connections: readonly HostConnection[],
  logger: Logger,
  work: (exec: Executor, name: string) => Promise<T>,
  failed: (name: string, error: string) => T
): Promise<T[]> {
  return Promise.all(
    connections.map(async (c) => {
      const name = c.port && c.port !== 22 ? `${c.host}:${c.port}` : c.host;
      let exec: SshExecutor | undefined;
      try {
        exec = await SshExecutor.connect({
          host: c.host,
          ...(c.port ? { port: c.port } : {}),
          user: c.user,
          privateKey: c.privateKey,
          knownHosts: c.knownHosts,
          logger,
          connectAttempts: 1
        });
        return await work(exec, name);
      } catch (err) {
        return failed(name, describeError(err).split('\n')[0]!);
      } finally {
        await exec?.close();
      }
    })
  );
}

export function readHosts(
  connections: readonly HostConnection[],
  stateDir: string,
  app: string,
  environment: string,
  logger: Logger
): Promise<HostReading[]> {
  return eachHost(
    connections,
    logger,
    (exec, name) => readHost(exec, name, stateDir, app, environment),
    (host, error) => ({ host, lines: [], torn: 0, error })
  );
}

/**
 * Append one line (an `incident.opened` from a pager, say) to the app's history on every host, in one write
 * that closes a torn last line first, as the engine appends. Returns each host's error, or null.
 */
export function appendToHistories(
  connections: readonly HostConnection[],
  stateDir: string,
  app: string,
  environment: string,
  line: (host: string) => Record<string, unknown>,
  logger: Logger
): Promise<{ host: string; error: string | null }[]> {
  const path = layout(stateDir, app, environmentSlug(environment)).history;
  return eachHost<{ host: string; error: string | null }>(
    connections,
    logger,
    async (exec, host) => {
      const root = path.slice(0, path.lastIndexOf('/'));
      const there = await exec.run({ argv: ['test', '-d', root], check: false, timeoutMs: 30_000 });
      if (there.exitCode !== 0)
        throw new Error(
          `${app} was never deployed to ${environment} here (no ${root}): check --app, --environment and --state-dir`
        );
      await exec.run({
        argv: historyAppendArgv(path),
        stdin: JSON.stringify(line(host)) + '\n',
        timeoutMs: 30_000
      });
      return { host, error: null };
    },
    (host, error) => ({ host, error })
  );
}

/** argv: a version's commit, as a tag or any ref git knows. */
export const revParseArgv = (repo: string, ref: string): string[] => [
  'git',
  '-C',
  repo,
  'rev-parse',
  '--verify',
  '--quiet',
  '--end-of-options',
  `${ref}^{commit}`
];

/** argv: the commits in (from, to], with their committer time. */
export const commitsArgv = (repo: string, to: string, from?: string): string[] => [
  'git',
  '-C',
  repo,
  'log',
  '--format=%H %ct',
  '--end-of-options',
  from ? `${from}..${to}` : to
];

/**
 * The commits each served version brought: the tag range from the version that served before it (in the
 * order versions first served) to it. A version no ref names (a short SHA that is gone, a tag not fetched)
 * brings none, and the caller says so.
 */
export async function commitsByVersion(
  repo: string,
  versions: readonly string[],
  exec: Executor = new LocalExecutor()
): Promise<{ commits: Map<string, Commit[]>; unknown: string[] }> {
  const commits = new Map<string, Commit[]>();
  const unknown: string[] = [];
  let previous: string | undefined;
  for (const version of versions) {
    let sha: string | undefined;
    for (const ref of version.startsWith('v') ? [version] : [version, `v${version}`]) {
      const r = await exec.run({ argv: revParseArgv(repo, ref), check: false });
      if (r.exitCode === 0) {
        sha = r.stdout.trim();
        break;
      }
    }
    if (!sha) {
      unknown.push(version);
      continue;
    }
    const log = await exec.run({ argv: commitsArgv(repo, sha, previous) });
    commits.set(
      version,
      log.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [h, t] = l.split(' ');
          return { sha: h!, time: Number(t) * 1000 };
        })
    );
    previous = sha;
  }
  return { commits, unknown };
}

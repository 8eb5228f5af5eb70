import type { Command, Executor } from '../../core/src/index.js';
import type { Commit } from './conventional.js';

/**
 * git as data: pure argv builders (unit-tested by their argv), and small readers that run them through
 * the Executor and parse the output. Nothing here writes to the repository.
 */
const RS = '\x1e';
const US = '\x1f';

export const gitArgv = {
  isShallow: (): string[] => ['git', 'rev-parse', '--is-shallow-repository'],
  resolveCommit: (rev: string): string[] => ['git', 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`],
  /** Tags starting with `prefix` whose commit is reachable from `target` (git describe's candidates). */
  mergedTags: (target: string, prefix: string): string[] => [
    'git',
    'tag',
    '--no-column',
    '--list',
    `${prefix}*`,
    '--merged',
    target
  ],
  /** `tag<US>commit-it-points-to` per line, for every tag with the prefix. */
  tagCommits: (prefix: string): string[] => [
    'git',
    'for-each-ref',
    `--format=%(refname:strip=2)${US}%(if)%(*objectname)%(then)%(*objectname)%(else)%(objectname)%(end)`,
    `refs/tags/${prefix}*`
  ],
  /** Every commit in `from..target` (or all of target's history), newest first, raw messages. */
  log: (target: string, from?: string): string[] => [
    'git',
    'log',
    // a user's log.showSignature would interleave gpg output with the messages
    '--no-show-signature',
    `--format=${RS}%H${US}%B`,
    from ? `${from}..${target}` : target,
    '--'
  ],
  commitDate: (sha: string): string[] => ['git', 'show', '-s', '--format=%cI', sha]
};

export async function git(executor: Executor, cwd: string, argv: string[], check = true) {
  const cmd: Command = { argv, cwd, check, step: `git ${argv[1]}`, timeoutMs: 120_000 };
  return executor.run(cmd);
}

export function parseLog(stdout: string): Commit[] {
  return stdout
    .split(RS)
    .filter((r) => r.includes(US))
    .map((r) => {
      const i = r.indexOf(US);
      return { sha: r.slice(0, i).trim(), message: r.slice(i + 1).trim() };
    });
}

export function parseLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

export function parseTagCommits(stdout: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of parseLines(stdout)) {
    const [tag, sha] = line.split(US);
    if (tag && sha) map.set(tag, sha);
  }
  return map;
}

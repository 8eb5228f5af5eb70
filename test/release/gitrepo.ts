import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real git repositories with real histories for the release tests. Dates are fixed and advance one
 * minute per commit, so shas and changelog dates are the same on every run.
 */
export class GitRepo {
  private tick = 0;
  private files = 0;
  constructor(readonly dir: string) {}

  static create(prefix = 'release-'): GitRepo {
    const repo = new GitRepo(mkdtempSync(join(tmpdir(), prefix)));
    repo.git('init', '-q', '-b', 'main');
    repo.git('config', 'user.name', 'Release Tester');
    repo.git('config', 'user.email', 'release@example.com');
    repo.git('config', 'commit.gpgsign', 'false');
    repo.git('config', 'tag.gpgsign', 'false');
    return repo;
  }

  git(...args: string[]): string {
    const date = new Date(Date.UTC(2026, 10, 1) + this.tick * 60_000).toISOString();
    return execFileSync('git', args, {
      cwd: this.dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null'
      },
      stdio: ['ignore', 'pipe', 'pipe']
    }).trim();
  }

  /** A commit touching a new file; returns its sha. */
  commit(message: string): string {
    this.tick++;
    writeFileSync(join(this.dir, `f${++this.files}.txt`), `${message}\n`);
    this.git('add', '-A');
    this.git('commit', '-q', '-m', message);
    return this.head();
  }

  head(): string {
    return this.git('rev-parse', 'HEAD');
  }

  tag(name: string, options: { annotated?: boolean; at?: string } = {}): void {
    this.tick++;
    if (options.annotated === false) this.git('tag', name, options.at ?? 'HEAD');
    else this.git('tag', '-a', name, '-m', `release ${name}`, options.at ?? 'HEAD');
  }

  branch(name: string, from = 'HEAD'): void {
    this.git('checkout', '-q', '-b', name, from);
  }

  checkout(name: string): void {
    this.git('checkout', '-q', name);
  }

  merge(branch: string, message = `Merge branch '${branch}'`): string {
    this.tick++;
    this.git('merge', '-q', '--no-ff', '-m', message, branch);
    return this.head();
  }

  revert(sha: string): string {
    this.tick++;
    this.git('revert', '--no-edit', sha);
    return this.head();
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

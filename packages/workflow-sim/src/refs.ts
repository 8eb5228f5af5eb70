import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * How GitHub resolves `uses: <owner>/deploy-actions/<path>@<ref>`: a full 40-character commit SHA, else a
 * tag, else a branch; anything else fails the job ("Unable to resolve action"). The code that runs is the
 * repository at that commit, not a working tree. `OWNER` is the placeholder our unreleased workflows carry
 * (a release pins it, scripts/pin-workflows.ts): GitHub has no such repository, so it fails too.
 */
export interface OwnUses {
  owner: string;
  /** The path inside the repository: an action folder or `.github/workflows/<file>`. */
  path: string;
  ref: string;
}

const OWN = /^([\w.-]+)\/deploy-actions\/([^@\s]+)@([\w./-]+)$/;

export function parseOwnUses(uses: string): OwnUses | undefined {
  const m = OWN.exec(uses.trim());
  return m ? { owner: m[1]!, path: m[2]!, ref: m[3]! } : undefined;
}

export interface ResolvedRef {
  commit: string;
  kind: 'sha' | 'tag' | 'branch';
  /** The folder standing for the simulator's root at that commit. */
  dir: string;
}

/** Resolves refs in the git repository holding `root` and extracts each commit's tree once. */
export class RefTrees {
  private readonly top: string;
  private readonly prefix: string;
  private readonly trees = new Map<string, string>();
  private store: string | undefined;

  constructor(private readonly root: string) {
    try {
      this.top = this.git(root, 'rev-parse', '--show-toplevel');
      this.prefix = this.git(root, 'rev-parse', '--show-prefix');
    } catch {
      throw new Error(
        `${root} is not in a git repository: the simulator resolves uses: …@<ref> in git (or pass refs: 'worktree')`
      );
    }
  }

  private git(cwd: string, ...args: string[]): string {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }

  private commitOf(name: string): string | undefined {
    try {
      return this.git(this.top, 'rev-parse', '--verify', '-q', `${name}^{commit}`);
    } catch {
      return undefined;
    }
  }

  resolve(uses: string, ref: string): ResolvedRef {
    let commit: string | undefined;
    let kind: ResolvedRef['kind'] = 'sha';
    if (/^[0-9a-f]{40}$/.test(ref)) commit = this.commitOf(ref);
    if (!commit) [commit, kind] = [this.commitOf(`refs/tags/${ref}`), 'tag'];
    if (!commit) [commit, kind] = [this.commitOf(`refs/heads/${ref}`), 'branch'];
    if (!commit)
      throw new Error(
        `Unable to resolve action \`${uses}\`: '${ref}' is not a commit SHA, a tag or a branch of the repository`
      );
    let tree = this.trees.get(commit);
    if (!tree) {
      this.store ??= mkdtempSync(join(tmpdir(), 'da-sim-refs-'));
      tree = join(this.store, commit);
      if (!existsSync(tree)) {
        mkdirSync(tree);
        const archive = execFileSync('git', ['archive', '--format=tar', commit], {
          cwd: this.top,
          maxBuffer: 1 << 30
        });
        execFileSync('tar', ['-x', '-C', tree], { input: archive });
      }
      this.trees.set(commit, tree);
    }
    return { commit, kind, dir: join(tree, this.prefix) };
  }
}

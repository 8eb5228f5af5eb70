import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pinWorkflowText, referencesTo } from '../../packages/contract/src/index.js';
import {
  DEFAULT_PERMISSIONS,
  TokenAuthority,
  runWorkflow,
  type WorkflowResult
} from '../../packages/workflow-sim/src/index.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin.js';
import { REPO_ROOT } from '../support/paths.js';

const REPOSITORY = 'acme/deploy-actions';

describe('pinning the workflow references', () => {
  const sha = 'a'.repeat(40);
  test('every reference to our actions and workflows gets the repository and the commit, nothing else', () => {
    const text = [
      '# OWNER/deploy-actions/x@main in a comment stays',
      '      - uses: actions/checkout@v4',
      '      - uses: OWNER/deploy-actions/deploy-compose@main',
      "        uses: 'org/deploy-actions/.github/workflows/deploy.yml@v1' # the call",
      '      - uses: ./tag-release'
    ].join('\n');
    const { text: out, pinned } = pinWorkflowText(text, REPOSITORY, sha);
    expect(out.split('\n')).toEqual([
      '# OWNER/deploy-actions/x@main in a comment stays',
      '      - uses: actions/checkout@v4',
      `      - uses: acme/deploy-actions/deploy-compose@${sha}`,
      `        uses: 'acme/deploy-actions/.github/workflows/deploy.yml@${sha}' # the call`,
      '      - uses: ./tag-release'
    ]);
    expect(pinned.map((p) => p.line)).toEqual([3, 4]);
    expect(referencesTo(out, REPOSITORY)).toEqual([
      { path: 'deploy-compose', ref: sha },
      { path: '.github/workflows/deploy.yml', ref: sha }
    ]);
  });

  test('refuses what is not a repository or a full SHA', () => {
    expect(() => pinWorkflowText('', 'acme', sha)).toThrow(/owner/);
    expect(() => pinWorkflowText('', REPOSITORY, 'main')).toThrow(/full commit SHA/);
  });
});

/**
 * The self-release on a stand-in repository: a copy of this repository in a local git repository with a
 * bare `origin`, GitHub's API from the stand-in, release-self.yml run by the simulator (npm ci and the dist
 * check are the only steps stood in for: both need nothing this test looks at). Released twice, so the second
 * release must find the first one's tag through the release commit.
 */
describe('the self-release pins the workflows of each release to the action code it ships', () => {
  let work: string;
  let clone: string;
  let origin: string;
  let standIn: GitHubStandIn;
  const authority = new TokenAuthority();
  const releaseToken = authority.mint({ ...DEFAULT_PERMISSIONS, contents: 'write' }, 'RELEASE_TOKEN');
  const runs: WorkflowResult[] = [];
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Rel Bot', '-c', 'user.email=rel@example.com', ...args], {
      cwd,
      encoding: 'utf8'
    }).trim();

  const release = async () => {
    const sha = git(clone, 'rev-parse', 'HEAD');
    const result = await runWorkflow('.github/workflows/release-self.yml', {
      root: clone,
      workspace: clone,
      github: { repository: REPOSITORY, sha, event_name: 'push', api_url: standIn.url, actor: 'rel' },
      mintToken: (p, job) => authority.mint(p, job),
      // No git identity comes from here: a hosted runner has none, so the workflow must set its own.
      // The release token: what a fine-grained token with contents: write (and workflows: write) may do.
      secrets: { RELEASE_TOKEN: releaseToken },
      stubRun: (name) => (name === 'install' || name.startsWith('dist/') ? {} : undefined),
      externalAction: (uses) => {
        if (uses.startsWith('actions/setup-node@')) return Promise.resolve({});
        if (!uses.startsWith('actions/checkout@')) return undefined;
        // fetch-depth: 0 brings the tags GitHub has.
        const repo = standIn.repo(REPOSITORY);
        for (const [ref, target] of repo.refs)
          if (ref.startsWith('refs/tags/'))
            git(clone, 'tag', '-f', ref.slice(10), repo.tagObjects.get(target)?.object.sha ?? target);
        return Promise.resolve({});
      }
    });
    runs.push(result);
    return result;
  };
  const tagCommit = (tag: string): string => {
    const repo = standIn.repo(REPOSITORY);
    const target = repo.refs.get(`refs/tags/${tag}`)!;
    return repo.tagObjects.get(target)?.object.sha ?? target;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'da-release-pin-'));
    clone = join(work, 'deploy-actions');
    origin = join(work, 'origin.git');
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
      cwd: REPO_ROOT,
      encoding: 'utf8'
    })
      .split('\n')
      .filter((f) => f && !f.startsWith('test/') && !f.startsWith('bench/'));
    for (const f of files) {
      mkdirSync(dirname(join(clone, f)), { recursive: true });
      cpSync(join(REPO_ROOT, f), join(clone, f));
    }
    git(work, 'init', '-q', '--bare', origin);
    git(clone, 'init', '-q', '-b', 'main');
    git(clone, 'add', '-A');
    git(clone, 'commit', '-qm', 'feat: the deploy actions');
    // For `npx tsx` in the release job (ignored by git: not part of the release).
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
    git(clone, 'remote', 'add', 'origin', origin);
    git(clone, 'push', '-q', 'origin', 'main');
    standIn = await startGitHubStandIn({ tokenScopes: (t) => authority.scopes(t) });
    await release();
    // A change to one action's code, then the next release.
    const yml = join(clone, 'health-gate', 'action.yml');
    writeFileSync(yml, readFileSync(yml, 'utf8').replace("name: '", "name: 'v2 "));
    git(clone, 'commit', '-qam', 'fix(health-gate): a clearer name');
    git(clone, 'push', '-q', 'origin', 'main');
    await release();
  }, 180_000);
  afterAll(async () => {
    await standIn?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('both runs release, the second one as the next patch version (the first tag was found)', () => {
    const errors = runs.flatMap((r) =>
      r.jobs.flatMap((j) => j.steps.filter((s) => s.error).map((s) => `${s.name}: ${s.error}`))
    );
    expect(errors).toEqual([]);
    expect(runs.map((r) => r.conclusion)).toEqual(['success', 'success']);
    expect(standIn.repo(REPOSITORY).releases.map((r) => r.tag_name)).toEqual(['v1.0.0', 'v1.0.1']);
    expect(standIn.violations).toEqual([]);
    // The floating major tag follows the release commit.
    expect(tagCommit('v1')).toBe(tagCommit('v1.0.1'));
  });

  test.each(['v1.0.0', 'v1.0.1'])(
    '%s: every action reference in its workflows resolves, in origin, to the same action code as the tag',
    (tag) => {
      const released = tagCommit(tag);
      // The release commit is on origin, and its first parent is the main commit it releases.
      git(origin, 'cat-file', '-e', `${released}^{commit}`);
      const main = git(clone, 'rev-parse', `${released}^1`);
      const workflows = git(clone, 'ls-tree', '--name-only', `${released}:.github/workflows`).split('\n');
      let checked = 0;
      for (const wf of workflows) {
        const text = git(clone, 'show', `${released}:.github/workflows/${wf}`);
        expect(text).not.toMatch(/^\s*(-\s+)?uses:\s*\S*(OWNER|org)\/deploy-actions\//m);
        for (const ref of referencesTo(text, REPOSITORY)) {
          expect(ref.ref).toBe(main);
          git(origin, 'cat-file', '-e', `${ref.ref}^{commit}`);
          const action = ref.path.split('/')[0]!;
          for (const path of ref.path.startsWith('.github/') ? [ref.path] : [action, `dist/${action}`])
            expect(git(origin, 'rev-parse', `${ref.ref}:${path}`)).toBe(
              git(clone, 'rev-parse', `${released}:${path}`)
            );
          checked++;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(10);
    }
  );

  test('without RELEASE_APP_ID and RELEASE_APP_KEY, or RELEASE_TOKEN, the first step fails, naming them', async () => {
    const r = await runWorkflow('.github/workflows/release-self.yml', {
      root: clone,
      workspace: clone,
      github: { repository: REPOSITORY, event_name: 'push', api_url: standIn.url },
      mintToken: (p, job) => authority.mint(p, job)
    });
    const [first, ...rest] = r.jobs[0]!.steps;
    expect(first!.outcome).toBe('failure');
    expect(first!.log).toMatch(/RELEASE_APP_ID and RELEASE_APP_KEY .*or RELEASE_TOKEN/);
    expect(rest.map((s) => s.outcome)).toEqual(rest.map(() => 'skipped'));
  });

  test('the second release ships the changed action: its workflows point at the new code', () => {
    const [first, second] = [tagCommit('v1.0.0'), tagCommit('v1.0.1')];
    expect(git(clone, 'rev-parse', `${first}:health-gate`)).not.toBe(
      git(clone, 'rev-parse', `${second}:health-gate`)
    );
    // The second release commit merges the first, so the changelog starts there.
    expect(git(clone, 'rev-list', '--parents', '-n', '1', second).split(' ')).toContain(first);
  });
});

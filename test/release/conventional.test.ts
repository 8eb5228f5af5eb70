import semver from 'semver';
import {
  cancelReverts,
  floatingTagsFor,
  gitArgv,
  nextVersion,
  parseCommit,
  parseLog,
  parseTags,
  rangeBump,
  renderChangelog
} from '../../packages/release/src/index.js';
import { githubError } from '../../packages/github/src/index.js';

const c = (message: string, sha = 'a'.repeat(40)) => parseCommit({ sha, message });

describe('Conventional Commits', () => {
  it('reads type, scope, subject and the breaking marks', () => {
    expect(c('feat(api): add search')).toMatchObject({
      type: 'feat',
      scope: 'api',
      subject: 'add search',
      breaking: false
    });
    expect(c('Fix: case-insensitive type')).toMatchObject({ type: 'fix' });
    expect(c('feat(api)!: drop v1')).toMatchObject({ breaking: true, breakingNotes: ['drop v1'] });
    expect(c('chore!: drop node 18')).toMatchObject({ type: 'chore', breaking: true });
    expect(
      c('fix: a\n\nbody text\n\nBREAKING CHANGE: the config moved\nto config.yml\nRefs: #12')
    ).toMatchObject({
      breaking: true,
      breakingNotes: ['the config moved to config.yml']
    });
    expect(c('fix: a\n\nBREAKING-CHANGE: renamed')).toMatchObject({
      breaking: true,
      breakingNotes: ['renamed']
    });
    // the footer token is case-sensitive, and a token in the subject line is not a footer
    expect(c('fix: a\n\nbreaking change: not a footer').breaking).toBe(false);
    expect(c('BREAKING CHANGE: subject only').breaking).toBe(false);
    expect(c('Merge pull request #3 from acme/feat')).toMatchObject({ type: '', breaking: false });
    expect(c('feat:no space')).toMatchObject({ type: '' });
  });

  it('maps commits to bumps; below 1.0.0 breaking is minor', () => {
    const bump = (msgs: string[], major = 1) =>
      rangeBump(
        msgs.map((m) => c(m)),
        major
      );
    expect(bump(['docs: a', 'chore: b', 'style: c', 'refactor: d', 'test: e', 'Update x'])).toBe('none');
    expect(bump(['docs: a', 'fix: b'])).toBe('patch');
    expect(bump(['perf: a'])).toBe('patch');
    expect(bump(['fix: a', 'feat: b'])).toBe('minor');
    expect(bump(['feat: a', 'refactor!: b'])).toBe('major');
    expect(bump(['feat: a', 'refactor!: b'], 0)).toBe('minor');
  });

  it('cancels a revert and its target inside one range, and a revert of the revert restores it', () => {
    const feat = c('feat: x', '1'.repeat(40));
    const rev = c(`Revert "feat: x"\n\nThis reverts commit ${'1'.repeat(40)}.`, '2'.repeat(40));
    expect(rev).toMatchObject({ type: 'revert', subject: 'feat: x', reverts: '1'.repeat(40) });
    expect(cancelReverts([rev, feat])).toEqual([]);
    const reapply = c(`Revert "Revert "feat: x""\n\nThis reverts commit ${'2'.repeat(40)}.`, '3'.repeat(40));
    expect(cancelReverts([reapply, rev, feat]).map((x) => x.sha)).toEqual(['1'.repeat(40)]);
  });
});

describe('git argv (commands are data)', () => {
  it('builds every git call as argv, the prefix as a glob and never a shell string', () => {
    expect(gitArgv.isShallow()).toEqual(['git', 'rev-parse', '--is-shallow-repository']);
    expect(gitArgv.resolveCommit('main')).toEqual([
      'git',
      'rev-parse',
      '--verify',
      '--quiet',
      'main^{commit}'
    ]);
    expect(gitArgv.mergedTags('abc', 'v')).toEqual([
      'git',
      'tag',
      '--no-column',
      '--list',
      'v*',
      '--merged',
      'abc'
    ]);
    expect(gitArgv.tagCommits('app-v')).toEqual([
      'git',
      'for-each-ref',
      '--format=%(refname:strip=2)\x1f%(if)%(*objectname)%(then)%(*objectname)%(else)%(objectname)%(end)',
      'refs/tags/app-v*'
    ]);
    expect(gitArgv.log('abc', 'v1.0.0')).toEqual([
      'git',
      'log',
      '--no-show-signature',
      '--format=\x1e%H\x1f%B',
      'v1.0.0..abc',
      '--'
    ]);
    expect(gitArgv.log('abc')).toEqual([
      'git',
      'log',
      '--no-show-signature',
      '--format=\x1e%H\x1f%B',
      'abc',
      '--'
    ]);
  });

  it('parses the log records, multi-line bodies included', () => {
    const out = `\x1e${'a'.repeat(40)}\x1ffeat: x\n\nbody\n\n\x1e${'b'.repeat(40)}\x1ffix: y\n`;
    expect(parseLog(out)).toEqual([
      { sha: 'a'.repeat(40), message: 'feat: x\n\nbody' },
      { sha: 'b'.repeat(40), message: 'fix: y' }
    ]);
  });
});

describe('versions', () => {
  const tags = (...names: string[]) => parseTags(names, 'v').versions;

  it('accepts exactly <prefix><semver>', () => {
    const r = parseTags(
      ['v1.2.3', 'v1.2.3-rc.1', 'v1', 'v1.2', 'v01.2.3', 'v1.2.3.4', 'vnext', 'x1.0.0'],
      'v'
    );
    expect(r.versions.map((t) => t.tag)).toEqual(['v1.2.3', 'v1.2.3-rc.1']);
    expect(r.ignored).toEqual(['v01.2.3', 'v1.2.3.4', 'vnext']);
  });

  it('counts a channel over every tag of the repository, not only reachable ones', () => {
    const all = tags('v1.2.0', 'v1.3.0-rc.0', 'v1.3.0-rc.1', 'v1.3.0-beta.4');
    const n = nextVersion({
      reachable: tags('v1.2.0'),
      all,
      bump: 'minor',
      releasableSinceLastTag: true,
      initialVersion: '1.0.0',
      prerelease: 'rc'
    });
    expect(n).toMatchObject({ released: true, version: '1.3.0-rc.2' });
  });

  it('release-as with a channel counts that version up', () => {
    const n = nextVersion({
      reachable: tags('v1.2.0'),
      all: tags('v1.2.0', 'v2.0.0-rc.0'),
      bump: 'none',
      releasableSinceLastTag: false,
      initialVersion: '1.0.0',
      releaseAs: '2.0.0',
      prerelease: 'rc'
    });
    expect(n).toMatchObject({ released: true, version: '2.0.0-rc.1', bump: 'major' });
  });

  it('moves floating tags only to the highest final of their line', () => {
    const all = tags('v1.3.0', 'v1.4.0', 'v1.4.1', 'v2.0.0');
    expect(floatingTagsFor('1.4.2', 'v', 'major-minor', all)).toEqual({ move: ['v1', 'v1.4'], skipped: [] });
    expect(floatingTagsFor('1.3.1', 'v', 'major-minor', all)).toEqual({ move: ['v1.3'], skipped: ['v1'] });
    expect(floatingTagsFor('2.1.0-rc.0', 'v', 'major', all)).toEqual({ move: [], skipped: [] });
    expect(floatingTagsFor('2.1.0', 'v', 'none', all)).toEqual({ move: [], skipped: [] });
    expect(semver.valid('1.4.2')).toBe('1.4.2');
  });

  it('renders a changelog without links when the repository is unknown', () => {
    const text = renderChangelog({
      version: '1.0.0',
      tag: 'v1.0.0',
      date: '2026-11-23',
      commits: [c('feat: a', 'abcdef1234'.padEnd(40, '0'))],
      repoUrl: ''
    });
    expect(text).toBe('## 1.0.0 (2026-11-23)\n\n### Features\n\n* a (abcdef1)\n');
  });
});

describe('GitHub error mapping', () => {
  it('names the fix for rulesets, the workflows permission, bad tokens and missing permissions', () => {
    const gh013 = githubError(
      { status: 422, message: 'GH013: Repository rule violations found for refs/tags/v1.' },
      'move the floating tag v1'
    );
    expect(gh013.message).toContain('a repository ruleset blocks it');
    expect(gh013.hint).toContain('bypass list');
    expect(gh013.status).toBe(422);
    const wf = githubError(
      {
        status: 403,
        message:
          'refusing to allow a GitHub App to create or update workflow `.github/workflows/a.yml` without `workflows` permission'
      },
      'create the tag ref'
    );
    expect(wf.hint).toContain('`workflow` scope');
    expect(githubError({ status: 401, message: 'Bad credentials' }, 'x').message).toContain(
      'invalid or expired'
    );
    expect(
      githubError({ status: 403, message: 'Resource not accessible by integration' }, 'x').hint
    ).toContain('contents: write');
    expect(githubError(new Error('ECONNREFUSED'), 'x').message).toContain('no answer from the GitHub API');
  });
});

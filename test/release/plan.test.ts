import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeployActionsError,
  InputError,
  LocalExecutor,
  captureLogger
} from '../../packages/core/src/index.js';
import { planRelease, type ReleaseOptions } from '../../packages/release/src/index.js';
import { GitRepo } from './gitrepo.js';

/** planRelease against real repositories: real `git tag --merged`, `git log`, merges, reverts, shallow clones. */
const repos: GitRepo[] = [];
const newRepo = () => {
  const r = GitRepo.create();
  repos.push(r);
  return r;
};
afterAll(() => repos.forEach((r) => r.remove()));

const plan = (repo: GitRepo, o: Partial<ReleaseOptions> = {}) => {
  const logger = captureLogger();
  return planRelease(
    {
      cwd: repo.dir,
      target: 'HEAD',
      tagPrefix: 'v',
      initialVersion: '1.0.0',
      floatingTags: 'major',
      repoUrl: 'https://github.com/acme/shop',
      ...o
    },
    { executor: new LocalExecutor(), logger }
  ).then((p) => ({ ...p, log: logger.text() }));
};

describe('planRelease on real git histories', () => {
  it('bumps minor for a feat and patch for a fix since the last tag, with a grouped, linked changelog', async () => {
    const r = newRepo();
    r.commit('feat: first');
    r.tag('v1.2.0');
    const fix = r.commit('fix(api): handle empty body');
    const feat = r.commit('feat(ui): dark mode');
    r.commit('chore: bump deps');
    r.commit('docs: readme');
    const p = await plan(r);
    expect(p).toMatchObject({
      released: true,
      version: '1.3.0',
      tag: 'v1.3.0',
      previousVersion: '1.2.0',
      previousTag: 'v1.2.0',
      bump: 'minor',
      prerelease: false,
      targetSha: r.head(),
      floatingTags: ['v1'],
      makeLatest: true
    });
    expect(p.changelog).toBe(
      [
        '## [1.3.0](https://github.com/acme/shop/compare/v1.2.0...v1.3.0) (2026-11-01)',
        '',
        '### Features',
        '',
        `* **ui:** dark mode ([${feat.slice(0, 7)}](https://github.com/acme/shop/commit/${feat}))`,
        '',
        '### Bug Fixes',
        '',
        `* **api:** handle empty body ([${fix.slice(0, 7)}](https://github.com/acme/shop/commit/${fix}))`,
        ''
      ].join('\n')
    );
    // chore/docs never appear
    expect(p.changelog).not.toMatch(/deps|readme/);
  });

  it('bumps major for `!` and for a BREAKING CHANGE footer; below 1.0.0 a breaking change bumps the minor', async () => {
    const r = newRepo();
    r.commit('feat: start');
    r.tag('v0.4.2');
    r.commit('refactor!: drop the v1 endpoints');
    expect(await plan(r)).toMatchObject({ version: '0.5.0', bump: 'minor' });
    r.tag('v1.0.0');
    r.commit('fix: x\n\nBREAKING-CHANGE: config key renamed\nacross files');
    const p = await plan(r);
    expect(p).toMatchObject({ version: '2.0.0', bump: 'major', floatingTags: ['v2'] });
    expect(p.changelog).toContain('### ⚠ BREAKING CHANGES');
    expect(p.changelog).toContain('* config key renamed across files');
  });

  it('reports nothing to release when only chores landed', async () => {
    const r = newRepo();
    r.commit('feat: a');
    r.tag('v2.1.0');
    r.commit('chore: tidy');
    r.commit('Update README.md');
    const p = await plan(r);
    expect(p).toMatchObject({
      released: false,
      bump: 'none',
      version: '2.1.0',
      tag: 'v2.1.0',
      changelog: ''
    });
    expect(p.reason).toBe('no feat, fix, perf or breaking commit since v2.1.0');
  });

  it('counts commits from merged branches, not from branches that were not merged', async () => {
    const r = newRepo();
    r.commit('fix: base');
    r.tag('v1.0.0');
    r.branch('feature');
    r.commit('feat(search): fuzzy matching');
    r.checkout('main');
    r.commit('fix: typo');
    r.branch('unmerged');
    r.commit('feat!: not merged yet');
    r.tag('v9.0.0'); // on a branch that is not merged: not reachable from main
    r.checkout('main');
    r.merge('feature', 'Merge pull request #7 from acme/feature');
    const p = await plan(r);
    expect(p).toMatchObject({ version: '1.1.0', previousTag: 'v1.0.0', bump: 'minor', makeLatest: false });
    expect(p.changelog).toContain('**search:** fuzzy matching');
    expect(p.changelog).not.toContain('not merged yet');
    // v9.0.0 exists elsewhere, so v1 may move but 1.1.0 is not GitHub's "latest"
    expect(p.floatingTags).toEqual(['v1']);
  });

  it('drops a commit reverted in the same range, and releases a revert of a shipped commit as a patch', async () => {
    const r = newRepo();
    r.commit('fix: base');
    const shipped = r.commit('feat: shipped feature');
    r.tag('v1.1.0');
    const oops = r.commit('feat!: risky change');
    r.revert(oops);
    expect(await plan(r)).toMatchObject({ released: false });
    r.revert(shipped);
    const p = await plan(r);
    expect(p).toMatchObject({ released: true, version: '1.1.1', bump: 'patch' });
    expect(p.changelog).toContain('### Reverts');
    expect(p.changelog).toContain('feat: shipped feature');
    expect(p.changelog).not.toContain('risky');
  });

  it('counts prerelease channels up and computes the final release from the last final', async () => {
    const r = newRepo();
    r.commit('feat: one');
    r.tag('v1.2.0');
    r.commit('feat: two');
    const rc0 = await plan(r, { prerelease: 'rc' });
    expect(rc0).toMatchObject({
      version: '1.3.0-rc.0',
      tag: 'v1.3.0-rc.0',
      prerelease: true,
      floatingTags: [],
      makeLatest: false
    });
    r.tag('v1.3.0-rc.0');
    // nothing new since rc.0: no rc.1
    expect(await plan(r, { prerelease: 'rc' })).toMatchObject({ released: false, version: '1.3.0-rc.0' });
    r.commit('fix: three');
    const rc1 = await plan(r, { prerelease: 'rc' });
    expect(rc1).toMatchObject({ version: '1.3.0-rc.1', previousTag: 'v1.3.0-rc.0' });
    expect(rc1.changelog).toContain('three');
    expect(rc1.changelog).not.toContain('two');
    r.tag('v1.3.0-rc.1');
    const final = await plan(r);
    expect(final).toMatchObject({
      version: '1.3.0',
      previousTag: 'v1.2.0',
      bump: 'minor',
      floatingTags: ['v1']
    });
    expect(final.changelog).toContain('two');
    expect(final.changelog).toContain('three');
    // a breaking change during the rc line moves the line to the next major
    r.commit('feat!: new api');
    expect(await plan(r, { prerelease: 'rc' })).toMatchObject({ version: '2.0.0-rc.0', bump: 'major' });
  });

  it('takes the highest semver tag when tags were made out of order, and ignores non-semver tags with a notice', async () => {
    const r = newRepo();
    const a = r.commit('feat: a');
    r.commit('feat: b');
    r.tag('v1.10.0');
    r.tag('v1.9.0', { at: a }); // made later, on an older commit
    r.tag('v1', { annotated: false }); // floating: skipped quietly
    r.tag('vnext', { annotated: false });
    r.tag('release-2020', { annotated: false }); // other prefix: not ours
    r.commit('fix: c');
    const p = await plan(r);
    expect(p).toMatchObject({ version: '1.10.1', previousTag: 'v1.10.0', ignoredTags: ['vnext'] });
    expect(p.log).toContain('notice: tag vnext is not v<semver>; it is ignored');
    expect(p.log).not.toContain('tag v1 ');
  });

  it('supports another prefix, the first release at initial-version, and release-as', async () => {
    const r = newRepo();
    r.commit('chore: init');
    expect(await plan(r)).toMatchObject({
      released: false,
      reason: 'no feat, fix, perf or breaking commit in the history'
    });
    r.commit('feat: first feature');
    expect(await plan(r, { tagPrefix: 'app-v', initialVersion: '0.1.0' })).toMatchObject({
      version: '0.1.0',
      tag: 'app-v0.1.0',
      previousTag: ''
    });
    r.tag('app-v0.1.0');
    r.commit('docs: only docs');
    expect(await plan(r, { tagPrefix: 'app-v', releaseAs: '1.0.0' })).toMatchObject({
      released: true,
      version: '1.0.0',
      bump: 'major',
      reason: 'release-as 1.0.0'
    });
  });

  it('does not move a floating tag backwards for a backport on an older line', async () => {
    const r = newRepo();
    r.commit('feat: a');
    r.tag('v1.3.0');
    r.branch('release-1.3');
    r.checkout('main');
    r.commit('feat: b');
    r.tag('v1.4.0');
    r.checkout('release-1.3');
    r.commit('fix: backport');
    const p = await plan(r, { floatingTags: 'major-minor' });
    expect(p).toMatchObject({
      version: '1.3.1',
      floatingTags: ['v1.3'],
      floatingSkipped: ['v1'],
      makeLatest: false
    });
  });

  it('fails clearly when the next tag already exists elsewhere', async () => {
    const r = newRepo();
    r.commit('feat: a');
    r.tag('v1.0.0');
    r.branch('other');
    r.commit('fix: elsewhere');
    r.tag('v1.0.1');
    r.checkout('main');
    r.commit('fix: here');
    const err = await plan(r).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployActionsError);
    expect((err as DeployActionsError).message).toMatch(
      /^Tag v1\.0\.1 already exists \(on commit [0-9a-f]{12}\)$/
    );
    expect((err as DeployActionsError).hint).toContain('release-as');
  });

  it('detects a shallow clone and names fetch-depth: 0', async () => {
    const r = newRepo();
    r.commit('feat: a');
    r.tag('v1.0.0');
    r.commit('fix: b');
    r.commit('fix: c');
    const dir = mkdtempSync(join(tmpdir(), 'release-shallow-'));
    try {
      execFileSync('git', ['clone', '-q', '--depth', '1', `file://${r.dir}`, dir], { stdio: 'ignore' });
      const err = await plan(new GitRepo(dir)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeployActionsError);
      expect((err as DeployActionsError).describe()).toContain('shallow clone');
      expect((err as DeployActionsError).hint).toContain('fetch-depth: 0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad input before reading the repository', async () => {
    const r = newRepo();
    r.commit('feat: a');
    for (const [o, input] of [
      [{ releaseAs: 'v2.0.0' }, 'release-as'],
      [{ initialVersion: '1.0' }, 'initial-version'],
      [{ prerelease: 'rc.1' }, 'prerelease'],
      [{ tagPrefix: 'v*' }, 'tag-prefix'],
      [{ target: 'no-such-branch' }, 'target']
    ] as const) {
      const err = await plan(r, o).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).input).toBe(input);
    }
  });
});

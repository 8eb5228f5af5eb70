import { InputError } from '../../packages/core/src/index.js';
import { isLatestRelease } from '../../packages/docker/src/index.js';
import { SHA, run, names, type Case } from './meta-support.js';

/** docker/metadata-action's behaviour, part 1: the tag rules and latest (the harness and its notes: meta-support.ts). */
describe('type=semver', () => {
  it.each<[string, string, string[]]>([
    ['v4.7.1', '{{version}}', ['4.7.1', 'latest']],
    ['v4.7.1', '{{major}}.{{minor}}', ['4.7', 'latest']],
    ['v4.7.1', 'v{{major}}', ['v4', 'latest']],
    ['v4.7.1', '{{patch}}', ['1', 'latest']],
    ['v4.7.1', '{{raw}}', ['v4.7.1', 'latest']],
    ['4.7.1', '{{ raw }}', ['4.7.1', 'latest']],
    // a prerelease yields its full version, whatever the pattern, and never latest
    ['v5.0.0-alpha.3', '{{version}}', ['5.0.0-alpha.3']],
    ['v5.0.0-alpha.3', '{{major}}.{{minor}}', ['5.0.0-alpha.3']],
    // cause 4: {{raw}} on a prerelease keeps the tag as written, v included
    ['v5.0.0-alpha.3', '{{raw}}', ['v5.0.0-alpha.3']],
    ['release-5', '{{version}}', []]
  ])('tag %s, pattern %s → %j', (tag, pattern, out) => {
    expect(names({ ref: `refs/tags/${tag}`, rules: [`type=semver,pattern=${pattern}`] })).toEqual(out);
  });

  it('value= takes the version from an expression, on any event', () => {
    expect(
      names({ ref: 'refs/heads/trunk', rules: ['type=semver,pattern={{version}},value=v9.1.0'] })
    ).toEqual(['9.1.0', 'latest']);
  });

  it('match= picks the version out of the tag (group 1); no match keeps the tag', () => {
    const rules = ['type=semver,pattern={{major}}.{{minor}},match=bakery-(\\d.*)'];
    expect(names({ ref: 'refs/tags/bakery-2.3.4', rules })).toEqual(['2.3', 'latest']);
    expect(names({ ref: 'refs/tags/v2.3.4', rules })).toEqual(['2.3', 'latest']);
  });

  it('is silent on a branch push', () => {
    expect(names({ ref: 'refs/heads/trunk', rules: ['type=semver,pattern={{version}}'] })).toEqual([]);
  });
});

describe('type=pep440', () => {
  it.each<[string, string, string[]]>([
    ['3.1.4', '{{version}}', ['3.1.4', 'latest']],
    ['v3.1.4', '{{major}}.{{minor}}', ['3.1', 'latest']],
    ['3.1', '{{major}}.{{minor}}.{{patch}}', ['3.1.0', 'latest']],
    ['3.1.4', '{{raw}}', ['3.1.4', 'latest']],
    // pre-, post- and dev-releases: the normalised version, never latest
    ['3.2alpha1', '{{major}}', ['3.2a1']],
    ['3.2beta2', '{{version}}', ['3.2b2']],
    ['3.2.0rc1', '{{major}}.{{minor}}', ['3.2.0rc1']],
    ['3.2post3', '{{version}}', ['3.2.post3']],
    ['3.2dev7', '{{version}}', ['3.2.dev7']],
    ['V3.2RC1', '{{raw}}', ['V3.2RC1']],
    ['not-a-version', '{{version}}', []]
  ])('tag %s, pattern %s → %j', (tag, pattern, out) => {
    expect(names({ ref: `refs/tags/${tag}`, rules: [`type=pep440,pattern=${pattern}`] })).toEqual(out);
  });
});

describe('type=match', () => {
  it('a pattern string, its group, and a /regex/flags literal', () => {
    expect(
      names({
        ref: 'refs/tags/build-20260517-2',
        rules: ['type=match,pattern=\\d{8}'],
        flavor: ['latest=false']
      })
    ).toEqual(['20260517']);
    expect(names({ ref: 'refs/tags/V12.4', rules: ['type=match,pattern=/^v(\\d+)/i,group=1'] })).toEqual([
      '12',
      'latest'
    ]);
    expect(names({ ref: 'refs/tags/V12.4', rules: ['type=match,pattern=^v(\\d+),group=1'] })).toEqual([]);
  });

  it('cause 1: latest=auto gives latest even when the match looks like a prerelease', () => {
    expect(names({ ref: 'refs/tags/v6.0.0-rc.2', rules: ['type=match,pattern=v(.*),group=1'] })).toEqual([
      '6.0.0-rc.2',
      'latest'
    ]);
  });

  it('a missing group or no match produces nothing; value= matches an expression', () => {
    expect(names({ ref: 'refs/tags/v1', rules: ['type=match,pattern=v(\\d),group=3'] })).toEqual([]);
    expect(
      names({ ref: 'refs/heads/trunk', rules: ['type=match,pattern=\\w+$,value=deploy/{{branch}}'] })
    ).toEqual(['trunk', 'latest']);
  });
});

describe('type=ref, edge, raw, sha, schedule', () => {
  it('ref: branch (sanitised), tag (latest), pr (pr- prefix)', () => {
    expect(names({ ref: 'refs/heads/feat/Crust+Crumb', rules: ['type=ref,event=branch'] })).toEqual([
      'feat-Crust-Crumb'
    ]);
    expect(names({ ref: 'refs/tags/nightly-7', rules: ['type=ref,event=tag'] })).toEqual([
      'nightly-7',
      'latest'
    ]);
    expect(names({ event: 'pull_request', ref: 'refs/pull/31/merge', rules: ['type=ref,event=pr'] })).toEqual(
      ['pr-31']
    );
  });

  it('edge: the default branch from the payload, or branch=', () => {
    expect(names({ ref: 'refs/heads/trunk', rules: ['type=edge'] })).toEqual(['edge']);
    expect(names({ ref: 'refs/heads/main', rules: ['type=edge'] })).toEqual([]);
    expect(names({ ref: 'refs/heads/next', rules: ['type=edge,branch=next'] })).toEqual(['edge']);
  });

  it('raw: bare words, type=raw with a bare value, expressions, sanitising', () => {
    expect(
      names({ ref: 'refs/heads/trunk', rules: ['rye', 'type=raw,spelt', 'type=raw,value=x/{{branch}}'] })
    ).toEqual(['rye', 'spelt', 'x-trunk']);
  });

  it('sha: short (7), long, custom prefix; DOCKER_METADATA_SHORT_SHA_LENGTH', () => {
    expect(names({ ref: 'refs/heads/trunk', rules: ['type=sha'] })).toEqual(['sha-5e2f1c0']);
    expect(names({ ref: 'refs/heads/trunk', rules: ['type=sha,format=long,prefix='] })).toEqual([SHA]);
    expect(
      names({
        ref: 'refs/heads/trunk',
        rules: ['type=sha', 'type=raw,value=at-{{sha}}'],
        env: { DOCKER_METADATA_SHORT_SHA_LENGTH: '12' }
      })
    ).toEqual(['at-5e2f1c0d9a8b', 'sha-5e2f1c0d9a8b']);
    expect(() =>
      names({ ref: 'refs/heads/trunk', env: { DOCKER_METADATA_SHORT_SHA_LENGTH: 'twelve' } })
    ).toThrow(/DOCKER_METADATA_SHORT_SHA_LENGTH/);
  });

  it('schedule: nightly by default, date patterns in UTC or a time zone', () => {
    const s = (rules: string[]) => names({ event: 'schedule', ref: 'refs/heads/trunk', rules });
    expect(s(['type=schedule'])).toEqual(['nightly']);
    expect(s(["type=schedule,pattern={{date 'YYYYMMDD'}}"])).toEqual(['20260517']);
    expect(s(["type=schedule,pattern={{date 'YYYYMMDD-HHmm' tz='Asia/Kolkata'}}"])).toEqual([
      '20260518-0415'
    ]);
    expect(names({ ref: 'refs/heads/trunk', rules: ['type=schedule'] })).toEqual([]);
  });

  it('default rules when tags is empty: schedule, branch, tag, pr', () => {
    expect(names({ ref: 'refs/heads/dough' })).toEqual(['dough']);
    expect(names({ ref: 'refs/tags/v2.2.2' })).toEqual(['v2.2.2', 'latest']);
    expect(names({ event: 'schedule', ref: 'refs/heads/trunk' })).toEqual(['nightly', 'trunk']);
  });

  it('priority orders the tags; the first is the version', () => {
    const m = run({
      ref: 'refs/tags/v1.0.0',
      rules: ['type=sha', 'type=raw,value=first,priority=2000', 'type=semver,pattern={{version}}']
    });
    expect(m.tagNames).toEqual(['first', '1.0.0', 'sha-5e2f1c0']);
    expect(m.version).toBe('first');
  });
});

describe('expressions', () => {
  const raw = (value: string, c: Partial<Case> = {}) =>
    names({ ref: 'refs/heads/trunk', ...c, rules: [`type=raw,value=${value}`], flavor: ['latest=false'] });

  it('{{branch}}, {{tag}}, {{sha}}, an unknown name renders empty', () => {
    expect(raw('b-{{branch}}-{{sha}}')).toEqual(['b-trunk-5e2f1c0']);
    expect(raw('t-{{tag}}', { ref: 'refs/tags/v3' })).toEqual(['t-v3']);
    expect(raw('x{{nothing}}y')).toEqual(['xy']);
  });

  it('{{base_ref}}: the tag push payload base_ref, or the pull request base', () => {
    expect(
      raw('from-{{base_ref}}', { ref: 'refs/tags/v3', payload: { base_ref: 'refs/heads/release/3' } })
    ).toEqual(['from-release-3']);
    expect(
      raw('into-{{base_ref}}', {
        event: 'pull_request',
        ref: 'refs/pull/8/merge',
        payload: { pull_request: { number: 8, base: { ref: 'trunk' } } }
      })
    ).toEqual(['into-trunk']);
    expect(raw('b{{base_ref}}')).toEqual(['b']);
  });

  it("{{date}} and {{commit_date 'FORMAT' tz='…'}}; the commit date from the payload", () => {
    const payload = { commits: [{ id: SHA, timestamp: '2025-12-31T23:59:58Z' }] };
    expect(raw("{{commit_date 'YYYY.MM.DD-HHmmss'}}", { payload })).toEqual(['2025.12.31-235958']);
    expect(raw("{{commit_date 'YYYYMMDDHH' tz='Pacific/Auckland'}}", { payload })).toEqual(['2026010112']);
    expect(raw("{{date 'YYYY-MM-DD[T]HH'}}")).toEqual(['2026-05-17T22']);
    // a bare word is a (missing) value: moment's default format, UTC written as Z
    expect(raw('{{commit_date YYYY}}', { payload })).toEqual(['2025-12-31T23-59-58Z']);
    expect(() => raw("{{date 'YYYY' zone='UTC'}}")).toThrow(/zone=/);
    expect(() => raw("{{date 'YYYY' tz='Mars/Olympus'}}")).toThrow(/Mars\/Olympus/);
  });

  it('cause 6: {{is_default_branch}} is true on schedule, create, issues and discussion events', () => {
    const rules = [
      'type=raw,value=main-build,enable={{is_default_branch}}',
      'type=raw,value=other,enable={{is_not_default_branch}}'
    ];
    expect(names({ ref: 'refs/heads/trunk', rules })).toEqual(['main-build']);
    expect(names({ ref: 'refs/heads/side', rules })).toEqual(['other']);
    for (const event of ['schedule', 'create', 'issues', 'discussion'])
      expect(names({ event, ref: 'refs/heads/side', rules })).toEqual(['main-build']);
    expect(names({ event: 'create', ref: 'refs/tags/v1', rules })).toEqual(['main-build']);
    expect(() => names({ ref: 'refs/heads/trunk', rules: ['type=sha,enable=perhaps'] })).toThrow(InputError);
  });
});

describe('latest', () => {
  it('cause 2: the highest-priority rule that produced a tag decides', () => {
    // semver (900) sees a prerelease: no latest, though the tag ref (600) would give it
    expect(
      names({
        ref: 'refs/tags/v2.0.0-beta.1',
        rules: ['type=ref,event=tag', 'type=semver,pattern={{version}}']
      })
    ).toEqual(['2.0.0-beta.1', 'v2.0.0-beta.1']);
    // a raw rule ranked above the semver rule: no latest for a release either
    expect(
      names({
        ref: 'refs/tags/v2.0.0',
        rules: ['type=semver,pattern={{version}}', 'type=raw,value=edge-build,priority=950']
      })
    ).toEqual(['edge-build', '2.0.0']);
    // a rule that produced nothing does not decide
    expect(
      names({ ref: 'refs/tags/v2.0.0', rules: ['type=semver,pattern={{version}}', 'type=schedule'] })
    ).toEqual(['2.0.0', 'latest']);
  });

  it('true and false force it; with no tag at all there is none', () => {
    expect(
      names({ ref: 'refs/heads/side', rules: ['type=ref,event=branch'], flavor: ['latest=true'] })
    ).toEqual(['side', 'latest']);
    expect(
      names({ ref: 'refs/tags/v1.0.0', rules: ['type=semver,pattern={{version}}'], flavor: ['latest=false'] })
    ).toEqual(['1.0.0']);
    expect(
      names({ ref: 'refs/heads/side', rules: ['type=semver,pattern={{version}}'], flavor: ['latest=true'] })
    ).toEqual([]);
  });

  it('ours: with the known versions, a backport below the highest release does not take latest', () => {
    const rules = ['type=semver,pattern={{version}}'];
    const known = ['v1.2.3', 'v2.0.0', 'v2.1.0-rc.1', 'not-a-version'];
    const m = (tag: string) => run({ ref: `refs/tags/${tag}`, rules }, { knownVersions: known }).tagNames;
    expect(m('v1.2.4')).toEqual(['1.2.4']);
    expect(m('v2.0.1')).toEqual(['2.0.1', 'latest']);
    expect(isLatestRelease('release-9', known)).toBe(true);
  });
});

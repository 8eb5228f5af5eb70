import { InputError } from '../../packages/core/src/index.js';
import {
  annotationsAt,
  bakeDefinition,
  computeMeta,
  formatDate,
  isLatestRelease,
  isRawStatement,
  metaJson,
  normalizePep440,
  parseLevels,
  parsePep440,
  renderTemplate,
  parseFlavor,
  parseImages,
  resolveMetaContext,
  splitTagInput,
  type MetaInput
} from '../../packages/docker/src/index.js';

/**
 * Our own table of docker/metadata-action's behaviour: every rule type, expression, flavor option and
 * environment override, and the six causes of difference the issue lists (each marked "cause N"). The
 * expected values follow metadata-action's documentation and were checked against its source (src/meta.ts).
 */
const SHA = '5e2f1c0d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d';
const HEAD = 'aa11bb22cc33dd44ee55ff6677889900aabbccdd';
const NOW = new Date('2026-05-17T22:45:10.000Z');
const REPO = {
  name: 'bakery',
  description: 'Bread as a service',
  html_url: 'https://github.com/flour/bakery',
  default_branch: 'trunk',
  license: { spdx_id: 'Apache-2.0' }
};

interface Case {
  event?: string;
  ref: string;
  payload?: Record<string, unknown>;
  env?: Record<string, string>;
  rules?: string[];
  flavor?: string[];
  images?: string[];
}

function run(c: Case, extra: Partial<MetaInput> = {}) {
  const context = resolveMetaContext(
    {
      eventName: c.event ?? 'push',
      ref: c.ref,
      sha: SHA,
      repository: 'flour/bakery',
      serverUrl: 'https://github.com'
    },
    { repository: REPO, ...c.payload },
    c.env ?? {}
  );
  return computeMeta({
    images: c.images ?? ['ghcr.io/flour/bakery'],
    tagRules: c.rules ?? [],
    flavor: parseFlavor(c.flavor ?? []),
    context,
    now: NOW,
    ...extra
  });
}
const names = (c: Case) => run(c).tagNames;

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

describe('flavor', () => {
  it('cause 3: a rule’s own prefix/suffix replaces the flavor’s, including the built-in pr- and sha-', () => {
    const flavor = ['prefix=app-', 'suffix=-slim'];
    expect(names({ ref: 'refs/heads/trunk', rules: ['type=ref,event=branch'], flavor })).toEqual([
      'app-trunk-slim'
    ]);
    expect(names({ ref: 'refs/heads/trunk', rules: ['type=ref,event=branch,prefix=b-'], flavor })).toEqual([
      'b-trunk-slim'
    ]);
    expect(names({ ref: 'refs/heads/trunk', rules: ['type=ref,event=branch,suffix='], flavor })).toEqual([
      'app-trunk'
    ]);
    expect(names({ ref: 'refs/heads/trunk', rules: ['type=sha'], flavor })).toEqual(['sha-5e2f1c0-slim']);
    expect(
      names({ event: 'pull_request', ref: 'refs/pull/4/merge', rules: ['type=ref,event=pr'], flavor })
    ).toEqual(['pr-4-slim']);
  });

  it('latest takes the prefix/suffix only with onlatest=true', () => {
    const rules = ['type=semver,pattern={{version}}'];
    expect(names({ ref: 'refs/tags/v1.1.0', rules, flavor: ['prefix=app-', 'suffix=-slim'] })).toEqual([
      'app-1.1.0-slim',
      'latest'
    ]);
    expect(
      names({
        ref: 'refs/tags/v1.1.0',
        rules,
        flavor: ['prefix=app-,onlatest=true', 'suffix=-slim,onlatest=true']
      })
    ).toEqual(['app-1.1.0-slim', 'app-latest-slim']);
    expect(() => parseFlavor(['latest=sometimes'])).toThrow("Input 'flavor'");
    expect(() => parseFlavor(['prefix=a,onlatest=maybe'])).toThrow(/onlatest/);
    expect(() => parseFlavor(['colour=red'])).toThrow(/unknown flavor/);
  });
});

describe('the run context', () => {
  it('cause 5: pull_request_target reads as refs/pull/N/merge', () => {
    expect(
      names({
        event: 'pull_request_target',
        ref: 'refs/heads/trunk',
        payload: { number: 57 },
        rules: ['type=ref,event=pr', 'type=ref,event=branch']
      })
    ).toEqual(['pr-57']);
  });

  it('DOCKER_METADATA_PR_HEAD_SHA=true takes the pull request head commit', () => {
    const c: Case = {
      event: 'pull_request',
      ref: 'refs/pull/9/merge',
      payload: { pull_request: { number: 9, head: { sha: HEAD } } },
      rules: ['type=sha']
    };
    expect(names(c)).toEqual(['sha-5e2f1c0']);
    const m = run({ ...c, env: { DOCKER_METADATA_PR_HEAD_SHA: 'true' } });
    expect(m.tagNames).toEqual(['sha-aa11bb2']);
    expect(m.labels).toContain(`org.opencontainers.image.revision=${HEAD}`);
    expect(
      names({ ...c, event: 'push', ref: 'refs/heads/x', env: { DOCKER_METADATA_PR_HEAD_SHA: 'true' } })
    ).toEqual(['sha-5e2f1c0']);
  });
});

describe('images', () => {
  it('name=…,enable=…, one per line; bare names comma-separated on one line; lower-cased', () => {
    expect(parseImages(['ghcr.io/a/b,docker.io/a/b'])).toEqual([
      { name: 'ghcr.io/a/b', enable: true },
      { name: 'docker.io/a/b', enable: true }
    ]);
    const m = run({
      ref: 'refs/heads/trunk',
      images: [
        'name=ghcr.io/Flour/Bakery',
        'name=docker.io/flour/bakery,enable=false',
        'quay.io/flour/bakery'
      ]
    });
    expect(m.tags).toEqual(['ghcr.io/flour/bakery:trunk', 'quay.io/flour/bakery:trunk']);
    expect(() => parseImages(['name=a/b,enable=yes', 'c/d'])).toThrow(/enable/);
    expect(() => parseImages(['enable=true', 'c/d'])).toThrow(/no image name/);
  });

  it('with no images the tag names are still the tags', () => {
    const m = run({ ref: 'refs/heads/trunk', images: [], rules: ['type=ref,event=branch', 'type=sha'] });
    expect(m.tags).toEqual(['trunk', 'sha-5e2f1c0']);
    expect(m.images).toEqual([]);
  });
});

describe('labels and annotations', () => {
  it('the eight OCI keys from the repository, sorted, empty values kept; user lines override', () => {
    const m = run(
      { ref: 'refs/tags/v1.4.0', rules: ['type=semver,pattern={{version}}'] },
      { labels: ['org.opencontainers.image.title=Bakery', 'team=ovens-{{tag}}', 'no-equals-sign', 'empty='] }
    );
    expect(m.labels).toEqual([
      'empty=',
      'org.opencontainers.image.created=2026-05-17T22:45:10.000Z',
      'org.opencontainers.image.description=Bread as a service',
      'org.opencontainers.image.licenses=Apache-2.0',
      `org.opencontainers.image.revision=${SHA}`,
      'org.opencontainers.image.source=https://github.com/flour/bakery',
      'org.opencontainers.image.title=Bakery',
      'org.opencontainers.image.url=https://github.com/flour/bakery',
      'org.opencontainers.image.version=1.4.0',
      'team=ovens-v1.4.0'
    ]);
    expect(m.annotations).toContain('org.opencontainers.image.title=bakery');
  });

  it('a repository without description or license keeps those keys, empty', () => {
    const context = resolveMetaContext(
      {
        eventName: 'push',
        ref: 'refs/heads/x',
        sha: SHA,
        repository: 'flour/bakery',
        serverUrl: 'https://ghe.example'
      },
      {}
    );
    const m = computeMeta({ images: [], tagRules: [], context, now: NOW });
    expect(m.labels).toContain('org.opencontainers.image.description=');
    expect(m.labels).toContain('org.opencontainers.image.licenses=');
    expect(m.labels).toContain('org.opencontainers.image.source=https://ghe.example/flour/bakery');
  });
});

describe('refusals (ours: a clear error instead of a tag docker would refuse)', () => {
  it('a tag that is still invalid after sanitising names the input', () => {
    expect(() => names({ ref: 'refs/heads/.hidden', rules: ['type=ref,event=branch'] })).toThrow(
      /Input 'tags': the rules yield ".hidden"/
    );
    const long = names({ ref: `refs/heads/${'k'.repeat(300)}`, rules: ['type=ref,event=branch'] });
    expect(long[0]).toHaveLength(128);
  });
  it('unknown types and attributes, missing pattern/value/event, bad groups and priorities', () => {
    for (const [rule, msg] of [
      ['type=pep999', /unknown type "pep999"/],
      ['type=sha,colour=red', /unknown attribute "colour"/],
      ['type=ref', /needs event=branch/],
      ['type=semver', /no pattern/],
      ['type=match,pattern=x,group=one', /group "one"/],
      ['type=sha,format=medium', /format must be short or long/],
      ['type=sha,priority=high', /priority "high"/],
      ['type=match,pattern=(', /regular expression/]
    ] as const)
      expect(() => names({ ref: 'refs/tags/v1', rules: [rule] })).toThrow(msg);
    expect(() => run({ ref: 'refs/heads/x', images: ['ghcr.io/a//b'] })).toThrow(/Input 'images'/);
  });
});

describe('build-push-action style tags', () => {
  it('full references are kept apart from rules', () => {
    expect(splitTagInput(['type=sha', 'ghcr.io/a/b:1', 'v1', 'localhost:5000/x'])).toEqual({
      rules: ['type=sha', 'v1'],
      refs: ['ghcr.io/a/b:1', 'localhost:5000/x']
    });
  });
});

describe("metadata-action's output shapes", () => {
  const m = run(
    { ref: 'refs/heads/trunk', rules: ['type=ref,event=branch', 'type=raw,oven'] },
    { annotations: ['org.opencontainers.image.vendor=Flour'] }
  );
  it('json: tags, tag-names, labels as an object, annotations with their levels', () => {
    const j = metaJson(m, ['manifest', 'index']);
    expect(j.tags).toEqual(['ghcr.io/flour/bakery:trunk', 'ghcr.io/flour/bakery:oven']);
    expect(j['tag-names']).toEqual(['trunk', 'oven']);
    expect(j.labels['org.opencontainers.image.version']).toBe('trunk');
    expect(j.annotations).toContain('manifest:org.opencontainers.image.vendor=Flour');
    expect(j.annotations).toContain('index:org.opencontainers.image.vendor=Flour');
    expect(j.annotations).toHaveLength(18);
  });
  it('bake definitions: tags with args, labels, annotations, and the combined file', () => {
    expect(bakeDefinition(m, 'tags', ['manifest'])).toEqual({
      target: {
        'docker-metadata-action': {
          tags: ['ghcr.io/flour/bakery:trunk', 'ghcr.io/flour/bakery:oven'],
          args: { DOCKER_META_IMAGES: 'ghcr.io/flour/bakery', DOCKER_META_VERSION: 'trunk' }
        }
      }
    });
    const labels = bakeDefinition(m, 'labels', ['manifest'], 'app').target.app as { labels: object };
    expect(Object.keys(labels.labels)).toHaveLength(8);
    const ann = bakeDefinition(m, 'annotations', ['manifest-descriptor']).target[
      'docker-metadata-action'
    ] as {
      annotations: string[];
    };
    expect(ann.annotations[0]).toMatch(/^manifest-descriptor:org\.opencontainers\.image\.created=/);
    expect(Object.keys(bakeDefinition(m, 'all', []).target['docker-metadata-action']!)).toEqual([
      'tags',
      'labels',
      'args'
    ]);
    expect(parseLevels(undefined)).toEqual(['manifest']);
    expect(annotationsAt(m, ['index'])[0]).toMatch(/^index:/);
  });
  it('no version: no DOCKER_META_VERSION arg, empty tags', () => {
    const none = run({ ref: 'refs/heads/trunk', rules: ['type=schedule'] });
    expect(bakeDefinition(none, 'tags', []).target['docker-metadata-action']).toEqual({
      tags: [],
      args: { DOCKER_META_IMAGES: 'ghcr.io/flour/bakery' }
    });
  });
});

describe('the expression and date engines', () => {
  it('renders like Handlebars: escaping, triple braces, helpers, missing names', () => {
    expect(renderTemplate('a{{x}}b', { x: 'k=v&' })).toBe('ak&#x3D;v&amp;b');
    expect(renderTemplate('a{{{x}}}b', { x: 'k=v' })).toBe('ak=vb');
    expect(renderTemplate("{{f 'one' two k='v'}}", { f: (a, h) => `${a.join('|')}:${h.k}`, two: 2 })).toBe(
      'one|2:v'
    );
    expect(() => renderTemplate("{{nope 'x'}}", {})).toThrow(/not a function/);
    expect(isRawStatement('{{ raw }}')).toBe(true);
    expect(isRawStatement('{{raw}}.{{version}}')).toBe(false);
  });
  it('formats moment tokens in a time zone', () => {
    const d = new Date('2026-02-03T04:05:06.789Z');
    expect(formatDate(d, 'YYYY-MM-DD HH:mm:ss.SSS Z', 'UTC')).toBe('2026-02-03 04:05:06.789 +00:00');
    expect(formatDate(d, 'YY M D H h A a ZZ', 'America/New_York')).toBe('26 2 2 23 11 PM pm -0500');
    expect(formatDate(d, 'dddd Do MMMM [week] E DDD', 'Asia/Tokyo')).toBe('Tuesday 3rd February week 2 34');
    expect(formatDate(d, undefined, 'Asia/Tokyo')).toBe('2026-02-03T13:05:06+09:00');
    // Every token once, 09:35:06.789 +05:30 on Tuesday 3 February, day 34 of 2026.
    expect(
      formatDate(
        d,
        'YYYY YY Q M MM MMM MMMM D DD Do DDD DDDD d dd ddd dddd E H HH h hh k kk m mm s ss S SS SSS A a Z ZZ X x',
        'Asia/Kolkata'
      )
    ).toBe(
      '2026 26 1 2 02 Feb February 3 03 3rd 34 034 2 Tu Tue Tuesday 2 9 09 9 09 9 09 35 35 6 06 7 78 789 AM am +05:30 +0530 1770091506 1770091506789'
    );
    expect(formatDate(new Date('2026-02-03T12:00:00Z'), 'h hh k kk A', 'UTC')).toBe('12 12 12 12 PM');
    expect(formatDate(new Date('2026-02-03T00:00:00Z'), 'h k kk a', 'UTC')).toBe('12 24 24 am');
  });
  it('parses and normalises PEP 440', () => {
    expect(normalizePep440(parsePep440('1!2.0.0-ALPHA_1.post-3.DEV4+Ubuntu-1')!)).toBe(
      '1!2.0.0a1.post3.dev4+ubuntu.1'
    );
    expect(normalizePep440(parsePep440('2.0-1')!)).toBe('2.0.post1');
    expect(parsePep440('2.x')).toBeUndefined();
  });
});

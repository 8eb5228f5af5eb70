import { InputError } from '../../packages/core/src/errors.js';
import {
  computeMeta,
  contextFromPayload,
  isLatestRelease,
  parseFlavor,
  semverPattern,
  type MetaContext,
  type MetaInput
} from '../../packages/docker/src/tags.js';

const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
const NOW = new Date('2026-11-23T09:30:00Z');
const ctx = (ref: string, eventName = 'push', extra: Partial<MetaContext> = {}): MetaContext => ({
  ref,
  sha: SHA,
  eventName,
  repository: 'acme/shop',
  serverUrl: 'https://github.com',
  ...extra
});
const meta = (input: Partial<MetaInput> & { context: MetaContext }) =>
  computeMeta({ images: ['ghcr.io/acme/shop'], tagRules: [], now: NOW, ...input });
const names = (input: Partial<MetaInput> & { context: MetaContext }) => meta(input).tagNames;

/** Expected values are docker/metadata-action's documented examples (README, "tags input"). */
describe('tag rules as docker/metadata-action documents them', () => {
  it.each([
    ['v1.2.3', '{{raw}}', 'v1.2.3'],
    ['v1.2.3', '{{version}}', '1.2.3'],
    ['v1.2.3', '{{major}}.{{minor}}', '1.2'],
    ['v1.2.3', 'v{{major}}', 'v1'],
    ['v1.2.3', '{{minor}}', '2'],
    ['v1.2.3', '{{patch}}', '3'],
    ['v2.0.8-beta.67', '{{raw}}', '2.0.8-beta.67'],
    ['v2.0.8-beta.67', '{{version}}', '2.0.8-beta.67'],
    ['v2.0.8-beta.67', '{{major}}.{{minor}}', '2.0.8-beta.67']
  ])('semver: tag %s with pattern %s → %s', (tag, pattern, out) => {
    expect(semverPattern(pattern, tag)).toBe(out);
    expect(
      names({
        context: ctx(`refs/tags/${tag}`),
        tagRules: [`type=semver,pattern=${pattern}`],
        flavor: { latest: 'false' }
      })
    ).toEqual([out]);
  });

  it.each([
    ['pull_request', 'refs/pull/2/merge', 'type=ref,event=pr', 'pr-2'],
    ['push', 'refs/heads/master', 'type=ref,event=branch', 'master'],
    ['push', 'refs/heads/my/branch', 'type=ref,event=branch', 'my-branch'],
    ['push', 'refs/tags/v1.2.3', 'type=ref,event=tag', 'v1.2.3'],
    ['push', 'refs/tags/v2.0.8-beta.67', 'type=ref,event=tag', 'v2.0.8-beta.67']
  ])('ref: %s %s with %s → %s', (event, ref, rule, out) => {
    expect(names({ context: ctx(ref, event), tagRules: [rule], flavor: { latest: 'false' } })).toEqual([out]);
  });

  it('sha: short by default with the sha- prefix, long with format=long', () => {
    expect(names({ context: ctx('refs/heads/main'), tagRules: ['type=sha'] })).toEqual(['sha-860c190']);
    expect(names({ context: ctx('refs/heads/main'), tagRules: ['type=sha,format=long'] })).toEqual([
      `sha-${SHA}`
    ]);
    expect(names({ context: ctx('refs/heads/main'), tagRules: ['type=sha,prefix=,suffix=-x'] })).toEqual([
      '860c190-x'
    ]);
  });

  it('the README basic example: semver rules on a tag push, with latest', () => {
    const rules = [
      'type=schedule',
      'type=ref,event=branch',
      'type=ref,event=pr',
      'type=semver,pattern={{version}}',
      'type=semver,pattern={{major}}.{{minor}}',
      'type=semver,pattern={{major}}',
      'type=sha'
    ];
    const m = meta({ context: ctx('refs/tags/v1.2.3'), tagRules: rules });
    expect(m.tagNames).toEqual(['1.2.3', '1.2', '1', 'sha-860c190', 'latest']);
    expect(m.version).toBe('1.2.3');
    expect(m.tags[0]).toBe('ghcr.io/acme/shop:1.2.3');
    // the same rules on a branch push and on a pull request
    expect(names({ context: ctx('refs/heads/main'), tagRules: rules })).toEqual(['main', 'sha-860c190']);
    expect(names({ context: ctx('refs/pull/7/merge', 'pull_request'), tagRules: rules })).toEqual([
      'pr-7',
      'sha-860c190'
    ]);
  });

  it('default rules when tags is empty: schedule, branch, tag, pr', () => {
    expect(names({ context: ctx('refs/heads/dev') })).toEqual(['dev']);
    expect(names({ context: ctx('refs/tags/v3.0.0') })).toEqual(['v3.0.0', 'latest']);
    expect(names({ context: ctx('refs/heads/main', 'schedule') })).toEqual(['nightly', 'main']);
  });

  it('schedule with a date pattern', () => {
    expect(
      names({
        context: ctx('refs/heads/main', 'schedule'),
        tagRules: ["type=schedule,pattern={{date 'YYYYMMDD'}}"]
      })
    ).toEqual(['20261123']);
  });

  it('raw values, bare words, global expressions and priority', () => {
    expect(
      names({
        context: ctx('refs/heads/main'),
        tagRules: [
          'foo',
          'type=raw,value=bar',
          'type=raw,value=mytag-{{branch}}-{{sha}}',
          'type=sha,prefix={{branch}}-'
        ]
      })
    ).toEqual(['foo', 'bar', 'mytag-main-860c190', 'main-860c190']);
    expect(
      names({ context: ctx('refs/heads/main'), tagRules: ['type=sha', 'type=raw,value=first,priority=2000'] })
    ).toEqual(['first', 'sha-860c190']);
  });

  it('enable=, including {{is_default_branch}}', () => {
    const rules = [
      'type=raw,value=latest,enable={{is_default_branch}}',
      'type=raw,value=x,enable=false',
      'type=ref,event=branch'
    ];
    expect(
      names({ context: ctx('refs/heads/main', 'push', { defaultBranch: 'main' }), tagRules: rules })
    ).toEqual(['main', 'latest']);
    expect(
      names({ context: ctx('refs/heads/dev', 'push', { defaultBranch: 'main' }), tagRules: rules })
    ).toEqual(['dev']);
    expect(() => names({ context: ctx('refs/heads/main'), tagRules: ['type=sha,enable=maybe'] })).toThrow(
      InputError
    );
  });

  it('edge on the default branch only', () => {
    expect(
      names({ context: ctx('refs/heads/main', 'push', { defaultBranch: 'main' }), tagRules: ['type=edge'] })
    ).toEqual(['edge']);
    expect(
      names({ context: ctx('refs/heads/dev', 'push', { defaultBranch: 'main' }), tagRules: ['type=edge'] })
    ).toEqual([]);
  });

  it('match with a group, as the README table', () => {
    expect(
      names({
        context: ctx('refs/tags/v2.0.8-beta.67'),
        tagRules: ['type=match,pattern=v(\\d.\\d),group=1'],
        flavor: { latest: 'false' }
      })
    ).toEqual(['2.0']);
    expect(
      names({
        context: ctx('refs/tags/20200110-RC2'),
        tagRules: ['type=match,pattern=\\d+'],
        flavor: { latest: 'false' }
      })
    ).toEqual(['20200110']);
  });

  it('flavor prefix/suffix apply to every generated tag', () => {
    const f = parseFlavor(['latest=false', 'prefix=app-', 'suffix=-alpine']);
    expect(
      names({ context: ctx('refs/tags/v1.2.3'), tagRules: ['type=semver,pattern={{version}}'], flavor: f })
    ).toEqual(['app-1.2.3-alpine']);
    expect(() => parseFlavor(['latest=sometimes'])).toThrow("Input 'flavor'");
  });
});

describe('latest', () => {
  const rules = ['type=semver,pattern={{version}}'];
  it('auto: a release tag push gets latest; a prerelease does not; a branch does not', () => {
    expect(names({ context: ctx('refs/tags/v1.2.3'), tagRules: rules })).toEqual(['1.2.3', 'latest']);
    expect(names({ context: ctx('refs/tags/v1.3.0-rc.1'), tagRules: rules })).toEqual(['1.3.0-rc.1']);
    expect(names({ context: ctx('refs/heads/main'), tagRules: ['type=ref,event=branch'] })).toEqual(['main']);
  });
  it('auto: a backport release below the highest known version does not take latest', () => {
    const known = ['v1.2.3', 'v2.0.0', 'v2.1.0-rc.1', 'not-a-version'];
    expect(names({ context: ctx('refs/tags/v1.2.4'), tagRules: rules, knownVersions: known })).toEqual([
      '1.2.4'
    ]);
    expect(names({ context: ctx('refs/tags/v2.0.1'), tagRules: rules, knownVersions: known })).toEqual([
      '2.0.1',
      'latest'
    ]);
    expect(isLatestRelease('v2.0.0', known)).toBe(true);
  });
  it('true and false force it', () => {
    expect(
      names({
        context: ctx('refs/heads/dev'),
        tagRules: ['type=ref,event=branch'],
        flavor: { latest: 'true' }
      })
    ).toEqual(['dev', 'latest']);
    expect(names({ context: ctx('refs/tags/v1.2.3'), tagRules: rules, flavor: { latest: 'false' } })).toEqual(
      ['1.2.3']
    );
  });
});

describe('sanitising and refusing invalid tags', () => {
  it('turns invalid characters of a branch into "-" and caps it at 128 characters', () => {
    expect(
      names({ context: ctx('refs/heads/feature/JIRA-12_x+y@z'), tagRules: ['type=ref,event=branch'] })
    ).toEqual(['feature-JIRA-12_x-y-z']);
    const long = `f${'x'.repeat(200)}`;
    const [tag] = names({ context: ctx(`refs/heads/${long}`), tagRules: ['type=ref,event=branch'] });
    expect(tag).toHaveLength(128);
  });
  it('refuses a branch whose tag would start with "." or "-", naming the rule', () => {
    expect(() => names({ context: ctx('refs/heads/.hidden'), tagRules: ['type=ref,event=branch'] })).toThrow(
      /Input 'tags': rule "type=ref,event=branch" yields ".hidden", which is not a valid tag/
    );
    expect(() => names({ context: ctx('refs/heads/main'), tagRules: ['type=raw,value=a b'] })).toThrow(
      InputError
    );
    expect(() =>
      names({ context: ctx('refs/heads/main'), tagRules: [`type=raw,value=${'a'.repeat(129)}`] })
    ).toThrow(InputError);
  });
  it('refuses unknown rule types, attributes and a bad image', () => {
    expect(() => names({ context: ctx('refs/heads/main'), tagRules: ['type=pep999'] })).toThrow(
      /unknown type "pep999"/
    );
    expect(() => names({ context: ctx('refs/heads/main'), tagRules: ['type=sha,colour=red'] })).toThrow(
      /unknown attribute "colour"/
    );
    expect(() => names({ context: ctx('refs/heads/main'), tagRules: ['type=ref'] })).toThrow(
      /needs event=branch/
    );
    expect(() => meta({ context: ctx('refs/heads/main'), images: ['ghcr.io/acme/shop:1'] })).toThrow(
      /Input 'images'/
    );
    expect(() => meta({ context: ctx('refs/heads/main'), images: ['ghcr.io/acme//shop'] })).toThrow(
      /Input 'images'/
    );
  });
});

describe('image names', () => {
  it('are lower-cased as metadata-action does, so an upper-case owner in github.repository works', () => {
    expect(meta({ context: ctx('refs/heads/main'), images: ['ghcr.io/Acme/Shop'] }).tags).toEqual([
      'ghcr.io/acme/shop:main'
    ]);
  });
});

describe('OCI labels', () => {
  const payload = {
    repository: {
      name: 'shop',
      description: 'The shop',
      html_url: 'https://github.com/acme/shop',
      default_branch: 'main',
      license: { spdx_id: 'MIT' }
    }
  };
  it('from the GitHub context and the repository in the event payload', () => {
    const m = meta({
      context: ctx('refs/tags/v1.2.3', 'push', contextFromPayload(payload)),
      tagRules: ['type=semver,pattern={{version}}']
    });
    expect(m.labels).toEqual({
      'org.opencontainers.image.title': 'shop',
      'org.opencontainers.image.description': 'The shop',
      'org.opencontainers.image.url': 'https://github.com/acme/shop',
      'org.opencontainers.image.source': 'https://github.com/acme/shop',
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.created': '2026-11-23T09:30:00.000Z',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.licenses': 'MIT'
    });
  });
  it('user labels override the generated ones; missing description/license are left out', () => {
    const m = meta({
      context: ctx('refs/heads/main'),
      labels: { 'org.opencontainers.image.title': 'Custom', maintainer: 'ops' }
    });
    expect(m.labels['org.opencontainers.image.title']).toBe('Custom');
    expect(m.labels.maintainer).toBe('ops');
    expect(m.labels['org.opencontainers.image.description']).toBeUndefined();
    expect(m.labels['org.opencontainers.image.licenses']).toBeUndefined();
    expect(m.labels['org.opencontainers.image.source']).toBe('https://github.com/acme/shop');
  });
  it('reads the pull request number from the payload', () => {
    expect(contextFromPayload({ pull_request: { number: 42 } }).prNumber).toBe(42);
    expect(
      contextFromPayload({ repository: { license: { spdx_id: 'NOASSERTION' } } }).repoLicense
    ).toBeUndefined();
  });
});

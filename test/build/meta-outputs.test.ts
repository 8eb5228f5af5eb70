import {
  annotationsAt,
  bakeDefinition,
  computeMeta,
  metaJson,
  parseLevels,
  parseFlavor,
  parseImages,
  resolveMetaContext,
  splitTagInput
} from '../../packages/docker/src/index.js';
import { SHA, HEAD, NOW, run, names, type Case } from './meta-support.js';

/** docker/metadata-action's behaviour, part 2: flavor, context, images, labels, refusals and output shapes. */
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

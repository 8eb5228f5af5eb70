import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../packages/core/src/index.js';
import { planPublish, type PublishOptions } from '../../packages/registry/src/index.js';

const D = `sha256:${'a'.repeat(64)}`;
const emptyConfig = mkdtempSync(join(tmpdir(), 'build-cfg-'));
const opts = (o: Partial<PublishOptions>): PublishOptions => ({
  registry: '127.0.0.1:5055',
  username: 'deploy',
  password: 'pw-1',
  source: `127.0.0.1:5055/build/app@${D}`,
  targets: ['build/app-staging'],
  tags: [],
  dockerLogin: false,
  dockerConfigDir: emptyConfig,
  ...o
});
const inputError = (o: Partial<PublishOptions>): InputError => {
  try {
    planPublish(opts(o));
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('no InputError');
};

describe('planPublish: inputs decided before anything is pushed', () => {
  it('puts host-less targets on `registry` and takes tags from the inputs, the target, or the source', () => {
    const p = planPublish(
      opts({
        source: '127.0.0.1:5055/build/app:1.2.3',
        targets: ['build/a', '127.0.0.1:5056/build/b:rc', 'build/c:x']
      })
    );
    expect(p.local).toBe(false);
    expect(p.targets.map((t) => [`${t.ref.registry}/${t.ref.repository}`, t.tags])).toEqual([
      ['127.0.0.1:5055/build/a', ['1.2.3']],
      ['127.0.0.1:5056/build/b', ['rc']],
      ['127.0.0.1:5055/build/c', ['x']]
    ]);
    const q = planPublish(opts({ targets: ['build/a:ignored'], tags: ['1.2.3', 'stable'] }));
    expect(q.targets[0]!.tags).toEqual(['1.2.3', 'stable']);
  });

  it('takes docker.io (or index.docker.io) as the registry, with library/ for official images', () => {
    const p = planPublish(
      opts({
        registry: 'index.docker.io',
        source: `docker.io/acme/app@${D}`,
        targets: ['acme/app', 'nginx'],
        tags: ['1']
      })
    );
    expect(p.registry).toBe('docker.io');
    expect(p.targets.map((t) => `${t.ref.registry}/${t.ref.repository}`)).toEqual([
      'docker.io/acme/app',
      'docker.io/library/nginx'
    ]);
    expect(p.credentials.get('docker.io')).toEqual({ username: 'deploy', password: 'pw-1' });
  });

  it('treats a source without a registry host as a local image', () => {
    expect(planPublish(opts({ source: 'build-app:1' })).local).toBe(true);
    expect(inputError({ source: `build-app@${D}` }).message).toContain('has a digest but no registry host');
  });

  it.each<[Partial<PublishOptions>, string, string]>([
    [{ source: 'Bad/Name' }, 'source', 'upper case'],
    [{ source: 'build-app:1', targets: [] }, 'targets', 'a local image needs a target'],
    [{ targets: [], tags: ['x'] }, 'tags', 'no targets'],
    [{ targets: [`build/x@${D}`] }, 'targets', 'has a digest'],
    [{ targets: ['build/x', 'build/x'], tags: ['a'] }, 'targets', 'listed twice'],
    [{ tags: ['-bad'] }, 'tags', 'not a valid tag'],
    [{ username: undefined }, 'username', 'a password is given'],
    [{ sourceUsername: 'x' }, 'source-password', 'source-username is set'],
    [{ registry: 'https://ghcr.io' }, 'registry', 'not a valid image reference'],
    [{ registry: 'ghcr.io/acme' }, 'registry', 'is not a registry host']
  ])('refuses %j (input %s)', (o, input, text) => {
    const e = inputError(o);
    expect(e.input).toBe(input);
    expect(e.message).toContain(text);
  });

  it('logs in only when neither source nor targets are given, and needs credentials for it', () => {
    expect(planPublish(opts({ source: '', targets: [] })).loginOnly).toBe(true);
    expect(planPublish(opts({})).loginOnly).toBe(false);
    expect(inputError({ source: '', targets: [], password: undefined }).message).toContain(
      'this step only logs in'
    );
    expect(inputError({ source: '' }).input).toBe('source');
    expect(inputError({ source: 'build-app:1', targets: [] }).input).toBe('targets');
    // A remote source with no targets is only resolved (issue 29 item 9).
    const resolveOnly = planPublish(opts({ targets: [] }));
    expect([resolveOnly.loginOnly, resolveOnly.targets]).toEqual([false, []]);
  });

  it('uses the workflow token on ghcr.io when no password is given', () => {
    const p = planPublish(
      opts({
        registry: 'ghcr.io',
        username: 'octocat',
        password: undefined,
        githubToken: 'ghs_x',
        source: `ghcr.io/acme/app@${D}`,
        targets: ['acme/app']
      })
    );
    expect(p.credentials.get('ghcr.io')).toEqual({ username: 'octocat', password: 'ghs_x' });
    expect(p.credentialSource.get('ghcr.io')).toBe('the workflow token');
  });

  it('with a username but no password (the actor default), falls back to config.json or anonymous', () => {
    const p = planPublish(opts({ password: undefined }));
    expect(p.credentials.get('127.0.0.1:5055')).toBeUndefined();
    expect(p.credentialSource.get('127.0.0.1:5055')).toBe('anonymous');
  });

  it('takes other registries credentials from docker config.json, else anonymous', () => {
    const dir = mkdtempSync(join(tmpdir(), 'build-cfg-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: { '127.0.0.1:5056': { auth: Buffer.from('deploy2:pw:with:colons').toString('base64') } }
      })
    );
    const p = planPublish(
      opts({
        dockerConfigDir: dir,
        targets: ['127.0.0.1:5056/build/b', 'registry.example.com/build/c'],
        tags: ['1']
      })
    );
    expect(p.credentials.get('127.0.0.1:5056')).toEqual({ username: 'deploy2', password: 'pw:with:colons' });
    expect(p.credentialSource.get('127.0.0.1:5056')).toBe('docker config.json (user deploy2)');
    expect(p.credentialSource.get('registry.example.com')).toBe('anonymous');
    expect(p.credentials.get('127.0.0.1:5055')).toEqual({ username: 'deploy', password: 'pw-1' });
  });
});

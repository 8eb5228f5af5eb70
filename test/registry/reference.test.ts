import { InputError } from '../../packages/core/src/index.js';
import { formatReference, parseReference } from '../../packages/registry/src/index.js';

const D = `sha256:${'f'.repeat(64)}`;

/** Cases from the distribution/reference grammar and docker's normalisation. */
describe('parseReference: the distribution reference grammar', () => {
  it.each([
    ['test_com', 'docker.io', 'library/test_com', undefined, undefined],
    ['test.com:tag', 'docker.io', 'library/test.com', 'tag', undefined],
    ['test.com:5000', 'docker.io', 'library/test.com', '5000', undefined],
    ['test.com/repo:tag', 'test.com', 'repo', 'tag', undefined],
    ['test:5000/repo', 'test:5000', 'repo', undefined, undefined],
    [`test:5000/repo@${D}`, 'test:5000', 'repo', undefined, D],
    [`test:5000/repo:tag@${D}`, 'test:5000', 'repo', 'tag', D],
    ['lowercase:Uppercase', 'docker.io', 'library/lowercase', 'Uppercase', undefined],
    ['foo_bar.com:8080', 'docker.io', 'library/foo_bar.com', '8080', undefined],
    ['foo/foo_bar.com:8080', 'docker.io', 'foo/foo_bar.com', '8080', undefined],
    ['192.168.1.1', 'docker.io', 'library/192.168.1.1', undefined, undefined],
    ['192.168.1.1:5/n', '192.168.1.1:5', 'n', undefined, undefined],
    ['localhost/x', 'localhost', 'x', undefined, undefined],
    ['localhost:5000/a/b/c:v1', 'localhost:5000', 'a/b/c', 'v1', undefined],
    ['[2001:db8::1]:5000/repo', '[2001:db8::1]:5000', 'repo', undefined, undefined],
    ['docker.io/ubuntu', 'docker.io', 'library/ubuntu', undefined, undefined],
    ['index.docker.io/acme/app:1', 'docker.io', 'acme/app', '1', undefined],
    ['ghcr.io/acme/shop-api:v1.2.3', 'ghcr.io', 'acme/shop-api', 'v1.2.3', undefined],
    ['127.0.0.1:5055/build/a__b/c-d.e_f', '127.0.0.1:5055', 'build/a__b/c-d.e_f', undefined, undefined],
    ['a/b---c', 'docker.io', 'a/b---c', undefined, undefined],
    ['Registry.Example.com/a', 'Registry.Example.com', 'a', undefined, undefined]
  ])('%s', (text, registry, repository, tag, digest) => {
    const r = parseReference(text);
    expect({ registry: r.registry, repository: r.repository, tag: r.tag, digest: r.digest }).toEqual({
      registry,
      repository,
      tag,
      digest
    });
  });

  it('tells whether the text named a registry', () => {
    expect(parseReference('shop:1').explicitRegistry).toBe(false);
    expect(parseReference('acme/shop:1').explicitRegistry).toBe(false);
    expect(parseReference('docker.io/acme/shop').explicitRegistry).toBe(true);
    expect(parseReference('localhost/shop').explicitRegistry).toBe(true);
  });

  it.each([
    ['', 'it is empty'],
    [':justtag', 'the repository name is empty'],
    [`@${D}`, 'the repository name is empty'],
    ['Uppercase:tag', 'path component "Uppercase" has upper case'],
    ['test:5000/Uppercase/lowercase:tag', 'path component "Uppercase" has upper case'],
    ['aa/asdf$$^/aa', 'path component "asdf$$^" may only hold'],
    ['-foo', 'path component "-foo"'],
    ['foo//bar', 'empty component'],
    ['foo/', 'empty component'],
    ['repo@sha256:ffff', 'digest "sha256:ffff"'],
    [`repo@sha256:${'F'.repeat(64)}`, 'lower-case hex'],
    ['repo:', 'the tag after ":" is empty'],
    [`repo:${'a'.repeat(129)}`, 'at most 128 characters'],
    ['repo:-tag', 'tag "-tag"'],
    [`${'a'.repeat(256)}`, 'the maximum is 255'],
    ['https://ghcr.io/acme/shop', 'drop the scheme'],
    ['ghcr.io/acme shop', 'whitespace'],
    ['host:port:1/x', 'more than one ":"'],
    ['host:abc/x:1', 'registry port "abc"'],
    ['ho_st.com/x', 'registry host "ho_st.com"']
  ])('refuses %j: %s', (text, problem) => {
    let err: unknown;
    try {
      parseReference(text, { input: 'targets' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('targets');
    expect((err as Error).message).toContain(problem);
    expect((err as Error).message).toContain('Fix: write [host[:port]/]path');
  });

  it('refuses a tag or digest where only a repository is wanted', () => {
    expect(() => parseReference('ghcr.io/acme/shop:1', { input: 'images', nameOnly: true })).toThrow(
      "Input 'images'"
    );
    expect(parseReference('ghcr.io/acme/shop', { nameOnly: true }).repository).toBe('acme/shop');
  });

  it('formats back to host/repo[:tag][@digest]', () => {
    expect(formatReference(parseReference(`127.0.0.1:5055/build/app:1@${D}`))).toBe(
      `127.0.0.1:5055/build/app:1@${D}`
    );
    expect(formatReference(parseReference('ubuntu'))).toBe('docker.io/library/ubuntu');
  });
});

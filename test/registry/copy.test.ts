import { randomBytes } from 'node:crypto';
import { RegistryError, captureLogger } from '../../packages/core/src/index.js';
import { copyImage, parseReference } from '../../packages/registry/src/index.js';
import { integration } from '../support/infra.js';
import {
  clientFor,
  pushMultiPlatform,
  pushRandomImage,
  registries,
  skopeoDigest,
  skopeoRawDigest,
  startProxy,
  unique,
  type Proxy
} from './support.js';

const ref = (text: string) => parseReference(text);

/** Promotion through the Registry API against the two real docker-registry instances. */
integration('copyImage against real registries', () => {
  const { r1, r2 } = registries();
  const proxies: Proxy[] = [];
  afterAll(async () => {
    for (const p of proxies) await p.close();
  });

  it('promotes inside one registry by cross-repository mount: no layer bytes are uploaded', async () => {
    const proxy = await startProxy(r1.host, 18210);
    proxies.push(proxy);
    const src = unique('build/mount-src');
    const dst = unique('build/mount-dst');
    const direct = clientFor(r1.host, r1.username, r1.password);
    const image = await pushRandomImage(direct, src, 'v1', [200_000, 300_000, 100_000]);
    const viaProxy = clientFor(proxy.host, r1.username, r1.password);
    const logger = captureLogger();
    const r = await copyImage(
      { ref: ref(`${proxy.host}/${src}:v1`), client: viaProxy },
      [{ ref: ref(`${proxy.host}/${dst}`), client: viaProxy, tags: ['1.0.0', 'stable'] }],
      { logger }
    );
    expect(r.digest).toBe(image.digest);
    expect({ mounted: r.blobsMounted, copied: r.blobsCopied, bytes: r.bytesCopied }).toEqual({
      mounted: 4,
      copied: 0,
      bytes: 0
    });
    const mounts = proxy.log.filter(
      (e) => e.method === 'POST' && e.url.includes('mount=') && e.status === 201
    );
    expect(mounts).toHaveLength(4);
    for (const b of image.blobs)
      expect(mounts.some((m) => m.url.includes(encodeURIComponent(b.digest)))).toBe(true);
    // Only the manifest travelled: its bytes for @digest and each tag.
    expect(proxy.uploaded()).toBe(image.body.length * 3);
    expect(r.refs).toEqual([
      `${proxy.host}/${dst}:1.0.0`,
      `${proxy.host}/${dst}:stable`,
      `${proxy.host}/${dst}@${image.digest}`
    ]);
    expect(skopeoDigest(`${r1.host}/${dst}:stable`, r1)).toBe(image.digest);
    expect(skopeoRawDigest(`${r1.host}/${dst}:1.0.0`, r1)).toBe(image.digest);
  });

  it('copies across registries with their own credentials, streaming every blob, then skips what is there', async () => {
    const src = unique('build/cross-src');
    const dst = unique('build/cross-dst');
    const c1 = clientFor(r1.host, r1.username, r1.password);
    const c2 = clientFor(r2.host, r2.username, r2.password);
    const image = await pushRandomImage(c1, src, 'v2', [150_000, 250_000]);
    const first = await copyImage(
      { ref: ref(`${r1.host}/${src}@${image.digest}`), client: c1 },
      [{ ref: ref(`${r2.host}/${dst}`), client: c2, tags: ['v2'] }],
      { logger: captureLogger() }
    );
    const size = image.blobs.reduce((a, b) => a + b.size, 0);
    expect({ copied: first.blobsCopied, bytes: first.bytesCopied, mounted: first.blobsMounted }).toEqual({
      copied: 3,
      bytes: size,
      mounted: 0
    });
    expect(skopeoDigest(`${r2.host}/${dst}:v2`, r2)).toBe(image.digest);
    const again = await copyImage(
      { ref: ref(`${r1.host}/${src}:v2`), client: c1 },
      [{ ref: ref(`${r2.host}/${dst}`), client: c2, tags: ['v2-again'] }],
      { logger: captureLogger() }
    );
    expect({ skipped: again.blobsSkipped, copied: again.blobsCopied, bytes: again.bytesCopied }).toEqual({
      skipped: 3,
      copied: 0,
      bytes: 0
    });
    expect(skopeoDigest(`${r2.host}/${dst}:v2-again`, r2)).toBe(image.digest);
  });

  it.each([
    ['an OCI image index', false],
    ['a Docker manifest list', true]
  ])('copies %s whole, every platform child included', async (_name, docker) => {
    const src = unique('build/multi-src');
    const dst = unique('build/multi-dst');
    const c1 = clientFor(r1.host, r1.username, r1.password);
    const c2 = clientFor(r2.host, r2.username, r2.password);
    const { index, children } = await pushMultiPlatform(c1, src, 'multi', docker);
    const r = await copyImage(
      { ref: ref(`${r1.host}/${src}:multi`), client: c1 },
      [{ ref: ref(`${r2.host}/${dst}`), client: c2, tags: ['multi'] }],
      { logger: captureLogger() }
    );
    expect(r.digest).toBe(index.digest);
    expect(r.platforms).toEqual(['linux/amd64', 'linux/arm64/v8']);
    expect(r.manifestsPut).toBe(3);
    expect(r.blobsCopied).toBe(5); // 2 configs + 3 layers
    expect(skopeoRawDigest(`${r2.host}/${dst}:multi`, r2)).toBe(index.digest);
    for (const c of children) expect(skopeoRawDigest(`${r2.host}/${dst}@${c.digest}`, r2)).toBe(c.digest);
  });

  it('fails clearly on a wrong password, before pushing anything', async () => {
    const dst = unique('build/denied');
    const src = unique('build/denied-src');
    const c1 = clientFor(r1.host, r1.username, r1.password);
    await pushRandomImage(c1, src, 'v1', [1000]);
    const bad = clientFor(r2.host, r2.username, 'not-the-password');
    let err: unknown;
    try {
      await copyImage(
        { ref: ref(`${r1.host}/${src}:v1`), client: c1 },
        [{ ref: ref(`${r2.host}/${dst}`), client: bad, tags: ['v1'] }],
        { logger: captureLogger() }
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(401);
    expect((err as Error).message).toBe(
      `${r2.host} refused user '${r2.username}' for GET /v2/ (HTTP 401): UNAUTHORIZED authentication required`
    );
    expect((err as RegistryError).hint).toContain('check the username and password');
    const good = clientFor(r2.host, r2.username, r2.password);
    expect(await good.headManifest(dst, 'v1')).toBeUndefined();
  });

  it('fails clearly when a registry needs credentials and none were given', async () => {
    await expect(clientFor(r1.host).ping()).rejects.toThrow(
      `${r1.host} asks for credentials and none were given`
    );
  });

  it('retries through a proxy that answers 500 and 429 (with Retry-After) before passing through', async () => {
    const faulted = new Map<string, number>();
    const once = (key: string) => {
      faulted.set(key, (faulted.get(key) ?? 0) + 1);
      return faulted.get(key) === 1;
    };
    const proxy = await startProxy(r2.host, 18211, {
      fault: (req) => {
        if (req.method === 'GET' && req.url?.includes('/manifests/') && once('manifest-get'))
          return { status: 500 };
        if (req.method === 'HEAD' && req.url?.includes('/blobs/') && once('head')) return { status: 503 };
        if (req.method === 'POST' && req.url?.includes('/blobs/uploads/') && once('post'))
          return { status: 429, headers: { 'retry-after': '1' } };
        if (req.method === 'PUT' && req.url?.includes('/blobs/uploads/') && once('put'))
          return { status: 502 };
        if (req.method === 'PUT' && req.url?.includes('/manifests/') && once('manifest-put'))
          return { status: 429 };
        return undefined;
      }
    });
    proxies.push(proxy);
    const src = unique('build/flaky-src');
    const dst = unique('build/flaky-dst');
    const c2 = clientFor(r2.host, r2.username, r2.password);
    const image = await pushRandomImage(c2, src, 'v1', [64_000, 32_000]);
    // Source on registry 1 (direct), target behind the faulty proxy; then the source behind it too.
    const c1 = clientFor(r1.host, r1.username, r1.password);
    await copyImage(
      { ref: ref(`${r2.host}/${src}:v1`), client: c2 },
      [{ ref: ref(`${r1.host}/${src}`), client: c1, tags: ['v1'] }],
      { logger: captureLogger() }
    );
    const logger = captureLogger();
    const flaky = clientFor(proxy.host, r2.username, r2.password, logger);
    const r = await copyImage(
      { ref: ref(`${r1.host}/${src}:v1`), client: c1 },
      [{ ref: ref(`${proxy.host}/${dst}`), client: flaky, tags: ['v1'] }],
      { logger, backoffMs: 50 }
    );
    expect(r.digest).toBe(image.digest);
    const injected = proxy.log.filter((e) => e.injected).map((e) => `${e.method} ${e.status}`);
    expect(injected.sort()).toEqual(['GET 500', 'HEAD 503', 'POST 429', 'PUT 429', 'PUT 502'].sort());
    expect(flaky.stats.retries).toBeGreaterThanOrEqual(5);
    expect(logger.text()).toContain('got 429; retry 1/5 in 1000 ms');
    expect(skopeoDigest(`${r2.host}/${dst}:v1`, r2)).toBe(image.digest);
  });

  it('refuses a target that answers another digest for a tag, naming what state the tag is in', async () => {
    const forged = `sha256:${'0'.repeat(64)}`;
    const proxy = await startProxy(r2.host, 18213, {
      fault: (req) =>
        req.method === 'PUT' && req.url?.endsWith('/manifests/v9')
          ? { status: 201, headers: { 'docker-content-digest': forged } }
          : undefined
    });
    proxies.push(proxy);
    const src = unique('build/forged-src');
    const c1 = clientFor(r1.host, r1.username, r1.password);
    const image = await pushRandomImage(c1, src, 'v9', [2000]);
    const dst = unique('build/forged-dst');
    let err: unknown;
    try {
      await copyImage(
        { ref: ref(`${r1.host}/${src}:v9`), client: c1 },
        [
          {
            ref: ref(`${proxy.host}/${dst}`),
            client: clientFor(proxy.host, r2.username, r2.password),
            tags: ['v9']
          }
        ],
        { logger: captureLogger() }
      );
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe(
      `${proxy.host}/${dst}:v9 was stored as ${forged}, not ${image.digest}`
    );
    expect((err as RegistryError).state).toBe(`${proxy.host}/${dst}:v9 may point at a different manifest`);
  });

  it('speaks the Bearer token flow (realm/service/scope) to a token server in front of the registry', async () => {
    const tokens = new Map<string, string>();
    const scopes: string[] = [];
    const upstreamBasic = `Basic ${Buffer.from(`${r2.username}:${r2.password}`).toString('base64')}`;
    const port = 18212;
    const proxy = await startProxy(r2.host, port, {
      authorize: (req, res) => {
        const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
        if (url.pathname === '/token') {
          const ok =
            req.headers.authorization ===
            `Basic ${Buffer.from('robot:s3cret-token-pass').toString('base64')}`;
          if (!ok) {
            res.writeHead(401).end('{"details":"bad credentials"}');
            return false;
          }
          if (url.searchParams.get('service') !== 'build-registry') {
            res.writeHead(400).end();
            return false;
          }
          const t = randomBytes(12).toString('hex');
          tokens.set(t, url.searchParams.getAll('scope').join(' '));
          scopes.push(...url.searchParams.getAll('scope'));
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: t }));
          return false;
        }
        const bearer = /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!bearer || !tokens.has(bearer)) {
          res
            .writeHead(401, {
              'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="build-registry"`
            })
            .end();
          return false;
        }
        return upstreamBasic;
      }
    });
    proxies.push(proxy);
    const src = unique('build/bearer-src');
    const dst = unique('build/bearer-dst');
    const c1 = clientFor(r1.host, r1.username, r1.password);
    const image = await pushRandomImage(c1, src, 'v1', [10_000]);
    const viaToken = clientFor(proxy.host, 'robot', 's3cret-token-pass');
    const r = await copyImage(
      { ref: ref(`${r1.host}/${src}:v1`), client: c1 },
      [{ ref: ref(`${proxy.host}/${dst}`), client: viaToken, tags: ['v1'] }],
      { logger: captureLogger() }
    );
    expect(r.digest).toBe(image.digest);
    expect(scopes).toContain(`repository:${dst}:pull,push`);
    expect(
      proxy.log.filter((e) => e.auth === 'Bearer' && e.status >= 200 && e.status < 300).length
    ).toBeGreaterThan(3);
    expect(skopeoDigest(`${r2.host}/${dst}:v1`, r2)).toBe(image.digest);

    const wrong = clientFor(proxy.host, 'robot', 'wrong');
    await expect(wrong.ping()).rejects.toThrow(
      `${proxy.host}: the token server 127.0.0.1:${port} refused user 'robot' (HTTP 401)`
    );
  });

  it('refuses a source whose tag does not exist, naming it', async () => {
    const c1 = clientFor(r1.host, r1.username, r1.password);
    const missing = unique('build/missing');
    await expect(
      copyImage(
        { ref: ref(`${r1.host}/${missing}:nope`), client: c1 },
        [{ ref: ref(`${r1.host}/${missing}-dst`), client: c1, tags: [] }],
        { logger: captureLogger() }
      )
    ).rejects.toThrow(`${r1.host}/${missing}:nope: manifest not found`);
  });
});

import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { captureLogger } from '../../packages/core/src/index.js';
import { copyImage, parseReference } from '../../packages/registry/src/index.js';
import { integration } from '../support/infra.js';
import { clientFor, pushRandomImage, registries, skopeoDigest, unique } from './support.js';

/**
 * Streaming, proved without timing: the source holds back the last part of a layer until the target has
 * received half of it. A copy that buffered the layer before uploading would wait forever (and the guard
 * below fails the test); a streaming copy finishes.
 */
integration('a layer is streamed from source to target, never buffered whole', () => {
  const { r1, r2 } = registries();
  const sockets = new Set<Socket>();
  const servers: http.Server[] = [];
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  });

  async function listen(port: number, handler: http.RequestListener): Promise<string> {
    const server = http.createServer(handler);
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Forward to a registry; `onBody`/`hold` see and gate the bytes of blob uploads and blob downloads. */
  function forward(
    upstream: string,
    opts: { onUpload?: (n: number) => void; holdDownload?: (sent: number, total: number) => Promise<void> }
  ): http.RequestListener {
    const [host, port] = upstream.split(':');
    return (req, res) => {
      const up = http.request(
        { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          const isBlob = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');
          const total = Number(ur.headers['content-length'] ?? 0);
          if (!isBlob || !opts.holdDownload || total < 1_000_000) return void ur.pipe(res);
          let sent = 0;
          ur.on('data', (chunk: Buffer) => {
            ur.pause();
            const room = Math.max(0, total - 256 * 1024 - sent);
            const now = chunk.subarray(0, room);
            const later = chunk.subarray(room);
            if (now.length) res.write(now);
            sent += now.length;
            if (later.length === 0) return void ur.resume();
            void opts.holdDownload!(sent, total).then(() => {
              res.write(later);
              sent += later.length;
              ur.resume();
            });
          });
          ur.on('end', () => res.end());
        }
      );
      req.on('data', (c: Buffer) => {
        if (req.method === 'PUT' && /\/blobs\/uploads\//.test(req.url ?? '')) opts.onUpload?.(c.length);
      });
      req.pipe(up);
    };
  }

  it('uploads half of a 4 MiB layer before the source has sent the whole of it', async () => {
    const size = 4 * 1024 * 1024;
    let uploaded = 0;
    let released: () => void = () => {};
    const halfUploaded = new Promise<void>((r) => (released = r));
    const target = await listen(
      18220,
      forward(r2.host, {
        onUpload: (n) => {
          uploaded += n;
          if (uploaded >= size / 2) released();
        }
      })
    );
    let held = false;
    const source = await listen(
      18221,
      forward(r1.host, {
        holdDownload: async () => {
          held = true;
          await halfUploaded;
        }
      })
    );
    const src = unique('build/stream-src');
    const dst = unique('build/stream-dst');
    const image = await pushRandomImage(clientFor(r1.host, r1.username, r1.password), src, 'v1', [size]);
    const guard = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error('the copy stalled: the layer was buffered, not streamed')),
        30_000
      ).unref()
    );
    const r = await Promise.race([
      copyImage(
        { ref: parseReference(`${source}/${src}:v1`), client: clientFor(source, r1.username, r1.password) },
        [
          {
            ref: parseReference(`${target}/${dst}`),
            client: clientFor(target, r2.username, r2.password),
            tags: ['v1']
          }
        ],
        { logger: captureLogger() }
      ),
      guard
    ]);
    expect(held).toBe(true);
    expect(r.bytesCopied).toBe(image.blobs.reduce((a, b) => a + b.size, 0));
    expect(skopeoDigest(`${r2.host}/${dst}:v1`, r2)).toBe(image.digest);
  });
});

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { infra } from '../support/infra.js';
import type { Logger } from '../../packages/core/src/index.js';
import {
  DOCKER_LIST,
  DOCKER_MANIFEST,
  OCI_INDEX,
  OCI_MANIFEST,
  RegistryClient,
  sha256
} from '../../packages/registry/src/index.js';

/** Registry fixtures and small HTTP middlemen for the registry and build tests (all on 127.0.0.1). */

export function registries() {
  const [r1, r2] = infra().registries;
  return { r1: r1!, r2: r2! };
}

export function clientFor(
  host: string,
  username?: string,
  password?: string,
  logger?: Logger
): RegistryClient {
  return new RegistryClient({
    registry: host,
    credentials: username && password ? { username, password } : undefined,
    backoffMs: 50,
    logger
  });
}

export const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

export interface PushedImage {
  digest: string;
  body: Buffer;
  mediaType: string;
  blobs: { digest: string; size: number }[];
}

/** Push an image of random layers (sizes in bytes) through the API; OCI or Docker media types. */
export async function pushRandomImage(
  client: RegistryClient,
  repo: string,
  reference: string,
  layerSizes: number[],
  opts: { docker?: boolean; arch?: string } = {}
): Promise<PushedImage> {
  const layers = [];
  for (const size of layerSizes) {
    const data = randomBytes(size);
    layers.push({
      mediaType: opts.docker
        ? 'application/vnd.docker.image.rootfs.diff.tar.gzip'
        : 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: await client.pushBlob(repo, data),
      size
    });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: opts.arch ?? 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: { Labels: { nonce: randomBytes(8).toString('hex') } }
    })
  );
  const configDesc = {
    mediaType: opts.docker
      ? 'application/vnd.docker.container.image.v1+json'
      : 'application/vnd.oci.image.config.v1+json',
    digest: await client.pushBlob(repo, config),
    size: config.length
  };
  const mediaType = opts.docker ? DOCKER_MANIFEST : OCI_MANIFEST;
  const body = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType, config: configDesc, layers }, null, 3)
  );
  const digest = await client.putManifest(repo, reference, mediaType, body);
  return { digest, body, mediaType, blobs: [configDesc, ...layers] };
}

/** Two single-platform images and an index (OCI) or manifest list (Docker) over them. */
export async function pushMultiPlatform(
  client: RegistryClient,
  repo: string,
  tag: string,
  docker = false
): Promise<{ index: PushedImage; children: PushedImage[] }> {
  const children = [
    await pushRandomImage(client, repo, `${tag}-amd64`, [3000, 5000], { docker, arch: 'amd64' }),
    await pushRandomImage(client, repo, `${tag}-arm64`, [4000], { docker, arch: 'arm64' })
  ];
  const mediaType = docker ? DOCKER_LIST : OCI_INDEX;
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: children.map((c, i) => ({
        mediaType: c.mediaType,
        digest: c.digest,
        size: c.body.length,
        platform: {
          os: 'linux',
          architecture: i === 0 ? 'amd64' : 'arm64',
          ...(i === 1 ? { variant: 'v8' } : {})
        }
      }))
    })
  );
  const digest = await client.putManifest(repo, tag, mediaType, body);
  return { index: { digest, body, mediaType, blobs: [] }, children };
}

/** skopeo, the independent witness: the digest of the raw manifest it reads. */
export function skopeoRawDigest(ref: string, creds: { username: string; password: string }): string {
  const r = spawnSync(
    'skopeo',
    [
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      `${creds.username}:${creds.password}`,
      `docker://${ref}`
    ],
    { encoding: 'buffer', timeout: 60_000 }
  );
  if (r.status !== 0) throw new Error(`skopeo inspect --raw ${ref}: ${r.stderr.toString()}`);
  return `sha256:${createHash('sha256').update(r.stdout).digest('hex')}`;
}

/** skopeo inspect: the Digest it reports for a tag. */
export function skopeoDigest(ref: string, creds: { username: string; password: string }): string {
  const r = spawnSync(
    'skopeo',
    ['inspect', '--tls-verify=false', '--creds', `${creds.username}:${creds.password}`, `docker://${ref}`],
    { encoding: 'utf8', timeout: 60_000 }
  );
  if (r.status !== 0) throw new Error(`skopeo inspect ${ref}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { Digest: string }).Digest;
}

export interface Recorded {
  method: string;
  url: string;
  status: number;
  /** Request body bytes the proxy forwarded (what a client uploaded). */
  bytesIn: number;
  auth?: string;
  injected?: boolean;
}

export interface Proxy {
  host: string;
  log: Recorded[];
  /** Bytes of request bodies forwarded (uploads). */
  uploaded(): number;
  close(): Promise<void>;
}

export type Fault = { status: number; headers?: Record<string, string> } | undefined;

/**
 * An HTTP reverse proxy in front of a registry that records every request and uploaded byte and can
 * answer a request itself (a fault) before passing the rest through. The Host header is kept, so the
 * registry's Location headers point back through the proxy.
 */
export async function startProxy(
  upstream: string,
  port: number,
  options: {
    fault?: (req: http.IncomingMessage, n: number) => Fault;
    /** Rewrite the Authorization header before forwarding (the token proxy uses it). */
    authorize?: (req: http.IncomingMessage, res: http.ServerResponse) => string | undefined | false;
  } = {}
): Promise<Proxy> {
  const [uhost, uport] = upstream.split(':');
  const log: Recorded[] = [];
  const sockets = new Set<Socket>();
  let n = 0;
  const server = http.createServer((req, res) => {
    const entry: Recorded = { method: req.method ?? '', url: req.url ?? '', status: 0, bytesIn: 0 };
    log.push(entry);
    const fault = options.fault?.(req, n++);
    if (fault) {
      entry.status = fault.status;
      entry.injected = true;
      req.resume();
      req.on('end', () =>
        res.writeHead(fault.status, fault.headers ?? {}).end('{"errors":[{"code":"INJECTED"}]}')
      );
      return;
    }
    const headers = { ...req.headers };
    if (options.authorize) {
      const auth = options.authorize(req, res);
      if (auth === false) {
        entry.status = res.statusCode;
        req.resume();
        return;
      }
      if (auth) headers.authorization = auth;
      else delete headers.authorization;
    }
    entry.auth = req.headers.authorization?.split(' ')[0];
    const up = http.request(
      { host: uhost, port: Number(uport), method: req.method, path: req.url, headers },
      (ur) => {
        entry.status = ur.statusCode ?? 0;
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      }
    );
    up.on('error', () => res.destroy());
    req.on('data', (c: Buffer) => (entry.bytesIn += c.length));
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    uploaded: () => log.reduce((a, e) => a + e.bytesIn, 0),
    close: () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      })
  };
}

/** Media types re-exported for tests. */
export { OCI_INDEX, DOCKER_LIST, sha256 };

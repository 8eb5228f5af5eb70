import { createHash } from 'node:crypto';
import type * as http from 'node:http';
import { Transform } from 'node:stream';
import { RegistryError, type Logger } from '../../core/src/index.js';
import {
  INDEX_TYPES,
  describeCause,
  isRetryableStatus,
  pushScope,
  retryAfterMs,
  sleep,
  type Descriptor,
  type Manifest,
  type RegistryClient
} from './client.js';
import { formatReference, type Reference } from './reference.js';

export interface CopyTarget {
  /** Registry and repository (a tag or digest here is ignored; tags come from `tags`). */
  ref: Reference;
  client: RegistryClient;
  /** Tags to point at the copied digest (may be empty: then only @digest is written). */
  tags: string[];
}

export interface CopySource {
  ref: Reference;
  client: RegistryClient;
}

export interface CopyOptions {
  logger: Logger;
  /** Blobs copied at once per manifest (default 4): enough to fill the pipe, bounded in memory. */
  concurrency?: number;
  /** Whole GET→PUT retries of a streamed blob (default 5). */
  retries?: number;
  backoffMs?: number;
}

/** A copy that has written nothing yet (fresh arrays each time: results are filled in place). */
export function emptyCopyResult(
  of: Pick<CopyResult, 'digest' | 'mediaType' | 'platforms'> = { digest: '', mediaType: '', platforms: [] }
): CopyResult {
  return {
    ...of,
    refs: [],
    blobsCopied: 0,
    blobsMounted: 0,
    blobsSkipped: 0,
    bytesCopied: 0,
    manifestsPut: 0
  };
}

export interface CopyResult {
  /** The manifest digest, equal at the source and every target. */
  digest: string;
  mediaType: string;
  /** os/arch[/variant] of every child of an index; empty for a single-platform image. */
  platforms: string[];
  /** Every reference written: tags and @digest, per target. */
  refs: string[];
  blobsCopied: number;
  blobsMounted: number;
  blobsSkipped: number;
  /** Blob bytes streamed from source to a target (mounts and skips cost none). */
  bytesCopied: number;
  manifestsPut: number;
}

interface Ctx {
  src: CopySource;
  dst: { client: RegistryClient; repo: string };
  /** Repositories in the target's registry that hold the image's blobs already (mount sources). */
  mountFrom: string[];
  result: CopyResult;
  manifests: Map<string, Manifest>;
  options: CopyOptions;
}

/**
 * Promote an image by digest: resolve the source once to its digest, then for every target copy each
 * blob (skip when present, mount across repositories inside one registry, else stream GET→PUT while
 * hashing), put every child manifest of an index and the index itself byte for byte, add the tags, and
 * verify at the target that digest and bytes are the source's.
 */
export async function copyImage(
  source: CopySource,
  targets: CopyTarget[],
  options: CopyOptions
): Promise<CopyResult> {
  const { logger } = options;
  const sref = source.ref;
  // Every registry answers and takes its credentials before anything is read or pushed.
  for (const c of new Set([source.client, ...targets.map((t) => t.client)])) await c.ping();
  const root = await source.client.getManifest(sref.repository, sref.digest ?? sref.tag ?? 'latest');
  if (sref.digest && root.digest !== sref.digest) {
    throw new RegistryError(`${formatReference(sref)}: the registry served ${root.digest}`, {
      state: 'nothing was pushed'
    });
  }
  logger.info(`source ${formatReference(sref)} is ${root.digest} (${root.mediaType})`);
  const result = emptyCopyResult({
    digest: root.digest,
    mediaType: root.mediaType,
    platforms: (root.json.manifests ?? []).map(platformOf)
  });
  const manifests = new Map<string, Manifest>([[root.digest, root]]);
  // Repositories per registry that already hold the whole image: later targets mount from them.
  const holders = new Map<string, string[]>();
  if (source.ref.registry === source.client.registry)
    holders.set(source.client.registry, [source.ref.repository]);

  for (const t of targets) {
    const repo = t.ref.repository;
    const where = `${t.ref.registry}/${repo}`;
    const mountFrom = (holders.get(t.client.registry) ?? []).filter((r) => r !== repo);
    await copyManifest(
      { src: source, dst: { client: t.client, repo }, mountFrom, result, manifests, options },
      root
    );
    for (const tag of t.tags) {
      const got = await t.client.putManifest(repo, tag, root.mediaType, root.body);
      if (got !== root.digest) {
        throw new RegistryError(`${where}:${tag} was stored as ${got}, not ${root.digest}`, {
          state: `${where}:${tag} may point at a different manifest`,
          hint: 'a registry or proxy rewrote the manifest; check the registry and run again'
        });
      }
      result.refs.push(`${where}:${tag}`);
    }
    await verify(t.client, repo, root, t.tags);
    result.refs.push(`${where}@${root.digest}`);
    logger.info(`verified ${where}@${root.digest}${t.tags.length ? ` (tags ${t.tags.join(', ')})` : ''}`);
    holders.set(t.client.registry, [...(holders.get(t.client.registry) ?? []), repo]);
  }
  return result;
}

/** The target answers the source's digest for @digest and every tag, and its bytes hash to it. */
async function verify(client: RegistryClient, repo: string, root: Manifest, tags: string[]): Promise<void> {
  const back = await client.getManifest(repo, root.digest);
  if (back.digest !== root.digest || !back.body.equals(root.body)) {
    throw new RegistryError(
      `${client.registry}/${repo}@${root.digest}: the stored bytes differ from the source`,
      {
        state: 'the target holds a manifest that is not the source image',
        hint: 'delete the target reference and run again'
      }
    );
  }
  for (const tag of tags) {
    const d = await client.headManifest(repo, tag);
    if (d !== root.digest) {
      throw new RegistryError(
        `${client.registry}/${repo}:${tag} answers ${d ?? 'nothing'}, not ${root.digest}`,
        {
          state: 'the tag does not point at the promoted image',
          hint: 'another push may have moved the tag concurrently; run again'
        }
      );
    }
  }
}

async function copyManifest(ctx: Ctx, m: Manifest): Promise<void> {
  const { logger } = ctx.options;
  if (INDEX_TYPES.includes(m.mediaType) || (m.json.manifests && !m.json.layers)) {
    for (const child of m.json.manifests ?? []) {
      let cm = ctx.manifests.get(child.digest);
      if (!cm) {
        cm = await ctx.src.client.getManifest(ctx.src.ref.repository, child.digest);
        ctx.manifests.set(child.digest, cm);
      }
      await copyManifest(ctx, cm);
      logger.info(`  ${platformOf(child)}: ${child.digest}`);
    }
  } else {
    const blobs: Descriptor[] = [
      ...(m.json.config ? [m.json.config] : []),
      ...(m.json.layers ?? []),
      ...(m.json.blobs ?? [])
    ];
    const queue = [...new Map(blobs.map((b) => [b.digest, b])).values()];
    const workers = Math.min(ctx.options.concurrency ?? 4, queue.length);
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let b = queue.shift(); b; b = queue.shift()) await copyBlob(ctx, b);
      })
    );
  }
  const stored = await ctx.dst.client.putManifest(ctx.dst.repo, m.digest, m.mediaType, m.body);
  if (stored !== m.digest) {
    throw new RegistryError(
      `${ctx.dst.client.registry}/${ctx.dst.repo} stored manifest ${m.digest} as ${stored}`,
      {
        state: 'the target holds a manifest under a digest the source does not have; no tag was moved',
        hint: 'a registry or proxy rewrote the manifest; check the registry'
      }
    );
  }
  ctx.result.manifestsPut++;
}

async function copyBlob(ctx: Ctx, blob: Descriptor): Promise<void> {
  const { client, repo } = ctx.dst;
  const { logger } = ctx.options;
  if (await client.hasBlob(repo, blob.digest)) {
    ctx.result.blobsSkipped++;
    logger.debug(`${blob.digest}: already at ${client.registry}/${repo}`);
    return;
  }
  let location: string | undefined;
  for (const from of ctx.mountFrom) {
    const m = await client.mountBlob(repo, blob.digest, from);
    if (m.mounted) {
      ctx.result.blobsMounted++;
      logger.debug(`${blob.digest}: mounted from ${from}`);
      return;
    }
    // The registry opened a plain upload instead (it refuses the mount); use it rather than open another.
    location = m.location;
    break;
  }
  await streamBlob(ctx, blob, location);
}

/** GET from the source piped into a monolithic PUT at the target, hashed on the way; the whole retried. */
async function streamBlob(ctx: Ctx, blob: Descriptor, location: string | undefined): Promise<void> {
  const { client, repo } = ctx.dst;
  const retries = ctx.options.retries ?? 5;
  const backoff = ctx.options.backoffMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    const upload = location ?? (await client.startUpload(repo));
    location = undefined;
    let why: string;
    let retryAfter: string | undefined;
    let source: http.IncomingMessage | undefined;
    try {
      source = await ctx.src.client.openBlob(ctx.src.ref.repository, blob.digest);
      if (source.statusCode !== 200) {
        source.resume();
        if (!isRetryableStatus(source.statusCode ?? 0))
          throw new RegistryError(
            `${ctx.src.client.registry}/${ctx.src.ref.repository}: blob ${blob.digest} is not readable (HTTP ${source.statusCode})`,
            { status: source.statusCode, state: 'no reference at the target points at an incomplete image' }
          );
        why = `source HTTP ${source.statusCode}`;
        retryAfter = header(source.headers['retry-after']);
      } else {
        const hash = createHash('sha256');
        let seen = 0;
        const counted = source.pipe(
          new Transform({
            transform(chunk: Buffer, _enc, cb) {
              hash.update(chunk);
              seen += chunk.length;
              cb(null, chunk);
            }
          })
        );
        source.on('error', (err) => counted.destroy(err));
        const url = new URL(upload);
        url.searchParams.set('digest', blob.digest);
        const put = await client.putStream(url.toString(), pushScope(repo), counted, {
          'content-type': 'application/octet-stream',
          'content-length': String(blob.size)
        });
        if (put.status === 201) {
          const got = `sha256:${hash.digest('hex')}`;
          if (blob.digest.startsWith('sha256:') && got !== blob.digest) {
            throw new RegistryError(`blob ${blob.digest} hashed to ${got} in transit`, {
              state: 'the target refused or holds an unreferenced blob; no reference points at it',
              hint: 'run again'
            });
          }
          ctx.src.client.stats.bytesDown += seen;
          client.stats.bytesUp += seen;
          ctx.result.blobsCopied++;
          ctx.result.bytesCopied += seen;
          ctx.options.logger.debug(`${blob.digest}: copied ${seen} bytes`);
          return;
        }
        if (put.status === 401) client.dropToken(pushScope(repo));
        if (!isRetryableStatus(put.status) && put.status !== 401) {
          throw new RegistryError(
            `upload of ${blob.digest} to ${client.registry}/${repo} failed (HTTP ${put.status}): ${put.text.slice(0, 200)}`,
            {
              status: put.status,
              state: 'no reference at the target points at an incomplete image',
              hint: 'run again: blobs already copied are skipped'
            }
          );
        }
        why = `HTTP ${put.status}`;
        retryAfter = header(put.headers['retry-after']);
      }
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      why = describeCause(err);
    } finally {
      source?.destroy();
    }
    if (attempt >= retries) {
      throw new RegistryError(
        `upload of ${blob.digest} to ${client.registry}/${repo} failed after ${attempt + 1} tries: ${why}`,
        { state: 'no reference at the target points at an incomplete image', hint: 'run again later' }
      );
    }
    const wait = Math.min(retryAfterMs(retryAfter ?? null) ?? backoff * 2 ** attempt, 30_000);
    client.stats.retries++;
    ctx.options.logger.info(
      `${client.registry}: upload of ${blob.digest.slice(0, 19)} got ${why}; retry ${attempt + 1}/${retries} in ${wait} ms`
    );
    await sleep(wait);
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function platformOf(d: Descriptor): string {
  const p = d.platform;
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

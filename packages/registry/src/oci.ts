import { createHash } from 'node:crypto';
import type { Logger } from '../../core/src/index.js';

/** OCI and Docker manifest types, and the small pure helpers the registry client and the copy share. */

/** Media types of everything a manifest GET may return; indexes first. */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MANIFEST_TYPES = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST];
export const INDEX_TYPES = [OCI_INDEX, DOCKER_LIST];

export interface Credentials {
  username: string;
  password: string;
}

/** Typed OCI content descriptors, the only shapes the copy reads. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
}
export interface ManifestJson {
  schemaVersion?: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  /** OCI 1.1 artifacts may carry blobs here too. */
  blobs?: Descriptor[];
}
export interface Manifest {
  mediaType: string;
  digest: string;
  /** The exact bytes: a manifest is re-put byte for byte, so its digest cannot change. */
  body: Buffer;
  json: ManifestJson;
}

/** What went over the wire, for summaries, tests and the benchmark. */
export interface TransferStats {
  requests: number;
  retries: number;
  /** Blob and manifest bytes sent to this registry. */
  bytesUp: number;
  /** Blob and manifest bytes read from this registry. */
  bytesDown: number;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function isLoopback(registry: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(registry);
}

/** Retry-After is seconds or an HTTP date. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Parse `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  const params: Record<string, string> = {};
  for (const p of (m?.[2] ?? '').matchAll(/(\w+)=(?:"([^"]*)"|([^\s,]*))/g))
    params[p[1]!] = p[2] ?? p[3] ?? '';
  return { scheme: (m?.[1] ?? '').toLowerCase(), params };
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}
export function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

export function describeCause(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

export function shortPath(path: string): string {
  try {
    const u = new URL(path, 'http://x');
    return u.pathname.replace(/\/blobs\/uploads\/[^/]+$/, '/blobs/uploads/…');
  } catch {
    return path;
  }
}

export function detail(text: string): string {
  const t = text.trim();
  if (!t) return '';
  try {
    const j = JSON.parse(t) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    if (e) return `: ${[e.code, e.message].filter(Boolean).join(' ')}`;
  } catch {
    /* not JSON */
  }
  return `: ${t.slice(0, 200)}`;
}

export interface ClientOptions {
  /** host[:port]; docker.io is reached at registry-1.docker.io. */
  registry: string;
  credentials?: Credentials;
  /** Default: http for 127.0.0.1, localhost and [::1], https elsewhere. */
  scheme?: 'http' | 'https';
  /** Retries of one request on 429, 5xx and network errors (default 5). */
  retries?: number;
  /** First backoff in ms; doubles per retry with jitter, capped by maxBackoffMs. Retry-After wins. */
  backoffMs?: number;
  maxBackoffMs?: number;
  logger?: Logger;
}

export interface RequestOptions {
  /** Token scope(s), space-separated, e.g. `repository:a/b:pull,push repository:c/d:pull`. */
  scope: string;
  headers?: Record<string, string>;
  /** Replayable bodies only; streams go through `send`. */
  body?: Buffer;
  /** 'manual' to read a Location header instead of following it. */
  redirect?: 'follow' | 'manual';
}

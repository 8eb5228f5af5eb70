import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import { RegistryError } from '../../core/src/index.js';
import { apiHost } from './reference.js';
import {
  MANIFEST_TYPES,
  isRetryableStatus,
  parseChallenge,
  retryAfterMs,
  sha256,
  sleep,
  isLoopback,
  describeCause,
  pullScope,
  pushScope,
  shortPath,
  detail,
  type ClientOptions,
  type RequestOptions,
  type Manifest,
  type ManifestJson,
  type TransferStats
} from './oci.js';

export * from './oci.js';

/**
 * A Registry HTTP API v2 client with no daemon behind it: basic auth and the Bearer token flow
 * (WWW-Authenticate realm/service/scope), retries with backoff on 429 (Retry-After honoured), 5xx and
 * network errors, and byte counters. Manifests are read whole (they are small); blobs are streams.
 */
export class RegistryClient {
  readonly registry: string;
  readonly base: string;
  readonly stats: TransferStats = { requests: 0, retries: 0, bytesUp: 0, bytesDown: 0 };
  private readonly tokens = new Map<string, string>();
  private basic = false;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  /** Keep-alive connections for blob streams (node:http: piped streams, no web-stream overhead). */
  private readonly agent: http.Agent;

  constructor(readonly options: ClientOptions) {
    this.registry = options.registry;
    const scheme = options.scheme ?? (isLoopback(options.registry) ? 'http' : 'https');
    this.base = `${scheme}://${apiHost(options.registry)}`;
    this.retries = options.retries ?? 5;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.agent =
      scheme === 'https' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  private get who(): string {
    return this.options.credentials ? `user '${this.options.credentials.username}'` : 'anonymous access';
  }

  private basicHeader(): string | undefined {
    const c = this.options.credentials;
    return c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : undefined;
  }

  /** The Authorization header for a scope, as far as we already know it. */
  authorization(scope: string): string | undefined {
    return this.tokens.get(scope) ?? (this.basic ? this.basicHeader() : undefined);
  }

  /** Answer a 401 challenge: remember basic auth, or fetch a Bearer token for the scope. */
  async authenticate(challenge: string | null, scope: string): Promise<void> {
    const { scheme, params } = parseChallenge(challenge ?? 'Basic');
    if (scheme === 'basic') {
      if (!this.options.credentials) {
        throw new RegistryError(`${this.registry} asks for credentials and none were given`, {
          status: 401,
          state: 'nothing was pushed',
          hint: `give a username and password for ${this.registry} (or a docker config.json entry)`
        });
      }
      this.basic = true;
      return;
    }
    if (scheme !== 'bearer' || !params.realm) {
      throw new RegistryError(
        `${this.registry} sent an auth challenge this client cannot answer: ${challenge}`
      );
    }
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    const scopes = new Set([...scope.split(' '), ...(params.scope ?? '').split(' ')].filter(Boolean));
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    const basic = this.basicHeader();
    if (basic) headers.authorization = basic;
    let res: Response | undefined;
    for (let attempt = 0; ; attempt++) {
      this.stats.requests++;
      try {
        res = await fetch(url, { headers });
      } catch (err) {
        if (attempt < this.retries) {
          await this.pause(attempt, null, `token request to ${url.host}`, 'network error');
          continue;
        }
        throw new RegistryError(`token server ${url.host} is unreachable: ${(err as Error).message}`, {
          cause: err,
          state: 'nothing was pushed'
        });
      }
      if (isRetryableStatus(res.status) && attempt < this.retries) {
        await res.arrayBuffer().catch(() => undefined);
        await this.pause(attempt, res.headers.get('retry-after'), `token request to ${url.host}`, res.status);
        continue;
      }
      break;
    }
    if (!res.ok) {
      throw new RegistryError(
        `${this.registry}: the token server ${url.host} refused ${this.who} (HTTP ${res.status}) for ${[...scopes].join(' ') || 'login'}`,
        {
          status: res.status,
          state: 'nothing was pushed',
          hint: 'check the username and password or token (for ghcr.io the job needs `permissions: packages: write`)'
        }
      );
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`${this.registry}: the token server ${url.host} returned no token`);
    this.options.logger?.secret(token);
    this.tokens.set(scope, `Bearer ${token}`);
  }

  private async pause(
    attempt: number,
    retryAfter: string | null,
    what: string,
    why: number | string
  ): Promise<void> {
    const exp = Math.min(this.backoffMs * 2 ** attempt, this.maxBackoffMs);
    const wait = Math.min(retryAfterMs(retryAfter) ?? exp * (0.5 + Math.random() / 2), this.maxBackoffMs);
    this.stats.retries++;
    this.options.logger?.info(
      `${this.registry}: ${what} got ${why}; retry ${attempt + 1}/${this.retries} in ${Math.round(wait)} ms`
    );
    await sleep(wait);
  }

  private url(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.base}${path}`;
  }

  /** Resolve a Location header against the registry. */
  resolve(location: string): string {
    return new URL(location, this.base).toString();
  }

  /**
   * One request with auth and retries (429 with Retry-After, 5xx, network errors). Answers 401/403 after
   * authenticating with a RegistryError that names the user; every other status is the caller's.
   */
  async request(method: string, path: string, opts: RequestOptions): Promise<Response> {
    let authenticated = false;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...opts.headers };
      const auth = this.authorization(opts.scope);
      if (auth) headers.authorization = auth;
      this.stats.requests++;
      let res: Response;
      try {
        res = await fetch(this.url(path), {
          method,
          headers,
          body: opts.body,
          redirect: opts.redirect ?? 'follow'
        });
      } catch (err) {
        if (attempt < this.retries) {
          await this.pause(attempt, null, `${method} ${shortPath(path)}`, describeCause(err));
          continue;
        }
        throw new RegistryError(
          `${method} ${this.url(path)} failed: ${describeCause(err)} (after ${attempt + 1} tries)`,
          { cause: err, hint: `check that ${this.registry} is reachable from this runner` }
        );
      }
      if (res.status === 401 && !authenticated) {
        authenticated = true;
        await res.arrayBuffer().catch(() => undefined);
        await this.authenticate(res.headers.get('www-authenticate'), opts.scope);
        attempt--;
        continue;
      }
      if (isRetryableStatus(res.status) && attempt < this.retries) {
        await res.arrayBuffer().catch(() => undefined);
        await this.pause(attempt, res.headers.get('retry-after'), `${method} ${shortPath(path)}`, res.status);
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        const text = await res.text().catch(() => '');
        throw new RegistryError(
          `${this.registry} refused ${this.who} for ${method} ${shortPath(path)} (HTTP ${res.status})${detail(text)}`,
          {
            status: res.status,
            state: 'nothing more was pushed',
            hint: 'check the username and password, and that the account may pull and push this repository'
          }
        );
      }
      return res;
    }
  }

  /** One node:http(s) request; the response is returned unread. Redirects are the caller's. */
  private raw(
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: Readable
  ): Promise<http.IncomingMessage> {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    this.stats.requests++;
    return new Promise((resolve, reject) => {
      const req = mod.request(u, { method, headers, agent: u.origin === this.base ? this.agent : undefined });
      req.on('response', resolve);
      req.on('error', reject);
      if (body) {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      } else req.end();
    });
  }

  /**
   * Open a blob for streaming (not read here). Follows a redirect to storage (S3, a CDN) without our
   * Authorization header, as docker does. One attempt: the caller retries the whole copy of the blob.
   */
  async openBlob(repo: string, digest: string): Promise<http.IncomingMessage> {
    const scope = pullScope(repo);
    let url = this.url(`/v2/${repo}/blobs/${digest}`);
    let auth = this.authorization(scope);
    if (!auth) {
      // Learn the auth scheme (and a token) for this scope with a cheap request first.
      await (
        await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { scope })
      )
        .arrayBuffer()
        .catch(() => undefined);
      auth = this.authorization(scope);
    }
    for (let hops = 0; hops < 5; hops++) {
      const sameOrigin = new URL(url).origin === this.base;
      const res = await this.raw('GET', url, {
        'accept-encoding': 'identity',
        ...(auth && sameOrigin ? { authorization: auth } : {})
      });
      const loc = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc) {
        res.resume();
        url = new URL(loc, url).toString();
        continue;
      }
      return res;
    }
    throw new RegistryError(`${this.registry}/${repo}: blob ${digest} redirected more than 5 times`);
  }

  /** PUT a streamed body (a blob on its way from another registry) in one attempt. */
  async putStream(
    url: string,
    scope: string,
    body: Readable,
    headers: Record<string, string>
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
    const auth = this.authorization(scope);
    const res = await this.raw('PUT', url, { ...headers, ...(auth ? { authorization: auth } : {}) }, body);
    let text = '';
    for await (const chunk of res) text += (chunk as Buffer).toString('utf8');
    return { status: res.statusCode ?? 0, headers: res.headers, text };
  }

  /** GET /v2/ with credentials: proves the registry answers and accepts them, before anything is pushed. */
  async ping(): Promise<void> {
    const res = await this.request('GET', '/v2/', { scope: '' });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) {
      throw new RegistryError(`${this.registry} does not answer the Registry API v2 (HTTP ${res.status})`, {
        status: res.status,
        state: 'nothing was pushed',
        hint: 'check the registry address'
      });
    }
  }

  async getManifest(repo: string, reference: string): Promise<Manifest> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${reference}`, {
      scope: pullScope(repo),
      headers: { accept: MANIFEST_TYPES.join(', ') }
    });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new RegistryError(
        `${this.registry}/${repo}${reference.includes(':') ? '@' : ':'}${reference}: manifest ${res.status === 404 ? 'not found' : `not readable (HTTP ${res.status})`}${detail(text)}`,
        {
          status: res.status,
          state: 'nothing was pushed',
          hint: 'check the source reference and that it was pushed'
        }
      );
    }
    const body = Buffer.from(await res.arrayBuffer());
    this.stats.bytesDown += body.length;
    const digest = sha256(body);
    const announced = res.headers.get('docker-content-digest');
    if (announced && announced.startsWith('sha256:') && announced !== digest) {
      throw new RegistryError(
        `${this.registry}/${repo}:${reference}: the registry announces ${announced} but the bytes hash to ${digest}`,
        { state: 'nothing was pushed', hint: 'a proxy may have altered the manifest; retry or report it' }
      );
    }
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new RegistryError(
        `${this.registry}/${repo}@${reference}: the manifest served hashes to ${digest}`,
        {
          state: 'nothing was pushed',
          hint: 'the registry or a proxy altered the content; retry, or report it to the registry operator'
        }
      );
    }
    let json: ManifestJson;
    try {
      json = JSON.parse(body.toString('utf8')) as ManifestJson;
    } catch (err) {
      throw new RegistryError(`${this.registry}/${repo}:${reference}: the manifest is not JSON`, {
        cause: err
      });
    }
    const mediaType = json.mediaType ?? res.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    if (json.schemaVersion === 1 || mediaType.startsWith('application/vnd.docker.distribution.manifest.v1')) {
      throw new RegistryError(
        `${this.registry}/${repo}:${reference} is a Docker schema 1 manifest, which cannot be copied by digest`,
        { state: 'nothing was pushed', hint: 'rebuild and push the image with a current docker or buildx' }
      );
    }
    return { mediaType, digest, body, json };
  }

  /** HEAD a manifest: its digest, or undefined when absent. */
  async headManifest(repo: string, reference: string): Promise<string | undefined> {
    const res = await this.request('HEAD', `/v2/${repo}/manifests/${reference}`, {
      scope: pullScope(repo),
      headers: { accept: MANIFEST_TYPES.join(', ') }
    });
    if (res.status === 404) return undefined;
    if (!res.ok)
      throw new RegistryError(`HEAD ${this.registry}/${repo}:${reference} answered ${res.status}`, {
        status: res.status
      });
    return res.headers.get('docker-content-digest') ?? undefined;
  }

  /** PUT a manifest byte for byte; returns the digest the registry reports. */
  async putManifest(repo: string, reference: string, mediaType: string, body: Buffer): Promise<string> {
    const res = await this.request('PUT', `/v2/${repo}/manifests/${reference}`, {
      scope: pushScope(repo),
      headers: { 'content-type': mediaType },
      body
    });
    const text = await res.text().catch(() => '');
    if (res.status !== 201 && res.status !== 200) {
      throw new RegistryError(
        `PUT ${this.registry}/${repo}:${reference} manifest failed (HTTP ${res.status})${detail(text)}`,
        {
          status: res.status,
          state: 'the blobs are at the target but this reference was not written',
          hint: 'run again (blobs already there are skipped); check the registry accepts this media type'
        }
      );
    }
    this.stats.bytesUp += body.length;
    return res.headers.get('docker-content-digest') ?? sha256(body);
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { scope: pushScope(repo) });
    if (res.status === 404) return false;
    if (res.ok) return true;
    throw new RegistryError(`HEAD ${this.registry}/${repo} blob ${digest} answered ${res.status}`, {
      status: res.status
    });
  }

  /**
   * Cross-repository mount inside this registry. Mounted: returns 'mounted'. Otherwise the registry
   * opened an ordinary upload instead, whose location is returned for the caller to use.
   */
  async mountBlob(
    repo: string,
    digest: string,
    from: string
  ): Promise<{ mounted: true } | { mounted: false; location: string | undefined }> {
    const res = await this.request(
      'POST',
      `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
      { scope: `${pushScope(repo)} ${pullScope(from)}`, redirect: 'manual' }
    );
    await res.arrayBuffer().catch(() => undefined);
    if (res.status === 201) return { mounted: true };
    const loc = res.headers.get('location');
    if (res.status === 202) return { mounted: false, location: loc ? this.resolve(loc) : undefined };
    throw new RegistryError(`mount of ${digest} into ${this.registry}/${repo} answered ${res.status}`, {
      status: res.status
    });
  }

  /** Open an upload session; returns its absolute location. */
  async startUpload(repo: string): Promise<string> {
    const res = await this.request('POST', `/v2/${repo}/blobs/uploads/`, {
      scope: pushScope(repo),
      redirect: 'manual'
    });
    const text = await res.text().catch(() => '');
    const loc = res.headers.get('location');
    if (res.status !== 202 || !loc) {
      throw new RegistryError(
        `${this.registry}/${repo}: could not open a blob upload (HTTP ${res.status})${detail(text)}`,
        { status: res.status, state: 'nothing was pushed to this repository', hint: 'check push permissions' }
      );
    }
    return this.resolve(loc);
  }

  /** GET a blob as a stream (the body is not read here). */
  async getBlob(repo: string, digest: string): Promise<Response> {
    const res = await this.request('GET', `/v2/${repo}/blobs/${digest}`, {
      scope: pullScope(repo),
      headers: { 'accept-encoding': 'identity' }
    });
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      throw new RegistryError(
        `${this.registry}/${repo}: blob ${digest} is not readable (HTTP ${res.status})${detail(text)}`,
        { status: res.status, state: 'no reference at the target points at an incomplete image' }
      );
    }
    return res;
  }

  /** Upload a small blob from memory (configs in tests and tools). */
  async pushBlob(repo: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    if (await this.hasBlob(repo, digest)) return digest;
    const loc = new URL(await this.startUpload(repo));
    loc.searchParams.set('digest', digest);
    const res = await this.request('PUT', loc.toString(), {
      scope: pushScope(repo),
      headers: { 'content-type': 'application/octet-stream' },
      body: data
    });
    const text = await res.text().catch(() => '');
    if (res.status !== 201)
      throw new RegistryError(`upload of ${digest} failed (HTTP ${res.status})${detail(text)}`, {
        status: res.status
      });
    this.stats.bytesUp += data.length;
    return digest;
  }

  /** Forget a Bearer token (after a 401 on a streamed request, e.g. when a token expired). */
  dropToken(scope: string): void {
    this.tokens.delete(scope);
  }
}

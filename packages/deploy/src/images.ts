import { InputError, RegistryError } from '../../core/src/index.js';
import type { RegistryLogin } from './types.js';

export interface ImageRef {
  registry: string;
  repository: string;
  /** Tag or digest. */
  reference: string;
  original: string;
}

/** Split an image reference the way docker does (Docker Hub defaults included). */
export function parseImageRef(ref: string, input = 'images'): ImageRef {
  const original = ref;
  if (!/^[a-z0-9][\w.:/@-]*$/i.test(ref))
    throw new InputError(
      input,
      `"${ref}" is not an image reference`,
      'write e.g. ghcr.io/org/app@sha256:… or ghcr.io/org/app:1.2.3'
    );
  let rest = ref;
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(reference))
      throw new InputError(input, `"${ref}" has a malformed digest`, 'use @sha256:<64 hex>');
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) rest = rest.slice(0, colon);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let registry = 'registry-1.docker.io';
  let repository = rest;
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    repository = rest.slice(slash + 1);
  } else if (!rest.includes('/')) repository = `library/${rest}`;
  return { registry, repository, reference, original };
}

/** The service=reference lines of the `images` input. */
export function parseImagesInput(
  lines: Map<string, string>,
  services: readonly string[]
): Record<string, string> {
  const images: Record<string, string> = {};
  for (const [service, ref] of lines) {
    if (!services.includes(service))
      throw new InputError(
        'images',
        `service "${service}" is not in the compose file (it has ${services.join(', ')})`,
        'use service names from compose-file'
      );
    parseImageRef(ref);
    images[service] = ref;
  }
  return images;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ');

function baseUrl(registry: string): string {
  const plain = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(registry);
  return `${plain ? 'http' : 'https'}://${registry}`;
}

async function bearerToken(
  challenge: string,
  ref: ImageRef,
  login?: RegistryLogin
): Promise<string | undefined> {
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
  if (!params.realm) return undefined;
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', `repository:${ref.repository}:pull`);
  const headers: Record<string, string> = {};
  if (login)
    headers.authorization = `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}`;
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  if (!res.ok) return undefined;
  const body = (await res.json()) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}

/**
 * Is the image there? A manifest HEAD against the registry's HTTP API, from where the action runs, with the
 * registry login when it is for that registry. Returns the digest the registry reports.
 */
export async function resolveImage(refText: string, login?: RegistryLogin): Promise<string | undefined> {
  const ref = parseImageRef(refText);
  const url = `${baseUrl(ref.registry)}/v2/${ref.repository}/manifests/${ref.reference}`;
  const mine =
    login && login.registry.replace(/^https?:\/\//, '').replace(/\/$/, '') === ref.registry
      ? login
      : undefined;
  const head = (authorization?: string) =>
    fetch(url, {
      method: 'HEAD',
      headers: { accept: MANIFEST_TYPES, ...(authorization ? { authorization } : {}) },
      signal: AbortSignal.timeout(15_000)
    });
  let res: Response;
  try {
    res = await head();
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      if (/^basic/i.test(challenge) && mine)
        res = await head(`Basic ${Buffer.from(`${mine.username}:${mine.password}`).toString('base64')}`);
      else if (/^bearer/i.test(challenge)) {
        const token = await bearerToken(challenge, ref, mine);
        if (token) res = await head(`Bearer ${token}`);
      }
    }
  } catch (err) {
    throw new RegistryError(
      `Image ${refText}: registry ${ref.registry} is unreachable from the runner: ${(err as Error).message}`,
      {
        state: 'nothing was changed on the host',
        hint: 'check the registry address, or set `image-check: pull` to let the host resolve images when the runner cannot reach the registry'
      }
    );
  }
  if (res.status === 404)
    throw new RegistryError(
      `Image ${refText} does not exist in ${ref.registry} (manifest ${ref.reference} of ${ref.repository}: 404)`,
      {
        status: 404,
        state: 'nothing was changed on the host',
        hint: 'check the tag or digest; was the image pushed (build-image / publish-registry)?'
      }
    );
  if (res.status === 401 || res.status === 403)
    throw new RegistryError(`Image ${refText}: registry ${ref.registry} refused access (${res.status})`, {
      status: res.status,
      state: 'nothing was changed on the host',
      hint: mine
        ? 'check `username`/`password`'
        : 'set `registry`, `username` and `password` for this registry'
    });
  if (!res.ok)
    throw new RegistryError(`Image ${refText}: registry ${ref.registry} answered ${res.status}`, {
      status: res.status,
      state: 'nothing was changed on the host',
      hint: 'retry later or set `image-check: pull`'
    });
  return res.headers.get('docker-content-digest') ?? undefined;
}

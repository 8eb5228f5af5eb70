import { InputError, RegistryError, describeError } from '../../core/src/index.js';
import { RegistryClient, formatReference, parseReference } from '../../registry/src/index.js';
import type { RegistryLogin } from './types.js';

/**
 * The `images` input and the runner-side image check. Image references are parsed by packages/registry (the
 * reference grammar, one owner); registry access goes through its client (auth, retries).
 */

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
    parseReference(ref, { input: 'images' });
    images[service] = ref;
  }
  return images;
}

/**
 * Is the image there? A manifest HEAD against the registry, from where the action runs, with the registry
 * login when it is for that registry. Returns the digest the registry reports.
 */
export async function resolveImage(
  refText: string,
  login?: RegistryLogin,
  options: { retries?: number } = {}
): Promise<string | undefined> {
  const ref = parseReference(refText, { input: 'images' });
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const mine =
    login && login.registry.replace(/^https?:\/\//, '').replace(/\/$/, '') === ref.registry
      ? { username: login.username, password: login.password }
      : undefined;
  const client = new RegistryClient({
    registry: ref.registry,
    retries: options.retries ?? 2,
    backoffMs: 300,
    ...(mine ? { credentials: mine } : {})
  });
  let digest: string | undefined;
  try {
    digest = await client.headManifest(ref.repository, reference);
  } catch (err) {
    const status = err instanceof RegistryError ? err.status : undefined;
    if (status === 401 || status === 403)
      throw new RegistryError(`Image ${refText}: registry ${ref.registry} refused access (${status})`, {
        status,
        state: 'nothing was changed on the host',
        hint: mine
          ? 'check `username`/`password`'
          : 'set `registry`, `username` and `password` for this registry'
      });
    if (status !== undefined)
      throw new RegistryError(`Image ${refText}: registry ${ref.registry} answered ${status}`, {
        status,
        state: 'nothing was changed on the host',
        hint: 'retry later or set `image-check: pull`'
      });
    throw new RegistryError(
      `Image ${refText}: registry ${ref.registry} is unreachable from the runner: ${describeError(err).split('\n')[0]}`,
      {
        state: 'nothing was changed on the host',
        hint: 'check the registry address, or set `image-check: pull` to let the host resolve images when the runner cannot reach the registry'
      }
    );
  }
  if (digest === undefined)
    throw new RegistryError(
      `Image ${refText} does not exist in ${ref.registry} (manifest ${reference} of ${ref.repository}: 404)`,
      {
        status: 404,
        state: 'nothing was changed on the host',
        hint: 'check the tag or digest; was the image pushed (build-image / publish-registry)?'
      }
    );
  return digest;
}

/** The repository of a reference, `registry/path`, as packages/registry normalises it. */
export function repositoryOf(refText: string): string | undefined {
  try {
    const r = parseReference(refText);
    return formatReference({ registry: r.registry, repository: r.repository });
  } catch {
    return undefined;
  }
}

/** The registry host of a reference (`docker.io` for Docker Hub), as packages/registry reads it. */
export function registryOf(refText: string): string | undefined {
  try {
    return parseReference(refText).registry;
  } catch {
    return undefined;
  }
}

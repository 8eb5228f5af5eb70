import { InputError } from '../../core/src/index.js';

/**
 * A distribution reference, parsed by the grammar of github.com/distribution/reference:
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path-component [ "/" path-component ]*
 *   domain     := host [ ":" port ]         host: domain-components joined by "." or "[ipv6]"
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [\w][\w.-]{0,127}
 *   digest     := algorithm ":" hex          algorithm: [A-Za-z][A-Za-z0-9]* ( [+._-] … )*, hex {32,}
 *
 * The first component is a registry only when it has a "." or ":" or is "localhost" (or has upper case,
 * which a path never may), exactly as docker decides it. Every rejection says which part is wrong.
 */
export interface Reference {
  /** host[:port] as written, `docker.io` for Docker Hub. */
  registry: string;
  /** The path inside the registry, `library/` added for official Docker Hub images. */
  repository: string;
  tag?: string;
  digest?: string;
  /** Whether the text named a registry host explicitly. */
  explicitRegistry: boolean;
}

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's Registry API answers. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
export const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const NAME_MAX = 255;

const FIX = 'write [host[:port]/]path[:tag][@sha256:<64 hex>], e.g. ghcr.io/acme/shop:1.2.3';

export interface ParseOptions {
  /** The input named in errors. */
  input?: string;
  /** Refuse a tag or digest (for `images`, which are repositories). */
  nameOnly?: boolean;
}

export function parseReference(text: string, options: ParseOptions = {}): Reference {
  const input = options.input ?? 'source';
  const bad = (problem: string): never => {
    throw new InputError(input, `"${text}" is not a valid image reference: ${problem}`, FIX);
  };
  const s = text.trim();
  if (s === '') bad('it is empty');
  if (/\s/.test(s)) bad('it contains whitespace');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) bad('drop the scheme (no https:// or docker://)');

  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) bad(`digest "${digest}" is not algorithm:hex (at least 32 hex digits)`);
    if (digest.startsWith('sha256:') && !/^sha256:[0-9a-f]{64}$/.test(digest))
      bad(`digest "${digest}" is not sha256 followed by 64 lower-case hex digits`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      bad(
        tag === ''
          ? 'the tag after ":" is empty'
          : `tag "${tag}" is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} (at most 128 characters)`
      );
  }
  if (rest === '') bad('the repository name is empty');
  if (rest.length > NAME_MAX) bad(`the name is ${rest.length} characters; the maximum is ${NAME_MAX}`);

  const parts = rest.split('/');
  let registry: string | undefined;
  const first = parts[0]!;
  if (parts.length > 1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())) {
    registry = first;
    parts.shift();
    const [host, port, extra] = registry.startsWith('[')
      ? splitIpv6(registry)
      : (registry.split(':') as [string, string?, string?]);
    if (extra !== undefined) bad(`registry "${registry}" has more than one ":"`);
    if (port !== undefined && !PORT.test(port)) bad(`registry port "${port}" is not a number`);
    const hostOk = host.startsWith('[')
      ? IPV6.test(host)
      : host.split('.').every((c) => DOMAIN_COMPONENT.test(c));
    if (!hostOk) bad(`registry host "${host}" is not a valid host name`);
  }
  for (const c of parts) {
    if (c === '') bad('the path has an empty component ("//" or a trailing "/")');
    if (c !== c.toLowerCase()) bad(`path component "${c}" has upper case; repository paths are lower-case`);
    if (!PATH_COMPONENT.test(c))
      bad(
        `path component "${c}" may only hold a-z, 0-9 and single separators (".", "_", "__", "-"), ` +
          'and must start and end with a letter or digit'
      );
  }
  if (options.nameOnly && (tag !== undefined || digest !== undefined))
    bad('give the repository only, without a tag or digest');

  let path = parts.join('/');
  const hub = registry === undefined || registry === 'docker.io' || registry === 'index.docker.io';
  if (hub && !path.includes('/')) path = `library/${path}`;
  return {
    registry: hub ? DOCKER_HUB : registry!,
    repository: path,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    explicitRegistry: registry !== undefined
  };
}

function splitIpv6(registry: string): [string, string?, string?] {
  const end = registry.indexOf(']');
  const host = registry.slice(0, end + 1);
  const after = registry.slice(end + 1);
  if (after === '') return [host];
  if (!after.startsWith(':')) return [host, after];
  return [host, after.slice(1)];
}

/** host/repo[:tag][@digest], the way docker prints it (docker.io kept explicit). */
export function formatReference(r: Pick<Reference, 'registry' | 'repository' | 'tag' | 'digest'>): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** The host the Registry API answers on: Docker Hub's API host differs from its name. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

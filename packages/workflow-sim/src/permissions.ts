import { randomBytes } from 'node:crypto';

/**
 * The GITHUB_TOKEN's permissions as GitHub computes them for a job: the job's `permissions:`, else the
 * workflow's, else the repository default (restricted: contents and packages read). A called reusable
 * workflow gets at most what its calling job has: a job there that asks for more fails the run, with
 * GitHub's message. Every scope not listed in a `permissions:` map is `none`.
 */
export const SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses'
] as const;
export type Scope = (typeof SCOPES)[number];
export type Level = 'none' | 'read' | 'write';
export type Permissions = Record<Scope, Level>;

const RANK: Record<Level, number> = { none: 0, read: 1, write: 2 };

const all = (level: Level): Permissions => Object.fromEntries(SCOPES.map((s) => [s, level])) as Permissions;

/** The repository default for new repositories and organizations ("Read repository contents and packages"). */
export const DEFAULT_PERMISSIONS: Permissions = { ...all('none'), contents: 'read', packages: 'read' };

/** A `permissions:` value as GitHub reads it; undefined when the key is absent. */
export function parsePermissions(spec: unknown, where: string): Permissions | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (spec === 'read-all') return all('read');
  if (spec === 'write-all') return all('write');
  if (typeof spec !== 'object' || Array.isArray(spec))
    throw new Error(`${where}: permissions must be read-all, write-all or a map of scopes`);
  const out = all('none');
  for (const [k, v] of Object.entries(spec as Record<string, unknown>)) {
    if (!(SCOPES as readonly string[]).includes(k))
      throw new Error(`${where}: unknown permission scope '${k}'`);
    if (v !== 'none' && v !== 'read' && v !== 'write')
      throw new Error(`${where}: permission ${k} must be read, write or none`);
    out[k as Scope] = v;
  }
  return out;
}

export function allows(have: Permissions, scope: Scope, level: Exclude<Level, 'none'>): boolean {
  return RANK[have[scope]] >= RANK[level];
}

/** What a job's token carries; throws GitHub's startup error when a called workflow's job asks for more. */
export function jobPermissions(
  jobId: string,
  job: Permissions | undefined,
  workflow: Permissions | undefined,
  cap: Permissions | undefined
): Permissions {
  const asked = job ?? workflow ?? cap ?? DEFAULT_PERMISSIONS;
  if (!cap) return asked;
  for (const s of SCOPES)
    if (RANK[asked[s]] > RANK[cap[s]])
      throw new Error(
        `The nested job '${jobId}' is requesting '${s}: ${asked[s]}', but is only allowed '${s}: ${cap[s]}'.`
      );
  return asked;
}

/** "contents: read, packages: write" (the scopes that are not none). */
export function describePermissions(p: Permissions): string {
  const granted = SCOPES.filter((s) => p[s] !== 'none').map((s) => `${s}: ${p[s]}`);
  return granted.length ? granted.join(', ') : 'none';
}

/**
 * Issues a token per job and answers what a token may do: the simulator mints, the GitHub stand-in and the
 * registry token server ask. Tokens look like GitHub's installation tokens (`ghs_…`).
 */
export class TokenAuthority {
  private readonly tokens = new Map<string, { permissions: Permissions; job: string }>();

  mint(permissions: Permissions, job: string): string {
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    this.tokens.set(token, { permissions, job });
    return token;
  }

  scopes(token: string): Permissions | undefined {
    return this.tokens.get(token)?.permissions;
  }

  job(token: string): string | undefined {
    return this.tokens.get(token)?.job;
  }
}

/**
 * The permission a REST call needs from a GitHub Actions token (reads need read, everything else write),
 * for the routes the stand-in serves. 'public': metadata every token may read (the repository itself, a
 * user, environments' configuration). Environment writes and organization routes need administration or
 * organization permissions, which a GITHUB_TOKEN never has. Undefined: a route with no mapping here; the
 * stand-in refuses it rather than grant it to any token.
 */
export function requiredPermission(
  method: string,
  template: string
): { scope: Scope | 'administration'; level: Exclude<Level, 'none'> } | 'public' | undefined {
  const level = method === 'GET' || method === 'HEAD' ? 'read' : 'write';
  if (template.startsWith('/orgs/')) return { scope: 'administration', level };
  if (/^\/users\/\{username\}$/.test(template) && level === 'read') return 'public';
  if (template === '/repos/{owner}/{repo}' && level === 'read') return 'public';
  const rest = /^\/repos\/\{owner\}\/\{repo\}\/([^/]+)/.exec(template)?.[1];
  if (!rest) return undefined;
  const scope: Record<string, Scope | 'administration'> = {
    releases: 'contents',
    git: 'contents',
    contents: 'contents',
    commits: 'contents',
    tags: 'contents',
    deployments: 'deployments',
    statuses: 'statuses',
    issues: 'issues',
    pulls: 'pull-requests',
    actions: 'actions',
    pages: 'pages',
    'check-runs': 'checks',
    packages: 'packages'
  };
  if (rest === 'environments') return level === 'read' ? 'public' : { scope: 'administration', level };
  const s = scope[rest];
  return s ? { scope: s, level } : undefined;
}

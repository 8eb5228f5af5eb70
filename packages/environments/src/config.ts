import { parseYamlFile } from '../../core/src/index.js';

/**
 * environments.yml: GitHub environment protection as code.
 *
 *   repository: acme/shop
 *   environments:
 *     production:
 *       wait-timer: 10                 # minutes, 0-43200
 *       reviewers: [{ user: alice }, { team: acme/platform }]   # at most 6
 *       prevent-self-review: true
 *       branches: [main, 'release/*']  # or: protected-branches: true, or: all-branches: true
 *       tags: ['v*']
 *       variables: { DEPLOY_HOSTS: web1.example.com, ENVIRONMENT_URL: https://shop.example.com }
 *       secrets: [SSH_KEY, KNOWN_HOSTS]   # names that must exist; values are never handled here
 *       production: true               # holds real data: anonymize-data refuses to write into it
 */
export type Reviewer = { type: 'User'; login: string } | { type: 'Team'; org: string; slug: string };

export interface EnvironmentSpec {
  name: string;
  waitTimer: number;
  preventSelfReview: boolean;
  reviewers: Reviewer[];
  /** null: any branch may deploy. */
  branchPolicy: null | { protectedBranches: true } | { custom: { branches: string[]; tags: string[] } };
  variables: Record<string, string>;
  secrets: string[];
  /** Marked `production: true`: real data lives here, so anonymize-data never writes into it. */
  production?: true;
}

export interface EnvironmentsFile {
  repository?: string;
  environments: EnvironmentSpec[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseEnvironmentsFile(text: string, file = 'environments.yml'): EnvironmentsFile {
  const { doc, fail } = parseYamlFile(text, file);
  if (!doc || typeof doc !== 'object') throw fail('(file)', 'is empty', 'declare an `environments:` map');
  const root = doc as Record<string, unknown>;
  for (const key of Object.keys(root)) {
    if (!['repository', 'environments'].includes(key))
      throw fail(key, 'is not a known key', 'use repository and environments');
  }
  if (root.repository !== undefined && !/^[\w.-]+\/[\w.-]+$/.test(String(root.repository))) {
    throw fail('repository', `"${String(root.repository)}" is not owner/name`, 'write it like acme/shop');
  }
  const envs = root.environments;
  if (!envs || typeof envs !== 'object' || Array.isArray(envs)) {
    throw fail(
      'environments',
      'must be a map of environment names',
      'e.g. environments: { staging: {}, production: { wait-timer: 5 } }'
    );
  }
  const known = [
    'wait-timer',
    'reviewers',
    'prevent-self-review',
    'branches',
    'tags',
    'protected-branches',
    'all-branches',
    'variables',
    'secrets',
    'production'
  ];
  const environments: EnvironmentSpec[] = [];
  for (const [name, raw] of Object.entries(envs as Record<string, unknown>)) {
    const at = (k: string) => `environments.${name}.${k}`;
    const e = (raw ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(e))
      if (!known.includes(key)) throw fail(at(key), 'is not a known key', `use one of: ${known.join(', ')}`);
    const waitTimer = e['wait-timer'] === undefined ? 0 : Number(e['wait-timer']);
    if (!Number.isInteger(waitTimer) || waitTimer < 0 || waitTimer > 43200) {
      throw fail(
        at('wait-timer'),
        `"${String(e['wait-timer'])}" is not a whole number of minutes from 0 to 43200`,
        'GitHub allows up to 30 days (43200)'
      );
    }
    const reviewers: Reviewer[] = [];
    for (const r of (e.reviewers ?? []) as unknown[]) {
      const obj = (r ?? {}) as Record<string, unknown>;
      if (typeof obj.user === 'string' && obj.user) reviewers.push({ type: 'User', login: obj.user });
      else if (typeof obj.team === 'string' && /^[\w.-]+\/[\w.-]+$/.test(obj.team)) {
        const [org, slug] = obj.team.split('/') as [string, string];
        reviewers.push({ type: 'Team', org, slug });
      } else
        throw fail(
          at('reviewers'),
          `${JSON.stringify(r)} is neither { user: login } nor { team: org/slug }`,
          'write - user: alice or - team: acme/platform'
        );
    }
    if (reviewers.length > 6)
      throw fail(
        at('reviewers'),
        `has ${reviewers.length} entries`,
        'GitHub allows at most 6 required reviewers'
      );
    const branches = ((e.branches ?? []) as unknown[]).map(String);
    const tags = ((e.tags ?? []) as unknown[]).map(String);
    const modes = [
      e['protected-branches'] === true,
      e['all-branches'] === true,
      branches.length + tags.length > 0
    ].filter(Boolean).length;
    if (modes > 1)
      throw fail(
        at('branches'),
        'combines protected-branches, all-branches and branch/tag patterns',
        'choose one of them'
      );
    const branchPolicy: EnvironmentSpec['branchPolicy'] =
      e['protected-branches'] === true
        ? { protectedBranches: true }
        : branches.length + tags.length > 0
          ? { custom: { branches, tags } }
          : null;
    const variables: Record<string, string> = {};
    for (const [k, v] of Object.entries((e.variables ?? {}) as Record<string, unknown>)) {
      if (!NAME.test(k) || k.toUpperCase().startsWith('GITHUB_'))
        throw fail(
          at(`variables.${k}`),
          'is not a valid variable name',
          'letters, digits and _, not starting with GITHUB_'
        );
      variables[k] = String(v);
    }
    if (e.production !== undefined && typeof e.production !== 'boolean')
      throw fail(
        at('production'),
        'must be true or false',
        'write production: true on the environments that hold real data'
      );
    const secrets = ((e.secrets ?? []) as unknown[]).map(String);
    for (const s of secrets)
      if (!NAME.test(s))
        throw fail(at('secrets'), `"${s}" is not a valid secret name`, 'letters, digits and _');
    environments.push({
      name,
      waitTimer,
      preventSelfReview: e['prevent-self-review'] === true,
      reviewers,
      branchPolicy,
      variables,
      secrets,
      ...(e.production === true ? { production: true as const } : {})
    });
  }
  return { ...(root.repository ? { repository: String(root.repository) } : {}), environments };
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Ajv as AjvType, ValidateFunction } from 'ajv';
import { allows, requiredPermission, type Permissions } from '../../packages/workflow-sim/src/index.js';

/**
 * A local stand-in for the parts of GitHub's REST API our code uses: releases, git refs and tag objects,
 * deployments and their statuses, environments with protection rules, deployment branch policies,
 * environment variables and secrets (names), and user/team lookup. State lives in memory.
 *
 * EVERY request is checked against GitHub's own OpenAPI description (@octokit/openapi): the method and
 * path must be an operation GitHub has, path and query parameters must fit their schemas, and the JSON
 * body must validate against the operation's request schema (ajv + ajv-formats). A request GitHub would
 * not accept is answered 404/422 like GitHub would AND recorded in `violations`, which every test asserts
 * is empty. Errors GitHub gives in situations we cannot reproduce locally (a ruleset rejecting a ref
 * update, a token without the `workflows` permission) are injected with `fail(...)`.
 */

export interface Violation {
  method: string;
  path: string;
  problem: string;
}

export interface RecordedRequest {
  method: string;
  /** The operation's path template, e.g. `/repos/{owner}/{repo}/git/refs/{ref}`, or '' when unknown. */
  route: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  status: number;
}

export interface Injection {
  /** `METHOD /template`, e.g. `PATCH /repos/{owner}/{repo}/git/refs/{ref}`. */
  route: string;
  /** Only requests this accepts (default: all of the route). */
  when?: (req: RecordedRequest) => boolean;
  status: number;
  body: unknown;
  /** How many requests to fail (default: all). */
  times?: number;
}

export interface StandInOptions {
  /** When set, any other token is answered 401 Bad credentials. */
  token?: string;
  /**
   * The permissions of a job's GITHUB_TOKEN (the simulator's TokenAuthority): a call outside them is
   * answered 403 as GitHub answers it, naming the permission in `x-accepted-github-permissions`.
   */
  tokenScopes?: (token: string) => Permissions | undefined;
}

interface TagObject {
  sha: string;
  tag: string;
  message: string;
  object: { sha: string; type: string };
  tagger: { name: string; email: string; date: string };
}

export interface StandInRelease {
  id: number;
  tag_name: string;
  target_commitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  make_latest: string;
  created_at: string;
  published_at: string | null;
}

export interface StandInDeployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string | null;
  payload: unknown;
  production_environment: boolean;
  transient_environment: boolean;
  created_at: string;
  statuses: {
    id: number;
    state: string;
    description: string;
    environment_url: string;
    log_url: string;
    created_at: string;
  }[];
}

export interface StandInEnvironment {
  id: number;
  name: string;
  wait_timer: number;
  prevent_self_review: boolean;
  reviewers: { type: 'User' | 'Team'; id: number }[];
  deployment_branch_policy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
  policies: { id: number; name: string; type: 'branch' | 'tag' }[];
  variables: Map<string, { value: string; created_at: string; updated_at: string }>;
  secrets: string[];
  created_at: string;
  updated_at: string;
}

export interface RepoState {
  /** Full ref name (`refs/tags/v1`) → sha (a commit, or a tag object for annotated tags). */
  refs: Map<string, string>;
  tagObjects: Map<string, TagObject>;
  releases: StandInRelease[];
  deployments: StandInDeployment[];
  environments: Map<string, StandInEnvironment>;
  /** When non-empty, only these commits exist: refs and tags to any other sha are refused like GitHub does. */
  commits: Set<string>;
  /** Workflow runs by id (GET /repos/{owner}/{repo}/actions/runs/{run_id}); a test sets their state. */
  runs: Map<number, StandInRun>;
}

export interface StandInRun {
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | 'cancelled' | null;
  run_attempt: number;
}

export interface GitHubStandIn {
  url: string;
  violations: Violation[];
  /** Answers of the stand-in itself that do not fit GitHub's documented response schemas (a stand-in bug). */
  faults: Violation[];
  requests: RecordedRequest[];
  repo(fullName: string): RepoState;
  addUser(login: string, id: number): void;
  addTeam(org: string, slug: string, id: number): void;
  fail(injection: Injection): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// The OpenAPI description: loaded once per process (13 MB), operations indexed by method.

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Record<string, unknown>;
  $ref?: string;
}

interface OpenApiOperation {
  operationId: string;
  parameters?: OpenApiParameter[];
  requestBody?: {
    required?: boolean;
    content?: Record<string, { schema?: Record<string, unknown> }>;
  };
  responses?: Record<string, OpenApiResponse>;
}

interface OpenApiResponse {
  $ref?: string;
  content?: Record<string, { schema?: Record<string, unknown> }>;
}

interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  literalLength: number;
  op: OpenApiOperation;
  parameters: OpenApiParameter[];
}

interface Spec {
  operations: Operation[];
  responses: Record<string, OpenApiResponse>;
  ajv: AjvType;
  validators: Map<string, ValidateFunction>;
}

const SPEC_ID = 'https://standin.invalid/api.github.com.json';
let cachedSpec: Spec | undefined;

export function loadSpec(): Spec {
  if (cachedSpec) return cachedSpec;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    paths: Record<string, Record<string, OpenApiOperation>>;
    components: {
      parameters: Record<string, OpenApiParameter>;
      schemas: Record<string, unknown>;
      responses: Record<string, OpenApiResponse>;
    };
  };
  const AjvClass = (require('ajv') as { default: new (o: object) => AjvType }).default;
  const addFormats = (require('ajv-formats') as { default: (a: AjvType) => void }).default;
  const ajv = new AjvClass({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  for (const f of ['int32', 'int64', 'double', 'repo.nwo', 'binary', 'uri-template', 'timestamp'])
    if (!ajv.formats[f]) ajv.addFormat(f, true);
  // GitHub answers "" for an unset URL field its description types as `format: uri` (e.g. a deployment
  // status's target_url); accept that one value, as GitHub's own clients must.
  const uri = ajv.formats.uri as { validate?: (s: string) => boolean } | ((s: string) => boolean) | undefined;
  const isUri = typeof uri === 'function' ? uri : uri?.validate;
  if (isUri) ajv.addFormat('uri', (s: string) => s === '' || isUri(s));
  ajv.addSchema({ $id: SPEC_ID, components: { schemas: doc.components.schemas } });

  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const parameters = (op.parameters ?? []).map((p) =>
        p.$ref ? doc.components.parameters[p.$ref.split('/').pop()!]! : p
      );
      const names: string[] = [];
      const pattern = template
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&') // braces are left alone: they mark the parameters
        .replace(/\{([^}]+)\}/g, (_m, name) => {
          names.push(name as string);
          const multi = parameters.find((p) => p.name === name && p.in === 'path') as
            (OpenApiParameter & { 'x-multi-segment'?: boolean }) | undefined;
          return multi?.['x-multi-segment'] ? '(.+)' : '([^/]+)';
        });
      operations.push({
        method: method.toUpperCase(),
        template,
        regex: new RegExp(`^${pattern}/?$`),
        names,
        literalLength: template.replace(/\{[^}]+\}/g, '').length,
        op,
        parameters
      });
    }
  }
  // The most literal template wins: /repos/{owner}/{repo}/releases/latest over …/releases/{release_id}.
  operations.sort((a, b) => b.literalLength - a.literalLength);
  cachedSpec = { operations, responses: doc.components.responses, ajv, validators: new Map() };
  return cachedSpec;
}

function rewriteRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rewriteRefs);
  if (schema && typeof schema === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema))
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? SPEC_ID + v : rewriteRefs(v);
    return out;
  }
  return schema;
}

function validator(spec: Spec, key: string, schema: Record<string, unknown>): ValidateFunction {
  const known = spec.validators.get(key);
  if (known) return known;
  const v = spec.ajv.compile(rewriteRefs(schema) as object);
  spec.validators.set(key, v);
  return v;
}

function ajvProblems(v: ValidateFunction, where: string): string[] {
  return (v.errors ?? []).map((e) => `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}`);
}

/** Query and path values arrive as strings: coerce them to what the schema says before validating. */
function coerce(value: string, schema: Record<string, unknown> | undefined): unknown {
  const type = schema?.type;
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

export interface MatchedRequest {
  operation: Operation;
  params: Record<string, string>;
  problems: string[];
}

/** Find the operation for a request and list everything GitHub's description says is wrong with it. */
export function checkRequest(
  method: string,
  rawPath: string,
  query: Record<string, string>,
  body: unknown,
  hasBody: boolean
): MatchedRequest | { operation: undefined; problems: string[] } {
  const spec = loadSpec();
  let operation: Operation | undefined;
  let match: RegExpExecArray | null = null;
  let pathExists = false;
  for (const op of spec.operations) {
    const m = op.regex.exec(rawPath);
    if (!m) continue;
    pathExists = true;
    if (op.method === method) {
      operation = op;
      match = m;
      break;
    }
  }
  if (!operation || !match)
    return {
      operation: undefined,
      problems: [
        pathExists
          ? `${method} is not an operation of this path in GitHub's API`
          : `no GitHub API operation matches ${method} ${rawPath}`
      ]
    };
  const problems: string[] = [];
  const params: Record<string, string> = {};
  operation.names.forEach((name, i) => {
    try {
      params[name] = decodeURIComponent(match![i + 1]!);
    } catch {
      problems.push(`path parameter ${name} is not valid percent-encoding`);
      params[name] = match![i + 1]!;
    }
  });
  const key = `${operation.method} ${operation.template}`;
  for (const p of operation.parameters) {
    if (p.in !== 'path' && p.in !== 'query') continue;
    const value = p.in === 'path' ? params[p.name] : query[p.name];
    if (value === undefined) {
      if (p.required) problems.push(`${p.in} parameter ${p.name} is required`);
      continue;
    }
    if (p.in === 'path' && value === '') problems.push(`path parameter ${p.name} is empty`);
    if (p.schema) {
      const v = validator(spec, `${key} ${p.in}:${p.name}`, p.schema);
      if (!v(coerce(value, p.schema))) problems.push(...ajvProblems(v, `${p.in} parameter ${p.name}`));
    }
  }
  for (const name of Object.keys(query)) {
    if (!operation.parameters.some((p) => p.in === 'query' && p.name === name))
      problems.push(`query parameter ${name} is not a parameter of ${key}`);
  }
  const rb = operation.op.requestBody;
  const jsonSchema = rb?.content?.['application/json']?.schema;
  if (!rb) {
    if (hasBody && body !== undefined && method !== 'GET' && method !== 'DELETE')
      problems.push(`${key} takes no request body`);
  } else if (!hasBody) {
    if (rb.required) problems.push(`${key} requires a JSON body`);
  } else if (jsonSchema) {
    const v = validator(spec, `${key} body`, jsonSchema);
    if (!v(body)) problems.push(...ajvProblems(v, 'body'));
    // GitHub ignores unknown fields; a field the operation does not have is still always our bug.
    const props = jsonSchema.properties as Record<string, unknown> | undefined;
    if (props && body && typeof body === 'object' && !Array.isArray(body))
      for (const k of Object.keys(body)) if (!(k in props)) problems.push(`body field ${k} is not in ${key}`);
  }
  return { operation, params, problems };
}

/**
 * The stand-in's own answers are checked too: a 2xx body must fit the schema GitHub documents for that
 * status, so code tested here parses what GitHub really sends. Returns the problems (empty when it fits).
 */
export function checkResponse(method: string, template: string, status: number, body: unknown): string[] {
  if (status < 200 || status >= 300) return [];
  const spec = loadSpec();
  const op = spec.operations.find((o) => o.method === method && o.template === template);
  if (!op) return [];
  let response = op.op.responses?.[String(status)];
  if (!response) return [`${method} ${template} does not document status ${status}`];
  if (response.$ref) response = spec.responses[response.$ref.split('/').pop()!];
  const schema = response?.content?.['application/json']?.schema;
  if (!schema) return body === undefined ? [] : [`${method} ${template} ${status} documents no body`];
  const v = validator(spec, `${method} ${template} response ${status}`, schema);
  return v(body) ? [] : ajvProblems(v, `response ${status}`);
}

// ---------------------------------------------------------------------------------------------------
// Canned GitHub errors for what cannot happen locally.

/** A tag ruleset (e.g. "restrict updates" on `v*`) refusing a ref update, as the REST API answers it. */
export function rulesetRejection(ref: string): { status: number; body: unknown } {
  return {
    status: 422,
    body: {
      message: `GH013: Repository rule violations found for ${ref}.\n\n- Cannot update this protected ref.\n`,
      documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference',
      status: '422'
    }
  };
}

/** The answer when a token without the `workflows` permission would create a ref to workflow changes. */
export function workflowsPermissionRejection(): { status: number; body: unknown } {
  return {
    status: 403,
    body: {
      message:
        'refusing to allow a GitHub App to create or update workflow `.github/workflows/release.yml` without `workflows` permission',
      documentation_url: 'https://docs.github.com/rest/git/refs#create-a-reference',
      status: '403'
    }
  };
}

// ---------------------------------------------------------------------------------------------------
// The server.

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body?: unknown
  ) {}
}
const answer = (status: number, body?: unknown) => new HttpAnswer(status, body);
const notFound = () =>
  answer(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
const validationFailed = (message: string, errors: unknown[] = []) =>
  answer(422, {
    message,
    errors,
    documentation_url: 'https://docs.github.com/rest',
    status: '422'
  });

type Handler = (ctx: {
  repo: RepoState;
  fullName: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown>;
}) => HttpAnswer;

export async function startGitHubStandIn(options: StandInOptions = {}): Promise<GitHubStandIn> {
  loadSpec();
  const violations: Violation[] = [];
  const faults: Violation[] = [];
  const requests: RecordedRequest[] = [];
  const injections: Injection[] = [];
  const repos = new Map<string, RepoState>();
  const users = new Map<string, number>();
  const teams = new Map<string, number>();
  let nextId = 1000;
  let clock = Date.parse('2026-11-23T09:00:00Z');
  const now = () => new Date((clock += 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  let baseUrl = '';
  const web = 'https://github.com';

  const repoState = (fullName: string): RepoState => {
    let r = repos.get(fullName);
    if (!r) {
      r = {
        refs: new Map(),
        tagObjects: new Map(),
        releases: [],
        deployments: [],
        environments: new Map(),
        commits: new Set(),
        runs: new Map()
      };
      repos.set(fullName, r);
    }
    return r;
  };
  const objectExists = (r: RepoState, sha: string) =>
    r.tagObjects.has(sha) || (r.commits.size ? r.commits.has(sha) : /^[0-9a-f]{40}$/.test(sha));
  const api = (fullName: string, rest: string) => `${baseUrl}/repos/${fullName}${rest}`;

  const refJson = (fullName: string, r: RepoState, ref: string) => {
    const sha = r.refs.get(ref)!;
    const type = r.tagObjects.has(sha) ? 'tag' : 'commit';
    return {
      ref,
      node_id: Buffer.from(`ref:${ref}`).toString('base64'),
      url: api(fullName, `/git/${ref}`),
      object: { type, sha, url: api(fullName, `/git/${type === 'tag' ? 'tags' : 'commits'}/${sha}`) }
    };
  };
  const tagJson = (fullName: string, t: TagObject) => ({
    node_id: Buffer.from(`tag:${t.sha}`).toString('base64'),
    tag: t.tag,
    sha: t.sha,
    url: api(fullName, `/git/tags/${t.sha}`),
    message: t.message,
    tagger: t.tagger,
    object: { ...t.object, url: api(fullName, `/git/commits/${t.object.sha}`) },
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null }
  });
  const releaseJson = (fullName: string, rel: StandInRelease) => ({
    id: rel.id,
    node_id: Buffer.from(`release:${rel.id}`).toString('base64'),
    url: api(fullName, `/releases/${rel.id}`),
    html_url: rel.draft
      ? `${web}/${fullName}/releases/tag/untagged-${rel.id}`
      : `${web}/${fullName}/releases/tag/${encodeURIComponent(rel.tag_name)}`,
    assets_url: api(fullName, `/releases/${rel.id}/assets`),
    upload_url: `https://uploads.github.com/repos/${fullName}/releases/${rel.id}/assets{?name,label}`,
    tarball_url: api(fullName, `/tarball/${rel.tag_name}`),
    zipball_url: api(fullName, `/zipball/${rel.tag_name}`),
    tag_name: rel.tag_name,
    target_commitish: rel.target_commitish,
    name: rel.name,
    body: rel.body,
    draft: rel.draft,
    prerelease: rel.prerelease,
    created_at: rel.created_at,
    published_at: rel.published_at,
    author: userJson('github-actions[bot]', 41898282),
    assets: []
  });
  const userJson = (login: string, id: number) => {
    const bot = login.endsWith('[bot]');
    const api = `${baseUrl}/users/${encodeURIComponent(login)}`;
    return {
      login,
      id,
      node_id: Buffer.from(`user:${id}`).toString('base64'),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}`,
      gravatar_id: '',
      url: api,
      html_url: bot ? `${web}/apps/${login.replace('[bot]', '')}` : `${web}/${login}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: bot ? 'Bot' : 'User',
      site_admin: false
    };
  };
  const envJson = (fullName: string, e: StandInEnvironment) => {
    const rules: unknown[] = [];
    if (e.wait_timer > 0)
      rules.push({ id: e.id * 10 + 1, node_id: 'w', type: 'wait_timer', wait_timer: e.wait_timer });
    if (e.reviewers.length)
      rules.push({
        id: e.id * 10 + 2,
        node_id: 'r',
        type: 'required_reviewers',
        prevent_self_review: e.prevent_self_review,
        reviewers: e.reviewers.map((rv) => ({
          type: rv.type,
          reviewer:
            rv.type === 'User'
              ? userJson([...users].find(([, id]) => id === rv.id)?.[0] ?? `user${rv.id}`, rv.id)
              : {
                  id: rv.id,
                  slug: [...teams].find(([, id]) => id === rv.id)?.[0].split('/')[1] ?? `team${rv.id}`
                }
        }))
      });
    if (e.deployment_branch_policy) rules.push({ id: e.id * 10 + 3, node_id: 'b', type: 'branch_policy' });
    return {
      id: e.id,
      node_id: Buffer.from(`env:${e.id}`).toString('base64'),
      name: e.name,
      url: api(fullName, `/environments/${encodeURIComponent(e.name)}`),
      html_url: `${web}/${fullName}/deployments/activity_log?environments_filter=${encodeURIComponent(e.name)}`,
      created_at: e.created_at,
      updated_at: e.updated_at,
      protection_rules: rules,
      deployment_branch_policy: e.deployment_branch_policy
    };
  };
  const repoJson = (fullName: string) => {
    const [owner = '', name = ''] = fullName.split('/');
    const url = `${baseUrl}/repos/${fullName}`;
    const templated: Record<string, string> = {
      archive_url: '/{archive_format}{/ref}',
      assignees_url: '/assignees{/user}',
      blobs_url: '/git/blobs{/sha}',
      branches_url: '/branches{/branch}',
      collaborators_url: '/collaborators{/collaborator}',
      comments_url: '/comments{/number}',
      commits_url: '/commits{/sha}',
      compare_url: '/compare/{base}...{head}',
      contents_url: '/contents/{+path}',
      git_commits_url: '/git/commits{/sha}',
      git_refs_url: '/git/refs{/sha}',
      git_tags_url: '/git/tags{/sha}',
      issue_comment_url: '/issues/comments{/number}',
      issue_events_url: '/issues/events{/number}',
      issues_url: '/issues{/number}',
      keys_url: '/keys{/key_id}',
      labels_url: '/labels{/name}',
      milestones_url: '/milestones{/number}',
      notifications_url: '/notifications{?since,all,participating}',
      pulls_url: '/pulls{/number}',
      releases_url: '/releases{/id}',
      statuses_url: '/statuses/{sha}',
      trees_url: '/git/trees{/sha}'
    };
    const plain = [
      'contributors',
      'deployments',
      'downloads',
      'events',
      'forks',
      'hooks',
      'languages',
      'merges',
      'stargazers',
      'subscribers',
      'subscription',
      'tags',
      'teams'
    ];
    return {
      id: 1000 + fullName.length,
      node_id: Buffer.from(`repo:${fullName}`).toString('base64'),
      name,
      full_name: fullName,
      owner: userJson(owner, 9000 + owner.length),
      private: false,
      html_url: `${web}/${fullName}`,
      description: null,
      fork: false,
      url,
      ...Object.fromEntries(Object.entries(templated).map(([k, v]) => [k, url + v])),
      ...Object.fromEntries(plain.map((k) => [`${k}_url`, `${url}/${k}`]))
    };
  };
  const runJson = (fullName: string, id: number, run: StandInRun) => {
    const url = api(fullName, `/actions/runs/${id}`);
    return {
      id,
      node_id: Buffer.from(`run:${id}`).toString('base64'),
      name: 'deploy',
      head_branch: 'main',
      head_sha: '0123456789abcdef0123456789abcdef01234567',
      path: '.github/workflows/deploy.yml',
      display_title: 'deploy',
      run_number: id,
      run_attempt: run.run_attempt,
      event: 'push',
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: 1,
      url,
      html_url: `${web}/${fullName}/actions/runs/${id}`,
      pull_requests: [],
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      jobs_url: `${url}/jobs`,
      logs_url: `${url}/logs`,
      check_suite_url: api(fullName, `/check-suites/${id}`),
      artifacts_url: `${url}/artifacts`,
      cancel_url: `${url}/cancel`,
      rerun_url: `${url}/rerun`,
      workflow_url: api(fullName, '/actions/workflows/1'),
      head_commit: null,
      repository: repoJson(fullName),
      head_repository: repoJson(fullName)
    };
  };
  const deploymentJson = (fullName: string, d: StandInDeployment) => ({
    id: d.id,
    node_id: Buffer.from(`dep:${d.id}`).toString('base64'),
    url: api(fullName, `/deployments/${d.id}`),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.environment,
    environment: d.environment,
    description: d.description,
    creator: userJson('github-actions[bot]', 41898282),
    created_at: d.created_at,
    updated_at: d.statuses[d.statuses.length - 1]?.created_at ?? d.created_at,
    statuses_url: api(fullName, `/deployments/${d.id}/statuses`),
    repository_url: api(fullName, ''),
    transient_environment: d.transient_environment,
    production_environment: d.production_environment
  });
  const statusJson = (fullName: string, d: StandInDeployment, s: StandInDeployment['statuses'][number]) => ({
    id: s.id,
    node_id: Buffer.from(`status:${s.id}`).toString('base64'),
    url: api(fullName, `/deployments/${d.id}/statuses/${s.id}`),
    state: s.state,
    creator: userJson('github-actions[bot]', 41898282),
    description: s.description,
    environment: d.environment,
    target_url: s.log_url,
    environment_url: s.environment_url,
    log_url: s.log_url,
    created_at: s.created_at,
    updated_at: s.created_at,
    deployment_url: api(fullName, `/deployments/${d.id}`),
    repository_url: api(fullName, '')
  });
  const page = <T>(items: T[], query: Record<string, string>, fallback = 30): T[] => {
    const perPage = Math.min(Number(query.per_page ?? fallback), 100);
    const p = Number(query.page ?? 1);
    return items.slice((p - 1) * perPage, p * perPage);
  };
  const env = (r: RepoState, name: string | undefined) => (name ? r.environments.get(name) : undefined);

  const handlers: Record<string, Handler> = {
    // ---- git refs and tag objects
    'GET /repos/{owner}/{repo}/git/ref/{ref}': ({ repo, fullName, params }) => {
      const ref = `refs/${params.ref}`;
      return repo.refs.has(ref) ? answer(200, refJson(fullName, repo, ref)) : notFound();
    },
    'GET /repos/{owner}/{repo}/git/matching-refs/{ref}': ({ repo, fullName, params }) =>
      answer(
        200,
        [...repo.refs.keys()]
          .filter((r) => r.startsWith(`refs/${params.ref}`))
          .sort()
          .map((r) => refJson(fullName, repo, r))
      ),
    'POST /repos/{owner}/{repo}/git/refs': ({ repo, fullName, body }) => {
      const ref = String(body.ref);
      const sha = String(body.sha);
      if (!/^refs\/[^/]+\/.+/.test(ref)) return validationFailed('Reference name is invalid');
      if (repo.refs.has(ref)) return validationFailed('Reference already exists');
      if (!objectExists(repo, sha)) return validationFailed('Object does not exist');
      repo.refs.set(ref, sha);
      return answer(201, refJson(fullName, repo, ref));
    },
    'PATCH /repos/{owner}/{repo}/git/refs/{ref}': ({ repo, fullName, params, body }) => {
      const ref = `refs/${params.ref}`;
      const sha = String(body.sha);
      if (!repo.refs.has(ref)) return validationFailed('Reference does not exist');
      if (!objectExists(repo, sha)) return validationFailed('Object does not exist');
      // The stand-in does not know ancestry: any move without force counts as not a fast-forward.
      if (body.force !== true && repo.refs.get(ref) !== sha)
        return validationFailed('Update is not a fast forward');
      repo.refs.set(ref, sha);
      return answer(200, refJson(fullName, repo, ref));
    },
    'DELETE /repos/{owner}/{repo}/git/refs/{ref}': ({ repo, params }) => {
      const ref = `refs/${params.ref}`;
      if (!repo.refs.delete(ref)) return validationFailed('Reference does not exist');
      return answer(204);
    },
    'POST /repos/{owner}/{repo}/git/tags': ({ repo, fullName, body }) => {
      const object = String(body.object);
      if (!objectExists(repo, object)) return validationFailed('Object does not exist');
      const tagger = (body.tagger as { name: string; email: string; date?: string } | undefined) ?? {
        name: 'github-actions[bot]',
        email: '41898282+github-actions[bot]@users.noreply.github.com'
      };
      const t: TagObject = {
        sha: '',
        tag: String(body.tag),
        message: String(body.message),
        object: { sha: object, type: String(body.type) },
        tagger: { name: tagger.name, email: tagger.email, date: tagger.date ?? now() }
      };
      t.sha = createHash('sha1').update(JSON.stringify(t)).update(String(nextId++)).digest('hex');
      repo.tagObjects.set(t.sha, t);
      return answer(201, tagJson(fullName, t));
    },
    'GET /repos/{owner}/{repo}/git/tags/{tag_sha}': ({ repo, fullName, params }) => {
      const t = repo.tagObjects.get(params.tag_sha ?? '');
      return t ? answer(200, tagJson(fullName, t)) : notFound();
    },
    // ---- releases
    'POST /repos/{owner}/{repo}/releases': ({ repo, fullName, body }) => {
      const tag = String(body.tag_name);
      if (repo.releases.some((r) => r.tag_name === tag))
        return validationFailed('Validation Failed', [
          { resource: 'Release', code: 'already_exists', field: 'tag_name' }
        ]);
      const draft = body.draft === true;
      if (!draft && !repo.refs.has(`refs/tags/${tag}`)) {
        const target = String(body.target_commitish ?? '');
        const sha = repo.refs.get(`refs/heads/${target}`) ?? target;
        if (!objectExists(repo, sha))
          return validationFailed('Validation Failed', [
            { resource: 'Release', code: 'invalid', field: 'target_commitish' }
          ]);
        repo.refs.set(`refs/tags/${tag}`, sha);
      }
      const created = now();
      const rel: StandInRelease = {
        id: nextId++,
        tag_name: tag,
        target_commitish: String(body.target_commitish ?? 'main'),
        name: (body.name as string | undefined) ?? tag,
        body: (body.body as string | undefined) ?? null,
        draft,
        prerelease: body.prerelease === true,
        make_latest: String(body.make_latest ?? 'true'),
        created_at: created,
        published_at: draft ? null : created
      };
      repo.releases.push(rel);
      return answer(201, releaseJson(fullName, rel));
    },
    'GET /repos/{owner}/{repo}/releases': ({ repo, fullName, query }) =>
      answer(
        200,
        page([...repo.releases].reverse(), query).map((r) => releaseJson(fullName, r))
      ),
    'GET /repos/{owner}/{repo}/releases/latest': ({ repo, fullName }) => {
      const latest = [...repo.releases]
        .reverse()
        .find((r) => !r.draft && !r.prerelease && r.make_latest !== 'false');
      return latest ? answer(200, releaseJson(fullName, latest)) : notFound();
    },
    'GET /repos/{owner}/{repo}/releases/tags/{tag}': ({ repo, fullName, params }) => {
      const rel = repo.releases.find((r) => r.tag_name === params.tag && !r.draft);
      return rel ? answer(200, releaseJson(fullName, rel)) : notFound();
    },
    'GET /repos/{owner}/{repo}/releases/{release_id}': ({ repo, fullName, params }) => {
      const rel = repo.releases.find((r) => r.id === Number(params.release_id));
      return rel ? answer(200, releaseJson(fullName, rel)) : notFound();
    },
    'PATCH /repos/{owner}/{repo}/releases/{release_id}': ({ repo, fullName, params, body }) => {
      const rel = repo.releases.find((r) => r.id === Number(params.release_id));
      if (!rel) return notFound();
      for (const k of ['tag_name', 'name', 'body', 'target_commitish', 'make_latest'] as const)
        if (typeof body[k] === 'string') (rel as unknown as Record<string, unknown>)[k] = body[k];
      if (typeof body.prerelease === 'boolean') rel.prerelease = body.prerelease;
      if (typeof body.draft === 'boolean') {
        if (rel.draft && !body.draft) rel.published_at = now();
        rel.draft = body.draft;
      }
      return answer(200, releaseJson(fullName, rel));
    },
    'DELETE /repos/{owner}/{repo}/releases/{release_id}': ({ repo, params }) => {
      const i = repo.releases.findIndex((r) => r.id === Number(params.release_id));
      if (i < 0) return notFound();
      repo.releases.splice(i, 1);
      return answer(204);
    },
    // ---- deployments
    'POST /repos/{owner}/{repo}/deployments': ({ repo, fullName, body }) => {
      const ref = String(body.ref);
      const sha = /^[0-9a-f]{40}$/.test(ref)
        ? ref
        : (repo.refs.get(`refs/heads/${ref}`) ?? repo.refs.get(`refs/tags/${ref}`));
      if (!sha || !objectExists(repo, sha)) return validationFailed(`No ref found for: ${ref}`);
      const environment = String(body.environment ?? 'production');
      const d: StandInDeployment = {
        id: nextId++,
        sha,
        ref,
        task: String(body.task ?? 'deploy'),
        environment,
        description: (body.description as string | undefined) ?? null,
        payload: body.payload ?? {},
        production_environment:
          typeof body.production_environment === 'boolean'
            ? body.production_environment
            : environment === 'production',
        transient_environment: body.transient_environment === true,
        created_at: now(),
        statuses: []
      };
      repo.deployments.push(d);
      return answer(201, deploymentJson(fullName, d));
    },
    'GET /repos/{owner}/{repo}/actions/runs/{run_id}': ({ repo, fullName, params }) => {
      const id = Number(params.run_id);
      const run = repo.runs.get(id);
      return run
        ? { status: 200, body: runJson(fullName, id, run) }
        : {
            status: 404,
            body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' }
          };
    },
    'GET /repos/{owner}/{repo}/deployments': ({ repo, fullName, query }) =>
      answer(
        200,
        page(
          [...repo.deployments]
            .reverse()
            .filter(
              (d) =>
                (query.environment === undefined || d.environment === query.environment) &&
                (query.sha === undefined || d.sha === query.sha) &&
                (query.ref === undefined || d.ref === query.ref) &&
                (query.task === undefined || d.task === query.task)
            ),
          query
        ).map((d) => deploymentJson(fullName, d))
      ),
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}': ({ repo, fullName, params }) => {
      const d = repo.deployments.find((x) => x.id === Number(params.deployment_id));
      return d ? answer(200, deploymentJson(fullName, d)) : notFound();
    },
    'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': ({ repo, fullName, params, body }) => {
      const d = repo.deployments.find((x) => x.id === Number(params.deployment_id));
      if (!d) return notFound();
      const s = {
        id: nextId++,
        state: String(body.state),
        description: String(body.description ?? ''),
        environment_url: String(body.environment_url ?? ''),
        log_url: String(body.log_url ?? body.target_url ?? ''),
        created_at: now()
      };
      d.statuses.push(s);
      // GitHub's auto_inactive: only earlier non-transient, non-production deployments of the environment.
      if (s.state === 'success' && body.auto_inactive !== false) {
        for (const other of repo.deployments) {
          const last = other.statuses[other.statuses.length - 1];
          if (
            other.id !== d.id &&
            other.environment === d.environment &&
            !other.production_environment &&
            !other.transient_environment &&
            last?.state === 'success'
          )
            other.statuses.push({ ...last, id: nextId++, state: 'inactive', created_at: now() });
        }
      }
      return answer(201, statusJson(fullName, d, s));
    },
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': ({ repo, fullName, params, query }) => {
      const d = repo.deployments.find((x) => x.id === Number(params.deployment_id));
      if (!d) return notFound();
      return answer(
        200,
        page([...d.statuses].reverse(), query).map((s) => statusJson(fullName, d, s))
      );
    },
    // ---- environments
    'GET /repos/{owner}/{repo}/environments': ({ repo, fullName, query }) => {
      const all = [...repo.environments.values()];
      return answer(200, {
        total_count: all.length,
        environments: page(all, query).map((e) => envJson(fullName, e))
      });
    },
    'GET /repos/{owner}/{repo}/environments/{environment_name}': ({ repo, fullName, params }) => {
      const e = env(repo, params.environment_name);
      return e ? answer(200, envJson(fullName, e)) : notFound();
    },
    'PUT /repos/{owner}/{repo}/environments/{environment_name}': ({ repo, fullName, params, body }) => {
      const name = params.environment_name!;
      const b = (body ?? {}) as Record<string, unknown>;
      const wait = b.wait_timer as number | undefined;
      if (wait !== undefined && (wait < 0 || wait > 43200))
        return validationFailed('Validation Failed', [{ resource: 'Environment', field: 'wait_timer' }]);
      const reviewers =
        (b.reviewers as { type: 'User' | 'Team'; id: number }[] | null | undefined) ?? undefined;
      if (reviewers && reviewers.length > 6)
        return validationFailed('Only 6 reviewers are allowed per environment');
      for (const rv of reviewers ?? []) {
        const known = rv.type === 'User' ? [...users.values()] : [...teams.values()];
        if (!known.includes(rv.id)) return validationFailed(`Reviewer ${rv.type} ${rv.id} was not found`);
      }
      const dbp = b.deployment_branch_policy as StandInEnvironment['deployment_branch_policy'] | undefined;
      if (dbp && dbp.protected_branches === dbp.custom_branch_policies)
        return validationFailed(
          'Exactly one of protected_branches or custom_branch_policies must be true for deployment_branch_policy'
        );
      let e = repo.environments.get(name);
      const t = now();
      if (!e) {
        e = {
          id: nextId++,
          name,
          wait_timer: 0,
          prevent_self_review: false,
          reviewers: [],
          deployment_branch_policy: null,
          policies: [],
          variables: new Map(),
          secrets: [],
          created_at: t,
          updated_at: t
        };
        repo.environments.set(name, e);
      }
      if (wait !== undefined) e.wait_timer = wait;
      if (typeof b.prevent_self_review === 'boolean') e.prevent_self_review = b.prevent_self_review;
      if (reviewers !== undefined) e.reviewers = reviewers ?? [];
      if (dbp !== undefined) {
        if (!dbp?.custom_branch_policies) e.policies = [];
        e.deployment_branch_policy = dbp;
      }
      e.updated_at = t;
      return answer(200, envJson(fullName, e));
    },
    'DELETE /repos/{owner}/{repo}/environments/{environment_name}': ({ repo, params }) =>
      repo.environments.delete(params.environment_name!) ? answer(204) : notFound(),
    'GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies': ({
      repo,
      params,
      query
    }) => {
      const e = env(repo, params.environment_name);
      if (!e) return notFound();
      return answer(200, {
        total_count: e.policies.length,
        branch_policies: page(e.policies, query).map((p) => ({
          id: p.id,
          node_id: Buffer.from(`policy:${p.id}`).toString('base64'),
          name: p.name,
          type: p.type
        }))
      });
    },
    'POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies': ({
      repo,
      params,
      body
    }) => {
      const e = env(repo, params.environment_name);
      // GitHub refuses custom policies unless the environment's policy is set to custom branches.
      if (!e || !e.deployment_branch_policy?.custom_branch_policies) return notFound();
      const type = (body.type as 'branch' | 'tag' | undefined) ?? 'branch';
      const name = String(body.name);
      if (e.policies.some((p) => p.name === name && p.type === type))
        return answer(303, { message: 'See Other' });
      const p = { id: nextId++, name, type };
      e.policies.push(p);
      return answer(200, { ...p, node_id: Buffer.from(`policy:${p.id}`).toString('base64') });
    },
    'DELETE /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}':
      ({ repo, params }) => {
        const e = env(repo, params.environment_name);
        const i = e?.policies.findIndex((p) => p.id === Number(params.branch_policy_id)) ?? -1;
        if (!e || i < 0) return notFound();
        e.policies.splice(i, 1);
        return answer(204);
      },
    'GET /repos/{owner}/{repo}/environments/{environment_name}/variables': ({ repo, params, query }) => {
      const e = env(repo, params.environment_name);
      if (!e) return notFound();
      const all = [...e.variables].map(([name, v]) => ({ name, ...v }));
      return answer(200, { total_count: all.length, variables: page(all, query, 10) });
    },
    'GET /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}': ({ repo, params }) => {
      const v = env(repo, params.environment_name)?.variables.get(params.name!);
      return v ? answer(200, { name: params.name, ...v }) : notFound();
    },
    'POST /repos/{owner}/{repo}/environments/{environment_name}/variables': ({ repo, params, body }) => {
      const e = env(repo, params.environment_name);
      if (!e) return notFound();
      const name = String(body.name);
      if (e.variables.has(name)) return answer(409, { message: 'Already exists - Variable already exists' });
      const t = now();
      e.variables.set(name, { value: String(body.value), created_at: t, updated_at: t });
      return answer(201, {});
    },
    'PATCH /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}': ({
      repo,
      params,
      body
    }) => {
      const v = env(repo, params.environment_name)?.variables.get(params.name!);
      if (!v) return notFound();
      if (typeof body.value === 'string') v.value = body.value;
      v.updated_at = now();
      return answer(204);
    },
    'DELETE /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}': ({ repo, params }) =>
      env(repo, params.environment_name)?.variables.delete(params.name!) ? answer(204) : notFound(),
    'GET /repos/{owner}/{repo}/environments/{environment_name}/secrets': ({ repo, params, query }) => {
      const e = env(repo, params.environment_name);
      if (!e) return notFound();
      return answer(200, {
        total_count: e.secrets.length,
        secrets: page(e.secrets, query).map((name) => ({
          name,
          created_at: e.created_at,
          updated_at: e.updated_at
        }))
      });
    },
    // ---- users and teams
    'GET /users/{username}': ({ params }) => {
      const id = users.get(params.username!);
      if (id === undefined) return notFound();
      return answer(200, {
        ...userJson(params.username!, id),
        name: params.username,
        company: null,
        blog: '',
        location: null,
        email: null,
        hireable: null,
        bio: null,
        public_repos: 0,
        public_gists: 0,
        followers: 0,
        following: 0,
        created_at: '2020-01-01T00:00:00Z',
        updated_at: '2020-01-01T00:00:00Z'
      });
    },
    'GET /orgs/{org}/teams/{team_slug}': ({ params }) => {
      const id = teams.get(`${params.org}/${params.team_slug}`);
      if (id === undefined) return notFound();
      const org = `${baseUrl}/orgs/${params.org}`;
      const teamUrl = `${baseUrl}/organizations/1/team/${id}`;
      return answer(200, {
        id,
        node_id: Buffer.from(`team:${id}`).toString('base64'),
        url: teamUrl,
        html_url: `${web}/orgs/${params.org}/teams/${params.team_slug}`,
        name: params.team_slug,
        slug: params.team_slug,
        description: null,
        privacy: 'closed',
        permission: 'pull',
        members_url: `${teamUrl}/members{/member}`,
        repositories_url: `${teamUrl}/repos`,
        type: 'organization',
        parent: null,
        members_count: 1,
        repos_count: 1,
        created_at: '2020-01-01T00:00:00Z',
        updated_at: '2020-01-01T00:00:00Z',
        organization: {
          login: params.org,
          id: 1,
          node_id: Buffer.from('org:1').toString('base64'),
          url: org,
          repos_url: `${org}/repos`,
          events_url: `${org}/events`,
          hooks_url: `${org}/hooks`,
          issues_url: `${org}/issues`,
          members_url: `${org}/members{/member}`,
          public_members_url: `${org}/public_members{/member}`,
          avatar_url: 'https://avatars.githubusercontent.com/u/1',
          description: null,
          html_url: `${web}/${params.org}`,
          has_organization_projects: true,
          has_repository_projects: true,
          public_repos: 1,
          public_gists: 0,
          followers: 0,
          following: 0,
          type: 'Organization',
          created_at: '2020-01-01T00:00:00Z',
          updated_at: '2020-01-01T00:00:00Z',
          archived_at: null
        }
      });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://standin.invalid');
    const query = Object.fromEntries(url.searchParams);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-api-version-selected': '2022-11-28',
        ...headers
      });
      res.end(body === undefined || status === 204 ? undefined : JSON.stringify(body));
    };
    const record: RecordedRequest = {
      method,
      route: '',
      path: url.pathname,
      params: {},
      query,
      body: undefined,
      status: 0
    };
    requests.push(record);
    const violate = (status: number, problem: string, body?: unknown) => {
      violations.push({ method, path: url.pathname + url.search, problem });
      record.status = status;
      send(status, body ?? { message: problem, documentation_url: 'https://docs.github.com/rest' });
    };

    let body: unknown;
    const hasBody = raw.length > 0;
    if (hasBody) {
      try {
        body = JSON.parse(raw);
      } catch {
        return violate(400, 'Problems parsing JSON');
      }
    }
    record.body = body;
    const auth = req.headers.authorization ?? '';
    const token = /^(?:token|bearer)\s+(.+)$/i.exec(auth)?.[1];
    if (!token) {
      record.status = 401;
      return send(401, { message: 'Requires authentication', status: '401' });
    }
    if (options.token !== undefined && token !== options.token) {
      record.status = 401;
      return send(401, { message: 'Bad credentials', status: '401' });
    }

    const checked = checkRequest(method, url.pathname, query, body, hasBody);
    if (!checked.operation) return violate(404, checked.problems.join('; '));
    const { operation, params } = checked;
    record.route = operation.template;
    record.params = params;
    if (checked.problems.length) {
      return violate(422, `Invalid request: ${checked.problems.join('; ')}`, {
        message: 'Invalid request.',
        errors: checked.problems,
        documentation_url: 'https://docs.github.com/rest'
      });
    }
    const key = `${method} ${operation.template}`;
    const scopes = options.tokenScopes?.(token);
    const need = scopes ? requiredPermission(method, operation.template) : undefined;
    if (scopes && need && (need.scope === 'administration' || !allows(scopes, need.scope, need.level))) {
      record.status = 403;
      return send(
        403,
        {
          message: 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/rest',
          status: '403'
        },
        { 'x-accepted-github-permissions': `${need.scope}=${need.level}` }
      );
    }
    const injection = injections.find(
      (i) => i.route === key && (i.times === undefined || i.times > 0) && (!i.when || i.when(record))
    );
    if (injection) {
      if (injection.times !== undefined) injection.times--;
      record.status = injection.status;
      return send(injection.status, injection.body);
    }
    const handler = handlers[key];
    if (!handler) return violate(501, `${key} is valid but the stand-in does not implement it`);
    const fullName = params.owner && params.repo ? `${params.owner}/${params.repo}` : '';
    const result = handler({
      repo: repoState(fullName),
      fullName,
      params,
      query,
      body: (body ?? {}) as Record<string, unknown>
    });
    record.status = result.status;
    for (const problem of checkResponse(method, operation.template, result.status, result.body))
      faults.push({ method, path: url.pathname, problem });
    send(result.status, result.body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push({
        method: req.method ?? '',
        path: req.url ?? '',
        problem: `stand-in crashed: ${String(err)}`
      });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    violations,
    faults,
    requests,
    repo: repoState,
    addUser: (login, id) => users.set(login, id),
    addTeam: (org, slug, id) => teams.set(`${org}/${slug}`, id),
    fail: (injection) => injections.push(injection),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}

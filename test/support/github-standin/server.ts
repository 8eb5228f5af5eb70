import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allows, requiredPermission } from '../../../packages/workflow-sim/src/index.js';
import { deploymentHandlers } from './deployments.js';
import { environmentHandlers } from './environments.js';
import { gitHandlers } from './git.js';
import { issueHandlers } from './issues.js';
import { checkRequest, checkResponse, loadSpec } from './openapi.js';
import { type Handler, newStandInState } from './state.js';
import type {
  GitHubStandIn,
  Injection,
  RecordedRequest,
  RepoState,
  StandInOptions,
  Violation
} from './types.js';
import { userHandlers } from './users.js';

// ---------------------------------------------------------------------------------------------------
// The server.

export async function startGitHubStandIn(options: StandInOptions = {}): Promise<GitHubStandIn> {
  loadSpec();
  const violations: Violation[] = [];
  const faults: Violation[] = [];
  const requests: RecordedRequest[] = [];
  const injections: Injection[] = [];
  const state = newStandInState();
  const { repos } = state;

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

  const handlers: Record<string, Handler> = {
    ...gitHandlers(state),
    ...deploymentHandlers(state),
    ...environmentHandlers(state),
    ...userHandlers(state),
    ...issueHandlers(state)
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
    // With a token authority, a token it never issued is a bad credential, and a route with no permission
    // mapping is refused (and recorded) rather than granted to any token.
    if (options.tokenScopes && !scopes) {
      record.status = 401;
      return send(401, { message: 'Bad credentials', status: '401' });
    }
    const need = scopes ? requiredPermission(method, operation.template) : 'public';
    if (need === undefined)
      return violate(
        403,
        `${key} has no permission mapping (packages/workflow-sim/src/permissions.ts requiredPermission): refused, not granted`
      );
    if (
      scopes &&
      need !== 'public' &&
      (need.scope === 'administration' || !allows(scopes, need.scope, need.level))
    ) {
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
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: state.baseUrl,
    violations,
    faults,
    requests,
    repo: repoState,
    addUser: (login, id) => state.users.set(login, id),
    addTeam: (org, slug, id) => state.teams.set(`${org}/${slug}`, id),
    fail: (injection) => injections.push(injection),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}

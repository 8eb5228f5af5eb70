import { createHash } from 'node:crypto';
import { answer, type Handler, notFound, page, type StandInState, validationFailed } from './state.js';
import { jsonBuilders, web } from './json.js';
import type { RepoState } from './types.js';

interface StandInIssue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  state: 'open' | 'closed';
  comments: { id: number; body: string; created_at: string }[];
  created_at: string;
  updated_at: string;
}

/** Issues per repository, kept beside the repository state (only the rescan workflow's calls need them). */
const issuesOf = new WeakMap<RepoState, StandInIssue[]>();
const issues = (r: RepoState): StandInIssue[] => {
  let list = issuesOf.get(r);
  if (!list) issuesOf.set(r, (list = []));
  return list;
};
const labelId = (name: string) => parseInt(createHash('sha256').update(name).digest('hex').slice(0, 8), 16);

/** List, open and comment on issues: what a workflow needs to open an issue or add to the open one. */
export function issueHandlers(state: StandInState): Record<string, Handler> {
  const { userJson } = jsonBuilders(state);
  const api = (fullName: string, rest: string) => `${state.baseUrl}/repos/${fullName}${rest}`;
  const bot = () => userJson('github-actions[bot]', 41898282);
  const issueJson = (fullName: string, i: StandInIssue) => ({
    id: i.id,
    node_id: Buffer.from(`issue:${i.id}`).toString('base64'),
    url: api(fullName, `/issues/${i.number}`),
    repository_url: api(fullName, ''),
    labels_url: api(fullName, `/issues/${i.number}/labels{/name}`),
    comments_url: api(fullName, `/issues/${i.number}/comments`),
    events_url: api(fullName, `/issues/${i.number}/events`),
    html_url: `${web}/${fullName}/issues/${i.number}`,
    number: i.number,
    state: i.state,
    title: i.title,
    body: i.body,
    user: bot(),
    labels: i.labels.map((name) => ({
      id: labelId(name),
      node_id: Buffer.from(`label:${name}`).toString('base64'),
      url: api(fullName, `/labels/${encodeURIComponent(name)}`),
      name,
      description: null,
      color: 'ededed',
      default: false
    })),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: i.comments.length,
    closed_at: null,
    created_at: i.created_at,
    updated_at: i.updated_at,
    author_association: 'NONE'
  });
  const commentJson = (fullName: string, i: StandInIssue, c: StandInIssue['comments'][number]) => ({
    id: c.id,
    node_id: Buffer.from(`comment:${c.id}`).toString('base64'),
    url: api(fullName, `/issues/comments/${c.id}`),
    html_url: `${web}/${fullName}/issues/${i.number}#issuecomment-${c.id}`,
    issue_url: api(fullName, `/issues/${i.number}`),
    body: c.body,
    user: bot(),
    created_at: c.created_at,
    updated_at: c.created_at,
    author_association: 'NONE'
  });
  return {
    'GET /repos/{owner}/{repo}/issues': ({ repo, fullName, query }) => {
      const want = query.state ?? 'open';
      const labels = (query.labels ?? '').split(',').filter(Boolean);
      const list = issues(repo)
        .filter((i) => want === 'all' || i.state === want)
        .filter((i) => labels.every((l) => i.labels.includes(l)))
        .sort((a, b) => b.number - a.number);
      return answer(
        200,
        page(list, query).map((i) => issueJson(fullName, i))
      );
    },
    'POST /repos/{owner}/{repo}/issues': ({ repo, fullName, body }) => {
      if (typeof body.title !== 'string' || !body.title)
        return validationFailed('Validation Failed', [
          { resource: 'Issue', field: 'title', code: 'missing_field' }
        ]);
      const now = state.now();
      const list = issues(repo);
      const i: StandInIssue = {
        id: state.nextId++,
        number: list.length + 1,
        title: body.title,
        body: typeof body.body === 'string' ? body.body : null,
        labels: Array.isArray(body.labels) ? body.labels.map(String) : [],
        state: 'open',
        comments: [],
        created_at: now,
        updated_at: now
      };
      list.push(i);
      return answer(201, issueJson(fullName, i));
    },
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': ({ repo, fullName, params, body }) => {
      const i = issues(repo).find((x) => x.number === Number(params.issue_number));
      if (!i) return notFound();
      if (typeof body.body !== 'string' || !body.body)
        return validationFailed('Validation Failed', [
          { resource: 'IssueComment', field: 'body', code: 'missing_field' }
        ]);
      const c = { id: state.nextId++, body: body.body, created_at: state.now() };
      i.comments.push(c);
      i.updated_at = c.created_at;
      return answer(201, commentJson(fullName, i, c));
    }
  };
}

/** The issues of a repository, for assertions. */
export function issuesIn(repo: RepoState | undefined): readonly StandInIssue[] {
  return repo ? issues(repo) : [];
}

import type { RepoState } from './types.js';

// ---------------------------------------------------------------------------------------------------
// The server.

export class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body?: unknown
  ) {}
}
export const answer = (status: number, body?: unknown) => new HttpAnswer(status, body);
export const notFound = () =>
  answer(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
export const validationFailed = (message: string, errors: unknown[] = []) =>
  answer(422, {
    message,
    errors,
    documentation_url: 'https://docs.github.com/rest',
    status: '422'
  });

export type Handler = (ctx: {
  repo: RepoState;
  fullName: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown>;
}) => HttpAnswer;

/** The stand-in's shared mutable state, passed explicitly to the JSON builders and the route handlers. */
export interface StandInState {
  repos: Map<string, RepoState>;
  users: Map<string, number>;
  teams: Map<string, number>;
  nextId: number;
  clock: number;
  baseUrl: string;
  now(): string;
}

export function newStandInState(): StandInState {
  const state: StandInState = {
    repos: new Map<string, RepoState>(),
    users: new Map<string, number>(),
    teams: new Map<string, number>(),
    nextId: 1000,
    clock: Date.parse('2026-11-23T09:00:00Z'),
    baseUrl: '',
    now: () => new Date((state.clock += 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z')
  };
  return state;
}

export const objectExists = (r: RepoState, sha: string) =>
  r.tagObjects.has(sha) || (r.commits.size ? r.commits.has(sha) : /^[0-9a-f]{40}$/.test(sha));

export const page = <T>(items: T[], query: Record<string, string>, fallback = 30): T[] => {
  const perPage = Math.min(Number(query.per_page ?? fallback), 100);
  const p = Number(query.page ?? 1);
  return items.slice((p - 1) * perPage, p * perPage);
};
export const env = (r: RepoState, name: string | undefined) => (name ? r.environments.get(name) : undefined);

import type { Permissions } from '../../../packages/workflow-sim/src/index.js';

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

export interface TagObject {
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

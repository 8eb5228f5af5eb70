import { InputError } from '../../../core/src/index.js';

/** What the repository says of itself (metadata-action asks the API; we read the event payload). */
export interface RepoInfo {
  name?: string;
  description?: string;
  htmlUrl?: string;
  /** SPDX id, e.g. MIT. */
  license?: string;
  defaultBranch?: string;
}

/** Everything tag and label computation reads from the run, as data: the engine reads no environment. */
export interface MetaContext {
  eventName: string;
  ref: string;
  sha: string;
  /** The event payload (GITHUB_EVENT_PATH's JSON). */
  payload: Record<string, unknown>;
  repo: RepoInfo;
  /** The commit's date for `{{commit_date}}`; default: `now`. */
  commitDate?: Date;
  /** DOCKER_METADATA_SHORT_SHA_LENGTH; default 7. */
  shortShaLength?: number;
}

/** The GITHUB_* values of a run. */
export interface RunInfo {
  eventName: string;
  ref: string;
  sha: string;
  repository: string;
  serverUrl: string;
}

type Payload = {
  number?: number;
  repository?: {
    name?: string;
    description?: string | null;
    html_url?: string;
    default_branch?: string;
    license?: { spdx_id?: string | null } | null;
  };
  pull_request?: { number?: number; head?: { sha?: string } };
  commits?: { id?: string; timestamp?: string }[];
  head_commit?: { id?: string; timestamp?: string } | null;
};

const isTrue = (v: string | undefined) => /^(true|1|yes|on)$/i.test((v ?? '').trim());

/**
 * The context metadata-action computes from a run: pull_request_target reads as `refs/pull/N/merge`,
 * DOCKER_METADATA_PR_HEAD_SHA=true takes the pull request's head commit, DOCKER_METADATA_SHORT_SHA_LENGTH
 * sets the short sha's length, and the commit date comes from the payload's commits when it has them.
 */
export function resolveMetaContext(
  run: RunInfo,
  payloadIn: unknown,
  env: Record<string, string | undefined> = {}
): MetaContext {
  const payload = (payloadIn && typeof payloadIn === 'object' ? payloadIn : {}) as Payload &
    Record<string, unknown>;
  let { ref, sha } = run;
  if (/pull_request_target/.test(run.eventName)) ref = `refs/pull/${payload.number ?? ''}/merge`;
  if (isTrue(env.DOCKER_METADATA_PR_HEAD_SHA) && /pull_request/.test(run.eventName)) {
    const head = payload.pull_request?.head?.sha;
    if (head) sha = head;
  }
  let shortShaLength: number | undefined;
  const len = env.DOCKER_METADATA_SHORT_SHA_LENGTH;
  if (len !== undefined && len !== '') {
    if (!/^\d+$/.test(len.trim()))
      throw new InputError(
        'DOCKER_METADATA_SHORT_SHA_LENGTH',
        `"${len}" is not a number`,
        'set it to a whole number such as 12'
      );
    shortShaLength = Number(len);
  }
  const r = payload.repository ?? {};
  const license = r.license?.spdx_id;
  const repo: RepoInfo = {
    name: r.name ?? (run.repository.split('/')[1] || undefined),
    description: r.description ?? undefined,
    htmlUrl: r.html_url ?? (run.repository ? `${run.serverUrl}/${run.repository}` : undefined),
    license: license && license !== 'NOASSERTION' ? license : undefined,
    defaultBranch: r.default_branch
  };
  return {
    eventName: run.eventName,
    ref,
    sha,
    payload,
    repo,
    commitDate: commitDateFromPayload(payload, sha),
    shortShaLength
  };
}

/** The commit's timestamp from a push payload (`commits[]` or `head_commit`), when it names this commit. */
export function commitDateFromPayload(payload: Payload, sha: string): Date | undefined {
  const ts =
    payload.commits?.find((c) => c.id === sha)?.timestamp ??
    (payload.head_commit?.id === sha ? payload.head_commit.timestamp : undefined);
  const d = ts ? new Date(ts) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

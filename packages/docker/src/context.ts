import { readFileSync } from 'node:fs';
import { type Executor, type RunContext } from '../../core/src/index.js';
import { resolveMetaContext, type MetaContext } from './meta/index.js';

/**
 * The runner's side of tag computation: read the event payload and the DOCKER_METADATA_* variables, ask
 * git what the payload does not say. The computation itself (meta/) takes all of it as data.
 */
export function readEventPayload(eventPath: string | undefined): Record<string, unknown> {
  if (!eventPath) return {};
  try {
    const p = JSON.parse(readFileSync(eventPath, 'utf8')) as unknown;
    return p && typeof p === 'object' ? (p as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function metaContext(
  run: RunContext,
  eventPath: string | undefined,
  env: Record<string, string | undefined>
): MetaContext {
  return resolveMetaContext(run, readEventPayload(eventPath), env);
}

export function gitTagListArgv(): string[] {
  return ['git', 'tag', '--list'];
}

/** The committer date of a commit, strict ISO 8601. */
export function gitCommitDateArgv(sha: string): string[] {
  return ['git', 'log', '-1', '--format=%cI', sha];
}

/** The repository's git tags (for latest=auto's "highest release" rule); undefined when git or tags are absent. */
export async function knownVersions(executor: Executor, cwd: string): Promise<string[] | undefined> {
  const r = await executor
    .run({ argv: gitTagListArgv(), cwd, check: false, step: 'git tag --list', timeoutMs: 30_000 })
    .catch(() => undefined);
  if (!r || r.exitCode !== 0) return undefined;
  return r.stdout
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The commit date when the payload has none (metadata-action asks the API; the checkout has it too).
 * undefined when git cannot say: `{{commit_date}}` then uses the current time, as metadata-action does.
 */
export async function commitDate(executor: Executor, cwd: string, sha: string): Promise<Date | undefined> {
  if (!/^[0-9a-f]{7,64}$/i.test(sha)) return undefined;
  const r = await executor
    .run({ argv: gitCommitDateArgv(sha), cwd, check: false, step: 'git log', timeoutMs: 30_000 })
    .catch(() => undefined);
  const d = r && r.exitCode === 0 ? new Date(r.stdout.trim()) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

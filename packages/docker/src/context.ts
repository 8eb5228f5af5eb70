import { readFileSync } from 'node:fs';
import type { Executor } from '../../core/src/executor.js';
import type { RunContext } from '../../core/src/context.js';
import { contextFromPayload, type MetaContext } from './tags.js';

/** The tag rules' context: the run's GITHUB_* values plus what the event payload says of the repository. */
export function metaContext(run: RunContext, eventPath: string | undefined): MetaContext {
  let payload: unknown = {};
  if (eventPath) {
    try {
      payload = JSON.parse(readFileSync(eventPath, 'utf8'));
    } catch {
      payload = {};
    }
  }
  return {
    ref: run.ref,
    sha: run.sha,
    eventName: run.eventName,
    repository: run.repository,
    serverUrl: run.serverUrl,
    ...contextFromPayload(payload)
  };
}

export function gitTagListArgv(): string[] {
  return ['git', 'tag', '--list'];
}

/** The repository's git tags (for latest=auto's "highest release" rule); [] when git or the tags are absent. */
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

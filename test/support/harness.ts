import { join } from 'node:path';
import { runAction, type ActionRun, type RunActionOptions } from '../../packages/runner/src/index.js';
import { REPO_ROOT } from './paths.js';

/**
 * Run an action's committed bundle (dist/<name>/index.js) exactly as the GitHub runner would: see
 * packages/runner. Every action's end-to-end tests go through here.
 */
export async function runBundle(
  name: string,
  options: Omit<RunActionOptions, 'actionDir'> = {}
): Promise<ActionRun> {
  const run = await runAction({ actionDir: join(REPO_ROOT, name), timeoutMs: 10 * 60_000, ...options });
  // The runner ignores ::set-output and ::save-state; an action that prints them loses its outputs on GitHub.
  if (run.legacyCommands.length)
    throw new Error(`${name} printed deprecated commands: ${run.legacyCommands.join(', ')}`);
  return run;
}

/** Every place a secret could leak to: raw stdout (except its own ::add-mask:: line), stderr, outputs, summary. */
export function leakedSecrets(run: ActionRun, secrets: readonly string[]): string[] {
  const stdout = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  const places: [string, string][] = [
    ['stdout', stdout],
    ['stderr', run.stderr],
    ['outputs', JSON.stringify(run.outputs)],
    ['summary', run.summary],
    [
      'post',
      run.post
        ? run.post.stdout
            .split('\n')
            .filter((l) => !l.startsWith('::add-mask::'))
            .join('\n') + run.post.stderr
        : ''
    ]
  ];
  const leaks: string[] = [];
  for (const s of secrets)
    for (const [where, text] of places) if (s && text.includes(s)) leaks.push(`${where} contains a secret`);
  return leaks;
}

import { table } from '../../core/src/index.js';
import type { ReleasePlan } from './plan.js';

export function releaseSummary(plan: ReleasePlan, run: { dryRun: boolean; releaseUrl: string }): string {
  const heading = !plan.released
    ? `### tag-release: nothing to release`
    : `### tag-release: ${plan.tag}${run.dryRun ? ' (dry run: nothing was created)' : ''}`;
  const rows: [string, string][] = [
    ['version', plan.version || '–'],
    ['previous', plan.previousTag || '–'],
    ['bump', plan.bump],
    ['why', plan.reason],
    ['commit', plan.targetSha]
  ];
  if (plan.floatingTags.length) rows.push(['floating tags', plan.floatingTags.join(', ')]);
  if (plan.floatingSkipped.length)
    rows.push(['not moved', `${plan.floatingSkipped.join(', ')} (a higher release of that line exists)`]);
  if (run.releaseUrl) rows.push(['release', run.releaseUrl]);
  if (plan.ignoredTags.length) rows.push(['ignored tags', plan.ignoredTags.join(', ')]);
  return `${heading}\n\n${table(['', ''], rows)}\n${plan.changelog}`;
}

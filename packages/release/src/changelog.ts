import type { ParsedCommit } from './conventional.js';

/**
 * The changelog of one release, grouped by type like release-please's: breaking changes first, then
 * features, fixes, performance and reverts; each entry links its commit, the heading links the compare view.
 */
export interface ChangelogInput {
  version: string;
  tag: string;
  previousTag?: string;
  /** YYYY-MM-DD. */
  date: string;
  commits: ParsedCommit[];
  /** `https://github.com/owner/repo`, or '' for no links. */
  repoUrl: string;
}

const GROUPS: [string, string][] = [
  ['feat', 'Features'],
  ['fix', 'Bug Fixes'],
  ['perf', 'Performance Improvements'],
  ['revert', 'Reverts']
];

export function renderChangelog(input: ChangelogInput): string {
  const { repoUrl } = input;
  const title =
    repoUrl && input.previousTag
      ? `[${input.version}](${repoUrl}/compare/${encodeURIComponent(input.previousTag)}...${encodeURIComponent(input.tag)})`
      : input.version;
  const entry = (c: ParsedCommit, text: string) => {
    const scope = c.scope ? `**${c.scope}:** ` : '';
    const short = c.sha.slice(0, 7);
    const link = repoUrl ? `([${short}](${repoUrl}/commit/${c.sha}))` : `(${short})`;
    return `* ${scope}${text} ${link}`;
  };
  const out: string[] = [`## ${title} (${input.date})`];
  const breaking = input.commits.filter((c) => c.breaking);
  if (breaking.length) {
    out.push('', '### ⚠ BREAKING CHANGES', '');
    for (const c of breaking) for (const note of c.breakingNotes) out.push(entry(c, note));
  }
  for (const [type, heading] of GROUPS) {
    const list = input.commits.filter((c) => c.type === type);
    if (!list.length) continue;
    out.push('', `### ${heading}`, '');
    for (const c of list) out.push(entry(c, c.subject));
  }
  return out.join('\n') + '\n';
}

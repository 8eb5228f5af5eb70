/**
 * Conventional Commits (https://www.conventionalcommits.org/en/v1.0.0/) into release bumps:
 * `feat` → minor, `fix` and `perf` → patch, `!` after the type/scope or a `BREAKING CHANGE:` /
 * `BREAKING-CHANGE:` footer → major. Anything else (chore, docs, a message that is not conventional) does
 * not release on its own.
 */
export type Bump = 'major' | 'minor' | 'patch' | 'none';

export interface Commit {
  sha: string;
  /** The full message: subject, blank line, body and footers. */
  message: string;
}

export interface ParsedCommit {
  sha: string;
  /** Lower-cased type, or '' when the header is not conventional. */
  type: string;
  scope: string;
  subject: string;
  breaking: boolean;
  /** The breaking-change notes (from the footer, or the subject when only `!` marks it). */
  breakingNotes: string[];
  /** For reverts: the sha the body says it reverts (`This reverts commit <sha>.`). */
  reverts?: string;
}

const HEADER = /^(?<type>[A-Za-z][\w-]*)(?:\((?<scope>[^()\r\n]*)\))?(?<bang>!)?: (?<subject>\S.*)$/;
const BREAKING_FOOTER = /^BREAKING[ -]CHANGE: ?(.*)$/;
// A git trailer token: `Word-word: ` or `Word #`; it ends a multi-line breaking note.
const FOOTER_TOKEN = /^(?:[\w-]+: |[\w-]+ #|BREAKING[ -]CHANGE: )/;

export function parseCommit(commit: Commit): ParsedCommit {
  const lines = commit.message.replace(/\r\n/g, '\n').split('\n');
  const header = (lines[0] ?? '').trim();
  const m = HEADER.exec(header);
  const revertOf = /This reverts commit ([0-9a-f]{7,40})/.exec(commit.message)?.[1];
  const gitRevert = /^Revert "(.*)"$/.exec(header);
  const parsed: ParsedCommit = {
    sha: commit.sha,
    type: m?.groups?.type?.toLowerCase() ?? (gitRevert ? 'revert' : ''),
    scope: m?.groups?.scope?.trim() ?? '',
    subject: m?.groups?.subject?.trim() ?? (gitRevert ? gitRevert[1]! : header),
    breaking: m?.groups?.bang === '!',
    breakingNotes: [],
    ...(revertOf ? { reverts: revertOf } : {})
  };
  // Footers live after the first blank line; the BREAKING CHANGE token is case-sensitive (spec item 12/16).
  for (let i = 1; i < lines.length; i++) {
    const f = BREAKING_FOOTER.exec(lines[i]!);
    if (!f) continue;
    const note = [f[1]!.trim()];
    while (i + 1 < lines.length && !FOOTER_TOKEN.test(lines[i + 1]!)) note.push(lines[++i]!.trim());
    parsed.breaking = true;
    parsed.breakingNotes.push(note.join(' ').trim());
  }
  if (parsed.breaking && parsed.breakingNotes.length === 0) parsed.breakingNotes.push(parsed.subject);
  // Only a conventional header can mark a change; a stray footer in a free-form message still counts as
  // breaking (semantic-release and release-please both read footers of any commit).
  return parsed;
}

const ORDER: Bump[] = ['none', 'patch', 'minor', 'major'];

export function maxBump(a: Bump, b: Bump): Bump {
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

/** The bump one commit asks for. */
export function commitBump(c: ParsedCommit): Bump {
  if (c.breaking) return 'major';
  if (c.type === 'feat') return 'minor';
  if (c.type === 'fix' || c.type === 'perf' || c.type === 'revert') return 'patch';
  return 'none';
}

/**
 * Drop a commit and its revert when both are in the range (the change never shipped); a revert of an
 * already-released commit stays, as a patch.
 */
export function cancelReverts(commits: ParsedCommit[]): ParsedCommit[] {
  const dropped = new Set<string>();
  for (const c of commits) {
    if (!c.reverts || dropped.has(c.sha)) continue;
    const target = commits.find((o) => o.sha.startsWith(c.reverts!) && !dropped.has(o.sha));
    if (target) {
      dropped.add(target.sha);
      dropped.add(c.sha);
    }
  }
  return commits.filter((c) => !dropped.has(c.sha));
}

/** The bump for a range of commits; below 1.0.0 a breaking change bumps the minor (semver item 4). */
export function rangeBump(commits: ParsedCommit[], currentMajor: number | undefined): Bump {
  let bump: Bump = 'none';
  for (const c of commits) bump = maxBump(bump, commitBump(c));
  if (bump === 'major' && currentMajor === 0) return 'minor';
  return bump;
}

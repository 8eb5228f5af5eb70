/**
 * Pinning a reusable workflow pins its actions. GitHub gives a reusable workflow no reliable context for its
 * own ref (`github.job_workflow_sha` is missing in practice, actions/runner#2417), and `uses:` cannot hold an
 * expression, so the references are rewritten at release time: every `uses:` of one of our actions or
 * reusable workflows (`<owner>/deploy-actions/<path>@<ref>`, on main `OWNER/deploy-actions/<path>@main`)
 * becomes `<repository>/<path>@<sha>`, the repository being released and the commit whose action code the
 * release ships. The release commit carrying these workflows is what the release tag names.
 */
const OWN_USES =
  /^(\s*(?:-\s+)?uses:\s*)(["']?)([\w.-]+)\/deploy-actions\/([A-Za-z0-9_./-]+)@([\w./-]+)\2(\s*(?:#.*)?)$/;

export interface PinnedReference {
  line: number;
  from: string;
  to: string;
}

export function pinWorkflowText(
  text: string,
  repository: string,
  sha: string
): { text: string; pinned: PinnedReference[] } {
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository))
    throw new Error(`repository '${repository}' is not <owner>/<name>`);
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`'${sha}' is not a full commit SHA`);
  const pinned: PinnedReference[] = [];
  const lines = text.split('\n').map((line, i) => {
    const m = OWN_USES.exec(line);
    if (!m) return line;
    const [, lead, quote, owner, path, ref, tail] = m;
    const to = `${repository}/${path}@${sha}`;
    pinned.push({ line: i + 1, from: `${owner}/deploy-actions/${path}@${ref}`, to });
    return `${lead}${quote}${to}${quote}${tail}`;
  });
  return { text: lines.join('\n'), pinned };
}

/** Every `uses:` of a workflow text that names `<repository>/<path>@<ref>`, for checks on a release. */
export function referencesTo(text: string, repository: string): { path: string; ref: string }[] {
  const out: { path: string; ref: string }[] = [];
  const prefix = `${repository}/`;
  for (const line of text.split('\n')) {
    const m = /^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)/.exec(line);
    if (!m || !m[1]!.startsWith(prefix)) continue;
    const [path, ref] = m[1]!.slice(prefix.length).split('@');
    out.push({ path: path!, ref: ref ?? '' });
  }
  return out;
}

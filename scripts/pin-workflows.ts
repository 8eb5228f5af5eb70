/**
 * The release commit (run by .github/workflows/release-self.yml): rewrites every reference the workflows
 * make to our actions and reusable workflows to `<repository>/<path>@<sha of HEAD>`, and commits that as a
 * merge of HEAD and the previous release commit (so the previous release tag stays reachable for the next
 * version's changelog) without moving HEAD. Prints the commit and writes `commit=<sha>` to $GITHUB_OUTPUT.
 *
 *   npx tsx scripts/pin-workflows.ts --repository acme/deploy-actions [--sha <commit>]
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinWorkflowText } from '../packages/contract/src/index.js';

const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8' }).trim();
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const repository = arg('repository') ?? process.env.GITHUB_REPOSITORY ?? '';
if (!repository) throw new Error('--repository <owner>/<name> (or GITHUB_REPOSITORY) is required');
const sha = git('rev-parse', arg('sha') ?? 'HEAD');

const dir = join('.github', 'workflows');
let count = 0;
for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
  const path = join(dir, f);
  const { text, pinned } = pinWorkflowText(readFileSync(path, 'utf8'), repository, sha);
  if (pinned.length === 0) continue;
  writeFileSync(path, text);
  for (const p of pinned) process.stderr.write(`${path}:${p.line}: ${p.from} → ${p.to}\n`);
  count += pinned.length;
}

// The previous release (highest final vX.Y.Z tag); a parent of the release commit unless already an ancestor.
const previous = git('tag', '--list', 'v*', '--sort=-v:refname')
  .split('\n')
  .find((t) => /^v\d+\.\d+\.\d+$/.test(t));
const parents = ['-p', sha];
if (previous) {
  const prev = git('rev-list', '-n', '1', previous);
  let ancestor = true;
  try {
    git('merge-base', '--is-ancestor', prev, sha);
  } catch {
    ancestor = false;
  }
  if (!ancestor) parents.push('-p', prev);
}
git('add', '--', dir);
const tree = git('write-tree');
git('reset', '-q', '--', dir);
const commit = execFileSync(
  'git',
  ['commit-tree', tree, ...parents, '-m', `chore(release): pin the workflows' actions to ${sha}`],
  { encoding: 'utf8' }
).trim();
process.stderr.write(`${count} reference(s) pinned to ${repository}@${sha}; release commit ${commit}\n`);
process.stdout.write(`${commit}\n`);
if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `commit=${commit}\n`);

/**
 * tag-release: computing the next version over a repository of ~2000 commits, side by side with what a user
 * would otherwise script: `git describe --tags --abbrev=0` for the last tag, then `git log <tag>..HEAD` and a
 * regex loop over the subjects (the shape of most hand-written release steps).
 *
 *   npx tsx bench/tag-release.ts
 *
 * The repository is built with `git fast-import` in a temp folder: 2000 commits with conventional and
 * free-form messages, a merged feature branch every 50 commits, an annotated release tag every 100, a
 * prerelease line, reverts, and the floating tag `v1` that action repositories carry. Both sides run the
 * real git; timings are the median of several runs; the table also shows whether each answer is right.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor, silentLogger } from '../packages/core/src/index.js';
import { planRelease } from '../packages/release/src/index.js';
import { runBundle } from '../test/support/harness.js';

const COMMITS = 2000;
const RUNS = 7;

interface Extras {
  floating: boolean;
  rc: boolean;
  stray: boolean;
}

async function buildRepo(extras: Extras): Promise<{ dir: string; expected: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tag-release-'));
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  const lines: string[] = [];
  let mark = 0;
  let t = Date.UTC(2025, 0, 1) / 1000;
  const who = 'Bench <bench@example.com>';
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}`;
  const commit = (branch: string, msg: string, parents: number[]) => {
    const m = ++mark;
    t += 60;
    lines.push(`commit refs/heads/${branch}`, `mark :${m}`, `committer ${who} ${t} +0000`, data(msg));
    parents.forEach((p, i) => lines.push(`${i === 0 ? 'from' : 'merge'} :${p}`));
    lines.push(`M 644 inline file${m % 7}.txt`, data(`${m}`), '');
    return m;
  };
  const tag = (name: string, at: number, annotated = true) => {
    if (annotated)
      lines.push(`tag ${name}`, `from :${at}`, `tagger ${who} ${t} +0000`, data(`release ${name}`));
    else lines.push(`reset refs/tags/${name}`, `from :${at}`, '');
  };
  const kinds = [
    'feat(api): add thing',
    'fix: handle edge',
    'chore: deps',
    'docs: readme',
    'perf: faster',
    'refactor: tidy',
    'Update README.md'
  ];
  let head = commit('main', 'chore: initial', []);
  let minor = 0;
  let lastTagged = head;
  for (let i = 1; i < COMMITS; i++) {
    if (i % 50 === 0) {
      // a feature branch of 3 commits, merged with a merge commit
      let b = commit('feature', `feat(search): step ${i}a`, [head]);
      b = commit('feature', `fix(search): step ${i}b`, [b]);
      i += 2;
      head = commit('main', `Merge pull request #${i} from acme/feature`, [head, b]);
    } else if (i % 97 === 0) {
      const reverted = head;
      head = commit(
        'main',
        `Revert "change"\n\nThis reverts commit 0000000000000000000000000000000000000000.`,
        [reverted]
      );
    } else head = commit('main', `${kinds[i % kinds.length]} ${i}`, [head]);
    if (i % 100 === 10 && i < COMMITS - 50) {
      tag(`v1.${minor++}.0`, head);
      lastTagged = head;
    }
  }
  // action repositories: the floating major tag sits on the last release commit
  if (extras.floating) tag('v1', lastTagged, false);
  // a prerelease of the next line, and a non-semver tag someone pushed
  if (extras.rc) tag(`v1.${minor}.0-rc.0`, head - 5);
  if (extras.stray) tag('vnext', head - 2, false);
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: lines.join('\n') + '\n' });
  execFileSync('git', ['checkout', '-q', '-f', 'main'], { cwd: dir });
  // there are feat commits since v1.<minor-1>.0, so the right answer is the next minor
  return { dir, expected: `1.${minor}.0` };
}

/** The usual hand-written step: last tag by git describe, subjects by git log, regexes. */
function naive(dir: string): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: dir, encoding: 'utf8' }).stdout.trim();
  const last = git('describe', '--tags', '--abbrev=0');
  const subjects = git('log', `${last}..HEAD`, '--format=%s').split('\n');
  let bump = 0;
  for (const s of subjects) {
    if (/^\w+(\(.*\))?!:/.test(s) || /BREAKING CHANGE/.test(s)) bump = Math.max(bump, 3);
    else if (/^feat(\(.*\))?:/.test(s)) bump = Math.max(bump, 2);
    else if (/^(fix|perf)(\(.*\))?:/.test(s)) bump = Math.max(bump, 1);
  }
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(last);
  if (!m) return `(cannot parse ${last})`;
  let [maj, min, pat] = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  if (bump === 3) [maj, min, pat] = [maj + 1, 0, 0];
  else if (bump === 2) [min, pat] = [min + 1, 0];
  else if (bump === 1) pat++;
  return `${maj}.${min}.${pat} (from ${last})`;
}

/** The shell version of `naive`, as people paste it into a `run:` step. */
const NAIVE_BASH = `
last=$(git describe --tags --abbrev=0)
bump=0
while IFS= read -r s; do
  if [[ $s =~ ^[a-z]+(\\(.*\\))?\\!: ]]; then ((bump < 3)) && bump=3
  elif [[ $s =~ ^feat(\\(.*\\))?: ]]; then ((bump < 2)) && bump=2
  elif [[ $s =~ ^(fix|perf)(\\(.*\\))?: ]]; then ((bump < 1)) && bump=1
  fi
done < <(git log "$last..HEAD" --format=%s)
IFS=. read -r maj min pat <<< "\${last#v}"
case $bump in 3) echo "$((maj+1)).0.0";; 2) echo "$maj.$((min+1)).0";; 1) echo "$maj.$min.$((pat+1))";; *) echo "$maj.$min.$pat";; esac
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const times: number[] = [];
  let value!: T;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    value = await fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), value };
}

const scenarios: [string, Extras][] = [
  ['release tags only', { floating: false, rc: false, stray: false }],
  ['+ floating v1 and an rc tag', { floating: true, rc: true, stray: false }],
  ['+ a stray non-semver tag (vnext)', { floating: true, rc: true, stray: true }]
];
const rows: string[] = [];
let count = '';
for (const [label, extras] of scenarios) {
  const { dir, expected } = await buildRepo(extras);
  count = execFileSync('git', ['rev-list', '--count', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
  try {
    const executor = new LocalExecutor();
    const options = {
      cwd: dir,
      target: 'HEAD',
      tagPrefix: 'v',
      initialVersion: '1.0.0',
      floatingTags: 'major' as const,
      repoUrl: 'https://github.com/acme/shop'
    };
    const ours = await time(() => planRelease(options, { executor, logger: silentLogger }));
    const theirs = await time(() => naive(dir));
    const ok = (v: string) =>
      v === expected || v.startsWith(`${expected} `) ? 'yes' : `**no** (expected ${expected})`;
    rows.push(
      `| ${label} | tag-release engine | ${ours.value.version} (from ${ours.value.previousTag}) | ${ok(ours.value.version)} | ${ours.ms.toFixed(1)} |`,
      `| ${label} | git describe + git log + regex | ${theirs.value} | ${ok(theirs.value)} | ${theirs.ms.toFixed(1)} |`
    );
    if (!extras.floating) {
      const full = await time(() =>
        planRelease(
          { ...options, tagPrefix: 'nomatch-', floatingTags: 'none' },
          { executor, logger: silentLogger }
        )
      );
      rows.push(
        `| first release: all ${count} commits parsed | tag-release engine | ${full.value.version} | – | ${full.ms.toFixed(1)} |`
      );
      // What a workflow step costs end to end: the bundle under the runner emulation (node start included),
      // against the same hand-written logic as a bash `run:` step.
      const step = await time(() =>
        runBundle('tag-release', { inputs: { 'dry-run': true }, workspace: dir }).then(
          (r) => r.outputs.version ?? '(none)'
        )
      );
      const bash = await time(() =>
        spawnSync('bash', ['-c', NAIVE_BASH], { cwd: dir, encoding: 'utf8' }).stdout.trim()
      );
      rows.push(
        `| ${label} | tag-release bundle as a step (dry-run, node start included) | ${step.value} | ${ok(step.value)} | ${step.ms.toFixed(1)} |`,
        `| ${label} | the same hand-written logic as a bash \`run:\` step | ${bash.value} | ${ok(bash.value)} | ${bash.ms.toFixed(1)} |`
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(
  `\nRepository: ${count} commits (merges every 50, release tag every 100), median of ${RUNS} runs.\n`
);
console.log('| history | approach | next version | right? | time (ms) |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);

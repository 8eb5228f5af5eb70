import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  ConcurrencyGroups,
  runWorkflow,
  type SimOptions,
  type WorkflowResult
} from '../../packages/workflow-sim/src/index.js';

/**
 * The simulator is as strict as GitHub where GitHub is stricter than a developer's shell: the default
 * shell, a clean environment, GITHUB_ENV and GITHUB_PATH, secrets across a call, cancellation and
 * timeouts, concurrency groups and `uses: …@<ref>` resolution. Each test here failed on the simulator before
 * it was made strict (it ran steps with pipefail in the developer's environment, gave a called job every
 * environment secret, had no groups, and mapped any ref to the working tree).
 */
let work: string;
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8'
  }).trim();

/** A git repository standing for deploy-actions, its workflows given as text. */
function repoWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(work, 'repo-'));
  git(dir, 'init', '-q', '-b', 'main');
  write(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'one');
  return dir;
}
function write(dir: string, files: Record<string, string>): void {
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
}
const wf = (steps: string, extra = '') =>
  `name: t\non: workflow_dispatch\n${extra}jobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;
const run = (root: string, file: string, more: Partial<SimOptions> = {}) =>
  runWorkflow(file, { root, workspace: mkdtempSync(join(work, 'ws-')), ...more });
const steps = (r: WorkflowResult, job = 'j') => r.jobs.find((j) => j.id === job)!.steps;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'da-sim-strict-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('steps run as on a GitHub-hosted runner', () => {
  test('the default shell is `bash -e {0}`: no pipefail unless the step says `shell: bash`', async () => {
    const root = repoWith({
      '.github/workflows/t.yml': wf(
        [
          '      - id: plain',
          '        run: false | true',
          '      - id: strict',
          '        shell: bash',
          '        run: false | true'
        ].join('\n') + '\n'
      )
    });
    const r = await run(root, '.github/workflows/t.yml');
    expect(steps(r).map((s) => [s.id, s.outcome])).toEqual([
      ['plain', 'success'],
      ['strict', 'failure']
    ]);
  });

  test('a clean environment: a runner HOME, no git identity, nothing inherited from this process', async () => {
    process.env.DA_SIM_STRICT_LEAK = 'from-the-developer';
    try {
      const root = repoWith({
        '.github/workflows/t.yml': wf(
          [
            '      - id: env',
            '        run: |',
            '          echo "home=$HOME" >> "$GITHUB_OUTPUT"',
            '          echo "leak=${DA_SIM_STRICT_LEAK:-none}" >> "$GITHUB_OUTPUT"',
            '      - id: commit',
            '        run: |',
            '          git init -q repo && cd repo',
            '          git commit -q --allow-empty -m x'
          ].join('\n') + '\n'
        )
      });
      const r = await run(root, '.github/workflows/t.yml');
      const [env, commit] = steps(r);
      expect(env!.outputs.home).not.toBe(process.env.HOME);
      expect(env!.outputs.leak).toBe('none');
      expect(commit!.outcome).toBe('failure');
      expect(commit!.log).toMatch(/Author identity unknown|empty ident|user\.useConfigOnly/);
    } finally {
      delete process.env.DA_SIM_STRICT_LEAK;
    }
  });

  test('GITHUB_ENV and GITHUB_PATH reach the later steps (and the env context)', async () => {
    const root = repoWith({
      '.github/workflows/t.yml': wf(
        [
          '      - run: |',
          '          mkdir -p "$RUNNER_TEMP/bin" && printf "#!/bin/sh\\necho tool-ran\\n" > "$RUNNER_TEMP/bin/da-tool"',
          '          chmod +x "$RUNNER_TEMP/bin/da-tool"',
          '          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"',
          '          echo "GREETING=hello from env" >> "$GITHUB_ENV"',
          '      - id: later',
          '        env:',
          '          FROM_CONTEXT: ${{ env.GREETING }}',
          '        run: |',
          '          echo "greeting=$GREETING" >> "$GITHUB_OUTPUT"',
          '          echo "context=$FROM_CONTEXT" >> "$GITHUB_OUTPUT"',
          '          echo "tool=$(da-tool)" >> "$GITHUB_OUTPUT"'
        ].join('\n') + '\n'
      )
    });
    const r = await run(root, '.github/workflows/t.yml');
    expect(steps(r)[1]!.outputs).toEqual({
      greeting: 'hello from env',
      context: 'hello from env',
      tool: 'tool-ran'
    });
  });
});

describe('secrets across a call', () => {
  const called = [
    'name: called',
    'on:',
    '  workflow_call:',
    '    outputs:',
    '      lengths: { value: "${{ jobs.j.outputs.lengths }}" }',
    '      leak: { value: "${{ jobs.j.outputs.leak }}" }',
    '    secrets:',
    '      PASSED: { required: false }',
    '      NOT_PASSED: { required: false }',
    '      MUST: { required: true }',
    'jobs:',
    '  j:',
    '    runs-on: ubuntu-latest',
    '    environment: staging',
    '    outputs:',
    '      lengths: ${{ steps.s.outputs.lengths }}',
    '      leak: ${{ steps.s.outputs.leak }}',
    '    steps:',
    '      - id: s',
    '        env:',
    '          PASSED: ${{ secrets.PASSED }}',
    '          NOT_PASSED: ${{ secrets.NOT_PASSED }}',
    '        run: |',
    '          echo "lengths=${#PASSED},${#NOT_PASSED},$GITHUB_EVENT_NAME,$GITHUB_WORKFLOW" >> "$GITHUB_OUTPUT"',
    '          echo "leak=key:$PASSED" >> "$GITHUB_OUTPUT"',
    ''
  ].join('\n');
  const caller = (secrets: string) =>
    [
      'name: the caller',
      'on: push',
      'jobs:',
      '  call:',
      '    uses: acme/deploy-actions/.github/workflows/called.yml@main',
      `    secrets:${secrets}`,
      ''
    ].join('\n');
  const environments = { staging: { secrets: { PASSED: 'env-passed', NOT_PASSED: 'env-not-passed' } } };

  test('a called job gets an environment secret only under a name its caller passed', async () => {
    const root = repoWith({
      '.github/workflows/called.yml': called,
      '.github/workflows/caller.yml': caller('\n      PASSED: ${{ secrets.PASSED }}\n      MUST: x')
    });
    const lines: string[] = [];
    const r = await run(root, '.github/workflows/caller.yml', {
      environments,
      github: { event_name: 'push' },
      log: (l) => lines.push(l)
    });
    expect(r.conclusion).toBe('success');
    // PASSED (empty from the caller) takes the environment's value; NOT_PASSED stays empty. The called
    // workflow sees its caller's event and workflow name.
    expect(r.jobs[0]!.outputs.lengths).toBe('10,0,push,the caller');
    // An output holding a secret is dropped, as the runner does.
    expect(r.jobs[0]!.outputs.leak).toBe('');
    expect(lines.join('\n')).toContain("Skip output 'leak' since it may contain secret.");
  });

  test('passed secrets are checked against on.workflow_call.secrets, and required: is enforced', async () => {
    const root = repoWith({
      '.github/workflows/called.yml': called,
      '.github/workflows/undeclared.yml': caller('\n      MUST: x\n      TYPO: y'),
      '.github/workflows/missing.yml': caller('\n      PASSED: x')
    });
    const undeclared = await run(root, '.github/workflows/undeclared.yml', { environments });
    expect(undeclared.jobs[0]!.error).toBe(
      'Invalid secret, TYPO is not defined in the referenced workflow .github/workflows/called.yml.'
    );
    const missing = await run(root, '.github/workflows/missing.yml', { environments });
    expect(missing.jobs[0]!.error).toBe(
      'Secret MUST is required, but not provided while calling .github/workflows/called.yml.'
    );
  });
});

describe('cancellation and timeouts', () => {
  const guarded = [
    '      - id: after-failure',
    '        if: failure()',
    '        run: echo f',
    '      - id: after-cancel',
    '        if: cancelled()',
    '        run: echo c',
    '      - id: always',
    '        if: always()',
    '        run: echo a'
  ].join('\n');

  test('timeout-minutes cancels the job: failure() is false, cancelled() and always() steps run', async () => {
    const root = repoWith({
      '.github/workflows/t.yml': wf(
        ['      - id: soak', '        run: sleep 300', guarded].join('\n') + '\n'
      ).replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    timeout-minutes: 0.02')
    });
    const r = await run(root, '.github/workflows/t.yml');
    expect(r.jobs[0]!.result).toBe('failure');
    expect(r.jobs[0]!.error).toMatch(/exceeded the maximum execution time of 0.02 minutes/);
    expect(steps(r).map((s) => [s.id, s.outcome])).toEqual([
      ['soak', 'cancelled'],
      ['after-failure', 'skipped'],
      ['after-cancel', 'success'],
      ['always', 'success']
    ]);
  });

  test("a step's own timeout-minutes fails the step (failure() steps run)", async () => {
    const root = repoWith({
      '.github/workflows/t.yml': wf(
        ['      - id: soak', '        timeout-minutes: 0.02', '        run: sleep 300', guarded].join('\n') +
          '\n'
      )
    });
    const r = await run(root, '.github/workflows/t.yml');
    expect(steps(r).map((s) => [s.id, s.outcome])).toEqual([
      ['soak', 'failure'],
      ['after-failure', 'success'],
      ['after-cancel', 'skipped'],
      ['always', 'success']
    ]);
  });

  test('cancelling the run stops the running step; the run concludes cancelled', async () => {
    const root = repoWith({
      '.github/workflows/t.yml': wf(
        [
          '      - id: first',
          '        run: echo started',
          '      - id: soak',
          '        run: sleep 300',
          guarded
        ].join('\n') + '\n'
      )
    });
    const cancel = new AbortController();
    const r = await run(root, '.github/workflows/t.yml', {
      signal: cancel.signal,
      // The run is cancelled once its first step is done; the soak is then running or about to.
      afterStep: (_job, step) => {
        if (step.id === 'first') setImmediate(() => cancel.abort());
      }
    });
    expect(r.conclusion).toBe('cancelled');
    expect(steps(r).map((s) => [s.id, s.outcome])).toEqual([
      ['first', 'success'],
      ['soak', 'cancelled'],
      ['after-failure', 'skipped'],
      ['after-cancel', 'success'],
      ['always', 'success']
    ]);
  });
});

describe('concurrency groups', () => {
  test('one running, one pending; a newer run replaces the pending one; a run awaiting approval holds the group', async () => {
    const root = repoWith({
      '.github/workflows/t.yml': [
        'name: t',
        'on:',
        '  workflow_dispatch:',
        '    inputs:',
        '      n: { type: string, required: true }',
        'concurrency:',
        '  group: deploy-${{ vars.APP }}',
        'jobs:',
        '  j:',
        '    runs-on: ubuntu-latest',
        '    environment: production',
        '    steps:',
        '      - run: echo run ${{ inputs.n }}',
        ''
      ].join('\n')
    });
    const groups = new ConcurrencyGroups();
    let approveFirst!: (ok: boolean) => void;
    const approvals: string[] = [];
    const start = (n: string) =>
      run(root, '.github/workflows/t.yml', {
        inputs: { n },
        vars: { APP: 'shop' },
        concurrency: groups,
        label: `run ${n}`,
        approve: () => {
          approvals.push(n);
          return n === '1' ? new Promise<boolean>((ok) => (approveFirst = ok)) : true;
        }
      });
    const until = async (ok: () => boolean) => {
      while (!ok()) await new Promise((r) => setImmediate(r));
    };
    const first = start('1');
    await until(() => approvals.includes('1'));
    const second = start('2');
    await until(() => groups.state()['deploy-shop']?.pending === 'run 2');
    const third = start('3');
    // The second run is cancelled by the third, which now waits behind the first (still awaiting approval).
    expect((await second).conclusion).toBe('cancelled');
    expect(groups.state()).toEqual({ 'deploy-shop': { running: 'run 1', pending: 'run 3' } });
    expect(approvals).toEqual(['1']);
    approveFirst(true);
    expect((await first).conclusion).toBe('success');
    expect((await third).conclusion).toBe('success');
    expect(approvals).toEqual(['1', '3']);
    expect(groups.state()).toEqual({});
  });
});

describe('uses: …@<ref> resolves as on GitHub', () => {
  const called = (word: string) =>
    [
      'name: called',
      'on:',
      '  workflow_call:',
      '    outputs:',
      '      word: { value: "${{ jobs.j.outputs.word }}" }',
      'jobs:',
      '  j:',
      '    runs-on: ubuntu-latest',
      '    outputs:',
      '      word: ${{ steps.s.outputs.word }}',
      '    steps:',
      `      - id: s`,
      `        run: echo "word=${word}" >> "$GITHUB_OUTPUT"`,
      ''
    ].join('\n');
  const caller = (uses: string) => `name: caller\non: push\njobs:\n  call:\n    uses: ${uses}\n`;

  test('a full SHA, else a tag, else a branch; that commit runs, not the working tree', async () => {
    const root = repoWith({ '.github/workflows/called.yml': called('one') });
    const first = git(root, 'rev-parse', 'HEAD');
    git(root, 'tag', 'v1');
    write(root, { '.github/workflows/called.yml': called('two') });
    git(root, 'commit', '-qam', 'two');
    git(root, 'branch', 'feature');
    // Uncommitted: GitHub never sees it.
    write(root, { '.github/workflows/called.yml': called('dirty') });
    const word = async (ref: string) => {
      write(root, {
        [`callers/${ref}.yml`]: caller(`acme/deploy-actions/.github/workflows/called.yml@${ref}`)
      });
      const r = await run(root, `callers/${ref}.yml`);
      return r.jobs[0]!.error ?? r.outputs.word ?? r.jobs[0]!.outputs.word;
    };
    expect(await word('v1')).toBe('one');
    expect(await word(first)).toBe('one');
    expect(await word('main')).toBe('two');
    expect(await word('feature')).toBe('two');
    expect(await word('v9')).toMatch(
      /Unable to resolve action .*'v9' is not a commit SHA, a tag or a branch/
    );
    expect(await word(first.slice(0, 12))).toMatch(/Unable to resolve action/);
  });

  test('the OWNER placeholder fails the job', async () => {
    const root = repoWith({
      '.github/workflows/called.yml': called('one'),
      'caller.yml': caller('OWNER/deploy-actions/.github/workflows/called.yml@main')
    });
    const r = await run(root, 'caller.yml');
    expect(r.conclusion).toBe('failure');
    expect(r.jobs[0]!.error).toMatch(/OWNER is the placeholder of an unreleased workflow/);
  });
});

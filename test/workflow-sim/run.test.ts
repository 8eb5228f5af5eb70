import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobOrder, runWorkflow } from '../../packages/workflow-sim/src/index.js';
import { REPO_ROOT } from '../support/paths.js';

const root = join(REPO_ROOT, 'test', 'fixtures', 'sim-repo');
const workspace = mkdtempSync(join(tmpdir(), 'da-sim-test-'));

describe('the local workflow runner', () => {
  test('runs a reusable workflow through a caller: inputs, vars, secrets, outputs, environments', async () => {
    const lines: string[] = [];
    const approvals: string[] = [];
    const r = await runWorkflow('.github/workflows/caller.yml', {
      root,
      refs: 'worktree',
      workspace,
      secrets: { SECRET: 's3cr3t-value' },
      environments: { staging: { vars: { GREETING: 'hi' } } },
      approve: (env, job) => (approvals.push(`${env}/${job}`), true),
      log: (l) => lines.push(l)
    });
    expect(r.conclusion).toBe('success');
    const call = r.jobs[0]!;
    expect(call.called?.outputs).toEqual({ message: 'hi, ada' });
    const greet = call.called!.jobs.find((j) => j.id === 'greet')!;
    expect(greet.environment).toEqual({ name: 'staging', url: 'https://ada.example' });
    expect(greet.steps.map((s) => [s.id, s.outcome, s.outputs.loud ?? s.outputs.message])).toEqual([
      ['hello', 'success', 'hi, ada'],
      ['shout', 'success', 'HI, ADA']
    ]);
    // The echo action masks its secret: the log never shows it.
    expect(greet.steps[0]!.log).not.toContain('s3cr3t-value');
    expect(approvals).toEqual(['staging/greet']);
    expect(call.called!.jobs.find((j) => j.id === 'recover')!.result).toBe('skipped');
  });

  test('a failing step fails its job, skips dependents, and runs failure() jobs', async () => {
    const r = await runWorkflow('.github/workflows/chain.yml', {
      root,
      refs: 'worktree',
      workspace,
      inputs: { who: 'bob', 'fail-at': 'greet' }
    });
    expect(r.conclusion).toBe('failure');
    expect(Object.fromEntries(r.jobs.map((j) => [j.id, j.result]))).toEqual({
      greet: 'failure',
      after: 'skipped',
      recover: 'success'
    });
    expect(r.jobs[0]!.steps[0]!.error).toContain('asked to fail');
    expect(r.jobs[0]!.steps[1]!.outcome).toBe('skipped');
  });

  test('an environment rejected by its protection rules fails the job before any step runs', async () => {
    const r = await runWorkflow('.github/workflows/chain.yml', {
      root,
      refs: 'worktree',
      workspace,
      inputs: { who: 'bob' },
      approve: () => false
    });
    expect(r.jobs[0]).toMatchObject({
      result: 'failure',
      steps: [],
      error: "deployment to 'staging' was rejected"
    });
  });

  test('inputs are checked like GitHub does', async () => {
    await expect(
      runWorkflow('.github/workflows/chain.yml', { root, refs: 'worktree', workspace })
    ).rejects.toThrow("required input 'who' was not given");
    await expect(
      runWorkflow('.github/workflows/chain.yml', {
        root,
        refs: 'worktree',
        workspace,
        inputs: { who: 'x', nope: 1 }
      })
    ).rejects.toThrow("input 'nope' is not declared");
  });

  test('job order follows needs and refuses cycles', () => {
    expect(jobOrder({ c: { needs: ['a', 'b'] }, b: { needs: 'a' }, a: {} })).toEqual(['a', 'b', 'c']);
    expect(() => jobOrder({ a: { needs: 'b' }, b: { needs: 'a' } })).toThrow(/cycle/);
  });
});

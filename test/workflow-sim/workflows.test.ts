import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import {
  ConcurrencyGroups,
  DEFAULT_PERMISSIONS,
  condition,
  interpolate,
  jobPermissions,
  parsePermissions,
  runWorkflow,
  toText,
  type Context,
  type SimOptions
} from '../../packages/workflow-sim/src/index.js';
import { REPO_ROOT } from '../support/paths.js';

/**
 * Our reusable workflows (and the example callers) in the stricter simulator (issue 29). The runs here stop
 * before any step that needs the lab: at an approval, or by cancelling the run after the first step.
 */
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (path: string): Obj => parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as Obj;
const ours = (name: string) => load(`.github/workflows/${name}`);
const example = (name: string) => load(`docs/examples/app-repo/.github/workflows/${name}`);
const EXAMPLES = join(REPO_ROOT, 'docs', 'examples', 'app-repo');
const step = (wf: Obj, job: string, id: string): Obj =>
  (wf.jobs[job].steps as Obj[]).find((s) => s.id === id)!;
const ctx = (more: Partial<Context>): Context => ({
  github: { run_id: '1' },
  inputs: {},
  vars: {},
  secrets: {},
  env: {},
  ...more
});
const base = (more: Partial<SimOptions> = {}): SimOptions => ({
  root: REPO_ROOT,
  refs: 'worktree',
  workspace: mkdtempSync(join(tmpdir(), 'da-wf-')),
  ...more
});

describe('issue 29: the workflows under GitHub semantics', () => {
  test('item 10: the undo step runs when the job is cancelled or times out after the switch', () => {
    for (const wf of [ours('deploy.yml'), ours('promote.yml')]) {
      const undo = step(wf, 'rollout', 'rollback');
      const c = ctx({ steps: { deploy: { outcome: 'success', outputs: {} } } });
      const cancelled = { success: () => false, failure: () => false, cancelled: () => true };
      const failed = { success: () => false, failure: () => true, cancelled: () => false };
      expect(condition(undo.if as string, c, cancelled)).toBe(true);
      expect(condition(undo.if as string, c, failed)).toBe(true);
      const notDeployed = ctx({ steps: { deploy: { outcome: 'failure', outputs: {} } } });
      expect(condition(undo.if as string, notDeployed, cancelled)).toBe(false);
    }
  });

  test('item 7: the example deploys a version only when one was released', () => {
    const dev = example('deploy.yml').jobs.dev;
    const version = (released: string) =>
      toText(
        interpolate(
          dev.with.version as string,
          ctx({ needs: { release: { result: 'success', outputs: { released, version: '1.4.0' } } } })
        )
      );
    expect(version('false')).toBe('');
    expect(version('true')).toBe('1.4.0');
  });

  test('item 8: rollback probes its health-path input (default /up)', () => {
    const wf = ours('rollback.yml');
    for (const trigger of ['workflow_dispatch', 'workflow_call'])
      expect(wf.on[trigger].inputs['health-path']).toMatchObject({ type: 'string', default: '/up' });
    const url = step(wf, 'rollback', 'rollback').with['health-url'] as string;
    const c = ctx({
      inputs: { 'health-path': '/healthz' },
      vars: { ENVIRONMENT_URL: 'https://shop.example' }
    });
    expect(toText(interpolate(url, c))).toBe('https://shop.example/healthz');
  });

  test('item 5: the jobs that take a lock over can read Actions runs; rollback takes break-lock', () => {
    for (const [file, job] of [
      ['deploy.yml', 'rollout'],
      ['promote.yml', 'rollout'],
      ['rollback.yml', 'rollback']
    ] as const) {
      const wf = ours(file);
      const p = jobPermissions(
        job,
        parsePermissions(wf.jobs[job].permissions, file),
        parsePermissions(wf.permissions, file),
        undefined
      );
      expect([file, p.actions]).toEqual([file, 'read']);
    }
    const rb = ours('rollback.yml');
    for (const trigger of ['workflow_dispatch', 'workflow_call'])
      expect(rb.on[trigger].inputs['break-lock']).toMatchObject({ type: 'boolean', default: false });
    expect(step(rb, 'rollback', 'rollback').with['break-lock']).toBe('${{ inputs.break-lock }}');
    expect(DEFAULT_PERMISSIONS.actions).toBe('none');
  });

  test('items 4 and 5: the example rollback button passes the notification secrets and may call rollback.yml', async () => {
    const cancel = new AbortController();
    const lines: string[] = [];
    const r = await runWorkflow('.github/workflows/rollback.yml', {
      ...base({ repo: EXAMPLES, signal: cancel.signal, log: (l) => lines.push(l) }),
      inputs: { environment: 'staging', reason: 'test' },
      environments: {
        staging: {
          secrets: {
            SSH_KEY: 'key',
            KNOWN_HOSTS: 'hosts',
            NOTIFY_WEBHOOK_URL: 'https://chat.example/hook',
            WEBHOOK_SECRET: 'signing-key'
          }
        }
      },
      // Stop after the first step of the called job: the rest needs the lab's hosts.
      afterStep: () => cancel.abort()
    });
    const call = r.jobs[0]!;
    expect(call.error).toBeUndefined();
    const first = call.called!.jobs[0]!.steps[0]!;
    expect(first.outcome).toBe('success');
    expect(first.log).not.toMatch(/secret \w+ is empty/);
  });

  test('item 4: a declared secret left empty is named in one log line saying where it comes from', async () => {
    const cancel = new AbortController();
    const r = await runWorkflow('.github/workflows/rollback.yml', {
      ...base({ signal: cancel.signal }),
      inputs: { app: 'shop', environment: 'staging', reason: 'test' },
      secrets: { SSH_KEY: 'key', KNOWN_HOSTS: 'hosts' },
      afterStep: () => cancel.abort()
    });
    const first = r.jobs[0]!.steps[0]!;
    const empty = first.log.split('\n').filter((l) => /secret \w+ is empty/.test(l));
    expect(empty).toHaveLength(2);
    expect(empty[0]).toMatch(/NOTIFY_WEBHOOK_URL is empty.*caller's `secrets:`.*'staging' environment/);
    expect(empty[1]).toMatch(/WEBHOOK_SECRET is empty/);
  });

  test('item 3: runs-on is a JSON input (labels work), jump-host reaches the hosts through a bastion', () => {
    for (const [file, job, steps] of [
      ['deploy.yml', 'rollout', ['deploy', 'rollback']],
      ['promote.yml', 'rollout', ['deploy', 'rollback']],
      ['rollback.yml', 'rollback', ['rollback']]
    ] as const) {
      const wf = ours(file);
      const call = wf.on.workflow_call.inputs;
      expect([file, call['runs-on']]).toMatchObject([file, { type: 'string', default: '"ubuntu-latest"' }]);
      expect([file, call['jump-host']]).toMatchObject([file, { type: 'string', default: '' }]);
      for (const id of Object.keys(wf.jobs)) {
        const runsOn = (inputs: Record<string, string>) =>
          interpolate(wf.jobs[id]['runs-on'], ctx({ inputs }));
        expect([file, id, runsOn({ 'runs-on': call['runs-on'].default })]).toEqual([
          file,
          id,
          'ubuntu-latest'
        ]);
        expect(runsOn({ 'runs-on': '["self-hosted", "deploy"]' })).toEqual(['self-hosted', 'deploy']);
      }
      for (const id of steps)
        expect([file, id, step(wf, job, id).with['jump-host']]).toEqual([
          file,
          id,
          '${{ inputs.jump-host || vars.DEPLOY_JUMP_HOST }}'
        ]);
    }
  });

  test('item 2 (part): backup is an input, default true', () => {
    for (const file of ['deploy.yml', 'promote.yml']) {
      const wf = ours(file);
      expect(wf.on.workflow_call.inputs.backup).toMatchObject({ type: 'boolean', default: true });
      const expr = step(wf, 'rollout', 'migrate').with.backup as string;
      const backup = (inputs: Context['inputs']) => toText(interpolate(expr, ctx({ inputs })));
      expect([file, backup({ backup: false }), backup({ backup: true })]).toEqual([file, 'false', 'true']);
    }
    // A manual promote has no backup input: it backs up.
    const promote = step(ours('promote.yml'), 'rollout', 'migrate').with.backup as string;
    expect(toText(interpolate(promote, ctx({})))).toBe('true');
  });

  test('item 9: promote only resolves the source tag, and checks an expected digest', () => {
    const wf = ours('promote.yml');
    const source = step(wf, 'rollout', 'source');
    expect(source.with.targets).toBeUndefined();
    expect(wf.on.workflow_call.inputs.digest).toMatchObject({ type: 'string', default: '' });
    const check = (wf.jobs.rollout.steps as Obj[]).find((s) => s.name === 'the digest the caller expects')!;
    expect(check.env).toMatchObject({
      WANT: '${{ inputs.digest }}',
      GOT: '${{ steps.source.outputs.digest }}'
    });
  });

  test('item 6: a rollback is not held by a promote waiting for approval, nor cancelled by the next one', async () => {
    const groups = new ConcurrencyGroups();
    let approvePromote!: (ok: boolean) => void;
    const waiting: string[] = [];
    const promote = runWorkflow('.github/workflows/promote.yml', {
      ...base({ concurrency: groups, label: 'promote' }),
      inputs: { app: 'shop', image: 'ghcr.io/acme/shop', from: 'staging', to: 'production' },
      approve: (env) => {
        waiting.push(env);
        return new Promise<boolean>((ok) => (approvePromote = ok));
      }
    });
    while (!waiting.includes('production')) await new Promise((r) => setImmediate(r));
    let settled = false;
    const rollback = runWorkflow('.github/workflows/rollback.yml', {
      ...base({ concurrency: groups, label: 'rollback' }),
      inputs: { app: 'shop', environment: 'production', reason: '3 a.m.' },
      // Rejected at its own approval: it got that far, so nothing held it.
      approve: () => false
    }).finally(() => (settled = true));
    while (!settled && !Object.values(groups.state()).some((g) => g.pending === 'rollback'))
      await new Promise((r) => setImmediate(r));
    // Had it shared the deploy group, the next promote would now cancel it.
    const next = runWorkflow('.github/workflows/promote.yml', {
      ...base({ concurrency: groups, label: 'next promote' }),
      inputs: { app: 'shop', image: 'ghcr.io/acme/shop', from: 'staging', to: 'production' },
      approve: () => false
    });
    const rb = await rollback;
    expect(rb.conclusion).toBe('failure');
    expect(rb.jobs[0]!.error).toBe("deployment to 'production' was rejected");
    approvePromote(false);
    await promote;
    await next;
  });
});

describe('issue 32: runtime config and proxy settings through the reusable workflows', () => {
  const PROXY = {
    'proxy-trusted': 'PROXY_TRUSTED',
    'proxy-max-body-size': 'PROXY_MAX_BODY_SIZE',
    'proxy-read-timeout': 'PROXY_READ_TIMEOUT',
    'proxy-buffering': 'PROXY_BUFFERING',
    'proxy-access-log': 'PROXY_ACCESS_LOG'
  };
  const vars = {
    PROXY_TRUSTED: '10.0.0.0/8',
    PROXY_MAX_BODY_SIZE: '25m',
    PROXY_READ_TIMEOUT: '120s',
    PROXY_BUFFERING: 'true',
    PROXY_ACCESS_LOG: 'false'
  };

  test('item 2 of the brief: deploy, promote and rollback pass the proxy-* variables to every host step', () => {
    for (const [file, job, steps] of [
      ['deploy.yml', 'rollout', ['deploy', 'rollback']],
      ['promote.yml', 'rollout', ['deploy', 'rollback']],
      ['rollback.yml', 'rollback', ['rollback']]
    ] as const) {
      const wf = ours(file);
      for (const id of steps)
        for (const [input, name] of Object.entries(PROXY)) {
          const expr = step(wf, job, id).with[input] as string;
          expect([file, id, input, toText(interpolate(expr, ctx({ vars })))]).toEqual([
            file,
            id,
            input,
            vars[name as keyof typeof vars]
          ]);
          // Unset: empty, so the action's own default applies.
          expect(toText(interpolate(expr, ctx({})))).toBe('');
        }
    }
  });

  test('item 1: ENV_FILE is written 0600 by a builtin, passed as env-file with the env-template, and removed', () => {
    for (const file of ['deploy.yml', 'promote.yml']) {
      const wf = ours(file);
      expect(wf.on.workflow_call.secrets.ENV_FILE).toMatchObject({ required: false });
      expect(wf.on.workflow_call.inputs['env-template']).toMatchObject({ type: 'string', default: '' });
      const env = step(wf, 'rollout', 'env');
      expect(env.env).toEqual({ ENV_FILE: '${{ secrets.ENV_FILE }}' });
      const deploy = step(wf, 'rollout', 'deploy');
      const c = ctx({
        inputs: {},
        vars: { ENV_TEMPLATE: '.env.example' },
        steps: { env: { outcome: 'success', outputs: { path: '/tmp/x/.env' } } }
      });
      expect(toText(interpolate(deploy.with['env-file'] as string, c))).toBe('/tmp/x/.env');
      expect(toText(interpolate(deploy.with['env-template'] as string, c))).toBe('.env.example');
      expect(
        toText(
          interpolate(deploy.with['env-template'] as string, ctx({ inputs: { 'env-template': 'a.env' } }))
        )
      ).toBe('a.env');
      // The step before the deploy writes it; the last step removes it, whatever happened.
      const steps = wf.jobs.rollout.steps as Obj[];
      expect(steps.indexOf(env)).toBeLessThan(steps.indexOf(deploy));
      const cleanup = steps[steps.length - 1]!;
      expect(cleanup.if).toBe("always() && steps.env.outputs.path != ''");
      // The script itself, run as the runner runs it (bash -e), on a value with quotes, `$` and a backslash.
      const temp = mkdtempSync(join(tmpdir(), 'da-env-'));
      const output = join(temp, 'output');
      const value = 'A=1\nB="two words"\nC=$HOME\\n`x`';
      execFileSync('bash', ['-e', '-c', env.run as string], {
        env: { PATH: process.env.PATH, ENV_FILE: value, RUNNER_TEMP: temp, GITHUB_OUTPUT: output }
      });
      const path = /^path=(.*)$/m.exec(readFileSync(output, 'utf8'))![1]!;
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
      expect(readFileSync(path, 'utf8')).toBe(`${value}\n`);
      execFileSync('bash', ['-e', '-c', cleanup.run as string], {
        env: { PATH: process.env.PATH, ENV_PATH: path }
      });
      expect(existsSync(dirname(path))).toBe(false);
      // No secret: nothing written, no output.
      writeFileSync(output, '');
      execFileSync('bash', ['-e', '-c', env.run as string], {
        env: { PATH: process.env.PATH, ENV_FILE: '', RUNNER_TEMP: temp, GITHUB_OUTPUT: output }
      });
      expect(readFileSync(output, 'utf8')).toBe('');
    }
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorkflow } from '../../packages/workflow-sim/src/index.js';
import { fieldHost, integration } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';

/**
 * delivery-report.yml through the workflow simulator, with the working tree's delivery-report bundle, against a
 * history on field host 1 (non-root, slow login shell, far link): one release served, one failed its gate and
 * was rolled back. The figures are worked out here from those lines.
 */
integration('delivery-report workflow', () => {
  const h = fieldHost(0);
  const app = 'metrics-wf';
  const env = 'staging';
  const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s)).toISOString();
  const lines = [
    { time: at(0), event: 'deploy.started', release: 'R1', version: 'v1' },
    { time: at(20), event: 'traffic.switched', release: 'R1' },
    { time: at(30), event: 'deploy.completed', release: 'R1', version: 'v1', durationMs: 30_000 },
    { time: at(100), event: 'deploy.started', release: 'R2', version: 'v2' },
    { time: at(110), event: 'traffic.switched', release: 'R2' },
    { time: at(150), event: 'rollback.executed', release: 'R2', from: 'R2', to: 'R1', automatic: true },
    { time: at(151), event: 'deploy.failed', release: 'R2', version: 'v2', reason: 'gate failed' }
  ].map((l) => JSON.stringify({ app, environment: env, host: h.host, ...l }));
  let workspace: string;

  beforeAll(() => {
    rmSync(join(h.stateDir, app), { recursive: true, force: true });
    execFileSync('runuser', ['-u', h.user, '--', 'mkdir', '-p', join(h.stateDir, app, env)]);
    execFileSync('runuser', ['-u', h.user, '--', 'tee', join(h.stateDir, app, env, 'history.jsonl')], {
      input: lines.join('\n') + '\n',
      stdio: ['pipe', 'ignore', 'inherit']
    });
    workspace = mkdtempSync(join(tmpdir(), 'da-report-wf-'));
  });
  afterAll(() => {
    rmSync(join(h.stateDir, app), { recursive: true, force: true });
    rmSync(workspace, { recursive: true, force: true });
  });

  it('reads the hosts with the observe environment only, and posts the report to the job summary', async () => {
    const key = readFileSync(h.keyPath, 'utf8');
    const approvals: string[] = [];
    const r = await runWorkflow('.github/workflows/delivery-report.yml', {
      root: REPO_ROOT,
      // The working tree's unreleased workflow and action (OWNER/…@main), as a development run.
      refs: 'worktree',
      workspace,
      inputs: { app, environments: env },
      environments: {
        'production-observe': {
          vars: {
            DEPLOY_HOSTS: `${h.host}:${h.port}`,
            DEPLOY_USER: h.user,
            DEPLOY_STATE_DIR: h.stateDir
          },
          secrets: { OBSERVE_SSH_KEY: key, KNOWN_HOSTS: readFileSync(h.knownHostsPath, 'utf8') }
        }
      },
      approve: (e, job) => (approvals.push(`${e}/${job}`), true)
    });
    const job = r.jobs[0]!;
    const step = job.steps.find((s) => s.id === 'report')!;
    expect([r.conclusion, job.error ?? '', step.outcome, step.error ?? '']).toEqual([
      'success',
      '',
      'success',
      ''
    ]);
    expect(approvals).toEqual(['production-observe/report']);
    const report = (JSON.parse(job.outputs['report']!) as Record<string, unknown>[])[0]!;
    // R1 served; R2 served at 110 s, failed its gate and was rolled back at 150 s: restored in 40 s.
    expect(report).toMatchObject({
      environment: env,
      app,
      deployments: 2,
      successfulDeployments: 1,
      failedDeployments: 1,
      changeFailureRate: 0.5,
      timeToRestoreMedianSeconds: 40,
      deployDurationMedianSeconds: 30
    });
    expect(step.outputs['change-failure-rate']).toBe('0.5');
    expect(step.summary).toContain(
      '## Delivery report (DORA bands from the Accelerate State of DevOps Report 2023'
    );
    expect(step.summary).toMatch(/\| staging \|/);
    expect(step.summary).toContain('xychart-beta');
    // The key never reaches the log.
    expect(job.steps.map((s) => s.log ?? '').join('\n')).not.toContain(key.split('\n')[1]!);
  }, 300_000);

  it('the scheduled run with no app configured is skipped, not failed', async () => {
    const r = await runWorkflow('.github/workflows/delivery-report.yml', {
      root: REPO_ROOT,
      refs: 'worktree',
      workspace,
      github: { event_name: 'schedule' }
    });
    expect(r.jobs.map((j) => [j.id, j.result, j.steps.length])).toEqual([['report', 'skipped', 0]]);
  }, 60_000);
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorkflow } from '../../packages/workflow-sim/src/index.js';
import { infra, integration } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';
import { reportPath } from './reports.js';

/**
 * deploy.yml's scan job in the local workflow runner: a real build pushed to the lab registry, the stand-in
 * scanner emitting Trivy's alpine-39 report for that digest, scan-gate judging it once, and the rollout
 * stopping at the gate before anything in the environment changes.
 */
integration('deploy.yml scans the built digest once and gates the rollout on it', () => {
  const work = mkdtempSync(join(tmpdir(), 'scan-wf-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('a CRITICAL finding stops the rollout at the gate; the record carries the verdict and the counts', async () => {
    const reg = infra().registries[0]!;
    const app = join(work, 'app');
    const image = `${reg.host}/scan/shop-${Date.now().toString(36)}`;
    mkdirSync(app, { recursive: true });
    // No RUN: the lab's dockerd has no bridge network for build steps.
    writeFileSync(join(app, 'version'), 'scan\n');
    writeFileSync(join(app, 'Dockerfile'), 'FROM deploy-actions/busybox:latest\nCOPY version /version\n');
    const lines: string[] = [];
    const r = await runWorkflow('.github/workflows/deploy.yml', {
      root: REPO_ROOT,
      // The working tree's unreleased workflows (OWNER/…@main), as a development run.
      refs: 'worktree',
      workspace: app,
      inputs: {
        app: 'scan-shop',
        environment: 'scan-staging',
        image,
        'scan-command': `node ${join(REPO_ROOT, 'test', 'scan', 'stand-in-scanner.mjs')}`,
        'scan-only-fixable': true
      },
      env: {
        DOCKER_CONFIG: join(work, 'docker-config'),
        DEPLOY_ACTIONS_STANDIN_REPORT: reportPath('trivy-alpine-39.json')
      },
      vars: { REGISTRY: reg.host, REGISTRY_USERNAME: reg.username },
      secrets: { REGISTRY_PASSWORD: reg.password },
      environments: { 'scan-staging': { vars: { DEPLOY_HOSTS: '127.0.0.1' } } },
      approve: () => true,
      github: { actor: 'ada', repository: 'acme/shop', sha: 'a'.repeat(40), ref: 'refs/heads/main' },
      log: (l) => lines.push(l)
    });
    const job = (id: string) => r.jobs.find((j) => j.id === id)!;
    const build = job('build');
    const failed = (id: string) =>
      job(id)
        .steps.filter((s) => s.outcome === 'failure')
        .map((s) => `${s.name}: ${s.error ?? s.log.slice(-800)}`);
    expect([build.result, failed('build')]).toEqual(['success', []]);
    const digest = build.outputs.digest!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const scan = job('scan');
    expect(scan.result).toBe('success');
    expect(scan.outputs.verdict).toBe('fail');
    expect(JSON.parse(scan.outputs.counts!)).toMatchObject({ CRITICAL: 2, MEDIUM: 4 });
    const gate = scan.steps.find((s) => s.id === 'gate')!;
    expect(gate.summary).toContain(`matched: scan-report.json describes ${digest}`);

    const rollout = job('rollout');
    expect(rollout.result).toBe('failure');
    const step = (name: string) => rollout.steps.find((s) => s.id === name || s.name === name)!;
    expect(step('scan').outcome).toBe('failure');
    expect(step('scan').summary).toContain(`sha256-${digest.slice(7)}.scan`);
    expect(step('deploy').outcome).toBe('skipped');
    expect(step('migrate').outcome).toBe('skipped');
    expect(step('record').summary).toMatch(/\| fail \| \{"CRITICAL":2,"HIGH":0,"MEDIUM":4/);
  });
});

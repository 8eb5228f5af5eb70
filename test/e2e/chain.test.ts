import { integrationOn } from '../support/compose-hosts.js';
import { fieldHost } from '../support/infra.js';
import { ENVIRONMENTS, flattenJobs, runChain, type ChainReport } from './chain.js';

integrationOn('the chain end to end, through the workflow files', [0], () => {
  let report: ChainReport;
  beforeAll(async () => {
    report = await runChain();
    process.stdout.write(report.markdown);
  }, 2_700_000);

  const jobs = (i: number) =>
    Object.fromEntries(flattenJobs(report.runs[i]!.result).map((j) => [j.id, j.result]));
  const job = (i: number, id: string) => flattenJobs(report.runs[i]!.result).find((j) => j.id === id)!;
  const steps = (i: number, id: string) =>
    Object.fromEntries(job(i, id).steps.map((s) => [s.id ?? s.name, s.outcome]));
  const v100 = { status: 'ok', version: '1.0.0' };

  test('the first push releases v1.0.0 and reaches production through dev and staging', () => {
    expect(report.runs[0]!.result.conclusion).toBe('success');
    expect(jobs(0)).toEqual({
      'release/release': 'success',
      'dev/build': 'success',
      // No scanner is configured (no scan-command or SCAN_COMMAND): the scan job is skipped, the rollout runs.
      'dev/scan': 'skipped',
      'dev/rollout': 'success',
      'staging/rollout': 'success',
      'production/rollout': 'success'
    });
    expect(steps(0, 'dev/rollout')).toMatchObject({
      migrate: 'success',
      deploy: 'success',
      soak: 'success',
      tag: 'success',
      rollback: 'skipped',
      record: 'success'
    });
    for (const env of ENVIRONMENTS) expect(JSON.parse(report.runs[0]!.serving[env])).toEqual(v100);
  });

  test('one approval per protected environment reached, per release', () => {
    expect(report.runs[0]!.approvals).toEqual(['dev (rollout)', 'staging (rollout)', 'production (rollout)']);
    expect(report.runs[1]!.approvals).toEqual(['dev (rollout)']);
    expect(report.runs[2]!.approvals).toEqual(['dev (rollout)']);
  });

  test('each environment tag names the digest built once, only after it proved itself', () => {
    const built = job(0, 'dev/build').outputs.digest!;
    expect(built).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(report.runs[0]!.tags).toEqual({ dev: built, staging: built, production: built });
  });

  test('a release that passes its gate and fails its soak is rolled back in the same job; its tag does not move', () => {
    const run = report.runs[1]!;
    expect(run.result.conclusion).toBe('failure');
    expect(jobs(1)).toEqual({
      'release/release': 'success',
      'dev/build': 'success',
      // No scanner is configured (no scan-command or SCAN_COMMAND): the scan job is skipped, the rollout runs.
      'dev/scan': 'skipped',
      'dev/rollout': 'failure',
      staging: 'skipped',
      production: 'skipped'
    });
    expect(steps(1, 'dev/rollout')).toMatchObject({
      deploy: 'success',
      soak: 'failure',
      tag: 'skipped',
      rollback: 'success',
      record: 'success'
    });
    const rollout = job(1, 'dev/rollout');
    const soak = rollout.steps.find((s) => s.id === 'soak')!;
    // The soak probes the gate's URL, not `<url>/up/up`.
    expect(soak.log).toMatch(/127\.0\.0\.1:\d+\/up\b/);
    expect(soak.log).not.toContain('/up/up');
    expect(soak.error).toMatch(/soak|degraded|status/);
    expect(rollout.steps.find((s) => s.id === 'rollback')!.outputs['release-id']).toBe(
      job(0, 'dev/rollout').outputs['release-id']
    );
    expect(job(1, 'dev/build').outputs.digest).not.toBe(report.runs[0]!.tags.dev);
    expect(run.tags).toEqual(report.runs[0]!.tags);
    for (const env of ENVIRONMENTS) expect(JSON.parse(run.serving[env])).toEqual(v100);
  });

  test('the broken push fails its gate in dev, rolls back automatically, and is never promoted', () => {
    const run = report.runs[2]!;
    expect(run.result.conclusion).toBe('failure');
    expect(jobs(2)).toMatchObject({ 'dev/build': 'success', 'dev/rollout': 'failure', staging: 'skipped' });
    expect(steps(2, 'dev/rollout')).toMatchObject({
      deploy: 'failure',
      soak: 'skipped',
      tag: 'skipped',
      rollback: 'skipped'
    });
    const deploy = job(2, 'dev/rollout').steps.find((s) => s.id === 'deploy')!;
    expect(deploy.outputs['rolled-back']).toBe('true');
    expect(deploy.error).toMatch(/status/);
    expect(run.tags).toEqual(report.runs[0]!.tags);
    for (const env of ENVIRONMENTS) expect(JSON.parse(run.serving[env])).toEqual(v100);
  });

  test('every job ran with only its declared token permissions, and needed no more', () => {
    expect(job(0, 'dev/build').permissions).toMatchObject({
      contents: 'read',
      packages: 'write',
      deployments: 'none'
    });
    expect(job(0, 'production/rollout').permissions).toMatchObject({
      contents: 'read',
      packages: 'write',
      deployments: 'write',
      issues: 'none'
    });
    expect(job(0, 'release/release').permissions).toMatchObject({ contents: 'write', packages: 'none' });
    expect(report.standIn.forbidden).toEqual([]);
  });

  test('people were notified in their chat format; the automatic rollbacks in critical dev opened incidents', () => {
    expect(report.refusedNotifications).toEqual([]);
    expect(report.notifications).toEqual([
      'dev slack deploy.completed',
      'staging teams deploy.completed',
      'production discord deploy.completed',
      // The soak failure: deploy-compose succeeded, then the rollout job's rollback step.
      'dev slack deploy.completed',
      'dev slack rollback.executed',
      'dev slack incident.opened',
      // The broken release: deploy-compose rolled back on its own.
      'dev slack rollback.executed',
      'dev slack incident.opened',
      'dev slack deploy.failed'
    ]);
  });

  test('GitHub saw releases and tags made by tag-release, and only requests its API accepts', () => {
    expect(report.standIn.releases).toEqual(['v1.0.0', 'v1.0.1', 'v1.0.2']);
    expect(report.standIn.violations).toBe(0);
  });

  test('the deploys and rollbacks are recorded as GitHub deployments; the broken release gets failure', () => {
    expect(report.standIn.deployments.staging).toEqual(['in_progress>success']);
    expect(report.standIn.deployments.production).toEqual(['in_progress>success']);
    // dev: v1.0.0; v1.0.1 (served, then superseded by the rollback after its soak); the rollback itself;
    // the broken v1.0.2. A superseded deployment is marked inactive.
    expect(report.standIn.deployments.dev).toEqual([
      'in_progress>success>inactive',
      'in_progress>success>inactive',
      'in_progress>success',
      'in_progress>failure'
    ]);
  });

  test('every deploy and rollback ran on the host’s Compose v2 plugin', () => {
    expect(fieldHost(0).compose).toBe('v2');
    expect(report.compose).toEqual([expect.stringMatching(/^docker compose 2\.\d+\.\d+\S* \(v2\)$/)]);
    expect(report.markdown).toContain(`Compose on the deploy host: ${report.compose[0]}`);
  });

  test("the example's database keeps one ./data per environment through every release and rollback", () => {
    // Only v1.0.0 reached staging and production; dev also started v1.0.1, went back to v1.0.0 after its soak
    // (the kept slot starts again and says so), then started the broken v1.0.2, whose gate failed while v1.0.0
    // kept serving.
    expect(report.data.staging).toEqual(['1.0.0']);
    expect(report.data.production).toEqual(['1.0.0']);
    expect(report.data.dev.slice(0, 3)).toEqual(['1.0.0', '1.0.1', '1.0.0']);
    expect(report.data.dev).toContain('1.0.2');
  });
});

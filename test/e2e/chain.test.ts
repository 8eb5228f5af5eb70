import { integration } from '../support/infra.js';
import { flattenJobs, runChain, type ChainReport } from './chain.js';

integration('the chain end to end, through the workflow files', () => {
  let report: ChainReport;
  beforeAll(async () => {
    report = await runChain();
    process.stdout.write(report.markdown);
  }, 600_000);

  const jobs = (i: number) =>
    Object.fromEntries(flattenJobs(report.runs[i]!.result).map((j) => [j.id, j.result]));

  test('the first push releases v1.0.0 and reaches production through dev and staging', () => {
    expect(report.runs[0]!.result.conclusion).toBe('success');
    expect(jobs(0)).toMatchObject({
      'release/release': 'success',
      'dev/build': 'success',
      'dev/migrate': 'success',
      'dev/deploy': 'success',
      'dev/publish': 'success',
      'staging/promote': 'success',
      'staging/deploy': 'success',
      'production/promote': 'success',
      'production/deploy': 'success'
    });
    for (const env of ['dev', 'staging', 'production'] as const)
      expect(JSON.parse(report.runs[0]!.serving[env])).toEqual({ status: 'ok', version: '1.0.0' });
  });

  test('the broken push fails its gate in dev, rolls back automatically, and is never promoted', () => {
    const run = report.runs[1]!;
    expect(run.result.conclusion).toBe('failure');
    expect(jobs(1)).toMatchObject({
      'release/release': 'success',
      'dev/build': 'success',
      'dev/deploy': 'failure',
      'dev/publish': 'skipped',
      staging: 'skipped',
      production: 'skipped'
    });
    const deploy = flattenJobs(run.result).find((j) => j.id === 'dev/deploy')!;
    const step = deploy.steps.find((s) => s.id === 'deploy')!;
    expect(step.outputs['rolled-back']).toBe('true');
    expect(step.error).toMatch(/status/);
    // Every environment still serves v1.0.0: the failed release never took traffic for good.
    for (const env of ['dev', 'staging', 'production'] as const)
      expect(JSON.parse(run.serving[env])).toEqual({ status: 'ok', version: '1.0.0' });
  });

  test('GitHub saw releases and tags made by tag-release, and only requests its API accepts', () => {
    expect(report.standIn.releases).toEqual(['v1.0.0', 'v1.0.1']);
    expect(report.standIn.violations).toBe(0);
    expect(report.approvals).toEqual(expect.arrayContaining(['production (deploy)']));
  });

  test('deploy-compose records GitHub deployments and their statuses; the broken release gets failure', () => {
    expect(report.standIn.deployments.staging).toEqual(['in_progress>success']);
    expect(report.standIn.deployments.production).toEqual(['in_progress>success']);
    expect(report.standIn.deployments.dev).toEqual(['in_progress>success', 'in_progress>failure']);
  });
});

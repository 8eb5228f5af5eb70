import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorkflow } from '../../packages/workflow-sim/src/index.js';
import { integration } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';
import { createDb, seedShop, sql, SHOP_RULES, type TestDb } from './support.js';

const SALT = 'workflow-salt-0123456789abcdef';

/** refresh-staging.yml through the local runner, with the committed bundles, on the lab's PostgreSQL. */
integration('refresh-staging workflow', () => {
  let prod: TestDb;
  let staging: TestDb;
  let workspace: string;
  beforeAll(async () => {
    prod = await createDb('wf_prod');
    staging = await createDb('wf_staging');
    await seedShop(prod.name, 50);
    workspace = mkdtempSync(join(tmpdir(), 'anon-wf-'));
    writeFileSync(join(workspace, 'anonymize.yml'), SHOP_RULES);
    writeFileSync(
      join(workspace, 'environments.yml'),
      'environments:\n  staging: {}\n  production:\n    production: true\n'
    );
    mkdirSync(join(workspace, 'migrations'));
    writeFileSync(
      join(workspace, 'migrations', 'V1__staging_flag.sql'),
      'ALTER TABLE users ADD COLUMN beta boolean;\n'
    );
  }, 60_000);
  afterAll(async () => {
    await prod?.drop();
    await staging?.drop();
  });

  const run = (environment: string) => {
    const lines: string[] = [];
    const approvals: string[] = [];
    const env = { SOURCE_DATABASE_URL: prod.url, DATABASE_URL: staging.url, ANONYMIZE_SALT: SALT };
    return runWorkflow('.github/workflows/refresh-staging.yml', {
      root: REPO_ROOT,
      // The working tree's unreleased workflows (OWNER/…@main), as a development run.
      refs: 'worktree',
      workspace,
      inputs: { environment },
      environments: { staging: { secrets: env }, production: { secrets: env } },
      approve: (e, job) => (approvals.push(`${e}/${job}`), true),
      log: (l) => lines.push(l)
    }).then((r) => ({ r, lines, approvals }));
  };

  it('anonymizes production into staging, then runs the staging migrations, in one approved job', async () => {
    const { r, lines, approvals } = await run('staging');
    const job = r.jobs[0]!;
    expect([
      r.conclusion,
      job.error ?? '',
      job.steps.map((s) => `${s.id ?? s.uses}:${s.outcome}:${s.error ?? ''}`)
    ]).toEqual(['success', '', expect.arrayContaining(['anonymize:success:', 'migrate:success:'])]);
    expect(approvals).toEqual(['staging/refresh']);
    expect(JSON.parse(job.outputs['rows']!)).toMatchObject({ 'public.users': 50, 'public.orders': 100 });
    expect(
      await sql(staging.name, `SELECT count(*)::int AS n FROM users WHERE email LIKE '%@corp.test'`)
    ).toEqual([{ n: 0 }]);
    expect(
      await sql(
        staging.name,
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'beta'`
      )
    ).toEqual([{ n: 1 }]);
    // secrets never reach the log
    const log = lines.join('\n') + job.steps.map((s) => s.log ?? '').join('\n');
    for (const secret of [SALT, new URL(prod.url).password]) expect(log).not.toContain(secret);
    // the evidence file lives in the step's RUNNER_TEMP (gone with the simulated runner): its path is the output
    expect(job.steps.find((s) => s.id === 'anonymize')!.outputs.evidence).toMatch(
      /anonymize-data-evidence\.json$/
    );
  }, 300_000);

  it('refuses an environment marked production: true before touching anything', async () => {
    const { r } = await run('production');
    const step = r.jobs[0]!.steps.find((s) => s.id === 'anonymize')!;
    expect(step.outcome).toBe('failure');
    expect(step.error).toMatch(/target-environment': production is marked production: true/);
  }, 300_000);
});

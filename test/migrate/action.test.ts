import { statSync } from 'node:fs';
import { join } from 'node:path';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { infra, integration } from '../support/infra.js';
import { sql, withFreshDb, writeFiles, type TestDb } from './support.js';

/** The bundle (node scripts/build.mjs run-migrations) run as the GitHub runner runs it. */
integration('run-migrations action bundle', () => {
  let db: TestDb;
  let dir: string;
  const password = () => infra().postgres.password;
  withFreshDb(
    'action',
    {
      'V1__users.sql':
        "CREATE TABLE users (id int PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a@example.test');\n",
      'V2__name.sql': 'ALTER TABLE users ADD COLUMN name text;\n'
    },
    (f) => ({ db, dir } = f),
    { once: true }
  );

  it('refuses bad input before connecting, naming the input', async () => {
    const run = await runBundle('run-migrations', {
      inputs: { 'database-url': db.url, dir, mode: 'migrate' }
    });
    expect(run.exitCode).toBe(1);
    expect(
      run.annotations.some(
        (a) => a.level === 'error' && a.message.includes(`Input 'mode': "migrate" is not one of`)
      )
    ).toBe(true);
    expect(await sql(db.name, "SELECT to_regclass('deploy_actions_migrations') AS t")).toEqual([{ t: null }]);
    expect(leakedSecrets(run, [password(), db.url])).toEqual([]);
  });

  it('plans, then applies with a backup, setting every output, with the URL and password masked', async () => {
    const plan = await runBundle('run-migrations', { inputs: { 'database-url': db.url, dir, mode: 'plan' } });
    expect(plan.exitCode).toBe(0);
    expect(plan.outputs.pending).toBe('["1","2"]');
    expect(plan.outputs.applied).toBe('[]');
    expect(plan.summary).toContain('Would apply 2');
    expect(plan.summary).toContain('CREATE TABLE users');

    const run = await runBundle('run-migrations', {
      inputs: {
        'database-url': db.url,
        dir,
        backup: join(dir, 'backups', 'before.dump'),
        'pg-dump': infra().postgres.bin,
        environment: 'staging'
      }
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.applied).toBe('["1","2"]');
    expect(run.outputs.pending).toBe('[]');
    expect(run.outputs['current-version']).toBe('2');
    expect(run.outputs['backup-path']).toBe(join(dir, 'backups', 'before.dump'));
    expect(statSync(run.outputs['backup-path']!).mode & 0o777).toBe(0o600);
    const evidence = JSON.parse(run.outputs.evidence!) as {
      outcome: string;
      server: { version: string };
      applied: { file: string; checksum: string }[];
      events: { type: string; app: string; environment: string; runUrl: string }[];
    };
    expect(evidence.outcome).toBe('success');
    expect(evidence.applied.map((a) => a.file)).toEqual(['V1__users.sql', 'V2__name.sql']);
    expect(evidence.events.map((e) => [e.type, e.app, e.environment])).toEqual([
      ['migration.applied', 'shop', 'staging'],
      ['migration.applied', 'shop', 'staging']
    ]);
    expect(evidence.events[0]!.runUrl).toMatch(/^https:\/\/github.com\/acme\/shop\/actions\/runs\//);
    expect(run.summary).toContain('run-migrations apply: success');
    expect(run.summary).toMatch(/\| 1 \| V1__users.sql \| transaction \|/);
    expect(run.masks).toContain(db.url);
    expect(leakedSecrets(run, [password(), db.url])).toEqual([]);
  });

  it('reads the URL from env DATABASE_URL; status reports', async () => {
    const run = await runBundle('run-migrations', {
      inputs: { dir, mode: 'status' },
      env: { DATABASE_URL: db.url }
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['current-version']).toBe('2');
    expect(run.summary).toMatch(/\| 2 \| V2__name.sql \| applied \|/);
    expect(leakedSecrets(run, [password(), db.url])).toEqual([]);
  });

  it('fails the step on a broken file with file and line, outputs still set, nothing leaked', async () => {
    writeFiles(dir, { 'V3__broken.sql': 'CREATE TABLE ok (id int);\nALTER TABLE users ADD COLUMN;\n' });
    const run = await runBundle('run-migrations', { inputs: { 'database-url': db.url, dir } });
    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error')!;
    expect(error.message).toMatch(
      /^Migration failed: V3__broken.sql at line 2, column 29: syntax error at end of input\n {2}2 \| ALTER TABLE users ADD COLUMN;/
    );
    expect(error.message).toContain(
      'Next: fix V3__broken.sql (line 2), then apply again: it was rolled back, so it simply runs again (no repair needed; the failed attempt stays in the history)'
    );
    expect(run.outputs.applied).toBe('[]');
    expect(run.outputs.pending).toBe('["3"]');
    const evidence = JSON.parse(run.outputs.evidence!) as {
      failure: { line: number };
      error: { kind: string };
    };
    expect(evidence.failure.line).toBe(2);
    expect(evidence.error.kind).toBe('migration');
    expect(run.summary).toContain('run-migrations apply: failed');
    expect(leakedSecrets(run, [password(), db.url])).toEqual([]);

    // fixed, the next run applies it with no repair, and says so in its outputs and summary
    writeFiles(dir, {
      'V3__broken.sql': 'CREATE TABLE ok (id int);\nALTER TABLE users ADD COLUMN nick text;\n'
    });
    const retry = await runBundle('run-migrations', { inputs: { 'database-url': db.url, dir } });
    expect(retry.exitCode).toBe(0);
    expect(retry.outputs.applied).toBe('["3"]');
    expect(retry.outputs.retried).toBe('["3"]');
    expect(retry.summary).toContain('**Retried after a failed attempt**');
    expect(retry.summary).toMatch(
      /\| 3 \| V3__broken.sql \| 1 \| .* line 2: V3__broken.sql at line 2, column 29: syntax error/
    );
    const retried = JSON.parse(retry.outputs.evidence!) as {
      retried: { earlierFailures: { by: string }[] }[];
    };
    expect(retried.retried[0]!.earlierFailures).toHaveLength(1);
    expect(leakedSecrets(retry, [password(), db.url])).toEqual([]);
  });

  it('a bad password fails clearly and the wrong password is masked too', async () => {
    const p = infra().postgres;
    const wrong = 'Wr0ng-pass-9f8e';
    const url = `postgres://${p.user}:${wrong}@${p.host}:${p.port}/${db.name}`;
    const run = await runBundle('run-migrations', { inputs: { 'database-url': url, dir } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.some((a) => a.message.includes('refused the password for user "postgres"'))).toBe(
      true
    );
    expect(leakedSecrets(run, [wrong, url, p.password])).toEqual([]);
  });
});

import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { fieldHost, infra, integration } from '../support/infra.js';
import { createDb, historyRows, sql, withFreshDb, type TestDb } from './support.js';

/**
 * Issue 16.3: run-migrations' `command` on a deploy host over SSH, with deploy-compose's connection
 * inputs. The host is a field host: a non-root user, a login shell that pays its rc file on every
 * command, and a latency proxy in between.
 */
integration('run-migrations command on a deploy host', () => {
  const h = () => fieldHost(0);
  const key = () => readFileSync(h().keyPath, 'utf8');
  const connection = () => ({
    host: `${h().host}:${h().port}`,
    user: h().user,
    'ssh-key': key(),
    'known-hosts': readFileSync(h().knownHostsPath, 'utf8')
  });
  let db: TestDb;
  let dir: string;
  let runnerTemp: string;
  const marker = `da-migrate-remote-${process.pid}.txt`;
  withFreshDb('remote', { 'V1__a.sql': 'CREATE TABLE a (id int);' }, (f) => ({ db, dir } = f), {
    once: true
  });
  beforeEach(() => {
    // Readable by everyone, so the host user (on this same machine) could read the key if it were not private.
    runnerTemp = mkdtempSync(join(tmpdir(), 'da-migrate-rt-'));
    chmodSync(runnerTemp, 0o755);
  });
  afterEach(() => {
    rmSync(runnerTemp, { recursive: true, force: true });
  });
  afterAll(() => {
    rmSync(join(h().home, marker), { force: true });
  });

  it('runs the argv as the host user under the migration lock, with the key private, masked and removed after', async () => {
    const script = [
      'id -un',
      'ls "$1"',
      'for f in "$1"/da-ssh-*/id; do if cat "$f" >/dev/null 2>&1; then echo KEY-READABLE; else echo KEY-PRIVATE; fi; done',
      'env | grep -q DATABASE_URL && echo HAS-DATABASE-URL || echo NO-DATABASE-URL',
      'printf "%s\\n" "$2" > "$HOME/$3"',
      'echo "migrated: $2"'
    ].join('\n');
    const run = await runBundle('run-migrations', {
      inputs: {
        'database-url': db.url,
        command: JSON.stringify(['sh', '-c', script, 'sh', runnerTemp, 'one arg; $not code', marker]),
        ...connection()
      },
      runnerTemp
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const evidence = JSON.parse(run.outputs.evidence!) as {
      command: { target: string; exitCode: number; stdoutTail: string };
      lock: { key: string };
      events: { type: string; target: string }[];
    };
    expect(evidence.command.target).toBe(`${h().user}@${h().host}:${h().port}`);
    const lines = evidence.command.stdoutTail.split('\n');
    expect(lines[0]).toBe(h().user);
    expect(lines.some((l) => /^da-ssh-/.test(l))).toBe(true); // the key's private dir is there while it runs…
    expect(lines).toContain('KEY-PRIVATE'); // …and the host user cannot read the key in it
    expect(lines).not.toContain('KEY-READABLE');
    expect(lines).toContain('NO-DATABASE-URL'); // nothing secret reaches the remote environment
    expect(lines).toContain('migrated: one arg; $not code'); // argv, not a shell string
    expect(readFileSync(join(h().home, marker), 'utf8')).toBe('one arg; $not code\n');
    expect(evidence.lock.key).toMatch(/^-?\d+$/);
    expect(evidence.events.map((e) => [e.type, e.target])).toEqual([
      ['migration.applied', `${h().user}@${h().host}:${h().port}`]
    ]);
    expect(run.log).toContain(`Running sh -c`);
    expect((await historyRows(db.name)).map((x) => [x.kind, x.status, x.script])).toEqual([
      ['command', 'applied', 'sh']
    ]);
    // The key's dir is gone after the run.
    expect(readdirSync(runnerTemp).filter((f) => f.startsWith('da-ssh-'))).toEqual([]);
    const keyLine = key().split('\n')[1]!;
    expect(leakedSecrets(run, [infra().postgres.password, db.url, key(), keyLine])).toEqual([]);
  }, 180_000);

  it('a failing command on the host fails the step naming the exit code and the host, recorded failed', async () => {
    const run = await runBundle('run-migrations', {
      inputs: {
        'database-url': db.url,
        command: JSON.stringify(['sh', '-c', 'echo "tool: relation missing" >&2; exit 3']),
        ...connection()
      },
      runnerTemp
    });
    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error')!;
    expect(error.message).toMatch(
      new RegExp(`exited 3 on ${h().user}@${h().host}:${h().port}:\\ntool: relation missing`)
    );
    const rows = await historyRows(db.name);
    expect(rows.map((x) => [x.kind, x.status])).toContainEqual(['command', 'failed']);
    expect(existsSync(runnerTemp) && readdirSync(runnerTemp).some((f) => f.startsWith('da-ssh-'))).toBe(
      false
    );
  }, 180_000);

  it.each([
    [
      'host without command',
      () => ({ 'database-url': db.url, dir, ...connection() }),
      /^Input 'host': says where `command` runs, but command is empty/
    ],
    [
      'two hosts',
      () => ({ 'database-url': db.url, command: 'true', ...connection(), host: 'a.example\nb.example' }),
      /^Input 'host': lists 2 hosts, but a migration runs once/
    ],
    [
      'a host that is not a host name',
      () => ({ 'database-url': db.url, command: 'true', ...connection(), host: 'web1;rm' }),
      /^Input 'host': "web1;rm" is not a host name or address/
    ],
    [
      'no ssh-key',
      () => ({ 'database-url': db.url, command: 'true', ...connection(), 'ssh-key': '' }),
      /^Input 'ssh-key'/
    ],
    [
      'no known-hosts',
      () => ({ 'database-url': db.url, command: 'true', ...connection(), 'known-hosts': '' }),
      /^Input 'known-hosts': neither known-hosts nor host-fingerprint is given/
    ]
  ])('refuses %s before connecting anywhere', async (_name, inputs, message) => {
    const target = await createDb(`remote_refused`);
    try {
      const given = { ...inputs(), 'database-url': target.url };
      const run = await runBundle('run-migrations', { inputs: given, runnerTemp });
      expect(run.exitCode).toBe(1);
      const error = run.annotations.find((a) => a.level === 'error')!;
      expect(error.message).toMatch(message);
      expect(await sql(target.name, "SELECT to_regclass('deploy_actions_migrations') AS t")).toEqual([
        { t: null }
      ]);
      expect(readdirSync(runnerTemp)).toEqual([]);
      expect(leakedSecrets(run, [key(), key().split('\n')[1]!])).toEqual([]);
    } finally {
      await target.drop();
    }
  });
});

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandLine, splitWords as split } from '../../packages/command/src/index.js';
import { InputReader, LocalExecutor } from '../../packages/core/src/index.js';
import { composeRunArgv, type ComposeTool } from '../../packages/compose/src/index.js';
import { runPhase } from '../../packages/ssh/src/index.js';
import {
  MIGRATE_TIMED_OUT,
  maskedCommand,
  migrateBoundArgv,
  migrateBoundMs,
  migrateContainerName,
  migrateProject,
  readDeployInputs
} from '../../packages/deploy/src/index.js';
import { infra, integration } from '../support/infra.js';
import { refusal } from '../support/refusal.js';

// What migrate-command's reader calls (packages/core, shared with run-migrations' `command`).
const parseMigrateCommand = (text: string) => parseCommandLine(text, 'migrate-command');
const splitWords = (text: string) => split(text, 'migrate-command');

/** What a real POSIX shell (dash) makes of the same text: the reference the splitter must match. */
function shellSplit(text: string): string[] {
  const out = execFileSync(
    'sh',
    ['-c', 'eval "set -- $1"; for a in "$@"; do printf "%s\\0" "$a"; done', 'sh', text],
    {
      encoding: 'utf8'
    }
  );
  return out === '' ? [] : out.slice(0, -1).split('\0');
}

describe('migrate-command: words split as a POSIX shell splits them', () => {
  const accepted = [
    'bin/rails db:migrate',
    '  npx   prisma migrate\tdeploy  ',
    `sh -c 'exit 3'`,
    `sh -c 'echo "$GREETING" >> /data/log && date'`,
    'manage.py migrate --database "main db"',
    `echo "a \\"quoted\\" word" 'it'\\''s'`,
    'a\\ b c\\\\d',
    `x'y'"z" '' ""`,
    '"\\$HOME is \\`literal\\`" \'$HOME\'',
    'alembic -x "tenant=acme" upgrade head',
    'migrate --path=/app/db --url=postgres://u@db:5432/app',
    'echo a#b x=1',
    'continued \\\nline'
  ];
  it.each(accepted)('splits %j exactly as sh does', (text) => {
    expect(splitWords(text)).toEqual(shellSplit(text.trim()));
  });

  it('reads lists as argv, each item as it is', () => {
    expect(parseMigrateCommand('["bin/rails", "db:migrate"]')).toEqual(['bin/rails', 'db:migrate']);
    expect(parseMigrateCommand('[sh, -c, "exit 3"]')).toEqual(['sh', '-c', 'exit 3']);
    expect(parseMigrateCommand('- ./migrate\n- up; rm -rf /\n- 1\n- yes')).toEqual([
      './migrate',
      'up; rm -rf /',
      '1',
      'yes'
    ]);
    expect(parseMigrateCommand('   ')).toEqual([]);
    expect(refusal(() => parseMigrateCommand('[]')).message).toContain('empty list');
    expect(refusal(() => parseMigrateCommand('[a, [b]]')).message).toContain('item 2');
    expect(refusal(() => parseMigrateCommand('["a", ')).message).toMatch(/not valid YAML\/JSON/);
  });

  const refused: [string, RegExp][] = [
    ['npm run migrate && echo done', /`&&` outside quotes/],
    ['migrate; rm -rf /', /`;` outside quotes/],
    ['migrate | tee log', /`\|` outside quotes/],
    ['migrate > out', /`>` outside quotes/],
    ['migrate 2>&1', /`>&` outside quotes/],
    ['migrate $(cat url)', /`\$\(` outside quotes: a shell would expand it/],
    ['migrate $DATABASE_URL', /`\$D` outside quotes/],
    ['migrate `id`', /a backquote \(`` ` ``\) outside quotes/],
    ['migrate "$DATABASE_URL"', /`\$` inside "…"/],
    ['rm db/*.sql', /`\*` outside quotes: a shell would expand it as a file name pattern/],
    ['ls ~/db', /`~` at the start of a word/],
    ['migrate # all', /`#` at the start of a word/],
    ["sh -c 'exit 3", /unclosed ' \(at character 7\)/],
    ['say "hi', /unclosed " \(at character 5\)/],
    ['migrate \\', /ends with a backslash/],
    ['migrate\nseed', /a line break outside quotes/],
    ['RAILS_ENV=production bin/rails db:migrate', /starts with the assignment `RAILS_ENV=…`/],
    ['(migrate)', /`\(` outside quotes/]
  ];
  it.each(refused)('refuses %j, naming the input and the fix', (text, why) => {
    const err = refusal(() => parseMigrateCommand(text));
    expect(err.input).toBe('migrate-command');
    expect(err.message).toMatch(/^Input 'migrate-command': /);
    expect(err.message).toMatch(why);
    expect(err.message).toContain('Fix: ');
  });

  it('names the sh -c fix for operators and expansions', () => {
    expect(refusal(() => splitWords('a && b')).message).toContain("wrap it in `sh -c '…'` yourself");
    expect(refusal(() => splitWords('a $X')).message).toContain("wrap it in `sh -c '…'` yourself");
  });

  it('masks the env file values in the command it shows', () => {
    expect(maskedCommand(['migrate', '--token', 'tok-5ecr3t', 'x y'], 'API_TOKEN=tok-5ecr3t\nA=1\n')).toBe(
      "migrate --token *** 'x y'"
    );
  });
});

describe('compose run argv, both generations', () => {
  const v1: ComposeTool = { generation: 'v1', version: '1.29.2' };
  const v2: ComposeTool = { generation: 'v2', version: '2.29.1' };
  const p = {
    project: 'shop-prod-green',
    files: ['/r/compose.yml', '/r/compose.images.yml', '/r/compose.volumes.yml'],
    vars: { PORT: '8082' }
  };
  it('runs a one-off container of the service: --rm --no-deps -T, a known name, the command as argv', () => {
    const tail = ['run', '--rm', '--no-deps', '-T', '--name', 'n1', 'web', 'sh', '-c', 'exit 3'];
    const files = ['-f', '/r/compose.yml', '-f', '/r/compose.images.yml', '-f', '/r/compose.volumes.yml'];
    expect(composeRunArgv(v1, p, 'web', ['sh', '-c', 'exit 3'], { name: 'n1' })).toEqual([
      'env',
      'PORT=8082',
      'docker-compose',
      '-p',
      'shop-prod-green',
      ...files,
      ...tail
    ]);
    expect(composeRunArgv(v2, p, 'web', ['sh', '-c', 'exit 3'], { name: 'n1' })).toEqual([
      'env',
      'PORT=8082',
      'docker',
      'compose',
      '-p',
      'shop-prod-green',
      ...files,
      ...tail
    ]);
    expect(composeRunArgv(v2, { project: 'p', files: ['c.yml'] }, 'db', ['--help'])).toEqual([
      'docker',
      'compose',
      '-p',
      'p',
      '-f',
      'c.yml',
      'run',
      '--rm',
      '--no-deps',
      '-T',
      'db',
      '--help'
    ]);
  });

  it('runs on the host network in a project of its own, else in the release project', () => {
    const compose = 'services:\n  web:\n    image: a\n    network_mode: host\n  job:\n    image: a\n';
    expect(migrateProject(compose, 'web', 'shop-prod')).toBe('shop-prod-migrate');
    expect(migrateProject(compose, 'job', 'shop-prod')).toBe('shop-prod');
  });

  it('bounds it by migrate-timeout, or by what the deploy has left less the login and the cleanup', () => {
    // A slow login shell (6 s a no-op) with 90 s left: the 60 s bound stands.
    expect(migrateBoundMs(60_000, 90_000, 6000)).toBe(60_000);
    // 40 s left: 40 - 15 - 2×6 = 13 s, so the host stops it before the runner gives up on the session.
    expect(migrateBoundMs(60_000, 40_000, 6000)).toBe(13_000);
    expect(migrateBoundMs(60_000, 5000, 6000)).toBe(1000);
  });

  it('names the one-off container after the project and the release', () => {
    expect(migrateContainerName('shop-prod-green', '20261123T091502Z-3fa9')).toBe(
      'shop-prod-green-migrate-20261123t091502z-3fa9'
    );
  });
});

describe('migrate-command, migrate-service, migrate-timeout as inputs', () => {
  let ws: string;
  beforeAll(() => {
    ws = mkdtempSync('/tmp/deploy-actions-test-mc-in-');
    writeFileSync(
      join(ws, 'compose.yml'),
      'services:\n  web:\n    image: r.example/app:1\n    network_mode: host\n  worker:\n    image: r.example/app:1\n'
    );
    writeFileSync(join(ws, 'stack.yml'), 'services:\n  web:\n    image: r.example/app:1\n');
  });
  afterAll(() => rmSync(ws, { recursive: true, force: true }));
  const base: Record<string, string> = {
    host: 'web1.example.com',
    'ssh-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----',
    'known-hosts': 'web1.example.com ssh-ed25519 AAAA',
    app: 'shop',
    strategy: 'recreate'
  };
  const read = (over: Record<string, string>) => {
    const all = { ...base, ...over };
    return readDeployInputs(new InputReader((n) => all[n] ?? ''), { workspace: ws }, { sha: 'abc1234' }).spec;
  };

  it('reads the command, the first service by default, and the bound (10m by default)', () => {
    expect(read({}).migrate).toBeUndefined();
    expect(read({ 'migrate-command': 'bin/rails db:migrate' }).migrate).toEqual({
      command: ['bin/rails', 'db:migrate'],
      service: 'web',
      timeoutMs: 600_000
    });
    expect(
      read({ 'migrate-command': '["./migrate"]', 'migrate-service': 'worker', 'migrate-timeout': '90s' })
        .migrate
    ).toEqual({ command: ['./migrate'], service: 'worker', timeoutMs: 90_000 });
  });

  it('refuses what cannot run, before any host is touched', () => {
    const unknown = refusal(() => read({ 'migrate-command': 'x', 'migrate-service': 'db' }));
    expect(unknown.message).toContain(`Input 'migrate-service': "db" is not a service of compose-file`);
    expect(unknown.message).toContain('web, worker');
    expect(refusal(() => read({ 'migrate-service': 'web' })).message).toContain(
      'Input \'migrate-service\': is "web" but migrate-command is empty'
    );
    expect(refusal(() => read({ 'migrate-command': 'x', 'migrate-timeout': '25h' })).message).toContain(
      "Input 'migrate-timeout'"
    );
    expect(refusal(() => read({ 'migrate-command': 'x', 'migrate-timeout': '0s' })).message).toContain(
      "Input 'migrate-timeout'"
    );
    const swarm = refusal(() =>
      read({ 'migrate-command': 'x', strategy: 'swarm', 'compose-file': 'stack.yml' })
    );
    expect(swarm.message).toContain("Input 'migrate-command': is not supported with strategy swarm");
    expect(swarm.message).toContain('run-migrations with `command` and `host`');
  });
});

describe('a stream step: its output as it comes, and in its result', () => {
  it('sends the merged output to onStream and keeps the exit code', async () => {
    const chunks: string[] = [];
    const run = await runPhase(
      new LocalExecutor(),
      'migrate',
      [
        { name: 'first', argv: ['sh', '-c', 'echo before'] },
        { name: 'stream', argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'], stream: true },
        { name: 'after', argv: ['true'], always: true }
      ],
      10_000,
      { onStream: (c) => chunks.push(c) }
    );
    const streamed = run.results.find((r) => r.name === 'stream')!;
    expect(streamed.exitCode).toBe(3);
    expect(streamed.stdout).toBe('out\nerr\n');
    expect(streamed.stderr).toBe('');
    expect(chunks.join('')).toBe('out\nerr\n');
    expect(run.results.find((r) => r.name === 'first')!.stdout).toBe('before\n');
    expect(run.results.map((r) => r.exitCode)).toEqual([0, 3, 0]);
  });
});

integration('the host-side bound of migrate-command (local dockerd)', () => {
  const name = `mc-bound-${process.pid}`;
  afterAll(() => {
    try {
      execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
  });
  const image = () => infra().docker.baseImage;

  it('passes the command exit code through', () => {
    const argv = migrateBoundArgv(20, name, [
      'docker',
      'run',
      '--rm',
      '--name',
      name,
      image(),
      'sh',
      '-c',
      'exit 3'
    ]);
    let code = 0;
    try {
      execFileSync(argv[0]!, argv.slice(1), { stdio: 'pipe' });
    } catch (err) {
      code = (err as { status: number }).status;
    }
    expect(code).toBe(3);
  }, 30_000);

  it('kills and removes the container at the bound and exits 124 saying so', () => {
    const argv = migrateBoundArgv(2, name, [
      'docker',
      'run',
      '--rm',
      '--name',
      name,
      image(),
      'sleep',
      '600'
    ]);
    let code = 0;
    let out = '';
    try {
      execFileSync(argv[0]!, argv.slice(1), { stdio: 'pipe', encoding: 'utf8' });
    } catch (err) {
      code = (err as { status: number }).status;
      out = String((err as { stdout: string }).stdout);
    }
    expect(code).toBe(MIGRATE_TIMED_OUT);
    expect(out).toContain(`migrate-timeout reached after 2s: container ${name} killed and removed`);
    const left = execFileSync('docker', ['ps', '-aq', '--filter', `name=^${name}$`], { encoding: 'utf8' });
    expect(left.trim()).toBe('');
  }, 60_000);

  it('still kills and removes the container at the bound when the session dies under it', async () => {
    const argv = migrateBoundArgv(3, name, [
      'docker',
      'run',
      '--rm',
      '--name',
      name,
      image(),
      'sleep',
      '600'
    ]);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    const running = () =>
      execFileSync('docker', ['ps', '-q', '--filter', `name=^${name}$`], { encoding: 'utf8' }).trim() !== '';
    const until = async (ok: () => boolean, what: string) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
      if (!ok()) throw new Error(`never: ${what}`);
    };
    await until(running, 'the container runs');
    // The step's shell dies (a dropped session), leaving the compose client and the watchdog behind.
    child.kill('SIGKILL');
    await until(
      () =>
        execFileSync('docker', ['ps', '-aq', '--filter', `name=^${name}$`], { encoding: 'utf8' }).trim() ===
        '',
      'the container is gone'
    );
    // And the watchdog stopped too: nothing of the step is left on the host (the name is in its argv).
    const left = () => {
      try {
        return execFileSync('pgrep', ['-f', '--', `${name} docker run`], { encoding: 'utf8' })
          .trim()
          .split('\n');
      } catch {
        return [];
      }
    };
    try {
      await until(() => left().length === 0, 'the watchdog has stopped');
    } finally {
      for (const pid of left()) process.kill(Number(pid), 'SIGKILL');
    }
  }, 60_000);
});

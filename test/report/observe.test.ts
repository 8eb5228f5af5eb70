import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  observeKeyLine,
  observeMark,
  parsePublicKey,
  withObserveKey,
  withoutObserveKey
} from '../../packages/report/src/index.js';
import { infra, integration } from '../support/infra.js';
import { hostCli } from '../support/host-cli.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxC1qQhVnq0cQp3S1Xh0m9oU5Zrj8cK1J0u7m0b3Y5E';

describe('observe key lines (pure)', () => {
  it('forces the read-only script with restrict, and drops the comment the user gave', () => {
    expect(observeKeyLine('/srv/deploy', 'shop', `${KEY} me@laptop`)).toBe(
      `restrict,command="sh /srv/deploy/shop/observe.sh /srv/deploy shop" ${KEY} deploy-actions-observe:shop`
    );
  });

  it('replaces an earlier observe key of the same app and keeps every other line as it was', () => {
    const before = `ssh-ed25519 AAAA deploy\n# a comment\nrestrict,command="x" ${KEY} ${observeMark('shop')}\nssh-rsa BBBB other ${observeMark('shop2')}\n`;
    const line = observeKeyLine('/s', 'shop', KEY);
    const after = withObserveKey(before, 'shop', line);
    expect(after.split('\n')).toEqual([
      'ssh-ed25519 AAAA deploy',
      '# a comment',
      `ssh-rsa BBBB other ${observeMark('shop2')}`,
      line,
      ''
    ]);
    expect(withoutObserveKey(after, 'shop')).toBe(
      `ssh-ed25519 AAAA deploy\n# a comment\nssh-rsa BBBB other ${observeMark('shop2')}\n`
    );
    expect(withoutObserveKey('ssh-ed25519 AAAA deploy', 'shop')).toBe('ssh-ed25519 AAAA deploy\n');
  });

  it('refuses a private key, a line that is no public key, and a state dir that would need quoting', () => {
    expect(() => parsePublicKey('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n')).toThrow(/PUBLIC half/);
    expect(() => parsePublicKey('hello world')).toThrow(/ssh-keygen -t ed25519/);
    expect(() => parsePublicKey(`${KEY}\n${KEY}`)).toThrow(/one OpenSSH public key line/);
    expect(() => observeKeyLine('/srv/my deploy', 'shop', KEY)).toThrow(/state-dir.*quoted/);
    expect(() => observeKeyLine('/srv', 'sh"op', KEY)).toThrow(/app/);
  });
});

/**
 * On field host 3 (non-root, slow login shell, far link): the deploy key installs a read-only observe key; that
 * key then reads the app's history (as `deploy-actions report` asks) and nothing else; --remove takes it out.
 * The files are checked as root on the host side, not through our code.
 */
integration('a read-only observe key on a field host', () => {
  const h = infra().hosts[2]!;
  const app = 'lead-observe';
  const authorizedKeys = join(h.home, '.ssh', 'authorized_keys');
  let keys: string;
  let observeKey: string;

  /** The CLI against host 3 for this app, with the deploy key unless another is given. */
  const cli = (args: string[], key?: string) =>
    hostCli(h, [...args, '--app', app, '--state-dir', h.stateDir], key);
  /** Plain OpenSSH with the observe key: what any client could ask. */
  const asObserver = (command: string) =>
    spawnSync(
      'ssh',
      [
        '-i',
        observeKey,
        '-p',
        String(h.port),
        '-o',
        `UserKnownHostsFile=${h.knownHostsPath}`,
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'BatchMode=yes',
        `${h.user}@${h.host}`,
        command
      ],
      { encoding: 'utf8', timeout: 60_000 }
    );
  const history = (env: string) => join(h.stateDir, app, env, 'history.jsonl');

  beforeAll(() => {
    keys = mkdtempSync(join(tmpdir(), 'da-observe-'));
    observeKey = join(keys, 'observe');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'nightly-report', '-f', observeKey]);
    rmSync(join(h.stateDir, app), { recursive: true, force: true });
  });
  afterAll(() => {
    // Leave the host's authorized_keys as it was, whatever the test reached.
    const text = readFileSync(authorizedKeys, 'utf8');
    const kept = text.split('\n').filter((l) => !l.endsWith(observeMark(app)));
    if (kept.join('\n') !== text)
      execFileSync('runuser', ['-u', h.user, '--', 'tee', authorizedKeys], {
        input: kept.join('\n'),
        stdio: ['pipe', 'ignore', 'inherit']
      });
    rmSync(join(h.stateDir, app), { recursive: true, force: true });
    rmSync(keys, { recursive: true, force: true });
  });

  it('installs, serves the history and the clock, refuses everything else, and is removed', () => {
    const deployKeyLine = readFileSync(`${h.keyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const installed = cli(['observe-key', '--public-key-file', `${observeKey}.pub`]);
    expect(installed.stderr).toBe('');
    expect(installed.stdout).toMatch(/observe key installed/);
    expect(installed.status).toBe(0);
    const text = readFileSync(authorizedKeys, 'utf8');
    const marked = text.split('\n').filter((l) => l.endsWith(observeMark(app)));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatch(/^restrict,command="sh \S+\/lead-observe\/observe\.sh /);
    expect(text).toContain(deployKeyLine);
    expect(statSync(authorizedKeys).mode & 0o777).toBe(0o600);
    // Installing again replaces the line instead of adding one.
    expect(cli(['observe-key', '--public-key-file', `${observeKey}.pub`]).status).toBe(0);
    expect(readFileSync(authorizedKeys, 'utf8').split(observeMark(app)).length).toBe(2);

    // Records to read: the deploy key writes an incident into two environments (deployed there before).
    const unknown = cli(['incident', '--environment', 'test', '--reason', 'early']);
    expect(unknown.stdout).toMatch(/not recorded \(lead-observe was never deployed to test here/);
    expect(unknown.status).toBe(1);
    for (const env of ['test', 'staging'])
      execFileSync('runuser', ['-u', h.user, '--', 'mkdir', '-p', join(h.stateDir, app, env)]);
    for (const env of ['test', 'staging'])
      expect(cli(['incident', '--environment', env, '--reason', `drill ${env}`]).stdout).toMatch(
        /incident.opened recorded/
      );

    for (const env of ['test', 'staging']) {
      const read = asObserver(`cat -- ${history(env)}`);
      expect(read.stderr).toBe('');
      expect(read.status).toBe(0);
      expect(read.stdout).toBe(readFileSync(history(env), 'utf8'));
      expect(read.stdout).toContain(`drill ${env}`);
    }
    const clock = asObserver('date -u +%s.%N');
    expect(clock.status).toBe(0);
    expect(Math.abs(Number(clock.stdout) * 1000 - Date.now())).toBeLessThan(600_000);

    // The report itself runs on the observe key.
    const report = cli(
      ['report', '--environment', 'test,staging', '--format', 'json'],
      readFileSync(observeKey, 'utf8')
    );
    expect(report.stderr).toBe('');
    expect(report.status).toBe(0);
    const parsed = JSON.parse(report.stdout) as {
      environment: string;
      hosts: { error: string | null; lines: number }[];
    }[];
    expect(parsed.map((e) => e.environment).sort()).toEqual(['staging', 'test']);
    for (const e of parsed) expect(e.hosts.map((x) => [x.error, x.lines])).toEqual([[null, 1]]);

    // Everything else is refused: other files, other apps, a path that climbs, a shell, a write.
    const before = readFileSync(history('test'), 'utf8');
    for (const command of [
      'cat -- /etc/passwd',
      `cat -- ${h.stateDir}/other-app/test/history.jsonl`,
      `cat -- ${h.stateDir}/${app}/../other-app/test/history.jsonl`,
      `cat -- ${h.stateDir}/${app}/test/../../other-app/test/history.jsonl`,
      `cat -- ${h.stateDir}/${app}/test/.env`,
      'sh -c id',
      `cat -- ${history('test')}; id`,
      ''
    ]) {
      const r = asObserver(command);
      expect({ command, status: r.status, out: r.stdout }).toEqual({ command, status: 1, out: '' });
      expect(r.stderr).toMatch(/only reads the release history of lead-observe; refused/);
    }
    const write = cli(
      ['incident', '--environment', 'test', '--reason', 'forged'],
      readFileSync(observeKey, 'utf8')
    );
    expect(write.status).not.toBe(0);
    expect(readFileSync(history('test'), 'utf8')).toBe(before);

    const removed = cli(['observe-key', '--remove']);
    expect(removed.status).toBe(0);
    const after = readFileSync(authorizedKeys, 'utf8');
    expect(after).not.toContain(observeMark(app));
    expect(after).toContain(deployKeyLine);
    const denied = asObserver(`cat -- ${history('test')}`);
    expect(denied.status).toBe(255);
    expect(denied.stderr).toMatch(/Permission denied/);
  });
});

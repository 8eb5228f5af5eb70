import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fieldHost, infra, integration, privateLink, type FieldHost } from '../support/infra.js';

const run = promisify(execFile);

/** Plain OpenSSH to a field host, as a user would type it. */
function sshArgv(
  h: FieldHost,
  command: string[],
  opts: { direct?: boolean; knownHosts?: string } = {}
): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    h.keyPath,
    '-p',
    String(opts.direct ? h.directPort : h.port),
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${opts.knownHosts ?? h.knownHostsPath}`,
    '--',
    `${h.user}@${h.host}`,
    ...command
  ];
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

integration('field hosts: the lab is as hard as the field', () => {
  it('there are several hosts, each with its own port, user, key and pinned host keys', () => {
    const hosts = infra().hosts;
    expect(hosts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(hosts.map((h) => h.port)).size).toBe(hosts.length);
    expect(new Set(hosts.map((h) => h.user)).size).toBe(hosts.length);
    expect(new Set(hosts.map((h) => readFileSync(h.keyPath, 'utf8'))).size).toBe(hosts.length);
    expect(new Set(hosts.map((h) => readFileSync(h.hostKeys.ed25519, 'utf8'))).size).toBe(hosts.length);
  });

  it('the deploy user is not root, may use docker through its group, and has no /usr/sbin on PATH', async () => {
    const h = fieldHost(0);
    const { stdout } = await run(
      'ssh',
      sshArgv(h, [
        'id -u; id -Gn; echo "$PATH"; docker version --format "{{.Server.APIVersion}}"; echo "$HOME"'
      ])
    );
    const [uid, groups, path, api, home] = stdout.trim().split('\n');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(groups!.split(' ')).toContain('docker');
    expect(path!.split(':')).not.toContain('/usr/sbin');
    expect(api).toMatch(/^1\.\d+$/);
    expect(home).toBe(h.home);
  });

  it('the login shell pays its rc file on every non-interactive command', async () => {
    const h = fieldHost(1);
    const rc = readFileSync(join(h.home, '.bashrc'), 'utf8');
    // The cost sits before the interactive guard, as version-manager lines do.
    expect(rc.indexOf('sleep')).toBeLessThan(rc.indexOf('return'));
    const ms = await timed(() => run('ssh', sshArgv(h, ['true'], { direct: true })));
    expect(ms).toBeGreaterThanOrEqual(h.shellDelaySeconds * 1000);
  });

  it('the far link delays each direction, and a cut drops open connections', async () => {
    const h = fieldHost(3);
    // Through the proxy, the same command costs at least one more round trip of the link per exchange.
    const direct = await timed(() => run('ssh', sshArgv(h, ['true'], { direct: true })));
    const far = await timed(() => run('ssh', sshArgv(h, ['true'])));
    expect(far - direct).toBeGreaterThanOrEqual(2 * h.proxy.delayMs);

    // A long command through a far link of this test's own (cutting the shared one would drop other suites'
    // sessions): once it runs on the host, cut the link; ssh ends with 255.
    const link = await privateLink(h);
    try {
      const known = readFileSync(h.knownHostsPath, 'utf8').replaceAll(
        `[${h.host}]:${h.directPort} `,
        `[${h.host}]:${link.port} `
      );
      const dir = mkdtempSync('/tmp/deploy-actions-test-field-');
      writeFileSync(join(dir, 'known_hosts'), known);
      const marker = `field-cut-${process.pid}-${Date.now()}`;
      const argv = sshArgv({ ...h, port: link.port }, [`echo ${marker}; exec sleep 60`], {
        knownHosts: join(dir, 'known_hosts')
      });
      const child = spawn('ssh', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes(marker)) resolve();
        })
      );
      link.cut();
      expect(await exited).toBe(255);
      rmSync(dir, { recursive: true, force: true });
    } finally {
      link.stop();
    }
  });

  it('host keys are pinned: a known_hosts without this host refuses the connection', async () => {
    const h = fieldHost(0);
    const other = fieldHost(1);
    const dir = mkdtempSync('/tmp/deploy-actions-test-field-');
    try {
      // Host 1's port with host 2's keys: the key the server offers is not the pinned one.
      const lines = readFileSync(other.knownHostsPath, 'utf8').replaceAll(`:${other.port}]`, `:${h.port}]`);
      writeFileSync(join(dir, 'known_hosts'), lines);
      await expect(
        run('ssh', sshArgv(h, ['true'], { knownHosts: join(dir, 'known_hosts') }))
      ).rejects.toMatchObject({
        code: 255,
        stderr: expect.stringMatching(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/)
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError, ConnectionError, InputError } from '../../packages/core/src/index.js';
import { fingerprintOf, parseHostKeys, SshExecutor } from '../../packages/ssh/src/index.js';
import { infra, integration } from '../support/infra.js';

integration('SshExecutor against the real sshd', () => {
  const base = () => {
    const { ssh } = infra();
    return {
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      privateKey: readFileSync(ssh.keyPath, 'utf8'),
      connectTimeoutMs: 5000
    };
  };
  const knownHosts = () => readFileSync(infra().ssh.knownHostsPath, 'utf8');
  const fingerprint = (type: 'ed25519' | 'ecdsa' | 'rsa') =>
    fingerprintOf(
      parseHostKeys(readFileSync(infra().ssh.hostKeys[type], 'utf8').replace(/^/, 'x '))[0]!.blob
    );

  it('runs argv remotely with stdin, exit status and quoting intact, over one reused master', async () => {
    const ssh = await SshExecutor.connect({ ...base(), knownHosts: knownHosts() });
    try {
      const pid = await ssh.masterPid();
      expect(pid).toBeGreaterThan(0);
      const r = await ssh.run({
        argv: ['sh', '-c', 'cat; echo "[$1]"', 'sh', "a b'; echo pwned"],
        stdin: 'in\n'
      });
      expect(r.stdout).toBe("in\n[a b'; echo pwned]\n");
      const bad = await ssh.run({ argv: ['sh', '-c', 'echo oops >&2; exit 3'], check: false });
      expect(bad.exitCode).toBe(3);
      await expect(ssh.run({ argv: ['false'] })).rejects.toBeInstanceOf(CommandError);
      const cwd = await ssh.run({ argv: ['pwd'], cwd: '/tmp' });
      expect(cwd.stdout.trim()).toBe('/tmp');
      // Still the same master: commands went over the shared connection.
      expect(await ssh.masterPid()).toBe(pid);
      // The key lives only in a private 0700 dir as a 0600 file, never in argv.
      expect(statSync(ssh.privateDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(ssh.privateDir, 'id')).mode & 0o777).toBe(0o600);
    } finally {
      await ssh.close();
    }
    expect(existsSync(ssh.privateDir)).toBe(false);
    expect(await ssh.masterPid().catch(() => undefined)).toBeUndefined();
  });

  it('pins by fingerprint of any key type the server offers', async () => {
    const ssh = await SshExecutor.connect({ ...base(), hostFingerprints: [fingerprint('ecdsa')] });
    try {
      expect((await ssh.run({ argv: ['echo', 'ok'] })).stdout).toBe('ok\n');
    } finally {
      await ssh.close();
    }
  });

  it('refuses a fingerprint mismatch, listing what the server offered', async () => {
    const err = await SshExecutor.connect({
      ...base(),
      hostFingerprints: ['SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain('does not match host-fingerprint');
    expect((err as Error).message).toContain(fingerprint('ed25519'));
  });

  it('refuses a changed host key and says it changed', async () => {
    const forged = `[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`;
    const err = await SshExecutor.connect({ ...base(), knownHosts: forged }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/host key of \[127\.0\.0\.1\]:2222 CHANGED/);
  });

  it('refuses a host whose offered key type is not pinned and says the key is unknown', async () => {
    const onlyRsa = knownHosts()
      .split('\n')
      .filter((l) => l.includes('ssh-rsa'))
      .join('\n')
      .replace('ssh-rsa', 'ecdsa-sha2-nistp256');
    const err = await SshExecutor.connect({ ...base(), knownHosts: onlyRsa }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/CHANGED|UNKNOWN/);
  });

  it('refuses to connect without any pinned key, before connecting', async () => {
    await expect(SshExecutor.connect(base())).rejects.toBeInstanceOf(InputError);
    await expect(
      SshExecutor.connect({ ...base(), knownHosts: '[other]:22 ssh-ed25519 AAAA\n' })
    ).rejects.toThrow(/has no key for \[127\.0\.0\.1\]:2222/);
  });

  it('goes through a jump host', async () => {
    const { ssh: s } = infra();
    // The same sshd under another name: ssh refuses a jump to the very same host:port as a loop.
    const ssh = await SshExecutor.connect({
      ...base(),
      host: 'localhost',
      knownHosts: knownHosts() + knownHosts().replace(/\[127\.0\.0\.1\]/g, '[localhost]'),
      jumpHost: `${s.user}@${s.host}:${s.port}`
    });
    try {
      expect(ssh.target).toContain('via');
      expect((await ssh.run({ argv: ['echo', 'hop'] })).stdout).toBe('hop\n');
    } finally {
      await ssh.close();
    }
  });

  it('reports an unreachable host as a connection error', async () => {
    const err = await SshExecutor.connect({
      ...base(),
      port: 18399,
      knownHosts: knownHosts().replace(/:2222/g, ':18399'),
      connectAttempts: 1
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/Connection refused/);
  });
});

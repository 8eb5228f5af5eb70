import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  START_SCRIPT,
  bootHookRemoveArgv,
  bootLine,
  deploy,
  doctor
} from '../../packages/deploy/src/index.js';
import { integration } from '../support/infra.js';
import {
  buildImages,
  cleanup,
  deploySpec,
  deps,
  sshConnector,
  stateDir,
  target,
  version
} from './support.js';

describe('proxy start script (pure)', () => {
  it('passes shellcheck', () => {
    const dir = mkdtempSync('/tmp/deploy-actions-test-boot-');
    try {
      writeFileSync(join(dir, 'start.sh'), START_SCRIPT);
      execFileSync('shellcheck', ['-s', 'sh', join(dir, 'start.sh')], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A reboot kills the proxy (a process of the deploy user) and leaves its pid file behind, naming a pid that
 * may belong to another process by then. The host's boot runs the user's crontab `@reboot` lines (cron, as the
 * user, with cron's PATH): this test does exactly that, and the public port answers again with no deploy.
 */
integration('the proxy survives a reboot', () => {
  const app = 'adopt-boot';
  const port = 18660;
  const h = target();
  let dir = '';
  const asUser = (argv: string[]) =>
    execFileSync(
      'runuser',
      ['-u', h.user, '--', 'env', '-i', `HOME=${h.home}`, 'PATH=/usr/bin:/bin', ...argv],
      {
        encoding: 'utf8'
      }
    );
  beforeAll(() => {
    buildImages();
    dir = stateDir('boot');
    cleanup(dir, app);
  });
  afterAll(() => {
    cleanup(dir, app);
    asUser(bootHookRemoveArgv(join(dir, app, 'test', 'proxy')));
  });

  it('kill the proxy as a reboot would, run the boot hook: the port answers with no deploy', async () => {
    const spec = deploySpec(app, dir, port);
    const d = await deploy(spec, deps());
    expect(d.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');

    const proxyDir = join(dir, app, 'test', 'proxy');
    const line = bootLine(proxyDir);
    const crontab = asUser(['crontab', '-l']).split('\n');
    expect(crontab).toContain(line);

    const report = await doctor(spec, 'blue-green', { ...deps(), connect: sshConnector() });
    const row = report.hosts[0]!.rows.find((r) => r.check === 'proxy starts at boot');
    expect(row?.detail).toContain(line);

    // The reboot: every nginx process of this proxy dies at once; the pid file stays, and names a live
    // process that is not nginx (pids are reused after a boot).
    const master = Number(readFileSync(join(proxyDir, 'nginx.pid'), 'utf8').trim());
    const workers = execFileSync('ps', ['-o', 'pid=', '--ppid', String(master)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    expect(workers.length).toBeGreaterThan(0);
    for (const pid of [master, ...workers]) process.kill(pid, 'SIGKILL');
    const stranger = execFileSync(
      'runuser',
      ['-u', h.user, '--', 'sh', '-c', 'sleep 600 >/dev/null 2>&1 & echo $!'],
      {
        encoding: 'utf8'
      }
    ).trim();
    writeFileSync(join(proxyDir, 'nginx.pid'), `${stranger}\n`);
    try {
      expect(await version(port)).toMatch(/^error .*ECONNREFUSED/);

      // The boot: cron runs each @reboot line of the user's crontab as the user.
      const boot = asUser(['crontab', '-l'])
        .split('\n')
        .filter((l) => l === line)
        .map((l) => l.replace(/^@reboot\s+/, ''));
      expect(boot).toHaveLength(1);
      for (const cmd of boot) asUser(['sh', '-c', cmd]);
      expect(await version(port)).toBe('v1');

      // Run again (a second boot line, a cron restart): it sees its proxy running and starts nothing.
      const pid = readFileSync(join(proxyDir, 'nginx.pid'), 'utf8').trim();
      asUser(['sh', '-c', boot[0]!]);
      expect(readFileSync(join(proxyDir, 'nginx.pid'), 'utf8').trim()).toBe(pid);
      expect(await version(port)).toBe('v1');
    } finally {
      process.kill(Number(stranger), 'SIGTERM');
    }
  }, 300_000);
});

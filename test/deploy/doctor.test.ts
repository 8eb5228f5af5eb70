import { dockerRootRow, doctor, doctorTable, type TargetSpec } from '../../packages/deploy/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import { COMPOSE, deploySpec, deps, squatAs, sshConnector, target } from './support.js';

describe('doctor: the docker root row (issue 28 item 10)', () => {
  it('reports the free space and what this app holds, and below the threshold names the fix', () => {
    const df = (kb: number) =>
      `/var/lib/docker\n/dev/vda 264212084 31201876 ${kb} 30% /var/lib/docker\napp-images 3 31457280\n`;
    const ok = dockerRootRow(df(5 * 1024 * 1024));
    expect(ok).toMatchObject({ check: 'free disk in docker root', ok: true, blocking: false });
    expect(ok.detail).toBe("5120 MiB free in /var/lib/docker; this app's releases name 3 image(s), 30 MiB");
    const low = dockerRootRow(df(512 * 1024));
    expect(low).toMatchObject({ ok: false, blocking: false });
    expect(low.fix).toContain('keep-releases');
    expect(low.fix).toContain('/var/lib/docker');
    expect(dockerRootRow(df(100 * 1024)).blocking).toBe(true);
    // No answer from docker info: unknown, not a failure (the docker row says why).
    expect(dockerRootRow('app-images 0 0\n')).toMatchObject({ ok: true });
  });
});

integrationOn('doctor: each host as the deploy will use it', [0, 1, 3], () => {
  it('passes a healthy host, and fails one whose slot port is held, naming the fix', async () => {
    const hosts = [0, 1].map((i) => `127.0.0.1:${target(i).port}`);
    const ports = [18500, 18510];
    const forHost = <S extends TargetSpec>(host: string, s: S): S => {
      const i = hosts.indexOf(host);
      return {
        ...s,
        stateDir: target(i).stateDir,
        publicPort: ports[i]!,
        slotPorts: [ports[i]! + 1, ports[i]! + 2]
      };
    };
    const spec = deploySpec('deploy-doc', target(0).stateDir, ports[0]!, { hosts });
    const squatter = squatAs(target(1), ports[1]! + 2);
    await squatter.ready;
    try {
      const report = await doctor(spec, 'blue-green', { ...deps(), connect: sshConnector(), forHost });
      const [healthy, busy] = report.hosts;
      expect(report.ok).toBe(false);
      expect(healthy!.rows.filter((r) => !r.ok && r.blocking)).toEqual([]);
      const checks = Object.fromEntries(healthy!.rows.map((r) => [r.check, r]));
      expect(checks['ssh and the pinned key']!.detail).toContain(
        `${target(0).user}@127.0.0.1:${target(0).port}`
      );
      expect(checks['docker (permission for the user)']!.ok).toBe(true);
      expect(checks['compose']!.detail).toMatch(/^v[12] \d+\.\d+/);
      expect(checks['nginx']!.detail).toBe('/usr/sbin/nginx');
      expect(checks['state-dir writable']!.ok).toBe(true);
      // issue 28 items 9 and 10: Docker's data root and its free space; flock, which serializes phases.
      expect(checks['free disk in docker root']!.detail).toMatch(
        /^\d+ MiB free in \/\S+; this app's releases name \d+ image/
      );
      expect(checks['flock (one phase at a time)']).toMatchObject({ ok: true, blocking: false });
      expect(checks['flock (one phase at a time)']!.detail).toContain('flock');
      // The field hosts' rc file costs ~0.4 s: the shell row says so, and what to do.
      expect(checks['login shell cost']!.ok).toBe(false);
      expect(checks['login shell cost']!.fix).toContain('~/.bashrc');
      const slot = busy!.rows.find((r) => r.check === `slot port ${ports[1]! + 2}`)!;
      expect(slot).toMatchObject({ ok: false, blocking: true });
      expect(slot.detail).toContain('node');
      expect(slot.fix).toContain('slot-ports');
      expect(doctorTable(report)).toContain('❌');
    } finally {
      squatter.stop();
    }
  }, 120_000);

  it('fails a host whose compose is too old for a feature the files use, naming both versions', async () => {
    const hosts = [0, 3].map((i) => `127.0.0.1:${target(i).port}`);
    const ports = [18520, 18530];
    const forHost = <S extends TargetSpec>(host: string, s: S): S => {
      const i = hosts.indexOf(host);
      return {
        ...s,
        stateDir: target(i === 0 ? 0 : 3).stateDir,
        publicPort: ports[i]!,
        slotPorts: [ports[i]! + 1, ports[i]! + 2]
      };
    };
    const spec = deploySpec('deploy-doc-inc', target(0).stateDir, ports[0]!, {
      hosts,
      composeText: `include:\n  - db.yml\n${COMPOSE}`
    });
    const report = await doctor(spec, 'blue-green', { ...deps(), connect: sshConnector(), forHost });
    const [v2, v1] = report.hosts.map((h) => h.rows.find((r) => r.check === 'compose')!);
    expect(v2).toMatchObject({ ok: true });
    expect(v2!.detail).toMatch(/^v2 2\.\d+\.\d+/);
    expect(v1).toMatchObject({ ok: false, blocking: true });
    expect(v1!.detail).toMatch(
      /^v1 1\.\d+\.\d+: compose-file uses the top-level `include:`, which needs docker compose 2\.20\.0 or later .*; found docker-compose 1\.\d+\.\d+$/
    );
    expect(v1!.fix).toContain('Compose v2 plugin 2.20.0 or later');
    expect(report.ok).toBe(false);
  }, 120_000);
});

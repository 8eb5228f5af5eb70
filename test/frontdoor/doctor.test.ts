import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { canBindLow, doctor } from '../../packages/deploy/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import { deploySpec, deps, sshConnector, target } from '../deploy/support.js';
import { selfSigned } from './support.js';

describe('doctor: binding the front door below 1024', () => {
  it('is fine for root, for a lowered ip_unprivileged_port_start, or with the capability', () => {
    expect(canBindLow('0\n1024\n', 80).ok).toBe(true);
    expect(canBindLow('1001\n80\n', 80).ok).toBe(true);
    expect(canBindLow('1001\n1024\n/usr/sbin/nginx cap_net_bind_service=ep\n', 80).ok).toBe(true);
    expect(canBindLow('1001\n1024\n', 80)).toEqual({
      ok: false,
      detail: expect.stringContaining('cannot bind port 80')
    });
  });
});

integrationOn('doctor of an app behind the front door', [2], () => {
  it('names the fix for ports below 1024 on a non-root host, and reads the certificate', async () => {
    const h = target(2);
    const pair = selfSigned(['doc.fd.test']);
    const spec = deploySpec('frontdoor-doc', join(h.stateDir, 'frontdoor-doctor'), 18630, {
      hosts: [`127.0.0.1:${h.port}`],
      slotPorts: [18631, 18632],
      frontDoor: { hostnames: ['doc.fd.test'], httpPort: 80, httpsPort: 443, tlsPair: pair }
    });
    delete spec.publicPort;
    const report = await doctor(spec, 'blue-green', deps({ connect: sshConnector({}, 2) }));
    const rows = report.hosts[0]!.rows;
    const low = rows.find((r) => r.check === 'bind ports below 1024')!;
    // The lab's field users are not root and the lab keeps the kernel default (1024).
    expect(low).toMatchObject({ ok: false, blocking: true });
    expect(low.detail).toContain('cannot bind port 80');
    expect(low.fix).toContain('net.ipv4.ip_unprivileged_port_start=80');
    expect(low.fix).toContain('cap_net_bind_service');
    expect(rows.find((r) => r.check === 'tls-certificate')).toMatchObject({ ok: true });
    expect(rows.find((r) => r.check === 'front door (owner, listen, host names)')).toMatchObject({
      ok: true
    });
    expect(report.ok).toBe(false);
    // The front-door check creates nothing on a host that has no front door yet.
    expect(existsSync(join(h.stateDir, 'frontdoor-doctor', 'front-door'))).toBe(false);
    rmSync(join(h.stateDir, 'frontdoor-doctor'), { recursive: true, force: true });
  }, 120_000);
});

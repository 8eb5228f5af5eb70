import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pauseCommand } from '../../packages/cli/src/index.js';
import { deploy, rollback, tarball, type DeploySpec } from '../../packages/deploy/src/index.js';
import { frontDoorArgv, frontDoorLayout, listenSignature } from '../../packages/frontdoor/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  IMAGE_REPO,
  buildImages,
  deploySpec,
  deps,
  gate,
  rollbackSpec,
  sshConnector,
  target
} from '../deploy/support.js';
import { asUser, cleanupFrontDoor, getAs, hostLoad, selfSigned } from './support.js';

/**
 * Three apps on one field host behind one front door (high ports: the field hosts share one loopback). One
 * app's blue-green deploy and rollback, under load, while the other two are under load too: no request of any
 * of them fails. Then the refusals: a host name another app holds, a front door owned by another user, and a
 * config nginx -t rejects, each leaving what serves as it was.
 */
const HOST = 2;
const HTTP = 19510;
const apps = {
  a: { app: 'frontdoor-a', name: 'a.fd.test', slots: [19512, 19513] as [number, number] },
  b: { app: 'frontdoor-b', name: 'b.fd.test', slots: [19514, 19515] as [number, number] },
  c: { app: 'frontdoor-c', name: 'c.fd.test', slots: [19516, 19517] as [number, number] }
};

integrationOn('a shared front door on one host', [HOST], () => {
  const h = target(HOST);
  const dir = join(h.stateDir, 'frontdoor-lab');
  const connect = { connect: sshConnector({}, HOST) };

  function spec(k: keyof typeof apps, over: Partial<DeploySpec> = {}): DeploySpec {
    const a = apps[k];
    const base = deploySpec(a.app, dir, HTTP, {
      hosts: [`127.0.0.1:${h.port}`],
      slotPorts: a.slots,
      frontDoor: { hostnames: [a.name], httpPort: HTTP, httpsPort: HTTP + 1 },
      gate: gate(HTTP, { headers: { host: a.name } }),
      ...over
    });
    delete base.publicPort;
    return base;
  }

  beforeAll(() => {
    buildImages();
    cleanupFrontDoor(
      h,
      dir,
      Object.values(apps).map((a) => a.app)
    );
  });
  afterAll(() => cleanupFrontDoor(h, dir, [...Object.values(apps).map((a) => a.app), 'frontdoor-d']));

  it('routes by host name; two apps deploying at once both land', async () => {
    const a1 = await deploy(spec('a'), deps(connect));
    expect(a1.error?.describe()).toBeUndefined();
    // B and C at once: each change takes the front door's lock, so neither loses the other's site.
    const [b1, c1] = await Promise.all([
      deploy(spec('b', { images: { web: `${IMAGE_REPO}:v2` }, version: 'v2' }), deps(connect)),
      deploy(spec('c', { images: { web: `${IMAGE_REPO}:v3` }, version: 'v3' }), deps(connect))
    ]);
    expect(b1.error?.describe()).toBeUndefined();
    expect(c1.error?.describe()).toBeUndefined();
    expect((await getAs(HTTP, apps.a.name)).body.trim()).toBe('v1');
    expect((await getAs(HTTP, apps.b.name)).body.trim()).toBe('v2');
    expect((await getAs(HTTP, apps.c.name)).body.trim()).toBe('v3');
    expect(await getAs(HTTP, 'nobody.fd.test')).toMatchObject({ status: 404 });
  }, 600_000);

  it('blue-green deploy and rollback of one app: zero failed requests on all three', async () => {
    const loads = Object.values(apps).map((a) => hostLoad(HTTP, a.name));
    let results: Awaited<ReturnType<(typeof loads)[number]['stop']>>[];
    try {
      const d2 = await deploy(
        spec('a', { images: { web: `${IMAGE_REPO}:v2` }, version: 'v2' }),
        deps(connect)
      );
      expect(d2.error?.describe()).toBeUndefined();
      expect((await getAs(HTTP, apps.a.name)).body.trim()).toBe('v2');
      const rb = await rollback(rollbackSpec(spec('a')), deps(connect));
      expect(rb.error?.describe()).toBeUndefined();
    } finally {
      results = await Promise.all(loads.map((l) => l.stop()));
    }
    const [ra, rbb, rc] = results;
    expect((await getAs(HTTP, apps.a.name)).body.trim()).toBe('v1');
    // A served v1, then v2, then v1 again; B and C never changed.
    expect(ra).toMatchObject({ failed: 0, failures: [], bodies: ['v1', 'v2'] });
    expect(rbb).toMatchObject({ failed: 0, failures: [], bodies: ['v2'] });
    expect(rc).toMatchObject({ failed: 0, failures: [], bodies: ['v3'] });
    expect(ra!.total).toBeGreaterThan(50);
  }, 600_000);

  it('refuses a host name another app holds, naming it, and changes nothing', async () => {
    const d = await deploy(
      {
        ...spec('a'),
        app: 'frontdoor-d',
        slotPorts: [19518, 19519],
        frontDoor: { hostnames: ['d.fd.test', apps.b.name], httpPort: HTTP, httpsPort: HTTP + 1 }
      },
      deps(connect)
    );
    expect(d.error?.describe()).toMatch(/host name b\.fd\.test is already served by frontdoor-b\/test/);
    expect((await getAs(HTTP, apps.b.name)).body.trim()).toBe('v2');
    expect(await getAs(HTTP, 'd.fd.test')).toMatchObject({ status: 404 });
  }, 300_000);

  it('refuses an app of another user on the same ports, naming the owner', async () => {
    const other = target(0);
    const d = await deploy(
      {
        ...spec('a'),
        app: 'frontdoor-e',
        hosts: [`127.0.0.1:${other.port}`],
        stateDir: join(other.stateDir, 'frontdoor-lab'),
        slotPorts: [19520, 19521],
        frontDoor: { hostnames: ['e.fd.test'], httpPort: HTTP, httpsPort: HTTP + 1 }
      },
      deps({ connect: sshConnector({}, 0) })
    );
    expect(d.error?.describe()).toContain(`held by the front door of ${h.user} ${dir}`);
    expect((await getAs(HTTP, apps.a.name)).body.trim()).toBe('v1');
    cleanupFrontDoor(other, join(other.stateDir, 'frontdoor-lab'), ['frontdoor-e']);
  }, 300_000);

  it('serves HTTPS with a user-supplied certificate, kept 0600 by the front door across later deploys', async () => {
    const pair = selfSigned([apps.b.name]);
    const withTls = spec('b', { images: { web: `${IMAGE_REPO}:v2` }, version: 'v2' });
    withTls.frontDoor = { ...withTls.frontDoor!, tlsPair: pair };
    const d = await deploy(withTls, deps(connect));
    expect(d.error?.describe()).toBeUndefined();
    expect(await getAs(HTTP + 1, apps.b.name, { tls: { ca: pair.certificate } })).toMatchObject({
      status: 200,
      body: 'v2\n'
    });
    const l = frontDoorLayout(dir);
    expect(asUser(h, ['stat', '-c', '%a', join(l.tls, 'frontdoor-b--test.key')]).out.trim()).toBe('600');
    expect(d.error).toBeUndefined();
    // The next deploy gives no certificate: the host name keeps the one it has.
    const next = await deploy(
      spec('b', { images: { web: `${IMAGE_REPO}:v3` }, version: 'v3' }),
      deps(connect)
    );
    expect(next.error?.describe()).toBeUndefined();
    expect(await getAs(HTTP + 1, apps.b.name, { tls: { ca: pair.certificate } })).toMatchObject({
      status: 200,
      body: 'v3\n'
    });
    // C has no certificate: its name is not served on the HTTPS port by B's.
    await expect(getAs(HTTP + 1, apps.c.name, { tls: { ca: pair.certificate } })).rejects.toThrow(
      /altnames|certificate/i
    );
  }, 600_000);

  it('pause answers 503 with a page for one app at once, while the others serve on; resume routes it back', async () => {
    process.env.FRONTDOOR_TEST_KEY = readFileSync(h.keyPath, 'utf8');
    process.env.FRONTDOOR_TEST_KNOWN = readFileSync(h.knownHostsPath, 'utf8');
    const flags = [
      '--host',
      `127.0.0.1:${h.port}`,
      '--user',
      h.user,
      '--app',
      apps.c.app,
      '--environment',
      'test',
      '--state-dir',
      dir,
      '--ssh-key-env',
      'FRONTDOOR_TEST_KEY',
      '--known-hosts-env',
      'FRONTDOOR_TEST_KNOWN'
    ];
    const others = [apps.a, apps.b].map((a) => hostLoad(HTTP, a.name));
    let results: Awaited<ReturnType<(typeof others)[number]['stop']>>[];
    try {
      expect(await pauseCommand(flags, 'pause')).toBe(0);
      const paused = await getAs(HTTP, apps.c.name);
      expect(paused.status).toBe(503);
      expect(paused.body).toContain('Down for maintenance');
      expect(await pauseCommand(flags, 'resume')).toBe(0);
      expect(await getAs(HTTP, apps.c.name)).toMatchObject({ status: 200, body: 'v3\n' });
    } finally {
      results = await Promise.all(others.map((l) => l.stop()));
    }
    for (const r of results) expect(r).toMatchObject({ failed: 0, failures: [] });
  }, 300_000);

  it('a config nginx -t rejects changes nothing: the previous one serves on', () => {
    const l = frontDoorLayout(dir);
    const listen = { bind: '127.0.0.1', httpPort: HTTP, httpsPort: HTTP + 1 };
    const before = asUser(h, ['cat', join(l.root, 'nginx.conf'), join(l.sites, 'frontdoor-a--test.conf')]);
    const bad = tarball([
      { path: 'nginx.conf', content: asUser(h, ['cat', l.conf]).out },
      {
        path: 'sites/frontdoor-a--test.conf',
        content: 'server { listen 127.0.0.1:19510; bogus_directive on; }\n'
      }
    ]);
    const r = asUser(h, frontDoorArgv(l, 'apply', 'frontdoor-a--test', dir, listen, [apps.a.name]), bad);
    expect(r.code).toBe(5);
    expect(r.out).toContain('failed nginx -t, so nothing changed');
    expect(r.out).toContain('bogus_directive');
    expect(asUser(h, ['cat', join(l.root, 'nginx.conf'), join(l.sites, 'frontdoor-a--test.conf')]).out).toBe(
      before.out
    );
    expect(asUser(h, ['ls', '-A', l.root]).out).not.toContain('.next');
    expect(listenSignature(listen)).toBe('127.0.0.1 19510 19511');
    return Promise.all(
      Object.values(apps).map(async (a) => expect((await getAs(HTTP, a.name)).status).toBe(200))
    );
  });
});

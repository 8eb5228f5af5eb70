import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputReader } from '../../packages/core/src/index.js';
import {
  DEFAULT_PROXY,
  deploy,
  nginxConf,
  parseBodySize,
  parseTrustedProxies,
  proxyFiles,
  readProxy
} from '../../packages/deploy/src/index.js';
import { integration } from '../support/infra.js';
import { cleanup, deploySpec, deps, load, stateDir } from './support.js';
import {
  TRAFFIC_COMPOSE,
  TRAFFIC_REPO,
  buildTrafficImages,
  payload,
  send,
  sseOpen,
  wsOpen
} from './traffic-support.js';

const reader = (all: Record<string, string>) => new InputReader((n) => all[n] ?? '');

describe('proxy options (pure)', () => {
  const files = proxyFiles('/s/app/prod/proxy');

  it('defaults: no trusted front end, 100m bodies, 300 s reads, unbuffered, an access log', () => {
    const conf = nginxConf(files, '0.0.0.0', 8080);
    expect(conf).toContain('client_max_body_size 100m;');
    expect(conf).toContain('proxy_read_timeout 300s;');
    expect(conf).toContain('proxy_buffering off;');
    expect(conf).toContain('access_log /s/app/prod/proxy/access.log deploy_actions;');
    expect(conf).toMatch(/geo \$da_trusted \{\s*default 0;\s*\}/);
    expect(conf).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(conf).toContain('proxy_set_header Connection $da_connection;');
    expect(conf).not.toContain('proxy_set_header X-Forwarded-Proto $scheme;');
  });

  it('writes the trusted front ends, the limits and the switches it is given', () => {
    const conf = nginxConf(files, '::', 8080, {
      trustedProxies: ['10.0.0.0/8', '2001:db8::1'],
      maxBodySize: '0',
      readTimeoutMs: 90_500,
      buffering: true,
      accessLog: false
    });
    expect(conf).toContain('    10.0.0.0/8 1;\n    2001:db8::1 1;\n');
    expect(conf).toContain('client_max_body_size 0;');
    expect(conf).toContain('proxy_read_timeout 91s;');
    expect(conf).toContain('proxy_buffering on;');
    expect(conf).toContain('access_log off;');
    expect(conf).toContain('listen [::]:8080;');
  });

  it('refuses what is not an address, a CIDR or a size, naming the input', () => {
    expect(parseTrustedProxies(['127.0.0.1', '10.0.0.0/8', '::1/128'])).toHaveLength(3);
    expect(() => parseTrustedProxies(['10.0.0.0/33'])).toThrow(/proxy-trusted.*10\.0\.0\.0\/33/);
    expect(() => parseTrustedProxies(['lb.example.com'])).toThrow(/proxy-trusted/);
    expect(() => parseTrustedProxies(['1.2.3.4 1; } server {'])).toThrow(/proxy-trusted/);
    expect(parseBodySize('20M')).toBe('20m');
    expect(() => parseBodySize('20 MB')).toThrow(/proxy-max-body-size/);
    expect(() => parseBodySize('1m; include /etc/passwd')).toThrow(/proxy-max-body-size/);
  });

  it('reads the proxy-* inputs with the manifest defaults', () => {
    expect(readProxy(reader({}))).toEqual(DEFAULT_PROXY);
    expect(
      readProxy(
        reader({
          'proxy-trusted': '10.1.0.0/16\n192.0.2.7',
          'proxy-max-body-size': '25m',
          'proxy-read-timeout': '2m',
          'proxy-buffering': 'true',
          'proxy-access-log': 'false'
        })
      )
    ).toEqual({
      trustedProxies: ['10.1.0.0/16', '192.0.2.7'],
      maxBodySize: '25m',
      readTimeoutMs: 120_000,
      buffering: true,
      accessLog: false
    });
    expect(() => readProxy(reader({ 'proxy-read-timeout': 'soon' }))).toThrow(/proxy-read-timeout/);
  });
});

/**
 * Real clients through a blue-green switch: a WebSocket, server-sent events, a 20 MB upload and a 90-second
 * response are in flight on v1 when v2 takes the port, and all of them finish (the old slot drains for longer
 * than the longest of them), while steady traffic sees no failed request. The long response makes this test
 * last about two minutes: it is one test on purpose.
 */
integration('the proxy carries real traffic', () => {
  const app = 'adopt-traffic';
  const port = 18630;
  let dir = '';
  beforeAll(() => {
    buildTrafficImages();
    dir = stateDir('traffic');
    cleanup(dir, app);
  });
  afterAll(() => cleanup(dir, app));

  it('WebSocket, SSE, a 20 MB upload and a 90 s response cross a switch with 0 failed requests', async () => {
    const base = deploySpec(app, dir, port, {
      composeText: TRAFFIC_COMPOSE,
      envText: '',
      images: { web: `${TRAFFIC_REPO}:v1` },
      drainMs: 100_000,
      timeoutMs: 300_000,
      startTimeoutMs: 30_000
    });
    const d1 = await deploy(base, deps());
    expect(d1.error?.describe()).toBeUndefined();

    // No trusted front end: what a client claims is replaced by what the connection is.
    const claims = {
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-For': '203.0.113.9',
      'X-Forwarded-Host': 'app.example'
    };
    const h1 = await send(port, '/headers', { headers: claims });
    expect(JSON.parse(h1.body)).toEqual({
      v: 'v1',
      proto: 'http',
      for: '127.0.0.1',
      host: `127.0.0.1:${port}`
    });

    // In flight on v1 before the switch.
    const ws1 = await wsOpen(port);
    expect(await ws1.echo('before')).toBe('v1:before');
    const sse = await sseOpen(port, 'one');
    const [, ssePort] = /^v1 first port=(\d+)$/.exec(sse.first) ?? [];
    expect(ssePort).toBeDefined();
    const slow = send(port, '/slow?ms=90000');
    let switched: () => void = () => {};
    const afterSwitch = new Promise<void>((r) => (switched = r));
    const body = payload(20 * 1024 * 1024);
    const upload = send(port, '/upload', {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': 20 * 1024 * 1024 },
      parts: [{ data: body.halves[0] }, { data: body.halves[1], before: afterSwitch }]
    });

    const during = load(port, 10, { giveUpMs: 10_000 });
    const d2p = deploy(
      {
        ...base,
        version: 'v2',
        images: { web: `${TRAFFIC_REPO}:v2` },
        proxy: { ...DEFAULT_PROXY, trustedProxies: ['127.0.0.1'], maxBodySize: '25m' }
      },
      deps()
    );
    await during.until('v2');
    switched();

    // The switch moved new connections; what v1 holds keeps going while the old slot drains.
    expect(await ws1.echo('after')).toBe('v1:after');
    const ws2 = await wsOpen(port);
    expect(await ws2.echo('new')).toBe('v2:new');
    const released = await send(Number(ssePort), '/release?id=one');
    expect(released.status).toBe(200);
    expect(await sse.rest).toContain('data: v1 last');
    const up = await upload;
    expect(up.status).toBe(200);
    expect(JSON.parse(up.body)).toMatchObject({ bytes: 20 * 1024 * 1024, sha256: body.sha256 });
    const s = await slow;
    expect({ status: s.status, body: JSON.parse(s.body) as unknown }).toEqual({
      status: 200,
      body: { v: 'v1', ms: 90_000 }
    });
    ws1.close();
    ws2.close();

    const d2 = await d2p;
    const r = await during.stop();
    expect(d2.error?.describe()).toBeUndefined();
    expect(r.total).toBeGreaterThan(50);
    expect(r).toMatchObject({ failed: 0, failures: [] });

    // v2 trusts 127.0.0.1: the front end's headers reach the app.
    const h2 = await send(port, '/headers', { headers: claims });
    expect(JSON.parse(h2.body)).toEqual({
      v: 'v2',
      proto: 'https',
      for: '203.0.113.9, 127.0.0.1',
      host: 'app.example'
    });
    // And its body limit is 25m: 26 MB is refused by the proxy.
    const big = payload(26 * 1024 * 1024);
    const refused = await send(port, '/upload', {
      method: 'POST',
      headers: { 'Content-Length': 26 * 1024 * 1024 },
      parts: [{ data: big.halves[0] }, { data: big.halves[1] }]
    }).catch((e: Error) => ({ status: -1, body: e.message }));
    expect(refused.status).toBe(413);

    // nginx writes a refused request's line once it has read off the rest of the body (lingering close).
    const file = join(dir, app, 'test', 'proxy', 'access.log');
    const until = Date.now() + 60_000;
    while (!/"POST \/upload HTTP\/1\.1" 413 /.test(readFileSync(file, 'utf8')) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 200));
    const log = readFileSync(file, 'utf8');
    expect(log).toMatch(/"GET \/ws HTTP\/1\.1" 101 /);
    expect(log).toMatch(/"POST \/upload HTTP\/1\.1" 200 /);
    expect(log).toMatch(/"GET \/slow\?ms=90000 HTTP\/1\.1" 200 /);
    expect(log).toMatch(/"POST \/upload HTTP\/1\.1" 413 /);
  }, 420_000);
});

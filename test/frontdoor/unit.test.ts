import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  APPLY_SCRIPT,
  checkTlsPair,
  frontDoorArgv,
  frontDoorConf,
  frontDoorLayout,
  parseFrontDoorPorts,
  parseHostnames,
  siteConf
} from '../../packages/frontdoor/src/index.js';
import { DEFAULT_PROXY } from '../../packages/deploy/src/index.js';
import { selfSigned } from './support.js';
import { REPO_ROOT } from '../support/paths.js';

describe('front door inputs', () => {
  it('reads host names, lowercased and deduplicated, and refuses what is not one', () => {
    expect(parseHostnames(['Shop.Example.com', 'shop.example.com.', ' www.shop.example.com '])).toEqual([
      'shop.example.com',
      'www.shop.example.com'
    ]);
    expect(() => parseHostnames(['https://shop.example.com'])).toThrow(/public-hostnames.*not a host name/);
    expect(() => parseHostnames(['shop.example.com:8080'])).toThrow(/public-hostnames/);
  });

  it('reads front-door-ports as http,https', () => {
    expect(parseFrontDoorPorts('80,443')).toEqual({ httpPort: 80, httpsPort: 443 });
    expect(parseFrontDoorPorts('8080')).toEqual({ httpPort: 8080 });
    expect(() => parseFrontDoorPorts('80,80')).toThrow(/front-door-ports/);
    expect(() => parseFrontDoorPorts('http')).toThrow(/front-door-ports.*not one or two ports/);
  });
});

describe('front door config', () => {
  const l = frontDoorLayout('/srv/da');
  const listen = { bind: '127.0.0.1', httpPort: 18080, httpsPort: 18443 };
  const site = siteConf({
    app: 'shop/production',
    key: 'shop--production',
    hostnames: ['shop.example.com', 'www.shop.example.com'],
    listen,
    port: 8081,
    release: 'r1',
    forwarding: DEFAULT_PROXY
  });

  it('routes the host names to the active port, with the per-app proxy forwarding and WebSocket', () => {
    expect(site).toContain('# host shop.example.com\n# host www.shop.example.com\n');
    expect(site).toContain('server_name shop.example.com www.shop.example.com;');
    expect(site).toContain('server 127.0.0.1:8081;');
    expect(site).toContain('proxy_set_header Connection $da_connection;');
    expect(site).toContain('client_max_body_size 100m;');
    expect(site).toContain('include tls/shop--production.ssl.con[f];');
    expect(site).toContain('include maint/shop--production.con[f];');
    expect(frontDoorConf(l, listen)).toContain('# listen 127.0.0.1 18080 18443\n');
  });

  it('passes nginx -t with two sites in one http block', () => {
    const d = mkdtempSync(join(tmpdir(), 'frontdoor-unit-'));
    try {
      const ld = frontDoorLayout(d);
      execFileSync('mkdir', ['-p', ld.sites, join(ld.root, 'tmp')]);
      writeFileSync(ld.conf, frontDoorConf(ld, listen));
      writeFileSync(join(ld.root, 'owner.conf'), 'return 200 "owner x\\n";\n');
      writeFileSync(join(ld.sites, 'shop--production.conf'), site);
      writeFileSync(
        join(ld.sites, 'blog--production.conf'),
        siteConf({
          app: 'blog/production',
          key: 'blog--production',
          hostnames: ['blog.example.com'],
          listen,
          port: 8091,
          release: 'r1',
          forwarding: { ...DEFAULT_PROXY, trustedProxies: ['10.0.0.0/8'] }
        })
      );
      execFileSync(
        '/usr/sbin/nginx',
        ['-e', join(ld.root, 'e.log'), '-t', '-q', '-p', ld.root, '-c', ld.conf],
        {
          stdio: 'pipe'
        }
      );
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('passes shellcheck, and gives the host names as arguments, never in the script', () => {
    // The bundles carry packages/frontdoor/host/apply.sh as it is: the file CI's shellcheck reads.
    const file = join(REPO_ROOT, 'packages/frontdoor/host/apply.sh');
    expect(APPLY_SCRIPT).toBe(readFileSync(file, 'utf8'));
    execFileSync('shellcheck', ['-s', 'sh', file], { stdio: 'pipe' });
    const argv = frontDoorArgv(l, 'check', 'shop--production', '/srv/da', listen, ['shop.example.com']);
    expect(argv.slice(3)).toEqual([
      'sh',
      '/srv/da/front-door',
      'check',
      'shop--production',
      '/srv/da',
      '127.0.0.1 18080 18443',
      '127.0.0.1:18080',
      '/.deploy-actions/front-door',
      'shop.example.com'
    ]);
  });
});

describe('a user-supplied certificate', () => {
  const names = ['shop.fd.test', 'www.shop.fd.test'];
  const pair = selfSigned(names, 2);
  const other = selfSigned(['blog.fd.test'], 2);

  it('is accepted when it matches its key, covers every name and is valid', () => {
    const f = checkTlsPair(pair, names);
    expect(f.subject).toContain('shop.fd.test');
    expect(f.uncovered).toEqual([]);
  });

  it('is refused with the key of another certificate, naming tls-key', () => {
    expect(() => checkTlsPair({ certificate: pair.certificate, key: other.key }, names)).toThrow(
      /tls-key.*does not belong to the certificate/
    );
  });

  it('is refused when it does not cover a host name, naming it', () => {
    expect(() => checkTlsPair(other, ['blog.fd.test', 'shop.fd.test'])).toThrow(
      /tls-certificate.*does not cover shop\.fd\.test/
    );
  });

  it('is refused once expired', () => {
    const in3days = new Date(Date.now() + 3 * 86_400_000);
    expect(() => checkTlsPair(pair, names, in3days)).toThrow(/tls-certificate.*expired/);
  });

  it('is refused when it is not PEM, without echoing the value', () => {
    let message = '';
    try {
      checkTlsPair({ certificate: pair.certificate, key: 'sekret-not-a-key' }, names);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/tls-key.*not a PEM private key/);
    expect(message).not.toContain('sekret');
  });
});

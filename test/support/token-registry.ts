import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePermissions, type Permissions } from '../../packages/workflow-sim/src/index.js';

/**
 * A registry that authorizes like GHCR: a real docker-registry (distribution) configured for token auth on
 * its own 127.0.0.1 port, and a token server beside it that takes the job's GITHUB_TOKEN as the password
 * and grants `pull` when the token carries `packages: read` and `push` with `packages: write`. A request
 * for more than the token allows is refused with a message that names the permission the job lacks.
 */
export interface TokenRegistry {
  /** host:port of the registry. */
  host: string;
  /** The token server's answers: which job asked for which scope, and whether it was granted. */
  decisions: { job: string; scope: string; granted: string[]; refused?: string }[];
  stop(): Promise<void>;
}

const SERVICE = 'deploy-actions-sim-ghcr';
const ISSUER = 'deploy-actions-sim-token-server';

/** RFC 4648 base32 without padding. */
function base32(buf: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** The key id distribution matches a token's `kid` against: libtrust's id of the certificate's public key. */
export function libtrustKeyId(spkiDer: Buffer): string {
  const s = base32(createHash('sha256').update(spkiDer).digest().subarray(0, 30));
  return s.match(/.{1,4}/g)!.join(':');
}

const b64url = (v: unknown) =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

export async function startTokenRegistry(
  scopes: (token: string) => Permissions | undefined,
  jobOf: (token: string) => string | undefined = () => undefined
): Promise<TokenRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'da-token-registry-'));
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=sim-token-server'],
      ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]
    ],
    { stdio: 'ignore' }
  );
  const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
  const kid = libtrustKeyId(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  const decisions: TokenRegistry['decisions'] = [];

  const tokenServer: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const password = basic ? Buffer.from(basic, 'base64').toString().split(':').slice(1).join(':') : '';
    const perms = scopes(password);
    if (!perms)
      return reply(401, {
        errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials: not a token of this run' }]
      });
    const job = jobOf(password) ?? 'the job';
    const access: { type: string; name: string; actions: string[] }[] = [];
    for (const scope of url.searchParams.getAll('scope')) {
      const [type, name, actions] = scope.split(':');
      const wanted = (actions ?? '').split(',').filter(Boolean);
      const granted = wanted.filter(
        (a) => (a === 'pull' && perms.packages !== 'none') || (a === 'push' && perms.packages === 'write')
      );
      if (granted.length < wanted.length) {
        const need = wanted.includes('push') ? 'write' : 'read';
        const refused =
          `permission_denied: the GITHUB_TOKEN of ${job} has packages: ${perms.packages} ` +
          `(${describePermissions(perms)}); ${wanted.join(',')} on ${name} needs \`permissions: packages: ${need}\` ` +
          `in the job or workflow that logs in with github.token`;
        decisions.push({ job, scope, granted, refused });
        return reply(403, { errors: [{ code: 'DENIED', message: refused }] });
      }
      decisions.push({ job, scope, granted });
      access.push({ type: type!, name: name!, actions: granted });
    }
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', kid };
    const claims = {
      iss: ISSUER,
      sub: job,
      aud: SERVICE,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access
    };
    const input = `${b64url(header)}.${b64url(claims)}`;
    const token = `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
    reply(200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
  });
  await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
  const realm = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;

  const port = await freePort();
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: warn }',
      `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: 127.0.0.1:${port}, secret: ${randomBytes(16).toString('hex')} }`,
      'auth:',
      '  token:',
      `    realm: ${realm}`,
      `    service: ${SERVICE}`,
      `    issuer: ${ISSUER}`,
      `    rootcertbundle: ${join(dir, 'cert.pem')}`,
      ''
    ].join('\n')
  );
  let log = '';
  const registry: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe']
  });
  registry.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  registry.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    registry.kill('SIGTERM');
    tokenServer.closeAllConnections();
    await new Promise((r) => tokenServer.close(r));
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when /v2/ asks for a token (401); bounded by a deadline.
  const deadline = Date.now() + 20_000;
  while ((await status(`http://127.0.0.1:${port}/v2/`)) !== 401) {
    if (Date.now() > deadline || registry.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry with token auth did not start on 127.0.0.1:${port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host: `127.0.0.1:${port}`, decisions, stop };
}

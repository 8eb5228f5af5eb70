import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { infra } from '../support/infra.js';

/**
 * The real-traffic app: a Node server (the host's own node, bind-mounted read-only into a busybox image, so the
 * lab needs no node image) with a WebSocket echo written on the raw upgrade handshake, an upload that answers
 * its byte count and sha256, a response that takes as long as asked, server-sent events held open until
 * released, and the X-Forwarded-* headers it received. Every answer names the version that served it.
 */
export const TRAFFIC_REPO = '127.0.0.1:5055/deploy/adopt-traffic';

const SERVER = String.raw`
const http = require('http');
const crypto = require('crypto');
const V = process.env.VERSION || '?';
const PORT = Number(process.env.PORT || 8080);
const streams = new Map();
function frame(op, p) {
  let h;
  if (p.length < 126) h = Buffer.from([128 | op, p.length]);
  else { h = Buffer.alloc(4); h[0] = 128 | op; h[1] = 126; h.writeUInt16BE(p.length, 2); }
  return Buffer.concat([h, p]);
}
const server = http.createServer((q, r) => {
  const u = new URL(q.url, 'http://app');
  if (u.pathname === '/up') return r.end('ok\n');
  if (u.pathname === '/') return r.end(V + '\n');
  if (u.pathname === '/headers')
    return r.end(JSON.stringify({ v: V, proto: q.headers['x-forwarded-proto'], for: q.headers['x-forwarded-for'],
      host: q.headers['x-forwarded-host'] }));
  if (u.pathname === '/upload') {
    const h = crypto.createHash('sha256');
    let n = 0;
    q.on('data', (c) => { n += c.length; h.update(c); });
    q.on('end', () => r.end(JSON.stringify({ v: V, bytes: n, sha256: h.digest('hex') })));
    return;
  }
  if (u.pathname === '/slow') {
    const ms = Number(u.searchParams.get('ms'));
    setTimeout(() => r.end(JSON.stringify({ v: V, ms })), ms);
    return;
  }
  if (u.pathname === '/events') {
    const id = u.searchParams.get('id');
    r.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    r.write('data: ' + V + ' first port=' + PORT + '\n\n');
    streams.set(id, () => r.end('data: ' + V + ' last\n\n'));
    return;
  }
  if (u.pathname === '/release') {
    const f = streams.get(u.searchParams.get('id'));
    if (!f) { r.statusCode = 404; return r.end('no such stream\n'); }
    streams.delete(u.searchParams.get('id'));
    f();
    return r.end('released\n');
  }
  r.statusCode = 404;
  r.end('not found\n');
});
server.on('upgrade', (q, sock, head) => {
  sock.on('error', () => {});
  const key = q.headers['sec-websocket-key'];
  if (String(q.headers.upgrade).toLowerCase() !== 'websocket' || !key)
    return sock.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
  const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' + accept + '\r\n\r\n');
  let buf = Buffer.from(head || []);
  const read = () => {
    for (;;) {
      if (buf.length < 2) return;
      const op = buf[0] & 15, masked = buf[1] & 128;
      let len = buf[1] & 127, off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      const mk = masked ? 4 : 0;
      if (buf.length < off + mk + len) return;
      const mask = buf.subarray(off, off + mk);
      const p = Buffer.from(buf.subarray(off + mk, off + mk + len));
      if (masked) for (let i = 0; i < p.length; i++) p[i] ^= mask[i & 3];
      buf = buf.subarray(off + mk + len);
      if (op === 8) return sock.end(frame(8, Buffer.alloc(0)));
      if (op === 9) sock.write(frame(10, p));
      else if (op === 1) sock.write(frame(1, Buffer.from(V + ':' + p.toString())));
    }
  };
  sock.on('data', (c) => { buf = Buffer.concat([buf, c]); read(); });
  read();
});
process.on('SIGTERM', () => process.exit(0));
server.listen(PORT, '127.0.0.1');
`;

const DOCKERFILE = `FROM deploy-actions/busybox:latest
ARG VERSION=v1
ENV VERSION=$VERSION
COPY server.js /app/server.js
CMD ["/usr/local/bin/node", "/app/server.js"]
`;

/** The host's node and its libraries, read-only: the image stays busybox. */
export const TRAFFIC_COMPOSE = `services:
  web:
    image: ${TRAFFIC_REPO}:v1
    network_mode: host
    stop_grace_period: 2s
    environment:
      PORT: \${PORT:-8080}
    volumes:
      - /usr/bin/node:/usr/local/bin/node:ro
      - /usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro
      - /usr/lib64:/lib64:ro
`;

let built = false;
/** Build and push v1 and v2 once per test process (a private docker config: suites log in in parallel). */
export function buildTrafficImages(): void {
  if (built) return;
  const reg = infra().registries[0]!;
  const dir = mkdtempSync('/tmp/deploy-actions-test-traffic-');
  const env = { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') };
  execFileSync('docker', ['login', reg.host, '--username', reg.username, '--password-stdin'], {
    input: reg.password,
    stdio: ['pipe', 'ignore', 'pipe'],
    env
  });
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(dir, 'server.js'), SERVER);
  for (const v of ['v1', 'v2']) {
    const ref = `${TRAFFIC_REPO}:${v}`;
    execFileSync(
      'docker',
      ['build', '-q', '--network', 'host', '--build-arg', `VERSION=${v}`, '-t', ref, dir],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env
      }
    );
    execFileSync('docker', ['push', '-q', ref], { stdio: ['ignore', 'ignore', 'pipe'], env });
  }
  rmSync(dir, { recursive: true, force: true });
  built = true;
}

export interface Reply {
  status: number;
  body: string;
}

/** One request on a fresh connection; `body` is written in parts, each after its `before` promise settles. */
export function send(
  port: number,
  path: string,
  o: {
    method?: string;
    headers?: Record<string, string | number>;
    parts?: { data: Buffer; before?: Promise<unknown> }[];
  } = {}
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: o.headers, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      }
    );
    req.on('error', reject);
    void (async () => {
      for (const p of o.parts ?? []) {
        await p.before;
        if (!req.write(p.data)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(reject);
  });
}

/** `n` bytes of random data in two halves, and its sha256. */
export function payload(n: number): { halves: [Buffer, Buffer]; sha256: string } {
  const data = randomBytes(n);
  return {
    halves: [data.subarray(0, n >> 1), data.subarray(n >> 1)],
    sha256: createHash('sha256').update(data).digest('hex')
  };
}

/** A WebSocket client on the raw handshake: `echo` sends a text frame (masked, as a client must) and reads one. */
export interface WsClient {
  echo(text: string): Promise<string>;
  close(): void;
}

export function wsOpen(port: number): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/ws',
      agent: false,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': key,
        'Sec-WebSocket-Version': '13'
      }
    });
    req.on('response', (res) => reject(new Error(`no upgrade: status ${res.statusCode}`)));
    req.on('error', reject);
    req.on('upgrade', (res, sock: Socket, head: Buffer) => {
      const want = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (res.headers['sec-websocket-accept'] !== want) {
        sock.destroy();
        reject(new Error(`bad Sec-WebSocket-Accept ${String(res.headers['sec-websocket-accept'])}`));
        return;
      }
      let buf = Buffer.from(head);
      const waiters: { ok: (s: string) => void; fail: (e: Error) => void }[] = [];
      const drain = () => {
        while (buf.length >= 2 && waiters.length) {
          const len = buf[1]! & 127;
          if (len >= 126) throw new Error('test frames are short');
          if (buf.length < 2 + len) return;
          const text = buf.subarray(2, 2 + len).toString();
          buf = buf.subarray(2 + len);
          waiters.shift()!.ok(text);
        }
      };
      sock.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        drain();
      });
      const gone = (why: string) => () => {
        for (const w of waiters.splice(0)) w.fail(new Error(`websocket ${why}`));
      };
      sock.on('close', gone('closed'));
      sock.on('error', (e) => gone(e.message)());
      resolve({
        echo: (text) =>
          new Promise<string>((ok, fail) => {
            waiters.push({ ok, fail });
            const p = Buffer.from(text);
            const mask = randomBytes(4);
            const masked = Buffer.from(p.map((b, i) => b ^ mask[i & 3]!));
            sock.write(Buffer.concat([Buffer.from([0x81, 0x80 | p.length]), mask, masked]));
            drain();
          }),
        close: () => sock.destroy()
      });
    });
    req.end();
  });
}

/** Server-sent events: resolves with the first event once it arrived (so the proxy did not buffer it). */
export function sseOpen(port: number, id: string): Promise<{ first: string; rest: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: `/events?id=${id}`,
        agent: false,
        headers: { Accept: 'text/event-stream' }
      },
      (res) => {
        let text = '';
        let first: string | undefined;
        let done: (s: string) => void = () => {};
        const rest = new Promise<string>((r) => (done = r));
        res.on('data', (c: Buffer) => {
          text += c.toString();
          const end = text.indexOf('\n\n');
          if (first === undefined && end >= 0) {
            first = text.slice(0, end).replace(/^data: /, '');
            resolve({ first, rest });
          }
        });
        res.on('end', () => done(text));
        res.on('error', reject);
      }
    );
    req.on('error', reject);
    req.end();
  });
}

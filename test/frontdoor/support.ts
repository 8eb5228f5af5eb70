import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootHookRemoveArgv } from '../../packages/deploy/src/index.js';
import { FRONT_DOOR_DIR } from '../../packages/frontdoor/src/index.js';
import type { FieldHost } from '../support/infra.js';
import { cleanup } from '../deploy/support.js';

/** GET `path` from the front door on 127.0.0.1:`port` for host name `host`, on a fresh connection. */
export function getAs(
  port: number,
  host: string,
  o: { path?: string; giveUpMs?: number; tls?: { ca: string } } = {}
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const opts = {
      host: '127.0.0.1',
      port,
      path: o.path ?? '/',
      agent: false as const,
      timeout: o.giveUpMs ?? 3000,
      headers: { host }
    };
    const done = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req = o.tls
      ? httpsRequest({ ...opts, servername: host, ca: o.tls.ca }, done)
      : httpRequest(opts, done);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${(o.giveUpMs ?? 3000) / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Steady traffic for one host name through the front door; a status other than 200 or an error fails. */
export function hostLoad(port: number, host: string, rate = 20, giveUpMs = 10_000) {
  let total = 0;
  const failures: string[] = [];
  const bodies = new Set<string>();
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    total++;
    const p = getAs(port, host, { giveUpMs })
      .then((r) => {
        if (r.status !== 200) failures.push(`status ${r.status}`);
        else bodies.add(r.body.trim());
      })
      .catch((e: Error) => {
        failures.push(e.message);
      })
      .finally(() => pending.delete(p));
    pending.add(p);
  }, 1000 / rate);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...pending]);
      return { total, failed: failures.length, failures: [...new Set(failures)], bodies: [...bodies].sort() };
    }
  };
}

/** Run argv on the field host as its deploy user (it is a local user of this machine). */
export function asUser(h: FieldHost, argv: string[], input?: Buffer | string): { code: number; out: string } {
  try {
    const out = execFileSync(
      'runuser',
      ['-u', h.user, '--', 'env', `HOME=${h.home}`, 'PATH=/usr/local/bin:/usr/bin:/bin', ...argv],
      { input: input ?? '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 }
    );
    return { code: 0, out };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Stop a lab front door and take away its state and boot line (the apps' own cleanup stays `cleanup`). */
export function cleanupFrontDoor(h: FieldHost, stateDir: string, apps: readonly string[]): void {
  for (const app of apps) cleanup(stateDir, app);
  const dir = join(stateDir, FRONT_DOOR_DIR);
  asUser(h, [
    'sh',
    '-c',
    'if [ -f "$1/nginx.pid" ]; then kill "$(cat "$1/nginx.pid")" 2>/dev/null; fi; true',
    'sh',
    dir
  ]);
  asUser(h, bootHookRemoveArgv(dir));
  rmSync(dir, { recursive: true, force: true });
}

/** A self-signed certificate and key for `names`, made by openssl (valid for `days`). */
export function selfSigned(names: readonly string[], days = 2): { certificate: string; key: string } {
  const d = mkdtempSync(join(tmpdir(), 'frontdoor-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(d, 'key.pem'),
        '-out',
        join(d, 'cert.pem'),
        '-days',
        String(days),
        '-subj',
        `/CN=${names[0]}`,
        '-addext',
        `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`
      ],
      { stdio: 'pipe' }
    );
    return {
      certificate: readFileSync(join(d, 'cert.pem'), 'utf8'),
      key: readFileSync(join(d, 'key.pem'), 'utf8')
    };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

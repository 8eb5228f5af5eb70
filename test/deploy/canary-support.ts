import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import type { GateSpec } from '../../packages/health/src/index.js';
import type { DeploySpec } from '../../packages/deploy/src/index.js';
import { infra } from '../support/infra.js';
import { IMAGE_REPO, buildImages, cleanup, deploySpec, gate, stateDir } from './support.js';

/** Shared by test/deploy/canary.test.ts and bench/canary.ts. */

/** The images v1, v2 and the degraded one in the registry, and `app` gone from field host 1: its state dir. */
export function prepareCanaryHost(name: string, app: string): string {
  buildImages();
  buildDegradedImage();
  const dir = stateDir(name);
  cleanup(dir, app);
  return dir;
}

/** A deploy of `tag` to field host 1 in the steps 50,100, gated on the body `ok` of the public port's /up. */
export function canarySpec(
  app: string,
  dir: string,
  port: number,
  tag: string,
  o: { strategy?: DeploySpec['strategy']; stepMs: number; gate?: Partial<GateSpec> }
): DeploySpec {
  return deploySpec(app, dir, port, {
    strategy: o.strategy ?? 'canary',
    version: tag,
    images: { web: `${IMAGE_REPO}:${tag}` },
    gate: gate(port, { expectBody: 'ok', ...o.gate }),
    canary: { steps: [50, 100], stepMs: o.stepMs },
    timeoutMs: 240_000
  });
}

/**
 * GET / on a fresh connection. A request fails on an error status, a reset or a refused connection; it may
 * wait up to 10 s, because this machine is shared by parallel suites (load average above 20 at times) and a
 * starved client or proxy is not a failed request.
 */
function getPatiently(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10s')));
    req.on('error', reject);
    req.end();
  });
}

/** Load that remembers what answered: fresh connections at `rate`/s, each response's body and time. */
export function recordingLoad(port: number, rate = 20) {
  const seen: { at: number; body: string }[] = [];
  const failures: string[] = [];
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const at = Date.now();
    const p = getPatiently(port)
      .then((r) => {
        if (r.status !== 200) failures.push(`status ${r.status}`);
        else seen.push({ at, body: r.body.trim() });
      })
      .catch((e: Error) => void failures.push(e.message))
      .finally(() => pending.delete(p));
    pending.add(p);
  }, 1000 / rate);
  return {
    seen,
    /** Resolves once a response with `body` came back (observable state, no fixed sleep). */
    until: async (body: string, timeoutMs = 120_000) => {
      const end = Date.now() + timeoutMs;
      while (!seen.some((x) => x.body === body)) {
        if (Date.now() > end) throw new Error(`no response "${body}" within ${timeoutMs}ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...pending]);
      seen.sort((a, b) => a.at - b.at);
      return { total: seen.length + failures.length, failed: failures.length, failures, seen };
    }
  };
}

/** The share of `body` among the responses between its first appearance and the last response of `other`. */
export function shareDuringStep(
  seen: { body: string }[],
  body: string,
  other: string
): { share: number; n: number } {
  const first = seen.findIndex((x) => x.body === body);
  let last = -1;
  seen.forEach((x, i) => {
    if (x.body === other) last = i;
  });
  const window = seen.slice(first, last + 1);
  return { share: (100 * window.filter((x) => x.body === body).length) / window.length, n: window.length };
}

export const BAD_TAG = 'canary-bad';

/** v2's code with a health endpoint that answers 200 `degraded`: it starts fine and fails the gate's body check. */
export function buildDegradedImage(): void {
  const reg = infra().registries[0]!;
  const dir = mkdtempSync('/tmp/deploy-actions-test-canary-img-');
  const env = { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') };
  try {
    execFileSync('docker', ['login', reg.host, '--username', reg.username, '--password-stdin'], {
      input: reg.password,
      stdio: ['pipe', 'ignore', 'pipe'],
      env
    });
    writeFileSync(
      join(dir, 'Dockerfile'),
      `FROM ${IMAGE_REPO}:v2\nRUN echo bad > /www/index.html && echo degraded > /www/up\n`
    );
    execFileSync('docker', ['build', '-q', '-t', `${IMAGE_REPO}:${BAD_TAG}`, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env
    });
    execFileSync('docker', ['push', '-q', `${IMAGE_REPO}:${BAD_TAG}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

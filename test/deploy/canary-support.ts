import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GateSpec } from '../../packages/health/src/index.js';
import type { DeploySpec } from '../../packages/deploy/src/index.js';
import { infra } from '../support/infra.js';
import { IMAGE_REPO, buildImages, cleanup, deploySpec, gate, load, stateDir } from './support.js';

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
 * Load that remembers what answered (support.ts load): fresh connections at `rate`/s, each waiting up to 10 s,
 * because this machine is shared by parallel suites (load average above 20 at times).
 */
export function recordingLoad(port: number, rate = 20) {
  return load(port, rate, { giveUpMs: 10_000 });
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
    execFileSync('docker', ['build', '-q', '--network', 'host', '-t', `${IMAGE_REPO}:${BAD_TAG}`, dir], {
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

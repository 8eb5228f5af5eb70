import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor } from '../../packages/core/src/index.js';
import type { RegistryAuth } from '../../packages/swarm/src/index.js';
import { fieldHost, infra } from '../support/infra.js';
import { connectInfraHost } from '../support/connect.js';
import { get } from '../support/http.js';

/**
 * The Swarm test app: busybox httpd on 127.0.0.1:$PORT with a HEALTHCHECK on /up (absent in the `sick`
 * build), its version at /. The check tolerates a slow machine (5 s timeout, 4 retries): a loaded CI box
 * must not make Swarm kill a healthy task. Services use the host network (the daemon runs without a bridge), so an update
 * must stop the old task first: two tasks cannot bind one port.
 */
export const SWARM_REPO = '127.0.0.1:5055/deploy/swarmtest';
const DOCKERFILE = `FROM deploy-actions/busybox:latest
ARG VERSION=v1
ARG HEALTH=ok
RUN mkdir -p /www && echo "$VERSION" > /www/index.html && if [ "$HEALTH" = ok ]; then echo ok > /www/up; fi
HEALTHCHECK --interval=1s --timeout=5s --retries=4 CMD wget -q -O /dev/null http://127.0.0.1:\${PORT}/up || exit 1
CMD ["sh", "-c", "exec httpd -f -p 127.0.0.1:\${PORT} -h /www"]
`;

export function swarmCompose(port: number, failureAction: 'pause' | 'rollback' = 'pause'): string {
  return `services:
  web:
    image: placeholder
    environment:
      PORT: "${port}"
    stop_grace_period: 1s
    networks: [hostnet]
    deploy:
      replicas: 1
      update_config: {order: stop-first, failure_action: ${failureAction}, monitor: 3s}
      rollback_config: {order: stop-first}
      restart_policy: {condition: on-failure, delay: 1s}
networks:
  hostnet: {external: true, name: host}
`;
}

export function registryAuth(): RegistryAuth {
  const reg = infra().registries[0]!;
  return { registry: reg.host, username: reg.username, password: reg.password };
}

/** Build and push v1, v2 and sick; returns tag → repo@digest. */
export function buildSwarmImages(): Record<string, string> {
  const auth = registryAuth();
  const dir = mkdtempSync('/tmp/deploy-actions-test-swarm-');
  const env = { ...process.env, DOCKER_CONFIG: join(dir, 'cfg') };
  const digests: Record<string, string> = {};
  try {
    execFileSync('docker', ['login', auth.registry, '-u', auth.username, '--password-stdin'], {
      input: auth.password,
      env,
      stdio: ['pipe', 'ignore', 'pipe']
    });
    writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
    const variants: Record<string, string[]> = {
      v1: [],
      v2: ['VERSION=v2'],
      sick: ['VERSION=sick', 'HEALTH=no']
    };
    for (const [tag, args] of Object.entries(variants)) {
      const ref = `${SWARM_REPO}:${tag}`;
      execFileSync(
        'docker',
        ['build', '-q', '--network', 'host', ...args.flatMap((a) => ['--build-arg', a]), '-t', ref, dir],
        {
          env,
          stdio: ['ignore', 'ignore', 'pipe']
        }
      );
      execFileSync('docker', ['push', '-q', ref], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      digests[tag] = execFileSync(
        'docker',
        ['image', 'inspect', '--format', '{{index .RepoDigests 0}}', ref],
        {
          env,
          encoding: 'utf8'
        }
      ).trim();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return digests;
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** This node becomes a single-node swarm manager (leaving whatever swarm state it had). */
export function initSwarm(): void {
  if (JSON.parse(docker('info', '--format', '{{json .Swarm.LocalNodeState}}')) !== 'inactive')
    docker('swarm', 'leave', '--force');
  docker('swarm', 'init', '--advertise-addr', '127.0.0.1');
}

export function leaveSwarm(stacks: string[]): void {
  for (const s of stacks) {
    try {
      docker('stack', 'rm', s);
    } catch {
      /* already gone */
    }
  }
  try {
    docker('swarm', 'leave', '--force');
  } catch {
    /* not in a swarm */
  }
}

/** Wait on what serves, not on time: a task may still be binding its port right after convergence. */
export async function servesWithin(port: number, version: string, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    // Not answering yet (a refused connection, a timeout) is a state to wait through here.
    last = await get(port, '/', 2000).then(
      (r) => r.body.trim(),
      () => ''
    );
    if (last === version) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

/** An SSH connector to field host `i` (a non-root deploy user behind the far link). */
export function fieldConnector(i: number): (host: string) => Promise<Executor> {
  const h = fieldHost(i);
  return (host) => connectInfraHost(h, { host });
}

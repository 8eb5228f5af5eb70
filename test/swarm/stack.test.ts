import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { LocalExecutor, captureLogger, type Executor } from '../../packages/core/src/index.js';
import { SshExecutor } from '../../packages/ssh/src/index.js';
import {
  assertManager,
  deployStack,
  readStack,
  rollbackStack,
  swarmStackFile,
  type RegistryAuth,
  type SwarmTarget
} from '../../packages/swarm/src/index.js';
import { fieldHost, infra, integration } from '../support/infra.js';

/**
 * A single-node swarm on the local dockerd, initialised by this suite and left afterwards. Services use the
 * host network (the daemon runs without a bridge), so an update must stop the old task first: both cannot
 * bind the same port.
 */
const PORT = 18600 + (process.pid % 200);
const REPO = `${'127.0.0.1:5055'}/deploy/swarmtest`;
const DOCKERFILE = `FROM deploy-actions/busybox:latest
ARG VERSION=v1
ARG HEALTH=ok
ARG CRASH=no
RUN mkdir -p /www && echo "$VERSION" > /www/index.html && if [ "$HEALTH" = ok ]; then echo ok > /www/up; fi && echo "$CRASH" > /crash
HEALTHCHECK --interval=1s --timeout=1s --retries=2 CMD wget -q -O /dev/null http://127.0.0.1:\${PORT}/up || exit 1
CMD ["sh", "-c", "if [ \\"$(cat /crash)\\" = yes ]; then echo 'fatal: config missing' >&2; exit 3; fi; exec httpd -f -p 127.0.0.1:\${PORT} -h /www"]
`;
const COMPOSE = `services:
  web:
    image: placeholder
    environment:
      PORT: "${PORT}"
    stop_grace_period: 1s
    networks: [hostnet]
    deploy:
      replicas: 1
      update_config: {order: stop-first, failure_action: pause, monitor: 3s}
      restart_policy: {condition: on-failure, delay: 1s}
networks:
  hostnet: {external: true, name: host}
`;

const local = new LocalExecutor();
const docker = (...args: string[]) =>
  execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: PORT, path, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Wait on what serves, not on time: the task may still be binding its port right after convergence. */
async function servesWithin(version: string, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    last = (await get('/')).body;
    if (last === version) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

integration('swarm stacks on a single-node swarm', () => {
  const digests: Record<string, string> = {};
  let auth: RegistryAuth;
  const stack = `da-swarm-${process.pid}`;
  const target = (executor: Executor = local): SwarmTarget => ({ executor, logger: captureLogger(), stack });
  const file = (variant: string) => swarmStackFile(COMPOSE, { web: digests[variant]! });
  const wait = { timeoutMs: 90_000, pollMs: 500 };

  beforeAll(() => {
    const reg = infra().registries[0]!;
    auth = { registry: reg.host, username: reg.username, password: reg.password };
    const dir = mkdtempSync('/tmp/deploy-actions-test-swarm-');
    const env = { ...process.env, DOCKER_CONFIG: join(dir, 'cfg') };
    try {
      execFileSync('docker', ['login', reg.host, '-u', reg.username, '--password-stdin'], {
        input: reg.password,
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
        execFileSync(
          'docker',
          ['build', '-q', ...args.flatMap((a) => ['--build-arg', a]), '-t', `${REPO}:${tag}`, dir],
          {
            env,
            stdio: ['ignore', 'ignore', 'pipe']
          }
        );
        execFileSync('docker', ['push', '-q', `${REPO}:${tag}`], {
          env,
          stdio: ['ignore', 'ignore', 'pipe']
        });
        const repoDigest = execFileSync(
          'docker',
          ['image', 'inspect', '--format', '{{index .RepoDigests 0}}', `${REPO}:${tag}`],
          {
            env,
            encoding: 'utf8'
          }
        ).trim();
        digests[tag] = repoDigest;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  afterAll(() => {
    try {
      docker('stack', 'rm', stack);
    } catch {
      /* already gone */
    }
    try {
      docker('swarm', 'leave', '--force');
    } catch {
      /* not in a swarm */
    }
  }, 60_000);

  it('refuses a node that is not a swarm manager and names docker swarm init', async () => {
    if (JSON.parse(docker('info', '--format', '{{json .Swarm.LocalNodeState}}')) !== 'inactive')
      docker('swarm', 'leave', '--force');
    await expect(assertManager(target())).rejects.toThrow(
      /This node is not a swarm manager: local is in swarm state "inactive"/
    );
    await expect(assertManager(target())).rejects.toMatchObject({
      hint: expect.stringContaining('docker swarm init')
    });
    docker('swarm', 'init', '--advertise-addr', '127.0.0.1');
    await expect(assertManager(target())).resolves.toBeUndefined();
  }, 60_000);

  it('deploys pinned digests with registry auth and waits until the task runs healthy', async () => {
    const t = target();
    const r = await deployStack(t, file('v1'), { ...wait, registryAuth: auth });
    expect(r.converge).toMatchObject({ state: 'converged', timedOut: false });
    expect(r.changed).toEqual(['web']);
    expect(await servesWithin('v1')).toBe('v1');
    const state = await readStack(t);
    expect(state.services[0]!.Spec.TaskTemplate.ContainerSpec.Image).toContain(digests.v1!.split('@')[1]);
  }, 120_000);

  it('updates to v2 (stop-first on the host network) and converges on the new digest', async () => {
    const r = await deployStack(target(), file('v2'), { ...wait, registryAuth: auth });
    expect(r.converge.state).toBe('converged');
    expect(r.converge.services[0]!.image).toContain(digests.v2!.split('@')[1]);
    expect(await servesWithin('v2')).toBe('v2');
  }, 120_000);

  it('a release that never turns healthy fails convergence; redeploying the previous stack file restores it', async () => {
    const t = target();
    const failed = await deployStack(t, file('sick'), { ...wait, registryAuth: auth });
    expect(failed.converge.state).toBe('failed');
    expect(failed.converge.services[0]!.detail).toMatch(/Swarm's update paused|task\(s\) of .* failed/);
    const back = await rollbackStack(t, failed, { ...wait, previous: file('v2'), registryAuth: auth });
    expect(back).toMatchObject({ how: 'redeploy', state: 'converged' });
    expect(await servesWithin('v2')).toBe('v2');
  }, 180_000);

  it('without a previous stack file, Swarm’s own service rollback returns the changed service', async () => {
    const t = target();
    const failed = await deployStack(t, file('sick'), { ...wait, registryAuth: auth });
    expect(failed.converge.state).toBe('failed');
    const back = await rollbackStack(t, failed, wait);
    expect(back).toMatchObject({ how: 'service-rollback', state: 'converged' });
    expect(await servesWithin('v2')).toBe('v2');
  }, 180_000);

  it('runs the same through SSH as a non-root deploy user on a far link', async () => {
    const h = fieldHost(2);
    const ssh = await SshExecutor.connect({
      host: h.host,
      port: h.port,
      user: h.user,
      privateKey: readFileSync(h.keyPath, 'utf8'),
      knownHosts: readFileSync(h.knownHostsPath, 'utf8'),
      connectTimeoutMs: 10_000
    });
    try {
      const t = { ...target(ssh), commandTimeoutMs: 60_000 };
      await assertManager(t);
      const r = await deployStack(t, file('v1'), { ...wait, registryAuth: auth });
      expect(r.converge.state).toBe('converged');
      expect(await servesWithin('v1')).toBe('v1');
      // The login was for this deploy only: nothing stays in the deploy user's own docker config.
      const cfg = await ssh.run({
        argv: ['sh', '-c', 'cat ~/.docker/config.json 2>/dev/null || true'],
        timeoutMs: 30_000
      });
      expect(cfg.stdout).not.toContain(auth.registry);
    } finally {
      await ssh.close();
    }
  }, 180_000);
});

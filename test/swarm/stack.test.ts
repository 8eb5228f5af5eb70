import { readFileSync } from 'node:fs';
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
import { fieldHost, integration } from '../support/infra.js';
import {
  buildSwarmImages,
  docker,
  initSwarm,
  leaveSwarm,
  registryAuth,
  servesWithin,
  swarmCompose
} from './support.js';

/** A single-node swarm on the local dockerd, initialised by this suite and left afterwards. */
const PORT = 18600 + (process.pid % 200);
const local = new LocalExecutor();

integration('swarm stacks on a single-node swarm', () => {
  const digests: Record<string, string> = {};
  let auth: RegistryAuth;
  const stack = `da-swarm-${process.pid}`;
  const target = (executor: Executor = local): SwarmTarget => ({ executor, logger: captureLogger(), stack });
  const file = (variant: string) => swarmStackFile(swarmCompose(PORT), { web: digests[variant]! });
  const wait = { timeoutMs: 90_000, pollMs: 500 };

  beforeAll(() => {
    auth = registryAuth();
    Object.assign(digests, buildSwarmImages());
  }, 120_000);

  afterAll(() => leaveSwarm([stack]), 60_000);

  it('refuses a node that is not a swarm manager and names docker swarm init', async () => {
    if (JSON.parse(docker('info', '--format', '{{json .Swarm.LocalNodeState}}')) !== 'inactive')
      docker('swarm', 'leave', '--force');
    await expect(assertManager(target())).rejects.toThrow(
      /This node is not a swarm manager: local is in swarm state "inactive"/
    );
    await expect(assertManager(target())).rejects.toMatchObject({
      hint: expect.stringContaining('docker swarm init')
    });
    initSwarm();
    await expect(assertManager(target())).resolves.toBeUndefined();
  }, 60_000);

  it('deploys pinned digests with registry auth and waits until the task runs healthy', async () => {
    const t = target();
    const r = await deployStack(t, file('v1'), { ...wait, registryAuth: auth });
    expect(r.converge).toMatchObject({ state: 'converged', timedOut: false });
    expect(r.changed).toEqual(['web']);
    expect(await servesWithin(PORT, 'v1')).toBe('v1');
    const state = await readStack(t);
    expect(state.services[0]!.Spec.TaskTemplate.ContainerSpec.Image).toContain(digests.v1!.split('@')[1]);
  }, 120_000);

  it('updates to v2 (stop-first on the host network) and converges on the new digest', async () => {
    const r = await deployStack(target(), file('v2'), { ...wait, registryAuth: auth });
    expect(r.converge.state).toBe('converged');
    expect(r.converge.services[0]!.image).toContain(digests.v2!.split('@')[1]);
    expect(await servesWithin(PORT, 'v2')).toBe('v2');
  }, 120_000);

  it('a release that never turns healthy fails convergence; redeploying the previous stack file restores it', async () => {
    const t = target();
    const failed = await deployStack(t, file('sick'), { ...wait, registryAuth: auth });
    expect(failed.converge.state).toBe('failed');
    expect(failed.converge.services[0]!.detail).toMatch(/Swarm's update paused|task\(s\) of .* failed/);
    const back = await rollbackStack(t, failed, { ...wait, previous: file('v2'), registryAuth: auth });
    expect(back).toMatchObject({ how: 'redeploy', state: 'converged' });
    expect(await servesWithin(PORT, 'v2')).toBe('v2');
  }, 180_000);

  it('without a previous stack file, Swarm’s own service rollback returns the changed service', async () => {
    const t = target();
    const failed = await deployStack(t, file('sick'), { ...wait, registryAuth: auth });
    expect(failed.converge.state).toBe('failed');
    const back = await rollbackStack(t, failed, wait);
    expect(back).toMatchObject({ how: 'service-rollback', state: 'converged' });
    expect(await servesWithin(PORT, 'v2')).toBe('v2');
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
      expect(await servesWithin(PORT, 'v1')).toBe('v1');
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

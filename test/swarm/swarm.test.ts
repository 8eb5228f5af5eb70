import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { LocalExecutor, captureLogger, type Executor } from '../../packages/core/src/index.js';
import {
  checkSwarmSpec,
  deploy,
  rollback,
  stackName,
  type DeploySpec,
  type EngineDeps,
  type RollbackSpec
} from '../../packages/deploy/src/index.js';
import { defaultGateSpec } from '../../packages/health/src/index.js';
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
  SWARM_REPO,
  buildSwarmImages,
  fieldConnector,
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

  it('deploys pinned digests locally; a release that never turns healthy fails, and Swarm’s own service rollback (no previous stack file) returns it', async () => {
    const t = target();
    const r = await deployStack(t, file('v1'), { ...wait, registryAuth: auth });
    expect(r.converge).toMatchObject({ state: 'converged', timedOut: false });
    expect(r.changed).toEqual(['web']);
    expect(await servesWithin(PORT, 'v1')).toBe('v1');
    const state = await readStack(t);
    expect(state.services[0]!.Spec.TaskTemplate.ContainerSpec.Image).toContain(digests.v1!.split('@')[1]);

    const failed = await deployStack(t, file('sick'), { ...wait, registryAuth: auth });
    expect(failed.converge.state).toBe('failed');
    expect(failed.converge.services[0]!.detail).toMatch(/Swarm's update paused|task\(s\) of .* failed/);
    const back = await rollbackStack(t, failed, wait);
    expect(back).toMatchObject({ how: 'service-rollback', state: 'converged' });
    expect(await servesWithin(PORT, 'v1')).toBe('v1');
  }, 240_000);

  describe('deploy-compose strategy swarm (the engine, as a non-root user on a far link)', () => {
    const app = `swarmapp${process.pid % 1000}`;
    const h = fieldHost(3);
    const dir = `${h.stateDir}/swarm-${process.pid}`;
    const enginePort = PORT + 1;
    const compose = swarmCompose(enginePort).replace('image: placeholder', `image: ${SWARM_REPO}:v1`);
    const spec = (over: Partial<DeploySpec> = {}): DeploySpec => ({
      app,
      environment: 'Production EU',
      environmentSlug: 'production-eu',
      hosts: [h.host],
      stateDir: dir,
      slotPorts: [0, 0],
      proxyBind: '127.0.0.1',
      portVar: 'PORT',
      lockTimeoutMs: 10_000,
      lockStaleMs: 120_000,
      lockPollMs: 500,
      breakLock: false,
      timeoutMs: 240_000,
      drainMs: 0,
      gate: {
        ...defaultGateSpec(),
        urls: [{ url: `http://127.0.0.1:${enginePort}/up` }],
        intervalMs: 500,
        successThreshold: 2,
        failureThreshold: 3,
        timeoutMs: 30_000
      },
      startTimeoutMs: 60_000,
      registry: auth,
      version: 'v1',
      strategy: 'swarm',
      composeText: compose,
      envText: '',
      images: { web: `${SWARM_REPO}:v1` },
      keepReleases: 5,
      autoRollback: true,
      ...over
    });
    const engineDeps = (): EngineDeps => ({
      logger: captureLogger(),
      context: { actor: 'tester', runUrl: 'http://127.0.0.1/run/1' },
      connect: fieldConnector(3)
    });
    const history = () =>
      readFileSync(`${dir}/${app}/production-eu/history.jsonl`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
    const at = (v: string) => ({ images: { web: `${SWARM_REPO}:${v}` }, version: v });

    beforeAll(() => {
      if (JSON.parse(docker('info', '--format', '{{json .Swarm.LocalNodeState}}')) !== 'active') initSwarm();
    });

    afterAll(() => {
      try {
        docker('stack', 'rm', stackName(spec()));
      } catch {
        /* gone */
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses several hosts and a host-network compose file before anything changes', () => {
      expect(() => checkSwarmSpec({ ...spec(), hosts: ['a', 'b'] })).toThrow(
        /Input 'hosts': strategy swarm deploys through one swarm manager/
      );
      const hostMode = compose.replace('networks: [hostnet]', 'network_mode: host');
      expect(() => checkSwarmSpec({ ...spec(), composeText: hostMode })).toThrow(
        /network_mode: host, which Swarm ignores.*name: host/
      );
    });

    it('deploys v1 and v2: release records, stack.yml with digests, history, active.json on the manager', async () => {
      const one = await deploy(spec(at('v1')), engineDeps());
      expect(one.error?.describe()).toBeUndefined();
      expect(one.ok).toBe(true);
      expect(await servesWithin(enginePort, 'v1')).toBe('v1');
      const two = await deploy(spec(at('v2')), engineDeps());
      expect(two.error?.describe()).toBeUndefined();
      expect(two).toMatchObject({ ok: true, previousReleaseId: one.releaseId });
      expect(await servesWithin(enginePort, 'v2')).toBe('v2');
      const root = `${dir}/${app}/production-eu`;
      expect(JSON.parse(readFileSync(`${root}/active.json`, 'utf8'))).toMatchObject({
        release: two.releaseId,
        strategy: 'swarm',
        project: stackName(spec())
      });
      expect(readFileSync(`${root}/releases/${two.releaseId}/stack.yml`, 'utf8')).toContain(
        digests.v2!.split('@')[1]
      );
      expect(statSync(`${root}/releases/${two.releaseId}/.env`).mode & 0o077).toBe(0);
      const events = history().map((e) => e.event);
      expect(events.filter((e) => e === 'deploy.completed')).toHaveLength(2);
      expect(events).toContain('stack.deployed');
      // The registry login was for each deploy only: nothing stays in the deploy user's own docker config.
      expect(
        existsSync(`${h.home}/.docker/config.json`)
          ? readFileSync(`${h.home}/.docker/config.json`, 'utf8')
          : ''
      ).not.toContain(auth.registry);
      expect(history().find((e) => e.event === 'deploy.completed')).toMatchObject({
        environment: 'Production EU'
      });
    }, 300_000);

    it('a release that never turns healthy is rolled back to the previous stack file, gated, and recorded', async () => {
      const before = await deploy(spec(at('sick')), engineDeps());
      expect(before.ok).toBe(false);
      expect(before.rolledBack).toBe(true);
      expect(before.error?.message).toMatch(
        /swarm stack .* failed: Stack .* (failed to converge|did not converge)/
      );
      expect(before.error?.state).toMatch(
        /serves again \(its stack.yml redeployed; rolled back automatically\)/
      );
      expect(await servesWithin(enginePort, 'v2')).toBe('v2');
      const tail = history()
        .slice(-3)
        .map((e) => e.event);
      expect(tail).toEqual(expect.arrayContaining(['rollback.executed', 'deploy.failed']));
    }, 300_000);

    it('the rollback action re-activates the release before, on the manager, gated', async () => {
      const r = await rollback(
        { ...spec(), to: undefined, dryRun: false, reason: 'test' } as RollbackSpec,
        engineDeps()
      );
      expect(r.error?.describe()).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(await servesWithin(enginePort, 'v1')).toBe('v1');
      expect(history().at(-1)).toMatchObject({ event: 'rollback.executed' });
    }, 300_000);
  });
});

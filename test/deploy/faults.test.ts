import { hostname } from 'node:os';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ConnectionError, type Command, type Executor } from '../../packages/core/src/index.js';
import { deploy, type DeploySpec } from '../../packages/deploy/src/index.js';
import type { SshExecutor } from '../../packages/ssh/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  history,
  squatAs,
  sshConnector,
  stateDir,
  target,
  version
} from './support.js';

/** Every fault must leave the previous release serving, `current` on it, and the history saying what happened. */
integrationOn('faults during a blue-green deploy', [0], () => {
  const app = 'deploy-flt';
  const port = 18340;
  let dir: string;
  let serving: { id: string; version: string };
  const spec = (over: Partial<DeploySpec> = {}) =>
    deploySpec(app, dir, port, { startTimeoutMs: 4000, drainMs: 300, lockTimeoutMs: 2000, ...over });
  const root = () => join(dir, app, 'test');

  async function expectPreviousServing(failedRelease: string): Promise<void> {
    expect(await version(port)).toBe(serving.version);
    expect(readlinkSync(join(root(), 'current'))).toBe(`releases/${serving.id}`);
    const rel = JSON.parse(readFileSync(join(root(), 'releases', failedRelease, 'release.json'), 'utf8'));
    expect(rel.status).toBe('failed');
    const h = history(dir, app).filter((e) => e.release === failedRelease);
    expect(h.map((e) => e.event)).toContain('deploy.started');
    expect(h.at(-1)!.event).toBe('deploy.failed');
    expect(h.some((e) => e.event === 'deploy.completed')).toBe(false);
    // Nothing of the failed release keeps running in the idle slot.
    const idle = execFileSync(
      'docker',
      ['ps', '-q', '--filter', `label=com.docker.compose.project=${app}-test-green`],
      { encoding: 'utf8' }
    );
    expect(idle.trim()).toBe('');
  }

  beforeAll(async () => {
    buildImages();
    dir = stateDir('flt');
    const d = await deploy(spec(), deps());
    if (!d.ok) throw d.error;
    serving = { id: d.releaseId, version: 'v1' };
  }, 120_000);
  afterAll(() => cleanup(dir, app));

  it('a container that crashes on start: the error carries its last log lines', async () => {
    const d = await deploy(spec({ version: 'crash', images: { web: `${IMAGE_REPO}:crash` } }), deps());
    expect(d.ok).toBe(false);
    expect(d.error!.message).toMatch(/crashed on start/);
    expect(d.error!.message).toContain('fatal: config missing');
    expect(d.error!.state).toContain(`release ${serving.id} is serving`);
    await expectPreviousServing(d.releaseId);
  }, 180_000);

  it('a health endpoint that never turns healthy: traffic never moves', async () => {
    const d = await deploy(spec({ version: 'sick', images: { web: `${IMAGE_REPO}:sick` } }), deps());
    expect(d.ok).toBe(false);
    expect(d.rolledBack).toBe(false);
    expect(d.error!.message).toMatch(
      /did not become ready .* within 4s: http:\/\/127\.0\.0\.1:18342\/up does not answer/
    );
    expect(
      history(dir, app)
        .filter((e) => e.release === d.releaseId)
        .some((e) => e.event === 'traffic.switched')
    ).toBe(false);
    await expectPreviousServing(d.releaseId);
  }, 180_000);

  it('a slot port already in use: refused before anything starts, naming who listens', async () => {
    // The deploy user's own process: `ss -p` shows a non-root user only its own processes.
    const squatter = squatAs(target(), port + 2);
    await squatter.ready;
    try {
      const d = await deploy(spec({ version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }), deps());
      expect(d.ok).toBe(false);
      expect(d.error!.message).toMatch(/Slot port 18342 \(green\) is already in use on 127\.0\.0\.1: .*node/);
      expect(await version(port)).toBe(serving.version);
      expect(
        history(dir, app)
          .filter((e) => e.release === d.releaseId)
          .map((e) => e.event)
      ).toEqual(['deploy.failed']);
    } finally {
      squatter.stop();
    }
  }, 180_000);

  it('an unreachable registry during the pull', async () => {
    const d = await deploy(
      spec({ version: 'v2', images: { web: '127.0.0.1:18349/deploy/deploytest:v2' } }),
      deps()
    );
    expect(d.ok).toBe(false);
    expect(d.error!.message).toMatch(
      /Pulling 127\.0\.0\.1:18349\/deploy\/deploytest:v2 \(service web\) on 127\.0\.0\.1 failed/
    );
    expect(d.error!.message).toMatch(/connection refused/i);
    await expectPreviousServing(d.releaseId);
  }, 180_000);

  it('the SSH connection dropped mid-deploy: cleanup rides out the outage', async () => {
    const base = sshConnector();
    let outage = 0;
    const connect = async (host: string): Promise<Executor> => {
      const ssh = (await base(host)) as SshExecutor;
      return {
        target: ssh.target,
        close: () => ssh.close(),
        run: async (c: Command) => {
          if (outage > 0) {
            outage--;
            throw new ConnectionError(`SSH to ${ssh.target} failed: Connection reset by peer (injected)`);
          }
          const r = await ssh.run(c);
          // The start phase: one script whose steps include `compose … -p <app>-test-green … up`.
          if (String(c.stdin ?? '').includes(`-p ${app}-test-green`) && String(c.stdin).includes(' up ')) {
            // The candidate started; now the link goes: kill the master for real, then two refused commands.
            const pid = await ssh.masterPid();
            if (pid) process.kill(pid, 'SIGKILL');
            outage = 2;
            throw new ConnectionError(
              `SSH to ${ssh.target} during 'compose up' failed: Connection closed (injected)`
            );
          }
          return r;
        }
      };
    };
    const d = await deploy(spec({ version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }), deps({ connect }));
    expect(d.ok).toBe(false);
    expect(d.error!.message).toContain('Connection closed (injected)');
    await expectPreviousServing(d.releaseId);
    expect(existsLock()).toBe(false);
  }, 240_000);

  it('two deploys at once: the second waits, then fails naming the holder; the first completes', async () => {
    const first = deploy(spec({ version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }), deps());
    await new Promise((r) => setTimeout(r, 1500));
    const second = await deploy(
      spec({ version: 'v3', images: { web: `${IMAGE_REPO}:v3` }, lockTimeoutMs: 1500 }),
      deps()
    );
    const d1 = await first;
    expect(second.ok).toBe(false);
    expect(second.error!.kind).toBe('lock');
    expect(second.error!.message).toMatch(
      new RegExp(
        `Timed out after 1\\.5s waiting for the deploy lock .* held by deploy of ${d1.releaseId} by tester`
      )
    );
    expect(d1.error?.describe()).toBeUndefined();
    serving = { id: d1.releaseId, version: 'v2' };
    expect(await version(port)).toBe('v2');
  }, 240_000);

  it('a stale lock from another runner (nothing proves it gone): reported with its holder, broken only on request', async () => {
    mkdirSync(join(root(), 'lock'));
    // Silent for an hour, but on another runner and naming no GitHub run: not provably gone (takeover.ts).
    const t = new Date(Date.now() - 3600_000).toISOString();
    writeFileSync(
      join(root(), 'lock', 'holder.json'),
      JSON.stringify({
        token: 'x',
        actor: 'ghost',
        runUrl: 'https://github.com/o/r/actions/runs/1',
        runner: `${hostname()}-elsewhere`,
        pid: 999_999,
        operation: 'deploy',
        release: 'r-dead',
        startedAt: t,
        heartbeatAt: t
      })
    );
    // As a dead run of the deploy user would have left it.
    execFileSync('chown', ['-R', `${target().user}:`, join(root(), 'lock')]);
    const refused = await deploy(spec({ version: 'v3', images: { web: `${IMAGE_REPO}:v3` } }), deps());
    expect(refused.error!.kind).toBe('lock');
    expect(refused.error!.message).toContain(
      'is STALE: held by deploy of r-dead by ghost (https://github.com/o/r/actions/runs/1)'
    );
    expect(refused.error!.message).toContain(`it ran on ${hostname()}-elsewhere, not here`);
    expect(refused.error!.hint).toContain('break-lock: true');
    expect(await version(port)).toBe('v2');

    const d = await deploy(
      spec({ version: 'v3', images: { web: `${IMAGE_REPO}:v3` }, breakLock: true }),
      deps()
    );
    expect(d.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v3');
    const broken = history(dir, app).find((e) => e.event === 'lock.broken');
    expect(broken).toMatchObject({ holder: { actor: 'ghost' } });
  }, 240_000);

  function existsLock(): boolean {
    try {
      readFileSync(join(root(), 'lock', 'holder.json'));
      return true;
    } catch {
      return false;
    }
  }
});

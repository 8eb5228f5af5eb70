import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploy } from '../../packages/deploy/src/index.js';
import { runBundle } from '../support/harness.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  COMPOSE,
  IMAGE_REPO,
  buildImages,
  bundleDeploy,
  cleanup,
  deploySpec,
  deps,
  history,
  target,
  version
} from './support.js';

/**
 * issue 28 item 3 (suspected): a waiter's relay gives up while its detached open phase is still queued on the
 * host's phase lock; the script later takes the deploy lock for a run that is gone. Then no lock may name the
 * failed run, or a later deploy takes it over with a proof (here: the same runner, its pid gone), with no
 * manual step.
 */
function locked(file: string): boolean {
  try {
    execFileSync('flock', ['-n', file, 'true'], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}

integrationOn('an abandoned open phase (issue 28 item 3)', [0], () => {
  const h = target(0);
  const dir = h.stateDir;
  const app = 'errors2-abandon';
  const port = 19750;
  const root = join(dir, app, 'test');
  const phaseLock = `${root}.phase-lock`;
  let workspace = '';
  beforeAll(() => {
    buildImages();
    cleanup(dir, app);
    workspace = mkdtempSync('/tmp/errors2-abandon-ws-');
    mkdirSync(join(workspace, 'deploy'));
    writeFileSync(join(workspace, 'deploy', 'compose.yml'), COMPOSE);
    writeFileSync(join(workspace, 'deploy', '.env'), 'GREETING=hello\n');
  });
  afterAll(() => {
    cleanup(dir, app);
    rmSync(workspace, { recursive: true, force: true });
  });

  it('a deploy that gave up while queued leaves no lock a later deploy cannot take', async () => {
    const v1 = await deploy(deploySpec(app, dir, port), deps());
    expect(v1.error?.describe()).toBeUndefined();
    expect(existsSync(phaseLock)).toBe(true);

    // Something holds the app's phase lock on the host (a long phase of another run), as the deploy user.
    const holder = spawn('runuser', ['-u', h.user, '--', 'flock', phaseLock, 'sleep', '120'], {
      stdio: 'ignore'
    });
    try {
      for (let i = 0; !locked(phaseLock); i++) {
        if (i > 600) throw new Error('the phase lock was never taken');
        await new Promise((r) => setTimeout(r, 50));
      }
      // A deploy (the bundle, in a process of its own) whose open phase waits in the queue until it gives up.
      const gaveUp = await runBundle('deploy-compose', {
        inputs: bundleDeploy(
          { app, port, dir, host: h, tag: 'v2' },
          { timeout: '25s', 'lock-timeout': '5s', 'lock-stale-after': '10s' }
        ),
        workspace
      });
      expect(gaveUp.exitCode).not.toBe(0);
    } finally {
      holder.kill('SIGTERM');
    }
    // The queued open phase now runs on the host for a run that is gone; wait until it is done.
    execFileSync('flock', ['-w', '120', phaseLock, 'true'], { stdio: 'ignore' });
    const left = existsSync(join(root, 'lock', 'holder.json'))
      ? (JSON.parse(readFileSync(join(root, 'lock', 'holder.json'), 'utf8')) as { pid?: number })
      : undefined;

    // A later deploy: no manual step. A lock the gone run left is taken over with a proof.
    const v3 = await deploy(
      deploySpec(app, dir, port, {
        version: 'v3',
        images: { web: `${IMAGE_REPO}:v3` },
        lockStaleMs: 10_000,
        lockTimeoutMs: 60_000
      }),
      deps()
    );
    expect(v3.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v3');
    if (left) expect(history(dir, app).some((e) => e.event === 'lock.taken-over')).toBe(true);
    expect(existsSync(join(root, 'lock', 'holder.json'))).toBe(false);
  }, 400_000);
});

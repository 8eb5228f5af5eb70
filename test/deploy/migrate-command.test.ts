import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploy, migrateContainerName } from '../../packages/deploy/src/index.js';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { infra } from '../support/infra.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  IMAGE_REPO,
  bundleDeploy,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  history,
  load,
  severalHosts,
  sshConnector,
  stateDir,
  target,
  version
} from './support.js';

/**
 * migrate-command on the field hosts (non-root user, slow login shell, 50 ms each way), real dockerd and
 * nginx: a one-off container of the new release's image, with its env file and its named volume, before
 * any traffic moves.
 */

/** The test app with a named volume (`data`), pinned by the deploy to `<app>-<env>_data` for every release. */
const COMPOSE_VOL = `services:
  web:
    image: ${IMAGE_REPO}:v1
    network_mode: host
    stop_grace_period: 2s
    env_file: .env
    environment:
      PORT: \${PORT:-8080}
    volumes:
      - data:/data
volumes:
  data:
`;
const ENV = 'GREETING=hello-mc\nAPI_TOKEN=tok-mc-5ecr3t\n';

function volumeDir(name: string): string {
  return execFileSync('docker', ['volume', 'inspect', '-f', '{{.Mountpoint}}', name], {
    encoding: 'utf8'
  }).trim();
}

function removeVolume(name: string): void {
  try {
    execFileSync('docker', ['volume', 'rm', '-f', name], { stdio: 'ignore' });
  } catch {
    /* gone */
  }
}

/** Poll the public port and keep when each answer was first seen (ms since epoch). */
function watch(port: number): { stop(): Promise<Map<string, number>> } {
  const first = new Map<string, number>();
  let on = true;
  const loop = (async () => {
    while (on) {
      const v = await version(port);
      if (!first.has(v)) first.set(v, Date.now());
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      on = false;
      await loop;
      return first;
    }
  };
}

/** Containers whose name starts with `prefix`, stopped ones too. */
function containers(prefix: string): string[] {
  return execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}', '--filter', `name=${prefix}`], {
    encoding: 'utf8'
  })
    .split('\n')
    .filter((n) => n.startsWith(prefix));
}

integrationOn(
  'migrate-command: the app’s own migration in the new release, before traffic moves',
  [0, 1],
  () => {
    beforeAll(() => buildImages());

    it('writes through the named volume with the env file, before the switch, and records it', async () => {
      const app = 'mc-order';
      const port = 18600;
      const dir = stateDir(app);
      const vol = `${app}-test_data`;
      cleanup(dir, app);
      removeVolume(vol);
      try {
        const base = deploySpec(app, dir, port, { composeText: COMPOSE_VOL, envText: ENV });
        const d1 = await deploy(base, deps());
        expect(d1.error?.describe()).toBeUndefined();
        expect(await version(port)).toBe('v1');

        const logger = deps().logger;
        const seen = watch(port);
        const d2 = await deploy(
          {
            ...base,
            version: 'v2',
            images: { web: `${IMAGE_REPO}:v2` },
            migrate: {
              // Runs in the container: what it serves at that moment, the env file's value, the token (masked).
              command: [
                'sh',
                '-c',
                'echo "migrating with $GREETING token $API_TOKEN"; wget -qO- "http://127.0.0.1:' +
                  port +
                  '/" > /data/serving-during-migration; echo "migrated $GREETING" >> /data/migrations.log'
              ],
              service: 'web',
              timeoutMs: 60_000
            }
          },
          deps({ logger })
        );
        const first = await seen.stop();
        expect(d2.error?.describe()).toBeUndefined();
        expect(d2.ok).toBe(true);
        expect(await version(port)).toBe('v2');

        const data = volumeDir(vol);
        expect(readFileSync(join(data, 'migrations.log'), 'utf8')).toBe('migrated hello-mc\n');
        // While it ran, the old release was the one serving.
        expect(readFileSync(join(data, 'serving-during-migration'), 'utf8').trim()).toBe('v1');
        // The order, by the clock: the file was written before the proxy first answered v2, and before the
        // switch was recorded.
        const written = statSync(join(data, 'migrations.log')).mtimeMs;
        const v2At = first.get('v2')!;
        expect(v2At).toBeDefined();
        expect(written).toBeLessThan(v2At);
        const story = history(dir, app).filter((e) => e.release === d2.releaseId);
        const switched = story.find((e) => e.event === 'traffic.switched')!;
        expect(written).toBeLessThan(Date.parse(String(switched.time)));
        const events = story.map((e) => e.event);
        expect(events.indexOf('migration.applied')).toBeGreaterThan(-1);
        expect(events.indexOf('migration.applied')).toBeLessThan(events.indexOf('release.started'));

        // History, release record, outcome and event all say what ran, where, how it ended and how long.
        const applied = story.find((e) => e.event === 'migration.applied')!;
        expect(applied).toMatchObject({
          service: 'web',
          host: '127.0.0.1',
          // On the host network it runs in a compose project of its own (migrate.ts, migrateProject).
          project: `${app}-test-green-migrate`,
          exitCode: 0
        });
        expect(applied.command).toContain("sh -c 'echo");
        expect(Number(applied.durationMs)).toBeGreaterThan(0);
        const record = JSON.parse(
          readFileSync(join(dir, app, 'test', 'releases', d2.releaseId, 'release.json'), 'utf8')
        );
        expect(record.status).toBe('deployed');
        expect(record.migration).toMatchObject({ service: 'web', host: '127.0.0.1', exitCode: 0 });
        expect(d2.migration).toMatchObject({ exitCode: 0, host: '127.0.0.1' });
        expect(d2.events.map((e) => e.type)).toContain('migration.applied');

        // Its output reached the log as it ran, with the env file's secret values masked.
        const text = logger.text();
        expect(text).toContain('127.0.0.1 | migrating with *** token ***');
        expect(text).not.toContain('tok-mc-5ecr3t');
        // No one-off container is left behind.
        expect(containers(`${app}-test-green-migrate-`)).toEqual([]);
      } finally {
        cleanup(dir, app);
        removeVolume(vol);
      }
    }, 300_000);

    it('a failing command (exit 3) fails the deploy before the switch, the old release serving throughout', async () => {
      const app = 'mc-fail';
      const port = 18610;
      const dir = stateDir(app);
      cleanup(dir, app);
      try {
        const base = deploySpec(app, dir, port);
        const d1 = await deploy(base, deps());
        expect(d1.error?.describe()).toBeUndefined();

        const traffic = load(port, 20);
        const d2 = await deploy(
          {
            ...base,
            version: 'v2',
            images: { web: `${IMAGE_REPO}:v2` },
            migrate: { command: ['sh', '-c', 'echo boom; exit 3'], service: 'web', timeoutMs: 60_000 }
          },
          deps()
        );
        const seen = watch(port);
        await new Promise((r) => setTimeout(r, 300));
        const after = await seen.stop();
        const served = await traffic.stop();
        expect(d2.ok).toBe(false);
        expect(d2.rolledBack).toBe(false);
        const message = d2.error!.describe();
        expect(message).toContain(
          `migrate-command sh -c 'echo boom; exit 3' failed on 127.0.0.1 with exit 3`
        );
        expect(message).toContain('boom');
        expect(message).toContain(`State: release ${d1.releaseId} is serving on 127.0.0.1`);
        // Every request during the deploy got the old release.
        expect(served.total).toBeGreaterThan(10);
        expect(served.failures).toEqual([]);
        expect([...after.keys()]).toEqual(['v1']);

        const story = history(dir, app).filter((e) => e.release === d2.releaseId);
        const events = story.map((e) => e.event);
        expect(events).toContain('migration.failed');
        expect(events).not.toContain('release.started');
        expect(events).not.toContain('traffic.switched');
        expect(events.at(-1)).toBe('deploy.failed');
        expect(story.find((e) => e.event === 'migration.failed')).toMatchObject({ exitCode: 3 });
        const record = JSON.parse(
          readFileSync(join(dir, app, 'test', 'releases', d2.releaseId, 'release.json'), 'utf8')
        );
        expect(record).toMatchObject({ status: 'failed', migration: { exitCode: 3 } });
        expect(existsSync(join(dir, app, 'test', 'lock'))).toBe(false);
        expect(d2.migration).toMatchObject({ exitCode: 3 });
      } finally {
        cleanup(dir, app);
      }
    }, 300_000);

    it('a hanging command is killed at migrate-timeout, its container removed, the lock released', async () => {
      const app = 'mc-hang';
      const port = 18620;
      const dir = stateDir(app);
      cleanup(dir, app);
      try {
        const base = deploySpec(app, dir, port);
        const d1 = await deploy(base, deps());
        expect(d1.error?.describe()).toBeUndefined();

        const d2 = await deploy(
          {
            ...base,
            version: 'v2',
            images: { web: `${IMAGE_REPO}:v2` },
            migrate: { command: ['sleep', '600'], service: 'web', timeoutMs: 3000 }
          },
          deps()
        );
        expect(d2.ok).toBe(false);
        const message = d2.error!.describe();
        expect(message).toContain(
          'migrate-command sleep 600 ran out of time on 127.0.0.1: migrate-timeout 3s reached'
        );
        const name = migrateContainerName(`${app}-test-green`, d2.releaseId);
        expect(message).toContain(`its container ${name} was killed and removed`);
        expect(containers(name)).toEqual([]);
        expect(await version(port)).toBe('v1');
        expect(existsSync(join(dir, app, 'test', 'lock'))).toBe(false);
        expect(history(dir, app).find((e) => e.event === 'migration.failed')).toMatchObject({
          release: d2.releaseId,
          timedOut: true
        });

        // The next deploy takes the lock at once: nothing to break.
        const d3 = await deploy(
          { ...base, version: 'v3', images: { web: `${IMAGE_REPO}:v3` }, lockTimeoutMs: 1000 },
          deps()
        );
        expect(d3.error?.describe()).toBeUndefined();
        expect(await version(port)).toBe('v3');
        expect(history(dir, app).some((e) => e.event === 'lock.broken')).toBe(false);
      } finally {
        cleanup(dir, app);
      }
    }, 300_000);

    it('with two hosts it runs once, on the first, and says so', async () => {
      const app = 'mc-two';
      const vol = `${app}-test_data`;
      // One dockerd serves both hosts: each its own state dir, ports and projects; the pinned volume is one.
      const ports = [18630, 18640];
      const { hosts, forHost } = severalHosts(ports);
      const clean = () => {
        cleanup(target(0).stateDir, app, 'test-h1');
        cleanup(target(1).stateDir, app, 'test-h2');
        removeVolume(vol);
      };
      clean();
      try {
        const d = deploySpec(app, target(0).stateDir, ports[0]!, {
          hosts,
          composeText: COMPOSE_VOL,
          envText: ENV,
          migrate: {
            command: ['sh', '-c', 'echo "ran on $(hostname)" >> /data/runs.log'],
            service: 'web',
            timeoutMs: 60_000
          }
        });
        const d1 = await deploy(d, deps({ connect: sshConnector(), forHost }));
        expect(d1.error?.describe()).toBeUndefined();
        for (const p of ports) expect(await version(p)).toBe('v1');
        expect(
          readFileSync(join(volumeDir(vol), 'runs.log'), 'utf8')
            .trim()
            .split('\n')
        ).toHaveLength(1);
        expect(d1.migration).toMatchObject({
          host: hosts[0],
          exitCode: 0,
          project: `${app}-test-h1-blue-migrate`
        });

        const story = (i: number) =>
          readFileSync(join(target(i).stateDir, app, `test-h${i + 1}`, 'history.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { event: string; host: string });
        expect(story(0).filter((e) => e.event === 'migration.applied')).toHaveLength(1);
        expect(story(1).filter((e) => e.event.startsWith('migration.'))).toEqual([]);
        // Both release records name the one host it ran on.
        for (const i of [0, 1]) {
          const rec = JSON.parse(
            readFileSync(
              join(target(i).stateDir, app, `test-h${i + 1}`, 'releases', d1.releaseId, 'release.json'),
              'utf8'
            )
          );
          expect(rec.migration).toMatchObject({ host: hosts[0] });
        }
      } finally {
        clean();
      }
    }, 300_000);
  }
);

integrationOn('migrate-command through the deploy-compose bundle', [0], () => {
  const app = 'mc-act';
  const port = 18660;
  let dir: string;
  let workspace: string;
  beforeAll(() => {
    buildImages();
    dir = stateDir(app);
    cleanup(dir, app);
    workspace = mkdtempSync('/tmp/deploy-actions-test-mc-ws-');
    mkdirSync(join(workspace, 'deploy'));
    writeFileSync(join(workspace, 'deploy', 'compose.yml'), COMPOSE_VOL);
    writeFileSync(join(workspace, 'deploy', '.env'), ENV);
  });
  afterAll(() => {
    cleanup(dir, app);
    removeVolume(`${app}-test_data`);
    rmSync(workspace, { recursive: true, force: true });
  });
  const inputs = (tag: string, over: Record<string, string> = {}) =>
    bundleDeploy(
      { app, port, dir, tag },
      {
        strategy: 'recreate',
        'image-check': 'pull',
        'health-expect-body': tag,
        'start-timeout': '15s',
        ...over
      }
    );
  const errorOf = (run: Awaited<ReturnType<typeof runBundle>>) =>
    run.annotations.filter((a) => a.level === 'error').at(-1)?.message ?? '';

  it('refuses unbalanced quotes, an operator, an unknown service before the host is touched', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ 'migrate-command': "sh -c 'exit 3" }, "Input 'migrate-command': has an unclosed '"],
      [{ 'migrate-command': 'bin/migrate && bin/seed' }, "Input 'migrate-command': has `&&` outside quotes"],
      [
        { 'migrate-command': 'bin/migrate', 'migrate-service': 'db' },
        `Input 'migrate-service': "db" is not a service of compose-file (it defines web)`
      ]
    ];
    for (const [over, want] of cases) {
      const run = await runBundle('deploy-compose', { inputs: inputs('v1', over), workspace });
      expect(run.exitCode).toBe(1);
      expect(errorOf(run)).toContain(want);
      expect(errorOf(run)).toContain('Fix: ');
    }
    expect(
      errorOf(
        await runBundle('deploy-compose', { inputs: inputs('v1', { 'migrate-command': 'a | b' }), workspace })
      )
    ).toContain("wrap it in `sh -c '…'` yourself");
    // Nothing of the app exists on the host.
    expect(existsSync(join(dir, app))).toBe(false);
  }, 120_000);

  it('recreate: runs while the old release still serves, streams its output masked, and reports it', async () => {
    const d1 = await runBundle('deploy-compose', { inputs: inputs('v1'), workspace });
    expect(errorOf(d1)).toBe('');
    expect(await version(port)).toBe('v1');
    const d2 = await runBundle('deploy-compose', {
      inputs: inputs('v2', {
        'migrate-command': `sh -c 'echo "token $API_TOKEN"; wget -qO- http://127.0.0.1:${port}/ > /data/seen'`,
        'migrate-timeout': '2m'
      }),
      workspace
    });
    expect(errorOf(d2)).toBe('');
    expect(d2.exitCode).toBe(0);
    expect(await version(port)).toBe('v2');
    // Under recreate it runs before the old container is stopped: it saw v1 answer.
    expect(readFileSync(join(volumeDir(`${app}-test_data`), 'seen'), 'utf8').trim()).toBe('v1');
    expect(d2.log).toContain(`| token ***`);
    expect(d2.summary).toMatch(
      /\| migrate-command \| `sh -c .*` on 127\.0\.0\.1:\d+ \(service web\): exit 0 after /
    );
    expect(leakedSecrets(d2, ['tok-mc-5ecr3t', infra().registries[0]!.password])).toEqual([]);
  }, 240_000);
});

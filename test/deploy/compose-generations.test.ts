import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { deploy, rollback } from '../../packages/deploy/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import { infra } from '../support/infra.js';
import {
  COMPOSE,
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  history,
  rollbackSpec,
  target,
  version
} from './support.js';

/**
 * Each Compose generation as the field runs it: the v2 plugin in the deploy user's ~/.docker/cli-plugins
 * (hosts 1–3), docker-compose v1 on the legacy host (host 4). Which one ran is read back from the containers:
 * compose labels each with its own version, and names them `<project>-web-1` (v2) or `<project>_web_1` (v1).
 */
function running(project: string): { name: string; compose: string }[] {
  return execFileSync(
    'docker',
    [
      'ps',
      '--filter',
      `label=com.docker.compose.project=${project}`,
      '--format',
      '{{.Names}} {{.Label "com.docker.compose.version"}}'
    ],
    { encoding: 'utf8' }
  )
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name = '', compose = ''] = l.split(' ');
      return { name, compose };
    });
}

integrationOn(
  'Compose v2: a private-registry image, pulled with a private login, run by the plugin',
  [0],
  () => {
    const h = target(0);
    const app = 'cv2-private';
    const port = 18960;
    const reg = () => infra().registries[0]!;
    let ref: string;
    beforeAll(() => {
      buildImages();
      // Under a repository and tag of its own, then removed here: the host (same dockerd) lacks it, and the
      // deploy user has no login of their own for the registry. Only the deploy's login can fetch it.
      ref = `${reg().host}/deploy/compose-v2-private:t${process.pid}`;
      const cfg = mkdtempSync('/tmp/deploy-actions-test-cv2priv-');
      const env = { ...process.env, DOCKER_CONFIG: cfg };
      execFileSync('docker', ['login', reg().host, '--username', reg().username, '--password-stdin'], {
        input: reg().password,
        stdio: ['pipe', 'ignore', 'pipe'],
        env
      });
      execFileSync('docker', ['tag', `${IMAGE_REPO}:v1`, ref]);
      execFileSync('docker', ['push', '-q', ref], { stdio: ['ignore', 'ignore', 'pipe'], env });
      execFileSync('docker', ['image', 'rm', ref], { stdio: 'ignore' });
      rmSync(cfg, { recursive: true, force: true });
    });
    afterAll(() => {
      cleanup(h.stateDir, app);
      try {
        execFileSync('docker', ['image', 'rm', '-f', ref], { stdio: 'ignore' });
      } catch {
        /* gone */
      }
    });

    it('deploys it: login and pull under a private DOCKER_CONFIG, compose under the user’s own', async () => {
      // Private: the deploy user, with no login of their own, cannot pull it.
      expect(() =>
        execFileSync('runuser', ['-u', h.user, '--', 'env', `HOME=${h.home}`, 'docker', 'pull', '-q', ref], {
          stdio: ['ignore', 'ignore', 'pipe']
        })
      ).toThrow(/no basic auth credentials|unauthorized|authentication required/i);
      const d = deps();
      const out = await deploy(
        deploySpec(app, h.stateDir, port, { images: { web: ref }, lockStaleMs: 600_000 }),
        d
      );
      expect(out.error?.describe()).toBeUndefined();
      expect(await version(port)).toBe('v1');
      expect(out.digests.web).toMatch(/\/deploy\/compose-v2-private@sha256:[0-9a-f]{64}$/);
      // The plugin ran it: v2's label and its `-` names.
      expect(d.logger.text()).toMatch(/compose: docker compose 2\.\d+\.\d+\S* \(v2\)/);
      const web = running(`${app}-test-blue`);
      expect(web).toHaveLength(1);
      expect(web[0]!.name).toBe(`${app}-test-blue-web-1`);
      expect(web[0]!.compose).toMatch(/^2\.\d+\.\d+/);
      // The login did not stay: not in the user's config, and the private config dir is gone.
      const own = join(h.home, '.docker', 'config.json');
      if (existsSync(own)) expect(readFileSync(own, 'utf8')).not.toContain(reg().host);
      expect(readdirSync(join(h.stateDir, app, 'test')).filter((f) => f.startsWith('.docker-'))).toEqual([]);
      // And the plugin is still where docker looks for it.
      expect(existsSync(join(h.home, '.docker', 'cli-plugins', 'docker-compose'))).toBe(true);
    }, 200_000);
  }
);

/** The test app with a named volume, which migrate-command writes through. */
const COMPOSE_VOL = `${COMPOSE}    volumes:
      - data:/data
volumes:
  data:
`;

integrationOn('Compose v1 on the legacy host: deploy, migrate-command, rollback (smoke)', [3], () => {
  const h = target(3);
  const app = 'cv1-smoke';
  const port = 18970;
  const vol = `${app}-test_data`;
  const removeVolume = () => {
    try {
      execFileSync('docker', ['volume', 'rm', '-f', vol], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
  };
  beforeAll(() => {
    buildImages();
    cleanup(h.stateDir, app);
    removeVolume();
  });
  afterAll(() => {
    cleanup(h.stateDir, app);
    removeVolume();
  });

  it('deploys, runs the migration in the new release before the switch, and rolls back', async () => {
    const base = deploySpec(app, h.stateDir, port, {
      hosts: [`127.0.0.1:${h.port}`],
      composeText: COMPOSE_VOL,
      lockStaleMs: 600_000
    });
    const d = deps();
    const first = await deploy(base, d);
    expect(first.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
    expect(d.logger.text()).toMatch(/compose: docker-compose 1\.\d+\.\d+ \(v1\)/);
    const blue = running(`${app}-test-blue`);
    expect(blue).toHaveLength(1);
    expect(blue[0]!.name).toBe(`${app}-test-blue_web_1`);
    expect(blue[0]!.compose).toMatch(/^1\.\d+\.\d+/);

    const second = await deploy(
      {
        ...base,
        version: 'v2',
        images: { web: `${IMAGE_REPO}:v2` },
        migrate: {
          command: ['sh', '-c', 'echo "migrated by $(cat /www/index.html)" >> /data/migrations.log'],
          service: 'web',
          timeoutMs: 60_000
        }
      },
      deps()
    );
    expect(second.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');
    expect(second.migration).toMatchObject({ exitCode: 0 });
    const mount = execFileSync('docker', ['volume', 'inspect', '-f', '{{.Mountpoint}}', vol], {
      encoding: 'utf8'
    }).trim();
    expect(readFileSync(join(mount, 'migrations.log'), 'utf8')).toBe('migrated by v2\n');
    const events = history(h.stateDir, app)
      .filter((e) => e.release === second.releaseId)
      .map((e) => e.event);
    expect(events.indexOf('migration.applied')).toBeGreaterThan(-1);
    expect(events.indexOf('migration.applied')).toBeLessThan(events.indexOf('traffic.switched'));

    const rb = await rollback(rollbackSpec(base), deps());
    expect(rb.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
    expect(running(`${app}-test-blue`).map((c) => c.compose)).toEqual([expect.stringMatching(/^1\./)]);
  }, 300_000);
});

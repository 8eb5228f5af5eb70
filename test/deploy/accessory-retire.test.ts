import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { infra } from '../support/infra.js';
import { deploy, type DeploySpec } from '../../packages/deploy/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  get,
  history,
  target,
  version
} from './support.js';

/**
 * issue 28 item 5: the first deploy that detects accessories retired the serving release's own copy of its
 * database (run in its slot, before accessories existed) before anything was verified, and nothing restored it.
 * A release that then failed (its migration, its gate) left the serving release without its database.
 */
/** The store's image, from the lab's registry: a first deploy with accessories off pulls every service. */
const STORE_IMAGE = '127.0.0.1:5055/deploy/errors2-store:1';

function pushStore(): void {
  const reg = infra().registries[0]!;
  const dir = mkdtempSync('/tmp/errors2-store-');
  const env = { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') };
  try {
    execFileSync('docker', ['login', reg.host, '--username', reg.username, '--password-stdin'], {
      input: reg.password,
      stdio: ['pipe', 'ignore', 'pipe'],
      env
    });
    execFileSync('docker', ['tag', 'deploy-actions/busybox:latest', STORE_IMAGE], { env });
    execFileSync('docker', ['push', '-q', STORE_IMAGE], { stdio: ['ignore', 'ignore', 'pipe'], env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function compose(storePort: number): string {
  return `services:
  web:
    image: ${IMAGE_REPO}:v1
    network_mode: host
    stop_grace_period: 2s
    environment:
      PORT: \${PORT:-8080}
    depends_on: [store]
  store:
    image: ${STORE_IMAGE}
    network_mode: host
    stop_grace_period: 1s
    volumes:
      - storedata:/data
    command: ['sh', '-c', 'date >> /data/boots; exec httpd -f -p 127.0.0.1:${storePort} -h /data']
volumes:
  storedata: {}
`;
}

function running(project: string, service: string): string[] {
  return execFileSync(
    'docker',
    [
      'ps',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${project}`,
      '--filter',
      `label=com.docker.compose.service=${service}`
    ],
    { encoding: 'utf8' }
  )
    .trim()
    .split('\n')
    .filter(Boolean);
}

function removeAll(app: string): void {
  const ids = execFileSync(
    'docker',
    ['ps', '-aq', '--filter', `label=com.docker.compose.project=${app}-test-accessories`],
    {
      encoding: 'utf8'
    }
  )
    .trim()
    .split('\n')
    .filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  for (const v of execFileSync('docker', ['volume', 'ls', '-q', '--filter', `name=${app}-test`], {
    encoding: 'utf8'
  })
    .trim()
    .split('\n')
    .filter(Boolean))
    execFileSync('docker', ['volume', 'rm', '-f', v], { stdio: 'ignore' });
}

integrationOn('the first deploy that detects accessories (issue 28 item 5)', [0], () => {
  const dir = target(0).stateDir;
  const app = 'errors2-accret';
  const port = 19740;
  const storePort = 19749;
  beforeAll(() => {
    buildImages();
    pushStore();
    cleanup(dir, app);
    removeAll(app);
  });
  afterAll(() => {
    cleanup(dir, app);
    removeAll(app);
  });

  const spec = (over: Partial<DeploySpec>) =>
    deploySpec(app, dir, port, { composeText: compose(storePort), lockStaleMs: 600_000, ...over });

  it('a failing migration leaves the serving release with its database running', async () => {
    // v1 with accessories off: the store runs in v1's slot, beside it.
    const v1 = await deploy(spec({ accessories: ['none'] }), deps());
    expect(v1.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
    expect(running(`${app}-test-blue`, 'store')).toHaveLength(1);
    expect((await get(storePort, '/boots')).status).toBe(200);

    // v2 detects the store as an accessory, and its migration fails.
    const log = deps();
    const v2 = await deploy(
      spec({
        version: 'v2',
        images: { web: `${IMAGE_REPO}:v2` },
        migrate: { command: ['sh', '-c', 'echo migration-broken; exit 1'], service: 'web', timeoutMs: 60_000 }
      }),
      log
    );
    expect(v2.ok).toBe(false);
    expect(v2.error!.message).toContain('exit 1');
    expect(log.logger.text()).toMatch(/accessories detected: store/);
    // v1 keeps serving, with its own database: its slot's store runs and answers, and no second copy does.
    expect(await version(port)).toBe('v1');
    expect(running(`${app}-test-blue`, 'store')).toHaveLength(1);
    expect(running(`${app}-test-accessories`, 'store')).toHaveLength(0);
    expect((await get(storePort, '/boots')).status).toBe(200);
    expect(history(dir, app).some((e) => e.event === 'accessories.restored')).toBe(true);

    // A later deploy that passes retires v1's copy for good: the accessory serves, the slot runs the app alone.
    const v3 = await deploy(spec({ version: 'v3', images: { web: `${IMAGE_REPO}:v3` } }), deps());
    expect(v3.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v3');
    expect(running(`${app}-test-accessories`, 'store')).toHaveLength(1);
    expect(
      execFileSync(
        'docker',
        [
          'ps',
          '-aq',
          '--filter',
          `label=com.docker.compose.project=${app}-test-blue`,
          '--filter',
          'label=com.docker.compose.service=store'
        ],
        { encoding: 'utf8' }
      ).trim()
    ).toBe('');
    expect((await get(storePort, '/boots')).status).toBe(200);
  }, 400_000);
});

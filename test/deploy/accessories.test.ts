import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../packages/core/src/index.js';
import { parseComposeFile, composeUpArgv } from '../../packages/compose/src/index.js';
import {
  accessoryChanges,
  chooseAccessories,
  deploy,
  ensureNetworkArgv,
  networkOverride,
  parseAccessoryState,
  pullIfMissingArgv,
  releaseFiles,
  releaseUpOptions,
  rollback,
  type DeploySpec
} from '../../packages/deploy/src/index.js';
import { infra } from '../support/infra.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  get,
  rollbackSpec,
  target,
  version
} from './support.js';

/** The app (busybox httpd) and a stateful accessory: an httpd serving its named volume, logging each boot. */
function compose(storePort: number, storeSpec = 'one', network = true): string {
  return `services:
  web:
    image: ${IMAGE_REPO}:v1
    ${network ? 'network_mode: host' : ''}
    stop_grace_period: 2s
    environment:
      PORT: \${PORT:-8080}
    depends_on: [store]
  store:
    image: deploy-actions/busybox:latest
    ${network ? 'network_mode: host' : ''}
    stop_grace_period: 1s
    environment:
      STORE_SPEC: ${storeSpec}
    volumes:
      - storedata:/data
    command: ['sh', '-c', 'date >> /data/boots; exec httpd -f -p 127.0.0.1:${storePort} -h /data']
volumes:
  storedata: {}
`;
}

function containers(project: string, service?: string): string[] {
  const filters = ['--filter', `label=com.docker.compose.project=${project}`];
  if (service) filters.push('--filter', `label=com.docker.compose.service=${service}`);
  return execFileSync('docker', ['ps', '-q', '--no-trunc', ...filters], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean);
}

function services(project: string): string[] {
  return execFileSync(
    'docker',
    [
      'ps',
      '-a',
      '--filter',
      `label=com.docker.compose.project=${project}`,
      '--format',
      '{{.Label "com.docker.compose.service"}}'
    ],
    { encoding: 'utf8' }
  )
    .trim()
    .split('\n')
    .filter(Boolean);
}

function inStore(app: string, script: string): string {
  const [id] = containers(`${app}-test-accessories`, 'store');
  return execFileSync('docker', ['exec', id!, 'sh', '-c', script], { encoding: 'utf8' }).trim();
}

describe('accessories: which services, and the argv', () => {
  const info = parseComposeFile(compose(1));

  it('declared by name, or detected as the services whose image the deploy does not set', () => {
    expect(chooseAccessories(['store'], info, { web: 'r/web:1' })).toEqual({
      accessories: ['store'],
      how: 'declared'
    });
    expect(chooseAccessories([], info, { web: 'r/web:1' })).toEqual({
      accessories: ['store'],
      how: 'detected'
    });
    // No `images`: nothing tells the app from the rest, so nothing is detected.
    expect(chooseAccessories([], info, {}).accessories).toEqual([]);
    expect(chooseAccessories(['none'], info, { web: 'r/web:1' }).accessories).toEqual([]);
  });

  it('refuses bad accessories, naming the input', () => {
    const refused = (list: string[], images: Record<string, string> = { web: 'r/web:1' }) => {
      try {
        chooseAccessories(list, info, images);
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        expect((err as InputError).input).toBe('accessories');
        return (err as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refused(['db'])).toMatch(/"db" is not a service of compose-file \(its services: web, store\)/);
    expect(refused(['store;rm -rf /'])).toMatch(/is not a service name/);
    expect(refused(['store', 'store'])).toMatch(/twice/);
    expect(refused(['web', 'store'], {})).toMatch(/every service/);
    expect(refused(['store'], { web: 'r/web:1', store: 'r/store:1' })).toMatch(/also has an image/);
  });

  it('slots start only the release services; the accessories project its own, with --no-deps', () => {
    const release = { images: { web: 'r/web@sha256:1' }, accessories: ['store'] };
    expect(releaseUpOptions(release)).toEqual({ removeOrphans: true, noDeps: true, services: ['web'] });
    // A release from before accessories (its images include the store) still leaves the store alone.
    expect(releaseUpOptions({ images: { web: 'a', store: 'b' } }, ['store']).services).toEqual(['web']);
    expect(releaseUpOptions({ images: { web: 'a' } })).toEqual({ removeOrphans: true });
    expect(
      composeUpArgv(
        { generation: 'v2', version: '2.29.1' },
        { project: 'shop-production-accessories', files: ['/r/compose.yml'] },
        { noDeps: true, services: ['store'] }
      )
    ).toEqual([
      'docker',
      'compose',
      '-p',
      'shop-production-accessories',
      '-f',
      '/r/compose.yml',
      'up',
      '-d',
      '--no-deps',
      'store'
    ]);
  });

  it('bridge networks: one shared external network the deploy creates, so slots reach accessories by name', () => {
    const bridged = parseComposeFile(compose(1, 'one', false));
    const d = deploySpec('fa-accnet', '/s', 18890, { composeText: compose(1, 'one', false) });
    const files = releaseFiles(d, bridged, ['store']);
    expect(files.overrides).toEqual(['compose.images.yml', 'compose.volumes.yml', 'compose.network.yml']);
    expect(files.extra.find((f) => f.name === 'compose.network.yml')!.content).toBe(
      networkOverride('fa-accnet-test')
    );
    expect(networkOverride('fa-accnet-test')).toContain('external: true');
    expect(ensureNetworkArgv('fa-accnet-test')).toEqual([
      'sh',
      '-c',
      'docker network inspect "$1" >/dev/null 2>&1 || docker network create "$1" >/dev/null',
      'sh',
      'fa-accnet-test'
    ]);
    // Host networking (this lab): no network to share.
    expect(releaseFiles(d, info, ['store']).overrides).toEqual(['compose.images.yml', 'compose.volumes.yml']);
  });

  it('tells kept, started and recreated accessories apart by container id', () => {
    const before = parseAccessoryState('store aaa h1\ncache bbb h2\n');
    const after = parseAccessoryState('store ccc h9\ncache bbb h2\nqueue ddd h3\n');
    expect(accessoryChanges(['store', 'cache', 'queue'], before, after)).toEqual({
      started: ['queue'],
      recreated: ['store'],
      kept: ['cache']
    });
  });
});

integrationOn('accessories on a field host (non-root, far link)', [0], () => {
  const dir = target(0).stateDir;
  beforeAll(() => buildImages());
  afterAll(() => {
    for (const app of ['fa-acc', 'fa-accrc', 'fa-accmig', 'fa-accpriv']) {
      cleanup(dir, app);
      for (const id of containers(`${app}-test-accessories`))
        execFileSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
      execFileSync('docker', ['volume', 'rm', '-f', `${app}-test_storedata`], { stdio: 'ignore' });
    }
  });

  const spec = (app: string, port: number, storePort: number, over: Partial<DeploySpec> = {}) =>
    deploySpec(app, dir, port, { composeText: compose(storePort), lockStaleMs: 600_000, ...over });

  it('keep their data and their container across blue-green, rolling and rollback; a spec change recreates only them', async () => {
    const app = 'fa-acc';
    const port = 18800;
    const storePort = 18809;
    const base = spec(app, port, storePort);
    const d1 = deps();
    const first = await deploy(base, d1);
    expect(first.error?.describe()).toBeUndefined();
    expect(d1.logger.text()).toMatch(/accessories detected: store/);
    expect(await version(port)).toBe('v1');
    const [store] = containers(`${app}-test-accessories`, 'store');
    expect(store).toBeTruthy();
    inStore(app, 'echo kept-value > /data/k1');
    expect((await get(storePort, '/k1')).body.trim()).toBe('kept-value');
    // The slot runs the app alone.
    expect(services(`${app}-test-blue`)).toEqual(['web']);
    // The host records each accessory's container and compose config hash.
    const recorded = readFileSync(join(dir, app, 'test', 'accessories.state'), 'utf8');
    expect(recorded).toMatch(new RegExp(`^store ${store} [0-9a-f]{64}$`, 'm'));

    const unchanged = async (label: string) => {
      expect([label, containers(`${app}-test-accessories`, 'store')]).toEqual([label, [store]]);
      expect([label, inStore(app, 'wc -l < /data/boots')]).toEqual([label, '1']);
      expect([label, (await get(storePort, '/k1')).body.trim()]).toEqual([label, 'kept-value']);
      expect([label, inStore(app, 'cat /data/k1')]).toEqual([label, 'kept-value']);
    };

    const d2 = deps();
    const bg = await deploy({ ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }, d2);
    expect(bg.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');
    expect(services(`${app}-test-green`)).toEqual(['web']);
    expect(d2.logger.text()).toMatch(/kept store running \(spec unchanged\)/);
    await unchanged('blue-green');

    const rolling = await deploy(
      { ...base, strategy: 'rolling', version: 'v3', images: { web: `${IMAGE_REPO}:v3` } },
      deps()
    );
    expect(rolling.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v3');
    await unchanged('rolling');

    const rb = await rollback(rollbackSpec(base), deps());
    expect(rb.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');
    await unchanged('rollback');

    // The accessory's spec changes: only it is recreated, on the same volume.
    const d5 = deps();
    const changed = await deploy(
      {
        ...base,
        composeText: compose(storePort, 'two'),
        version: 'v3b',
        images: { web: `${IMAGE_REPO}:v3` }
      },
      d5
    );
    expect(changed.error?.describe()).toBeUndefined();
    expect(d5.logger.text()).toMatch(/recreated store \(spec changed\)/);
    const [store2] = containers(`${app}-test-accessories`, 'store');
    expect(store2).not.toBe(store);
    expect(inStore(app, 'wc -l < /data/boots')).toBe('2');
    expect(inStore(app, 'cat /data/k1')).toBe('kept-value');
    expect(await version(port)).toBe('v3');
  }, 400_000);

  it('a migrate-command reaches an accessory the same deploy brings: the accessories come up before it', async () => {
    const app = 'fa-accmig';
    const port = 18830;
    const storePort = 18839;
    const d1 = deps();
    const first = await deploy(
      spec(app, port, storePort, {
        migrate: {
          // Exits non-zero unless the store answers: the migration needs its database up.
          command: ['sh', '-c', `wget -qO- http://127.0.0.1:${storePort}/boots && echo store-reached`],
          service: 'web',
          timeoutMs: 60_000
        }
      }),
      d1
    );
    expect(first.error?.describe()).toBeUndefined();
    expect(first.migration?.exitCode).toBe(0);
    const log = d1.logger.text();
    expect(log).toMatch(/store-reached/);
    // The migrate phase brought the store up and said so; the start phase did not run its `up` again.
    const said = [...log.matchAll(/accessories on [^:]+: (started|kept|recreated) store/g)];
    expect(said.map((m) => m[1])).toEqual(['started']);
    expect(said[0]!.index).toBeLessThan(log.indexOf('migrate-command done'));
    // The store the migration saw is the one that serves: started once.
    expect(inStore(app, 'wc -l < /data/boots')).toBe('1');
    expect(await version(port)).toBe('v1');
  }, 300_000);

  it('pullIfMissingArgv runs its pull only when the host lacks the image (real docker, argv as data)', () => {
    const run = (ref: string) => {
      const [program, ...args] = pullIfMissingArgv(ref, ['echo', 'pulled', ref]);
      return execFileSync(program!, args, { encoding: 'utf8' }).trim();
    };
    expect(run('deploy-actions/busybox:latest')).toBe('present');
    // A ref with a quote and a `;` stays one argument: no shell reads it.
    expect(run("deploy-actions/none:x';true")).toBe("pulled deploy-actions/none:x';true");
  });

  it('an accessory image only the private registry holds is fetched, with the deploy’s own login', async () => {
    const app = 'fa-accpriv';
    const port = 18810;
    const storePort = 18819;
    const reg = infra().registries[0]!;
    // Pushed under a tag of its own, then removed here: the host (same dockerd) lacks it, and the deploy user
    // has no login of their own for that registry.
    const ref = `${reg.host}/deploy/store-private:t${process.pid}`;
    const cfg = mkdtempSync('/tmp/deploy-actions-test-accpriv-');
    const env = { ...process.env, DOCKER_CONFIG: cfg };
    execFileSync('docker', ['login', reg.host, '--username', reg.username, '--password-stdin'], {
      input: reg.password,
      stdio: ['pipe', 'ignore', 'pipe'],
      env
    });
    execFileSync('docker', ['tag', 'deploy-actions/busybox:latest', ref]);
    execFileSync('docker', ['push', '-q', ref], { stdio: ['ignore', 'ignore', 'pipe'], env });
    execFileSync('docker', ['image', 'rm', ref], { stdio: 'ignore' });
    rmSync(cfg, { recursive: true, force: true });
    try {
      const base = spec(app, port, storePort, {
        composeText: compose(storePort).replace('image: deploy-actions/busybox:latest', `image: ${ref}`),
        accessories: ['store']
      });
      const d1 = deps();
      const first = await deploy(base, d1);
      expect(first.error?.describe()).toBeUndefined();
      expect(d1.logger.text()).toContain(`fetched ${ref} for accessory store (the host lacked it)`);
      expect(containers(`${app}-test-accessories`, 'store')).toHaveLength(1);
      expect(await version(port)).toBe('v1');
      // No login stayed behind for the deploy user.
      const own = join(target(0).home, '.docker', 'config.json');
      if (existsSync(own)) expect(readFileSync(own, 'utf8')).not.toContain(reg.host);
    } finally {
      cleanup(dir, app);
      for (const id of containers(`${app}-test-accessories`))
        execFileSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
      execFileSync('docker', ['image', 'rm', '-f', ref], { stdio: 'ignore' });
    }
  }, 300_000);

  it('recreate keeps a declared accessory running and its data', async () => {
    const app = 'fa-accrc';
    const port = 18820;
    const storePort = 18829;
    const base = spec(app, port, storePort, {
      strategy: 'recreate',
      accessories: ['store'],
      slotCheckPath: undefined
    });
    const first = await deploy(base, deps());
    expect(first.error?.describe()).toBeUndefined();
    const [store] = containers(`${app}-test-accessories`, 'store');
    inStore(app, 'echo rc-value > /data/k1');
    expect(services(`${app}-test`)).toEqual(['web']);

    const second = await deploy({ ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }, deps());
    expect(second.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');
    expect(containers(`${app}-test-accessories`, 'store')).toEqual([store]);
    expect(inStore(app, 'cat /data/k1')).toBe('rc-value');
    expect(inStore(app, 'wc -l < /data/boots')).toBe('1');

    const rb = await rollback(rollbackSpec(base), deps());
    expect(rb.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
    expect(containers(`${app}-test-accessories`, 'store')).toEqual([store]);
  }, 300_000);
});

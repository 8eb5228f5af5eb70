import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  appProjects,
  execArgv,
  logsArgv,
  parseContainerLines,
  pickAppNetworks,
  removePlan,
  stateRemoveArgv,
  layout,
  bootLine,
  deploy
} from '../../packages/deploy/src/index.js';
import { integration } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  stateDir,
  target,
  version
} from '../deploy/support.js';

/**
 * Issue 32 item 9: `deploy-actions logs`, `exec` and `remove`, run through the CLI (bin/deploy-actions.js, the
 * dist/cli bundle) against an app deployed blue-green with an accessory and a named volume on field host 1.
 */

describe('day-2 argv (pure)', () => {
  it('builds each command as data', () => {
    expect(logsArgv('abc123abc123', { tail: 5, since: '10m', timestamps: true })).toEqual([
      'docker',
      'logs',
      '--tail',
      '5',
      '--since',
      '10m',
      '--timestamps',
      'abc123abc123'
    ]);
    expect(execArgv('abc123abc123', ['sh', '-c', 'echo "$X"'], { user: 'app' })).toEqual([
      'docker',
      'exec',
      '--user',
      'app',
      'abc123abc123',
      'sh',
      '-c',
      'echo "$X"'
    ]);
    expect(() => execArgv('abc123abc123', [])).toThrow('give the command');
    expect(appProjects('shop', 'prod')).toEqual([
      'shop-prod',
      'shop-prod-blue',
      'shop-prod-green',
      'shop-prod-migrate',
      'shop-prod-blue-migrate',
      'shop-prod-green-migrate',
      'shop-prod-accessories'
    ]);
    expect(parseContainerLines('0123456789ab web running\nnot a line\n')).toEqual([
      { id: '0123456789ab', service: 'web', state: 'running' }
    ]);
    expect(
      pickAppNetworks(
        'aa shop-prod\nbb shop-prod_back\ncc shop-prod-blue_default\ndd shop-production\n',
        'shop',
        'prod'
      )
    ).toEqual(['aa', 'bb']);
    const l = layout('/srv/da', 'shop', 'prod');
    expect(stateRemoveArgv(l, true)).toEqual(['rm', '-rf', '--', '/srv/da/shop/prod']);
    expect(stateRemoveArgv(l, false)).toContain('data');
    expect(removePlan('/srv/da', 'shop', 'prod', false).bootHook.join(' ')).toContain(bootLine(l.proxy));
  });
});

const COMPOSE = `services:
  web:
    image: ${IMAGE_REPO}:v1
    network_mode: host
    stop_grace_period: 2s
    env_file: .env
    environment:
      PORT: \${PORT:-8080}
  cache:
    image: ${IMAGE_REPO}:v1
    network_mode: host
    command: ['sh', '-c', 'echo cache-ready; echo cache-err >&2; exec sleep 3600']
    volumes:
      - cachedata:/data
volumes:
  cachedata:
`;

integration('deploy-actions logs, exec and remove on a field host', () => {
  const app = 'adopt2-ops';
  const port = 18740;
  const h = target();
  const dir = stateDir('ops');
  const l = layout(dir, app, 'test');
  const cli = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'deploy-actions.js'),
        ...args.slice(0, 1),
        '--host',
        h.host,
        '--port',
        String(h.port),
        '--user',
        h.user,
        '--app',
        app,
        '--environment',
        'test',
        '--state-dir',
        dir,
        '--ssh-key-env',
        'DA_KEY',
        '--known-hosts-env',
        'DA_KNOWN',
        ...args.slice(1)
      ],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DA_KEY: readFileSync(h.keyPath, 'utf8'),
          DA_KNOWN: readFileSync(h.knownHostsPath, 'utf8')
        },
        timeout: 300_000
      }
    );
  const running = (project: string) =>
    execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], {
      encoding: 'utf8'
    }).trim();
  const volume = `${app}-test_cachedata`;
  const volumeExists = () =>
    spawnSync('docker', ['volume', 'inspect', volume], { stdio: 'ignore' }).status === 0;
  const crontab = () =>
    spawnSync('runuser', ['-u', h.user, '--', 'crontab', '-l'], { encoding: 'utf8' }).stdout ?? '';

  beforeAll(async () => {
    buildImages();
    cleanup(dir, app);
    spawnSync('docker', ['rm', '-f', ...running(`${app}-test-accessories`).split('\n').filter(Boolean)]);
    spawnSync('docker', ['volume', 'rm', volume], { stdio: 'ignore' });
    const d = await deploy(deploySpec(app, dir, port, { composeText: COMPOSE }), deps());
    expect(d.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
  }, 600_000);

  afterAll(() => {
    cleanup(dir, app);
    const acc = running(`${app}-test-accessories`);
    if (acc) spawnSync('docker', ['rm', '-f', ...acc.split('\n')]);
    spawnSync('docker', ['volume', 'rm', volume], { stdio: 'ignore' });
  });

  it('logs: the serving containers, prefixed with host and service; --service picks an accessory', () => {
    const all = cli('logs', '--tail', '20');
    expect([all.status, all.stderr]).toEqual([0, '']);
    expect(all.stdout).toMatch(new RegExp(`^127\\.0\\.0\\.1:${h.port} cache \\| cache-ready$`, 'm'));
    expect(all.stdout).toMatch(/ cache \| cache-err$/m);
    const web = cli('logs', '--service', 'web');
    expect(web.status).toBe(0);
    expect(web.stdout).not.toContain('cache-ready');
    const none = cli('logs', '--service', 'nope');
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(
      /no running container of service "nope" \(running: (web, cache|cache, web)\)/
    );
  }, 300_000);

  it('exec: runs in the serving slot with the release .env, and exits with the command exit code', () => {
    const r = cli('exec', '--service', 'web', '--', 'sh', '-c', 'printf "%s|%s" "$GREETING" "$PORT"; exit 3');
    expect(r.stdout).toMatch(new RegExp(`^hello\\|(${port + 1}|${port + 2})$`));
    expect(r.status).toBe(3);
    const dry = cli('exec', '--service', 'web', '--dry-run', '--', 'sh');
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^127\\.0\\.0\\.1:${h.port}: docker exec [0-9a-f]{64} sh\\n$`));
    const missing = cli('exec', '--service', 'web');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('give the command after `--`');
  }, 300_000);

  it('remove: only with --confirm <app>; keeps the volume, data/ and history unless --delete-data', async () => {
    mkdirSync(join(l.root, 'data'), { recursive: true });
    writeFileSync(join(l.root, 'data', 'keep.txt'), 'kept');
    const uid = Number(execFileSync('id', ['-u', h.user], { encoding: 'utf8' }).trim());
    chownSync(join(l.root, 'data'), uid, uid);
    chownSync(join(l.root, 'data', 'keep.txt'), uid, uid);
    expect(crontab()).toContain(bootLine(l.proxy));

    const dry = cli('remove');
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain(`Nothing was changed. Run again with --confirm ${app}`);
    const wrong = cli('remove', '--confirm', 'other-app');
    expect(wrong.status).toBe(2);
    expect(await version(port)).toBe('v1');

    const r = cli('remove', '--confirm', app);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(`kept volume(s) ${volume}`);
    for (const p of appProjects(app, 'test')) expect([p, running(p)]).toEqual([p, '']);
    expect(await version(port)).toMatch(/^error /);
    expect(crontab()).not.toContain(bootLine(l.proxy));
    expect(readdirSync(l.root).sort()).toEqual(['data', 'history.jsonl']);
    expect(readFileSync(join(l.root, 'data', 'keep.txt'), 'utf8')).toBe('kept');
    expect(volumeExists()).toBe(true);

    const all = cli('remove', '--confirm', app, '--delete-data');
    expect([all.status, all.stderr]).toEqual([0, '']);
    expect(volumeExists()).toBe(false);
    expect(existsSync(l.root)).toBe(false);
  }, 600_000);
});

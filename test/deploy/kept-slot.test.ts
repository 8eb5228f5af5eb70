import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeDetectArgv, parseDetect } from '../../packages/compose/src/index.js';
import { deploy, rollback, startSlotArgv, stopKeepArgv } from '../../packages/deploy/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  load,
  rollbackSpec,
  sshConnector,
  target,
  version
} from './support.js';

function ids(project: string, all = false): string[] {
  return execFileSync(
    'docker',
    [
      'ps',
      ...(all ? ['-a'] : []),
      '-q',
      '--no-trunc',
      '--filter',
      `label=com.docker.compose.project=${project}`
    ],
    { encoding: 'utf8' }
  )
    .trim()
    .split('\n')
    .filter(Boolean);
}

describe('a slot kept stopped, started again by a rollback', () => {
  it('starts the kept containers only when they are this release, else clears the slot and runs up', () => {
    const argv = startSlotArgv('shop-production-blue', '/s/shop/production/releases/r1', [
      'docker-compose',
      '-p',
      'shop-production-blue',
      'up',
      '-d'
    ]);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    // Every variable part is a positional argument; the up argv is exec'd as given.
    expect(argv.slice(3)).toEqual([
      'sh',
      'shop-production-blue',
      '/s/shop/production/releases/r1',
      'docker-compose',
      '-p',
      'shop-production-blue',
      'up',
      '-d'
    ]);
    expect(argv[2]).toContain('grep -v -F "$rel"');
    expect(argv[2]).toContain('exec "$@"');
    expect(stopKeepArgv('shop-production-green')).toEqual([
      'sh',
      '-c',
      'ids=$(docker ps -q --no-trunc --filter "label=com.docker.compose.project=$1"); [ -z "$ids" ] || docker stop $ids >/dev/null',
      'sh',
      'shop-production-green'
    ]);
  });
});

integrationOn('far blue-green rollback: the kept slot and the cached compose version', [0, 3], () => {
  const dir = target(0).stateDir;
  beforeAll(() => buildImages());
  afterAll(() => cleanup(dir, 'fa-kept'));

  it('docker-compose v1 (the legacy host) is asked its version once; later phases read the cache', async () => {
    const ex = await sshConnector({}, 3)('127.0.0.1');
    try {
      const first = await ex.run({ argv: composeDetectArgv(), check: false, step: 'detect' });
      const second = await ex.run({ argv: composeDetectArgv(), check: false, step: 'detect' });
      expect(parseDetect(first.stdout)).toEqual(parseDetect(second.stdout));
      expect(parseDetect(second.stdout)).toMatchObject({ generation: 'v1' });
      const cache = join(target(3).home, '.cache', 'deploy-actions', 'compose-v1');
      expect(existsSync(cache)).toBe(true);
      expect(readFileSync(cache, 'utf8')).toMatch(/^\/\S*docker-compose \d+ \d+\ndocker-compose version 1\./);
    } finally {
      await ex.close();
    }
  }, 60_000);

  it('the old slot stays stopped after a deploy; rollback starts those containers again, with no failed request', async () => {
    const app = 'fa-kept';
    const port = 18880;
    const base = deploySpec(app, dir, port, { lockStaleMs: 600_000 });
    const first = await deploy(base, deps());
    expect(first.error?.describe()).toBeUndefined();
    const blue = ids(`${app}-test-blue`);
    expect(blue).toHaveLength(1);

    const second = await deploy({ ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }, deps());
    expect(second.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');
    // Stopped, not removed.
    expect(ids(`${app}-test-blue`)).toEqual([]);
    expect(ids(`${app}-test-blue`, true)).toEqual(blue);

    const during = load(port, 20);
    const rb = await rollback(rollbackSpec(base), deps());
    const requests = await during.stop();
    expect(rb.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
    expect(ids(`${app}-test-blue`)).toEqual(blue);
    expect(requests.failures).toEqual([]);
    expect(requests.total).toBeGreaterThan(0);
    // And green, which served v2, is the slot kept now.
    expect(ids(`${app}-test-green`)).toEqual([]);
    expect(ids(`${app}-test-green`, true)).toHaveLength(1);

    // A new release into the slot that holds another release's containers replaces them.
    const third = await deploy({ ...base, version: 'v3', images: { web: `${IMAGE_REPO}:v3` } }, deps());
    expect(third.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v3');
    expect(ids(`${app}-test-green`, true)).toHaveLength(1);
    expect(ids(`${app}-test-green`, true)).not.toEqual(ids(`${app}-test-blue`, true));
  }, 300_000);
});

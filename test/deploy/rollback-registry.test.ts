import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputReader } from '../../packages/core/src/index.js';
import { deploy, readRollbackInputs, rollback } from '../../packages/deploy/src/index.js';
import { infra, integration } from '../support/infra.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  rollbackSpec,
  stateDir,
  version
} from './support.js';

describe('rollback registry inputs (pure)', () => {
  const base: Record<string, string> = {
    host: '127.0.0.1',
    'ssh-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----',
    'known-hosts': '127.0.0.1 ssh-ed25519 AAAA',
    app: 'shop'
  };
  const read = (over: Record<string, string>) =>
    readRollbackInputs(new InputReader((n) => ({ ...base, ...over })[n] ?? '')).spec;

  it('takes registry, username and password as deploy-compose does', () => {
    expect(read({ registry: 'ghcr.io', username: 'u', password: 'p' }).registry).toEqual({
      registry: 'ghcr.io',
      username: 'u',
      password: 'p'
    });
    expect(read({}).registry).toBeUndefined();
    expect(() => read({ registry: 'ghcr.io', username: 'u' })).toThrow(/password.*go together/);
  });
});

/**
 * The release's image is gone from the host (pruned): a rollback without the registry login cannot bring it back,
 * and one with it pulls it again by digest from the lab's private registry, and serves.
 */
integration('rollback re-pulls a private image', () => {
  const app = 'adopt-repull';
  const port = 18690;
  const repo = '127.0.0.1:5055/deploy/adopt-repull';
  let dir = '';
  let ref = '';
  beforeAll(() => {
    buildImages();
    dir = stateDir('repull');
    cleanup(dir, app);
    // An image of its own (a unique label), so removing it touches nothing another suite uses.
    const reg = infra().registries[0]!;
    const tmp = mkdtempSync('/tmp/deploy-actions-test-repull-');
    const env = { ...process.env, DOCKER_CONFIG: join(tmp, 'docker-config') };
    execFileSync('docker', ['login', reg.host, '--username', reg.username, '--password-stdin'], {
      input: reg.password,
      stdio: ['pipe', 'ignore', 'pipe'],
      env
    });
    writeFileSync(
      join(tmp, 'Dockerfile'),
      `FROM ${IMAGE_REPO}:v1\nLABEL deploy-actions.test=adopt-repull-${Date.now()}\n`
    );
    ref = `${repo}:v1`;
    execFileSync('docker', ['build', '-q', '-t', ref, tmp], { stdio: ['ignore', 'ignore', 'pipe'], env });
    execFileSync('docker', ['push', '-q', ref], { stdio: ['ignore', 'ignore', 'pipe'], env });
    rmSync(tmp, { recursive: true, force: true });
  });
  afterAll(() => cleanup(dir, app));

  it('pulls the pruned image again with the rollback registry inputs', async () => {
    const base = deploySpec(app, dir, port, { images: { web: ref } });
    const d1 = await deploy(base, deps());
    expect(d1.error?.describe()).toBeUndefined();
    const pinned = Object.values(d1.digests ?? {})[0] as string | undefined;
    expect(pinned).toMatch(/^127\.0\.0\.1:5055\/deploy\/adopt-repull@sha256:/);
    const d2 = await deploy({ ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }, deps());
    expect(d2.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');

    // Pruned: v1's stopped slot and its image are gone from the host.
    for (const slot of ['blue', 'green']) {
      const ids = execFileSync(
        'docker',
        ['ps', '-aq', '--filter', `label=com.docker.compose.project=${app}-test-${slot}`],
        {
          encoding: 'utf8'
        }
      ).trim();
      const v1 = ids
        .split('\n')
        .filter(Boolean)
        .filter((id) =>
          execFileSync('docker', ['inspect', '-f', '{{.Config.Image}}', id], { encoding: 'utf8' }).includes(
            'adopt-repull'
          )
        );
      if (v1.length) execFileSync('docker', ['rm', '-f', ...v1], { stdio: 'ignore' });
    }
    const id = execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', pinned!], {
      encoding: 'utf8'
    }).trim();
    execFileSync('docker', ['image', 'rm', '-f', id], { stdio: 'ignore' });
    expect(() => execFileSync('docker', ['image', 'inspect', pinned!], { stdio: 'ignore' })).toThrow();

    // Without the login the host cannot get it back; v2 keeps serving.
    const { registry: _login, ...noLogin } = rollbackSpec(base);
    const denied = await rollback(noLogin, deps());
    expect(denied.error?.describe()).toMatch(/pull|denied|unauthorized|auth/i);
    expect(await version(port)).toBe('v2');

    const rb = await rollback(rollbackSpec(base), deps());
    expect(rb.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
    expect(
      execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', pinned!], { encoding: 'utf8' }).trim()
    ).toBe(id);
  }, 400_000);
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { integration, infra } from '../support/infra.js';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { clientFor, pushRandomImage, registries, skopeoDigest, unique } from './support.js';

/** The publish-registry bundle run as the GitHub runner runs it (build it: node scripts/build.mjs publish-registry). */
integration('publish-registry action bundle', () => {
  const { r1, r2 } = registries();
  let dockerConfig: string;
  const localTags: string[] = [];
  const docker = (...args: string[]) => {
    const r = spawnSync('docker', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };

  beforeAll(() => {
    // A private docker config: registry 2's credentials come from it, registry 1's from the inputs.
    dockerConfig = mkdtempSync(join(tmpdir(), 'build-dockercfg-'));
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({
        auths: { [r2.host]: { auth: Buffer.from(`${r2.username}:${r2.password}`).toString('base64') } }
      })
    );
  });
  afterAll(() => {
    for (const t of localTags) spawnSync('docker', ['image', 'rm', t]);
    rmSync(dockerConfig, { recursive: true, force: true });
  });

  it('pushes a local image, promotes it to a second registry, logs in and out, leaks nothing', async () => {
    const local = `${unique('build-pub-local')}:1.0.0`;
    docker('tag', infra().docker.baseImage, local);
    localTags.push(local);
    const repo = unique('build/pub');
    const run = await runBundle('publish-registry', {
      inputs: {
        registry: r1.host,
        username: r1.username,
        password: r1.password,
        source: local,
        targets: `${repo}\n${r2.host}/${repo}`,
        tags: '1.0.0, stable'
      },
      env: { DOCKER_CONFIG: dockerConfig }
    });
    expect([run.exitCode, run.stderr]).toEqual([0, '']);
    const digest = run.outputs.digest!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.parse(run.outputs.refs!)).toEqual([
      `${r1.host}/${repo}:1.0.0`,
      `${r1.host}/${repo}:stable`,
      `${r1.host}/${repo}@${digest}`,
      `${r2.host}/${repo}:1.0.0`,
      `${r2.host}/${repo}:stable`,
      `${r2.host}/${repo}@${digest}`
    ]);
    expect(skopeoDigest(`${r1.host}/${repo}:stable`, r1)).toBe(digest);
    expect(skopeoDigest(`${r2.host}/${repo}:1.0.0`, r2)).toBe(digest);
    expect(run.log).toContain(`${r2.host}: credentials from docker config.json (user ${r2.username})`);
    expect(run.log).toContain(`pushing local image ${local}`);
    expect(run.summary).toContain(`publish-registry: \`${digest}\``);
    expect(run.masks).toContain(r1.password);
    // The post step logged out of what the main step logged in to, and left registry 2 alone.
    expect(run.post?.exitCode).toBe(0);
    expect(run.post?.log).toContain(`logged out of ${r1.host}`);
    const auths = (JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')) as { auths: object })
      .auths;
    expect(Object.keys(auths)).toEqual([r2.host]);
    expect(leakedSecrets(run, [r1.password, r2.password])).toEqual([]);
  });

  it('registry-auth: logs in to every registry (one under its scope), and the post step logs out of each', async () => {
    const cfg = mkdtempSync(join(tmpdir(), 'build-regauth-'));
    const buildx = join(cfg, 'buildx');
    const scope = 'build/scoped@push';
    const registryAuth = [
      `- registry: ${r1.host}`,
      `  username: ${r1.username}`,
      `  password: ${r1.password}`,
      `- registry: ${r2.host}`,
      `  username: ${r2.username}`,
      `  password: ${r2.password}`,
      `  scope: ${scope}`
    ].join('\n');
    const env = { DOCKER_CONFIG: cfg, BUILDX_CONFIG: buildx };
    const auths = (file: string) =>
      Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { auths: object }).auths);
    const scopedDir = join(buildx, 'config', r2.host, scope);
    try {
      const kept = await runBundle('publish-registry', {
        inputs: { 'registry-auth': registryAuth, logout: false },
        env
      });
      expect([kept.exitCode, kept.stderr, kept.annotations]).toEqual([0, '', []]);
      expect(auths(join(cfg, 'config.json'))).toEqual([r1.host]);
      expect(auths(join(scopedDir, 'config.json'))).toEqual([r2.host]);
      expect(kept.log).toContain(`docker login ${r2.host} (scope ${scope}, config ${scopedDir}): ok`);
      expect(kept.masks).toEqual(expect.arrayContaining([r1.password, r2.password]));

      const run = await runBundle('publish-registry', { inputs: { 'registry-auth': registryAuth }, env });
      expect([run.exitCode, run.stderr]).toEqual([0, '']);
      expect(run.post?.log).toContain(`logged out of ${r1.host}`);
      expect(run.post?.log).toContain(`logged out of ${r2.host} (${scopedDir})`);
      expect(auths(join(cfg, 'config.json'))).toEqual([]);
      expect(auths(join(scopedDir, 'config.json'))).toEqual([]);
      expect(leakedSecrets(run, [r1.password, r2.password])).toEqual([]);
      expect(leakedSecrets(kept, [r1.password, r2.password])).toEqual([]);
    } finally {
      rmSync(cfg, { recursive: true, force: true });
    }
  });

  it('ecr: true runs the ECR login flow against a registry; an AWS access key id is refused', async () => {
    const cfg = mkdtempSync(join(tmpdir(), 'build-ecr-'));
    try {
      const run = await runBundle('publish-registry', {
        inputs: { registry: r1.host, username: r1.username, password: r1.password, ecr: 'true' },
        env: { DOCKER_CONFIG: cfg }
      });
      expect([run.exitCode, run.stderr]).toEqual([0, '']);
      expect(run.log).toContain(
        `${r1.host}: credentials from inputs username/password (user ${r1.username}, ECR)`
      );
      expect(run.log).toContain(`docker login ${r1.host} (ECR): ok`);
      expect(run.post?.log).toContain(`logged out of ${r1.host}`);
      const refused = await runBundle('publish-registry', {
        inputs: {
          registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
          username: 'AKIAIOSFODNN7EXAMPLE',
          password: 'aws-secret-key-value'
        },
        env: { DOCKER_CONFIG: cfg }
      });
      expect(refused.exitCode).toBe(1);
      const error = refused.annotations.find((a) => a.level === 'error')?.message ?? '';
      expect(error).toContain("Input 'ecr'");
      expect(error).toContain('aws ecr get-login-password');
      expect(leakedSecrets(refused, ['aws-secret-key-value'])).toEqual([]);
    } finally {
      rmSync(cfg, { recursive: true, force: true });
    }
  });

  it('promotes a remote image by digest inside one registry by mount, without docker login', async () => {
    const src = unique('build/pub-src');
    const image = await pushRandomImage(
      clientFor(r1.host, r1.username, r1.password),
      src,
      'rc1',
      [50_000, 70_000]
    );
    const dst = unique('build/pub-prod');
    const run = await runBundle('publish-registry', {
      inputs: {
        registry: r1.host,
        username: r1.username,
        password: r1.password,
        source: `${r1.host}/${src}@${image.digest}`,
        targets: `${dst}:v1.4.0`,
        'docker-login': false
      },
      env: { DOCKER_CONFIG: dockerConfig }
    });
    expect([run.exitCode, run.stderr]).toEqual([0, '']);
    expect(run.outputs.digest).toBe(image.digest);
    expect(JSON.parse(run.outputs.refs!)).toEqual([
      `${r1.host}/${dst}:v1.4.0`,
      `${r1.host}/${dst}@${image.digest}`
    ]);
    expect(run.summary).toMatch(/\| 0 \| 3 \| 0 \| 0 \| 1 \|/); // copied, mounted, already there, bytes, manifests
    expect(run.post?.log ?? '').not.toContain('logged out');
    expect(skopeoDigest(`${r1.host}/${dst}:v1.4.0`, r1)).toBe(image.digest);
  });

  it('fails on a wrong password with the registry and user named, before pushing, and leaks nothing', async () => {
    const dst = unique('build/pub-denied');
    const run = await runBundle('publish-registry', {
      inputs: {
        registry: r1.host,
        username: r1.username,
        password: 'wrong-pass-5c1e',
        source: `${r1.host}/build/whatever:1`,
        targets: dst,
        'docker-login': false
      },
      env: { DOCKER_CONFIG: dockerConfig }
    });
    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toContain(`${r1.host} refused user '${r1.username}' for GET /v2/ (HTTP 401)`);
    expect(error).toContain('Next: check the username and password');
    expect(leakedSecrets(run, ['wrong-pass-5c1e'])).toEqual([]);
  });

  it('logs in only (as docker/login-action) when no source and targets are given, and out in the post step', async () => {
    const run = await runBundle('publish-registry', {
      inputs: { registry: r1.host, username: r1.username, password: r1.password },
      env: { DOCKER_CONFIG: dockerConfig }
    });
    expect([run.exitCode, run.stderr]).toEqual([0, '']);
    expect(run.outputs.digest).toBe('');
    expect(run.log).toContain(`docker login ${r1.host}: ok`);
    expect(run.state).toEqual({ 'logout-registries': JSON.stringify([{ registry: r1.host }]) });
    expect(run.post?.log).toContain(`logged out of ${r1.host}`);
    expect(leakedSecrets(run, [r1.password])).toEqual([]);
  });

  it('logs out in the post step even when the promotion failed after logging in', async () => {
    const missing = unique('build/pub-missing');
    const run = await runBundle('publish-registry', {
      inputs: {
        registry: r1.host,
        username: r1.username,
        password: r1.password,
        source: `${r1.host}/${missing}:nope`,
        targets: `${missing}-dst`
      },
      env: { DOCKER_CONFIG: dockerConfig }
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toContain(
      `${r1.host}/${missing}:nope: manifest not found`
    );
    expect(run.post?.log).toContain(`logged out of ${r1.host}`);
  });

  it('refuses bad input before anything happens, naming the input', async () => {
    const run = await runBundle('publish-registry', {
      inputs: {
        registry: r1.host,
        username: r1.username,
        password: r1.password,
        source: `${r1.host}/build/app:1`,
        targets: `${r1.host}/build/app@sha256:${'a'.repeat(64)}`
      },
      env: { DOCKER_CONFIG: dockerConfig }
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toContain("Input 'targets'");
    expect(run.state).toEqual({});
  });
});

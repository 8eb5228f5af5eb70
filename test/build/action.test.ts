import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor } from '../../packages/core/src/executor.js';
import { captureLogger } from '../../packages/core/src/logger.js';
import { buildImage, detectBuilder } from '../../packages/docker/src/build.js';
import { integration, infra } from '../support/infra.js';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { registries, skopeoDigest, unique } from '../registry/support.js';

const docker = (...args: string[]) => {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

/** Real builds on the local dockerd (classic builder: buildx is not installed here). */
integration('build-image with a real docker daemon', () => {
  const { r1 } = registries();
  let workspace: string;
  let dockerConfig: string;
  const images: string[] = [];

  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'build-ws-'));
    mkdirSync(join(workspace, 'app'));
    writeFileSync(
      join(workspace, 'app', 'Dockerfile'),
      [
        `FROM ${infra().docker.baseImage} AS base`,
        'ARG GREETING=hello',
        'RUN echo "$GREETING" > /greeting',
        'FROM base AS runtime',
        'COPY index.html /www/index.html',
        'CMD ["httpd", "-f", "-p", "127.0.0.1:18230", "-h", "/www"]',
        ''
      ].join('\n')
    );
    writeFileSync(join(workspace, 'app', 'index.html'), '<h1>shop</h1>\n');
    dockerConfig = mkdtempSync(join(tmpdir(), 'build-dockercfg-'));
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({
        auths: { [r1.host]: { auth: Buffer.from(`${r1.username}:${r1.password}`).toString('base64') } }
      })
    );
  });
  afterAll(() => {
    if (images.length) spawnSync('docker', ['image', 'rm', '--force', ...images]);
    rmSync(workspace, { recursive: true, force: true });
    rmSync(dockerConfig, { recursive: true, force: true });
  });

  // The infra has no buildx; should a runner have it, these tests still hold (classic is then asked for).
  const hasBuildx = spawnSync('docker', ['buildx', 'version']).status === 0;

  it('detects whether buildx is installed and says which builder runs', async () => {
    const d = await detectBuilder(new LocalExecutor());
    if (hasBuildx) expect(d.builder).toBe('buildx');
    else
      expect(d).toEqual({
        builder: 'classic',
        reason: 'docker buildx is not installed, so the classic builder runs'
      });
  });

  it('engine: builds with labels, build args and target, and reports the image id docker knows', async () => {
    const tag = `${unique('build-engine')}:1`;
    images.push(tag);
    const logger = captureLogger();
    const r = await buildImage(
      {
        context: join(workspace, 'app'),
        tags: [tag],
        labels: { 'org.opencontainers.image.version': '9.9.9' },
        buildArgs: { GREETING: 'hi-from-build-args' },
        target: 'base',
        builder: 'classic'
      },
      { executor: new LocalExecutor(), logger }
    );
    expect(r.builder).toBe('classic');
    expect(r.imageId).toBe(docker('image', 'inspect', '--format', '{{.Id}}', tag));
    expect(
      docker(
        'image',
        'inspect',
        '--format',
        '{{index .Config.Labels "org.opencontainers.image.version"}}',
        tag
      )
    ).toBe('9.9.9');
    expect(docker('run', '--rm', '--network', 'host', tag, 'cat', '/greeting')).toBe('hi-from-build-args');
    // target=base: the runtime stage's file is not there
    expect(spawnSync('docker', ['run', '--rm', '--network', 'host', tag, 'ls', '/www']).status).not.toBe(0);
    expect(logger.text()).toContain('builder: classic');
  });

  it('bundle: a tag push builds, labels and pushes every metadata-action tag; skopeo sees the digest', async () => {
    const repo = `${r1.host}/${unique('build/app')}`;
    const run = await runBundle('build-image', {
      workspace,
      inputs: {
        context: 'app',
        images: repo,
        tags: 'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=sha',
        labels: 'org.opencontainers.image.vendor=Acme',
        push: true,
        ...(hasBuildx ? { builder: 'classic' } : {})
      },
      env: {
        DOCKER_CONFIG: dockerConfig,
        GITHUB_REF: 'refs/tags/v1.4.2',
        GITHUB_REF_NAME: 'v1.4.2',
        GITHUB_REF_TYPE: 'tag'
      },
      event: {
        repository: {
          name: 'shop',
          description: 'The Acme shop',
          html_url: 'https://github.com/acme/shop',
          default_branch: 'main',
          license: { spdx_id: 'Apache-2.0' }
        }
      }
    });
    expect([run.exitCode, run.stderr]).toEqual([0, '']);
    const tags = run.outputs.tags!.split('\n');
    images.push(...tags);
    expect(tags).toEqual([`${repo}:1.4.2`, `${repo}:1.4`, `${repo}:sha-0123456`, `${repo}:latest`]);
    expect(run.outputs.version).toBe('1.4.2');
    expect(run.outputs.builder).toBe('classic');
    const digest = run.outputs.digest!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const t of tags) expect(skopeoDigest(t, r1)).toBe(digest);
    expect(run.outputs['image-id']).toBe(docker('image', 'inspect', '--format', '{{.Id}}', tags[0]!));
    const labels = JSON.parse(
      docker('image', 'inspect', '--format', '{{json .Config.Labels}}', tags[0]!)
    ) as Record<string, string>;
    expect(labels).toMatchObject({
      'org.opencontainers.image.title': 'shop',
      'org.opencontainers.image.description': 'The Acme shop',
      'org.opencontainers.image.source': 'https://github.com/acme/shop',
      'org.opencontainers.image.version': '1.4.2',
      'org.opencontainers.image.revision': '0123456789abcdef0123456789abcdef01234567',
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'org.opencontainers.image.vendor': 'Acme'
    });
    const meta = JSON.parse(run.outputs.metadata!) as { pushed: string[]; digest: string };
    expect(meta.pushed).toEqual(tags);
    expect(meta.digest).toBe(digest);
    expect(run.log).toContain(
      'builder: classic (docker buildx is not installed, so the classic builder runs)'
    );
    expect(run.summary).toContain('build-image: 1.4.2');
  });

  it.each([
    ['cache-to', { 'cache-to': 'type=gha,mode=max' }, 'cache export needs buildx'],
    ['secrets', { secrets: 'npm_token=npm-s3cr3t-99f1' }, 'build secrets need BuildKit'],
    ['platforms', { platforms: 'linux/amd64,linux/arm64' }, '2 platforms need buildx'],
    ['provenance', { provenance: 'mode=max' }, 'provenance attestations need buildx']
  ])('bundle: %s on the classic builder fails clearly and builds nothing', async (input, extra, why) => {
    const repo = `${r1.host}/${unique('build/refused')}`;
    const run = await runBundle('build-image', {
      workspace,
      inputs: { context: 'app', images: repo, tags: 'type=raw,value=x', builder: 'classic', ...extra },
      env: { DOCKER_CONFIG: dockerConfig }
    });
    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toContain(`Input '${input}'`);
    expect(error).toContain(why);
    expect(error).toContain('install buildx');
    expect(run.log).not.toContain('Step 1/');
    expect(spawnSync('docker', ['image', 'inspect', `${repo}:x`]).status).not.toBe(0);
    expect(leakedSecrets(run, ['npm-s3cr3t-99f1'])).toEqual([]);
  });

  it('bundle: a tag rule that yields an invalid tag is refused before the build', async () => {
    const run = await runBundle('build-image', {
      workspace,
      inputs: { context: 'app', images: `${r1.host}/build/x`, tags: 'type=ref,event=branch' },
      env: { GITHUB_REF: 'refs/heads/-weird', GITHUB_REF_NAME: '-weird' }
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toContain(
      `Input 'tags': rule "type=ref,event=branch" yields "-weird", which is not a valid tag`
    );
  });
});

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor, captureLogger } from '../../packages/core/src/index.js';
import { buildImage, detectBuilder } from '../../packages/docker/src/index.js';
import { integration, infra } from '../support/infra.js';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { registries, skopeoDigest, unique } from '../registry/support.js';

const docker = (...args: string[]) => {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

/**
 * The classic builder's suite: real builds on the local dockerd with `builder: classic`. The lab has buildx
 * (as GitHub's runners do), so `builder: auto` picks it; test/build/buildx.test.ts is the buildx suite.
 */
integration('build-image with a real docker daemon, builder: classic', () => {
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

  it('auto finds the lab runner’s buildx plugin (system plugin dir); classic is chosen only when asked', async () => {
    const d = await detectBuilder(new LocalExecutor());
    expect(d.builder).toBe('buildx');
    expect(d.reason).toBe(
      `docker buildx is installed (${join(infra().docker.runnerPluginDir, 'docker-buildx')})`
    );
    expect(await detectBuilder(new LocalExecutor(), 'classic')).toEqual({
      builder: 'classic',
      reason: 'builder: classic was asked for'
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
      runnerTemp: join(workspace, 'runner-temp'),
      inputs: {
        context: 'app',
        images: repo,
        tags: 'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=sha',
        labels: 'org.opencontainers.image.vendor=Acme',
        push: true,
        builder: 'classic'
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
    expect(run.log).toContain('builder: classic (builder: classic was asked for)');
    expect(run.summary).toContain('build-image: 1.4.2');
    // metadata-action's outputs, in its shapes
    expect(run.outputs['tag-names']).toBe('1.4.2\n1.4\nsha-0123456\nlatest');
    const json = JSON.parse(run.outputs.json!) as { tags: string[]; labels: Record<string, string> };
    expect(json.tags).toEqual(tags);
    expect(json.labels['org.opencontainers.image.vendor']).toBe('Acme');
    expect(run.outputs.labels!.split('\n')[0]).toBe(
      'org.opencontainers.image.created=' + json.labels['org.opencontainers.image.created']
    );
    expect(run.outputs.annotations!.split('\n')).toContain('manifest:org.opencontainers.image.version=1.4.2');
    const bake = JSON.parse(readFileSync(run.outputs['bake-file-tags']!, 'utf8')) as {
      target: Record<string, { tags: string[]; args: Record<string, string> }>;
    };
    expect(bake.target['docker-metadata-action']!.args).toEqual({
      DOCKER_META_IMAGES: repo,
      DOCKER_META_VERSION: '1.4.2'
    });
    for (const k of ['bake-file-labels', 'bake-file-annotations', 'bake-file'])
      expect(JSON.parse(readFileSync(run.outputs[k]!, 'utf8'))).toHaveProperty('target');
    expect(run.outputs.imageid).toBe(run.outputs['image-id']);
  });

  it('bundle: with no images the tag names are still output, joined by sep-tags; nothing is tagged', async () => {
    const run = await runBundle('build-image', {
      workspace,
      inputs: {
        context: 'app',
        tags: 'type=ref,event=branch\ntype=sha',
        labels: 'invalid-line\nempty=',
        'sep-tags': ' ',
        'sep-labels': ';',
        builder: 'classic'
      },
      env: {
        GITHUB_REF: 'refs/heads/feature/x',
        GITHUB_REF_NAME: 'feature/x',
        DOCKER_METADATA_SHORT_SHA_LENGTH: '10'
      }
    });
    expect([run.exitCode, run.stderr]).toEqual([0, '']);
    images.push(run.outputs['image-id']!);
    expect(run.outputs.tags).toBe('feature-x sha-0123456789');
    expect(run.outputs['tag-names']).toBe('feature-x sha-0123456789');
    expect(run.outputs.labels!.split(';')).toContain('empty=');
    expect(run.outputs.labels).not.toContain('invalid-line');
    const labels = JSON.parse(
      docker('image', 'inspect', '--format', '{{json .Config.Labels}}', run.outputs['image-id']!)
    ) as Record<string, string>;
    expect(labels.empty).toBe('');
    expect(labels['org.opencontainers.image.version']).toBe('feature-x');
  });

  it('bundle: add-hosts, network, shm-size and ulimit reach the classic build for real', async () => {
    mkdirSync(join(workspace, 'opts'), { recursive: true });
    writeFileSync(
      join(workspace, 'opts', 'Dockerfile'),
      [
        `FROM ${infra().docker.baseImage}`,
        'RUN grep db.internal /etc/hosts > /hosts.txt',
        'RUN ulimit -n > /nofile.txt',
        "RUN df -k /dev/shm | tail -1 | awk '{print $2}' > /shm.txt",
        ''
      ].join('\n')
    );
    const tag = `${unique('build-opts')}:1`;
    images.push(tag);
    const run = await runBundle('build-image', {
      workspace,
      inputs: {
        context: 'opts',
        tags: tag,
        'add-hosts': 'db.internal:10.9.8.7',
        network: 'host',
        'shm-size': '96m',
        ulimit: 'nofile=1536:1536',
        outputs: 'type=docker',
        call: 'build',
        'no-cache': true,
        builder: 'classic'
      }
    });
    expect([run.exitCode, run.stderr]).toEqual([0, '']);
    const cat = (f: string) => docker('run', '--rm', '--network', 'host', tag, 'cat', f);
    expect(cat('/hosts.txt')).toMatch(/^10\.9\.8\.7\s+db\.internal$/);
    expect(cat('/nofile.txt')).toBe('1536');
    expect(cat('/shm.txt')).toBe(String(96 * 1024));
  });

  it('bundle: a Git context on the classic builder refuses github-token by name (set it empty for a public repo)', async () => {
    const run = await runBundle('build-image', {
      workspace,
      inputs: {
        context: 'https://github.com/acme/shop.git#main',
        tags: `${unique('build-git')}:1`,
        builder: 'classic',
        'github-token': 'ghs_build-image-test-token'
      }
    });
    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toContain("Input 'github-token'");
    expect(error).toContain("set github-token: '' for a public repository");
    expect(leakedSecrets(run, ['ghs_build-image-test-token'])).toEqual([]);
  });

  it('bundle: a missing context names the input before docker runs', async () => {
    const run = await runBundle('build-image', {
      workspace,
      inputs: { context: 'no-such-dir', images: `${r1.host}/build/x`, tags: 'type=raw,value=x' }
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toContain(
      `Input 'context': "no-such-dir" does not exist`
    );
  });

  it.each([
    ['cache-to', { 'cache-to': 'type=gha,mode=max' }, 'cache export needs buildx'],
    ['secrets', { secrets: 'npm_token=npm-s3cr3t-99f1' }, 'build secrets need BuildKit'],
    ['platforms', { platforms: 'linux/amd64,linux/arm64' }, '2 platforms need buildx'],
    ['provenance', { provenance: 'mode=max' }, 'provenance attestations need buildx'],
    ['ssh', { ssh: 'default' }, 'SSH forwarding needs BuildKit'],
    ['annotations', { annotations: 'org.opencontainers.image.vendor=Acme' }, 'writes no OCI annotations'],
    ['outputs', { outputs: 'type=local,dest=out' }, 'only writes to the local image store']
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
      `Input 'tags': the rules yield "-weird", which is not a valid tag`
    );
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { integration, infra } from '../support/infra.js';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { registries, skopeoDigest, unique } from './support.js';

/**
 * The chain as a workflow runs it: publish-registry logs in, build-image builds and pushes once, and
 * publish-registry promotes that digest to another registry. The digest never changes on the way.
 */
integration('build once, promote the same digest', () => {
  const { r1, r2 } = registries();
  let workspace: string;
  let dockerConfig: string;
  const tags: string[] = [];
  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'build-chain-'));
    writeFileSync(
      join(workspace, 'Dockerfile'),
      `FROM ${infra().docker.baseImage}\nRUN echo chain > /chain\n`
    );
    dockerConfig = mkdtempSync(join(tmpdir(), 'build-chain-cfg-'));
  });
  afterAll(() => {
    if (tags.length) spawnSync('docker', ['image', 'rm', '--force', ...tags]);
    rmSync(workspace, { recursive: true, force: true });
    rmSync(dockerConfig, { recursive: true, force: true });
  });

  it('login → build and push → promote by digest across registries', async () => {
    const env = { DOCKER_CONFIG: dockerConfig, GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main' };
    const login = await runBundle('publish-registry', {
      inputs: { registry: r1.host, username: r1.username, password: r1.password },
      env,
      runPost: false
    });
    expect(login.exitCode).toBe(0);

    const repo = unique('build/chain');
    const build = await runBundle('build-image', {
      workspace,
      // buildx (picked by builder: auto, as on GitHub's runners) runs RUN steps on the build network; the lab's
      // dockerd has no default bridge, so the host network (the workflows pass vars.BUILD_NETWORK).
      inputs: {
        images: `${r1.host}/${repo}`,
        tags: 'type=sha\ntype=ref,event=branch',
        push: true,
        network: 'host'
      },
      env
    });
    expect([build.exitCode, build.stderr]).toEqual([0, '']);
    tags.push(...build.outputs.tags!.split('\n'));
    const digest = build.outputs.digest!;
    expect(digest).toMatch(/^sha256:/);

    const promote = await runBundle('publish-registry', {
      inputs: {
        registry: r2.host,
        username: r2.username,
        password: r2.password,
        source: `${r1.host}/${repo}@${digest}`,
        'source-username': r1.username,
        'source-password': r1.password,
        targets: `${repo}-production`,
        tags: 'production',
        'docker-login': false
      },
      env
    });
    expect([promote.exitCode, promote.stderr]).toEqual([0, '']);
    expect(promote.outputs.digest).toBe(digest);
    expect(skopeoDigest(`${r2.host}/${repo}-production:production`, r2)).toBe(digest);
    expect(skopeoDigest(`${r1.host}/${repo}:main`, r1)).toBe(digest);
    expect(leakedSecrets(promote, [r1.password, r2.password])).toEqual([]);
  });
});

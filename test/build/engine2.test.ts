import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { infra, integration } from '../support/infra.js';
import { runBundle } from '../support/harness.js';
import { registries, skopeoRawDigest, unique } from '../registry/support.js';

interface Index {
  mediaType: string;
  annotations?: Record<string, string>;
  manifests: {
    digest: string;
    platform?: { os: string; architecture: string };
    annotations?: Record<string, string>;
  }[];
}

/**
 * What buildx's `docker` driver can do on a newer engine, for real: the lab's second dockerd is Debian trixie's
 * 26.1 with the containerd image store (scripts/infra.sh start_docker2). build-image refuses registry cache
 * export, several platforms and attestations on the lab's 20.10 (test/build/buildx.test.ts shows buildx
 * itself failing there); here the same inputs build, and every result is read back with skopeo.
 * The engine reports its BuildKit as `v0.0.0+unknown`: no version, so neither annotations nor named contexts
 * may be refused or warned about on its account.
 */
const engine2 = () => {
  const e = infra().docker.engine2;
  if (!e) throw new Error('the second dockerd is not in infra.json: run `bash scripts/infra.sh up`');
  return e;
};

integration(
  `build-image with buildx on the second engine [dockerd ${engine2Label()}, containerd image store]`,
  () => {
    const { r1 } = registries();
    let ws: string;
    let dockerConfig: string;

    const skopeoRaw = (ref: string): Index => {
      const r = spawnSync(
        'skopeo',
        [
          'inspect',
          '--raw',
          '--tls-verify=false',
          '--creds',
          `${r1.username}:${r1.password}`,
          `docker://${ref}`
        ],
        { encoding: 'utf8', timeout: 60_000 }
      );
      if (r.status !== 0) throw new Error(`skopeo inspect --raw ${ref}: ${r.stderr}`);
      return JSON.parse(r.stdout) as Index;
    };

    beforeAll(() => {
      ws = mkdtempSync(join(tmpdir(), 'engine2-ws-'));
      mkdirSync(join(ws, 'app'));
      mkdirSync(join(ws, 'extra'));
      writeFileSync(join(ws, 'app', 'index.html'), `<h1>${unique('engine2')}</h1>\n`);
      writeFileSync(join(ws, 'extra', 'notes.txt'), 'from a named context\n');
      // No RUN step (no emulator for arm64 here) and no `# syntax=` line: the built-in frontend must take
      // --build-context itself.
      writeFileSync(
        join(ws, 'app', 'Dockerfile'),
        'FROM scratch\nCOPY index.html /www/index.html\nCOPY --from=extra notes.txt /www/notes.txt\n'
      );
      dockerConfig = mkdtempSync(join(tmpdir(), 'engine2-dockercfg-'));
      writeFileSync(
        join(dockerConfig, 'config.json'),
        JSON.stringify({
          auths: { [r1.host]: { auth: Buffer.from(`${r1.username}:${r1.password}`).toString('base64') } }
        })
      );
    });
    afterAll(() => {
      rmSync(ws, { recursive: true, force: true });
      rmSync(dockerConfig, { recursive: true, force: true });
    });

    const inputs = (repo: string, cache: string) => ({
      context: 'app',
      'build-contexts': `extra=${join(ws, 'extra')}`,
      images: repo,
      tags: 'type=raw,value=1.0.0',
      annotations: 'org.opencontainers.image.description=built on the second engine',
      platforms: 'linux/amd64,linux/arm64',
      provenance: 'mode=min',
      'cache-to': `type=registry,ref=${cache},mode=max`,
      push: true
    });

    it('builds two platforms with provenance, annotations, a named context and a registry cache, and pushes them', async () => {
      const repo = `${r1.host}/${unique('engine2/app')}`;
      const cache = `${r1.host}/${unique('engine2/cache')}:buildcache`;
      const run = await runBundle('build-image', {
        workspace: ws,
        runnerTemp: join(ws, 'runner-temp'),
        inputs: inputs(repo, cache),
        env: {
          DOCKER_CONFIG: dockerConfig,
          DOCKER_HOST: engine2().host,
          DOCKER_METADATA_ANNOTATIONS_LEVELS: 'manifest,index'
        }
      });
      expect([run.exitCode, run.stderr]).toEqual([0, '']);
      expect(run.outputs.builder).toBe('buildx');
      // the builder was read (it says which engine) and nothing was refused or warned about
      expect(run.log).toMatch(
        /builder "default": driver docker, endpoint default, BuildKit v0\.0\.0\+unknown/
      );
      expect(run.log).not.toContain('writes no annotations');

      const ref = `${repo}:1.0.0`;
      const index = skopeoRaw(ref);
      expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      // the digest output is the registry's own for the tag (an index now)
      expect(run.outputs.digest).toBe(skopeoRawDigest(ref, r1));
      const images = index.manifests.filter((m) => m.platform?.os === 'linux');
      expect(images.map((m) => m.platform!.architecture).sort()).toEqual(['amd64', 'arm64']);
      // one provenance attestation per platform image, pointing at it
      const attestations = index.manifests.filter(
        (m) => m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
      );
      expect(attestations.map((a) => a.annotations!['vnd.docker.reference.digest']).sort()).toEqual(
        images.map((m) => m.digest).sort()
      );
      expect(index.annotations?.['org.opencontainers.image.description']).toBe('built on the second engine');
      // the registry cache was exported: BuildKit's cache index is in the registry
      const cacheIndex = skopeoRaw(cache);
      expect(cacheIndex.manifests.length).toBeGreaterThan(0);
    });

    it('the same inputs on the lab’s 20.10 engine (no containerd store) are refused before any build', async () => {
      const repo = `${r1.host}/${unique('engine2/old')}`;
      const run = await runBundle('build-image', {
        workspace: ws,
        runnerTemp: join(ws, 'runner-temp-old'),
        inputs: { ...inputs(repo, `${r1.host}/${unique('engine2/old-cache')}:c`), 'build-contexts': '' },
        env: { DOCKER_CONFIG: dockerConfig }
      });
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toContain("Input 'cache-to'");
      expect(run.stdout).toContain('platforms: linux/amd64,linux/arm64');
      expect(run.stdout).toContain('containerd image store');
      expect(run.log).not.toContain('docker buildx build');
    });
  }
);

function engine2Label(): string {
  try {
    return engine2().version;
  } catch {
    return 'missing';
  }
}

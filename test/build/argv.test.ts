import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  InputError,
  type Command,
  type Executor,
  type RunResult,
  captureLogger
} from '../../packages/core/src/index.js';
import {
  buildxBuildArgv,
  classicBuildArgv,
  loginArgv,
  logoutArgv,
  normalizePlatform,
  parsePushDigest,
  pushArgv,
  inspectArgv,
  type BuildOptions,
  buildImage,
  dockerDriverUnsupported,
  outputType,
  parseBuildxInspect,
  detectBuilder,
  cliPluginDirs
} from '../../packages/docker/src/index.js';

const baseOptions: BuildOptions = {
  context: 'app',
  tags: ['ghcr.io/acme/shop:1.2.3', 'ghcr.io/acme/shop:latest'],
  labels: { 'org.opencontainers.image.version': '1.2.3' },
  buildArgs: { NODE_ENV: 'production' }
};

const base = baseOptions;

describe('docker buildx build argv', () => {
  it('carries platforms, caches incl. type=gha, secrets by reference, attestations, push and metadata file', () => {
    expect(
      buildxBuildArgv({
        ...base,
        file: 'app/Dockerfile.prod',
        target: 'runtime',
        platforms: ['linux/amd64', 'linux/arm64'],
        cacheFrom: ['type=gha', 'type=registry,ref=ghcr.io/acme/shop:cache'],
        cacheTo: ['type=gha,mode=max'],
        secrets: [
          { id: 'npmrc', src: '/tmp/x/secret-npmrc' },
          { id: 'token', env: 'NPM_TOKEN' }
        ],
        provenance: 'mode=max',
        sbom: 'true',
        push: true,
        iidFile: '/tmp/x/iid',
        metadataFile: '/tmp/x/meta.json'
      })
    ).toEqual([
      'docker',
      'buildx',
      'build',
      '--file',
      'app/Dockerfile.prod',
      '--tag',
      'ghcr.io/acme/shop:1.2.3',
      '--tag',
      'ghcr.io/acme/shop:latest',
      '--label',
      'org.opencontainers.image.version=1.2.3',
      '--build-arg',
      'NODE_ENV=production',
      '--target',
      'runtime',
      '--platform',
      'linux/amd64,linux/arm64',
      '--cache-from',
      'type=gha',
      '--cache-from',
      'type=registry,ref=ghcr.io/acme/shop:cache',
      '--cache-to',
      'type=gha,mode=max',
      '--secret',
      'id=npmrc,src=/tmp/x/secret-npmrc',
      '--secret',
      'id=token,env=NPM_TOKEN',
      '--provenance=mode=max',
      '--sbom=true',
      '--iidfile',
      '/tmp/x/iid',
      '--metadata-file',
      '/tmp/x/meta.json',
      '--push',
      'app'
    ]);
  });

  it('loads a single-platform build that is not pushed; keeps a multi-platform one in the cache', () => {
    expect(buildxBuildArgv(base).slice(-2)).toEqual(['--load', 'app']);
    expect(buildxBuildArgv({ ...base, platforms: ['linux/amd64', 'linux/arm64'] })).not.toContain('--load');
    expect(buildxBuildArgv({ ...base, push: true })).not.toContain('--load');
    expect(buildxBuildArgv({ ...base, provenance: 'false' })).toContain('--provenance=false');
  });
});

describe('classic docker build argv', () => {
  it('builds with tags, labels, args, target, an image cache and iidfile', () => {
    expect(
      classicBuildArgv({
        ...base,
        target: 'runtime',
        cacheFrom: ['ghcr.io/acme/shop:cache'],
        iidFile: '/tmp/iid',
        noCache: true
      })
    ).toEqual([
      'docker',
      'build',
      '--tag',
      'ghcr.io/acme/shop:1.2.3',
      '--tag',
      'ghcr.io/acme/shop:latest',
      '--label',
      'org.opencontainers.image.version=1.2.3',
      '--build-arg',
      'NODE_ENV=production',
      '--target',
      'runtime',
      '--cache-from',
      'ghcr.io/acme/shop:cache',
      '--no-cache',
      '--iidfile',
      '/tmp/iid',
      'app'
    ]);
  });

  it('accepts the daemon platform and refuses a foreign one', () => {
    expect(classicBuildArgv({ ...base, platforms: ['linux/x86_64'] }, 'linux/amd64')).toContain('--platform');
    expect(() => classicBuildArgv({ ...base, platforms: ['linux/arm64'] }, 'linux/amd64')).toThrow(
      /Input 'platforms': platforms: linux\/arm64 is not the daemon's platform linux\/amd64/
    );
    expect(normalizePlatform('linux/aarch64/v8')).toBe('linux/arm64');
  });

  it.each<[string, Partial<BuildOptions>, RegExp]>([
    ['platforms', { platforms: ['linux/amd64', 'linux/arm64'] }, /2 platforms need buildx/],
    ['cache-from', { cacheFrom: ['type=gha'] }, /type=gha is a buildx cache source/],
    ['cache-to', { cacheTo: ['type=gha,mode=max'] }, /cache export needs buildx/],
    ['secrets', { secrets: [{ id: 'a', src: '/x' }] }, /build secrets need BuildKit/],
    ['provenance', { provenance: 'mode=max' }, /provenance attestations need buildx/],
    ['sbom', { sbom: 'true' }, /SBOM attestations need buildx/]
  ])('refuses %s, which only buildx can honour', (input, extra, why) => {
    let err: unknown;
    try {
      classicBuildArgv({ ...base, ...extra });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe(input);
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toContain('install buildx');
  });

  it('lets provenance=false and sbom=false through (nothing to drop)', () => {
    expect(() => classicBuildArgv({ ...base, provenance: 'false', sbom: 'false' })).not.toThrow();
  });
});

describe('login, push and inspect argv', () => {
  it('keeps the password out of argv', () => {
    expect(loginArgv('ghcr.io', 'octocat')).toEqual([
      'docker',
      'login',
      '--username',
      'octocat',
      '--password-stdin',
      'ghcr.io'
    ]);
    expect(logoutArgv('ghcr.io')).toEqual(['docker', 'logout', 'ghcr.io']);
    expect(pushArgv('a/b:1')).toEqual(['docker', 'push', 'a/b:1']);
    expect(inspectArgv('a:1', '{{.Id}}')).toEqual([
      'docker',
      'image',
      'inspect',
      '--format',
      '{{.Id}}',
      'a:1'
    ]);
  });
  it('reads the digest docker push prints', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parsePushDigest(`abc: Pushed\n1.2.3: digest: ${d} size: 527\n`)).toBe(d);
    expect(parsePushDigest('nothing')).toBeUndefined();
  });
});

/** An executor that records what the engine runs and answers like a docker with buildx would. */
class BuildxDocker implements Executor {
  readonly target = 'local';
  readonly runs: Command[] = [];
  secretSeen: { mode: number; content: string } | undefined;
  async run(cmd: Command): Promise<RunResult> {
    this.runs.push(cmd);
    const argv = cmd.argv;
    const ok = (stdout = ''): RunResult => ({ argv, exitCode: 0, stdout, stderr: '', durationMs: 1 });
    if (argv[1] === 'buildx' && argv[2] === 'version')
      return ok('github.com/docker/buildx v0.19.3 48d6a39\n');
    if (argv[1] === 'buildx' && argv[2] === 'inspect')
      return ok(
        `Name: ${argv[3]}\nDriver: docker-container\n\nNodes:\nName: ${argv[3]}0\nEndpoint: unix:///var/run/docker.sock\n`
      );
    if (argv[1] === 'buildx' && argv[2] === 'build') {
      const secret = argv[argv.indexOf('--secret') + 1]!.split('src=')[1]!;
      this.secretSeen = { mode: statSync(secret).mode & 0o777, content: readFileSync(secret, 'utf8') };
      writeFileSync(argv[argv.indexOf('--iidfile') + 1]!, `sha256:${'1'.repeat(64)}`);
      writeFileSync(
        argv[argv.indexOf('--metadata-file') + 1]!,
        JSON.stringify({ 'containerimage.digest': `sha256:${'2'.repeat(64)}` })
      );
      return ok();
    }
    throw new Error(`unexpected ${argv.join(' ')}`);
  }
  async close(): Promise<void> {}
}

/** Every build-push-action input: the same flag on buildx, or (classic) the same flag or a refusal by name. */
describe('build-push-action inputs', () => {
  const all: BuildOptions = {
    ...base,
    addHosts: ['db.internal:10.1.2.3'],
    allow: ['network.host', 'security.insecure'],
    annotations: ['manifest:org.opencontainers.image.vendor=Acme'],
    attests: ['type=sbom,generator=image'],
    buildContexts: ['alpine=docker-image://alpine:3.20'],
    call: 'check',
    cgroupParent: '/ci',
    network: 'host',
    noCacheFilters: ['deps', 'test'],
    outputs: ['type=local,dest=out'],
    shmSize: '2g',
    ssh: ['default'],
    ulimits: ['nofile=1024:2048'],
    builderName: 'ci-builder'
  };
  const pairsOf = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));

  it('buildx takes every one with its flag, and an explicit output replaces the implicit --load', () => {
    const argv = buildxBuildArgv(all);
    expect(argv.slice(0, 5)).toEqual(['docker', 'buildx', 'build', '--builder', 'ci-builder']);
    expect(pairsOf(argv, '--add-host')).toEqual(['db.internal:10.1.2.3']);
    expect(pairsOf(argv, '--allow')).toEqual(['network.host', 'security.insecure']);
    expect(pairsOf(argv, '--annotation')).toEqual(['manifest:org.opencontainers.image.vendor=Acme']);
    expect(pairsOf(argv, '--attest')).toEqual(['type=sbom,generator=image']);
    expect(pairsOf(argv, '--build-context')).toEqual(['alpine=docker-image://alpine:3.20']);
    expect(pairsOf(argv, '--call')).toEqual(['check']);
    expect(pairsOf(argv, '--cgroup-parent')).toEqual(['/ci']);
    expect(pairsOf(argv, '--network')).toEqual(['host']);
    expect(pairsOf(argv, '--no-cache-filter')).toEqual(['deps', 'test']);
    expect(pairsOf(argv, '--output')).toEqual(['type=local,dest=out']);
    expect(pairsOf(argv, '--shm-size')).toEqual(['2g']);
    expect(pairsOf(argv, '--ssh')).toEqual(['default']);
    expect(pairsOf(argv, '--ulimit')).toEqual(['nofile=1024:2048']);
    expect(argv).not.toContain('--load');
    expect(argv.at(-1)).toBe('app');
    expect(buildxBuildArgv({ ...base, outputs: ['type=docker'], load: true })).toContain('--load');
  });

  it('classic takes add-hosts, cgroup-parent, network, shm-size, ulimit and a local-store output', () => {
    const argv = classicBuildArgv({
      ...base,
      addHosts: ['db.internal:10.1.2.3'],
      cgroupParent: '/ci',
      network: 'host',
      shmSize: '2g',
      ulimits: ['nofile=1024:2048'],
      outputs: ['type=docker'],
      call: 'build'
    });
    expect(argv).toEqual([
      'docker',
      'build',
      '--tag',
      'ghcr.io/acme/shop:1.2.3',
      '--tag',
      'ghcr.io/acme/shop:latest',
      '--label',
      'org.opencontainers.image.version=1.2.3',
      '--build-arg',
      'NODE_ENV=production',
      '--add-host',
      'db.internal:10.1.2.3',
      '--cgroup-parent',
      '/ci',
      '--network',
      'host',
      '--shm-size',
      '2g',
      '--ulimit',
      'nofile=1024:2048',
      'app'
    ]);
  });

  it.each<[string, Partial<BuildOptions>]>([
    ['allow', { allow: ['network.host'] }],
    ['annotations', { annotations: ['a=b'] }],
    ['attests', { attests: ['type=sbom'] }],
    ['build-contexts', { buildContexts: ['x=../x'] }],
    ['call', { call: 'outline' }],
    ['no-cache-filters', { noCacheFilters: ['deps'] }],
    ['outputs', { outputs: ['type=registry'] }],
    ['outputs', { outputs: ['type=image,push=true'] }],
    ['ssh', { ssh: ['default'] }],
    ['builder', { builderName: 'ci-builder' }]
  ])('classic refuses %s by name, with the reason', (input, extra) => {
    const err = (() => {
      try {
        classicBuildArgv({ ...base, ...extra });
      } catch (e) {
        return e as InputError;
      }
      throw new Error('not refused');
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err.input).toBe(input);
    expect(err.message).toMatch(/Only the classic builder is available/);
  });
});

describe('buildImage with buildx', () => {
  // a real directory: a missing context is refused before anything runs
  const base = { ...baseOptions, context: tmpdir() };
  it('passes a secret value through a 0600 file, never argv, and reads digest and id back', async () => {
    const docker = new BuildxDocker();
    const logger = captureLogger();
    const r = await buildImage(
      {
        ...base,
        push: true,
        secretValues: { npmrc: 'tok-8d1f-very-secret' },
        secretEnvs: { gh: 'GH_TOKEN' }
      },
      { executor: docker, logger, pluginDirs: [] }
    );
    expect(r.builder).toBe('buildx');
    expect(r.digest).toBe(`sha256:${'2'.repeat(64)}`);
    expect(r.imageId).toBe(`sha256:${'1'.repeat(64)}`);
    expect(r.pushed).toEqual(base.tags);
    expect(docker.secretSeen).toEqual({ mode: 0o600, content: 'tok-8d1f-very-secret' });
    const build = docker.runs.find((c) => c.argv[2] === 'build')!;
    expect(build.argv.join(' ')).not.toContain('tok-8d1f-very-secret');
    expect(build.argv).toContain('id=gh,env=GH_TOKEN');
    expect(build.argv.at(-1)).toBe(tmpdir());
    expect(logger.text()).toContain(
      'builder: buildx (docker buildx is installed (github.com/docker/buildx v0.19.3'
    );
    // the secret file is gone after the build
    const src = build.argv[build.argv.indexOf('--secret') + 1]!.split('src=')[1]!;
    expect(() => statSync(src)).toThrow();
  });

  it('refuses a bad secret id or environment name before running anything', async () => {
    const docker = new BuildxDocker();
    await expect(
      buildImage({ ...base, secretValues: { 'a b': 'x' } }, { executor: docker, logger: captureLogger() })
    ).rejects.toThrow("Input 'secrets'");
    await expect(
      buildImage({ ...base, secretEnvs: { a: '1X' } }, { executor: docker, logger: captureLogger() })
    ).rejects.toThrow("Input 'secret-envs'");
    await expect(
      buildImage({ ...base, tags: [], push: true }, { executor: docker, logger: captureLogger() })
    ).rejects.toThrow("Input 'push'");
    await expect(
      buildImage({ ...base, context: '/nonexistent/app' }, { executor: docker, logger: captureLogger() })
    ).rejects.toThrow(`Input 'context': "/nonexistent/app" does not exist`);
    expect(docker.runs).toEqual([]);
  });

  it('a named builder instance runs buildx with --builder; a Git context gets the token as a secret', async () => {
    const docker = new BuildxDocker();
    await buildImage(
      {
        ...base,
        context: 'https://github.com/acme/shop.git#main',
        builderName: 'ci-builder',
        secretValues: { npmrc: 'x' },
        githubToken: 'ghs_token-for-git-ctx'
      },
      { executor: docker, logger: captureLogger() }
    );
    const build = docker.runs.find((c) => c.argv[2] === 'build')!;
    expect(build.argv.slice(3, 5)).toEqual(['--builder', 'ci-builder']);
    expect(build.argv.join(' ')).toMatch(/--secret id=GIT_AUTH_TOKEN\.github\.com,src=/);
    expect(build.argv.join(' ')).not.toContain('ghs_token-for-git-ctx');
  });
});

/** A docker whose buildx builder has the given driver: records what runs, answers inspect and info. */
class DriverDocker implements Executor {
  readonly target = 'local';
  readonly runs: string[][] = [];
  constructor(
    private readonly driver: string,
    private readonly driverStatus = '[["Storage Driver","overlay2"]]'
  ) {}
  async run(cmd: Command): Promise<RunResult> {
    const argv = cmd.argv;
    this.runs.push([...argv]);
    const ok = (stdout = ''): RunResult => ({ argv, exitCode: 0, stdout, stderr: '', durationMs: 1 });
    if (argv[2] === 'version') return ok('github.com/docker/buildx 0.13.1 x\n');
    if (argv[2] === 'inspect')
      return ok(
        `Name:          ci\nDriver:        ${this.driver}\n\nNodes:\nName:             ci0\nEndpoint:         ctx-a\n` +
          'Status:           running\nBuildKit version: v0.16.0\n'
      );
    if (argv.includes('info')) return ok(this.driverStatus);
    if (argv.includes('build')) return ok();
    throw new Error(`unexpected ${argv.join(' ')}`);
  }
  async close(): Promise<void> {}
}

describe('buildx exporters, builders and drivers', () => {
  const base = { ...baseOptions, context: tmpdir() };
  const wants: BuildOptions = {
    ...base,
    cacheTo: ['type=inline', 'type=registry,ref=r/c,mode=max', 'type=gha,mode=max'],
    platforms: ['linux/amd64', 'linux/arm64'],
    provenance: 'mode=max',
    sbom: 'true',
    attests: ['type=provenance'],
    push: true
  };

  it('passes --iidfile except beside the local and tar exporters, which buildx refuses it with', () => {
    const iid = (outputs?: string[]) =>
      buildxBuildArgv({ ...base, outputs, iidFile: '/t/iid', metadataFile: '/t/m.json' }).includes(
        '--iidfile'
      );
    expect(iid()).toBe(true);
    expect(iid(['type=docker'])).toBe(true);
    expect(iid(['type=image,push=true'])).toBe(true);
    expect(iid(['type=local,dest=out'])).toBe(false);
    expect(iid(['type=tar,dest=out.tar'])).toBe(false);
    expect(iid(['out'])).toBe(false);
    expect(buildxBuildArgv({ ...base, outputs: ['type=tar,dest=o.tar'], metadataFile: '/t/m' })).toContain(
      '--metadata-file'
    );
    expect(['type=local,dest=x', 'dest=x', 'x', '-', 'type=oci,dest=o'].map(outputType)).toEqual([
      'local',
      'local',
      'local',
      'tar',
      'oci'
    ]);
  });

  it('reads driver, endpoint and BuildKit version from docker buildx inspect', () => {
    const text =
      'Name:          default\nDriver:        docker\nLast Activity: 2026-12-07\n\nNodes:\nName:             default\n' +
      'Endpoint:         default\nStatus:           running\nBuildKit version: v0.8+unknown\n';
    expect(parseBuildxInspect(text)).toEqual({
      name: 'default',
      driver: 'docker',
      endpoint: 'default',
      buildkit: 'v0.8+unknown'
    });
  });

  it('names what the docker driver cannot do; inline cache, one platform and false attestations pass', () => {
    expect(dockerDriverUnsupported(wants).map((u) => u.input)).toEqual([
      'cache-to',
      'platforms',
      'provenance',
      'sbom',
      'attests'
    ]);
    expect(
      dockerDriverUnsupported({
        ...base,
        cacheTo: ['type=inline'],
        platforms: ['linux/amd64'],
        provenance: 'false',
        sbom: 'false'
      })
    ).toEqual([]);
  });

  it('the docker driver without the containerd store refuses before the build, naming input and fix', async () => {
    const docker = new DriverDocker('docker');
    const err = await buildImage(wants, { executor: docker, logger: captureLogger() }).catch(
      (e: unknown) => e
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain("Input 'cache-to'");
    expect((err as Error).message).toContain('type=registry,ref=r/c,mode=max type=gha,mode=max');
    expect((err as Error).message).toContain('platforms: linux/amd64,linux/arm64');
    expect((err as Error).message).toContain('docker-container builder');
    expect((err as Error).message).toContain('containerd image store');
    expect(docker.runs.some((a) => a[2] === 'build')).toBe(false);
    // the builder's endpoint is the docker context whose daemon is asked
    expect(docker.runs.find((a) => a.includes('info'))).toEqual([
      'docker',
      '--context',
      'ctx-a',
      'info',
      '--format',
      '{{json .DriverStatus}}'
    ]);
  });

  it.each([
    ['docker-container', undefined],
    ['kubernetes', undefined],
    ['remote', undefined],
    ['docker', '[["driver-type","io.containerd.snapshotter.v1"]]']
  ])('driver %s (%s) passes cache export, platforms and attestations through', async (driver, status) => {
    const docker = new DriverDocker(driver, status);
    await buildImage({ ...wants, builderName: 'ci' }, { executor: docker, logger: captureLogger() });
    const argv = docker.runs.find((a) => a.includes('build'))!;
    // a named docker-driver builder is reached through its docker context (buildx demands it)
    expect(argv.slice(0, 3)).toEqual(
      driver === 'docker' ? ['docker', '--context', 'ctx-a'] : ['docker', 'buildx', 'build']
    );
    const pairsOf = (flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));
    expect(pairsOf('--builder')).toEqual(['ci']);
    expect(pairsOf('--cache-to')).toEqual(wants.cacheTo);
    expect(pairsOf('--platform')).toEqual(['linux/amd64,linux/arm64']);
    expect(pairsOf('--attest')).toEqual(['type=provenance']);
    expect(argv).toContain('--provenance=mode=max');
    expect(argv).toContain('--sbom=true');
    expect(docker.runs.find((a) => a[2] === 'inspect')).toEqual(['docker', 'buildx', 'inspect', 'ci']);
  });

  it('a build that needs nothing a driver may lack does not ask the builder', async () => {
    const docker = new DriverDocker('docker');
    await buildImage(
      { ...base, cacheTo: ['type=inline'] },
      { executor: docker, logger: captureLogger(), pluginDirs: [] }
    );
    expect(docker.runs.map((a) => a.slice(0, 3).join(' '))).toEqual([
      'docker buildx version',
      'docker buildx build'
    ]);
  });
});

describe('buildx detection', () => {
  it('a docker-buildx plugin file where the CLI looks is enough: nothing is started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugins-'));
    const none = new DriverDocker('docker');
    expect(await detectBuilder(none, 'auto', [join(dir, 'missing'), dir])).toMatchObject({
      builder: 'buildx'
    });
    // a directory without the plugin falls back to `docker buildx version`
    expect(none.runs).toEqual([['docker', 'buildx', 'version']]);
    writeFileSync(join(dir, 'docker-buildx'), '#!/bin/sh\n', { mode: 0o755 });
    const docker = new DriverDocker('docker');
    expect(await detectBuilder(docker, 'auto', [dir])).toEqual({
      builder: 'buildx',
      reason: `docker buildx is installed (${join(dir, 'docker-buildx')})`
    });
    expect(docker.runs).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
  it('looks in DOCKER_CONFIG first, then the system plugin dirs GitHub runners use', () => {
    expect(cliPluginDirs({ DOCKER_CONFIG: '/cfg' }).slice(0, 2)).toEqual([
      '/cfg/cli-plugins',
      '/usr/local/lib/docker/cli-plugins'
    ]);
  });
});

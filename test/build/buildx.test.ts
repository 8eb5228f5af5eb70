import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, LocalExecutor, captureLogger } from '../../packages/core/src/index.js';
import { buildImage, buildxBuildArgv, type BuildRequest } from '../../packages/docker/src/index.js';
import { integration, infra } from '../support/infra.js';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { registries, skopeoDigest, skopeoRawDigest, unique } from '../registry/support.js';

/**
 * build-image through buildx on the lab's dockerd (Debian's 20.10: the `docker` driver, BuildKit v0.8), as on
 * a GitHub-hosted runner where `builder: auto` finds the buildx plugin in the system plugin directory. Every
 * result is read with an outside tool: skopeo and the registry for pushes, `docker image inspect` for
 * loads, the file tree for `local`, `tar -t` for `tar`, buildx's own failure for what the driver lacks.
 * The builds are grouped: one bundle build carries most inputs, the rest reuse its cache.
 */
integration('build-image with buildx (docker driver, lab dockerd)', () => {
  const { r1 } = registries();
  const TOKEN = 'tok-buildx-7f3a-not-in-any-layer';
  const NPMRC = '//npm.example/:_authToken=npm-9c2e-secret-file';
  let ws: string;
  let dockerConfig: string;
  const images: string[] = [];
  const env = () => ({ DOCKER_CONFIG: dockerConfig });
  const deps = () => ({ executor: new LocalExecutor(), logger: captureLogger(), env: env() });
  const sh = (cmd: string, args: string[], extraEnv: Record<string, string> = {}) => {
    const r = spawnSync(cmd, args, {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, ...extraEnv }
    });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const docker = (...args: string[]) => sh('docker', args, env());
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');

  /** The main build: every input the docker driver takes, on the Dockerfile below. */
  const mainRequest = (): BuildRequest => ({
    context: join(ws, 'app'),
    file: join(ws, 'docker', 'App.Dockerfile'),
    target: 'main',
    tags: [],
    labels: { 'org.opencontainers.image.vendor': 'Acme' },
    buildArgs: { GREETING: 'hi-from-build-args' },
    secretValues: { token: TOKEN },
    secretFiles: { npmrc: join(ws, 'secrets', 'npmrc') },
    network: 'host',
    builder: 'auto'
  });

  beforeAll(() => {
    ws = mkdtempSync(join(tmpdir(), 'buildx-ws-'));
    mkdirSync(join(ws, 'app'));
    mkdirSync(join(ws, 'docker'));
    mkdirSync(join(ws, 'secrets'));
    writeFileSync(join(ws, 'app', 'index.html'), '<h1>shop</h1>\n');
    writeFileSync(join(ws, 'secrets', 'npmrc'), NPMRC);
    writeFileSync(
      join(ws, 'docker', 'App.Dockerfile'),
      [
        `FROM ${infra().docker.baseImage} AS main`,
        'ARG GREETING=hello',
        // The secrets are read (their hashes kept as proof) and must be in no layer.
        'RUN --mount=type=secret,id=token --mount=type=secret,id=npmrc \\',
        '    sha256sum /run/secrets/token | cut -c1-64 > /token.sha && \\',
        '    sha256sum /run/secrets/npmrc | cut -c1-64 > /npmrc.sha && echo "$GREETING" > /greeting',
        // A fresh value per execution: equal stamps mean the step came from a cache.
        "RUN head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /stamp",
        'COPY index.html /www/index.html',
        // The default (last) target fails: a build that ignored `target` would fail.
        'FROM main AS never',
        'RUN echo "target was ignored" && false',
        ''
      ].join('\n')
    );
    dockerConfig = mkdtempSync(join(tmpdir(), 'buildx-dockercfg-'));
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({
        auths: { [r1.host]: { auth: Buffer.from(`${r1.username}:${r1.password}`).toString('base64') } }
      })
    );
  });
  afterAll(() => {
    if (images.length) spawnSync('docker', ['image', 'rm', '--force', ...images]);
    rmSync(ws, { recursive: true, force: true });
    rmSync(dockerConfig, { recursive: true, force: true });
  });

  /** Every layer of a pushed image, unpacked by skopeo and tar (never our registry client). */
  const layersOf = (ref: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'buildx-layers-'));
    sh('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--src-creds',
      `${r1.username}:${r1.password}`,
      `docker://${ref}`,
      `dir:${join(dir, 'img')}`
    ]);
    const manifest = JSON.parse(readFileSync(join(dir, 'img', 'manifest.json'), 'utf8')) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    const blob = (d: string) => join(dir, 'img', d.replace(/^sha256:/, ''));
    const root = join(dir, 'root');
    mkdirSync(root);
    const raw: string[] = [readFileSync(blob(manifest.config.digest), 'utf8')];
    for (const l of manifest.layers) {
      raw.push(sh('sh', ['-c', 'gzip -dc < "$1"', 'sh', blob(l.digest)]));
      sh('tar', ['-xzf', blob(l.digest), '-C', root]);
    }
    return { dir, root, text: raw.join('\n') };
  };

  let pushedRef = '';
  let pushedStamp = '';

  it('bundle, builder auto with DOCKER_CONFIG set: buildx from the system plugin dir builds, pushes, and the digest is the registry’s', async () => {
    const repo = `${r1.host}/${unique('buildx/app')}`;
    const run = await runBundle('build-image', {
      workspace: ws,
      runnerTemp: join(ws, 'runner-temp'),
      inputs: {
        context: 'app',
        file: 'docker/App.Dockerfile',
        target: 'main',
        images: repo,
        tags: 'type=raw,value=1.0.0\ntype=raw,value=stable',
        labels: 'org.opencontainers.image.vendor=Acme',
        annotations: 'org.opencontainers.image.vendor=Acme',
        'build-args': 'GREETING=hi-from-build-args',
        secrets: `token=${TOKEN}`,
        'secret-files': 'npmrc=secrets/npmrc',
        'cache-to': 'type=inline',
        provenance: 'false',
        sbom: 'false',
        network: 'host',
        push: true
      },
      // A private client config dir: a plugin under ~/.docker/cli-plugins would vanish; the system one stays.
      env: { DOCKER_CONFIG: dockerConfig }
    });
    expect([run.exitCode, run.stderr]).toEqual([0, '']);
    expect(run.outputs.builder).toBe('buildx');
    // found in the system plugin dir although DOCKER_CONFIG points elsewhere
    expect(run.log).toContain(
      `builder: buildx (docker buildx is installed (${join(infra().docker.runnerPluginDir, 'docker-buildx')}))`
    );
    const tags = run.outputs.tags!.split('\n');
    expect(tags).toEqual([`${repo}:1.0.0`, `${repo}:stable`]);
    images.push(...tags);
    // digest (read from --metadata-file) = what the registry serves for every tag
    const digest = run.outputs.digest!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const t of tags) {
      expect(skopeoDigest(t, r1)).toBe(digest);
      expect(skopeoRawDigest(t, r1)).toBe(digest);
    }
    const config = JSON.parse(
      sh('skopeo', [
        'inspect',
        '--config',
        '--raw',
        '--tls-verify=false',
        '--creds',
        `${r1.username}:${r1.password}`,
        `docker://${tags[0]}`
      ])
    ) as Record<string, unknown> & { config: { Labels: Record<string, string> } };
    expect(config.config.Labels['org.opencontainers.image.vendor']).toBe('Acme');
    expect(config.config.Labels['org.opencontainers.image.version']).toBe('1.0.0');
    // cache-to type=inline: BuildKit wrote its cache record into the pushed image's config
    expect(config).toHaveProperty(['moby.buildkit.cache.v0']);
    // provenance/sbom false: a plain image manifest, no index with attestation manifests
    const raw = sh('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      `${r1.username}:${r1.password}`,
      `docker://${tags[0]}`
    ]);
    expect(JSON.parse(raw)).toMatchObject({ schemaVersion: 2, layers: expect.any(Array) });
    // annotations: BuildKit v0.8 writes none; the log says so and the manifest has none
    expect(raw).not.toContain('annotations');
    expect(run.annotations.map((a) => a.message).join('\n')).toContain(
      'which writes no annotations (they need BuildKit v0.11 or later)'
    );
    // secrets were mounted (their hashes are in the image) and are in no layer and not in the config
    const { dir, root, text } = layersOf(tags[0]!);
    try {
      expect(readFileSync(join(root, 'token.sha'), 'utf8').trim()).toBe(sha(TOKEN));
      expect(readFileSync(join(root, 'npmrc.sha'), 'utf8').trim()).toBe(sha(NPMRC));
      expect(readFileSync(join(root, 'greeting'), 'utf8').trim()).toBe('hi-from-build-args');
      expect(readFileSync(join(root, 'www', 'index.html'), 'utf8')).toBe('<h1>shop</h1>\n');
      expect(text).toContain('hi-from-build-args');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('npm-9c2e-secret-file');
      pushedStamp = readFileSync(join(root, 'stamp'), 'utf8');
      expect(pushedStamp).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(leakedSecrets(run, [TOKEN])).toEqual([]);
    pushedRef = tags[0]!;
  });

  it('cache-from the inline cache, load: the step comes from the registry’s cache record, docker has the image', async () => {
    expect(pushedRef).not.toBe('');
    const tag = `${unique('buildx-load')}:1`;
    images.push(tag);
    const d = deps();
    const r = await buildImage(
      { ...mainRequest(), tags: [tag], cacheFrom: [`type=registry,ref=${pushedRef}`], load: true },
      d
    );
    expect(r.builder).toBe('buildx');
    expect(r.argv).toContain('--load');
    expect(d.logger.text()).toContain(`importing cache manifest from ${pushedRef}`);
    // docker image inspect sees it (load) and the random step equals the pushed one (cache hit)
    expect(docker('image', 'inspect', '--format', '{{.Id}}', tag)).toBe(r.imageId);
    expect(docker('run', '--rm', '--network', 'host', tag, 'cat', '/stamp')).toBe(pushedStamp);
  });

  it('no-cache and outputs type=docker: every step runs again and docker has the result', async () => {
    const tag = `${unique('buildx-nocache')}:1`;
    images.push(tag);
    const r = await buildImage(
      { ...mainRequest(), tags: [tag], noCache: true, outputs: ['type=docker'] },
      deps()
    );
    expect(r.argv).toContain('--no-cache');
    expect(docker('image', 'inspect', '--format', '{{.Id}}', tag)).toBe(r.imageId);
    const stamp = docker('run', '--rm', '--network', 'host', tag, 'cat', '/stamp');
    expect(stamp).toMatch(/^[0-9a-f]{32}$/);
    expect(stamp).not.toBe(pushedStamp);
  });

  it('outputs type=local and type=tar: no --iidfile (buildx refuses it there); the file tree and the tar listing', async () => {
    const out = join(ws, 'out-local');
    const local = await buildImage({ ...mainRequest(), outputs: [`type=local,dest=${out}`] }, deps());
    expect(local.argv).not.toContain('--iidfile');
    expect(local.argv).toContain('--metadata-file');
    expect(readFileSync(join(out, 'greeting'), 'utf8').trim()).toBe('hi-from-build-args');
    expect(readFileSync(join(out, 'www', 'index.html'), 'utf8')).toBe('<h1>shop</h1>\n');
    const tarFile = join(ws, 'out.tar');
    const tar = await buildImage({ ...mainRequest(), outputs: [`type=tar,dest=${tarFile}`] }, deps());
    expect(tar.argv).not.toContain('--iidfile');
    const listing = sh('tar', ['-tf', tarFile]).split('\n');
    expect(listing).toEqual(expect.arrayContaining(['greeting', 'www/index.html', 'token.sha']));
  });

  it('outputs type=image,push=true: the registry serves the digest build-image reports', async () => {
    const ref = `${r1.host}/${unique('buildx/out-image')}:1`;
    images.push(ref);
    const r = await buildImage(
      { ...mainRequest(), outputs: [`type=image,name=${ref},push=true`], provenance: 'false' },
      deps()
    );
    expect(r.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(skopeoDigest(ref, r1)).toBe(r.digest);
  });

  it('pull: with it the base comes from the registry, without it from the local image store', async () => {
    const base = `${r1.host}/${unique('buildx/base')}:1`;
    images.push(base);
    const mk = (dir: string, text: string) => {
      mkdirSync(join(ws, dir), { recursive: true });
      writeFileSync(
        join(ws, dir, 'Dockerfile'),
        `FROM ${infra().docker.baseImage}\nRUN echo ${text} > /base-version\n`
      );
    };
    mk('base-v2', 'v2');
    mk('base-v1', 'v1');
    // the registry gets v2, then the local store's tag is set to v1
    docker('buildx', 'build', '--network', 'host', '--tag', base, '--push', join(ws, 'base-v2'));
    docker('buildx', 'build', '--network', 'host', '--tag', base, '--load', join(ws, 'base-v1'));
    mkdirSync(join(ws, 'on-base'));
    writeFileSync(join(ws, 'on-base', 'Dockerfile'), `FROM ${base}\nRUN cat /base-version > /seen\n`);
    const seen = async (pull: boolean) => {
      const out = join(ws, `seen-${pull}`);
      await buildImage(
        {
          context: join(ws, 'on-base'),
          tags: [],
          labels: {},
          buildArgs: {},
          network: 'host',
          pull,
          outputs: [`type=local,dest=${out}`]
        },
        deps()
      );
      return readFileSync(join(out, 'seen'), 'utf8').trim();
    };
    expect(await seen(false)).toBe('v1');
    expect(await seen(true)).toBe('v2');
  });

  it('build-contexts on BuildKit v0.8 is refused by name; plain buildx with the same flags fails the same way', async () => {
    mkdirSync(join(ws, 'extras'));
    writeFileSync(join(ws, 'extras', 'note.txt'), 'extra\n');
    mkdirSync(join(ws, 'named'));
    writeFileSync(
      join(ws, 'named', 'Dockerfile'),
      `FROM ${infra().docker.baseImage}\nCOPY --from=extras note.txt /note.txt\n`
    );
    const req: BuildRequest = {
      context: join(ws, 'named'),
      tags: [],
      labels: {},
      buildArgs: {},
      network: 'host',
      buildContexts: [`extras=${join(ws, 'extras')}`],
      outputs: [`type=local,dest=${join(ws, 'named-out')}`]
    };
    const err = await buildImage(req, deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain("Input 'build-contexts'");
    expect((err as Error).message).toContain('# syntax=docker/dockerfile:1');
    const plain = spawnSync(buildxBuildArgv(req)[0]!, buildxBuildArgv(req).slice(1), {
      encoding: 'utf8',
      env: { ...process.env, ...env() }
    });
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toContain('unsupported frontend capability moby.buildkit.frontend.contexts');
  });

  it.each([
    ['cache-to', { cacheTo: [`type=registry,ref=127.0.0.1:5055/buildx/cache`] }, {}],
    [
      'cache-to',
      { cacheTo: ['type=gha,mode=max'] },
      { ACTIONS_CACHE_URL: 'http://127.0.0.1:9/', ACTIONS_RUNTIME_TOKEN: 'x' }
    ],
    ['platforms', { platforms: ['linux/amd64', 'linux/386'] }, {}],
    ['provenance', { provenance: 'mode=max' }, {}],
    ['sbom', { sbom: 'true' }, {}],
    ['attests', { attests: ['type=provenance,mode=min'] }, {}]
  ] as [string, Partial<BuildRequest>, Record<string, string>][])(
    'docker driver refuses %s before the build; plain buildx with the same flags fails on this driver',
    async (input, extra, extraEnv) => {
      const req: BuildRequest = {
        ...mainRequest(),
        secretValues: {},
        secretFiles: {},
        tags: [`${r1.host}/${unique('buildx/refused')}:1`],
        push: true,
        ...extra
      };
      const d = { ...deps(), env: { ...env(), ...extraEnv } };
      const err = await buildImage(req, d).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain(`Input '${input}'`);
      expect((err as Error).message).toContain('driver docker, without the containerd image store');
      expect((err as Error).message).toContain('docker-container builder with docker/setup-buildx-action');
      expect(d.logger.text()).not.toContain('#1 ');
      const argv = buildxBuildArgv(req);
      const plain = spawnSync(argv[0]!, argv.slice(1), {
        encoding: 'utf8',
        env: { ...process.env, ...env(), ...extraEnv }
      });
      expect(plain.status).not.toBe(0);
      expect(plain.stderr).toMatch(/is not supported for the docker driver/);
    }
  );

  it('a named builder: a second docker context is a docker-driver builder, and `builder` builds on it', async () => {
    const name = unique('buildx-ctx');
    docker('context', 'create', name, '--docker', `host=unix://${infra().docker.socket}`);
    try {
      expect(docker('buildx', 'ls')).toContain(name);
      const out = join(ws, 'named-builder-out');
      const d = deps();
      const r = await buildImage(
        { ...mainRequest(), builderName: name, outputs: [`type=local,dest=${out}`] },
        d
      );
      expect(r.argv.slice(0, 7)).toEqual(['docker', '--context', name, 'buildx', 'build', '--builder', name]);
      expect(readFileSync(join(out, 'greeting'), 'utf8').trim()).toBe('hi-from-build-args');
      // buildx's own record of the build is under the named builder, not the default one
      expect(existsSync(join(dockerConfig, 'buildx', 'refs', name))).toBe(true);
      expect(readdirSync(join(dockerConfig, 'buildx', 'refs', name, name)).length).toBe(1);
      // a builder that does not exist fails: the name is really used
      await expect(
        buildImage(
          { ...mainRequest(), builderName: `${name}-missing`, outputs: [`type=local,dest=${out}`] },
          deps()
        )
      ).rejects.toThrow(/no builder .* found|not found/);
    } finally {
      spawnSync('docker', ['context', 'rm', '--force', name], { env: { ...process.env, ...env() } });
    }
  });
});

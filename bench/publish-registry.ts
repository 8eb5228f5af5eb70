/**
 * publish-registry: promoting one multi-layer image (a busybox base + 4 layers of 5 MiB random data) three
 * ways, in one run, on the two local registries:
 *
 *   - this action's engine (Registry API v2: HEAD/mount/stream, no daemon),
 *   - `docker pull && docker tag && docker push` (what most workflows do),
 *   - `skopeo copy` (the daemonless tool people reach for).
 *
 * Each scenario is measured across registries (registry 1 → registry 2) and inside one registry (repository
 * → repository). Bytes are counted by a TCP proxy in front of each registry, in both directions, so every
 * method is measured the same way, TLS-probe and auth round trips included.
 *
 *   npx tsx bench/publish-registry.ts
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { silentLogger } from '../packages/core/src/index.js';
import {
  DOCKER_LIST,
  DOCKER_MANIFEST,
  RegistryClient,
  type Manifest,
  copyImage,
  parseReference
} from '../packages/registry/src/index.js';

interface Reg {
  host: string;
  username: string;
  password: string;
}
const infra = JSON.parse(readFileSync('/tmp/deploy-actions-infra/infra.json', 'utf8')) as {
  registries: Reg[];
  docker: { baseImage: string };
};
const [r1, r2] = infra.registries as [Reg, Reg];

/** A TCP proxy that counts bytes client→registry (sent) and registry→client (received). */
async function countingProxy(upstream: string, port: number) {
  const [h, p] = upstream.split(':');
  const counts = { sent: 0, received: 0 };
  const server = net.createServer((client) => {
    const up = net.connect(Number(p), h!);
    client.on('data', (b) => (counts.sent += b.length));
    up.on('data', (b) => (counts.received += b.length));
    client.pipe(up);
    up.pipe(client);
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', end);
    up.on('error', end);
    client.on('close', end);
    up.on('close', end);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return counts;
}

/**
 * The proxies run in a child process: in this process they would share the event loop with the engine
 * and slow it down, while docker and skopeo run in processes of their own.
 */
async function proxyChild(): Promise<void> {
  const c1 = await countingProxy(r1.host, 18280);
  const c2 = await countingProxy(r2.host, 18281);
  process.on('message', (m: string) => {
    if (m === 'reset') {
      Object.assign(c1, { sent: 0, received: 0 });
      Object.assign(c2, { sent: 0, received: 0 });
    }
    process.send!({ sent: c1.sent + c2.sent, received: c1.received + c2.received });
  });
  process.send!('ready');
}

async function startProxies() {
  const child = fork(fileURLToPath(import.meta.url), ['--proxy'], { execArgv: process.execArgv });
  await new Promise<void>((r) => child.once('message', () => r()));
  const ask = (m: string) =>
    new Promise<{ sent: number; received: number }>((r) => {
      child.once('message', (x) => r(x as { sent: number; received: number }));
      child.send(m);
    });
  return {
    hosts: ['127.0.0.1:18280', '127.0.0.1:18281'] as const,
    reset: () => ask('reset'),
    counts: () => ask('get'),
    close: () => child.kill()
  };
}

/** Async on purpose: the counting proxies live in this process and must keep serving while a tool runs. */
function run(argv: string[], env: NodeJS.ProcessEnv = process.env, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.stdin.end(input ?? '');
    c.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')}: ${err || out}`))
    );
  });
}

const MiB = 1024 * 1024;
const fmt = (b: number) => `${(b / MiB).toFixed(2)} MiB`;
const stamp = Date.now().toString(36);
/** Rounds: each builds a fresh image (new random layers), so no tool finds the blobs of an earlier round. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

interface Sample {
  scenario: string;
  method: string;
  ms: number;
  sent: number;
  received: number;
  kept: boolean;
}

/** Add a linux/arm64 image (one real gzipped tar layer of 1 MiB) beside the built one and list both. */
async function pushMultiPlatform(c: RegistryClient, repo: string, amd64: Manifest): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'build-bench-arm-'));
  writeFileSync(join(dir, 'data'), randomBytes(MiB));
  await run(['tar', '-czf', join(dir, 'layer.tgz'), '-C', dir, 'data']);
  const layer = readFileSync(join(dir, 'layer.tgz'));
  const diffId = `sha256:${createHash('sha256').update(gunzipSync(layer)).digest('hex')}`;
  rmSync(dir, { recursive: true, force: true });
  const layerDigest = await c.pushBlob(repo, layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'arm64',
      variant: 'v8',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [diffId] }
    })
  );
  const configDigest = await c.pushBlob(repo, config);
  const arm = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        digest: configDigest,
        size: config.length
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          digest: layerDigest,
          size: layer.length
        }
      ]
    })
  );
  const armDigest = await c.putManifest(repo, 'arm64', DOCKER_MANIFEST, arm);
  const list = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_LIST,
      manifests: [
        {
          mediaType: amd64.mediaType,
          digest: amd64.digest,
          size: amd64.body.length,
          platform: { os: 'linux', architecture: 'amd64' }
        },
        {
          mediaType: DOCKER_MANIFEST,
          digest: armDigest,
          size: arm.length,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }
        }
      ]
    })
  );
  return c.putManifest(repo, 'multi', DOCKER_LIST, list);
}

async function main() {
  const dockerConfig = mkdtempSync(join(tmpdir(), 'build-bench-docker-'));
  const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
  const proxies = await startProxies();
  const [h1, h2] = proxies.hosts;
  const byHost = new Map<string, Reg>([
    [h1, r1],
    [h2, r2]
  ]);
  const client = (host: string) => {
    const reg = byHost.get(host)!;
    return new RegistryClient({
      registry: host,
      credentials: { username: reg.username, password: reg.password }
    });
  };
  const samples: Sample[] = [];
  let imageBytes = 0;
  let layers = 0;
  const locals: string[] = [];
  try {
    for (const [host, reg] of [...byHost, [r1.host, r1] as const])
      await run(['docker', 'login', '--username', reg.username, '--password-stdin', host], env, reg.password);

    for (let round = 1; round <= ROUNDS; round++) {
      const id = `${stamp}-${round}`;
      // The image: base + 4 × 5 MiB of random data, pushed once to registry 1 and removed locally.
      const buildAndPush = async (srcRepo: string) => {
        const local = `build-bench-${id}:v1`;
        locals.push(local);
        const ctx = mkdtempSync(join(tmpdir(), 'build-bench-ctx-'));
        writeFileSync(
          join(ctx, 'Dockerfile'),
          [
            `FROM ${infra.docker.baseImage}`,
            ...[1, 2, 3, 4].map((i) => `RUN head -c ${5 * MiB} /dev/urandom > /layer${i}`),
            ''
          ].join('\n')
        );
        await run(['docker', 'build', '-q', '-t', local, ctx], { ...env, DOCKER_BUILDKIT: '0' });
        rmSync(ctx, { recursive: true, force: true });
        const source = `${r1.host}/${srcRepo}:v1`;
        await run(['docker', 'tag', local, source], env);
        await run(['docker', 'push', source], env);
        await run(['docker', 'image', 'rm', local, source], env);
        return client(h1).getManifest(srcRepo, 'v1');
      };
      const srcRepo = `build/bench-src-${id}`;
      const manifest = await buildAndPush(srcRepo);
      imageBytes = [manifest.json.config!, ...manifest.json.layers!].reduce((x, y) => x + y.size, 0);
      layers = manifest.json.layers!.length;
      const from = `${h1}/${srcRepo}:v1`;

      const measure = async (
        scenario: string,
        method: string,
        fn: () => Promise<string>,
        expected = manifest.digest
      ) => {
        await proxies.reset();
        const t = performance.now();
        const digest = await fn();
        const ms = performance.now() - t;
        samples.push({ scenario, method, ms, ...(await proxies.counts()), kept: digest === expected });
      };
      for (const [scenario, target] of [
        ['registry 1 → registry 2', h2],
        ['repository → repository (registry 1)', h1]
      ] as const) {
        const t = (m: string) => `${target}/build/bench-${m}-${id}${target === h1 ? '-same' : ''}`;
        const dst = byHost.get(target)!;
        await measure(scenario, 'publish-registry engine', async () => {
          const src = client(h1);
          const r = await copyImage(
            { ref: parseReference(from), client: src },
            [
              { ref: parseReference(t('engine')), client: target === h1 ? src : client(target), tags: ['v1'] }
            ],
            { logger: silentLogger }
          );
          return r.digest;
        });
        await measure(scenario, 'docker pull + tag + push', async () => {
          await run(['docker', 'pull', '-q', from], env);
          await run(['docker', 'tag', from, `${t('docker')}:v1`], env);
          const out = await run(['docker', 'push', `${t('docker')}:v1`], env);
          await run(['docker', 'image', 'rm', from, `${t('docker')}:v1`], env);
          return /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1] ?? '?';
        });
        await measure(scenario, 'skopeo copy', async () => {
          // prettier-ignore
          await run([
            'skopeo', 'copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false',
            '--src-creds', `${r1.username}:${r1.password}`, '--dest-creds', `${dst.username}:${dst.password}`,
            `docker://${from}`, `docker://${t('skopeo')}:v1`
          ]);
          const out = await run([
            'skopeo', 'inspect', '--tls-verify=false', '--creds', `${dst.username}:${dst.password}`, `docker://${t('skopeo')}:v1`
          ]); // prettier-ignore
          return (JSON.parse(out) as { Digest: string }).Digest;
        });
      }
      // Promotion is often a re-run onto a target that already has the image.
      await measure('re-run onto the same target (registry 2)', 'publish-registry engine', async () => {
        const r = await copyImage(
          { ref: parseReference(from), client: client(h1) },
          [{ ref: parseReference(`${h2}/build/bench-engine-${id}`), client: client(h2), tags: ['v1'] }],
          { logger: silentLogger }
        );
        return r.digest;
      });

      // A multi-platform image: the built linux/amd64 image plus a linux/arm64 one, under a manifest list.
      // A multi-platform list per method, each over a freshly built amd64 image (plus an arm64 one), so no
      // tool's cache knows where its layers already are and each pays the full copy.
      const scenario = 'multi-platform list (amd64 + arm64), registry 1 → registry 2';
      const freshList = async (m: string) => {
        const repo = `build/bench-src-multi-${m}-${id}`;
        const index = await pushMultiPlatform(client(h1), repo, await buildAndPush(repo));
        return { index, multi: `${h1}/${repo}:multi`, to: `${h2}/build/bench-multi-${m}-${id}:v1` };
      };
      {
        const { index, multi, to } = await freshList('engine');
        await measure(
          scenario,
          'publish-registry engine',
          async () =>
            (
              await copyImage(
                { ref: parseReference(multi), client: client(h1) },
                [{ ref: parseReference(to), client: client(h2), tags: ['v1'] }],
                { logger: silentLogger }
              )
            ).digest,
          index
        );
      }
      {
        const { index, multi, to } = await freshList('docker');
        await measure(
          scenario,
          'docker pull + tag + push',
          async () => {
            await run(['docker', 'pull', '-q', multi], env);
            await run(['docker', 'tag', multi, to], env);
            const out = await run(['docker', 'push', to], env);
            await run(['docker', 'image', 'rm', multi, to], env);
            return /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1] ?? '?';
          },
          index
        );
      }
      for (const all of [false, true]) {
        const { index, multi, to } = await freshList(all ? 'skopeo-all' : 'skopeo');
        await measure(
          scenario,
          all ? 'skopeo copy --all' : 'skopeo copy',
          async () => {
            // prettier-ignore
            await run([
              'skopeo', 'copy', '--quiet', ...(all ? ['--all'] : []), '--src-tls-verify=false', '--dest-tls-verify=false',
              '--src-creds', `${r1.username}:${r1.password}`, '--dest-creds', `${r2.username}:${r2.password}`,
              `docker://${multi}`, `docker://${to}`
            ]);
            const raw = await run([
              'skopeo', 'inspect', '--raw', '--tls-verify=false', '--creds', `${r2.username}:${r2.password}`, `docker://${to}`
            ]); // prettier-ignore
            return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
          },
          index
        );
      }
    }

    const keys = [...new Set(samples.map((x) => `${x.scenario}\u0000${x.method}`))];
    console.log(
      `\n### publish-registry: promoting one image (${layers} layers, ${fmt(imageBytes)}), median of ${ROUNDS} rounds\n`
    );
    console.log('| scenario | method | wall time | bytes sent | bytes received | digest kept |');
    console.log('| --- | --- | ---: | ---: | ---: | --- |');
    for (const key of keys) {
      const [scenario, method] = key.split('\u0000') as [string, string];
      const xs = samples.filter((x) => x.scenario === scenario && x.method === method);
      console.log(
        `| ${scenario} | ${method} | ${(median(xs.map((x) => x.ms)) / 1000).toFixed(2)} s | ${fmt(median(xs.map((x) => x.sent)))} | ${fmt(median(xs.map((x) => x.received)))} | ${xs.every((x) => x.kept) ? 'yes' : 'NO'} |`
      );
    }
    console.log(
      '\nBytes are counted at TCP level by proxies (a separate process) in front of both registries, both ' +
        'directions, auth and TLS probes included. Each round uses a fresh image and fresh target repositories.'
    );
  } finally {
    proxies.close();
    spawnSync('docker', ['image', 'rm', '--force', ...locals], { env });
    rmSync(dockerConfig, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--proxy') await proxyChild();
else await main();

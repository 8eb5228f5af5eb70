/**
 * build-image: what the action costs over the script a user would otherwise write, on the classic
 * builder (no buildx here, so docker/build-push-action is not an option):
 *
 *   - this action's engine: metadata-action tag rules + OCI labels, builder detection, build, push per tag;
 *   - the hand-written step: `docker build -t … -t … && docker push …` for the same four tags.
 *
 * Every build has a fresh random 3 MB layer, as a new commit would, so neither method reuses the other's.
 *
 *   npx tsx bench/build-image.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor } from '../packages/core/src/executor.js';
import { silentLogger } from '../packages/core/src/logger.js';
import { buildImage } from '../packages/docker/src/build.js';
import { computeMeta } from '../packages/docker/src/tags.js';

const infra = JSON.parse(readFileSync('/tmp/deploy-actions-infra/infra.json', 'utf8')) as {
  registries: { host: string; username: string; password: string }[];
  docker: { baseImage: string };
};
const r1 = infra.registries[0]!;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function run(argv: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0]!, argv.slice(1), { env });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.stdin.end(input ?? '');
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')}: ${err}`))));
  });
}

async function main() {
  const dockerConfig = mkdtempSync(join(tmpdir(), 'build-bench-cfg-'));
  const env = { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_BUILDKIT: '0' };
  const ctx = mkdtempSync(join(tmpdir(), 'build-bench-ctx-'));
  const images: string[] = [];
  const times: Record<string, number[]> = { engine: [], script: [], meta: [] };
  try {
    await run(['docker', 'login', '--username', r1.username, '--password-stdin', r1.host], env, r1.password);
    for (let round = 0; round < ROUNDS; round++) {
      for (const method of ['engine', 'script'] as const) {
        // A fresh 3 MB layer per build: no method reuses (or mounts) what the other pushed.
        const nonce = `${Date.now()}-${Math.random()}`;
        writeFileSync(
          join(ctx, 'Dockerfile'),
          `FROM ${infra.docker.baseImage}\nRUN echo ${nonce} > /nonce && head -c 3000000 /dev/urandom > /base\n`
        );
        const repo = `${r1.host}/build/bench-build-${method}-${Date.now().toString(36)}`;
        const t0 = performance.now();
        const meta = computeMeta({
          images: [repo],
          tagRules: [
            'type=semver,pattern={{version}}',
            'type=semver,pattern={{major}}.{{minor}}',
            'type=sha'
          ],
          context: {
            ref: 'refs/tags/v1.4.2',
            sha: '0123456789abcdef0123456789abcdef01234567',
            eventName: 'push',
            repository: 'acme/shop',
            serverUrl: 'https://github.com'
          }
        });
        times.meta!.push(performance.now() - t0);
        const t = performance.now();
        if (method === 'engine') {
          await buildImage(
            { context: ctx, tags: meta.tags, labels: meta.labels, buildArgs: {}, push: true },
            { executor: new LocalExecutor({ env }), logger: silentLogger }
          );
        } else {
          await run(
            [
              'docker',
              'build',
              '-q',
              ...meta.tags.flatMap((x) => ['-t', x]),
              ...Object.entries(meta.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
              ctx
            ],
            env
          );
          for (const tag of meta.tags) await run(['docker', 'push', tag], env);
        }
        times[method]!.push(performance.now() - t);
        images.push(...meta.tags);
      }
    }
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`\n### build-image: build + push 4 tags, classic builder, median of ${ROUNDS} rounds\n`);
    console.log('| method | wall time |');
    console.log('| --- | ---: |');
    console.log(
      `| build-image engine (detect builder, build with labels, push per tag) | ${s(median(times.engine!))} |`
    );
    console.log(
      `| docker build -t ×4 --label ×8 && docker push ×4 (hand-written) | ${s(median(times.script!))} |`
    );
    console.log(`| of which: tag rules + OCI labels (computeMeta) | ${median(times.meta!).toFixed(2)} ms |`);
  } finally {
    spawnSync('docker', ['image', 'rm', '--force', ...images], { env });
    rmSync(ctx, { recursive: true, force: true });
    rmSync(dockerConfig, { recursive: true, force: true });
  }
}

await main();

/**
 * build-image: what the action costs over the script a user would otherwise write, on the classic
 * builder (no buildx here, so docker/build-push-action is not an option):
 *
 *   - this action's engine: metadata-action tag rules + OCI labels, builder detection, build, push per tag;
 *   - the hand-written step: `docker build -t … -t … && docker push …` for the same four tags.
 *
 * Every build has a fresh random 3 MB layer, as a new commit would, so neither method reuses the other's.
 *
 * Then tag + label computation alone over a large table of our own cases (events × rule sets × flavors,
 * every rule type and expression), total and per case. BENCH_META_ONLY=1 runs only that part.
 *
 * Then (benchBuilders) the same Dockerfile through buildx cold and warm, the classic builder and a hand-run
 * `docker buildx build`. BENCH_BUILDX_ONLY=1 runs only that part.
 *
 *   npx tsx bench/build-image.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor, silentLogger } from '../packages/core/src/index.js';
import {
  buildImage,
  buildxBuildArgv,
  computeMeta,
  linesToRecord,
  parseFlavor,
  resolveMetaContext,
  type MetaInput
} from '../packages/docker/src/index.js';

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
          context: resolveMetaContext(
            {
              ref: 'refs/tags/v1.4.2',
              sha: '0123456789abcdef0123456789abcdef01234567',
              eventName: 'push',
              repository: 'acme/shop',
              serverUrl: 'https://github.com'
            },
            {}
          )
        });
        const labels = linesToRecord(meta.labels);
        times.meta!.push(performance.now() - t0);
        const t = performance.now();
        if (method === 'engine') {
          await buildImage(
            { context: ctx, tags: meta.tags, labels, buildArgs: {}, push: true },
            { executor: new LocalExecutor({ env }), logger: silentLogger }
          );
        } else {
          await run(
            [
              'docker',
              'build',
              '-q',
              ...meta.tags.flatMap((x) => ['-t', x]),
              ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
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

/** Our own table: 12 events × 10 rule sets × 4 flavors = 480 cases, each computed as the action does. */
function metaCases(): MetaInput[] {
  const sha = 'c0ffee1234567890abcdef1234567890abcdef12';
  const repo = {
    name: 'shop',
    html_url: 'https://github.com/acme/shop',
    default_branch: 'main',
    description: 'A shop',
    license: { spdx_id: 'MIT' }
  };
  const events: [string, string, Record<string, unknown>][] = [
    [
      'push',
      'refs/heads/main',
      { repository: repo, commits: [{ id: sha, timestamp: '2026-03-04T05:06:07Z' }] }
    ],
    ['push', 'refs/heads/feature/checkout-v2', { repository: repo }],
    ['push', 'refs/tags/v1.4.2', { repository: repo, base_ref: 'refs/heads/main' }],
    ['push', 'refs/tags/v2.0.0-rc.1', { repository: repo }],
    ['push', 'refs/tags/1.4.2rc1', { repository: repo }],
    ['push', 'refs/tags/release-2026.03', { repository: repo }],
    [
      'pull_request',
      'refs/pull/42/merge',
      { repository: repo, number: 42, pull_request: { number: 42, base: { ref: 'main' }, head: { sha } } }
    ],
    [
      'pull_request_target',
      'refs/heads/main',
      { repository: repo, number: 43, pull_request: { number: 43, head: { sha } } }
    ],
    ['schedule', 'refs/heads/main', { repository: repo }],
    ['workflow_dispatch', 'refs/heads/develop', { repository: repo }],
    ['release', 'refs/tags/v3.1.0', { repository: repo }],
    ['create', 'refs/tags/v0.9.1', { repository: repo }]
  ];
  const ruleSets: string[][] = [
    [],
    [
      'type=semver,pattern={{version}}',
      'type=semver,pattern={{major}}.{{minor}}',
      'type=semver,pattern={{major}}',
      'type=sha'
    ],
    ['type=pep440,pattern={{version}}', 'type=pep440,pattern={{major}}.{{minor}}', 'type=ref,event=pr'],
    [
      'type=match,pattern=v(\\d+\\.\\d+),group=1',
      'type=match,pattern=/^release-(\\d+)/i,group=1',
      'type=ref,event=branch'
    ],
    [
      "type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
      'type=edge',
      "type=raw,value={{commit_date 'YYYY-MM-DD'}}"
    ],
    [
      'type=ref,event=branch,prefix=br-,suffix=-{{sha}}',
      'type=ref,event=tag',
      'type=ref,event=pr,prefix=pull-'
    ],
    [
      'type=raw,value=latest,enable={{is_default_branch}}',
      'type=raw,value=base-{{base_ref}}',
      'type=sha,format=long,prefix='
    ],
    [
      'type=semver,pattern={{raw}}',
      'type=semver,pattern={{version}},value=v9.8.7',
      'type=semver,pattern={{major}},match=v(\\d.*)'
    ],
    [
      'type=raw,value=stable,priority=1000',
      'type=edge,branch=develop',
      'type=sha,enable={{is_not_default_branch}}'
    ],
    [
      'type=ref,event=branch',
      'type=ref,event=tag',
      'type=ref,event=pr',
      'type=schedule',
      'type=edge',
      'type=sha'
    ]
  ];
  const flavors = [
    [],
    ['latest=false'],
    ['prefix=app-,onlatest=true', 'suffix=-alpine'],
    ['latest=true', 'suffix=-slim,onlatest=true']
  ];
  const out: MetaInput[] = [];
  for (const [eventName, ref, payload] of events)
    for (const tagRules of ruleSets)
      for (const flavor of flavors)
        out.push({
          images: ['ghcr.io/acme/shop', 'name=docker.io/acme/shop,enable=true'],
          tagRules,
          flavor: parseFlavor(flavor),
          labels: ['org.opencontainers.image.vendor=Acme', 'team={{branch}}'],
          annotations: ['org.opencontainers.image.ref.name={{tag}}'],
          context: resolveMetaContext(
            { eventName, ref, sha, repository: 'acme/shop', serverUrl: 'https://github.com' },
            payload,
            {}
          ),
          now: new Date('2026-03-04T05:06:07Z')
        });
  return out;
}

function benchMeta() {
  const cases = metaCases();
  for (const c of cases) computeMeta(c); // warm up
  const rounds = 20;
  const totals: number[] = [];
  let tags = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (const c of cases) tags += computeMeta(c).tags.length;
    totals.push(performance.now() - t0);
  }
  const total = median(totals);
  console.log(
    `\n### build-image: tag + label computation, ${cases.length} cases of our own table, median of ${rounds} rounds\n`
  );
  console.log('| what | time |');
  console.log('| --- | ---: |');
  console.log(
    `| all ${cases.length} cases (computeMeta: rules, expressions, labels, annotations) | ${total.toFixed(2)} ms |`
  );
  console.log(`| per case | ${((total / cases.length) * 1000).toFixed(1)} µs |`);
  console.log(`| tags produced per round | ${tags / rounds} |`);
}

/**
 * The same Dockerfile four ways (issue 24), each pushing two tags to the lab registry, median of
 * BENCH_BUILDX_ROUNDS (5) alternating rounds:
 *   - build-image (engine), buildx, cold: a fresh 3 MB layer, so no step is cached;
 *   - build-image, buildx, warm: the previous round's context again, with cache-from/cache-to type=inline;
 *   - build-image, classic builder (cold), docker build + docker push per tag;
 *   - plain `docker buildx build` run by hand with exactly the flags build-image passes (its argv, from the
 *     same pure function: --network host, --iidfile, --metadata-file, cache flags, --push), cold and warm.
 */
async function benchBuilders() {
  const rounds = Number(process.env.BENCH_BUILDX_ROUNDS ?? 5);
  const dockerConfig = mkdtempSync(join(tmpdir(), 'build-bench-bx-cfg-'));
  const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
  const ctx = mkdtempSync(join(tmpdir(), 'build-bench-bx-ctx-'));
  const rows = ['engine-cold', 'engine-warm', 'classic', 'hand-cold', 'hand-warm'] as const;
  const times = Object.fromEntries(rows.map((r) => [r, [] as number[]])) as Record<
    (typeof rows)[number],
    number[]
  >;
  const images: string[] = [];
  const fresh = () =>
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM ${infra.docker.baseImage}\nRUN echo ${Date.now()}-${Math.random()} > /nonce && head -c 3000000 /dev/urandom > /base\nRUN echo done > /done\n`
    );
  try {
    await run(['docker', 'login', '--username', r1.username, '--password-stdin', r1.host], env, r1.password);
    for (let round = 0; round < rounds; round++) {
      // alternate the order each round so no method always runs right after another
      const order = round % 2 === 0 ? ['engine', 'classic', 'hand'] : ['hand', 'classic', 'engine'];
      for (const method of order) {
        const repo = `${r1.host}/build/bench-bx-${method}-${Date.now().toString(36)}`;
        const tags = [`${repo}:1`, `${repo}:latest`];
        images.push(...tags);
        const cache = { cacheFrom: [`type=registry,ref=${repo}:1`], cacheTo: ['type=inline'] };
        const req = { context: ctx, tags, labels: {}, buildArgs: {}, push: true, network: 'host', ...cache };
        fresh();
        if (method === 'classic') {
          const t = performance.now();
          await buildImage(
            {
              context: ctx,
              tags,
              labels: {},
              buildArgs: {},
              push: true,
              network: 'host',
              builder: 'classic'
            },
            { executor: new LocalExecutor({ env }), logger: silentLogger }
          );
          times.classic.push(performance.now() - t);
          continue;
        }
        for (const phase of ['cold', 'warm'] as const) {
          const t = performance.now();
          if (method === 'engine')
            await buildImage(
              { ...req, builder: 'auto' },
              { executor: new LocalExecutor({ env }), logger: silentLogger }
            );
          else {
            const dir = mkdtempSync(join(tmpdir(), 'build-bench-bx-hand-'));
            await run(
              buildxBuildArgv({
                ...req,
                iidFile: join(dir, 'iid'),
                metadataFile: join(dir, 'metadata.json')
              }),
              env
            );
            rmSync(dir, { recursive: true, force: true });
          }
          times[`${method}-${phase}` as (typeof rows)[number]].push(performance.now() - t);
        }
      }
    }
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const m = (r: (typeof rows)[number]) => median(times[r]);
    console.log(
      `\n### build-image: one Dockerfile four ways, build + push 2 tags, median of ${rounds} alternating rounds\n`
    );
    console.log('| way | wall time |');
    console.log('| --- | ---: |');
    console.log(`| build-image, buildx, cold (fresh 3 MB layer) | ${s(m('engine-cold'))} |`);
    console.log(`| build-image, buildx, warm (inline cache, same context) | ${s(m('engine-warm'))} |`);
    console.log(
      `| build-image, classic builder, cold (docker build + docker push per tag) | ${s(m('classic'))} |`
    );
    console.log(`| plain docker buildx build by hand, build-image's flags, cold | ${s(m('hand-cold'))} |`);
    console.log(`| plain docker buildx build by hand, build-image's flags, warm | ${s(m('hand-warm'))} |`);
    console.log(
      `| warm build-image / warm hand-run (goal ≤ 1.10) | ${(m('engine-warm') / m('hand-warm')).toFixed(2)} |`
    );
  } finally {
    spawnSync('docker', ['image', 'rm', '--force', ...images], { env });
    rmSync(ctx, { recursive: true, force: true });
    rmSync(dockerConfig, { recursive: true, force: true });
  }
}

if (process.env.BENCH_BUILDX_ONLY === '1') await benchBuilders();
else {
  benchMeta();
  if (process.env.BENCH_META_ONLY !== '1') {
    await main();
    await benchBuilders();
  }
}

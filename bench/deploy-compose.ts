/**
 * deploy-compose and rollback, near and far: wall time, SSH sessions and failed requests under the same
 * steady load (20 requests/s on fresh connections, for the duration of each operation), against what users
 * run today:
 *
 *   ssh host 'docker-compose pull && docker-compose up -d'    (appleboy/ssh-action style)
 *
 * near: root over plain loopback (127.0.0.1:2222; its login shell costs what this machine's root rc files
 *       cost). far: a field host (scripts/infra.sh): a non-root user in the docker group whose ~/.bashrc costs
 *       ~0.4 s, behind a ~50 ms-each-way latency proxy. Same dockerd, registry and nginx.
 *
 *   npx tsx bench/deploy-compose.ts
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Executor } from '../packages/core/src/index.js';
import { deploy, rollback, type DeploySpec } from '../packages/deploy/src/index.js';
import { SshExecutor } from '../packages/ssh/src/index.js';
import { fieldHost, infra, type FieldHost } from '../test/support/infra.js';
import { detectOn } from '../test/support/compose-hosts.js';
import {
  COMPOSE,
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  load,
  rollbackSpec,
  version
} from '../test/deploy/support.js';

interface Where {
  label: string;
  host: string;
  port: number;
  user: string;
  keyPath: string;
  knownHostsPath: string;
  stateDir: string;
  /** Base port of this column's apps. */
  base: number;
}

interface Cell {
  ms: number;
  sessions: number;
  failed: string;
  /** From the start until the first request answered by the version it brings (sent then, answered 200). */
  servedMs?: number;
  noopMs?: number;
  /** The migrate phase alone (its session, compose run of `true`), as the outcome records it. */
  migrateMs?: number;
}

function near(): Where {
  const { ssh } = infra();
  const dir = '/tmp/deploy-actions-bench-near';
  mkdirSync(dir, { recursive: true });
  return { label: 'near', ...ssh, stateDir: dir, base: 18460 };
}

function far(): Where {
  const h = fieldHost(1);
  return { label: 'far', ...h, base: 18480 };
}

/** The far hosts by Compose generation: host 2 runs the v2 plugin, host 4 docker-compose v1 (infra.json). */
function farOn(generation: 'v1' | 'v2'): { w: Where; h: FieldHost } {
  const i = infra().hosts.findIndex((h) => h.compose === generation && h.name !== 'host1');
  if (i < 0) throw new Error(`no field host runs Compose ${generation}: bash scripts/infra.sh up`);
  const h = fieldHost(i);
  return { w: { label: `far-${generation}`, ...h, base: generation === 'v2' ? 18920 : 18940 }, h };
}

/**
 * The bridge-network app: the test image listening on 0.0.0.0:8080 in its container, on the project's own
 * network, published with `ports:` as users write it. Slot strategies rewrite the release's copy to publish
 * each slot on 127.0.0.1:<slot port>:8080.
 */
const BRIDGE = `services:
  web:
    image: ${IMAGE_REPO}:v1
    stop_grace_period: 2s
    env_file: .env
    ports:
      - "8080:8080"
    command: ["sh", "-c", "exec httpd -f -p 0.0.0.0:8080 -h /www"]
`;

/** blue-green v1 → v2 and the rollback, per Compose generation (far hosts) and network (host, bridge). */
async function generations(): Promise<void> {
  const out: string[] = [];
  for (const generation of ['v1', 'v2'] as const)
    for (const [net, offset, over] of [
      ['host network', 0, {}],
      ['bridge network, `ports:`', 5, { composeText: BRIDGE }]
    ] as const) {
      const { w, h } = farOn(generation);
      const tool = detectOn(h);
      const composeName = 'generation' in tool ? `${tool.generation} (${tool.version})` : '?';
      const r = await engine(w, 'blue-green', offset, false, {
        tag: net.startsWith('host') ? 'h' : 'b',
        over
      });
      out.push(
        `| ${net} | ${composeName} on ${h.name} | ${secs(r.deploy.ms)} | ${secs(r.deploy.servedMs)} | ${r.deploy.failed} | ${secs(r.rollback.ms)} | ${secs(r.rollback.servedMs)} | ${r.rollback.failed} |`
      );
    }
  const l = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  console.log(
    `\n### blue-green and rollback on the far hosts, Compose v1 and v2, host and bridge network (load average ${l})\n`
  );
  console.log(
    '| app | Compose on the host | blue-green v1 → v2: wall time | serving after | failed requests | rollback: wall time | serving after | failed requests |'
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const line of out) console.log(line);
  console.log(
    '\nGate: 200 ms interval, 2 successes; drain 1 s. Goals on the far host with Compose v2: the rollback serves the old release within 3 s, completes within 8 s, 0 failed requests.'
  );
}

function connector(w: Where, opened: SshExecutor[]): (h: string) => Promise<Executor> {
  return async () => {
    const e = await SshExecutor.connect({
      host: w.host,
      port: w.port,
      user: w.user,
      privateKey: readFileSync(w.keyPath, 'utf8'),
      knownHosts: readFileSync(w.knownHostsPath, 'utf8'),
      connectTimeoutMs: 10_000
    });
    opened.push(e);
    return e;
  };
}

/** Time `fn` under 20 requests/s; `brings`: the version it puts on the port, to time when it first answered. */
async function measure(
  port: number,
  brings: string,
  fn: () => Promise<number | void>
): Promise<Omit<Cell, 'noopMs'>> {
  const during = load(port, 20);
  const t = performance.now();
  const sentFrom = Date.now();
  const sessions = (await fn()) ?? 1;
  const ms = performance.now() - t;
  // The plain command may return before its container answers: wait for it, so its first answer is counted.
  await waitFor(port, brings);
  const r = await during.stop();
  const seen = r.firstSeen[brings];
  return {
    ms,
    sessions,
    failed: `${r.failed} / ${r.total}`,
    ...(seen !== undefined ? { servedMs: seen - sentFrom } : {})
  };
}

function sshPlain(w: Where, script: string, stdin?: string): Promise<void> {
  const argv = [
    '-i',
    w.keyPath,
    '-p',
    String(w.port),
    '-o',
    `UserKnownHostsFile=${w.knownHostsPath}`,
    '-o',
    'BatchMode=yes',
    '--',
    `${w.user}@${w.host}`,
    script
  ];
  return new Promise((resolve, reject) => {
    const c = spawn('ssh', argv, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    if (stdin !== undefined) c.stdin!.end(stdin);
    let err = '';
    c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`plain ssh deploy failed: ${err}`))));
  });
}

async function waitFor(port: number, want: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await version(port)) === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} never served ${want}`);
}

/** The plain way: one ssh command per deploy (v1 → v2). */
async function plain(w: Where): Promise<Cell> {
  const port = w.base;
  const dir = `${w.stateDir}/bench-plain`;
  const project = `deploy-bench-plain-${w.label}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const owner = statSync(w.stateDir);
  const file = (name: string, text: string) => {
    writeFileSync(`${dir}/${name}`, text);
    chownSync(`${dir}/${name}`, owner.uid, owner.gid);
  };
  chownSync(dir, owner.uid, owner.gid);
  file('compose.yml', COMPOSE.replace(`${IMAGE_REPO}:v1`, '${IMAGE}'));
  const env = (tag: string) => file('.env', `IMAGE=${IMAGE_REPO}:${tag}\nPORT=${port}\nGREETING=hello\n`);
  const up = `cd ${dir} && export DOCKER_CONFIG=${dir}/.docker && docker-compose -p ${project} pull -q && docker-compose -p ${project} up -d`;
  const reg = infra().registries[0]!;
  try {
    // Logged in once beforehand (not measured), as a host set up by hand would be.
    await sshPlain(
      w,
      `DOCKER_CONFIG=${dir}/.docker docker login ${reg.host} --username ${reg.username} --password-stdin >/dev/null`,
      reg.password
    );
    env('v1');
    await sshPlain(w, up);
    await waitFor(port, 'v1');
    env('v2');
    return await measure(port, 'v2', () => sshPlain(w, up));
  } finally {
    execFileSync('sh', ['-c', `cd ${dir} && docker-compose -p ${project} down -t 1`], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * deploy-compose v1 then v2 (measured), then a rollback to v1 (measured). `migrate`: the v2 deploy runs a
 * trivial migrate-command (`true` in the new image, before the switch), to measure what the step costs.
 */
async function engine(
  w: Where,
  strategy: DeploySpec['strategy'],
  offset: number,
  migrate = false,
  o: { tag?: string; over?: Partial<DeploySpec> } = {}
) {
  const app = `deploy-bench-${strategy === 'recreate' ? 'rc' : 'bg'}${migrate ? 'm' : ''}${o.tag ?? ''}-${w.label}`;
  const port = w.base + offset;
  try {
    const base = deploySpec(app, w.stateDir, port, {
      strategy,
      drainMs: 1000,
      lockStaleMs: 600_000,
      ...(strategy === 'recreate' ? { slotCheckPath: undefined } : {}),
      ...o.over
    });
    const first = await deploy(base, deps({ connect: connector(w, []) }));
    if (!first.ok) throw first.error;
    let noopMs = 0;
    let migrateMs: number | undefined;
    const run = async (
      fn: (
        connect: (h: string) => Promise<Executor>
      ) => Promise<{ ok: boolean; migration?: { durationMs: number } }>
    ) => {
      const opened: SshExecutor[] = [];
      const o = await fn(connector(w, opened));
      if (!o.ok) throw (o as { error?: Error }).error;
      noopMs = opened[0]?.noopMs ?? 0;
      migrateMs ??= o.migration?.durationMs;
      return opened.reduce((n, e) => n + e.sessions, 0);
    };
    const d = await measure(port, 'v2', () =>
      run((connect) =>
        deploy(
          {
            ...base,
            version: 'v2',
            images: { web: `${IMAGE_REPO}:v2` },
            ...(migrate ? { migrate: { command: ['true'], service: 'web', timeoutMs: 60_000 } } : {})
          },
          deps({ connect })
        )
      )
    );
    let log: ReturnType<typeof deps>['logger'] | undefined;
    const r = await measure(port, 'v1', () =>
      run((connect) => {
        const rd = deps({ connect });
        log = rd.logger;
        return rollback(rollbackSpec(base), rd);
      })
    );
    if ((await version(port)) !== 'v1') throw new Error(`${strategy}: rollback did not bring v1 back`);
    // The rollback's profile: each phase's wall time on the host (one SSH session each), from the engine's log.
    const phases: Record<string, number> = {};
    for (const l of log?.lines ?? []) {
      const m = /phase (\w+) took (\d+)ms/.exec(l.message);
      if (m) phases[m[1]!] = (phases[m[1]!] ?? 0) + Number(m[2]);
    }
    return {
      deploy: { ...d, noopMs, ...(migrateMs !== undefined ? { migrateMs } : {}) },
      rollback: { ...r, noopMs },
      phases
    };
  } finally {
    cleanup(w.stateDir, app);
  }
}

buildImages();
const secs = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
// `npx tsx bench/deploy-compose.ts generations`: only the Compose v1/v2 table.
if (process.argv[2] === 'generations') {
  await generations();
  process.exit(0);
}
const columns = [near(), far()];
const profiles: Record<string, number>[] = [];
const rows: { method: string; cells: Cell[] }[] = [
  { method: "plain `ssh host 'docker-compose pull && docker-compose up -d'`", cells: [] },
  { method: 'deploy-compose `strategy: recreate`', cells: [] },
  { method: 'deploy-compose `strategy: blue-green`', cells: [] },
  { method: 'rollback (blue-green)', cells: [] },
  { method: 'deploy-compose `strategy: blue-green` + trivial `migrate-command` (`true`)', cells: [] }
];
for (const w of columns) {
  rows[0]!.cells.push(await plain(w));
  rows[1]!.cells.push((await engine(w, 'recreate', 2)).deploy);
  const bg = await engine(w, 'blue-green', 5);
  rows[2]!.cells.push(bg.deploy);
  rows[3]!.cells.push(bg.rollback);
  rows[4]!.cells.push((await engine(w, 'blue-green', 8, true)).deploy);
  profiles.push(bg.phases);
}

const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const noop = (i: number) => rows[2]!.cells[i]!.noopMs ?? 0;
console.log(
  `\n### deploy-compose near and far: v1 → v2, and the rollback, under 20 requests/s (load average ${load1})\n`
);
console.log(
  `near: root@127.0.0.1:2222, loopback (a no-op costs ${Math.round(noop(0))} ms here); far: ${columns[1]!.user} behind the latency proxy, slow rc file (a no-op costs ${Math.round(noop(1))} ms)\n`
);
console.log(
  '| method | near: wall time | near: serving after | near: SSH sessions | near: failed requests | far: wall time | far: serving after | far: SSH sessions | far: failed requests |'
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| ${r.method} | ${r.cells.map((c) => `${secs(c.ms)} | ${secs(c.servedMs)} | ${c.sessions} | ${c.failed}`).join(' | ')} |`
  );
console.log('\n#### where the blue-green rollback spends its time\n');
console.log('| part | near | far |');
console.log('| --- | ---: | ---: |');
for (const phase of ['open', 'start', 'finish'])
  console.log(
    `| phase ${phase} (one session) | ${profiles.map((p) => `${((p[phase] ?? 0) / 1000).toFixed(1)} s`).join(' | ')} |`
  );
console.log(
  `| the rest: connect and its no-op, the gate from the runner | ${profiles
    .map((p, i) => {
      const phases = Object.values(p).reduce((a, b) => a + b, 0);
      return `${((rows[3]!.cells[i]!.ms - phases) / 1000).toFixed(1)} s`;
    })
    .join(' | ')} |`
);
const bgRatio = rows[2]!.cells[1]!.ms / rows[2]!.cells[0]!.ms;
const over = (i: number) =>
  `${((rows[4]!.cells[i]!.ms - rows[2]!.cells[i]!.ms) / 1000).toFixed(1)} s and ${rows[4]!.cells[i]!.sessions - rows[2]!.cells[i]!.sessions} session(s)`;
const phase = (i: number) => `${((rows[4]!.cells[i]!.migrateMs ?? 0) / 1000).toFixed(1)} s`;
console.log(
  `\nmigrate-command overhead over the same blue-green deploy (two runs, so load noise included): near ${over(0)}, far ${over(1)}; ` +
    `the migrate phase itself (its session and the compose run, as recorded in the release): near ${phase(0)}, far ${phase(1)}.`
);
console.log(
  `\nblue-green far / near: ${bgRatio.toFixed(2)}× (goal ≤ 1.3×); rollback far: ${(rows[3]!.cells[1]!.ms / 1000).toFixed(1)} s (goal ≤ 10 s).`
);
console.log(
  'serving after: from the start until the first request (of the 20/s) that the version it brings answered. ' +
    'SSH sessions: sessions the engine opened on the host (the no-op at connect included); the plain command is one. ' +
    'deploy-compose times include the lock, the release directory, the pull, the host-side readiness wait, the health gate (2 passing rounds, 200 ms apart) and, for blue-green, the 1 s drain.'
);

await generations();

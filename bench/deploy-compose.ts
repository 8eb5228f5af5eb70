/**
 * deploy-compose and rollback: wall time per strategy and failed requests under the same steady load
 * (20 requests/s on fresh connections, for the duration of each operation), against what users run today:
 *
 *   ssh host 'docker-compose pull && docker-compose up -d'    (appleboy/ssh-action style)
 *
 * All on this machine: the real sshd at 127.0.0.1:2222, dockerd, registry 127.0.0.1:5055 and nginx.
 *
 *   npx tsx bench/deploy-compose.ts
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { deploy, rollback, type DeploySpec } from '../packages/deploy/src/index.js';
import { infra } from '../test/support/infra.js';
import {
  COMPOSE,
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  load,
  rollbackSpec,
  stateDir,
  version
} from '../test/deploy/support.js';

interface Row {
  method: string;
  deployMs: number;
  deployFailed: string;
  rollbackMs: number;
  rollbackFailed: string;
}

async function measure(fn: () => Promise<void>, port: number): Promise<{ ms: number; failed: string }> {
  const during = load(port, 20);
  const t = performance.now();
  await fn();
  const ms = performance.now() - t;
  const r = await during.stop();
  return { ms, failed: `${r.failed} / ${r.total}` };
}

function sshPlain(script: string): Promise<void> {
  const { ssh } = infra();
  const argv = [
    '-i',
    ssh.keyPath,
    '-p',
    String(ssh.port),
    '-o',
    `UserKnownHostsFile=${ssh.knownHostsPath}`,
    '-o',
    'BatchMode=yes',
    `${ssh.user}@${ssh.host}`,
    script
  ];
  return new Promise((resolve, reject) => {
    const c = spawn('ssh', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`plain ssh deploy failed: ${err}`))));
  });
}

async function plain(port: number): Promise<Row> {
  const dir = '/tmp/deploy-actions-test-deploy-bench-plain';
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/compose.yml`, COMPOSE.replace(`${IMAGE_REPO}:v1`, '${IMAGE}'));
  const env = (tag: string) =>
    writeFileSync(`${dir}/.env`, `IMAGE=${IMAGE_REPO}:${tag}\nPORT=${port}\nGREETING=hello\n`);
  const up = `cd ${dir} && docker-compose -p deploy-bench-plain pull -q && docker-compose -p deploy-bench-plain up -d`;
  try {
    env('v1');
    await sshPlain(up);
    await waitFor(port, 'v1');
    env('v2');
    const d = await measure(() => sshPlain(up), port);
    await waitFor(port, 'v2');
    env('v1');
    const r = await measure(() => sshPlain(up), port);
    await waitFor(port, 'v1');
    return {
      method: "plain `ssh host 'docker-compose pull && docker-compose up -d'`",
      deployMs: d.ms,
      deployFailed: d.failed,
      rollbackMs: r.ms,
      rollbackFailed: r.failed
    };
  } finally {
    execFileSync('sh', ['-c', `cd ${dir} && docker-compose -p deploy-bench-plain down -t 1`], {
      stdio: 'ignore'
    });
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitFor(port: number, want: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await version(port)) === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} never served ${want}`);
}

async function engine(strategy: DeploySpec['strategy'], app: string, port: number): Promise<Row> {
  const dir = stateDir(`bench-${strategy}`);
  try {
    const base = deploySpec(app, dir, port, {
      strategy,
      drainMs: 1000,
      ...(strategy === 'recreate' ? { slotCheckPath: undefined } : {})
    });
    const first = await deploy(base, deps());
    if (!first.ok) throw first.error;
    const d = await measure(async () => {
      const o = await deploy({ ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }, deps());
      if (!o.ok) throw o.error;
    }, port);
    const r = await measure(async () => {
      const o = await rollback(rollbackSpec(base), deps());
      if (!o.ok) throw o.error;
    }, port);
    if ((await version(port)) !== 'v1') throw new Error(`${strategy}: rollback did not bring v1 back`);
    return {
      method: `deploy-compose \`strategy: ${strategy}\` / rollback`,
      deployMs: d.ms,
      deployFailed: d.failed,
      rollbackMs: r.ms,
      rollbackFailed: r.failed
    };
  } finally {
    cleanup(dir, app);
  }
}

buildImages();
const rows: Row[] = [];
rows.push(await plain(18390));
rows.push(await engine('recreate', 'deploy-bench-rc', 18392));
rows.push(await engine('blue-green', 'deploy-bench-bg', 18394));

const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(
  `\n### deploy-compose: one deploy (v1 → v2) and one rollback (v2 → v1) under 20 requests/s (load average ${load1})\n`
);
console.log(
  '| method | deploy wall time | failed requests during deploy | rollback wall time | failed requests during rollback |'
);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| ${r.method} | ${(r.deployMs / 1000).toFixed(1)} s | ${r.deployFailed} | ${(r.rollbackMs / 1000).toFixed(1)} s | ${r.rollbackFailed} |`
  );
console.log(
  '\nThe plain command has no lock, no release record, no gate and no way back but re-running it with the old tag; its rollback is the same command. ' +
    'deploy-compose times include the lock, the release directory, the pull, the host-side readiness check, the health gate (2 passing rounds, 200 ms apart) and, for blue-green, the 1 s drain.'
);

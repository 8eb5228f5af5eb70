/**
 * report: `deploy-actions report` over 10,000 history entries on 3 field hosts (non-root users, slow login
 * shells, the 50 ms-each-way far link), beside what a user would otherwise run: `ssh host cat history.jsonl`
 * once per host and `jq` counting deploys and failures. Medians of 5 alternating runs, one machine, one run.
 *
 *   npx tsx bench/report.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { infra } from '../test/support/infra.js';
import { REPO_ROOT } from '../test/support/paths.js';

const APP = 'bench-report';
const ENTRIES = 10_000;
const hosts = infra().hosts.slice(0, 3);

/** A plausible history: each deploy writes started, switched, completed (1 in 8 fails and is rolled back). */
function history(host: string, n: number, offset: number): string {
  const lines: string[] = [];
  let t = Date.parse('2026-01-05T09:00:00Z') + offset * 1000;
  for (let i = 0; lines.length < n; i++) {
    const release = `R${i}`;
    const base = { app: APP, environment: 'test', host, release, version: `v1.${i}.0`, actor: 'bench' };
    const at = (s: number) => new Date(t + s * 1000).toISOString();
    lines.push(JSON.stringify({ ...base, time: at(0), event: 'deploy.started' }));
    lines.push(JSON.stringify({ ...base, time: at(20), event: 'traffic.switched' }));
    if (i % 8 === 7) {
      lines.push(
        JSON.stringify({ ...base, time: at(40), event: 'rollback.executed', from: release, automatic: true })
      );
      lines.push(JSON.stringify({ ...base, time: at(40), event: 'deploy.failed', reason: 'gate' }));
    } else
      lines.push(JSON.stringify({ ...base, time: at(30), event: 'deploy.completed', durationMs: 30_000 }));
    t += 3 * 3_600_000;
  }
  return lines.slice(0, n).join('\n') + '\n';
}

// Every host of an environment records the same deploys. The field hosts share this machine's disk, so one
// history file at one state dir stands for each host's own: each host serves its third of the 10,000 entries.
const STATE = '/tmp/deploy-actions-bench-report';
const file = join(STATE, APP, 'test', 'history.jsonl');
mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
writeFileSync(file, history('web', Math.ceil(ENTRIES / hosts.length), 0), { mode: 0o644 });
chmodSync(STATE, 0o755);

// One deploy key for the three hosts, as one key serves every host of an environment in the field.
const key = readFileSync(hosts[0]!.keyPath, 'utf8');
const pub = readFileSync(hosts[0]!.keyPath + '.pub', 'utf8');
const known = hosts.map((h) => readFileSync(h.knownHostsPath, 'utf8')).join('\n');
const restore: [string, string][] = [];
for (const h of hosts.slice(1)) {
  const auth = join(h.home, '.ssh', 'authorized_keys');
  restore.push([auth, readFileSync(auth, 'utf8')]);
  appendFileSync(auth, pub);
}
const targets = hosts.map((h) => `${h.user}@${h.host}:${h.port}`);
const keyFile = join(STATE, 'key');
writeFileSync(keyFile, key, { mode: 0o600 });
const knownFile = join(STATE, 'known_hosts');
writeFileSync(knownFile, known);
const env = { ...process.env, DA_KEY: key, DA_KNOWN: known };

function ours(): number {
  const t = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      join(REPO_ROOT, 'bin', 'deploy-actions.js'),
      'report',
      '--host',
      targets.join(','),
      '--app',
      APP,
      '--environment',
      'test',
      '--state-dir',
      STATE,
      '--ssh-key-env',
      'DA_KEY',
      '--known-hosts-env',
      'DA_KNOWN',
      '--format',
      'json'
    ],
    { env, encoding: 'utf8', maxBuffer: 64 << 20 }
  );
  if (r.status !== 0) throw new Error(`report failed: ${r.stderr}`);
  const [rep] = JSON.parse(r.stdout) as { deployments: number }[];
  if (!rep || rep.deployments < 1000) throw new Error(`report read ${rep?.deployments} deploys`);
  return performance.now() - t;
}

function theirs(): number {
  const t = performance.now();
  let text = '';
  for (const h of hosts)
    text += execFileSync(
      'ssh',
      [
        '-F',
        '/dev/null',
        '-i',
        keyFile,
        '-p',
        String(h.port),
        '-o',
        'BatchMode=yes',
        '-o',
        `UserKnownHostsFile=${knownFile}`,
        '-o',
        'StrictHostKeyChecking=yes',
        `${h.user}@${h.host}`,
        'cat',
        join(STATE, APP, 'test', 'history.jsonl')
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 }
    );
  execFileSync('jq', ['-s', 'group_by(.event) | map({event: .[0].event, n: length})'], {
    input: text,
    encoding: 'utf8'
  });
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  ours();
  theirs();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 5; i++) {
    a.push(ours());
    b.push(theirs());
  }
  console.log(`\n### report over ${ENTRIES} history entries on ${hosts.length} far hosts (median of 5)\n`);
  console.log('| what | median | runs |');
  console.log('| --- | ---: | --- |');
  console.log(
    `| deploy-actions report (node start, 3 SSH connections, parse, figures, JSON) | ${(median(a) / 1000).toFixed(2)} s | ${a.map((x) => (x / 1000).toFixed(2)).join(', ')} |`
  );
  console.log(
    `| ssh cat × 3 + jq (counts only) | ${(median(b) / 1000).toFixed(2)} s | ${b.map((x) => (x / 1000).toFixed(2)).join(', ')} |`
  );
  console.log(`| ratio | ${(median(a) / median(b)).toFixed(2)}× | goal: report under 5 s |`);
} finally {
  for (const [f, text] of restore) writeFileSync(f, text);
  execFileSync('rm', ['-f', keyFile, knownFile]);
}

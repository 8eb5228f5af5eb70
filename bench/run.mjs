#!/usr/bin/env node
// Run every benchmark (bench/<name>.ts, each printing its own comparison tables) one after another, then a
// table of which ran and how long each took.
//   npm run bench                       all of them, in chain order
//   npm run bench -- health-gate cold-start   just those
//   npm run bench -- --list             their names
// The benchmarks use the local infrastructure (bash scripts/infra.sh up) and 127.0.0.1 only. They run one at a
// time so one does not skew another's numbers.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHAIN = [
  'tag-release',
  'build-image',
  'publish-registry',
  'scan-gate',
  'run-migrations',
  'deploy-compose',
  'health-gate',
  'cold-start'
];

const rank = (name) => (CHAIN.includes(name) ? CHAIN.indexOf(name) : CHAIN.length);
const all = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

const args = process.argv.slice(2);
if (args.includes('--list')) {
  console.log(all.join('\n'));
  process.exit(0);
}
const unknown = args.filter((a) => !all.includes(a));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; there are: ${all.join(', ')}`);
  process.exit(2);
}
const chosen = args.length ? all.filter((a) => args.includes(a)) : all;

const tsx = join(root, 'node_modules', '.bin', 'tsx');
if (!existsSync(tsx)) {
  console.error('tsx is missing: run `npm ci` first.');
  process.exit(2);
}

function run(name) {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(tsx, [join('bench', `${name}.ts`)], { cwd: root, stdio: 'inherit' });
    child.on('error', (err) => done({ name, code: `error: ${err.message}`, ms: Date.now() - started }));
    child.on('exit', (code, signal) => done({ name, code: signal ?? code, ms: Date.now() - started }));
  });
}

const results = [];
for (const name of chosen) {
  console.log(`\n==> bench/${name}.ts\n`);
  results.push(await run(name));
}

console.log('\n| benchmark | result | wall time |\n| --- | --- | --- |');
for (const r of results)
  console.log(
    `| ${r.name} | ${r.code === 0 ? 'ok' : `failed (${r.code})`} | ${(r.ms / 1000).toFixed(1)} s |`
  );
process.exit(results.every((r) => r.code === 0) ? 0 : 1);

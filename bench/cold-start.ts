/**
 * Cold start of every action bundle to its first output, and bundle sizes, against the two things a user
 * could compare with: bare `node` and a typical action bundle that loads @actions/core and @actions/github
 * eagerly at start (built here with the same ncc). Median of RUNS runs each.
 *
 *   npx tsx bench/cold-start.ts
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import ncc from '@vercel/ncc';
import { REPO_ROOT } from '../test/support/paths.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function firstOutputMs(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let done = false;
    const first = () => {
      if (!done) {
        done = true;
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
      }
    };
    child.stdout.once('data', first);
    child.stderr.once('data', first);
    child.on('error', reject);
    child.on('close', first);
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function measure(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await firstOutputMs(args, env));
  return median(times);
}

async function main() {
  const tmp = join(tmpdir(), 'da-bench-cold');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const out = join(tmp, 'out');
  writeFileSync(out, '');
  const env = {
    PATH: process.env.PATH,
    GITHUB_OUTPUT: out,
    GITHUB_STEP_SUMMARY: out,
    GITHUB_STATE: out,
    GITHUB_ENV: out
  };

  // The comparison: what most actions ship, core and github imported at the top.
  const eagerEntry = join(REPO_ROOT, 'bench', '.eager-entry.ts');
  writeFileSync(
    eagerEntry,
    "import * as core from '@actions/core';\nimport * as github from '@actions/github';\ncore.info(`start ${github.context.eventName}`);\n"
  );
  const { code } = await ncc(eagerEntry, { minify: true, quiet: true, target: 'es2022' });
  rmSync(eagerEntry);
  mkdirSync(join(tmp, 'eager'), { recursive: true });
  writeFileSync(join(tmp, 'eager', 'package.json'), '{"type":"module"}');
  writeFileSync(join(tmp, 'eager', 'index.js'), code);

  const rows: [string, number, number][] = [];
  rows.push(['node -e "" (floor)', 0, await measure(['-e', 'console.log(1)'], env)]);
  rows.push([
    'core+github eager bundle (typical action)',
    statSync(join(tmp, 'eager', 'index.js')).size,
    await measure([join(tmp, 'eager', 'index.js')], env)
  ]);
  for (const name of readdirSync(join(REPO_ROOT, 'dist')).sort()) {
    const bundle = join(REPO_ROOT, 'dist', name, 'index.js');
    if (!existsSync(bundle) || name === 'cli') continue;
    // No inputs: the entry loads, validates and prints its first line (the input error) — the cold path.
    rows.push([`dist/${name}`, statSync(bundle).size, await measure([bundle], env)]);
  }
  rmSync(tmp, { recursive: true, force: true });

  console.log(`\nCold start to first output, median of ${RUNS} runs (node ${process.version})\n`);
  console.log('| bundle | size | first output (ms) | verdict |');
  console.log('| --- | ---: | ---: | --- |');
  for (const [name, size, ms] of rows) {
    const verdict = name.startsWith('dist/')
      ? ms < 150 && size < 2 * 1024 * 1024
        ? 'ok (<150 ms, <2 MB)'
        : 'OVER BUDGET'
      : 'reference';
    console.log(
      `| ${name} | ${size ? `${(size / 1024).toFixed(0)} KiB` : '-'} | ${ms.toFixed(1)} | ${verdict} |`
    );
  }
}

await main();

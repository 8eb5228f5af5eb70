#!/usr/bin/env node
// Bundle each action's entry with ncc into dist/<name>/index.js (and the CLI into dist/cli/index.js).
//   node scripts/build.mjs                  all actions and the CLI
//   node scripts/build.mjs health-gate cli  just those
// Deterministic output: CI rebuilds and fails when dist/ differs from what is committed.
import ncc from '@vercel/ncc';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function targets() {
  const list = [];
  for (const name of readdirSync(join(root, 'actions'))) {
    const entry = join(root, 'actions', name, 'main.ts');
    if (existsSync(entry) && existsSync(join(root, name, 'action.yml'))) list.push({ name, entry });
    const post = join(root, 'actions', name, 'post.ts');
    if (existsSync(post) && existsSync(join(root, name, 'action.yml')))
      list.push({ name, entry: post, file: 'post.js' });
  }
  list.push({ name: 'cli', entry: join(root, 'packages', 'cli', 'src', 'main.ts') });
  return list;
}

async function build({ name, entry, file = 'index.js' }) {
  const out = join(root, 'dist', name);
  const started = Date.now();
  const { code, assets } = await ncc(entry, {
    minify: true,
    sourceMap: false,
    license: file === 'index.js' ? 'licenses.txt' : undefined,
    quiet: true,
    target: 'es2022',
    // Types are checked once, by `npm run typecheck` (CI runs it before the build); ncc only transpiles.
    transpileOnly: true
  });
  if (file === 'index.js') rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, file), code);
  for (const [asset, { source }] of Object.entries(assets ?? {})) {
    const p = join(out, asset);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, source);
  }
  const kb = (statSync(join(out, file)).size / 1024).toFixed(0);
  console.log(`dist/${name}/${file}  ${kb} KiB  (${Date.now() - started} ms)`);
}

const wanted = process.argv.slice(2);
const all = targets();
const chosen = wanted.length ? all.filter((t) => wanted.includes(t.name)) : all;
const unknown = wanted.filter((w) => !all.some((t) => t.name === w));
if (unknown.length) {
  console.error(
    `unknown build target(s): ${unknown.join(', ')}; known: ${[...new Set(all.map((t) => t.name))].join(', ')}`
  );
  process.exit(2);
}
// Main bundles first (they clear their folder), post bundles after.
for (const t of chosen.sort((a, b) => (a.file ? 1 : 0) - (b.file ? 1 : 0))) await build(t);

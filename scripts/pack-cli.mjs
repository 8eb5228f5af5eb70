#!/usr/bin/env node
// Pack the CLI as a tarball `npm install -g` accepts, with no registry access at install time:
//
//   node scripts/pack-cli.mjs [--out <dir>]      → <dir>/deploy-actions-<version>.tgz (default: the repository root)
//   npm install -g ./deploy-actions-<version>.tgz
//   deploy-actions --help
//
// The CLI runs the committed bundles (dist/<action>/index.js, dist/cli), which ncc made self-contained, and
// reads each action's action.yml: the package holds exactly those, the bin and the README, and declares no
// dependencies. The repository's own package.json stays private (it is the development workspace); this
// script writes the package's manifest from it (name, version, description, license, engines, bin).
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = resolve(outIndex >= 0 ? args[outIndex + 1] : root);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const actions = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'action.yml')))
  .map((d) => d.name)
  .sort();
for (const name of [...actions, 'cli'])
  if (!existsSync(join(root, 'dist', name, 'index.js')))
    throw new Error(`dist/${name}/index.js is missing: run node scripts/build.mjs first`);

const stage = mkdtempSync(join(tmpdir(), 'deploy-actions-pack-'));
try {
  cpSync(join(root, 'bin'), join(stage, 'bin'), { recursive: true });
  for (const name of [...actions, 'cli'])
    cpSync(join(root, 'dist', name), join(stage, 'dist', name), { recursive: true });
  for (const name of actions) {
    mkdirSync(join(stage, name));
    cpSync(join(root, name, 'action.yml'), join(stage, name, 'action.yml'));
  }
  cpSync(join(root, 'README.md'), join(stage, 'README.md'));
  writeFileSync(
    join(stage, 'package.json'),
    JSON.stringify(
      {
        name: pkg.name,
        version: pkg.version,
        description: pkg.description,
        type: 'module',
        license: pkg.license,
        engines: pkg.engines,
        bin: pkg.bin,
        files: ['bin', 'dist', ...actions.map((a) => `${a}/action.yml`), 'README.md']
      },
      null,
      2
    ) + '\n'
  );
  mkdirSync(out, { recursive: true });
  const report = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: stage, encoding: 'utf8' })
  );
  process.stdout.write(`${join(out, report[0].filename)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ACTIONS, loadActionMetadata } from '../../packages/runner/src/index.js';
import { REPO_ROOT } from '../support/paths.js';

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

describe.each(ACTIONS)('%s follows the repository layout', (name) => {
  const meta = () => loadActionMetadata(join(REPO_ROOT, name));

  it('has <name>/action.yml on the current node runtime, pointing into dist/<name>/', () => {
    const m = meta();
    expect(m.runs.using).toBe('node24');
    expect(m.runs.main).toBe(`../dist/${name}/index.js`);
    if (m.runs.post) expect(m.runs.post).toBe(`../dist/${name}/post.js`);
    expect(m.name).not.toBe('');
    expect(m.description.length).toBeGreaterThan(20);
    expect(m.branding?.icon).toBeTruthy();
  });

  it('describes every input and output, in kebab-case', () => {
    const m = meta();
    for (const [input, spec] of Object.entries(m.inputs)) {
      expect([input, KEBAB.test(input)]).toEqual([input, true]);
      expect([input, spec.description.length > 10]).toEqual([input, true]);
    }
    for (const [output, spec] of Object.entries(m.outputs)) {
      expect([output, KEBAB.test(output)]).toEqual([output, true]);
      expect([output, spec.description.length > 10]).toEqual([output, true]);
    }
  });

  it('has a thin entry in actions/<name>/ and a committed bundle under 2 MB', () => {
    expect(existsSync(join(REPO_ROOT, 'actions', name, 'main.ts'))).toBe(true);
    const bundle = join(REPO_ROOT, 'dist', name, 'index.js');
    expect(existsSync(bundle)).toBe(true);
    expect(statSync(bundle).size).toBeLessThan(2 * 1024 * 1024);
    const post = meta().runs.post;
    if (post) expect(existsSync(join(REPO_ROOT, name, post))).toBe(true);
  });

  it('has a reference page in docs/actions/', () => {
    expect(existsSync(join(REPO_ROOT, 'docs', 'actions', `${name}.md`))).toBe(true);
  });
});

describe('generated and derived files', () => {
  it('everything generated from manifest.yml (action.yml files, catalog, defaults, CLI help) is up to date', () => {
    const r = spawnSync(process.execPath, ['scripts/catalog.mjs', '--check'], {
      cwd: REPO_ROOT,
      encoding: 'utf8'
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('the engine under packages/ never imports the runner toolkit', () => {
    // @actions/workflow-parser is GitHub's parser library (the contract checks), not the runner toolkit.
    const toolkit = '@actions/(?!workflow-parser)';
    const r = spawnSync('grep', ['-rlP', `from '${toolkit}|import\\('${toolkit}`, 'packages'], {
      cwd: REPO_ROOT,
      encoding: 'utf8'
    });
    expect(r.stdout).toBe('');
    expect(r.status).toBe(1); // grep: no match
  });
});

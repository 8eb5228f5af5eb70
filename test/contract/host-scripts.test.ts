import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';

/**
 * A host program that loops is a `.sh` file under `packages/<name>/host/`, which CI's shellcheck reads and
 * `npm run catalog` carries into the package's generated module. None is written as a loop inside a string in
 * the TypeScript sources.
 */
const LOOP_IN_STRING = /(['"`])(?:(?!\1).)*\b(?:for \w+ in\b|while\b|until\b)(?:(?!\1).)*;\s*do\b/;

function sourceFiles(): string[] {
  const out: string[] = [];
  for (const pkg of readdirSync(join(REPO_ROOT, 'packages'))) {
    const dir = join(REPO_ROOT, 'packages', pkg, 'src');
    let files: string[];
    try {
      files = readdirSync(dir, { recursive: true }).map(String);
    } catch {
      continue;
    }
    for (const f of files)
      if (f.endsWith('.ts') && !f.includes('.generated.')) out.push(join('packages', pkg, 'src', f));
  }
  return out;
}

describe('host scripts', () => {
  it('the check finds a loop written in a string, and not one in a comment', () => {
    expect(LOOP_IN_STRING.test(`    'while :; do',`)).toBe(true);
    expect(LOOP_IN_STRING.test(`  'for p in "$@"; do command -v "$p"; done',`)).toBe(true);
    expect(LOOP_IN_STRING.test('  `until fresh || [ "$i" -ge 50 ]; do sleep 0.1; done`')).toBe(true);
    expect(LOOP_IN_STRING.test('  // wait until the lock is free')).toBe(false);
  });

  it('no TypeScript source writes a shell loop in a string: such programs are packages/*/host/*.sh', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(50);
    const found: string[] = [];
    for (const f of files)
      readFileSync(join(REPO_ROOT, f), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (!/^\s*(\/\/|\*)/.test(line) && LOOP_IN_STRING.test(line)) found.push(`${f}:${i + 1}`);
        });
    expect(found).toEqual([]);
  });

  it('every host script is in its package’s generated module, as it is on disk', async () => {
    for (const pkg of ['deploy', 'frontdoor', 'ssh']) {
      const dir = join(REPO_ROOT, 'packages', pkg, 'host');
      const { HOST_SCRIPTS } = (await import(
        join(REPO_ROOT, 'packages', pkg, 'src', 'host-scripts.generated.ts')
      )) as { HOST_SCRIPTS: Record<string, string> };
      const names = readdirSync(dir).filter((f) => f.endsWith('.sh'));
      expect(names.length).toBeGreaterThan(0);
      expect(Object.keys(HOST_SCRIPTS).sort()).toEqual(names.map((n) => n.replace(/\.sh$/, '')).sort());
      for (const n of names)
        expect(HOST_SCRIPTS[n.replace(/\.sh$/, '')]).toBe(readFileSync(join(dir, n), 'utf8'));
    }
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { ALLOWLIST_FILE, faceViolation, readAllowlist } from '../../eslint/face.mjs';
import { REPO_ROOT } from '../support/paths.js';

/** Every .ts/.mjs/.js file under the folders that import packages, paths from the repository root. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(rel);
      } else if (/\.(ts|mts|mjs|js)$/.test(e.name)) out.push(rel);
    }
  };
  for (const dir of ['packages', 'actions', 'test', 'bench', 'scripts']) walk(dir);
  return out;
}

/** What ESLint (with the repository's config) says about one file's text, by rule. */
async function lint(file: string, text: string, allow?: string[]) {
  const options = allow ? { allow } : undefined;
  const eslint = new ESLint({
    cwd: REPO_ROOT,
    ...(options && {
      overrideConfig: {
        rules: { 'face/index-only': ['error', options], 'face/allowlisted': ['warn', options] }
      }
    })
  });
  const [result] = await eslint.lintText(text, { filePath: join(REPO_ROOT, file) });
  return result!.messages
    .filter((m) => m.ruleId?.startsWith('face/'))
    .map((m) => ({ rule: m.ruleId, severity: m.severity, message: m.message }));
}

describe('each package has a face: other code imports it through its index.ts only', () => {
  it('fails an import of another package’s internal file, naming the index to use', async () => {
    const found = await lint(
      'packages/health/src/new-file.ts',
      "import { InputError } from '../../core/src/errors.js';\nexport const e = InputError;\n"
    );
    expect(found).toEqual([
      {
        rule: 'face/index-only',
        severity: 2,
        message: expect.stringContaining(
          'through its face, packages/core/src/index.js, not packages/core/src/errors.ts'
        )
      }
    ]);
  });

  it('catches re-exports and dynamic imports, from actions/, test/ and bench/ too', async () => {
    for (const file of ['actions/health-gate/new.ts', 'test/health/new.test.ts', 'bench/new.ts']) {
      const up = file
        .split('/')
        .slice(1)
        .map(() => '..')
        .join('/');
      const found = await lint(
        file,
        `export { probeHttp } from '${up}/packages/health/src/http.js';\n` +
          `export const load = () => import('${up}/packages/health/src/gate.js');\n`
      );
      expect([file, found.map((f) => f.rule)]).toEqual([file, ['face/index-only', 'face/index-only']]);
    }
  });

  it('accepts the index, a package’s own files, and non-package imports', async () => {
    const found = await lint(
      'packages/health/src/new-file.ts',
      "import { InputError } from '../../core/src/index.js';\nimport { percentile } from './stats.js';\n" +
        "import { join } from 'node:path';\nexport const all = [InputError, percentile, join];\n"
    );
    expect(found).toEqual([]);
  });

  it('only warns about an import the allowlist names (the mechanism a large move may use on a branch)', async () => {
    const importer = 'actions/health-gate/new.ts';
    const target = 'packages/health/src/http.ts';
    const text =
      "import * as internal from '../../packages/health/src/http.js';\nexport const x = internal;\n";
    const listed = await lint(importer, text, [`${importer} -> ${target}`]);
    expect(listed.map((f) => [f.rule, f.severity])).toEqual([['face/allowlisted', 1]]);
    const unlisted = await lint(importer, text, [`${importer} -> packages/health/src/gate.ts`]);
    expect(unlisted.map((f) => [f.rule, f.severity])).toEqual([['face/index-only', 2]]);
  });

  it(`${ALLOWLIST_FILE} is empty: its emptiness is the rule`, () => {
    expect([...readAllowlist()]).toEqual([]);
  });

  it('no file in packages/, actions/, test/, bench/ or scripts/ imports a package past its index', () => {
    const past: string[] = [];
    // This file is left out: its strings hold the rule's examples, not imports.
    for (const file of sourceFiles().filter((f) => f !== 'test/foundation/face.test.ts')) {
      const text = readFileSync(join(REPO_ROOT, file), 'utf8');
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) {
        const v = faceViolation(join(REPO_ROOT, file), m[1]!);
        if (v) past.push(`${v.importer} -> ${v.target}`);
      }
    }
    expect(past).toEqual([]);
  });

  it('the scan above sees an import past an index (it can fail)', () => {
    const v = faceViolation(join(REPO_ROOT, 'test/deploy/x.test.ts'), '../../packages/events/src/webhook.js');
    expect(v).toEqual({
      importer: 'test/deploy/x.test.ts',
      target: 'packages/events/src/webhook.ts',
      pkg: 'events'
    });
  });
});

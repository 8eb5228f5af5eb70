import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { ALLOWLIST_FILE, faceViolation, readAllowlist } from '../../eslint/face.mjs';
import { REPO_ROOT } from '../support/paths.js';

/** What ESLint (with the repository's config) says about one file's text, by rule. */
async function lint(file: string, text: string) {
  const eslint = new ESLint({ cwd: REPO_ROOT });
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

  it('only warns about an allowlisted import', async () => {
    const [first] = [...readAllowlist()];
    const [importer, target] = first!.split(' -> ') as [string, string];
    const source = importer
      .split('/')
      .slice(1)
      .map(() => '..')
      .join('/');
    const found = await lint(
      importer,
      `import * as internal from '${source}/${target.replace(/\.ts$/, '.js')}';\nexport const x = internal;\n`
    );
    expect(found.map((f) => [f.rule, f.severity])).toEqual([['face/allowlisted', 1]]);
  });

  it(`every line of ${ALLOWLIST_FILE} is still an import somewhere (the list only shrinks)`, () => {
    const stale: string[] = [];
    for (const entry of readAllowlist()) {
      const [importer, target] = entry.split(' -> ') as [string, string];
      let text = '';
      try {
        text = readFileSync(join(REPO_ROOT, importer), 'utf8');
      } catch {
        stale.push(`${entry} (no such file)`);
        continue;
      }
      const sources = [...text.matchAll(/(?:from\s*|import\s*\(\s*)'([^']+)'/g)].map((m) => m[1]!);
      const hit = sources.some((s) => faceViolation(join(REPO_ROOT, importer), s)?.target === target);
      if (!hit) stale.push(entry);
    }
    expect(stale).toEqual([]);
  });
});

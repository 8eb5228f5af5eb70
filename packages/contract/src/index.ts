import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkWorkflowContracts, loadContracts, type Contracts } from './check.js';
import { actionlintFile, parseActionFile, parseWorkflowFile } from './parsers.js';

export * from './check.js';
export * from './parsers.js';

export interface Finding {
  file: string;
  tool: 'workflow-parser' | 'actionlint' | 'contract';
  where: string;
  message: string;
}

/** The workflow files under `<dir>/.github/workflows` (or the folder itself when it holds them). */
export function workflowFiles(dir: string): string[] {
  const wfDir = existsSync(join(dir, '.github', 'workflows')) ? join(dir, '.github', 'workflows') : dir;
  return readdirSync(wfDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(wfDir, f));
}

/**
 * Check workflow files three ways: GitHub's parser, actionlint, and our contracts (inputs, required inputs,
 * outputs, reusable-workflow inputs and secrets) against the action.yml files of the suite at `root`.
 */
export async function checkWorkflows(
  root: string,
  files: string[],
  options: { contracts?: Contracts; actionlint?: boolean; base?: string } = {}
): Promise<Finding[]> {
  const contracts = options.contracts ?? loadContracts(root);
  const base = options.base ?? process.cwd();
  const findings: Finding[] = [];
  for (const path of files) {
    const file = relative(base, path) || path;
    const text = readFileSync(path, 'utf8');
    for (const p of await parseWorkflowFile(file, text))
      findings.push({ file, tool: p.tool, where: 'parse', message: p.message });
    if (options.actionlint !== false)
      for (const p of await actionlintFile(root, file, text))
        findings.push({
          file,
          tool: p.tool,
          where: `line ${p.line}:${p.column} [${p.kind}]`,
          message: p.message
        });
    for (const p of checkWorkflowContracts(file, text, contracts))
      findings.push({ file, tool: 'contract', where: p.where, message: p.message });
  }
  return findings;
}

/** Every action.yml of the suite through GitHub's action parser. */
export async function checkActions(root: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const d of readdirSync(root, { withFileTypes: true })) {
    const file = join(root, d.name, 'action.yml');
    if (!d.isDirectory() || !existsSync(file)) continue;
    for (const p of await parseActionFile(`${d.name}/action.yml`, readFileSync(file, 'utf8')))
      findings.push({ file: `${d.name}/action.yml`, tool: p.tool, where: 'parse', message: p.message });
  }
  return findings;
}

export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.file}: ${f.where}: ${f.message} (${f.tool})`).join('\n');
}
export * from './pin.js';

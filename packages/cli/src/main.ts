import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadActionMetadata, repoRoot, runAction, parseStdout, applyMasks } from '../../runner/src/index.js';
import { parseArgs, secretFlagWarnings } from './argv.js';
import { actionHelp, actionsHelp } from './help.js';
import { extraCommands } from './commands.js';
import { ACTION_HELP } from './help.generated.js';

/**
 * deploy-actions <action> --<input> <value> …
 *
 * Runs the same bundle GitHub runs (dist/<action>/index.js) with the inputs given as flags, so a runbook
 * works when GitHub is down and other CI systems can use the suite. Output is streamed with the
 * action's own masks applied.
 */
const ROOT = repoRoot(dirname(fileURLToPath(import.meta.url)));

/** Streams a child's stdout as lines, consuming workflow commands and masking as the runner would. */
function lineMasker(write: (s: string) => void) {
  const masks: string[] = [];
  let pending = '';
  const flushLine = (line: string) => {
    const parsed = parseStdout(line);
    masks.push(...parsed.masks);
    if (parsed.masks.length && parsed.log === '') return;
    for (const a of parsed.annotations) if (a.level === 'debug' && !process.env.RUNNER_DEBUG) return;
    write(applyMasks(parsed.log, masks) + '\n');
  };
  return {
    push(chunk: string) {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        flushLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    },
    end() {
      if (pending) flushLine(pending);
      pending = '';
    },
    masks
  };
}

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(actionsHelp());
    return 0;
  }
  const extra = extraCommands[command];
  if (extra) return extra(rest, ROOT, main);

  const actionDir = join(ROOT, command);
  const help = ACTION_HELP.find((a) => a.id === command);
  if (!help || !existsSync(join(actionDir, 'action.yml'))) {
    process.stderr.write(`Unknown action '${command}'. Run 'deploy-actions --help' for the list.\n`);
    return 2;
  }
  const metadata = loadActionMetadata(actionDir);
  const { flags } = parseArgs(rest, new Set(['help', 'json']));
  if (flags.has('help')) {
    process.stdout.write(actionHelp(help));
    return 0;
  }
  const json = flags.get('json') === 'true';
  const summaryFile = flags.get('summary-file');
  flags.delete('json');
  flags.delete('summary-file');
  flags.delete('help');

  for (const w of secretFlagWarnings(flags, (name) => name in metadata.inputs))
    process.stderr.write(w + '\n');
  // --password-env NAME: read a secret input from the environment instead of the command line.
  const inputs: Record<string, string> = {};
  for (const [k, v] of flags) {
    if (k.endsWith('-env') && metadata.inputs[k.slice(0, -4)] && !metadata.inputs[k]) {
      const value = process.env[v];
      if (value === undefined) {
        process.stderr.write(`--${k}: environment variable ${v} is not set.\n`);
        return 2;
      }
      inputs[k.slice(0, -4)] = value;
    } else inputs[k] = v;
  }
  const unknown = Object.keys(inputs).filter((k) => !(k in metadata.inputs));
  if (unknown.length) {
    process.stderr.write(
      `Unknown input(s) for ${command}: ${unknown.map((u) => `--${u}`).join(', ')}.\n` +
        `Valid inputs: ${Object.keys(metadata.inputs)
          .map((i) => `--${i}`)
          .join(' ')}\n`
    );
    return 2;
  }
  const missing = Object.entries(metadata.inputs)
    .filter(
      ([name, spec]) => spec.required && (spec.default === undefined || spec.default === '') && !inputs[name]
    )
    .map(([name]) => `--${name}`);
  if (missing.length) {
    process.stderr.write(`Missing required input(s) for ${command}: ${missing.join(', ')}\n`);
    return 2;
  }

  const out = lineMasker((s) => process.stderr.write(s));
  const run = await runAction({
    actionDir,
    inputs,
    mode: 'cli',
    workspace: process.cwd(),
    // Files an action leaves for the user (evidence-file, backups) outlive the run.
    runnerTemp: process.env.RUNNER_TEMP || mkdtempSync(join(tmpdir(), 'deploy-actions-')),
    githubToken: process.env.GITHUB_TOKEN ?? '',
    onOutput: (chunk, stream) => (stream === 'stdout' ? out.push(chunk) : process.stderr.write(chunk))
  });
  out.end();
  const masks = [...out.masks, ...run.masks];
  if (summaryFile) writeFileSync(summaryFile, applyMasks(run.summary, masks));
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(run.outputs)) outputs[k] = applyMasks(v, masks);
  if (json) process.stdout.write(JSON.stringify({ exitCode: run.exitCode, outputs }, null, 2) + '\n');
  else
    for (const [k, v] of Object.entries(outputs))
      process.stdout.write(`${k}=${v.includes('\n') ? JSON.stringify(v) : v}\n`);
  if (run.post) {
    const postOut = lineMasker((s) => process.stderr.write(s));
    postOut.push(run.post.stdout);
    postOut.end();
  }
  return run.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`deploy-actions: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
);

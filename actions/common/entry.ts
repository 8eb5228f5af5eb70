import * as core from '@actions/core';
import {
  InputReader,
  describeError,
  runContextFromEnv,
  type Logger,
  type RunContext
} from '../../packages/core/src/index.js';
import type { ActionId, InputName, OutputName } from '../../packages/manifest/src/index.js';

/**
 * The one bridge between the runner and the engine. An entry reads like its action's description:
 *
 *   runEntry('health-gate', async ({ inputs, logger, context, output, summary }) => { … });
 *
 * The action's id types its entry: `inputs` reads only the inputs manifest.yml declares for it, and `output`
 * sets only its outputs, so `inputs.raw('helth-url')` fails `tsc` (test/contract/entry-names.test.ts).
 * Everything below actions/ takes the Logger built here and never imports @actions/*.
 */
export interface Entry<I extends string = string, O extends string = string> {
  inputs: InputReader<I>;
  logger: Logger;
  context: RunContext;
  /** Set a step output; objects and arrays are written as JSON. */
  output(name: O, value: unknown): void;
  /** Append markdown to the job summary. */
  summary(markdown: string): Promise<void>;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  /** Mark a value secret for the rest of the job (masked by the runner in every log). */
  secret(value: string | undefined): void;
}

export function runnerLogger(): Logger {
  return {
    debug: (m) => core.debug(m),
    info: (m) => core.info(m),
    warning: (m) => core.warning(m),
    error: (m) => core.error(m),
    secret: (v) => {
      if (v) core.setSecret(v);
    },
    group: (name, fn) => core.group(name, fn)
  };
}

/** One action's entry: its input and output names from manifest.yml. */
export type ActionEntry<A extends ActionId> = Entry<InputName<A>, OutputName<A>>;

export function makeEntry(): Entry {
  const logger = runnerLogger();
  return {
    inputs: new InputReader((name) => core.getInput(name)),
    logger,
    context: runContextFromEnv(process.env),
    output: (name, value) => core.setOutput(name, typeof value === 'string' ? value : JSON.stringify(value)),
    summary: async (markdown) => {
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
    saveState: (name, value) => core.saveState(name, value),
    getState: (name) => core.getState(name),
    secret: (value) => {
      if (value) logger.secret(value);
    }
  };
}

/**
 * Run an action's entry; any error fails the step with its full description (what, state, next step). A post
 * step, which reads state and no inputs, may leave the action out.
 */
export async function runEntry<A extends ActionId>(
  action: A,
  main: (entry: ActionEntry<A>) => Promise<void>
): Promise<void>;
export async function runEntry(main: (entry: Entry) => Promise<void>): Promise<void>;
export async function runEntry(
  first: ActionId | ((entry: Entry) => Promise<void>),
  second?: (entry: Entry) => Promise<void>
): Promise<void> {
  const main = typeof first === 'function' ? first : second!;
  try {
    await main(makeEntry());
  } catch (err) {
    core.setFailed(describeError(err));
  }
}

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadActionMetadata, type ActionMetadata } from './metadata.js';
import { parseStdout, parseFileCommand, applyMasks, type Annotation } from './commands.js';

/**
 * Run a node action exactly as the GitHub runner does: a child `node` process of runs.main with INPUT_*
 * variables named the runner's way and action.yml defaults applied, fresh GITHUB_OUTPUT / GITHUB_STATE /
 * GITHUB_ENV / GITHUB_PATH / GITHUB_STEP_SUMMARY files, then the `post:` step with STATE_* variables.
 * Used by the test harness and by the CLI, so both see what a workflow would.
 */
export interface RunActionOptions {
  /** The action's folder, holding action.yml. */
  actionDir: string;
  inputs?: Record<string, string | number | boolean | undefined>;
  /** Extra environment (GITHUB_REPOSITORY, GITHUB_SHA, …). Defaults stand in for a push to main. */
  env?: Record<string, string>;
  /** The job token `${{ github.token }}` evaluates to. */
  githubToken?: string;
  /** GITHUB_WORKSPACE and the process's working directory. */
  workspace?: string;
  /** The event payload written to GITHUB_EVENT_PATH. */
  event?: unknown;
  timeoutMs?: number;
  /** RUNNER_TEMP for the action; kept after the run. Default: a folder removed with the run. */
  runnerTemp?: string;
  /**
   * Leave the `post:` step for the caller to run at the end of its job, as the runner does
   * (ActionRun.deferredPost). The workflow runner uses it; tests run the post at once.
   */
  deferPost?: boolean;
  /** Run the `post:` step when the action declares one (default true). */
  runPost?: boolean;
  /** Reject inputs that action.yml does not declare (default true; the runner only warns). */
  strictInputs?: boolean;
  /** The node binary (default: this process's). */
  node?: string;
  /** Stream stdout/stderr as it comes (the CLI uses this). */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Start each step's process in a process group of its own and hand it over as it starts (a test kills the
   * whole group at a chosen point, as a reclaimed runner or a cancellation would).
   */
  processGroup?: boolean;
  onSpawn?: (pid: number, phase: 'main' | 'post') => void;
  /** Keep the parent's environment (PATH, HOME, DOCKER_HOST…). Default true; GITHUB_*, INPUT_* are always dropped. */
  inheritEnv?: boolean;
  /**
   * 'harness' (default): a GitHub-hosted run of a push to main in acme/shop, for tests.
   * 'cli': outside GitHub; only the caller's own GITHUB_* variables (if any) are passed on.
   */
  mode?: 'harness' | 'cli';
}

export interface StepRun {
  exitCode: number;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The log as GitHub shows it: commands consumed, masks applied. */
  log: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  exportedEnv: Record<string, string>;
  addedPath: string[];
  summary: string;
  masks: string[];
  annotations: Annotation[];
  legacyCommands: string[];
  durationMs: number;
}

export interface ActionRun extends StepRun {
  metadata: ActionMetadata;
  /** The environment the main step saw (for tests that check naming). */
  inputEnv: Record<string, string>;
  post?: StepRun;
  /** With deferPost: runs the post step (once) and cleans up; undefined when there is none to run. */
  deferredPost?: () => Promise<StepRun>;
}

export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const metadata = loadActionMetadata(options.actionDir);
  if (!/^node\d+$/.test(metadata.runs?.using ?? '')) {
    throw new Error(`${metadata.id}: runs.using is '${metadata.runs?.using}', not a node runtime`);
  }
  const temp = mkdtempSync(join(tmpdir(), `da-run-${metadata.id}-`));
  const workspace = resolve(options.workspace ?? temp);
  // A caller's RUNNER_TEMP survives the run (the CLI keeps files such as evidence-file for the user).
  const runnerTemp = options.runnerTemp ? resolve(options.runnerTemp) : join(temp, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  const eventPath = join(temp, 'event.json');
  writeFileSync(eventPath, JSON.stringify(options.event ?? {}));

  const cliEnv: Record<string, string> = {};
  if (options.mode === 'cli') {
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && /^GITHUB_/.test(k)) cliEnv[k] = v;
  }
  const githubEnv: Record<string, string> =
    options.mode === 'cli'
      ? {
          GITHUB_ACTOR: process.env.GITHUB_ACTOR ?? process.env.USER ?? 'operator',
          ...cliEnv,
          GITHUB_WORKSPACE: workspace,
          GITHUB_EVENT_PATH: eventPath,
          GITHUB_ACTION_PATH: metadata.dir,
          RUNNER_TEMP: runnerTemp,
          ...options.env
        }
      : {
          CI: 'true',
          GITHUB_ACTIONS: 'true',
          GITHUB_REPOSITORY: 'acme/shop',
          GITHUB_REPOSITORY_OWNER: 'acme',
          GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
          GITHUB_REF: 'refs/heads/main',
          GITHUB_REF_NAME: 'main',
          GITHUB_REF_TYPE: 'branch',
          GITHUB_EVENT_NAME: 'push',
          GITHUB_ACTOR: 'octocat',
          GITHUB_TRIGGERING_ACTOR: 'octocat',
          GITHUB_RUN_ID: '4242',
          GITHUB_RUN_NUMBER: '7',
          GITHUB_RUN_ATTEMPT: '1',
          GITHUB_WORKFLOW: 'deploy',
          GITHUB_JOB: 'deploy',
          GITHUB_SERVER_URL: 'https://github.com',
          GITHUB_API_URL: 'https://api.github.com',
          GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
          GITHUB_WORKSPACE: workspace,
          GITHUB_EVENT_PATH: eventPath,
          GITHUB_ACTION: metadata.id.replace(/-/g, ''),
          GITHUB_ACTION_PATH: metadata.dir,
          RUNNER_TEMP: runnerTemp,
          RUNNER_OS: 'Linux',
          RUNNER_ARCH: 'X64',
          RUNNER_NAME: 'deploy-actions-harness',
          ...options.env
        };

  const inputEnv = resolveInputs(metadata, options, githubEnv);
  const base: Record<string, string> = {};
  if (options.inheritEnv !== false) {
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !/^(GITHUB_|INPUT_|STATE_|RUNNER_)/.test(k) && k !== 'CI') base[k] = v;
    }
  } else {
    base.PATH = process.env.PATH ?? '/usr/bin:/bin';
  }

  let keepTemp = false;
  try {
    const main = await runStep(
      metadata,
      'main',
      { ...base, ...githubEnv, ...inputEnv },
      temp,
      workspace,
      options
    );
    const run: ActionRun = { ...main, metadata, inputEnv };
    const postIf = metadata.runs['post-if'] ?? 'always()';
    const wantPost =
      metadata.runs.post &&
      options.runPost !== false &&
      (postIf.includes('always()') ||
        (postIf.includes('failure()') ? main.exitCode !== 0 : main.exitCode === 0));
    if (wantPost) {
      const stateEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(main.state)) stateEnv[`STATE_${k}`] = v;
      const post = () =>
        runStep(
          metadata,
          'post',
          { ...base, ...githubEnv, ...main.exportedEnv, ...inputEnv, ...stateEnv },
          temp,
          workspace,
          options,
          main.masks
        );
      if (options.deferPost) {
        keepTemp = true;
        run.deferredPost = async () => {
          try {
            return await post();
          } finally {
            rmSync(temp, { recursive: true, force: true });
          }
        };
      } else run.post = await post();
    }
    return run;
  } finally {
    if (!keepTemp) rmSync(temp, { recursive: true, force: true });
  }
}

const EXPRESSIONS: Record<string, (env: Record<string, string>, token: string) => string> = {
  'github.token': (_e, t) => t,
  'github.repository': (e) => e.GITHUB_REPOSITORY ?? '',
  'github.repository_owner': (e) => e.GITHUB_REPOSITORY_OWNER ?? '',
  'github.sha': (e) => e.GITHUB_SHA ?? '',
  'github.ref': (e) => e.GITHUB_REF ?? '',
  'github.ref_name': (e) => e.GITHUB_REF_NAME ?? '',
  'github.actor': (e) => e.GITHUB_ACTOR ?? '',
  'github.server_url': (e) => e.GITHUB_SERVER_URL ?? '',
  'github.api_url': (e) => e.GITHUB_API_URL ?? '',
  'github.run_id': (e) => e.GITHUB_RUN_ID ?? '',
  'github.workspace': (e) => e.GITHUB_WORKSPACE ?? '',
  'github.job': (e) => e.GITHUB_JOB ?? '',
  'runner.temp': (e) => e.RUNNER_TEMP ?? ''
};

function evaluateDefault(value: string, env: Record<string, string>, token: string): string {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
    const f = EXPRESSIONS[expr];
    if (!f) throw new Error(`harness: cannot evaluate \${{ ${expr} }} in an action.yml default`);
    return f(env, token);
  });
}

function resolveInputs(
  metadata: ActionMetadata,
  options: RunActionOptions,
  githubEnv: Record<string, string>
): Record<string, string> {
  const given = options.inputs ?? {};
  const declared = Object.keys(metadata.inputs);
  const unknown = Object.keys(given).filter((k) => !(k in metadata.inputs));
  if (unknown.length && options.strictInputs !== false) {
    throw new Error(
      `Unexpected input(s) '${unknown.join("', '")}' for ${metadata.id}, valid inputs are ['${declared.join("', '")}']`
    );
  }
  const env: Record<string, string> = {};
  for (const [name, spec] of Object.entries(metadata.inputs)) {
    const v = given[name];
    if (v !== undefined) env[inputEnvName(name)] = String(v);
    else if (spec.default !== undefined)
      env[inputEnvName(name)] = evaluateDefault(spec.default, githubEnv, options.githubToken ?? '');
  }
  for (const name of unknown) {
    const v = given[name];
    if (v !== undefined) env[inputEnvName(name)] = String(v);
  }
  return env;
}

async function runStep(
  metadata: ActionMetadata,
  phase: 'main' | 'post',
  env: Record<string, string>,
  temp: string,
  workspace: string,
  options: RunActionOptions,
  inheritedMasks: string[] = []
): Promise<StepRun> {
  const files = {
    GITHUB_OUTPUT: join(temp, `${phase}-output`),
    GITHUB_STATE: join(temp, `${phase}-state`),
    GITHUB_ENV: join(temp, `${phase}-env`),
    GITHUB_PATH: join(temp, `${phase}-path`),
    GITHUB_STEP_SUMMARY: join(temp, `${phase}-summary`)
  };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const script = resolve(metadata.dir, phase === 'main' ? metadata.runs.main : metadata.runs.post!);
  if (!existsSync(script))
    throw new Error(`${metadata.id}: ${phase} script ${script} does not exist (run npm run build)`);
  const started = Date.now();
  const { code, signal, stdout, stderr } = await new Promise<{
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
  }>((resolvePromise, reject) => {
    const child = spawn(options.node ?? process.execPath, [script], {
      cwd: workspace,
      env: { ...env, ...files },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.processGroup ? { detached: true } : {})
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid, phase);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      options.onOutput?.(b.toString(), 'stdout');
    });
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      options.onOutput?.(b.toString(), 'stderr');
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (c, s) => {
      if (timer) clearTimeout(timer);
      resolvePromise({
        code: c,
        signal: s,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString()
      });
    });
  });
  const parsed = parseStdout(stdout);
  const masks = [...inheritedMasks, ...parsed.masks];
  const read = (f: string) => readFileSync(f, 'utf8');
  return {
    exitCode: code ?? 1,
    signal,
    stdout,
    stderr,
    log: applyMasks(parsed.log, masks),
    outputs: parseFileCommand(read(files.GITHUB_OUTPUT)),
    state: parseFileCommand(read(files.GITHUB_STATE)),
    exportedEnv: parseFileCommand(read(files.GITHUB_ENV)),
    addedPath: read(files.GITHUB_PATH).split('\n').filter(Boolean),
    summary: read(files.GITHUB_STEP_SUMMARY),
    masks,
    annotations: parsed.annotations,
    legacyCommands: parsed.legacyCommands,
    durationMs: Date.now() - started
  };
}

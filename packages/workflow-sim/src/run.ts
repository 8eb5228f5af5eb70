import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseFileCommand, runAction } from '../../runner/src/index.js';
import { condition, interpolate, toText, type Context, type Value } from './expr.js';
import { jobPermissions, parsePermissions, type Permissions } from './permissions.js';
import { ConcurrencyGroups, concurrencySpec } from './concurrency.js';
import { RefTrees, parseOwnUses } from './refs.js';

/**
 * A local runner for our workflows: runs a workflow's jobs in `needs` order, evaluating `if:`, `with:`,
 * `env:`, outputs and environments as GitHub does, running our actions' committed bundles through the same
 * runner-faithful harness as the tests, `run:` steps with bash, and calls of reusable workflows
 * (`uses: org/deploy-actions/.github/workflows/deploy.yml@v1`) recursively. The end-to-end test and the demo
 * drive the chain through it, so they exercise the reusable workflows themselves, not a copy of their inputs.
 */
export interface SimOptions {
  /** The deploy-actions repository (our actions and reusable workflows). */
  root: string;
  /** The repository the workflow belongs to (`./.github/workflows/x.yml` resolves here). Default: root. */
  repo?: string;
  workspace: string;
  inputs?: Record<string, Value>;
  secrets?: Record<string, string>;
  /** Repository-level configuration variables (`vars`). */
  vars?: Record<string, string>;
  /** Per GitHub environment: its variables and secrets (they override repository ones in jobs that use it). */
  environments?: Record<string, { vars?: Record<string, string>; secrets?: Record<string, string> }>;
  /** The protection rules stand-in: return false to reject a job's deployment to an environment. */
  approve?: (environment: string, job: string) => boolean | Promise<boolean>;
  /** github context values (actor, repository, sha, ref, run_id, server_url, event_name). */
  github?: Record<string, string>;
  token?: string;
  /**
   * Issue each job's GITHUB_TOKEN for the permissions GitHub would give it (see permissions.ts); the
   * GitHub stand-in and the registry token server then enforce them. Default: `token` for every job.
   */
  mintToken?: (permissions: Permissions, job: string) => string;
  /** Set on a called workflow: the calling job's permissions, the most its jobs may have. */
  callerPermissions?: Permissions;
  /** Stand in for a `run:` step a test cannot run (e.g. `npm ci`): its outputs, or undefined to run it. */
  stubRun?: (name: string, script: string) => Record<string, string> | undefined;
  /** Called after each step (e.g. an end-to-end test that changes the world between two steps). */
  afterStep?: (job: string, step: StepResult) => void | Promise<void>;
  /** Extra process environment for steps (e.g. DOCKER_HOST). */
  env?: Record<string, string>;
  /** The event payload. */
  event?: Record<string, Value>;
  log?: (line: string) => void;
  /** Handle a `uses:` that is not one of ours (default: actions/checkout is a no-op, others fail). */
  externalAction?: (
    uses: string,
    withs: Record<string, string>
  ) => Promise<Record<string, string>> | undefined;
  /**
   * How `uses: <owner>/deploy-actions/…@<ref>` resolves. 'git' (default): as GitHub does, in the git
   * repository holding `root`: a full commit SHA, else a tag, else a branch, run from that commit's tree;
   * an unknown ref or the `OWNER` placeholder fails the job. 'worktree': any owner and ref run the working
   * tree at `root` (development runs of unreleased workflows only; GitHub has nothing like it).
   */
  refs?: 'git' | 'worktree';
  /** Concurrency groups shared by the runs of one test (GitHub's: one running, one pending per group). */
  concurrency?: ConcurrencyGroups;
  /** Cancel the run, as the Cancel button (or a newer run with cancel-in-progress) does. */
  signal?: AbortSignal;
  /** A label for this run in concurrency logs and state. Default: the file and run id. */
  label?: string;
  /** Internal, set on a called workflow: the secret names its caller passed (or inherited). */
  passedSecrets?: string[];
  /** Internal: the runner's HOME and the ref resolver, shared by a run and the workflows it calls. */
  runner?: { home: string; trees?: RefTrees };
}

export type Result = 'success' | 'failure' | 'skipped' | 'cancelled';

export interface StepResult {
  id?: string;
  name: string;
  uses?: string;
  outcome: Result;
  outputs: Record<string, string>;
  summary: string;
  log: string;
  error?: string;
  durationMs: number;
}

export interface JobResult {
  id: string;
  result: Result;
  outputs: Record<string, string>;
  steps: StepResult[];
  environment?: { name: string; url?: string };
  /** The GITHUB_TOKEN's permissions in this job. */
  permissions?: Permissions;
  /** The called workflow's run, for a job that `uses:` a reusable workflow. */
  called?: WorkflowResult;
  error?: string;
}

export interface WorkflowResult {
  file: string;
  conclusion: Result;
  jobs: JobResult[];
  outputs: Record<string, string>;
}

type Obj = Record<string, unknown>;
interface PostStep {
  name: string;
  run: () => Promise<{ exitCode: number; durationMs: number }>;
}
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: Value | undefined): string {
  return toText(v ?? null);
}

function strMap(o: unknown, ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(o)) return out;
  for (const [k, v] of Object.entries(o))
    out[k] = str(typeof v === 'string' ? interpolate(v, ctx) : (v as Value));
  return out;
}

/** The order jobs can run in (GitHub runs independent ones in parallel; locally they run one by one). */
export function jobOrder(jobs: Obj): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`needs: cycle ${[...path, id].join(' → ')}`);
    const job = jobs[id];
    if (!isObj(job)) throw new Error(`needs: unknown job '${id}' (from ${path.at(-1) ?? '?'})`);
    state.set(id, 'visiting');
    for (const n of needsOf(job)) visit(n, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of Object.keys(jobs)) visit(id, []);
  return order;
}

function needsOf(job: Obj): string[] {
  return typeof job.needs === 'string' ? [job.needs] : Array.isArray(job.needs) ? job.needs.map(String) : [];
}

/** GitHub's `cancel-timeout-minutes` default: steps that run after a cancellation get this long. */
const CANCEL_TIMEOUT_MINUTES = 5;
/** GitHub's default `timeout-minutes` for a job. */
const JOB_TIMEOUT_MINUTES = 360;

/** A runner's HOME: nothing of the developer's (no git identity, no docker login, no npm or ssh config). */
function runnerHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'da-sim-home-'));
  // A GitHub-hosted runner has no git identity and its host name has no domain, so git cannot make one
  // up: `git commit` fails with "Author identity unknown". useConfigOnly gives that answer here too.
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tuseConfigOnly = true\n');
  return home;
}

function minutes(v: unknown, ctx: Context, where: string, fallback: number): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(typeof v === 'string' ? str(interpolate(v, ctx)) : v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${where}: timeout-minutes must be a positive number`);
  return n;
}

export async function runWorkflow(file: string, options: SimOptions): Promise<WorkflowResult> {
  const log = options.log ?? (() => undefined);
  const repo = options.repo ?? options.root;
  const path = isAbsolute(file) ? file : join(repo, file);
  const doc = parse(readFileSync(path, 'utf8')) as Obj;
  const on = (doc.on ?? doc[true as unknown as string]) as unknown;
  const declared = isObj(on)
    ? ((isObj(on.workflow_call) && isObj(on.workflow_call.inputs) ? on.workflow_call.inputs : undefined) ??
      (isObj(on.workflow_dispatch) && isObj(on.workflow_dispatch.inputs) ? on.workflow_dispatch.inputs : {}))
    : {};
  const inputs: Record<string, Value> = {};
  for (const [k, spec] of Object.entries(declared as Obj)) {
    const s = isObj(spec) ? spec : {};
    const given = options.inputs?.[k];
    if (given === undefined && s.required === true && s.default === undefined)
      throw new Error(`${file}: required input '${k}' was not given`);
    let v: Value =
      given ?? (s.default as Value) ?? (s.type === 'boolean' ? false : s.type === 'number' ? 0 : '');
    if (s.type === 'boolean' && typeof v === 'string') v = v === 'true';
    if (s.type === 'number' && typeof v === 'string') v = Number(v);
    if (s.type === 'choice' && Array.isArray(s.options) && !s.options.map(String).includes(str(v)))
      throw new Error(`${file}: input '${k}' must be one of ${s.options.join(', ')}`);
    inputs[k] = v;
  }
  for (const k of Object.keys(options.inputs ?? {}))
    if (!(k in (declared as Obj))) throw new Error(`${file}: input '${k}' is not declared`);

  const github: Record<string, string> = {
    actor: 'local',
    repository: 'acme/shop',
    sha: '0'.repeat(40),
    ref: 'refs/heads/main',
    ref_name: 'main',
    run_id: String(Date.now()),
    run_attempt: '1',
    server_url: 'https://github.com',
    event_name: 'workflow_call',
    workflow: str(doc.name as Value) || file,
    ...options.github,
    token: options.token ?? ''
  };
  const runner = options.runner ?? {
    home: runnerHome(),
    ...(options.refs === 'worktree' ? {} : { trees: new RefTrees(options.root) })
  };
  const jobs = isObj(doc.jobs) ? doc.jobs : {};
  const results = new Map<string, JobResult>();
  // As GitHub does when the run starts: every job's token permissions, refusing more than a caller allows.
  const workflowPermissions = parsePermissions(doc.permissions, file);
  const permissions = new Map<string, Permissions>();
  for (const [id, job] of Object.entries(jobs))
    permissions.set(
      id,
      jobPermissions(
        id,
        parsePermissions(isObj(job) ? job.permissions : undefined, `${file} jobs.${id}`),
        workflowPermissions,
        options.callerPermissions
      )
    );
  const baseCtx = (): Context => ({
    github: { ...github, event: options.event ?? {} },
    inputs,
    vars: options.vars ?? {},
    secrets: { GITHUB_TOKEN: github.token ?? '', ...(options.secrets ?? {}) },
    env: {},
    runner: { os: 'Linux', arch: 'X64', temp: tmpdir() }
  });

  // The run's own cancellation: the caller's signal, a newer run with cancel-in-progress.
  const run = new AbortController();
  const onAbort = () => run.abort();
  if (options.signal?.aborted) run.abort();
  options.signal?.addEventListener('abort', onAbort);
  const label = options.label ?? `${file}#${github.run_id}`;
  const releases: (() => void)[] = [];
  const groups = options.concurrency;
  const queue = async (spec: unknown, ctx: Context, what: string): Promise<boolean> => {
    const c = concurrencySpec(spec, (t) => str(interpolate(t, ctx)));
    if (!c) return true;
    if (!groups) return true;
    log(`  ⧗ ${what}: concurrency group '${c.group}'`);
    const release = await groups.acquire(c.group, label, c.cancelInProgress, () => run.abort());
    if (!release) {
      log(`  ⊘ ${what}: cancelled, a newer run replaced it as pending in '${c.group}'`);
      return false;
    }
    releases.push(release);
    return true;
  };

  log(`▶ workflow ${file}`);
  try {
    if (!(await queue(doc.concurrency, baseCtx(), `workflow ${file}`)))
      return { file, conclusion: 'cancelled', jobs: [], outputs: {} };
    for (const id of jobOrder(jobs)) {
      const job = jobs[id] as Obj;
      const result = await runJob(id, job);
      results.set(id, result);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    for (const r of releases.reverse()) r();
  }

  async function runJob(id: string, job: Obj): Promise<JobResult> {
    const needs = needsOf(job);
    const ancestors = new Set<string>();
    const walk = (j: string) => {
      for (const n of needsOf(jobs[j] as Obj)) {
        if (ancestors.has(n)) continue;
        ancestors.add(n);
        walk(n);
      }
    };
    walk(id);
    const needsCtx: Record<string, Value> = {};
    for (const n of needs) {
      const r = results.get(n)!;
      needsCtx[n] = { result: r.result, outputs: r.outputs };
    }
    const status = {
      success: () => !run.signal.aborted && [...ancestors].every((a) => results.get(a)?.result === 'success'),
      failure: () => !run.signal.aborted && [...ancestors].some((a) => results.get(a)?.result === 'failure'),
      cancelled: () => run.signal.aborted
    };
    const ctx: Context = { ...baseCtx(), needs: needsCtx };
    const result: JobResult = { id, result: 'skipped', outputs: {}, steps: [] };
    const jobPerms = permissions.get(id)!;
    const jobGithub = { ...github };
    if (!condition(job.if as string | undefined, ctx, status)) {
      if (run.signal.aborted) result.result = 'cancelled';
      log(`  ○ job ${id}: ${result.result}`);
      return result;
    }
    if (!(await queue(job.concurrency, ctx, `job ${id}`))) {
      result.result = 'cancelled';
      return result;
    }
    // Environment: its variables and secrets, and its protection rules (the approve callback).
    const envSpec = job.environment;
    const envName = isObj(envSpec)
      ? str(interpolate(String(envSpec.name), ctx))
      : envSpec
        ? str(interpolate(String(envSpec), ctx))
        : '';
    if (envName) {
      const e = options.environments?.[envName] ?? {};
      ctx.vars = { ...(options.vars ?? {}), ...(e.vars ?? {}) };
      // In a called workflow, an environment secret reaches the job only under a name its caller passed
      // (or inherited): actions/runner#1490, #4453. Others stay as the caller left them: absent.
      const passed = options.passedSecrets;
      const envSecrets = Object.entries(e.secrets ?? {}).filter(([k]) => !passed || passed.includes(k));
      ctx.secrets = { ...(ctx.secrets as Obj as Record<string, string>), ...Object.fromEntries(envSecrets) };
      result.environment = { name: envName };
      const ok = options.approve ? await options.approve(envName, id) : true;
      log(`  ⛨ job ${id}: environment '${envName}' ${ok ? 'approved' : 'REJECTED by its protection rules'}`);
      if (!ok) {
        result.result = 'failure';
        result.error = `deployment to '${envName}' was rejected`;
        return result;
      }
    }
    // The job's own GITHUB_TOKEN, carrying only its permissions.
    result.permissions = jobPerms;
    if (options.mintToken) jobGithub.token = options.mintToken(jobPerms, `${file}#${id}`);
    ctx.github = { ...jobGithub, event: options.event ?? {} };
    ctx.secrets = { ...(ctx.secrets as Record<string, string>), GITHUB_TOKEN: jobGithub.token ?? '' };
    if (isObj(job.strategy) && 'matrix' in job.strategy)
      throw new Error(`job ${id}: matrix is not supported locally`);

    if (typeof job.uses === 'string') {
      log(`  ▶ job ${id}: calls ${job.uses}`);
      let called: WorkflowResult;
      try {
        called = await callWorkflow(job, ctx, {
          ...options,
          callerPermissions: jobPerms,
          runner,
          signal: run.signal,
          label: `${label}/${id}`
        });
      } catch (err) {
        // GitHub refuses such a run before any job starts ("The workflow is not valid").
        result.result = 'failure';
        result.error = (err as Error).message;
        log(`  ✗ job ${id}: ${result.error}`);
        return result;
      }
      result.called = called;
      result.result = called.conclusion;
      result.outputs = called.outputs;
      log(`  ${result.result === 'success' ? '✓' : '✗'} job ${id}: ${result.result}`);
      return result;
    }

    log(`  ▶ job ${id}`);
    // The job's clock: timeout-minutes (GitHub's default 360), then GitHub cancels the job.
    const jobTimeout = minutes(job['timeout-minutes'], ctx, `jobs.${id}`, JOB_TIMEOUT_MINUTES);
    const cancel = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      cancel.abort();
    }, jobTimeout * 60_000);
    const onRunAbort = () => cancel.abort();
    if (run.signal.aborted) cancel.abort();
    run.signal.addEventListener('abort', onRunAbort);
    const jobTemp = mkdtempSync(join(tmpdir(), 'da-sim-job-'));
    const env = { ...strMap(doc.env, ctx), ...strMap(job.env, { ...ctx, env: strMap(doc.env, ctx) }) };
    // What steps add with GITHUB_ENV and GITHUB_PATH, for the steps after them.
    const exported: Record<string, string> = {};
    const addedPath: string[] = [];
    const masks: string[] = [];
    const defaults = {
      ...(isObj(doc.defaults) && isObj(doc.defaults.run) ? doc.defaults.run : {}),
      ...(isObj(job.defaults) && isObj(job.defaults.run) ? job.defaults.run : {})
    };
    const stepsCtx: Record<string, Value> = {};
    const posts: PostStep[] = [];
    let failed = false;
    const steps = Array.isArray(job.steps) ? (job.steps as unknown[]) : [];
    try {
      for (const [i, raw] of steps.entries()) {
        const step = isObj(raw) ? raw : {};
        const cancelled = cancel.signal.aborted;
        const jobEnv = { ...env, ...exported };
        const sctx: Context = {
          ...ctx,
          env: jobEnv,
          steps: stepsCtx,
          job: { status: cancelled ? 'cancelled' : failed ? 'failure' : 'success' }
        };
        const name = String(
          step.name ?? step.uses ?? (typeof step.run === 'string' ? step.run.split('\n')[0] : `step ${i}`)
        );
        const stepStatus = {
          success: () => !failed && !cancelled,
          failure: () => failed && !cancelled,
          cancelled: () => cancelled
        };
        const sr: StepResult = { name, outcome: 'skipped', outputs: {}, summary: '', log: '', durationMs: 0 };
        if (typeof step.id === 'string') sr.id = step.id;
        if (typeof step.uses === 'string') sr.uses = step.uses;
        result.steps.push(sr);
        if (!condition(step.if as string | undefined, sctx, stepStatus)) {
          log(`    ○ ${name}: skipped`);
          if (sr.id) stepsCtx[sr.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
          continue;
        }
        // A step's own timeout fails the step; the job's (or a cancellation) cancels it. Steps that run
        // after a cancellation (always(), cancelled()) get the cancel timeout.
        const stepStop = new AbortController();
        let stepTimedOut = false;
        const stepMinutes = cancelled
          ? CANCEL_TIMEOUT_MINUTES
          : minutes(step['timeout-minutes'], sctx, `${id}: ${name}`, Infinity);
        const stepTimer = Number.isFinite(stepMinutes)
          ? setTimeout(() => {
              stepTimedOut = true;
              stepStop.abort();
            }, stepMinutes * 60_000)
          : undefined;
        const forward = () => stepStop.abort();
        if (!cancelled) cancel.signal.addEventListener('abort', forward);
        const started = Date.now();
        let effects: StepEffects = { exported: {}, path: [], masks: [] };
        try {
          const stepEnv = { ...jobEnv, ...strMap(step.env, sctx) };
          const stepRunner: StepRunner = {
            home: runner.home,
            temp: jobTemp,
            path: addedPath,
            shell: typeof defaults.shell === 'string' ? defaults.shell : undefined,
            signal: stepStop.signal,
            ...(runner.trees ? { trees: runner.trees } : {})
          };
          effects = await runStep(step, sctx, stepEnv, sr, options, jobGithub, posts, stepRunner);
        } catch (err) {
          sr.outcome = 'failure';
          sr.error = (err as Error).message;
        } finally {
          clearTimeout(stepTimer);
          cancel.signal.removeEventListener('abort', forward);
        }
        if (stepStop.signal.aborted) {
          if (stepTimedOut) {
            sr.outcome = 'failure';
            sr.error = `The action '${name}' has timed out after ${stepMinutes} minutes.`;
          } else if (!cancelled) {
            sr.outcome = 'cancelled';
            sr.error = timedOut
              ? `The job running on runner has exceeded the maximum execution time of ${jobTimeout} minutes.`
              : 'The operation was canceled.';
          }
        }
        Object.assign(exported, effects.exported);
        addedPath.unshift(...[...effects.path].reverse());
        masks.push(...effects.masks);
        sr.durationMs = Date.now() - started;
        const conclusion =
          sr.outcome === 'failure' && step['continue-on-error'] === true ? 'success' : sr.outcome;
        if (sr.id) stepsCtx[sr.id] = { outputs: sr.outputs, outcome: sr.outcome, conclusion };
        log(
          `    ${sr.outcome === 'success' ? '✓' : sr.outcome === 'cancelled' ? '⊘' : '✗'} ${name} (${sr.durationMs} ms)${sr.error ? `: ${firstLine(sr.error)}` : ''}`
        );
        if (conclusion === 'failure') failed = true;
        await options.afterStep?.(`${file}#${id}`, sr);
      }
      for (const post of posts.reverse()) {
        const r = await post.run();
        const ok = r.exitCode === 0;
        log(`    ${ok ? '✓' : '✗'} post ${post.name} (${r.durationMs} ms)`);
        if (!ok) failed = true;
      }
    } finally {
      clearTimeout(timer);
      run.signal.removeEventListener('abort', onRunAbort);
      rmSync(jobTemp, { recursive: true, force: true });
    }
    const endCtx: Context = { ...ctx, env: { ...env, ...exported }, steps: stepsCtx };
    // A job timing out fails it; a cancelled run cancels it.
    result.result = timedOut || failed ? 'failure' : cancel.signal.aborted ? 'cancelled' : 'success';
    if (timedOut)
      result.error = `The job running on runner has exceeded the maximum execution time of ${jobTimeout} minutes.`;
    // The runner drops an output that holds a secret ("Skip output 'x' since it may contain secret.").
    const secretValues = [
      ...Object.values(ctx.secrets as Record<string, string>).filter((v) => typeof v === 'string'),
      ...masks
    ].filter((v) => v.length > 0);
    for (const [k, v] of Object.entries(strMap(job.outputs, endCtx))) {
      if (secretValues.some((s) => v.includes(s))) {
        log(`    ! job ${id}: Skip output '${k}' since it may contain secret.`);
        continue;
      }
      result.outputs[k] = v;
    }
    if (result.environment && isObj(envSpec) && typeof envSpec.url === 'string') {
      const url = str(interpolate(envSpec.url, endCtx));
      if (url) result.environment.url = url;
    }
    log(`  ${result.result === 'success' ? '✓' : '✗'} job ${id}: ${result.result}`);
    return result;
  }

  const all = [...results.values()];
  const conclusion: Result = all.some((r) => r.result === 'failure')
    ? 'failure'
    : run.signal.aborted || all.some((r) => r.result === 'cancelled')
      ? 'cancelled'
      : 'success';
  const call =
    isObj(on) && isObj(on.workflow_call) && isObj(on.workflow_call.outputs) ? on.workflow_call.outputs : {};
  const jobsCtx: Record<string, Value> = {};
  for (const r of all) jobsCtx[r.id] = { result: r.result, outputs: r.outputs };
  const outputs: Record<string, string> = {};
  for (const [k, spec] of Object.entries(call))
    outputs[k] =
      isObj(spec) && typeof spec.value === 'string'
        ? str(interpolate(spec.value, { ...baseCtx(), jobs: jobsCtx }))
        : '';
  log(`${conclusion === 'success' ? '✓' : '✗'} workflow ${file}: ${conclusion}`);
  return { file, conclusion, jobs: all, outputs };
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim()) ?? s;
}

/** Where a `uses:` of ours runs from: the folder for `root` at the ref it names. */
function ownTree(uses: string, options: SimOptions): { dir: string; path: string } | undefined {
  const own = parseOwnUses(uses);
  if (!own) return undefined;
  if (options.refs === 'worktree') return { dir: options.root, path: own.path };
  if (own.owner === 'OWNER')
    throw new Error(
      `${uses}: OWNER is the placeholder of an unreleased workflow; call a release tag (vX.Y.Z) or a release commit SHA, whose workflows name the real repository`
    );
  const trees = options.runner?.trees;
  if (!trees) throw new Error(`${uses}: no git repository to resolve the ref in`);
  return { dir: trees.resolve(uses, own.ref).dir, path: own.path };
}

async function callWorkflow(job: Obj, ctx: Context, options: SimOptions): Promise<WorkflowResult> {
  const uses = String(job.uses);
  let file: string;
  let repo: string;
  // `./` is the calling repository's own workflow; `<owner>/deploy-actions/…@<ref>` is ours, at that ref.
  if (uses.startsWith('./')) [file, repo] = [uses.slice(2), options.repo ?? options.root];
  else {
    const own = ownTree(uses, options);
    if (!own || !/^\.github\/workflows\/[\w.-]+\.ya?ml$/.test(own.path))
      throw new Error(`reusable workflow ${uses} is not available locally`);
    [file, repo] = [own.path, own.dir];
  }
  const called = parse(readFileSync(join(repo, file), 'utf8')) as Obj;
  const on = (called.on ?? called[true as unknown as string]) as unknown;
  const declaredSecrets =
    isObj(on) && isObj(on.workflow_call) && isObj(on.workflow_call.secrets) ? on.workflow_call.secrets : {};
  const withs: Record<string, Value> = {};
  if (isObj(job.with))
    for (const [k, v] of Object.entries(job.with))
      withs[k] = typeof v === 'string' ? interpolate(v, ctx) : (v as Value);
  const callerSecrets = ctx.secrets as Record<string, string>;
  let secrets: Record<string, string>;
  if (job.secrets === 'inherit') {
    secrets = { ...callerSecrets };
    delete secrets.GITHUB_TOKEN;
  } else {
    secrets = strMap(job.secrets, ctx);
    // GitHub validates the call before any job starts.
    for (const k of Object.keys(secrets))
      if (!(k in declaredSecrets))
        throw new Error(`Invalid secret, ${k} is not defined in the referenced workflow ${file}.`);
  }
  for (const [k, spec] of Object.entries(declaredSecrets))
    if (isObj(spec) && spec.required === true && !(k in secrets))
      throw new Error(`Secret ${k} is required, but not provided while calling ${file}.`);
  const callerGithub = ctx.github as Record<string, Value>;
  return runWorkflow(file, {
    ...options,
    repo,
    inputs: withs,
    secrets,
    passedSecrets: Object.keys(secrets),
    // A called workflow's github context is its caller's: the event and the workflow's name.
    github: {
      ...(options.github ?? {}),
      event_name: str(callerGithub.event_name),
      workflow: str(callerGithub.workflow)
    }
  });
}

interface StepRunner {
  home: string;
  temp: string;
  /** GITHUB_PATH additions so far, newest first. */
  path: string[];
  /** defaults.run.shell of the workflow or job. */
  shell: string | undefined;
  signal: AbortSignal;
  trees?: RefTrees;
}

interface StepEffects {
  exported: Record<string, string>;
  path: string[];
  masks: string[];
}

async function runStep(
  step: Obj,
  ctx: Context,
  env: Record<string, string>,
  sr: StepResult,
  options: SimOptions,
  github: Record<string, string>,
  posts: PostStep[],
  runner: StepRunner
): Promise<StepEffects> {
  const none: StepEffects = { exported: {}, path: [], masks: [] };
  const withs = strMap(step.with, { ...ctx, env });
  const workspace = resolve(options.workspace);
  // What a GitHub-hosted runner gives every step, and nothing of this process's own environment.
  const PATH = [...runner.path, process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(':');
  const githubEnv: Record<string, string> = {
    HOME: runner.home,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: runner.temp,
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTOR: github.actor ?? '',
    GITHUB_REPOSITORY: github.repository ?? '',
    GITHUB_SHA: github.sha ?? '',
    GITHUB_REF: github.ref ?? '',
    GITHUB_REF_NAME: github.ref_name ?? '',
    GITHUB_RUN_ID: github.run_id ?? '',
    GITHUB_RUN_ATTEMPT: github.run_attempt ?? '1',
    GITHUB_SERVER_URL: github.server_url ?? '',
    GITHUB_EVENT_NAME: github.event_name ?? '',
    GITHUB_WORKFLOW: github.workflow ?? '',
    ...(github.api_url ? { GITHUB_API_URL: github.api_url } : {})
  };
  if (typeof step.uses === 'string') {
    let dir: string | undefined;
    if (step.uses.startsWith('./')) dir = join(workspace, step.uses.slice(2));
    else {
      const own = ownTree(step.uses, {
        ...options,
        runner: { home: runner.home, ...(runner.trees ? { trees: runner.trees } : {}) }
      });
      if (own) dir = join(own.dir, own.path);
    }
    if (dir && existsSync(join(dir, 'action.yml'))) {
      const groups: number[] = [];
      const kill = () => stopGroups(groups);
      runner.signal.addEventListener('abort', kill);
      let run;
      try {
        run = await runAction({
          actionDir: dir,
          inputs: withs,
          env: { ...(options.env ?? {}), ...githubEnv, ...env, PATH },
          inheritEnv: false,
          githubToken: github.token ?? '',
          workspace,
          ...(options.event ? { event: options.event } : {}),
          deferPost: true,
          processGroup: true,
          onSpawn: (pid) => {
            groups.push(pid);
            if (runner.signal.aborted) kill();
          }
        });
      } finally {
        runner.signal.removeEventListener('abort', kill);
      }
      // Post steps run when the job ends, last first, as on GitHub (a login's logout comes after the push).
      if (run.deferredPost) posts.push({ name: sr.name, run: run.deferredPost });
      sr.outputs = run.outputs;
      sr.summary = run.summary;
      sr.log = run.log;
      sr.outcome = run.exitCode === 0 ? 'success' : 'failure';
      if (sr.outcome === 'failure')
        sr.error =
          run.annotations
            .filter((a) => a.level === 'error')
            .map((a) => a.message)
            .join('\n') || `exit ${run.exitCode}`;
      return { exported: run.exportedEnv, path: run.addedPath, masks: run.masks };
    }
    const external = options.externalAction?.(step.uses, withs);
    if (external) {
      sr.outputs = await external;
      sr.outcome = 'success';
      return none;
    }
    if (/^actions\/checkout@/.test(step.uses)) {
      sr.outcome = 'success';
      sr.log = 'checkout: the local workspace is used as it is';
      return none;
    }
    throw new Error(`${step.uses} cannot run locally`);
  }
  if (typeof step.run === 'string') {
    const script = str(interpolate(step.run, { ...ctx, env }));
    const stub = options.stubRun?.(sr.name, script);
    if (stub) {
      sr.outputs = stub;
      sr.outcome = 'success';
      sr.log = 'stubbed by the caller of the simulator';
      return none;
    }
    const temp = mkdtempSync(join(runner.temp, 'step-'));
    const files = {
      GITHUB_OUTPUT: join(temp, 'output'),
      GITHUB_ENV: join(temp, 'env'),
      GITHUB_PATH: join(temp, 'path'),
      GITHUB_STEP_SUMMARY: join(temp, 'summary')
    };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const scriptFile = join(temp, 'script.sh');
    writeFileSync(scriptFile, script);
    try {
      const cwd =
        typeof step['working-directory'] === 'string'
          ? join(options.workspace, step['working-directory'])
          : options.workspace;
      mkdirSync(cwd, { recursive: true });
      const shell = typeof step.shell === 'string' ? step.shell : runner.shell;
      const { code, out } = await shellRun(
        shellArgv(shell, scriptFile),
        cwd,
        { ...(options.env ?? {}), ...githubEnv, ...env, PATH, ...files },
        runner.signal
      );
      sr.log = out;
      sr.outputs = parseFileCommand(readFileSync(files.GITHUB_OUTPUT, 'utf8'));
      sr.summary = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
      sr.outcome = code === 0 ? 'success' : 'failure';
      if (code !== 0) sr.error = `run: exit ${code}\n${out.slice(-2000)}`;
      return {
        exported: parseFileCommand(readFileSync(files.GITHUB_ENV, 'utf8')),
        path: readFileSync(files.GITHUB_PATH, 'utf8').split('\n').filter(Boolean),
        masks: []
      };
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  }
  throw new Error('a step needs uses: or run:');
}

/**
 * The argv GitHub's runner uses for a `run:` step on Linux: with no `shell:`, `bash -e {0}` (no pipefail:
 * `false | true` succeeds); `shell: bash` adds `--noprofile --norc -eo pipefail`; `sh` is `sh -e {0}`; any
 * other value is a command template with `{0}` for the script file.
 */
export function shellArgv(shell: string | undefined, script: string): string[] {
  switch (shell ?? '') {
    case '':
      return ['bash', '-e', script];
    case 'bash':
      return ['bash', '--noprofile', '--norc', '-eo', 'pipefail', script];
    case 'sh':
      return ['sh', '-e', script];
    case 'python':
      return ['python', script];
    default: {
      const parts = shell!.trim().split(/\s+/);
      if (!parts.includes('{0}')) parts.push('{0}');
      return parts.map((p) => (p === '{0}' ? script : p));
    }
  }
}

/** GitHub's cancellation of a step's processes: SIGINT, then SIGTERM after 7.5 s, then SIGKILL. */
function stopGroups(pids: number[]): void {
  const send = (sig: NodeJS.Signals) => {
    for (const pid of pids)
      try {
        process.kill(-pid, sig);
      } catch {
        // already gone
      }
  };
  send('SIGINT');
  setTimeout(() => send('SIGTERM'), 7_500).unref();
  setTimeout(() => send('SIGKILL'), 10_000).unref();
}

function shellRun(
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal
): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe']
    });
    const kill = () => child.pid !== undefined && stopGroups([child.pid]);
    signal.addEventListener('abort', kill);
    if (signal.aborted) kill();
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => {
      signal.removeEventListener('abort', kill);
      done({ code: 127, out: out + String(err) });
    });
    child.on('close', (code) => {
      signal.removeEventListener('abort', kill);
      done({ code: code ?? 1, out });
    });
  });
}

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseFileCommand, runAction } from '../../runner/src/index.js';
import { ownActionName, ownWorkflowFile } from '../../contract/src/index.js';
import { condition, interpolate, toText, type Context, type Value } from './expr.js';

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
  const jobs = isObj(doc.jobs) ? doc.jobs : {};
  const results = new Map<string, JobResult>();
  const baseCtx = (): Context => ({
    github: { ...github, event: options.event ?? {} },
    inputs,
    vars: options.vars ?? {},
    secrets: { GITHUB_TOKEN: github.token ?? '', ...(options.secrets ?? {}) },
    env: {},
    runner: { os: 'Linux', arch: 'X64', temp: tmpdir() }
  });

  log(`▶ workflow ${file}`);
  for (const id of jobOrder(jobs)) {
    const job = jobs[id] as Obj;
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
      success: () => [...ancestors].every((a) => results.get(a)?.result === 'success'),
      failure: () => [...ancestors].some((a) => results.get(a)?.result === 'failure')
    };
    const ctx: Context = { ...baseCtx(), needs: needsCtx };
    const result: JobResult = { id, result: 'skipped', outputs: {}, steps: [] };
    results.set(id, result);
    if (!condition(job.if as string | undefined, ctx, status)) {
      log(`  ○ job ${id}: skipped`);
      continue;
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
      ctx.secrets = { ...(ctx.secrets as Obj as Record<string, string>), ...(e.secrets ?? {}) };
      result.environment = { name: envName };
      const ok = options.approve ? await options.approve(envName, id) : true;
      log(`  ⛨ job ${id}: environment '${envName}' ${ok ? 'approved' : 'REJECTED by its protection rules'}`);
      if (!ok) {
        result.result = 'failure';
        result.error = `deployment to '${envName}' was rejected`;
        continue;
      }
    }
    if (isObj(job.strategy) && 'matrix' in job.strategy)
      throw new Error(`job ${id}: matrix is not supported locally`);

    if (typeof job.uses === 'string') {
      log(`  ▶ job ${id}: calls ${job.uses}`);
      const called = await callWorkflow(job, ctx, options);
      result.called = called;
      result.result = called.conclusion;
      result.outputs = called.outputs;
      log(`  ${result.result === 'success' ? '✓' : '✗'} job ${id}: ${result.result}`);
      continue;
    }

    log(`  ▶ job ${id}`);
    const env = { ...strMap(doc.env, ctx), ...strMap(job.env, { ...ctx, env: strMap(doc.env, ctx) }) };
    const stepsCtx: Record<string, Value> = {};
    const posts: PostStep[] = [];
    let failed = false;
    const steps = Array.isArray(job.steps) ? (job.steps as unknown[]) : [];
    for (const [i, raw] of steps.entries()) {
      const step = isObj(raw) ? raw : {};
      const sctx: Context = { ...ctx, env, steps: stepsCtx, job: { status: failed ? 'failure' : 'success' } };
      const name = String(
        step.name ?? step.uses ?? (typeof step.run === 'string' ? step.run.split('\n')[0] : `step ${i}`)
      );
      const stepStatus = { success: () => !failed, failure: () => failed };
      const sr: StepResult = { name, outcome: 'skipped', outputs: {}, summary: '', log: '', durationMs: 0 };
      if (typeof step.id === 'string') sr.id = step.id;
      if (typeof step.uses === 'string') sr.uses = step.uses;
      result.steps.push(sr);
      if (!condition(step.if as string | undefined, sctx, stepStatus)) {
        log(`    ○ ${name}: skipped`);
        if (sr.id) stepsCtx[sr.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        continue;
      }
      const started = Date.now();
      try {
        const stepEnv = { ...env, ...strMap(step.env, sctx) };
        await runStep(step, sctx, stepEnv, sr, options, github, posts);
      } catch (err) {
        sr.outcome = 'failure';
        sr.error = (err as Error).message;
      }
      sr.durationMs = Date.now() - started;
      const conclusion =
        sr.outcome === 'failure' && step['continue-on-error'] === true ? 'success' : sr.outcome;
      if (sr.id) stepsCtx[sr.id] = { outputs: sr.outputs, outcome: sr.outcome, conclusion };
      log(
        `    ${sr.outcome === 'success' ? '✓' : '✗'} ${name} (${sr.durationMs} ms)${sr.error ? `: ${firstLine(sr.error)}` : ''}`
      );
      if (conclusion === 'failure') failed = true;
    }
    for (const post of posts.reverse()) {
      const r = await post.run();
      const ok = r.exitCode === 0;
      log(`    ${ok ? '✓' : '✗'} post ${post.name} (${r.durationMs} ms)`);
      if (!ok) failed = true;
    }
    const endCtx: Context = { ...ctx, env, steps: stepsCtx };
    result.result = failed ? 'failure' : 'success';
    result.outputs = strMap(job.outputs, endCtx);
    if (result.environment && isObj(envSpec) && typeof envSpec.url === 'string') {
      const url = str(interpolate(envSpec.url, endCtx));
      if (url) result.environment.url = url;
    }
    log(`  ${failed ? '✗' : '✓'} job ${id}: ${result.result}`);
  }

  const all = [...results.values()];
  const conclusion: Result = all.some((r) => r.result === 'failure') ? 'failure' : 'success';
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

async function callWorkflow(job: Obj, ctx: Context, options: SimOptions): Promise<WorkflowResult> {
  const uses = String(job.uses);
  const own = ownWorkflowFile(uses);
  let file: string;
  let repo: string;
  // `./` is the calling repository's own workflow; `<owner>/deploy-actions/…` is ours.
  if (uses.startsWith('./')) [file, repo] = [uses.slice(2), options.repo ?? options.root];
  else if (own) [file, repo] = [join('.github', 'workflows', own), options.root];
  else throw new Error(`reusable workflow ${uses} is not available locally`);
  const withs: Record<string, Value> = {};
  if (isObj(job.with))
    for (const [k, v] of Object.entries(job.with))
      withs[k] = typeof v === 'string' ? interpolate(v, ctx) : (v as Value);
  const callerSecrets = ctx.secrets as Record<string, string>;
  const secrets = job.secrets === 'inherit' ? { ...callerSecrets } : strMap(job.secrets, ctx);
  return runWorkflow(file, { ...options, repo, inputs: withs, secrets });
}

async function runStep(
  step: Obj,
  ctx: Context,
  env: Record<string, string>,
  sr: StepResult,
  options: SimOptions,
  github: Record<string, string>,
  posts: PostStep[]
): Promise<void> {
  const withs = strMap(step.with, { ...ctx, env });
  const githubEnv: Record<string, string> = {
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
    const own = ownActionName(step.uses);
    const dir = own ? join(options.root, own) : undefined;
    if (dir && existsSync(join(dir, 'action.yml'))) {
      const run = await runAction({
        actionDir: dir,
        inputs: withs,
        env: { ...(options.env ?? {}), ...githubEnv, ...env },
        githubToken: github.token ?? '',
        workspace: resolve(options.workspace),
        ...(options.event ? { event: options.event } : {}),
        timeoutMs: 15 * 60_000,
        deferPost: true
      });
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
      return;
    }
    const external = options.externalAction?.(step.uses, withs);
    if (external) {
      sr.outputs = await external;
      sr.outcome = 'success';
      return;
    }
    if (/^actions\/checkout@/.test(step.uses)) {
      sr.outcome = 'success';
      sr.log = 'checkout: the local workspace is used as it is';
      return;
    }
    throw new Error(`${step.uses} cannot run locally`);
  }
  if (typeof step.run === 'string') {
    const script = str(interpolate(step.run, { ...ctx, env }));
    const temp = mkdtempSync(join(tmpdir(), 'da-sim-run-'));
    const files = {
      GITHUB_OUTPUT: join(temp, 'output'),
      GITHUB_ENV: join(temp, 'env'),
      GITHUB_STEP_SUMMARY: join(temp, 'summary')
    };
    for (const f of Object.values(files)) writeFileSync(f, '');
    try {
      const cwd =
        typeof step['working-directory'] === 'string'
          ? join(options.workspace, step['working-directory'])
          : options.workspace;
      const { code, out } = await bash(script, cwd, {
        ...process.env,
        ...(options.env ?? {}),
        ...githubEnv,
        ...env,
        ...files
      });
      sr.log = out;
      sr.outputs = parseFileCommand(readFileSync(files.GITHUB_OUTPUT, 'utf8'));
      sr.summary = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
      sr.outcome = code === 0 ? 'success' : 'failure';
      if (code !== 0) sr.error = `run: exit ${code}\n${out.slice(-2000)}`;
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
    return;
  }
  throw new Error('a step needs uses: or run:');
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => done({ code: code ?? 1, out }));
  });
}

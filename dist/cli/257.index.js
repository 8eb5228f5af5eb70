export const id = 257;
export const ids = [257];
export const modules = {

/***/ 8000:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.list = void 0;
exports.hostFlags = hostFlags;
const index_js_1 = __webpack_require__(3747);
/**
 * The connection flags the host-reading commands share (report, incident), as `rollback` and `doctor` take
 * them: `--host [user@]host[:port],…`, `--user`, `--port`, `--state-dir`, and the key and pinned host keys
 * from the environment variables `--ssh-key-env` and `--known-hosts-env` name (never from the command line).
 */
function hostFlags(flags, usage) {
    const need = (name) => {
        const v = flags.get(name);
        if (!v)
            throw new Error(`--${name} is required\n\n${usage}`);
        return v;
    };
    const fromEnv = (flag) => {
        const name = need(flag);
        const v = process.env[name];
        if (!v)
            throw new Error(`--${flag} names $${name}, which is empty: export the secret into it first`);
        return v;
    };
    const privateKey = fromEnv('ssh-key-env');
    const knownHosts = fromEnv('known-hosts-env');
    const port = flags.has('port') ? Number(flags.get('port')) : undefined;
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
        throw new Error(`--port "${flags.get('port')}" is not a TCP port`);
    const connections = (0, exports.list)(need('host')).map((line) => {
        // `[user@]host[:port]`, as deploy-compose's `host` lines; --user and --port are the defaults.
        const m = /^(?:([^@\s]+)@)?([^:@\s]+)(?::(\d+))?$/.exec(line);
        if (!m)
            throw new Error(`--host "${line}" is not [user@]host[:port]`);
        const p = m[3] ? Number(m[3]) : port;
        const user = m[1] ?? flags.get('user');
        if (!user)
            throw new Error(`--user is required (or give each host as user@host)\n\n${usage}`);
        return { host: m[2], ...(p ? { port: p } : {}), user, privateKey, knownHosts };
    });
    return { connections, stateDir: flags.get('state-dir') ?? index_js_1.GROUPS['release-host']['state-dir'].default };
}
const list = (v) => v
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
exports.list = list;


/***/ }),

/***/ 875:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.parseCommandLine = parseCommandLine;
exports.splitWords = splitWords;
const yaml_1 = __webpack_require__(8815);
const index_js_1 = __webpack_require__(893);
/**
 * A command line given as an input, as argv data. It travels as argv (through a phase script's quoting or
 * straight to a process), so whatever a shell would have done with it (expand `$VAR`, glob `*`, run `a && b`)
 * is refused here with the input named, not passed on as literal text.
 */
const SH_FIX = "no shell runs the command: wrap it in `sh -c '…'` yourself (e.g. sh -c 'a && b'), or give it as a list";
/**
 * A command given as an input (run-migrations' `command`, deploy-compose's `migrate-command`), as argv. It is
 * never run by a shell: a list (`["bin/rails", "db:migrate"]`, `[bin/rails, db:migrate]` or a YAML block `- bin/rails`) or words
 * split as a POSIX shell splits them (splitWords). Empty text: no command.
 */
function parseCommandLine(text, input) {
    const value = text.trim();
    if (value === '')
        return [];
    if (value.startsWith('[') || /^-(\s|$)/.test(value))
        return parseList(value, input);
    return splitWords(value, input);
}
function parseList(value, input) {
    let list;
    try {
        // failsafe: every scalar stays a string (`- 1` is "1", not a number; `- yes` is "yes").
        list = (0, yaml_1.parse)(value, { schema: 'failsafe' });
    }
    catch (err) {
        throw new index_js_1.InputError(input, `looks like a list but is not valid YAML/JSON: ${err.message.split('\n')[0]}`, 'write ["bin/rails", "db:migrate"], or the words without brackets');
    }
    if (!Array.isArray(list) || list.length === 0)
        throw new index_js_1.InputError(input, 'is an empty list', 'give the program and its arguments');
    list.forEach((item, i) => {
        if (typeof item !== 'string')
            throw new index_js_1.InputError(input, `item ${i + 1} of the list is not a string`, 'give each argument as a plain string');
    });
    if (list[0].trim() === '')
        throw new index_js_1.InputError(input, 'names an empty program', 'give the program first');
    return list;
}
const OPERATORS = ['&&', '||', ';;', '>>', '<<', '>&', '<&', '>|', '<>', ';', '&', '|', '<', '>', '(', ')'];
/**
 * Words as a POSIX shell splits them (XCU 2.3, quote removal), and nothing more: blanks separate words;
 * '…' keeps everything; "…" keeps everything but lets `\` escape `$ \` " \`; outside quotes `\` keeps the next
 * character. What a shell would do beyond splitting is refused with the input named: operators (`;`, `|`,
 * `&&`, `>`…), expansions (`$`, backquote), globs, `~`, a `#` comment, a `NAME=value` prefix, a newline.
 */
function splitWords(text, input) {
    const words = [];
    let word = '';
    let inWord = false;
    const refuse = (what, why, fix = SH_FIX) => {
        throw new index_js_1.InputError(input, `has ${what} outside quotes: ${why}`, fix);
    };
    const end = () => {
        if (!inWord)
            return;
        if (words.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(word))
            throw new index_js_1.InputError(input, `starts with the assignment \`${word.split('=')[0]}=…\`, which a shell would read as a variable for the command`, "put the variable in env-file (the container gets it), or wrap the command in `sh -c '…'`");
        words.push(word);
        word = '';
        inWord = false;
    };
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === "'") {
            const close = text.indexOf("'", i + 1);
            if (close < 0)
                throw new index_js_1.InputError(input, `has an unclosed ' (at character ${i + 1})`, "close the quote; inside '…' write ' as '\\''");
            word += text.slice(i + 1, close);
            inWord = true;
            i = close;
        }
        else if (c === '"') {
            let j = i + 1;
            for (; j < text.length && text[j] !== '"'; j++) {
                const d = text[j];
                if (d === '\\' && j + 1 < text.length && '$`"\\\n'.includes(text[j + 1])) {
                    if (text[j + 1] !== '\n')
                        word += text[j + 1];
                    j++;
                }
                else if (d === '$' || d === '`')
                    throw new index_js_1.InputError(input, `has ${d === '$' ? '`$`' : 'a backquote'} inside "…", which a shell would expand`, `write it as \\${d} or inside '…' to pass it literally; to expand it on the host, ${SH_FIX}`);
                else
                    word += d;
            }
            if (j >= text.length)
                throw new index_js_1.InputError(input, `has an unclosed " (at character ${i + 1})`, 'close the quote');
            inWord = true;
            i = j;
        }
        else if (c === '\\') {
            if (i + 1 >= text.length)
                throw new index_js_1.InputError(input, 'ends with a backslash', 'remove it, or quote the last word');
            if (text[i + 1] !== '\n') {
                word += text[i + 1];
                inWord = true;
            }
            i++;
        }
        else if (c === ' ' || c === '\t')
            end();
        else if (c === '\n' || c === '\r')
            refuse('a line break', 'a shell would run each line as its own command');
        else if (';&|<>()'.includes(c)) {
            const op = OPERATORS.find((o) => text.startsWith(o, i));
            refuse(`\`${op}\``, 'a shell would read it as an operator, and no shell runs this command');
        }
        else if (c === '$' || c === '`')
            refuse(c === '$' ? `\`${text.slice(i, i + 2)}\`` : 'a backquote (`` ` ``)', 'a shell would expand it (a variable or a command substitution), and no shell runs this command');
        else if ('*?['.includes(c))
            refuse(`\`${c}\``, 'a shell would expand it as a file name pattern', `quote the word ('${c}') to pass it literally; to expand it on the host, ${SH_FIX}`);
        else if ((c === '~' || c === '#') && !inWord)
            refuse(`\`${c}\` at the start of a word`, c === '~'
                ? 'a shell would expand it to a home directory'
                : 'a shell would read the rest as a comment', `quote it ('${c}') to pass it literally`);
        else {
            word += c;
            inWord = true;
        }
    }
    end();
    return words;
}


/***/ }),

/***/ 4009:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.splitWords = exports.parseCommandLine = void 0;
// A command given as an input (run-migrations' `command`, deploy-compose's `migrate-command`) as argv data.
var command_line_js_1 = __webpack_require__(875);
Object.defineProperty(exports, "parseCommandLine", ({ enumerable: true, get: function () { return command_line_js_1.parseCommandLine; } }));
Object.defineProperty(exports, "splitWords", ({ enumerable: true, get: function () { return command_line_js_1.splitWords; } }));


/***/ }),

/***/ 2336:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.composeBase = composeBase;
exports.parseComposeVersion = parseComposeVersion;
exports.composeArgv = composeArgv;
exports.composeConfigArgv = composeConfigArgv;
exports.composePullArgv = composePullArgv;
exports.composeUpArgv = composeUpArgv;
exports.composeRunArgv = composeRunArgv;
exports.composePsArgv = composePsArgv;
exports.composeDownArgv = composeDownArgv;
exports.normaliseProjectName = normaliseProjectName;
function composeBase(generation) {
    return generation === 'v2' ? ['docker', 'compose'] : ['docker-compose'];
}
/** Parse `docker compose version` / `docker-compose version` output. */
function parseComposeVersion(output) {
    const m = /version\s+v?(\d+\.\d+\.\d+[\w.+-]*)/i.exec(output);
    return m?.[1];
}
function composeArgv(tool, p, sub) {
    const vars = Object.entries(p.vars ?? {});
    const prefix = vars.length ? ['env', ...vars.map(([k, v]) => `${k}=${v}`)] : [];
    const argv = [...prefix, ...composeBase(tool.generation), '-p', p.project];
    for (const f of p.files)
        argv.push('-f', f);
    if (p.envFile)
        argv.push('--env-file', p.envFile);
    return [...argv, ...sub];
}
/** Validate the files (and interpolation) without printing them: they may hold secrets. */
function composeConfigArgv(tool, p) {
    return composeArgv(tool, p, ['config', '-q']);
}
function composePullArgv(tool, p, services = []) {
    return composeArgv(tool, p, ['pull', ...services]);
}
function composeUpArgv(tool, p, o = {}) {
    const sub = ['up'];
    if (o.detach !== false)
        sub.push('-d');
    if (o.noDeps)
        sub.push('--no-deps');
    if (o.forceRecreate)
        sub.push('--force-recreate');
    if (o.removeOrphans)
        sub.push('--remove-orphans');
    if (o.wait) {
        if (tool.generation !== 'v2')
            throw new Error(`compose up --wait: docker-compose ${tool.version} (v1) has no --wait; wait with a host loop`);
        sub.push('--wait');
    }
    return composeArgv(tool, p, [...sub, ...(o.services ?? [])]);
}
/**
 * A one-off container of `service` running `command` (argv, never a shell string): `run --rm --no-deps -T`.
 * `-T`: no pseudo-TTY (the host script has no terminal; v1 would otherwise refuse, v2 detects it the same).
 * Options go before the service; everything after it is the container's command.
 */
function composeRunArgv(tool, p, service, command, o = {}) {
    const sub = ['run', '--rm', '--no-deps', '-T', ...(o.name ? ['--name', o.name] : [])];
    return composeArgv(tool, p, [...sub, service, ...command]);
}
/** Container ids of the project (`-a`: stopped ones too). */
function composePsArgv(tool, p, o = {}) {
    return composeArgv(tool, p, ['ps', '-q', ...(o.all ? ['-a'] : [])]);
}
function composeDownArgv(tool, p, o = {}) {
    const sub = ['down'];
    if (o.removeOrphans)
        sub.push('--remove-orphans');
    if (o.timeoutS !== undefined)
        sub.push('-t', String(o.timeoutS));
    return composeArgv(tool, p, sub);
}
/** Compose normalises project names this way (v1 and v2 agree on this subset). */
function normaliseProjectName(name) {
    return name.toLowerCase().replace(/[^a-z0-9_-]/g, '');
}


/***/ }),

/***/ 8049:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.composeDetectArgv = composeDetectArgv;
exports.parseDetect = parseDetect;
exports.detectCompose = detectCompose;
exports.composeFound = composeFound;
const index_js_1 = __webpack_require__(893);
const argv_js_1 = __webpack_require__(2336);
/**
 * Both probes in one round trip: the v2 plugin (`docker compose version`) first, then v1
 * (`docker-compose version`). Prints `generation v2|v1|none` after the version output.
 */
function composeDetectArgv(options = {}) {
    return [
        'sh',
        '-c',
        [
            'if docker compose version 2>&1; then echo "generation v2"; exit 0; fi',
            // v1 is a Python program: `docker-compose version` costs ~1 s of interpreter start on every call. Its
            // answer is kept in the user's cache, keyed on the program's path, size and mtime (an upgrade changes
            // them); no cache (no HOME, read-only) only means paying the second again.
            'p=$(command -v docker-compose 2>/dev/null) && k=$(stat -L -c "%n %s %Y" "$p" 2>/dev/null) && c="${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/deploy-actions/compose-v1" && [ -f "$c" ] && [ "$(head -n 1 "$c")" = "$k" ] && tail -n +2 "$c" && echo "generation v1" && exit 0',
            'if out=$(docker-compose version 2>&1); then printf "%s\\n" "$out"; if [ -n "$k" ] && mkdir -p "${c%/*}" 2>/dev/null; then { printf "%s\\n" "$k"; printf "%s\\n" "$out"; } > "$c.$$" 2>/dev/null && mv -f "$c.$$" "$c" 2>/dev/null; fi; echo "generation v1"; exit 0; fi',
            // required: fail, so a phase stops here before it changes anything.
            `echo "PATH=$PATH"; echo "generation none"${options.required ? '; exit 1' : ''}`
        ].join('\n')
    ];
}
/** Parse composeDetectArgv's output. Pure. */
function parseDetect(output) {
    const m = /generation (v1|v2|none)\s*$/.exec(output.trim());
    const generation = m?.[1];
    if (generation === 'v1' || generation === 'v2') {
        // Only the output of the probe that worked: the v2 failure text precedes a v1 success.
        const lines = output.trim().split('\n');
        const own = generation === 'v2' ? lines : lines.slice(lines.findIndex((l) => /docker-compose version/i.test(l)));
        const version = (0, argv_js_1.parseComposeVersion)(own.join('\n'));
        if (version)
            return { generation: generation, version };
    }
    return { tried: output.trim().split('\n').slice(-6).join(' | ') };
}
/**
 * Find Compose where the executor runs: the v2 plugin first, then v1. Both absent is an error that says what
 * was tried where.
 */
async function detectCompose(executor, logger) {
    const r = await executor.run({
        argv: composeDetectArgv(),
        check: false,
        timeoutMs: 30_000,
        step: 'detect compose'
    });
    return composeFound(r.stdout + r.stderr, executor.target, logger);
}
/** The compose tool composeDetectArgv's output names, or the error that says what was tried where. */
function composeFound(output, where, logger) {
    const found = parseDetect(output);
    if ('generation' in found) {
        logger?.info(`compose: ${found.generation === 'v2' ? 'docker compose' : 'docker-compose'} ${found.version} (${found.generation}) on ${where}`);
        return found;
    }
    throw new index_js_1.DeployError(`Docker Compose was not found on ${where}: neither \`docker compose version\` nor \`docker-compose version\` worked (${found.tried})`, {
        state: 'nothing was changed on the host',
        hint: 'install the compose plugin (docker compose) or docker-compose on the host, on the PATH of a non-interactive shell'
    });
}


/***/ }),

/***/ 8480:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.parseComposeDocument = parseComposeDocument;
exports.parseComposeFile = parseComposeFile;
exports.parseComposeFiles = parseComposeFiles;
exports.imagesOverride = imagesOverride;
exports.volumesOverride = volumesOverride;
const yaml_1 = __webpack_require__(8815);
const index_js_1 = __webpack_require__(893);
/** Parse and check the shape every reader of a compose file relies on; bad input names `input` and the fix. */
function parseComposeDocument(text, input = 'compose-file', o = {}) {
    let doc;
    try {
        doc = (0, yaml_1.parse)(text);
    }
    catch (err) {
        throw new index_js_1.InputError(input, `is not valid YAML: ${err.message.split('\n')[0]}`, 'fix the syntax');
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc))
        throw new index_js_1.InputError(input, 'is not a mapping', 'write a compose file with a top-level `services:`');
    const services = doc.services ?? (o.override ? {} : undefined);
    if (o.override && services && typeof services === 'object' && !Array.isArray(services))
        return docOf(doc, services, input);
    if (!services ||
        typeof services !== 'object' ||
        Array.isArray(services) ||
        Object.keys(services).length === 0)
        throw new index_js_1.InputError(input, 'defines no services', 'add a `services:` mapping with at least one service');
    return docOf(doc, services, input);
}
function docOf(root, services, input) {
    for (const [name, raw] of Object.entries(services))
        if (!raw || typeof raw !== 'object' || Array.isArray(raw))
            throw new index_js_1.InputError(input, `service "${name}" is not a mapping`, 'give each service its settings');
    return { root, services: services };
}
function parseComposeFile(text, input = 'compose-file') {
    return parseComposeFiles([text], input);
}
/**
 * The runner's view of compose files given in order (`-f a -f b`), for the checks made before any host is
 * touched: each file's own services and top-level volumes, a later file's settings over an earlier one's.
 * It resolves nothing: `include`, `extends`, `profiles` and interpolation are resolved by the host's compose
 * (the prepare phase runs `config` there with every file), never here.
 */
function parseComposeFiles(texts, input = 'compose-file') {
    const info = {
        services: [],
        images: {},
        containerNames: [],
        publishing: [],
        building: [],
        volumes: [],
        networkModes: {},
        include: false,
        dependsOn: {}
    };
    const volumes = new Map();
    texts.forEach((text, i) => {
        // A file that includes others may define no services of its own.
        const { root, services } = parseComposeDocument(text, input, {
            override: i > 0 || /^include\s*:/m.test(text)
        });
        if (root.include !== undefined)
            info.include = true;
        const vols = root.volumes;
        if (vols && typeof vols === 'object' && !Array.isArray(vols))
            for (const [name, raw] of Object.entries(vols)) {
                const v = raw && typeof raw === 'object' ? raw : {};
                volumes.set(name, v.name === undefined && !v.external);
            }
        for (const [name, svc] of Object.entries(services)) {
            if (!info.services.includes(name))
                info.services.push(name);
            if (typeof svc.image === 'string' || !(name in info.images))
                info.images[name] = typeof svc.image === 'string' ? svc.image : undefined;
            if (typeof svc.network_mode === 'string' || !(name in info.networkModes))
                info.networkModes[name] = typeof svc.network_mode === 'string' ? svc.network_mode : undefined;
            const add = (list) => list.includes(name) || list.push(name);
            if (svc.container_name !== undefined)
                add(info.containerNames);
            if (svc.ports !== undefined)
                add(info.publishing);
            if (svc.build !== undefined)
                add(info.building);
            const deps = Array.isArray(svc.depends_on)
                ? svc.depends_on.map(String)
                : svc.depends_on && typeof svc.depends_on === 'object'
                    ? Object.keys(svc.depends_on)
                    : [];
            if (deps.length)
                info.dependsOn[name] = [...new Set([...(info.dependsOn[name] ?? []), ...deps])];
        }
    });
    if (info.services.length === 0 && !info.include)
        throw new index_js_1.InputError(input, 'defines no services', 'add a `services:` mapping with at least one service');
    info.volumes = [...volumes].filter(([, own]) => own).map(([name]) => name);
    return info;
}
/** A compose override that pins each service's image (by digest when known). */
function imagesOverride(images) {
    const lines = ['# written by deploy-actions: the images of this release', 'services:'];
    for (const [service, ref] of Object.entries(images))
        lines.push(`  ${JSON.stringify(service)}:`, `    image: ${JSON.stringify(ref)}`);
    return lines.join('\n') + '\n';
}
/**
 * A compose override that pins each named volume's name, so every release and both slots (their own compose
 * projects) share the same volume: `<base>_<volume>`, the name the app's own project would give it.
 */
function volumesOverride(info, base) {
    if (info.volumes.length === 0)
        return undefined;
    const lines = ['# written by deploy-actions: named volumes shared by every release and slot', 'volumes:'];
    for (const v of info.volumes)
        lines.push(`  ${JSON.stringify(v)}:`, `    name: ${JSON.stringify(`${base}_${v}`)}`);
    return lines.join('\n') + '\n';
}


/***/ }),

/***/ 2804:
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
exports.parseDetect = exports.composeFound = exports.composeDetectArgv = exports.detectCompose = void 0;
__exportStar(__webpack_require__(2336), exports);
var detect_js_1 = __webpack_require__(8049);
Object.defineProperty(exports, "detectCompose", ({ enumerable: true, get: function () { return detect_js_1.detectCompose; } }));
Object.defineProperty(exports, "composeDetectArgv", ({ enumerable: true, get: function () { return detect_js_1.composeDetectArgv; } }));
Object.defineProperty(exports, "composeFound", ({ enumerable: true, get: function () { return detect_js_1.composeFound; } }));
Object.defineProperty(exports, "parseDetect", ({ enumerable: true, get: function () { return detect_js_1.parseDetect; } }));
__exportStar(__webpack_require__(8480), exports);
__exportStar(__webpack_require__(1040), exports);


/***/ }),

/***/ 1040:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.COMPOSE_FEATURES = void 0;
exports.composeVersion = composeVersion;
exports.compareComposeVersions = compareComposeVersions;
exports.composeAtLeast = composeAtLeast;
exports.featuresUsed = featuresUsed;
exports.composeTooOld = composeTooOld;
/** `2.26.1-4`, `v2.29.1`, `1.29.2` → [major, minor, patch]; undefined when it does not start with three numbers. */
function composeVersion(text) {
    const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}
/** Negative when a < b, 0 when equal (revisions ignored), positive when a > b. An unreadable version is oldest. */
function compareComposeVersions(a, b) {
    const x = composeVersion(a);
    const y = composeVersion(b);
    if (!x || !y)
        return (x ? 1 : 0) - (y ? 1 : 0);
    for (let i = 0; i < 3; i++)
        if (x[i] !== y[i])
            return x[i] - y[i];
    return 0;
}
/** `tool` is at least `min` (major.minor.patch). */
function composeAtLeast(tool, min) {
    return compareComposeVersions(tool.version, min) >= 0;
}
exports.COMPOSE_FEATURES = {
    include: { name: 'include', what: 'the top-level `include:`', since: '2.20.0' }
};
/** The features `info` relies on. */
function featuresUsed(info) {
    return info.include ? [exports.COMPOSE_FEATURES.include] : [];
}
/** The first feature in `features` that `tool` cannot run; undefined when it runs them all. Pure. */
function composeTooOld(tool, features) {
    const found = `${tool.generation === 'v2' ? 'docker compose' : 'docker-compose'} ${tool.version}`;
    for (const feature of features)
        if (tool.generation === 'v1' || !composeAtLeast(tool, feature.since))
            return { feature, found, needed: `docker compose ${feature.since} or later (the Compose v2 plugin)` };
    return undefined;
}


/***/ }),

/***/ 6427:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.ACCESSORIES_RECORD = exports.ACCESSORIES_UP = exports.ACCESSORIES_BEFORE = void 0;
exports.chooseAccessories = chooseAccessories;
exports.reportChoice = reportChoice;
exports.accessoriesProject = accessoriesProject;
exports.releaseUpOptions = releaseUpOptions;
exports.accessoryStateArgv = accessoryStateArgv;
exports.recordAccessoriesArgv = recordAccessoriesArgv;
exports.retireServicesArgv = retireServicesArgv;
exports.removeRetiredArgv = removeRetiredArgv;
exports.restoreRetiredArgv = restoreRetiredArgv;
exports.sharedNetworkName = sharedNetworkName;
exports.ensureNetworkArgv = ensureNetworkArgv;
exports.networkOverride = networkOverride;
exports.needsSharedNetwork = needsSharedNetwork;
exports.parseAccessoryState = parseAccessoryState;
exports.accessoryChanges = accessoryChanges;
exports.retiredBy = retiredBy;
exports.accessorySteps = accessorySteps;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2804);
const layout_js_1 = __webpack_require__(5759);
const run_js_1 = __webpack_require__(5692);
const host_scripts_generated_js_1 = __webpack_require__(4893);
/**
 * The accessories of a deploy. Pure; every problem names the `accessories` input.
 *
 * - `accessories: none` turns them off: every service runs in the slots, as before accessories existed.
 * - A list (comma- or newline-separated service names) declares them.
 * - Empty (the default) detects them: when `images` names at least one service, every other service that
 *   has its own `image:` in the compose file is an accessory (its image is not set by this deploy, so it is
 *   not what the deploy ships), unless it `depends_on` a service that is not one (a proxy in front of the
 *   app runs in the slot beside it). With `images` empty nothing is detected.
 */
function chooseAccessories(declared, info, imagesInput) {
    if (declared.length === 1 && declared[0] === 'none')
        return { accessories: [], how: 'none' };
    if (declared.length) {
        for (const name of declared) {
            if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name))
                throw new index_js_1.InputError('accessories', `"${name}" is not a service name`, 'list service names of the compose file, comma- or newline-separated (or `none`)');
            if (!info.services.includes(name))
                throw new index_js_1.InputError('accessories', `"${name}" is not a service of compose-file (its services: ${info.services.join(', ')})`, 'list services the compose file defines');
            if (imagesInput[name])
                throw new index_js_1.InputError('accessories', `"${name}" also has an image in \`images\`: an accessory is not shipped by the deploy`, `remove ${name} from \`images\` (an accessory keeps the compose file's image) or from \`accessories\``);
        }
        if (new Set(declared).size !== declared.length)
            throw new index_js_1.InputError('accessories', 'lists a service twice', 'give each service once');
        if (declared.length === info.services.length)
            throw new index_js_1.InputError('accessories', 'lists every service of compose-file: nothing would be left to deploy', 'leave at least the app service out of `accessories`');
        return { accessories: [...declared], how: 'declared' };
    }
    if (Object.keys(imagesInput).length === 0)
        return { accessories: [], how: 'none' };
    let detected = info.services.filter((s) => !imagesInput[s] && info.images[s]);
    // A service that depends on one the release ships (a proxy in front of the app) runs beside it, in the slot.
    for (let changed = true; changed;) {
        const before = detected.length;
        detected = detected.filter((s) => (info.dependsOn?.[s] ?? []).every((d) => detected.includes(d)));
        changed = detected.length !== before;
    }
    return detected.length ? { accessories: detected, how: 'detected' } : { accessories: [], how: 'none' };
}
/** Say which services are accessories and why, once per deploy. */
function reportChoice(choice, logger) {
    if (choice.how === 'detected')
        logger.info(`accessories detected: ${choice.accessories.join(', ')} (their image is not set by \`images\`); they run once in their own compose project and deploys keep them running unless their spec changes. Set \`accessories: none\` to run every service in the release instead.`);
    else if (choice.how === 'declared')
        logger.info(`accessories: ${choice.accessories.join(', ')}`);
}
function accessoriesProject(app, environment) {
    return `${(0, layout_js_1.projectName)(app, environment)}-accessories`;
}
/**
 * `compose up` of a release's own services: with accessories, only the release's services (`--no-deps`, so
 * a `depends_on` on an accessory does not start a second copy in the slot).
 */
function releaseUpOptions(release, accessories = release.accessories ?? []) {
    return accessories.length
        ? {
            removeOrphans: true,
            noDeps: true,
            services: Object.keys(release.images).filter((s) => !accessories.includes(s))
        }
        : { removeOrphans: true };
}
/** Per accessory container: `service id config-hash`, one per line (stopped ones too). */
function accessoryStateArgv(project) {
    return [
        'sh',
        '-c',
        'docker ps -a --no-trunc --filter "label=com.docker.compose.project=$1" --format \'{{.Label "com.docker.compose.service"}} {{.ID}} {{.Label "com.docker.compose.config-hash"}}\'',
        'sh',
        project
    ];
}
/** The same lines, also written to `file` (the host's record of its accessories). */
function recordAccessoriesArgv(project, file) {
    return [
        'sh',
        '-c',
        'umask 077; docker ps -a --no-trunc --filter "label=com.docker.compose.project=$1" --format \'{{.Label "com.docker.compose.service"}} {{.ID}} {{.Label "com.docker.compose.config-hash"}}\' > "$2.tmp" && mv -f "$2.tmp" "$2" && cat "$2"',
        'sh',
        project,
        file
    ];
}
/**
 * Stop the containers of `services` in another project (`project`): an app deployed before its accessories
 * were declared ran them inside its release; two copies must not share one volume. Stopped, not removed,
 * until the new release passed its gate (removeRetiredArgv): a failed deploy starts them again
 * (restoreRetiredArgv), so the serving release keeps its database.
 */
function retireServicesArgv(project, services) {
    return retiredServicesArgv('retire', project, services);
}
/** The retired copies go for good (the release that replaced them passed its gate). */
function removeRetiredArgv(project, services) {
    return retiredServicesArgv('remove', project, services);
}
/**
 * A deploy that retired the serving release's copies failed: the accessories' own containers of those services
 * stop (one copy per volume), and the retired ones start again. Prints `restored <service>`.
 */
function restoreRetiredArgv(accessories, project, services) {
    return retiredServicesArgv('restore', project, services, accessories);
}
/** packages/deploy/host/retired-services.sh: one loop over the services, per mode. */
function retiredServicesArgv(mode, project, services, accessories = '') {
    return ['sh', '-c', host_scripts_generated_js_1.HOST_SCRIPTS['retired-services'], 'sh', mode, project, accessories, ...services];
}
/** The shared network slots and accessories meet on when services are not on the host network. */
function sharedNetworkName(app, environment) {
    return (0, layout_js_1.projectName)(app, environment);
}
/** Create the shared network unless it exists (compose treats it as external). */
function ensureNetworkArgv(name) {
    return [
        'sh',
        '-c',
        'docker network inspect "$1" >/dev/null 2>&1 || docker network create "$1" >/dev/null',
        'sh',
        name
    ];
}
/**
 * Compose override: every project's default network is the shared external network, so a slot reaches an
 * accessory by its service name (compose adds the service name as an alias on the default network).
 */
function networkOverride(name) {
    return [
        '# written by deploy-actions: slots and accessories share one network',
        'networks:',
        '  default:',
        `    name: ${JSON.stringify(name)}`,
        '    external: true',
        ''
    ].join('\n');
}
/** Some service joins compose's default network (no `network_mode`): slots reach accessories through it. */
function needsSharedNetwork(info) {
    return Object.values(info.networkModes).some((m) => m === undefined);
}
function parseAccessoryState(text) {
    return text
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((p) => p.length >= 2 && p[0])
        .map(([service = '', id = '', hash = '']) => ({ service, id, hash }));
}
/** What `up` did to each accessory: started (new), recreated (its spec changed) or kept. Pure. */
function accessoryChanges(accessories, before, after) {
    const out = { started: [], recreated: [], kept: [] };
    for (const s of accessories) {
        const a = before.find((c) => c.service === s);
        const b = after.find((c) => c.service === s);
        if (!a)
            out.started.push(s);
        else if (!b || a.id !== b.id)
            out.recreated.push(s);
        else
            out.kept.push(s);
    }
    return out;
}
/** The serving release's own copies a deploy of `accessories` retires (run in its slot before they were accessories). */
function retiredBy(accessories, serving) {
    return serving ? accessories.filter((s) => !serving.accessories.includes(s)) : [];
}
exports.ACCESSORIES_BEFORE = 'accessories before';
exports.ACCESSORIES_UP = 'compose up accessories';
exports.ACCESSORIES_RECORD = 'record the accessories';
/**
 * The start phase's accessory steps for a deploy: retire copies the serving release ran itself, the shared
 * network when needed, the state before, `up -d --no-deps <accessories>` in their project with the release's
 * files, the state after (recorded on the host in `stateFile`).
 */
function accessorySteps(ctx, tool, release, o) {
    const acc = release.accessories ?? [];
    if (!acc.length)
        return [];
    const accProject = accessoriesProject(ctx.spec.app, ctx.spec.environmentSlug ?? ctx.spec.environment);
    const steps = [];
    const toRetire = retiredBy(acc, o.serving);
    if (o.serving && toRetire.length)
        steps.push({
            name: 'retire accessories from the serving release',
            argv: retireServicesArgv(o.serving.project, toRetire),
            check: false
        });
    if (o.network)
        steps.push({ name: 'shared network', argv: ensureNetworkArgv(o.network) });
    steps.push({ name: exports.ACCESSORIES_BEFORE, argv: accessoryStateArgv(accProject), check: false }, {
        name: exports.ACCESSORIES_UP,
        argv: (0, index_js_2.composeUpArgv)(tool, (0, run_js_1.project)(ctx, release, { project: accProject }), {
            noDeps: true,
            services: acc
        })
    }, { name: exports.ACCESSORIES_RECORD, argv: recordAccessoriesArgv(accProject, o.stateFile) });
    return steps;
}


/***/ }),

/***/ 9008:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.parseCanarySteps = parseCanarySteps;
exports.minStepMs = minStepMs;
exports.checkCanaryPlan = checkCanaryPlan;
exports.weightedUpstreamConf = weightedUpstreamConf;
exports.curlConfig = curlConfig;
exports.canaryProbeArgv = canaryProbeArgv;
exports.parseProbeLines = parseProbeLines;
exports.curlErrorText = curlErrorText;
exports.canaryUrl = canaryUrl;
exports.canarySummary = canarySummary;
const index_js_1 = __webpack_require__(893);
const host_scripts_generated_js_1 = __webpack_require__(4893);
/**
 * The pure half of `strategy: canary`: the plan read from the inputs, the weighted nginx upstream of a step,
 * and the probe loop that runs on the host against the canary's own slot port (the runner cannot reach a
 * slot port; the public port only measures the mix). Nothing here runs anything.
 */
/** `10,50,100` → [10, 50, 100]; refused (naming `canary-steps`) unless increasing percentages ending at 100. */
function parseCanarySteps(text) {
    const parts = text
        .split(/[\s,]+/)
        .map((p) => p.trim().replace(/%$/, ''))
        .filter(Boolean);
    const fix = 'write increasing percentages that end at 100, e.g. `10,50,100`';
    if (parts.length === 0)
        throw new index_js_1.InputError('canary-steps', 'is empty', fix);
    const steps = parts.map((p) => {
        const n = Number(p);
        if (!/^\d+$/.test(p) || n < 1 || n > 100)
            throw new index_js_1.InputError('canary-steps', `"${p}" is not a percentage from 1 to 100`, fix);
        return n;
    });
    for (let i = 1; i < steps.length; i++)
        if (steps[i] <= steps[i - 1])
            throw new index_js_1.InputError('canary-steps', `${steps[i]} follows ${steps[i - 1]}: the steps must increase`, fix);
    if (steps[steps.length - 1] !== 100)
        throw new index_js_1.InputError('canary-steps', `ends at ${steps[steps.length - 1]}%, so the new release would never take all traffic`, fix);
    if (steps.length < 2)
        throw new index_js_1.InputError('canary-steps', 'is only 100: that is a blue-green switch with no canary step', 'add at least one share below 100 (e.g. `20,100`), or use strategy blue-green');
    return steps;
}
/** The shortest step the gate can judge: its initial delay plus success-threshold probes, interval apart. */
function minStepMs(gate) {
    return gate.initialDelayMs + gate.intervalMs * gate.successThreshold;
}
/**
 * A canary plan fits its gate and the deploy's timeout; refused before anything changes, naming the input.
 * `gate` is the deploy's gate (health-*): a canary is judged on evidence or not at all.
 */
function checkCanaryPlan(plan, gate, timeoutMs) {
    if (!gate || gate.urls.length === 0)
        throw new index_js_1.InputError('health-url', 'is required with strategy canary: each step is judged by probing the new release, and a canary with no gate would only move traffic blindly', 'give health-url (its path is probed on the canary slot from the host, e.g. https://app.example.com/up)');
    const min = minStepMs(gate);
    if (plan.stepMs < min)
        throw new index_js_1.InputError('canary-step-duration', `${(0, index_js_1.formatMs)(plan.stepMs)} is shorter than the gate can judge: ${gate.successThreshold} passing probes ${(0, index_js_1.formatMs)(gate.intervalMs)} apart${gate.initialDelayMs ? ` after ${(0, index_js_1.formatMs)(gate.initialDelayMs)}` : ''} take ${(0, index_js_1.formatMs)(min)}`, `make it at least ${(0, index_js_1.formatMs)(min)}, or lower health-success-threshold / health-interval`);
    const partial = plan.steps.filter((p) => p < 100).length;
    if (partial * plan.stepMs >= timeoutMs)
        throw new index_js_1.InputError('timeout', `${(0, index_js_1.formatMs)(timeoutMs)} cannot hold ${partial} canary step(s) of ${(0, index_js_1.formatMs)(plan.stepMs)}`, `raise timeout above ${(0, index_js_1.formatMs)(partial * plan.stepMs)} plus the time a deploy takes, or shorten canary-step-duration`);
}
function gcd(a, b) {
    return b === 0 ? a : gcd(b, a % b);
}
/** nginx weighted round robin: `percent` of requests to the canary, the rest to the stable release. */
function weightedUpstreamConf(stable, canary, percent) {
    const g = gcd(100 - percent, percent);
    const ws = (100 - percent) / g;
    const wc = percent / g;
    return [
        `# canary step ${percent}%: release ${stable.release} (slot ${stable.slot}) weight ${ws}, release ${canary.release} (slot ${canary.slot}) weight ${wc}`,
        `server 127.0.0.1:${stable.port} weight=${ws};`,
        `server 127.0.0.1:${canary.port} weight=${wc};`,
        ''
    ].join('\n');
}
/** Headers of the gate as a curl config file (on stdin of the probe loop: header values are secrets). */
function curlConfig(headers) {
    const q = (s) => `"${s
        .replace(/\\/g, '\\\\')
        .replace(/"/g, '\\"')
        .replace(/[\r\n]/g, ' ')}"`;
    return Object.entries(headers)
        .map(([k, v]) => `header = ${q(`${k}: ${v}`)}\n`)
        .join('');
}
/**
 * Probe `url` (the canary slot, from the host) every `intervalS` for `durationS`, in one session. Reads a
 * curl config (headers) on stdin. One line per probe: `probe <curl exit> <status> <seconds> <base64 body>`
 * (the first `bodyBytes` of the body; none when 0). `-K` keeps header values out of argv. With `stopAfter`
 * > 0 the loop ends early, printing `stopped <n>`, once that many probes got no answer or a status outside
 * `statuses` (`200-399 …`): a canary that fails plainly does not keep its share for the whole step. Body,
 * JSON and latency expectations are judged on the runner afterwards.
 */
function canaryProbeArgv(url, o) {
    return [
        'sh',
        '-c',
        host_scripts_generated_js_1.HOST_SCRIPTS['canary-probe'],
        'sh',
        url,
        String(o.intervalS),
        String(Math.max(1, Math.ceil(o.durationS))),
        String(Math.max(1, Math.ceil(o.timeoutS))),
        String(o.bodyBytes),
        o.method ?? 'GET',
        String(o.stopAfter ?? 0),
        (o.statuses ?? [{ min: 200, max: 399 }]).map((r) => `${r.min}-${r.max}`).join(' ')
    ];
}
/** The probe loop's output. Pure. */
function parseProbeLines(stdout) {
    const out = [];
    for (const line of stdout.split('\n')) {
        const m = /^probe (\d+) (\d{3}) ([\d.,]+) ?(\S*)$/.exec(line.trim());
        if (!m)
            continue;
        out.push({
            curlExit: Number(m[1]),
            status: Number(m[2]),
            latencyMs: Math.round(Number(m[3].replace(',', '.')) * 10_000) / 10,
            body: m[4] ? Buffer.from(m[4], 'base64').toString('utf8') : ''
        });
    }
    return out;
}
const CURL_ERRORS = {
    6: 'host not found',
    7: 'connection refused',
    28: 'timed out',
    52: 'empty reply (connection closed without a response)',
    56: 'connection reset while receiving'
};
function curlErrorText(code) {
    return CURL_ERRORS[code] ?? `curl failed with exit code ${code}`;
}
/** The canary's URL for a gate URL: same path and query, on the canary slot port of the host's loopback. */
function canaryUrl(gateUrl, port) {
    const u = new URL(gateUrl);
    return `http://127.0.0.1:${port}${u.pathname}${u.search}`;
}
/**
 * The summary's canary table: each step with its share, verdict and latency; the 100% step is the switch and
 * the gate after it; steps after a failed one were never reached. Empty when the run was no canary.
 */
function canarySummary(rows, plan, finalGate) {
    if (!rows || !plan)
        return [];
    const icon = (v) => (v === 'healthy' ? '✅ ' : v === 'not reached' ? '' : '❌ ');
    const out = rows.map((r) => [
        `${r.step}`,
        `${r.percent}%`,
        r.host,
        `${icon(r.verdict)}${r.verdict}`,
        r.probes ? `${r.probes} (${r.failures} failed)` : '',
        r.probes ? `p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms` : '',
        r.reason
    ]);
    const failed = rows.some((r) => r.verdict !== 'healthy');
    const done = new Set(rows.map((r) => r.step));
    plan.steps.forEach((percent, i) => {
        if (done.has(i + 1))
            return;
        if (percent === 100 && !failed && finalGate)
            out.push([
                `${i + 1}`,
                '100%',
                'all (switch + gate)',
                `${icon(finalGate.verdict)}${finalGate.verdict}`,
                `${finalGate.probes} (${finalGate.failures} failed)`,
                `p50 ${finalGate.p50Ms} ms, p95 ${finalGate.p95Ms} ms`,
                finalGate.reason
            ]);
        else
            out.push([`${i + 1}`, `${percent}%`, '', 'not reached', '', '', '']);
    });
    return [
        `### Canary steps (${(0, index_js_1.formatMs)(plan.stepMs)} each)\n`,
        (0, index_js_1.table)(['step', 'share', 'host', 'verdict', 'probes', 'latency', 'evidence'], out)
    ];
}


/***/ }),

/***/ 809:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.canarySteps = canarySteps;
exports.judgeCanary = judgeCanary;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3656);
const canary_proxy_js_1 = __webpack_require__(9008);
const commands_js_1 = __webpack_require__(3639);
const host_js_1 = __webpack_require__(6107);
const proxy_js_1 = __webpack_require__(2865);
const revert_js_1 = __webpack_require__(2055);
const resolve_js_1 = __webpack_require__(4381);
const run_js_1 = __webpack_require__(5692);
const WEIGHTS = 'weight the proxy (nginx -t, reload)';
const PROBE = 'probe the canary slot';
const RESTORE = 'all traffic back to the stable release (nginx -t, reload)';
/**
 * `strategy: canary`, the steps below 100%: the new release already runs in the free slot (start phase);
 * each step weights the proxy's upstreams, probes the canary slot on the host for the step's duration (one
 * session per step and host, Prometheus rules from the runner meanwhile), and judges that evidence. A
 * failing step puts every host back on the stable release at once and throws; the 100% step is the
 * blue-green switch and gate that follow in deploy().
 */
async function canarySteps(runs, d, outcome) {
    const plan = d.canary;
    const logger = runs[0]?.ctx.deps.logger;
    outcome.canary = [];
    if (runs.some((r) => !r.state.before)) {
        logger?.info('first release of this app here: nothing to compare a canary with, so it is switched like blue-green');
        return;
    }
    const total = plan.steps.length;
    for (const [i, percent] of plan.steps.entries()) {
        if (percent >= 100)
            return;
        logger?.info(`canary step ${i + 1}/${total}: ${percent}% of traffic to ${outcome.releaseId} for ${(0, index_js_1.formatMs)(plan.stepMs)}`);
        const settled = await Promise.allSettled(runs.map((r) => stepOnHost(r, d, i + 1, percent)));
        let failure;
        settled.forEach((res, h) => {
            const host = runs[h].ctx.host.name;
            if (res.status === 'rejected') {
                const reason = (0, index_js_1.describeError)(res.reason).split('\n')[0];
                outcome.canary.push(report(i + 1, percent, host, undefined, reason));
                failure ??= { host, reason, cause: res.reason };
                return;
            }
            outcome.canary.push(report(i + 1, percent, host, res.value));
            logger?.info(`canary step ${i + 1} on ${host}: ${res.value.verdict}: ${res.value.reason}`);
            if (res.value.verdict !== 'healthy')
                failure ??= { host, reason: `${res.value.verdict}: ${res.value.reason}` };
        });
        if (failure) {
            const what = `Canary release ${outcome.releaseId} failed step ${i + 1} of ${total} (${percent}% of traffic) on ${failure.host}: ${failure.reason}`;
            await abortCanary(runs, d, { step: i + 1, percent, host: failure.host, reason: failure.reason });
            // Traffic moved back off the new release: that is a rollback, whoever reads the outcome.
            outcome.rolledBack = runs.every((r) => !r.state.switched);
            throw new index_js_1.HealthError(what, {
                state: 'all traffic is back on the stable release; the canary slot is stopped next',
                hint: 'read the canary steps and their evidence in the job summary (docs/runbooks/aborted-canary.md)',
                ...(failure.cause ? { cause: failure.cause } : {})
            });
        }
    }
}
function report(step, percent, host, g, error) {
    return {
        step,
        percent,
        host,
        verdict: g?.verdict ?? 'error',
        reason: g?.reason ?? error ?? '',
        probes: g?.probes ?? 0,
        failures: g?.failures ?? 0,
        p50Ms: g?.p50Ms ?? 0,
        p95Ms: g?.p95Ms ?? 0,
        durationMs: g?.durationMs ?? 0
    };
}
/** One step on one host: weights, reload, and the probe loop on the host, in one session. */
async function stepOnHost(r, d, step, percent) {
    const { ctx } = r;
    const { host, spec } = ctx;
    const s = r.state;
    const gate = spec.gate;
    const stable = s.before.active;
    const cand = s.candidate;
    const proxy = (0, proxy_js_1.proxyFiles)(host.layout.proxy);
    const target = gate.urls[0];
    const wantBody = gate.expectBody !== undefined || gate.expectJson.length > 0;
    const line = (0, run_js_1.entry)(ctx, s, 'canary.step', { step, percent, stable: stable.release, slot: cand.slot });
    const steps = [
        (0, run_js_1.commitStep)(ctx, 'write the canary weights', [
            // The mark first: a run killed after it leaves weights the next deploy or rollback takes back.
            {
                path: 'active.json',
                content: JSON.stringify({
                    ...(0, resolve_js_1.withoutCanary)(stable),
                    canary: {
                        release: s.release.id,
                        slot: cand.slot,
                        port: cand.port,
                        percent,
                        runUrl: ctx.deps.context.runUrl
                    }
                }) + '\n'
            },
            {
                path: 'proxy/upstream.conf',
                content: (0, canary_proxy_js_1.weightedUpstreamConf)({ port: stable.port, release: stable.release, slot: stable.slot }, { port: cand.port, release: s.release.id, slot: cand.slot }, percent)
            },
            { path: 'proxy/nginx.conf', content: (0, proxy_js_1.nginxConf)(proxy, spec.proxyBind, spec.publicPort, spec.proxy) }
        ], [...s.pending, line]),
        { name: WEIGHTS, argv: (0, commands_js_1.proxySwitchArgv)(proxy.conf, proxy.prefix) },
        {
            name: PROBE,
            argv: (0, canary_proxy_js_1.canaryProbeArgv)((0, canary_proxy_js_1.canaryUrl)(target.url, cand.port), {
                intervalS: gate.intervalMs / 1000,
                durationS: d.canary.stepMs / 1000,
                timeoutS: gate.probeTimeoutMs / 1000,
                bodyBytes: wantBody ? 4096 : 0,
                ...(target.method ? { method: target.method } : {}),
                // Threshold mode: stop at failure-threshold plain failures; soak rules need the whole window.
                stopAfter: gate.mode === 'threshold' ? gate.failureThreshold : 0,
                statuses: gate.expectStatus
            }),
            stdin: (0, canary_proxy_js_1.curlConfig)(gate.headers)
        }
    ];
    // From here the proxy may send traffic to the canary: a failure of any kind must put it back.
    r.state = { ...s, switched: true, pending: [] };
    const started = performance.now();
    const metrics = metricRounds(gate, d.canary.stepMs);
    let res;
    try {
        res = await host.phase(`canary step ${step}`, steps, d.canary.stepMs + gate.probeTimeoutMs + 60_000);
    }
    catch (err) {
        r.state = { ...r.state, pending: s.pending };
        throw err;
    }
    finally {
        metrics.stop();
    }
    const metricRecords = await metrics.records;
    const failed = res.failed(steps);
    if (failed) {
        if (res.get(WEIGHTS)?.exitCode !== 0)
            r.state = { ...r.state, switched: s.switched };
        throw (0, host_js_1.stepError)(failed, host.name);
    }
    const samples = (0, canary_proxy_js_1.parseProbeLines)(res.get(PROBE)?.stdout ?? '');
    const result = judgeCanary(gate, target.url, samples, metricRecords, performance.now() - started);
    r.state = {
        ...r.state,
        gate: result,
        pending: [
            (0, run_js_1.entry)(ctx, r.state, result.verdict === 'healthy' ? 'canary.passed' : 'canary.failed', {
                step,
                percent,
                reason: result.reason,
                probes: result.probes,
                p95Ms: result.p95Ms
            })
        ]
    };
    return result;
}
/** Prometheus rules from the runner every interval while a step runs (none without rules). */
function metricRounds(gate, stepMs) {
    const stop = new AbortController();
    if (!gate.prometheusUrl || gate.metrics.length === 0)
        return { records: Promise.resolve([]), stop: () => stop.abort() };
    const end = performance.now() + stepMs;
    const records = (async () => {
        const out = [];
        for (let round = 1; performance.now() < end && !stop.signal.aborted; round++) {
            const at = performance.now();
            const rs = await Promise.all(gate.metrics.map((m) => (0, index_js_2.probeMetric)(m, {
                prometheusUrl: gate.prometheusUrl,
                noData: gate.noData,
                timeoutMs: gate.probeTimeoutMs,
                round,
                ...(gate.prometheusHeaders ? { headers: gate.prometheusHeaders } : {}),
                tls: gate.tls,
                signal: stop.signal
            }).catch((err) => ({
                round,
                target: m.text,
                kind: 'metric',
                ok: false,
                reason: `${m.text}: ${(0, index_js_1.describeError)(err).split('\n')[0]}`,
                time: new Date().toISOString()
            }))));
            if (!stop.signal.aborted)
                out.push(...rs);
            const wait = gate.intervalMs - (performance.now() - at);
            if (wait > 0 && performance.now() + wait < end)
                await new Promise((res) => {
                    const t = setTimeout(res, wait);
                    stop.signal.addEventListener('abort', () => (clearTimeout(t), res()), { once: true });
                });
            else if (wait > 0)
                break;
        }
        return out;
    })();
    return { records, stop: () => stop.abort() };
}
/**
 * Judge a step on the canary's own evidence: every probe of its slot (judged with the gate's expectations)
 * and the Prometheus rounds. Threshold mode: unhealthy at failure-threshold failing probes (or rounds of
 * rules), healthy with success-threshold passing in a row; soak mode: the soak rules over every sample. Pure.
 */
function judgeCanary(gate, publicUrl, samples, metrics, durationMs) {
    const now = new Date().toISOString();
    const http = samples.map((x, i) => {
        const record = (0, index_js_2.judgeHttpResponse)({ url: publicUrl }, gate, i + 1, x.curlExit === 0
            ? { status: x.status, body: x.body, latencyMs: x.latencyMs }
            : { error: (0, canary_proxy_js_1.curlErrorText)(x.curlExit), latencyMs: x.latencyMs }, now);
        return {
            ...record,
            target: `canary slot (${publicUrl})`,
            reason: record.reason?.replace(publicUrl, 'canary slot')
        };
    });
    const evidence = [...http, ...metrics];
    const lat = http.map((e) => e.latencyMs ?? 0);
    const done = (verdict, reason, failures) => ({
        verdict,
        reason,
        probes: evidence.length,
        failures,
        p50Ms: Math.round((0, index_js_2.percentile)(lat, 50) * 10) / 10,
        p95Ms: Math.round((0, index_js_2.percentile)(lat, 95) * 10) / 10,
        evidence,
        durationMs: Math.round(durationMs)
    });
    if (http.length === 0)
        return done('unhealthy', 'no probe of the canary slot came back', 0);
    if (gate.mode === 'soak') {
        const rules = Object.keys(gate.soak).length ? gate.soak : { minSuccessRate: 0.99, maxErrorRate: 0.01 };
        const failedRounds = evidence.filter((e) => !e.ok).length;
        const g = (0, index_js_2.judgeSoak)({ ...gate, soak: rules }, evidence, failedRounds, performance.now() - durationMs);
        return done(g.verdict, g.reason, failedRounds);
    }
    const verdictOf = (records, what) => {
        const byRound = new Map();
        for (const e of records)
            byRound.set(e.round, (byRound.get(e.round) ?? true) && e.ok);
        let run = 0;
        let best = 0;
        let failed = 0;
        for (const ok of byRound.values()) {
            run = ok ? run + 1 : 0;
            best = Math.max(best, run);
            if (!ok)
                failed++;
        }
        const first = records.find((e) => !e.ok)?.reason;
        if (failed >= gate.failureThreshold)
            return {
                ok: false,
                failed,
                text: `${failed} of ${byRound.size} ${what} failed (failure threshold ${gate.failureThreshold}); first: ${first}`
            };
        if (best < gate.successThreshold)
            return {
                ok: false,
                failed,
                text: `only ${best} ${what} passed in a row, ${gate.successThreshold} needed${first ? `; first failure: ${first}` : ''}`
            };
        return { ok: true, failed, text: `${byRound.size - failed} of ${byRound.size} ${what} passed` };
    };
    const parts = [verdictOf(http, 'probes of the canary slot')];
    if (metrics.length)
        parts.push(verdictOf(metrics, 'rounds of Prometheus rules'));
    const bad = parts.filter((p) => !p.ok);
    const failures = parts.reduce((n, p) => n + p.failed, 0);
    return bad.length
        ? done('unhealthy', bad.map((p) => p.text).join('; '), failures)
        : done('healthy', `${parts.map((p) => p.text).join('; ')} (p95 ${Math.round((0, index_js_2.percentile)(lat, 95))} ms)`, failures);
}
/**
 * A step failed: every host's upstream back to the stable release alone, a graceful reload, and a drain so
 * the requests the canary holds finish before its slot is stopped (by the revert that follows).
 */
async function abortCanary(runs, d, why) {
    await Promise.allSettled(runs.map(async (r) => {
        const { ctx } = r;
        const s = r.state;
        const stable = s.before.active;
        const proxy = (0, proxy_js_1.proxyFiles)(ctx.host.layout.proxy);
        const lines = [
            ...s.pending,
            (0, run_js_1.entry)(ctx, s, 'canary.aborted', { ...why, back: stable.release })
        ];
        const steps = [
            (0, run_js_1.commitStep)(ctx, 'write the stable upstream', [
                {
                    path: 'proxy/upstream.conf',
                    content: (0, proxy_js_1.upstreamConf)(stable.port, stable.release, stable.slot)
                },
                { path: 'active.json', content: JSON.stringify((0, resolve_js_1.withoutCanary)(stable)) + '\n' }
            ], lines),
            { name: RESTORE, argv: (0, commands_js_1.proxySwitchArgv)(proxy.conf, proxy.prefix) },
            ...(d.drainMs > 0 ? [{ name: 'drain', argv: ['sleep', String(d.drainMs / 1000)] }] : [])
        ];
        try {
            const res = await (0, revert_js_1.persist)('canary abort', ctx.host.logger, () => ctx.host.phase('canary abort', steps, 60_000 + d.drainMs));
            const failed = res.failed(steps);
            if (res.get(RESTORE)?.exitCode === 0)
                r.state = { ...s, switched: false, pending: [] };
            else if (res.get('write the stable upstream')?.exitCode === 0)
                r.state = { ...s, pending: [] };
            if (failed && failed.name !== 'drain')
                throw (0, host_js_1.stepError)(failed, ctx.host.name);
        }
        catch (err) {
            // The revert that follows switches this host back the blue-green way (switched stays true).
            ctx.host.logger.warning(`canary abort on ${ctx.host.name}: ${(0, index_js_1.describeError)(err).split('\n')[0]}; the revert will switch back`);
        }
    }));
}


/***/ }),

/***/ 8751:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.clockFrom = clockFrom;
function clockFrom(now) {
    if (!now)
        return { now: () => new Date(), ms: () => Date.now() };
    // A fixed or fake wall clock (tests) still measures durations with real time passing from its start.
    const base = now().getTime();
    const started = Date.now();
    return {
        now: () => new Date(base + (Date.now() - started)),
        ms: () => Date.now()
    };
}


/***/ }),

/***/ 3639:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.waitReadyArgv = exports.LOCK_HELD = exports.HISTORY_ADD = void 0;
exports.writeFileArgv = writeFileArgv;
exports.commitArgv = commitArgv;
exports.proxySwitchArgv = proxySwitchArgv;
exports.proxyStopArgv = proxyStopArgv;
exports.historyAppendArgv = historyAppendArgv;
exports.mkdirArgv = mkdirArgv;
exports.removeTreeArgv = removeTreeArgv;
exports.setAsideArgv = setAsideArgv;
exports.pruneImagesArgv = pruneImagesArgv;
exports.sweepDockerConfigsArgv = sweepDockerConfigsArgv;
exports.lockOursArgv = lockOursArgv;
exports.readStateArgv = readStateArgv;
exports.lockAcquireArgv = lockAcquireArgv;
exports.lockRemoveIfHolderArgv = lockRemoveIfHolderArgv;
exports.lockReadArgv = lockReadArgv;
exports.lockHeartbeatArgv = lockHeartbeatArgv;
exports.lockReleaseArgv = lockReleaseArgv;
exports.lockReleaseIfOursArgv = lockReleaseIfOursArgv;
exports.portFreeArgv = portFreeArgv;
exports.publicPortArgv = publicPortArgv;
exports.pullIfMissingArgv = pullIfMissingArgv;
exports.requireProgramArgv = requireProgramArgv;
exports.stillRunningArgv = stillRunningArgv;
exports.hostHttpCheckArgv = hostHttpCheckArgv;
exports.whichArgv = whichArgv;
exports.startSlotArgv = startSlotArgv;
exports.stopKeepArgv = stopKeepArgv;
const index_js_1 = __webpack_require__(9718);
const host_scripts_generated_js_1 = __webpack_require__(4893);
/**
 * Pure argv builders for what the deploy runs on a host besides compose and docker (packages/docker): files,
 * the lock, the proxy, the waiting loops. Scripts passed to `sh -c` are constants; every variable part is a
 * positional argument ($1, $2), so no input is ever parsed as shell code. Phases join them into one script
 * (packages/ssh/src/script.ts).
 */
const STATE_FORMAT = index_js_1.CONTAINER_STATE_FORMAT;
/** Write stdin to `path` atomically (temp file + rename), readable by the owner only. */
function writeFileArgv(path) {
    return ['sh', '-c', 'umask 077 && cat > "$1.tmp" && mv -f "$1.tmp" "$1"', 'sh', path];
}
/** The name of the history line inside a commit tarball (appended, then removed). */
exports.HISTORY_ADD = '.history-add';
/**
 * One round trip for a step's bookkeeping, crash-consistent: the tarball is extracted into a private staging
 * directory, then each file lands by rename (a cut leaves the old file or the new one, never half of one), the
 * history lines it carries are appended in one write (after closing a torn last line, if a killed writer left
 * one), and `current` is re-pointed by renaming a new symlink over it.
 */
function commitArgv(root, link) {
    return ['sh', '-c', host_scripts_generated_js_1.HOST_SCRIPTS['commit'], 'sh', root, ...(link ? [link] : [])];
}
/**
 * Move traffic in one round trip: check the nginx config, then reload the running proxy (or start it). The
 * upstream file was written by the commit before; `current` is not touched here (the finish step moves it).
 */
function proxySwitchArgv(conf, prefix) {
    // -e: nginx opens its default error log (/var/log/nginx) before reading the config, which a non-root
    // deploy user may not write.
    return [
        'sh',
        '-c',
        'mkdir -p "$2/tmp" && nginx -e "$2/error.log" -t -q -p "$2" -c "$1" && if [ -f "$2/nginx.pid" ] && kill -0 "$(cat "$2/nginx.pid")" 2>/dev/null; then nginx -e "$2/error.log" -p "$2" -c "$1" -s reload; else nginx -e "$2/error.log" -p "$2" -c "$1"; fi',
        'sh',
        conf,
        prefix
    ];
}
/** Stop the app's proxy (a first deploy that failed must not leave it answering 502 on the public port). */
function proxyStopArgv(conf, prefix) {
    return ['sh', '-c', host_scripts_generated_js_1.HOST_SCRIPTS['proxy-stop'], 'sh', conf, prefix];
}
/**
 * Append stdin (whole JSON lines) to a history file in one write, after closing a torn last line a killed
 * writer may have left (readers skip a line that does not parse).
 */
function historyAppendArgv(path) {
    return [
        'sh',
        '-c',
        'umask 077; l=$(cat); if [ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ]; then l=$(printf "\\n%s" "$l"); fi; printf "%s\\n" "$l" >> "$1"',
        'sh',
        path
    ];
}
function mkdirArgv(...paths) {
    return ['mkdir', '-p', ...paths];
}
function removeTreeArgv(path) {
    return ['rm', '-rf', '--', path];
}
/** Rename a directory within its parent (no copy; fails when `to` exists). */
function setAsideArgv(from, to) {
    return ['mv', '-T', '--', from, to];
}
/**
 * Remove the images of pruned releases, each by its digest and by the tag its release pulled it by (while that
 * tag still names the same image: a moved tag is left alone). An image that any release record under the
 * state dir still names (a kept release, another environment, another app) is kept, and so is a tag one names;
 * one a container uses,
 * running or stopped, docker refuses. Nothing else is touched: only references this action's records name.
 * Prints `removed <digest>`, `kept <digest> (<why>)` or `gone <digest>` per image; exit 1 when docker refused one.
 */
function pruneImagesArgv(stateDir, images, tags) {
    return [
        'sh',
        '-c',
        host_scripts_generated_js_1.HOST_SCRIPTS['prune-images'],
        'sh',
        stateDir,
        ...images.flatMap((d) => [d, tags[d] ?? ''])
    ];
}
/**
 * Remove registry logins (`<root>/.docker-<id>` private docker configs) a run left behind when it was stopped
 * before its `remove the registry login` step. Run under the deploy lock, with phases serialized: no other run
 * uses one then. Prints `removed <dir>` per directory.
 */
function sweepDockerConfigsArgv(root) {
    return ['sh', '-c', host_scripts_generated_js_1.HOST_SCRIPTS['sweep-docker-configs'], 'sh', root];
}
/** Exit 0 while the lock still names this token (the run still holds it), 1 otherwise. */
function lockOursArgv(lockDir, token) {
    return ['sh', '-c', 'grep -qF "$2" "$1/holder.json" 2>/dev/null', 'sh', lockDir, token];
}
/**
 * Everything the deploy needs to know about an app on a host, in one round trip: the current link, the
 * active slot, and every release.json (one JSON document per line, each prefixed by its file name).
 */
function readStateArgv(root) {
    return ['sh', '-c', host_scripts_generated_js_1.HOST_SCRIPTS['read-state'], 'sh', root];
}
/**
 * Take the lock: holder.json (stdin) is written whole into a private directory, which is then renamed to the
 * lock directory. The rename is atomic and fails onto a held lock, so a lock never exists without its holder.
 */
function lockAcquireArgv(lockDir) {
    return [
        'sh',
        '-c',
        [
            '[ -e "$1" ] && exit 75',
            't="$1.take.$$"; umask 077; rm -rf "$t" "$1".released.* "$1".old.*',
            'mkdir "$t" && cat > "$t/holder.json" || { rm -rf "$t"; exit 1; }',
            'mv -T "$t" "$1" 2>/dev/null || { rm -rf "$t"; exit 75; }'
        ].join('\n'),
        'sh',
        lockDir
    ];
}
/**
 * Take a lock over (or break it): only while it still has the holder that was judged (its token; empty: a
 * lock without holder.json), it is renamed aside, then removed. Prints `removed` when it was.
 */
function lockRemoveIfHolderArgv(lockDir, token) {
    return [
        'sh',
        '-c',
        [
            'if [ -n "$2" ]; then grep -qF "$2" "$1/holder.json" 2>/dev/null || exit 0; elif [ -f "$1/holder.json" ]; then exit 0; fi',
            'a="$1.old.$$"; mv -T "$1" "$a" 2>/dev/null && rm -rf -- "$a" && echo removed; true'
        ].join('\n'),
        'sh',
        lockDir,
        token
    ];
}
/** Exit code of lockAcquireArgv when someone else holds the lock. */
exports.LOCK_HELD = 75;
function lockReadArgv(lockDir) {
    return ['sh', '-c', 'cat "$1/holder.json" 2>/dev/null || true', 'sh', lockDir];
}
/** Refresh the holder (heartbeat), only while the lock is still ours; prints `beat`, or `lost` when it is not. */
function lockHeartbeatArgv(lockDir, token) {
    return [
        'sh',
        '-c',
        [
            'grep -qF "$2" "$1/holder.json" 2>/dev/null || { echo lost; exit 0; }',
            'umask 077; cat > "$1/holder.json.new" || exit 0',
            // The beat carries now: a phase's beat is built when the phase is sent and runs at its end, so the host's
            // clock moves it forward (never back). Never backwards either: a beat older than the one there (landing
            // after the timer's) is dropped. ISO times of one format order as strings.
            'at() { sed -n \'s/.*"heartbeatAt":"\\([^"]*\\)".*/\\1/p\' "$1"; }',
            'old=$(at "$1/holder.json"); new=$(at "$1/holder.json.new"); now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)',
            'if [ -n "$new" ] && [ "$(expr "x$new" \\< "x$now")" = 1 ]; then',
            '  sed "s/\\"heartbeatAt\\":\\"[^\\"]*\\"/\\"heartbeatAt\\":\\"$now\\"/" "$1/holder.json.new" >"$1/holder.json.now" && mv -f "$1/holder.json.now" "$1/holder.json.new" && new=$now',
            'fi',
            'if [ -n "$old" ] && [ "$(expr "x$new" \\< "x$old")" = 1 ]; then rm -f "$1/holder.json.new"; echo older; exit 0; fi',
            'mv -f "$1/holder.json.new" "$1/holder.json" && echo beat; true'
        ].join('\n'),
        'sh',
        lockDir,
        token
    ];
}
/**
 * Release the lock, only when it is still ours. The name goes first, by rename, so a heartbeat racing the
 * release can never leave a lock behind (it writes into a directory that no longer has the lock's name).
 */
function lockReleaseArgv(lockDir, token) {
    return [
        'sh',
        '-c',
        'grep -qF "$2" "$1/holder.json" 2>/dev/null && mv -T "$1" "$1.released.$$" && rm -rf -- "$1.released.$$"; true',
        'sh',
        lockDir,
        token
    ];
}
/** Release a lock whose token (on stdin) still matches; prints `released` when it did. */
function lockReleaseIfOursArgv(lockDir) {
    return [
        'sh',
        '-c',
        'token=$(cat) && grep -qF "$token" "$1/holder.json" 2>/dev/null && mv -T "$1" "$1.released.$$" && rm -rf -- "$1.released.$$" && echo released; true',
        'sh',
        lockDir
    ];
}
/** Fails, printing who listens, when the TCP port is taken. */
function portFreeArgv(port) {
    return [
        'sh',
        '-c',
        'out=$(ss -Hltnp "sport = :$1" 2>/dev/null); [ -z "$out" ] || { echo "$out"; exit 1; }',
        'sh',
        String(port)
    ];
}
/**
 * The public port: prints `proxy-up` when this app's proxy (its pid file) runs; otherwise fails, printing who
 * listens, when someone else holds the port.
 */
function publicPortArgv(pidFile, port) {
    return [
        'sh',
        '-c',
        'if [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; then echo proxy-up; exit 0; fi; out=$(ss -Hltnp "sport = :$2" 2>/dev/null); [ -z "$out" ] || { echo "$out"; exit 1; }',
        'sh',
        pidFile,
        String(port)
    ];
}
/**
 * Fetch an image only when the host lacks it: `pull` (argv, e.g. `docker pull` under the deploy's private
 * login) runs after `docker image inspect <ref>` fails. Prints `present` when it was there. An accessory's image
 * is fetched this way, never refreshed, so a moved tag upstream does not restart a database.
 */
function pullIfMissingArgv(ref, pull) {
    return [
        'sh',
        '-c',
        'if docker image inspect "$1" >/dev/null 2>&1; then echo present; exit 0; fi; shift; exec "$@"',
        'sh',
        ref,
        ...pull
    ];
}
/** Fails, naming the PATH searched, when a program is missing (the phase PATH includes the sbin dirs). */
function requireProgramArgv(program) {
    return ['sh', '-c', 'command -v "$1" || { echo "$1 not found in PATH=$PATH" >&2; exit 1; }', 'sh', program];
}
var wait_ready_js_1 = __webpack_require__(1802);
Object.defineProperty(exports, "waitReadyArgv", ({ enumerable: true, get: function () { return wait_ready_js_1.waitReadyArgv; } }));
/**
 * After the switch: the containers of `project` still run, `rounds` checks `intervalS` apart (a crash after
 * traffic moved is caught here, on the host, without a round trip per check): packages/deploy/host/still-running.sh.
 * Fails printing `no containers` or the states.
 */
function stillRunningArgv(project, rounds, intervalS) {
    return [
        'sh',
        '-c',
        host_scripts_generated_js_1.HOST_SCRIPTS['still-running'],
        'sh',
        project,
        String(rounds),
        String(intervalS),
        STATE_FORMAT
    ];
}
/** One HTTP check from the host itself (the slot port is not reachable from the runner). */
function hostHttpCheckArgv(tool, url, timeoutS) {
    return tool === 'curl'
        ? ['curl', '-fsS', '-o', '/dev/null', '-m', String(timeoutS), url]
        : ['wget', '-q', '-O', '/dev/null', '-T', String(timeoutS), url];
}
function whichArgv(...programs) {
    return ['sh', '-c', host_scripts_generated_js_1.HOST_SCRIPTS['which'], 'sh', ...programs];
}
/**
 * Start a slot's release: when the slot still holds the stopped containers of this very release (a deploy
 * leaves the old slot stopped, not removed), `docker start` them: no compose run (each docker-compose v1 call
 * costs ~1 s of Python start) and no container create. Otherwise clear the slot and run `up` (argv after the
 * release directory). Prints `kept` or the compose output.
 */
function startSlotArgv(project, releaseDir, up) {
    return [
        'sh',
        '-c',
        [
            'p=$1; rel=$2/; shift 2',
            'ids=$(docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$p")',
            'if [ -n "$ids" ]; then',
            '  files=$(docker inspect --format \'{{index .Config.Labels "com.docker.compose.project.config_files"}}\' $ids) || files=',
            '  other=$(printf "%s\\n" "$files" | grep -v -F "$rel")',
            '  if [ -n "$files" ] && [ -z "$other" ]; then docker start $ids >/dev/null && { echo kept; exit 0; }; fi',
            '  docker rm -f $ids >/dev/null',
            'fi',
            'exec "$@"'
        ].join('\n'),
        'sh',
        project,
        releaseDir,
        ...up
    ];
}
/**
 * Stop a project's containers and keep them (each with its own stop timeout, compose's stop_grace_period):
 * a rollback to this release starts them again (startSlotArgv) instead of creating them.
 */
function stopKeepArgv(project) {
    return [
        'sh',
        '-c',
        'ids=$(docker ps -q --no-trunc --filter "label=com.docker.compose.project=$1"); [ -z "$ids" ] || docker stop $ids >/dev/null',
        'sh',
        project
    ];
}


/***/ }),

/***/ 6211:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.composeFiles = composeFiles;
exports.composeTexts = composeTexts;
exports.composeInfo = composeInfo;
const index_js_1 = __webpack_require__(2804);
/** A deploy's compose files in order: the first, then `compose-file`'s further ones. */
function composeFiles(d) {
    return [d.composeText, ...(d.composeMore ?? [])];
}
/** The compose files of a deploy as one text for the config hash (the first file alone hashes as before). */
function composeTexts(d) {
    return composeFiles(d).join('\0');
}
let last;
/**
 * What a deploy's compose files declare (services, images, volumes, accessory candidates). The input reader,
 * the engine's start and the prepare phase all ask; the files are parsed once per text.
 */
function composeInfo(d) {
    const key = composeTexts(d);
    if (last?.key !== key)
        last = { key, info: (0, index_js_1.parseComposeFiles)(composeFiles(d)) };
    return last.info;
}


/***/ }),

/***/ 4493:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.gateFailure = gateFailure;
exports.openHosts = openHosts;
exports.hostOutcome = hostOutcome;
exports.releaseImages = releaseImages;
exports.releaseFiles = releaseFiles;
exports.beginDeploy = beginDeploy;
exports.deploy = deploy;
const posix_1 = __webpack_require__(3916);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2804);
const compose_files_js_1 = __webpack_require__(6211);
const accessories_js_1 = __webpack_require__(6427);
const index_js_3 = __webpack_require__(3656);
const canary_js_1 = __webpack_require__(809);
const clock_js_1 = __webpack_require__(8751);
const finish_js_1 = __webpack_require__(2278);
const host_js_1 = __webpack_require__(6107);
const layout_js_1 = __webpack_require__(5759);
const scan_record_js_1 = __webpack_require__(9600);
const migrate_js_1 = __webpack_require__(772);
const open_js_1 = __webpack_require__(2729);
const includes_js_1 = __webpack_require__(2588);
const prepare_js_1 = __webpack_require__(842);
const recorder_js_1 = __webpack_require__(4607);
const resolve_js_1 = __webpack_require__(4381);
const revert_js_1 = __webpack_require__(2055);
const run_js_1 = __webpack_require__(5692);
const start_js_1 = __webpack_require__(3245);
const user_files_js_1 = __webpack_require__(2884);
const switch_js_1 = __webpack_require__(6445);
const validate_js_1 = __webpack_require__(1983);
const strategy_js_1 = __webpack_require__(9836);
function gateFailure(result) {
    return `health gate ${result.verdict}: ${result.reason}`;
}
/** Connect and open every host (in parallel); on any failure close what was opened and throw. */
async function openHosts(spec, deps, rec, deadline, strategy, operation, o) {
    const runs = [];
    const results = await Promise.allSettled(spec.hosts.map(async (name) => {
        const own = deps.forHost ? deps.forHost(name, spec) : spec;
        const l = (0, layout_js_1.layout)(own.stateDir, own.app, (0, run_js_1.envSlug)(own));
        const executor = await deps.connect(name);
        const ctx = {
            host: new host_js_1.Host(name, executor, l, deadline, deps.logger),
            spec: own,
            strategy,
            rec,
            deps,
            operation
        };
        const run = (0, run_js_1.newHostRun)(ctx);
        runs.push(run);
        run.state = await (0, open_js_1.openHost)(ctx, run.state, o);
        return run;
    }));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
        await Promise.all(runs.map((r) => (0, revert_js_1.closeHost)(r.ctx, r.state)));
        throw failed.reason;
    }
    // In the order the hosts were given.
    return spec.hosts.map((h) => runs.find((r) => r.ctx.host.name === h));
}
async function eachParallel(runs, fn) {
    const results = await Promise.allSettled(runs.map(fn));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed)
        throw failed.reason;
}
/** Run a phase and keep the state it leaves, also when it fails. */
async function step(r, fn) {
    try {
        r.state = await fn(r.state);
    }
    catch (err) {
        r.state = (0, run_js_1.stateAfter)(err, r.state);
        throw err;
    }
}
/** What one host's run did, for the outcome and the per-host summary table (deploy, rollback, swarm). */
function hostOutcome(r, rolledBack) {
    const sessions = (0, host_js_1.sessionCount)(r.ctx.host.executor);
    return {
        host: r.ctx.host.name,
        release: r.state.release?.id,
        previous: r.state.before?.active.release,
        digests: r.state.release?.digests ?? {},
        ...(r.state.gate ? { gate: r.state.gate } : {}),
        rolledBack,
        ...(sessions !== undefined ? { sessions } : {}),
        noopMs: r.ctx.host.noopMs
    };
}
/** service → the image reference this release runs: the `images` input, else the compose file's own. */
function releaseImages(d, info, accessories = []) {
    const images = {};
    for (const s of info.services) {
        if (accessories.includes(s))
            continue;
        const ref = d.images[s] ?? info.images[s];
        if (ref)
            images[s] = ref;
    }
    return images;
}
/**
 * The files a release directory holds besides compose.yml, .env and release.json: the further compose files
 * given (compose.2.yml, …), then the overrides the deploy writes (images first, written by prepare itself),
 * pinned volume names, and the shared network when there are accessories and some service is not on the
 * host network. `overrides` is what compose gets after compose.yml (undefined: the default).
 */
function releaseFiles(d, info, accessories) {
    const extra = (d.composeMore ?? []).map((content, i) => ({ name: `compose.${i + 2}.yml`, content }));
    const names = extra.map((f) => f.name);
    const volumes = (0, index_js_2.volumesOverride)(info, (0, layout_js_1.projectName)(d.app, (0, run_js_1.envSlug)(d)));
    const mine = [];
    if (volumes)
        mine.push({ name: run_js_1.VOLUMES_FILE, content: volumes });
    if (accessories.length && (0, accessories_js_1.needsSharedNetwork)(info))
        mine.push({ name: run_js_1.NETWORK_FILE, content: (0, accessories_js_1.networkOverride)((0, accessories_js_1.sharedNetworkName)(d.app, (0, run_js_1.envSlug)(d))) });
    const overrides = [...names, run_js_1.IMAGES_FILE, ...mine.map((f) => f.name)];
    // The report the image was judged on: beside the release's record, which names its sha256.
    const scan = d.scan ? [{ name: scan_record_js_1.SCAN_REPORT_FILE, content: d.scan.report }] : [];
    return {
        ...(overrides.length > 1 ? { overrides } : {}),
        extra: [...extra, ...mine, ...scan]
    };
}
/** What every deploy starts with, whatever its strategy: one clock, the recorder, the deadline, an empty outcome. */
function beginDeploy(d, deps) {
    const clock = (0, clock_js_1.clockFrom)(deps.now);
    const rec = new recorder_js_1.Recorder(d, deps, clock);
    const releaseId = (0, layout_js_1.newReleaseId)(clock.now());
    const started = clock.ms();
    const outcome = {
        ok: false,
        releaseId,
        digests: {},
        rolledBack: false,
        durationMs: 0,
        events: rec.events,
        hosts: []
    };
    const info = (0, compose_files_js_1.composeInfo)(d);
    const choice = d.strategy === 'swarm'
        ? { accessories: [], how: 'none' }
        : (0, accessories_js_1.chooseAccessories)(d.accessories ?? [], info, d.images);
    (0, accessories_js_1.reportChoice)(choice, deps.logger);
    const accessories = choice.accessories;
    const images = releaseImages(d, info, accessories);
    return {
        clock,
        started,
        rec,
        deadline: new host_js_1.Deadline(d.timeoutMs, 'deploy', clock),
        releaseId,
        outcome,
        info,
        images,
        accessories,
        /** The hosts could not be opened: nothing changed anywhere. */
        async openFailed(err) {
            const error = err instanceof index_js_1.DeployActionsError ? err : new index_js_1.DeployError((0, index_js_1.describeError)(err));
            outcome.error = error;
            outcome.durationMs = clock.ms() - started;
            await rec.emit('deploy.failed', d.version, {
                release: releaseId,
                reason: error.message.split('\n')[0]
            });
            return outcome;
        },
        /** The record of this release on one host, before anything of it runs. */
        record(previous, extra = {}) {
            return {
                id: releaseId,
                app: d.app,
                environment: d.environment,
                version: d.version,
                strategy: d.strategy,
                images: { ...images },
                digests: {},
                configHash: (0, validate_js_1.configHash)((0, compose_files_js_1.composeTexts)(d), images, d.envText),
                actor: deps.context.actor,
                runUrl: deps.context.runUrl,
                createdAt: clock.now().toISOString(),
                status: 'pending',
                ...(d.scan ? { scan: d.scan.record } : {}),
                ...extra,
                ...(previous ? { previous } : {})
            };
        },
        /** Gate what one host now serves; a verdict other than healthy fails the deploy. */
        async gate(ctx, s, release) {
            const g = await (0, finish_js_1.gatePhase)(ctx, s, release);
            if (g.result)
                outcome.gate = g.result;
            if (g.result && g.result.verdict !== 'healthy')
                throw (0, run_js_1.failWith)(new index_js_1.HealthError(`Release ${releaseId} failed its ${gateFailure(g.result)} on ${ctx.host.name}`, {
                    hint: 'read the gate evidence in the job summary'
                }), g.state);
            return g.state;
        },
        /** The history line each host writes when the deploy completed. */
        completedEntry(ctx, digests) {
            return ctx.rec.entry(ctx.host.name, 'deploy.completed', {
                release: releaseId,
                version: d.version,
                digests,
                durationMs: clock.ms() - started,
                ...(d.scan ? { scan: d.scan.record } : {})
            });
        },
        /** Every host completed: the deploy is done, and the world is told once. */
        async complete() {
            outcome.ok = true;
            await rec.emit('deploy.completed', d.version, {
                release: releaseId,
                digests: outcome.digests,
                durationMs: clock.ms() - started,
                ...(d.scan ? { scan: d.scan.record } : {})
            });
        },
        /** One host's line in the outcome: what it did and what serves there now. */
        served(r, before) {
            return {
                ...hostOutcome(r, outcome.rolledBack),
                outcome: outcome.ok
                    ? `serving ${releaseId}`
                    : before
                        ? `serving ${before.active.release}`
                        : 'nothing serving'
            };
        },
        /** The outcome, stamped with its URL and duration. */
        end() {
            // Without userinfo: the URL goes to outputs, the summary and the Deployment's environment_url.
            const url = d.gate?.urls[0]?.url;
            outcome.url = url ? (0, index_js_3.withoutUserinfo)(url) : undefined;
            outcome.durationMs = clock.ms() - started;
            return outcome;
        }
    };
}
/**
 * Deploy a release to every host with its strategy, gate it, and undo it when the gate fails (auto-rollback).
 * Phases, each one SSH session per host: open, prepare, start, switch, (gate from the runner), finish.
 * Never throws for a failed deploy: the outcome carries the error, so outputs can still be set.
 */
async function deploy(d, deps) {
    const begun = beginDeploy(d, deps);
    const { rec, deadline, releaseId, outcome, info, accessories } = begun;
    // The compose files as users write them: the release's copy, rewritten where two slots need it.
    let user;
    try {
        user = (0, user_files_js_1.userCompose)(d, accessories);
        // Files an `include:` names ship with the release too (Compose v2.20+ resolves them there).
        const included = (0, includes_js_1.includedFiles)(d.composeDir, (0, compose_files_js_1.composeFiles)(d));
        if (included.length)
            user = {
                ...user,
                files: [...user.files.filter((f) => !included.some((x) => x.name === f.name)), ...included]
            };
    }
    catch (err) {
        return begun.openFailed(err);
    }
    (0, user_files_js_1.reportUserCompose)(user, deps.logger);
    if (user.report.length || user.plan.warnings.length)
        outcome.compose = { report: user.report, warnings: user.plan.warnings };
    const [composeText = d.composeText, ...composeMore] = user.texts;
    const shipped = { composeText, ...(composeMore.length ? { composeMore } : {}) };
    const files = releaseFiles({ ...d, ...shipped }, info, accessories);
    await rec.emit('deploy.started', d.version, { release: releaseId, strategy: d.strategy, hosts: d.hosts });
    let runs = [];
    try {
        runs = await openHosts(d, deps, rec, deadline, d.strategy, 'deploy', {
            lock: true,
            releaseHint: releaseId,
            needNginx: (0, strategy_js_1.usesSlots)(d.strategy)
        });
    }
    catch (err) {
        return begun.openFailed(err);
    }
    try {
        // A switch an earlier (killed) run never verified is resolved first: verified, or reverted.
        await eachParallel(runs, (r) => step(r, (s) => (0, resolve_js_1.resolveUnverified)(r.ctx, s)));
        outcome.previousReleaseId = runs[0].state.before?.active.release;
        for (const r of runs) {
            (0, prepare_js_1.checkStrategy)(r.ctx, r.state);
            (0, prepare_js_1.checkComposeVersion)(r.ctx, r.state, info);
        }
        await eachParallel(runs, (r) => step(r, (s) => {
            const record = begun.record(s.before?.active.release, {
                ...(files.overrides ? { overrides: files.overrides } : {}),
                ...(accessories.length ? { accessories: [...accessories] } : {}),
                ...(user.plan.awaitHealthy.length ? { awaitHealthy: [...user.plan.awaitHealthy] } : {})
            });
            return (0, prepare_js_1.preparePhase)(r.ctx, s, { ...d, ...r.ctx.spec, ...shipped }, record, files.extra, user);
        }));
        outcome.digests = { ...runs[0].state.release.digests };
        // migrate-command: once, on the first host, before any traffic moves under any strategy (migrate.ts).
        if (d.migrate)
            await (0, migrate_js_1.migrateOnce)(runs, d, d.migrate, outcome);
        // rolling and recreate: one host at a time, gated before the next; blue-green: every host ready, then
        // every host switched, then gated.
        const batches = d.strategy === 'blue-green' || d.strategy === 'canary' ? [runs] : runs.map((r) => [r]);
        for (const batch of batches) {
            await eachParallel(batch, (r) => step(r, (s) => (0, start_js_1.startPhase)(r.ctx, s, { writeRecord: true, alsoSwitch: false })));
            // canary: the steps below 100% (canary.ts); the switch and gate below are its last step.
            if (d.strategy === 'canary')
                await (0, canary_js_1.canarySteps)(batch, d, outcome);
            await eachParallel(batch.filter(() => (0, strategy_js_1.usesSlots)(d.strategy)), (r) => step(r, (s) => (0, switch_js_1.switchPhase)(r.ctx, s)));
            for (const r of batch)
                await step(r, (s) => begun.gate(r.ctx, s, s.release));
        }
        await eachParallel(runs, (r) => step(r, (s) => (0, finish_js_1.finishPhase)(r.ctx, s, d.keepReleases, [begun.completedEntry(r.ctx, s.release.digests)])));
        await begun.complete();
    }
    catch (err) {
        await undoDeploy(d, runs, err, outcome, rec);
    }
    finally {
        for (const r of runs) {
            outcome.hosts.push(begun.served(r, r.state.before));
            await (0, revert_js_1.closeHost)(r.ctx, r.state);
        }
    }
    return begun.end();
}
/** A deploy failed: return every host that moved to what served before, gate that, record it everywhere. */
async function undoDeploy(d, runs, err, outcome, rec) {
    const logger = runs[0]?.ctx.deps.logger;
    const error = err instanceof index_js_1.DeployActionsError ? err : new index_js_1.DeployError((0, index_js_1.describeError)(err));
    const what = error.message.split('\n')[0];
    const releaseId = outcome.releaseId;
    logger?.warning(`deploy of ${releaseId} failed: ${what}; cleaning up`);
    const serving = [];
    let restoredAll = true;
    let anySwitched = false;
    for (const r of runs) {
        const s0 = r.state;
        anySwitched ||= s0.switched;
        if (!s0.release)
            continue;
        const name = r.ctx.host.name;
        // Its finish completed: the release passed its gate here and is recorded; the lock is released. It stays.
        if (s0.finished) {
            serving.push(`release ${releaseId} (gated and recorded) is serving on ${name}`);
            restoredAll = false;
            continue;
        }
        try {
            const history = [];
            if (!d.autoRollback && s0.switched) {
                serving.push(`release ${releaseId} (failed) is still serving on ${name}: auto-rollback is off`);
                restoredAll = false;
            }
            else {
                const rv = await (0, revert_js_1.revertPhase)(r.ctx, s0);
                r.state = rv.state;
                serving.push(rv.serving);
                if (rv.left) {
                    restoredAll = false;
                    continue;
                }
                restoredAll &&= rv.restored;
                if (s0.switched && s0.before?.record) {
                    // Gate what serves again: a rollback is only done when it is healthy.
                    const g = await (0, finish_js_1.gatePhase)(r.ctx, r.state, s0.before.record);
                    r.state = g.state;
                    if (g.result && g.result.verdict !== 'healthy') {
                        restoredAll = false;
                        serving.push(`but the previous release ${s0.before.active.release} on ${name} is NOT healthy either (${gateFailure(g.result)})`);
                    }
                    outcome.rolledBack = true;
                    // A critical environment's automatic rollback is an incident (the notifier sends it too): the
                    // hosts keep it, so delivery reports count it.
                    if (d.critical)
                        history.push(r.ctx.rec.entry(name, 'incident.opened', {
                            release: releaseId,
                            version: d.version,
                            failedRelease: releaseId,
                            reason: what,
                            serving: `release ${s0.before.active.release}`,
                            severity: 'critical',
                            automatic: true
                        }));
                    history.push(r.ctx.rec.entry(name, 'rollback.executed', {
                        release: releaseId,
                        version: d.version,
                        from: releaseId,
                        to: s0.before.active.release,
                        reason: what,
                        automatic: true
                    }));
                }
            }
            const failedRecord = { ...s0.release, status: 'failed', reason: what };
            history.push(r.ctx.rec.entry(name, 'deploy.failed', { release: releaseId, version: d.version, reason: what }));
            r.state = await (0, revert_js_1.recordFailure)(r.ctx, r.state, history, failedRecord);
        }
        catch (cleanupErr) {
            restoredAll = false;
            serving.push(`cleanup on ${name} failed: ${(0, index_js_1.describeError)(cleanupErr).split('\n')[0]}`);
        }
    }
    if (outcome.rolledBack)
        await rec.emit('rollback.executed', d.version, {
            release: outcome.previousReleaseId ?? '',
            from: releaseId,
            reason: what,
            automatic: true
        });
    await rec.emit('deploy.failed', d.version, {
        release: releaseId,
        reason: what,
        rolledBack: outcome.rolledBack,
        ...(d.scan ? { scan: d.scan.record } : {})
    });
    const state = serving.join('; ') +
        (anySwitched && d.autoRollback && restoredAll && outcome.rolledBack
            ? ' (rolled back automatically)'
            : '');
    // Refused before any release directory was written (a check on what the host offers): its own words hold.
    const untouched = runs.every((r) => !r.state.release) && error.state !== undefined;
    outcome.error = new index_js_1.DeployError(`Deploy of ${d.app}/${d.environment} release ${releaseId} failed: ${error.message}`, untouched
        ? { state: error.state, ...(error.hint ? { hint: error.hint } : {}), cause: err }
        : {
            state,
            hint: restoredAll
                ? `fix the cause above and deploy again; the failed release stays in ${(0, posix_1.join)(d.stateDir, d.app, (0, run_js_1.envSlug)(d), 'releases', releaseId)} for inspection (docs/runbooks/failed-deploy.md)`
                : 'act now: check what serves (docs/runbooks/failed-deploy.md) and roll back by hand with the rollback action or `deploy-actions rollback` (docs/runbooks/manual-rollback.md)',
            cause: err
        });
}


/***/ }),

/***/ 715:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.deploy = deploy;
const deploy_js_1 = __webpack_require__(4493);
const swarm_js_1 = __webpack_require__(7757);
/** One entry for every strategy: Swarm hands placement to the swarm; the others run compose on each host. */
function deploy(d, deps) {
    return d.strategy === 'swarm' ? (0, swarm_js_1.deploySwarm)(d, deps) : (0, deploy_js_1.deploy)(d, deps);
}


/***/ }),

/***/ 3306:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.dockerRootRow = dockerRootRow;
exports.doctor = doctor;
exports.doctorTable = doctorTable;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2804);
const compose_files_js_1 = __webpack_require__(6211);
const index_js_3 = __webpack_require__(2978);
const commands_js_1 = __webpack_require__(3639);
const host_js_1 = __webpack_require__(6107);
const layout_js_1 = __webpack_require__(5759);
const open_js_1 = __webpack_require__(2729);
const proxy_js_1 = __webpack_require__(2865);
const proxy_boot_js_1 = __webpack_require__(7042);
const clock_js_1 = __webpack_require__(8751);
const front_door_doctor_js_1 = __webpack_require__(3475);
const run_js_1 = __webpack_require__(5692);
const strategy_js_1 = __webpack_require__(9836);
const host_scripts_generated_js_1 = __webpack_require__(4893);
/** Free space under which a deploy (release files, pulled layers) is likely to fail. */
const MIN_FREE_KB = 1024 * 1024;
function doctorSteps(spec, strategy, root) {
    const slotted = (0, strategy_js_1.usesSlots)(strategy);
    const steps = [
        ...(0, open_js_1.checkSteps)(slotted).map((s) => ({ ...s, check: false })),
        {
            name: 'shell cost',
            // The login shell as sshd starts it (SHLVL unset): what its rc files cost per command.
            argv: [
                'sh',
                '-c',
                's=$(date +%s%N); env -u SHLVL "${SHELL:-/bin/sh}" -c true </dev/null >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))'
            ],
            check: false
        },
        {
            name: 'state dir',
            // The nearest existing directory on the way to the app's root: writable, and its free space.
            argv: ['sh', '-c', host_scripts_generated_js_1.HOST_SCRIPTS['state-dir-space'], 'sh', root],
            check: false
        }
    ];
    steps.push({
        name: 'docker root',
        // The disk pulled images fill (Docker's data root), and what this app's release records hold of it.
        argv: ['sh', '-c', host_scripts_generated_js_1.HOST_SCRIPTS['docker-root'], 'sh', root],
        check: false
    }, 
    // Without flock two runs' phases are not serialized on the host (packages/ssh script.ts).
    { name: 'flock', argv: ['sh', '-c', 'command -v flock'], check: false });
    if (spec.frontDoor)
        steps.push(...(0, front_door_doctor_js_1.frontDoorDoctorSteps)(spec));
    else if (spec.publicPort !== undefined)
        steps.push({
            name: 'public port',
            argv: slotted
                ? (0, commands_js_1.publicPortArgv)((0, proxy_js_1.proxyFiles)(`${root}/proxy`).pid, spec.publicPort)
                : (0, commands_js_1.portFreeArgv)(spec.publicPort),
            check: false
        });
    if (slotted && !spec.frontDoor)
        steps.push({ name: 'boot hook', argv: (0, proxy_boot_js_1.bootHookCheckArgv)(`${root}/proxy`), check: false });
    if (slotted)
        for (const p of spec.slotPorts)
            steps.push({ name: `slot port ${p}`, argv: (0, commands_js_1.portFreeArgv)(p), check: false });
    return steps;
}
async function checkHost(name, spec, strategy, deps) {
    const rows = [];
    const l = (0, layout_js_1.layout)(spec.stateDir, spec.app, (0, run_js_1.envSlug)(spec));
    let executor;
    try {
        executor = await deps.connect(name);
    }
    catch (err) {
        const e = err;
        rows.push({
            check: 'ssh and the pinned key',
            ok: false,
            detail: (0, index_js_1.describeError)(err).split('\n')[0],
            fix: e.hint ?? 'check the host, port, user, ssh-key and known-hosts',
            blocking: true
        });
        return { host: name, rows };
    }
    try {
        const host = new host_js_1.Host(name, executor, l, new host_js_1.Deadline(120_000, 'doctor', (0, clock_js_1.clockFrom)()), deps.logger);
        rows.push({ check: 'ssh and the pinned key', ok: true, detail: executor.target, blocking: true });
        const noop = host.noopMs;
        rows.push({
            check: 'no-op round trip',
            ok: noop <= index_js_3.SLOW_NOOP_MS,
            detail: (0, index_js_1.formatMs)(noop),
            ...(noop > index_js_3.SLOW_NOOP_MS ? { fix: (0, index_js_3.slowShellNotice)(name, noop).replace(/^.*?Fix: /, '') } : {}),
            blocking: false
        });
        const steps = doctorSteps(spec, strategy, l.root);
        const r = await host.phase('doctor', steps, 60_000);
        const shell = Number(r.get('shell cost')?.stdout.trim());
        if (Number.isFinite(shell))
            rows.push({
                check: 'login shell cost',
                ok: shell <= index_js_3.SLOW_NOOP_MS,
                detail: `${shell}ms per command`,
                ...(shell > index_js_3.SLOW_NOOP_MS ? { fix: 'guard ~/.bashrc for non-interactive shells' } : {}),
                blocking: false
            });
        const docker = (0, open_js_1.dockerProblem)(host, r, (0, open_js_1.userOf)(executor.target));
        rows.push({
            check: 'docker (permission for the user)',
            ok: !docker,
            detail: docker ? docker.message : `server ${r.get('docker')?.stdout.trim()}`,
            ...(docker ? { fix: docker.hint } : {}),
            blocking: true
        });
        const compose = r.get('compose');
        try {
            const tool = (0, index_js_2.composeFound)((compose?.stdout ?? '') + (compose?.stderr ?? ''), name);
            // With the deploy's files (doctor: true), the features they use must be known to this compose.
            const files = 'composeText' in spec ? spec : undefined;
            const old = files ? (0, index_js_2.composeTooOld)(tool, (0, index_js_2.featuresUsed)((0, compose_files_js_1.composeInfo)(files))) : undefined;
            rows.push({
                check: 'compose',
                ok: !old,
                detail: old
                    ? `${tool.generation} ${tool.version}: compose-file uses ${old.feature.what}, which needs ${old.needed}; found ${old.found}`
                    : `${tool.generation} ${tool.version}`,
                ...(old
                    ? {
                        fix: `install the Compose v2 plugin ${old.feature.since} or later (docker compose) on the host, or give the included files in \`compose-file\``
                    }
                    : {}),
                blocking: true
            });
        }
        catch (err) {
            const e = err;
            rows.push({ check: 'compose', ok: false, detail: e.message, fix: e.hint ?? '', blocking: true });
        }
        if ((0, strategy_js_1.usesSlots)(strategy)) {
            const nginx = (0, open_js_1.nginxProblem)(host, r);
            rows.push({
                check: 'nginx',
                ok: !nginx,
                detail: nginx ? nginx.message : r.get('nginx').stdout.trim(),
                ...(nginx ? { fix: nginx.hint } : {}),
                blocking: true
            });
        }
        if ((0, strategy_js_1.usesSlots)(strategy) && !spec.frontDoor)
            rows.push(bootRow(r.get('boot hook')?.stdout ?? '', `${l.root}/proxy`));
        const [access = '', df = ''] = (r.get('state dir')?.stdout ?? '').trim().split('\n');
        const freeKb = Number(df.trim().split(/\s+/)[3]);
        rows.push({
            check: 'state-dir writable',
            ok: access === 'writable',
            detail: `${l.root} (${access || 'unknown'})`,
            ...(access !== 'writable' ? { fix: (0, open_js_1.stateDirFix)(spec.stateDir, (0, open_js_1.userOf)(executor.target)) } : {}),
            blocking: true
        });
        rows.push({
            check: 'free disk in state-dir',
            ok: freeKb >= MIN_FREE_KB,
            detail: Number.isFinite(freeKb) ? `${Math.round(freeKb / 1024)} MiB` : 'unknown',
            ...(freeKb >= MIN_FREE_KB
                ? {}
                : {
                    fix: `free space on that disk, lower keep-releases (each deploy prunes the releases beyond it, and their images), or move state-dir; at least ${MIN_FREE_KB / 1024} MiB`
                }),
            blocking: freeKb < MIN_FREE_KB / 4
        });
        rows.push(dockerRootRow(r.get('docker root')?.stdout ?? ''));
        const flock = r.get('flock');
        rows.push({
            check: 'flock (one phase at a time)',
            ok: flock?.exitCode === 0,
            detail: flock?.exitCode === 0
                ? flock.stdout.trim()
                : 'not found: the phases of two runs (a takeover and a detached phase a dead runner left) are not serialized on this host',
            ...(flock?.exitCode === 0
                ? {}
                : { fix: 'install util-linux (`apt-get install util-linux`), which has flock' }),
            blocking: false
        });
        if (spec.frontDoor)
            rows.push(...(0, front_door_doctor_js_1.frontDoorDoctorRows)(spec, r));
        for (const step of steps.filter((s) => s.name.includes('port') && !s.name.startsWith('front door'))) {
            const res = r.get(step.name);
            const free = res?.exitCode === 0;
            rows.push({
                check: step.name,
                ok: free,
                detail: free
                    ? res.stdout.includes('proxy-up')
                        ? "this app's proxy"
                        : 'free'
                    : `in use: ${res?.stdout.trim().replace(/\s+/g, ' ')}`,
                ...(free ? {} : { fix: 'stop what listens there, or choose other ports (public-port, slot-ports)' }),
                blocking: true
            });
        }
    }
    catch (err) {
        rows.push({
            check: 'checks',
            ok: false,
            detail: (0, index_js_1.describeError)(err).split('\n')[0],
            fix: 'see the error above',
            blocking: true
        });
    }
    finally {
        await executor.close().catch(() => undefined);
    }
    return { host: name, rows };
}
/** Docker's data root: its free space (pulled images fill it) and what this app's release records hold there. */
function dockerRootRow(out) {
    const lines = out.trim().split('\n');
    const dir = lines[0] && !lines[0].startsWith('app-images') ? lines[0] : undefined;
    const df = dir ? (lines[1] ?? '') : '';
    const freeKb = Number(df.trim().split(/\s+/)[3]);
    const app = /^app-images (\d+) (\d+)$/m.exec(out);
    const held = app
        ? `; this app's releases name ${app[1]} image(s), ${Math.round(Number(app[2]) / 1024 / 1024)} MiB`
        : '';
    const check = 'free disk in docker root';
    if (!dir || !Number.isFinite(freeKb))
        return { check, ok: true, detail: `unknown (docker info gave no data root)${held}`, blocking: false };
    const ok = freeKb >= MIN_FREE_KB;
    return {
        check,
        ok,
        detail: `${Math.round(freeKb / 1024)} MiB free in ${dir}${held}`,
        ...(ok
            ? {}
            : {
                fix: `free space in ${dir}: lower keep-releases (each deploy removes the images of the releases it prunes), remove images nothing uses (\`docker image prune\` removes dangling ones), or grow the disk; at least ${MIN_FREE_KB / 1024} MiB`
            }),
        blocking: freeKb < MIN_FREE_KB / 4
    };
}
/** The proxy comes back after a reboot: the @reboot crontab line the switch installs, and a cron to run it. */
function bootRow(out, proxyDir) {
    const hook = /boot-hook=(\S+)/.exec(out)?.[1] ?? 'unknown';
    const cron = /cron=(\S+)/.exec(out)?.[1];
    const check = 'proxy starts at boot';
    const unit = 'or run it from a systemd user unit (`ExecStart=/bin/sh ' +
        `${proxyDir}/start.sh\`, Type=forking, then \`loginctl enable-linger <user>\` once as root)`;
    if (hook === 'no-crontab')
        return {
            check,
            ok: false,
            detail: 'no crontab on the host: nothing restarts the proxy after a reboot until the next deploy',
            fix: `install cron (\`apt-get install cron\`), ${unit}`,
            blocking: false
        };
    if (hook === 'missing')
        return {
            check,
            ok: false,
            detail: `no \`${(0, proxy_boot_js_1.bootLine)(proxyDir)}\` line in the user's crontab`,
            fix: 'the next blue-green or rolling deploy adds it (a first deploy too)',
            blocking: false
        };
    if (cron === 'not-running')
        return {
            check,
            ok: false,
            detail: `\`${(0, proxy_boot_js_1.bootLine)(proxyDir)}\` is in the crontab, but no cron daemon runs`,
            fix: `enable cron (\`systemctl enable --now cron\`), ${unit}`,
            blocking: false
        };
    return {
        check,
        ok: hook === 'present',
        detail: `\`${(0, proxy_boot_js_1.bootLine)(proxyDir)}\` in the crontab`,
        blocking: false
    };
}
/** Check every host; `ok` is false when a blocking row fails. Changes nothing on any host. */
async function doctor(spec, strategy, deps) {
    const hosts = await Promise.all(spec.hosts.map((h) => checkHost(h, deps.forHost ? deps.forHost(h, spec) : spec, strategy, deps)));
    return { ok: hosts.every((h) => h.rows.every((r) => r.ok || !r.blocking)), hosts };
}
/** The report as a markdown table per host. */
function doctorTable(report) {
    return report.hosts
        .map((h) => `### ${h.host}\n\n` +
        (0, index_js_1.table)(['check', '', 'found', 'fix'], h.rows.map((r) => [
            r.check,
            r.ok ? '✅' : r.blocking ? '❌' : '⚠️',
            r.detail,
            r.ok ? '' : (r.fix ?? '')
        ])))
        .join('\n');
}


/***/ }),

/***/ 4848:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.drill = drill;
const index_js_1 = __webpack_require__(893);
const clock_js_1 = __webpack_require__(8751);
const commands_js_1 = __webpack_require__(3639);
const inputs_js_1 = __webpack_require__(8252);
const layout_js_1 = __webpack_require__(5759);
const recorder_js_1 = __webpack_require__(4607);
const rollback_js_1 = __webpack_require__(1957);
/**
 * A rollback drill: prove the way back on a live environment, then return. It rolls back to the previous
 * release and gates it, rolls forward to the release that served before and gates that, and records
 * `drill.completed` (both times) in each host's history. Both moves are rollbacks marked `drill`, so delivery
 * reports never count them as failed changes. A drill that fails leaves the release that served before
 * serving (a failed rollback returns traffic to it), or says exactly what serves.
 */
async function drill(spec, deps) {
    const clock = (0, clock_js_1.clockFrom)(deps.now);
    const started = clock.ms();
    const back = await (0, rollback_js_1.rollback)({ ...spec, to: undefined, drill: true, reason: `drill: back (${spec.reason})` }, deps);
    const backSeconds = (clock.ms() - started) / 1000;
    const servedBefore = back.fromReleaseId;
    if (!back.ok || !servedBefore)
        return {
            ok: false,
            back,
            ...(servedBefore ? { servedBefore } : {}),
            serving: servedBefore
                ? `${servedBefore} (the release that served before the drill: the failed rollback returned to it)`
                : 'what served before the drill (nothing to roll back to was found)',
            backSeconds,
            error: back.error ?? new index_js_1.DeployError('rollback drill: the rollback to the previous release did not run')
        };
    const forwardStart = clock.ms();
    const forward = await (0, rollback_js_1.rollback)({ ...spec, to: servedBefore, drill: true, reason: `drill: forward (${spec.reason})` }, deps);
    const forwardSeconds = (clock.ms() - forwardStart) / 1000;
    if (!forward.ok)
        return {
            ok: false,
            back,
            forward,
            servedBefore,
            serving: `${back.releaseId} (the drill's rollback target: the roll forward to ${servedBefore} failed and returned to it); deploy or roll back to ${servedBefore} when the cause is fixed`,
            backSeconds,
            forwardSeconds,
            error: forward.error ?? new index_js_1.DeployError(`rollback drill: the roll forward to ${servedBefore} failed`)
        };
    await recordDrill(spec, deps, clock, {
        release: servedBefore,
        via: back.releaseId,
        backSeconds,
        forwardSeconds
    });
    return { ok: true, back, forward, servedBefore, serving: servedBefore, backSeconds, forwardSeconds };
}
/** `drill.completed` on each host: one appended line, outside the lock (as the post step's lines are). */
async function recordDrill(spec, deps, clock, fields) {
    const rec = new recorder_js_1.Recorder(spec, deps, clock);
    await Promise.all(spec.hosts.map(async (host) => {
        const own = deps.forHost ? deps.forHost(host, spec) : spec;
        const line = new recorder_js_1.Recorder(own, deps, clock).entry(host, 'drill.completed', fields);
        try {
            const exec = await deps.connect(host);
            try {
                await exec.run({
                    argv: (0, commands_js_1.historyAppendArgv)((0, layout_js_1.layout)(own.stateDir, own.app, own.environmentSlug ?? (0, inputs_js_1.environmentSlug)(own.environment)).history),
                    stdin: JSON.stringify(line) + '\n',
                    timeoutMs: 30_000
                });
            }
            finally {
                await exec.close();
            }
        }
        catch (err) {
            deps.logger.warning(`${host}: the drill passed but drill.completed was not recorded: ${(0, index_js_1.describeError)(err)}`);
        }
    }));
    await rec.emit('drill.completed', String(fields.release), fields);
}


/***/ }),

/***/ 2278:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.linkAware = linkAware;
exports.gatePhase = gatePhase;
exports.finishPhase = finishPhase;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3656);
const posix_1 = __webpack_require__(3916);
const index_js_3 = __webpack_require__(2978);
const commands_js_1 = __webpack_require__(3639);
const accessories_js_1 = __webpack_require__(6427);
const host_js_1 = __webpack_require__(6107);
const layout_js_1 = __webpack_require__(5759);
const lock_js_1 = __webpack_require__(4654);
const retention_js_1 = __webpack_require__(2523);
const textfile_js_1 = __webpack_require__(3200);
const run_js_1 = __webpack_require__(5692);
const switch_js_1 = __webpack_require__(6445);
const user_files_js_1 = __webpack_require__(2884);
const STILL_RUNNING = 'check the containers still run';
const RECORD = 'record the release';
const REMOVE = 'remove pruned release';
const PRUNE_IMAGES = 'prune old images';
/** Container probes of a gate pay the link: their timeouts grow with the measured no-op cost. */
function linkAware(executor) {
    const noop = (0, host_js_1.noopCost)(executor);
    return {
        target: executor.target,
        close: () => executor.close(),
        run: (c) => executor.run({ ...c, ...(c.timeoutMs ? { timeoutMs: (0, index_js_3.linkTimeoutMs)(c.timeoutMs, noop) } : {}) })
    };
}
/**
 * The gate after a switch, from the runner: the spec's HTTP, metric and container probes. The release's own
 * containers are checked on the host (start and finish phases), not by a round trip per probe.
 */
async function gatePhase(ctx, s, release) {
    const spec = ctx.spec.gate;
    if (!spec)
        return { state: s };
    const gate = ctx.deps.runGate ??
        ((g, executor) => (0, index_js_2.runGate)(g, { logger: ctx.host.logger, executor }));
    const result = await gate(spec, linkAware(ctx.host.executor));
    const line = (0, run_js_1.entry)(ctx, s, result.verdict === 'healthy' ? 'gate.passed' : 'gate.failed', {
        gateRelease: release.id,
        reason: result.reason
    });
    return { state: { ...s, gate: result, pending: [...s.pending, line] }, result };
}
/**
 * The finish phase, one session: the new containers still run, the old slot drains (a sleep on the host)
 * and stops, the release is recorded as deployed, old releases are pruned, and the lock is released.
 */
async function finishPhase(ctx, s, keepReleases, history) {
    const { host, spec } = ctx;
    const release = {
        ...s.release,
        status: 'deployed',
        activatedAt: ctx.rec.clock.now().toISOString()
    };
    const old = s.before?.active;
    const cand = s.candidate;
    const steps = [
        { name: STILL_RUNNING, argv: (0, commands_js_1.stillRunningArgv)(cand.project, spec.gate ? 1 : 3, 1) }
    ];
    // The gate passed: the switch is verified before anything of the old release goes (a kill from here on
    // leaves a verified switch and an old slot the next run clears).
    if ((0, switch_js_1.gated)(ctx).unverified)
        steps.push((0, run_js_1.commitStep)(ctx, 'mark the switch verified', [{ path: 'active.json', content: JSON.stringify((0, switch_js_1.activeRecord)(ctx, cand)) + '\n' }], []));
    const lines = [...s.pending];
    if (old && old.project !== cand.project && old.slot) {
        // Drain: nginx's old workers finish the requests they hold while new ones go to the new slot. The stop
        // then honours the services' own stop_grace_period.
        // The time the gate took since the switch counts towards the drain.
        const drainMs = Math.max(0, spec.drainMs - (s.gate?.durationMs ?? 0));
        const drainS = Math.min(drainMs, Math.max(0, host.deadline.remaining() - 5000)) / 1000;
        if (drainS > 0)
            steps.push({ name: 'drain', argv: ['sleep', String(drainS)] });
        // Stopped, not removed (no compose run): a rollback starts them again (start.ts, startSlotArgv).
        steps.push({ name: `stop ${old.project}`, argv: (0, commands_js_1.stopKeepArgv)(old.project), check: false });
        lines.push((0, run_js_1.entry)(ctx, s, 'release.stopped', { stopped: old.release, project: old.project }));
    }
    // The prune: each dropped release is set aside by one rename before the record is committed (so the history
    // says what the list holds), and removed after it. A removal that fails (files a container wrote as root, on
    // a non-root SSH user) only warns: the release passed its gate and is recorded, and the next deploy's prune
    // tries the leftover again. Nothing of the prune is checked, so it can never revert the switch.
    const plan = (0, retention_js_1.prunePlan)(s.known, release, keepReleases);
    for (const id of plan.drop)
        steps.push({
            name: `set aside release ${id}`,
            argv: (0, commands_js_1.setAsideArgv)((0, layout_js_1.releaseDir)(host.layout, id), (0, layout_js_1.prunedDir)(host.layout, id)),
            check: false
        });
    lines.push(...history);
    if (plan.drop.length)
        lines.push((0, run_js_1.entry)(ctx, s, 'releases.pruned', { removed: plan.drop, images: plan.images }));
    steps.push((0, run_js_1.commitStep)(ctx, RECORD, [(0, run_js_1.recordFile)(release)], lines));
    // After the record, so the textfile's counters include this run's lines.
    const textfile = (0, textfile_js_1.textfileStep)(ctx, release, true);
    if (textfile)
        steps.push(textfile);
    // The serving release's copies of what are accessories now: stopped since this run's migrate or start phase,
    // kept for a revert until here. Recorded and gated: they go (a rollback to that release uses the accessories).
    if (s.retired)
        steps.push({
            name: 'remove the retired copies',
            argv: (0, accessories_js_1.removeRetiredArgv)(s.retired.project, s.retired.services),
            check: false
        });
    const leftovers = [...new Set([...(s.known.leftovers ?? []), ...plan.drop])];
    for (const id of leftovers)
        // pruneReleaseArgv moves a release holding data an earlier version of this action left in it (adoptDataArgv)
        // out of releases/ instead, once: it is no leftover for the next deploy.
        steps.push({
            name: `${REMOVE} ${id}`,
            argv: (0, user_files_js_1.pruneReleaseArgv)((0, layout_js_1.prunedDir)(host.layout, id), (0, layout_js_1.earlierDataDir)(host.layout, id)),
            check: false
        });
    // The pruned releases' images go with them (by digest and by the tag they were pulled by), unless a record
    // under the state dir (a kept release, another environment or app) still names them, or a container uses them.
    if (plan.images.length)
        steps.push({
            name: PRUNE_IMAGES,
            argv: (0, commands_js_1.pruneImagesArgv)((0, posix_1.dirname)((0, posix_1.dirname)(host.layout.root)), plan.images, plan.tags),
            check: false
        });
    // Only when everything before it worked: a failed finish is reverted under the lock.
    if (s.lock)
        steps.push({ ...(0, lock_js_1.lockReleaseStep)(host.layout.lock, s.lock.holder.token), always: false });
    // Cut part way (a dropped link, a timeout): the old slot may be stopped already, so a revert starts it again.
    const stops = steps.some((x) => x.name.startsWith('stop '));
    const r = await host.phase('finish', steps, 60_000 + spec.drainMs + 5 * 60_000).catch((err) => {
        throw (0, run_js_1.failWith)(err, { ...s, oldStopped: s.oldStopped || stops });
    });
    const released = r.get('release the deploy lock')?.exitCode === 0;
    if (released) {
        await s.lock?.stop();
        ctx.deps.onLock?.(host.name, undefined);
    }
    (0, textfile_js_1.textfileWarning)(ctx, r.get(textfile_js_1.TEXTFILE_STEP));
    for (const id of leftovers) {
        const rm = r.get(`${REMOVE} ${id}`);
        if (rm && rm.exitCode !== 0)
            host.logger.warning(`could not remove ${(0, layout_js_1.prunedDir)(host.layout, id)} on ${host.name} (${firstLine(rm.stderr)}): the next deploy retries; files a container wrote as root need root (sudo rm -rf)`);
        else if (rm?.stdout.startsWith('kept '))
            host.logger.warning(`release ${id} on ${host.name} is pruned but holds data an earlier version of this action kept in it (${rm.stdout.slice(5).trim()}): moved to ${(0, layout_js_1.earlierDataDir)(host.layout, id)}, which no prune deletes; merge that data into data/ or remove it by hand once nothing needs it`);
    }
    const images = r.get(PRUNE_IMAGES)?.stdout.trim();
    if (images)
        host.logger.info(`${host.name}: images of pruned releases: ${images.split('\n').join('; ')}`);
    const next = { ...s, release, pending: [], lockReleased: released };
    const failed = r.failed(steps);
    if (!failed)
        return { ...next, finished: true };
    const stopped = { ...s, oldStopped: s.oldStopped || r.get(`stop ${old?.project}`) !== undefined };
    const notRunning = failed.name === STILL_RUNNING;
    const err = notRunning
        ? new index_js_1.DeployError(`Containers of release ${release.id} stopped running on ${host.name} after the switch: ${failed.stdout.trim().split('\n').join('; ')}`, { hint: 'read the container logs (docker logs) on the host; the previous release is restored' })
        : (0, host_js_1.stepError)(failed, host.name);
    throw (0, run_js_1.failWith)(err, stopped);
}
function firstLine(text) {
    return text.trim().split('\n')[0] || 'no error text';
}


/***/ }),

/***/ 3475:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.LOW_PORT_FIX = void 0;
exports.frontDoorDoctorSteps = frontDoorDoctorSteps;
exports.canBindLow = canBindLow;
exports.frontDoorDoctorRows = frontDoorDoctorRows;
const index_js_1 = __webpack_require__(9935);
const commands_js_1 = __webpack_require__(3639);
const front_door_js_1 = __webpack_require__(9371);
const PRIVILEGED = 'bind ports below 1024';
/** The fix a non-root deploy user needs for front-door-ports below 1024. */
exports.LOW_PORT_FIX = "as root, once: `echo 'net.ipv4.ip_unprivileged_port_start=80' > /etc/sysctl.d/50-unprivileged-ports.conf && sysctl --system`, or `setcap cap_net_bind_service=+ep /usr/sbin/nginx`; or use front-door-ports of 1024 and up behind a port forward";
function ports(spec) {
    const f = spec.frontDoor;
    return [f.httpPort, ...(f.httpsPort !== undefined ? [f.httpsPort] : [])];
}
function frontDoorDoctorSteps(spec) {
    const pid = (0, index_js_1.frontDoorLayout)(spec.stateDir).pid;
    const low = ports(spec).filter((p) => p < 1024);
    return [
        { ...(0, front_door_js_1.frontDoorCheckStep)(spec), check: false },
        ...ports(spec).map((p) => ({ name: `front door port ${p}`, argv: (0, commands_js_1.publicPortArgv)(pid, p), check: false })),
        ...(low.length
            ? [
                {
                    name: PRIVILEGED,
                    // uid, the sysctl, and nginx's file capabilities (getcap lives in /usr/sbin).
                    argv: [
                        'sh',
                        '-c',
                        'PATH=$PATH:/usr/sbin:/sbin; id -u; cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024; n=$(command -v nginx || echo /usr/sbin/nginx); getcap "$n" 2>/dev/null || true'
                    ],
                    check: false
                }
            ]
            : [])
    ];
}
/**
 * Can a non-root user bind `lowest`? From `id -u`, `ip_unprivileged_port_start` and nginx's capabilities.
 * Pure, for the doctor row and its test.
 */
function canBindLow(out, lowest) {
    const [uid = '', start = '1024', ...caps] = out.trim().split('\n');
    const cap = caps.join(' ').includes('cap_net_bind_service');
    if (uid.trim() === '0')
        return { ok: true, detail: 'the deploy user is root' };
    if (Number(start) <= lowest)
        return { ok: true, detail: `net.ipv4.ip_unprivileged_port_start=${start.trim()}` };
    if (cap)
        return { ok: true, detail: 'nginx has CAP_NET_BIND_SERVICE' };
    return {
        ok: false,
        detail: `the deploy user (uid ${uid.trim()}) cannot bind port ${lowest}: net.ipv4.ip_unprivileged_port_start=${start.trim()} and nginx has no CAP_NET_BIND_SERVICE`
    };
}
function frontDoorDoctorRows(spec, r, now = new Date()) {
    const rows = [];
    const check = r.get(front_door_js_1.FRONT_DOOR_CHECK);
    rows.push({
        check: 'front door (owner, listen, host names)',
        ok: check?.exitCode === 0,
        detail: check?.exitCode === 0
            ? `free for ${spec.frontDoor.hostnames.join(', ')}`
            : (check?.stderr || check?.stdout || 'not run').trim(),
        ...(check?.exitCode === 0 ? {} : { fix: 'see docs/front-door.md, "Refusals"' }),
        blocking: true
    });
    for (const p of ports(spec)) {
        const res = r.get(`front door port ${p}`);
        const ok = res?.exitCode === 0;
        rows.push({
            check: `front door port ${p}`,
            ok,
            detail: ok
                ? res.stdout.includes('proxy-up')
                    ? 'held by this front door'
                    : 'free'
                : `in use: ${(res?.stdout ?? '').trim().replace(/\s+/g, ' ')}`,
            ...(ok ? {} : { fix: 'stop what listens there, or choose other front-door-ports' }),
            blocking: true
        });
    }
    const low = ports(spec).filter((p) => p < 1024);
    if (low.length) {
        const v = canBindLow(r.get(PRIVILEGED)?.stdout ?? '', Math.min(...low));
        rows.push({
            check: PRIVILEGED,
            ...v,
            ...(v.ok ? {} : { fix: exports.LOW_PORT_FIX }),
            blocking: true
        });
    }
    const pair = spec.frontDoor.tlsPair;
    if (pair) {
        const f = (0, index_js_1.certificateFacts)(pair, spec.frontDoor.hostnames);
        const problems = [
            ...(f.keyMatches ? [] : ['tls-key is not its key']),
            ...(f.notAfter <= now ? [`expired ${f.notAfter.toISOString()}`] : []),
            ...(f.uncovered.length ? [`does not cover ${f.uncovered.join(', ')}`] : [])
        ];
        rows.push({
            check: 'tls-certificate',
            ok: problems.length === 0,
            detail: problems.length
                ? problems.join('; ')
                : `${f.subject}, not after ${f.notAfter.toISOString().slice(0, 10)}`,
            ...(problems.length ? { fix: 'give a current certificate for every host name, with its key' } : {}),
            blocking: true
        });
    }
    return rows;
}


/***/ }),

/***/ 9371:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.FRONT_DOOR_REMOVE = exports.FRONT_DOOR_BOOT = exports.FRONT_DOOR_SWITCH = exports.FRONT_DOOR_CHECK = void 0;
exports.frontDoorListen = frontDoorListen;
exports.frontDoorCheckStep = frontDoorCheckStep;
exports.frontDoorFiles = frontDoorFiles;
exports.frontDoorSwitchSteps = frontDoorSwitchSteps;
exports.frontDoorRemoveStep = frontDoorRemoveStep;
const index_js_1 = __webpack_require__(9935);
const proxy_js_1 = __webpack_require__(2865);
const proxy_boot_js_1 = __webpack_require__(7042);
const run_js_1 = __webpack_require__(5692);
const tar_js_1 = __webpack_require__(8422);
/**
 * An app served through its host's front door (packages/frontdoor): the steps that check it, point its site at
 * a port, and take the site out again. The front door's own program does the work under its host-wide lock.
 */
exports.FRONT_DOOR_CHECK = 'check the front door (owner, port, host names)';
exports.FRONT_DOOR_SWITCH = 'switch the front door (nginx -t, reload)';
exports.FRONT_DOOR_BOOT = 'start the front door at boot (crontab @reboot)';
exports.FRONT_DOOR_REMOVE = 'take the app out of the front door';
function frontDoorListen(spec) {
    const f = spec.frontDoor;
    return {
        bind: spec.proxyBind,
        httpPort: f.httpPort,
        ...(f.httpsPort !== undefined ? { httpsPort: f.httpsPort } : {})
    };
}
function argv(spec, mode) {
    return (0, index_js_1.frontDoorArgv)((0, index_js_1.frontDoorLayout)(spec.stateDir), mode, (0, index_js_1.siteKey)(spec.app, (0, run_js_1.envSlug)(spec)), spec.stateDir, frontDoorListen(spec), spec.frontDoor.hostnames);
}
/** Before anything changes: the front door is ours (or free), listens where asked, and no other app holds a name. */
function frontDoorCheckStep(spec) {
    return { name: exports.FRONT_DOOR_CHECK, argv: argv(spec, 'check') };
}
/** The site file of the app serving on `port` (`release`), as the front door gets it. */
function frontDoorFiles(spec, port, release) {
    const f = spec.frontDoor;
    const l = (0, index_js_1.frontDoorLayout)(spec.stateDir);
    const key = (0, index_js_1.siteKey)(spec.app, (0, run_js_1.envSlug)(spec));
    const listen = frontDoorListen(spec);
    const proxy = spec.proxy ?? proxy_js_1.DEFAULT_PROXY;
    return [
        { path: 'nginx.conf', content: (0, index_js_1.frontDoorConf)(l, listen, proxy.accessLog) },
        {
            path: `sites/${key}.conf`,
            content: (0, index_js_1.siteConf)({
                app: `${spec.app}/${spec.environment}`,
                key,
                hostnames: f.hostnames,
                listen,
                port,
                release,
                forwarding: proxy
            })
        },
        { path: 'start.sh', content: (0, proxy_boot_js_1.startScript)(index_js_1.FRONT_DOOR_BOOT_GUARD, "this host's front door") },
        ...(f.tlsPair
            ? [
                { path: `tls/${key}.crt`, content: f.tlsPair.certificate },
                { path: `tls/${key}.key`, content: f.tlsPair.key },
                { path: `tls/${key}.ssl.conf`, content: (0, index_js_1.tlsConf)(listen, key) }
            ]
            : [])
    ];
}
/** Point the app's site at `port`: validated by `nginx -t` before it is swapped in and reloaded. */
function frontDoorSwitchSteps(spec, port, release) {
    const l = (0, index_js_1.frontDoorLayout)(spec.stateDir);
    return [
        {
            name: exports.FRONT_DOOR_SWITCH,
            argv: argv(spec, 'apply'),
            stdin: (0, tar_js_1.tarball)(frontDoorFiles(spec, port, release))
        },
        // Not fatal: a host without cron still serves; doctor reports the missing boot hook.
        { name: exports.FRONT_DOOR_BOOT, argv: (0, proxy_boot_js_1.bootHookArgv)(l.root, spec.stateDir), check: false }
    ];
}
/** A first release that failed: its host names answer 404 again rather than 502. */
function frontDoorRemoveStep(spec) {
    return { name: exports.FRONT_DOOR_REMOVE, argv: argv(spec, 'remove'), check: false };
}


/***/ }),

/***/ 4893:
/***/ ((__unused_webpack_module, exports) => {


// Generated from packages/deploy/host/*.sh by `npm run catalog`. Do not edit: change the .sh file and regenerate.
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.HOST_SCRIPTS = void 0;
/** Each host script by its file name (without .sh), as text for `sh -c`. */
exports.HOST_SCRIPTS = {
    'adopt-data': '#!/bin/sh\n# Adopt data an earlier version of deploy-actions left inside release directories (packages/deploy/src/\n# user-files.ts adoptDataArgv says how).\n#   adopt-data.sh <app-env root> <relative path>...\n# Prints `adopted <path> from releases/<id>` and `left <path> in releases/<id> ...`; a copy it cannot move fails.\nroot=$1; shift\ncur=$(readlink "$root/current" 2>/dev/null) || cur=\ncur=${cur%/}; cur=${cur##*/}\nfor p in "$@"; do\n  dst="$root/data/$p"\n  { [ -e "$dst" ] || [ -L "$dst" ]; } && continue\n  left=\n  for d in "$root"/releases/*/; do\n    d=${d%/}; id=${d##*/}\n    [ ! -L "$d/$p" ] && [ -e "$d/$p" ] || continue\n    if [ -n "$cur" ] && [ "$id" = "$cur" ]; then\n      mkdir -p -- "$(dirname -- "$dst")" && mv -T -- "$d/$p" "$dst" && ln -s -- "$dst" "$d/$p" || { echo "cannot move releases/$id/$p to data/$p: move it there by hand (as its owner, or with sudo), then deploy again" >&2; exit 1; }\n      echo "adopted $p from releases/$id"\n    else\n      grep -qxF -- "$p" "$d/.earlier-data" 2>/dev/null || printf "%s\\n" "$p" >> "$d/.earlier-data" || exit 1\n      mv -T -- "$d/$p" "$d/$p.earlier" && ln -s -- "$dst" "$d/$p" || { echo "cannot rename releases/$id/$p to $p.earlier: rename it by hand (as its owner, or with sudo), then deploy again" >&2; exit 1; }\n      left="$left releases/$id"\n    fi\n  done\n  [ -z "$left" ] || echo "left $p in$left"\ndone\n',
    'await-healthy': '#!/bin/sh\n# Wait until every container of the given services of a compose project is healthy (running, without a\n# healthcheck), at most <timeout> seconds.\n#   await-healthy.sh <timeout-seconds> <project> <service>...\n# Exit 0 printing `healthy`; exit 5 printing `timeout <service>:<state> ...`.\nend=$(( $(date +%s) + $1 )); p=$2; shift 2\nwhile :; do\n  waiting=\n  for s in "$@"; do\n    id=$(docker ps -q --no-trunc --filter "label=com.docker.compose.project=$p" --filter "label=com.docker.compose.service=$s" | head -n 1)\n    st=missing; [ -z "$id" ] || st=$(docker inspect --format \'{{.State.Status}}/{{with index .State "Health"}}{{.Status}}{{else}}-{{end}}\' "$id")\n    case "$st" in running/healthy|running/-) ;; *) waiting="$waiting $s:$st";; esac\n  done\n  [ -n "$waiting" ] || { echo healthy; exit 0; }\n  if [ "$(date +%s)" -ge "$end" ]; then echo "timeout$waiting"; exit 5; fi\n  sleep 0.5\ndone\n',
    'canary-probe': '#!/bin/sh\n# Probe a URL from the host every <interval> seconds for <duration> seconds (packages/deploy/src/canary-proxy.ts\n# canaryProbeArgv); curl reads its headers from a config on stdin, so no header value is in an argv.\n#   canary-probe.sh <url> <interval> <duration> <timeout> <body-bytes> <GET|HEAD> <stop-after> <status ranges>\n# Prints `probe <curl exit> <http code> <seconds> <base64 body>` per probe, `stopped <n>` when it gave up.\ncfg=$(mktemp) && b=$(mktemp) || exit 1\ntrap \'rm -f "$cfg" "$b"\' EXIT\ncat > "$cfg"\nend=$(( $(date +%s) + $3 )); bad=0\nwhile :; do\n  : > "$b"\n  # HEAD is curl\'s --head: `-X HEAD` would wait for the body a Content-Length announces, until -m.\n  if [ "$6" = HEAD ]; then\n    w=$(curl -s -K "$cfg" --head -o "$b" -m "$4" -w "%{http_code} %{time_total}" "$1" 2>/dev/null)\n  else\n    w=$(curl -s -K "$cfg" -X "$6" -o "$b" -m "$4" -w "%{http_code} %{time_total}" "$1" 2>/dev/null)\n  fi; c=$?\n  [ -n "$w" ] || w="000 0"\n  body=; [ "$5" -gt 0 ] && body=$(head -c "$5" "$b" | base64 | tr -d "\\n")\n  echo "probe $c $w $body"\n  if [ "$7" -gt 0 ]; then\n    code=${w%% *}; ok=0\n    for r in $8; do [ "$code" -ge "${r%-*}" ] && [ "$code" -le "${r#*-}" ] && ok=1; done\n    [ "$c" = 0 ] && [ "$ok" = 1 ] || bad=$((bad+1))\n    [ "$bad" -lt "$7" ] || { echo "stopped $bad"; break; }\n  fi\n  [ "$(date +%s)" -lt "$end" ] || break\n  sleep "$2"\ndone\n',
    commit: '#!/bin/sh\n# Commit files into <root> (a tar on stdin, unpacked beside and renamed into place; .history-add appended to\n# history.jsonl) and re-point `current` at <link> when given (packages/deploy/src/commands.ts commitArgv).\n#   commit.sh <root> [<link>]\numask 077 && mkdir -p "$1" && cd "$1" || exit 1\ns=".commit.$$"; rm -rf "$s"; mkdir "$s" && tar -xf - -C "$s" || { rm -rf "$s"; exit 1; }\n(cd "$s" && find . -type f ! -name .history-add) | while read -r f; do mkdir -p "$(dirname "$f")" && mv -f "$s/$f" "$f" || exit 1; done || { rm -rf "$s"; exit 1; }\nif [ -f "$s/.history-add" ]; then\n  if [ -s history.jsonl ] && [ -n "$(tail -c 1 history.jsonl)" ]; then echo >> history.jsonl; fi\n  cat "$s/.history-add" >> history.jsonl || exit 1\nfi\nrm -rf "$s"\nif [ -n "$2" ]; then ln -sfn "$2" current.new && mv -fT current.new current; fi\n',
    'docker-root': '#!/bin/sh\n# doctor: Docker\'s data root and its disk, and the images this app\'s release records name, with their size\n# (packages/deploy/src/doctor.ts).\n#   docker-root.sh <app-env root>\n# Prints the data root, its `df -Pk` line, then `app-images <count> <bytes>`.\nd=$(docker info -f "{{.DockerRootDir}}" 2>/dev/null) && [ -n "$d" ] && echo "$d" && df -Pk "$d" 2>/dev/null | tail -n 1\nfor f in "$1"/releases/*/release.json; do [ -f "$f" ] && sed -n \'s/.*"digests":{\\([^}]*\\)}.*/\\1/p\' "$f"; done | tr "," "\\n" | sed -n \'s/^"[^"]*":"\\([^"]*\\)"$/\\1/p\' | sort -u |\n  while read -r i; do docker image inspect -f "{{.Size}}" "$i" 2>/dev/null; done | awk \'{ n++; s += $1 } END { print "app-images", n + 0, s + 0 }\'\n',
    'migrate-bound': '#!/bin/sh\n# Run a migration command (the rest of the arguments) with a bound kept on the host: past <seconds> its\n# container <name> is killed and removed, and the script prints TIMED_OUT_LINE of packages/deploy/src/migrate.ts\n# ("deploy-actions: migrate-timeout reached") and exits 124.\n#   migrate-bound.sh <seconds> <container name> <command>...\n# The watchdog holds none of the step\'s output (the phase reads that output to its end). It outlives this\n# script when the session dies under it: then it still kills the container at the bound, removes it, and\n# stops; otherwise it retries the kill each second (compose may not have created the container yet) for at\n# most a minute, until this script stops it.\nt=$1; n=$2; shift 2\nd=$(mktemp -d) || exit 97\n( end=$(( $(date +%s) + t )); while [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done\n  : >"$d/timeout"; i=0\n  while [ $i -lt 60 ]; do\n    docker kill "$n"; kill -0 $$ || { docker rm -f "$n"; rm -rf "$d"; exit 0; }\n    i=$((i+1)); sleep 1\n  done ) </dev/null >/dev/null 2>&1 &\nw=$!\n"$@"; c=$?\nkill "$w" 2>/dev/null; wait "$w" 2>/dev/null\nif [ -f "$d/timeout" ]; then\n  docker rm -f "$n" >/dev/null 2>&1\n  echo "deploy-actions: migrate-timeout reached after ${t}s: container $n killed and removed"\n  rm -rf "$d"; exit 124\nfi\nrm -rf "$d"; exit $c\n',
    'open-shipped': '#!/bin/sh\n# Open the shipped config files (0644) and their directories (0755) of a release to its containers\n# (packages/deploy/src/user-files.ts).\n#   open-shipped.sh <release dir> <relative path>...\ncd "$1" && shift && for p in "$@"; do if [ -d "$p" ]; then chmod 0755 -- "$p"; else chmod 0644 -- "$p"; fi || exit 1; done\n',
    'proxy-stop': '#!/bin/sh\n# Stop the app\'s proxy and wait (up to 5 s) for its pid file to go (packages/deploy/src/commands.ts).\n#   proxy-stop.sh <nginx.conf> <proxy dir>\nif [ -f "$2/nginx.pid" ] && kill -0 "$(cat "$2/nginx.pid")" 2>/dev/null; then nginx -e "$2/error.log" -p "$2" -c "$1" -s quit; i=0; while [ -f "$2/nginx.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; fi; true\n',
    'prune-images': '#!/bin/sh\n# Remove the images of pruned releases, each by its digest and by the tag its release pulled it by, unless a\n# release record under the state dir names it (packages/deploy/src/commands.ts pruneImagesArgv).\n#   prune-images.sh <state-dir> [<digest> <tag or empty>]...\n# Prints `removed <digest>`, `kept <digest> (<why>)` or `gone <digest>` per image; exit 1 when docker refused one.\nsd=$1; shift; st=0\nwhile [ $# -ge 2 ]; do\n  d=$1; t=$2; shift 2\n  id=$(docker image inspect -f "{{.Id}}" "$d" 2>/dev/null) || { echo "gone $d"; continue; }\n  u=$(grep -lsF -- "\\"$d\\"" "$sd"/*/*/releases/*/release.json | head -n 1)\n  if [ -n "$u" ]; then echo "kept $d (named by $u)"; continue; fi\n  # A record naming the tag may be a deploy between its pull and its pinned digests: the tag stays.\n  [ -z "$t" ] || ! grep -qsF -- "\\"$t\\"" "$sd"/*/*/releases/*/release.json || t=\n  if [ -n "$t" ] && [ "$(docker image inspect -f "{{.Id}}" "$t" 2>/dev/null)" = "$id" ]; then\n    out=$(docker image rm "$d" "$t" 2>&1)\n  else\n    out=$(docker image rm "$d" 2>&1)\n  fi\n  if [ $? -eq 0 ]; then echo "removed $d"; else echo "kept $d ($(printf "%s" "$out" | tail -n 1))"; st=1; fi\ndone\nexit $st\n',
    'prune-release': '#!/bin/sh\n# Prune a release directory set aside at <dir>; one holding data an earlier version left in it (its\n# .earlier-data list) is moved whole to <keep-in> instead, once (packages/deploy/src/user-files.ts).\n#   prune-release.sh <dir> <keep-in>\n# Prints `kept <path> ...` when it kept data.\nif [ -f "$1/.earlier-data" ]; then\n  mkdir -p -- "$(dirname -- "$2")" && mv -T -- "$1" "$2" || exit 1\n  while IFS= read -r p; do [ -z "$p" ] || [ ! -L "$2/$p" ] || rm -f -- "$2/$p"; done < "$2/.earlier-data"\n  rm -f -- "$2/release.json" "$2/.env" && echo "kept $(tr "\\n" " " < "$2/.earlier-data")"\nelse\n  rm -rf -- "$1"\nfi\n',
    'read-state': '#!/bin/sh\n# Everything the deploy needs to know about an app on a host, in one round trip (packages/deploy/src/commands.ts\n# readStateArgv): `current`, `active` and one `release` line per release.json, `leftover` per pruned leftover.\n#   read-state.sh <app-env root>\ncd "$1" 2>/dev/null || exit 0\nprintf "current\\t%s\\n" "$(readlink current 2>/dev/null)"\nif [ -f active.json ]; then printf "active\\t%s\\n" "$(cat active.json)"; fi\nfor f in releases/*/release.json; do [ -f "$f" ] && printf "release\\t%s\\n" "$(cat "$f")"; done\nfor d in releases/.pruned-*; do [ -d "$d" ] && printf "leftover\\t%s\\n" "${d#releases/.pruned-}"; done\ntrue\n',
    'retired-services': '#!/bin/sh\n# The serving release\'s own copies of what are accessories now (packages/deploy/src/accessories.ts):\n#   retired-services.sh retire  <project> \'\'            <service>...   stop them: prints `retired <service>`\n#   retired-services.sh remove  <project> \'\'            <service>...   remove them: prints `removed <service>`\n#   retired-services.sh restore <project> <accessories> <service>...   stop the accessories\' own containers of\n#                                                                      those services, start the retired ones\n#                                                                      again: prints `restored <service>`\nmode=$1; p=$2; a=$3; shift 3\nfor s in "$@"; do\n  case "$mode" in\n    retire)\n      ids=$(docker ps -q --filter "label=com.docker.compose.project=$p" --filter "label=com.docker.compose.service=$s")\n      # shellcheck disable=SC2086 # container ids: split on purpose\n      [ -z "$ids" ] || { docker stop $ids >/dev/null && echo "retired $s"; }\n      ;;\n    remove)\n      ids=$(docker ps -aq --filter "label=com.docker.compose.project=$p" --filter "label=com.docker.compose.service=$s")\n      # shellcheck disable=SC2086 # container ids: split on purpose\n      [ -z "$ids" ] || { docker rm -f $ids >/dev/null && echo "removed $s"; }\n      ;;\n    restore)\n      ids=$(docker ps -q --filter "label=com.docker.compose.project=$a" --filter "label=com.docker.compose.service=$s")\n      # shellcheck disable=SC2086 # container ids: split on purpose\n      [ -z "$ids" ] || docker stop $ids >/dev/null || exit 1\n      ids=$(docker ps -aq --filter "label=com.docker.compose.project=$p" --filter "label=com.docker.compose.service=$s")\n      # shellcheck disable=SC2086 # container ids: split on purpose\n      [ -z "$ids" ] || { docker start $ids >/dev/null && echo "restored $s"; } || exit 1\n      ;;\n    *) echo "unknown mode $mode" >&2; exit 2 ;;\n  esac\ndone\ntrue\n',
    'state-dir-space': '#!/bin/sh\n# doctor: the nearest existing directory on the way to the app\'s root, whether it is writable, and its free\n# space (packages/deploy/src/doctor.ts).\n#   state-dir-space.sh <app-env root>\n# Prints `writable` or `read-only`, then its `df -Pk` line.\nd=$1; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; [ -w "$d" ] && echo writable || echo read-only; df -Pk "$d" | tail -1\n',
    'still-running': '#!/bin/sh\n# After the switch: every container of a compose project still runs (healthy where it has a HEALTHCHECK, no\n# restarts), checked <rounds> times <interval> seconds apart, on the host, without a round trip per check.\n#   still-running.sh <project> <rounds> <interval-seconds> <docker inspect format>\n# Exit 0 when every round passed; exit 1 printing `no containers`, or the container state lines.\ni=0\nwhile [ "$i" -lt "$2" ]; do\n  [ "$i" = 0 ] || sleep "$3"\n  ids=$(docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$1")\n  st=\n  # shellcheck disable=SC2086 # $ids is a list of container ids: split on purpose\n  [ -z "$ids" ] || st=$(docker inspect --format "$4" $ids)\n  [ -n "$st" ] || { echo "no containers"; exit 1; }\n  bad=; while read -r id s h r _ _; do\n    [ -n "$id" ] || continue\n    case "$s $h $r" in "running healthy 0"|"running - 0") ;; *) bad=1;; esac\n  done <<EOF\n$st\nEOF\n  if [ -n "$bad" ]; then printf "%s\\n" "$st"; exit 1; fi\n  i=$((i+1))\ndone\n',
    'sweep-docker-configs': '#!/bin/sh\n# Remove the private registry logins (<root>/.docker-<id>) a stopped run left (packages/deploy/src/commands.ts).\n#   sweep-docker-configs.sh <root>\n# Prints `removed <dir>` per directory.\nfor d in "$1"/.docker-*; do [ -d "$d" ] || continue; rm -rf -- "$d" && echo "removed $d"; done; true\n',
    'wait-ready': '#!/bin/sh\n# Wait until a compose project\'s containers run (healthy where they have a HEALTHCHECK), and an HTTP check\n# from the host passes twice in a row, or stop at the first crash, unhealthy container or the deadline.\n#   wait-ready.sh <timeout-seconds> <project> <docker inspect format> [check argv…]\n# The first line of output says how it ended (packages/deploy/src/wait-ready.ts decodes it):\n#   ready                              exit 0\n#   crashed <container state line>     exit 3, then the container\'s last log lines\n#   unhealthy <container name>         exit 4\n#   timeout http <check exit code>     exit 5, the containers ran but the check did not pass\n#   timeout states                     exit 5, then the container state lines\nend=$(( $(date +%s) + $1 )); p=$2; fmt=$3; shift 3; ok=0\nwhile :; do\n  ids=$(docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$p")\n  st=\n  # shellcheck disable=SC2086 # $ids is a list of container ids: split on purpose\n  [ -z "$ids" ] || st=$(docker inspect --format "$fmt" $ids)\n  bad=; sick=; up=1; [ -n "$st" ] || up=0\n  while read -r id s h r x n; do\n    [ -n "$id" ] || continue\n    case "$s" in exited|dead|restarting) bad="$id $s $h $r $x $n";; esac\n    [ "$r" = 0 ] || bad="$id $s $h $r $x $n"\n    [ "$s" = running ] || up=0\n    case "$h" in -|healthy) ;; unhealthy) sick=$n; up=0;; *) up=0;; esac\n  done <<EOF\n$st\nEOF\n  if [ -n "$bad" ]; then echo "crashed $bad"; docker logs --tail 10 "${bad%% *}" 2>&1; exit 3; fi\n  if [ -n "$sick" ]; then echo "unhealthy $sick"; exit 4; fi\n  http=-; if [ "$up" = 1 ] && [ $# -gt 0 ]; then "$@" >/dev/null 2>&1; http=$?; fi\n  if [ "$up" = 1 ] && { [ "$http" = - ] || [ "$http" = 0 ]; }; then ok=$((ok+1)); [ "$ok" -lt 2 ] || { echo ready; exit 0; }; else ok=0; fi\n  if [ "$(date +%s)" -ge "$end" ]; then\n    if [ "$up" = 1 ]; then echo "timeout http $http"; else echo "timeout states"; printf "%s\\n" "$st"; fi; exit 5\n  fi\n  sleep 0.25\ndone\n',
    which: '#!/bin/sh\n# Print each of the given programs that is on PATH (packages/deploy/src/commands.ts whichArgv).\n#   which.sh <program>...\nfor p in "$@"; do command -v "$p" >/dev/null 2>&1 && echo "$p"; done; true\n'
};


/***/ }),

/***/ 6107:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.Host = exports.PhaseResult = exports.Deadline = void 0;
exports.parseContainerStates = parseContainerStates;
exports.parseState = parseState;
exports.noopCost = noopCost;
exports.sessionCount = sessionCount;
exports.stepError = stepError;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2978);
const layout_js_1 = __webpack_require__(5759);
/** The overall bound of an operation; each phase gets what is left, so a timeout names the phase that ran out. */
class Deadline {
    totalMs;
    label;
    clock;
    end;
    constructor(totalMs, label, clock) {
        this.totalMs = totalMs;
        this.label = label;
        this.clock = clock;
        this.end = clock.ms() + totalMs;
    }
    remaining() {
        return this.end - this.clock.ms();
    }
    /** A phase's timeout: its own bound, cut to the time left. */
    step(name, ownMs) {
        const left = this.remaining();
        if (left <= 0)
            throw new index_js_1.TimeoutError(`${this.label} (before ${name})`, this.totalMs, {
                hint: 'raise the `timeout` input if the deploy is slow but healthy'
            });
        return Math.max(1000, Math.min(ownMs, left));
    }
}
exports.Deadline = Deadline;
function parseContainerStates(text) {
    return text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => {
        const [id = '', status = '', health = '-', restarts = '0', exitCode = '0', name = ''] = l.split(' ');
        return {
            id,
            status,
            health,
            restarts: Number(restarts),
            exitCode: Number(exitCode),
            name: name.replace(/^\//, '')
        };
    });
}
function parseState(text) {
    const state = { releases: [] };
    for (const line of text.split('\n')) {
        const tab = line.indexOf('\t');
        if (tab < 0)
            continue;
        const kind = line.slice(0, tab);
        const value = line.slice(tab + 1).trim();
        if (!value)
            continue;
        try {
            if (kind === 'current')
                state.current = value.split('/').pop();
            else if (kind === 'active')
                state.active = JSON.parse(value);
            else if (kind === 'release') {
                // Read back from the host: an id feeds paths and `rm -rf`, so a record that is not ours is no release.
                const r = JSON.parse(value);
                if (typeof r.id === 'string' && layout_js_1.RELEASE_ID.test(r.id))
                    state.releases.push(r);
            }
            else if (kind === 'leftover' && layout_js_1.RELEASE_ID.test(value))
                (state.leftovers ??= []).push(value);
        }
        catch {
            /* a torn or foreign file is not a release we can use */
        }
    }
    state.releases.sort((a, b) => a.id.localeCompare(b.id));
    return state;
}
/** What a no-op costs on an executor (SshExecutor measures it at connect; 0 locally). */
function noopCost(executor) {
    const n = executor.noopMs;
    return typeof n === 'number' ? n : 0;
}
/** Sessions an executor opened on its host so far (SshExecutor counts them; undefined elsewhere). */
function sessionCount(executor) {
    const n = executor.sessions;
    return typeof n === 'number' ? n : undefined;
}
/** A phase's results, by step name. */
class PhaseResult {
    run;
    host;
    constructor(run, host) {
        this.run = run;
        this.host = host;
    }
    get(name) {
        return this.run.results.find((r) => r.name === name);
    }
    /** The first checked step that failed. */
    failed(steps) {
        return this.run.results.find((r) => r.exitCode !== 0 && steps[r.index]?.check !== false);
    }
    /** Throw a CommandError naming the step and host for the first failed checked step. */
    expectOk(steps) {
        const f = this.failed(steps);
        if (f)
            throw stepError(f, this.host.name);
        return this;
    }
}
exports.PhaseResult = PhaseResult;
function stepError(f, where) {
    const e = new index_js_1.CommandError(f.argv, f.exitCode, f.stdout, f.stderr, { where });
    e.message = `Step '${f.name}' failed on ${where}: ${e.message}`;
    return e;
}
/** One host: the executor, the app's layout there, the operation's deadline and clock. */
class Host {
    name;
    executor;
    layout;
    deadline;
    logger;
    constructor(name, executor, layout, deadline, logger) {
        this.name = name;
        this.executor = executor;
        this.layout = layout;
        this.deadline = deadline;
        this.logger = logger;
    }
    /** The measured cost of a no-op here. */
    get noopMs() {
        return noopCost(this.executor);
    }
    /** While the lock is held: a heartbeat step that rides at the end of every phase (lock.ts heldLock). */
    heartbeat;
    /**
     * Run a phase in one session; its timeout is its own bound plus what the link costs, cut to the deadline.
     * Detached on the host: a dropped link or a killed runner does not stop it halfway (DETACHED_PHASE); the
     * app's phases run one at a time there, so the next phase waits for one a dead runner left running.
     */
    async phase(name, steps, ownMs) {
        const timeoutMs = this.deadline.step(name, (0, index_js_2.linkTimeoutMs)(ownMs, this.noopMs));
        // Appended, so the caller's step indexes stay valid.
        const beat = this.heartbeat?.();
        const all = beat ? [...steps, beat] : steps;
        const run = await (0, index_js_2.runPhase)(this.executor, name, all, timeoutMs, {
            detach: true,
            serialize: `${this.layout.root}.phase-lock`
        });
        this.logger.debug(`${this.name}: phase ${name} took ${run.durationMs}ms (${run.results.length} steps)`);
        return new PhaseResult(run, this);
    }
    /** A single command outside a phase (lock heartbeat, the post step); timeouts grow with the link too. */
    run(argv, step, options = {}) {
        const { ownTimeoutMs, ...rest } = options;
        return this.executor.run({
            ...rest,
            argv,
            step,
            timeoutMs: this.deadline.step(step, (0, index_js_2.linkTimeoutMs)(ownTimeoutMs ?? 60_000, this.noopMs))
        });
    }
}
exports.Host = Host;


/***/ }),

/***/ 9419:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.runnerIdentity = runnerIdentity;
exports.processStart = processStart;
const node_fs_1 = __webpack_require__(3024);
const node_os_1 = __webpack_require__(8161);
/**
 * Which machine and pid namespace a lock holder ran in. Runners in containers share a hostname but not a pid
 * namespace, and a rebooted runner reuses pids: a pid only means something to a runner with the same
 * hostname, boot id and pid-namespace inode. Undefined parts (no /proc) are left out, never guessed.
 */
function runnerIdentity() {
    const boot = read('/proc/sys/kernel/random/boot_id')?.trim();
    let pidns;
    try {
        pidns = /\[(\d+)\]/.exec((0, node_fs_1.readlinkSync)('/proc/self/ns/pid'))?.[1];
    }
    catch {
        pidns = undefined;
    }
    return [(0, node_os_1.hostname)(), boot ?? '-', pidns ?? '-'].join('/');
}
/**
 * When a process started (clock ticks since boot, field 22 of /proc/<pid>/stat): a pid reused by another
 * process has another start time. Undefined when unknown.
 */
function processStart(pid) {
    const stat = read(`/proc/${pid}/stat`);
    if (!stat)
        return undefined;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
}
function read(path) {
    try {
        return (0, node_fs_1.readFileSync)(path, 'utf8');
    }
    catch {
        return undefined;
    }
}


/***/ }),

/***/ 1827:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.parseImagesInput = parseImagesInput;
exports.resolveImage = resolveImage;
exports.repositoryOf = repositoryOf;
exports.registryOf = registryOf;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(61);
/**
 * The `images` input and the runner-side image check. Image references are parsed by packages/registry (the
 * reference grammar, one owner); registry access goes through its client (auth, retries).
 */
/** The service=reference lines of the `images` input. */
function parseImagesInput(lines, services) {
    const images = {};
    for (const [service, ref] of lines) {
        if (!services.includes(service))
            throw new index_js_1.InputError('images', `service "${service}" is not in the compose file (it has ${services.join(', ')})`, 'use service names from compose-file');
        (0, index_js_2.parseReference)(ref, { input: 'images' });
        images[service] = ref;
    }
    return images;
}
/**
 * Is the image there? A manifest HEAD against the registry, from where the action runs, with the registry
 * login when it is for that registry. Returns the digest the registry reports.
 */
async function resolveImage(refText, login, options = {}) {
    const ref = (0, index_js_2.parseReference)(refText, { input: 'images' });
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const mine = login && login.registry.replace(/^https?:\/\//, '').replace(/\/$/, '') === ref.registry
        ? { username: login.username, password: login.password }
        : undefined;
    const client = new index_js_2.RegistryClient({
        registry: ref.registry,
        retries: options.retries ?? 2,
        backoffMs: 300,
        ...(mine ? { credentials: mine } : {})
    });
    let digest;
    try {
        digest = await client.headManifest(ref.repository, reference);
    }
    catch (err) {
        const status = err instanceof index_js_1.RegistryError ? err.status : undefined;
        if (status === 401 || status === 403)
            throw new index_js_1.RegistryError(`Image ${refText}: registry ${ref.registry} refused access (${status})`, {
                status,
                state: 'nothing was changed on the host',
                hint: mine
                    ? 'check `username`/`password`'
                    : 'set `registry`, `username` and `password` for this registry'
            });
        if (status !== undefined)
            throw new index_js_1.RegistryError(`Image ${refText}: registry ${ref.registry} answered ${status}`, {
                status,
                state: 'nothing was changed on the host',
                hint: 'retry later or set `image-check: pull`'
            });
        throw new index_js_1.RegistryError(`Image ${refText}: registry ${ref.registry} is unreachable from the runner: ${(0, index_js_1.describeError)(err).split('\n')[0]}`, {
            state: 'nothing was changed on the host',
            hint: 'check the registry address, or set `image-check: pull` to let the host resolve images when the runner cannot reach the registry'
        });
    }
    if (digest === undefined)
        throw new index_js_1.RegistryError(`Image ${refText} does not exist in ${ref.registry} (manifest ${reference} of ${ref.repository}: 404)`, {
            status: 404,
            state: 'nothing was changed on the host',
            hint: 'check the tag or digest; was the image pushed (build-image / publish-registry)?'
        });
    return digest;
}
/** The repository of a reference, `registry/path`, as packages/registry normalises it. */
function repositoryOf(refText) {
    try {
        const r = (0, index_js_2.parseReference)(refText);
        return (0, index_js_2.formatReference)({ registry: r.registry, repository: r.repository });
    }
    catch {
        return undefined;
    }
}
/** The registry host of a reference (`docker.io` for Docker Hub), as packages/registry reads it. */
function registryOf(refText) {
    try {
        return (0, index_js_2.parseReference)(refText).registry;
    }
    catch {
        return undefined;
    }
}


/***/ }),

/***/ 2588:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.includedPaths = includedPaths;
exports.includedFiles = includedFiles;
const node_fs_1 = __webpack_require__(3024);
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2804);
/** Names the release directory keeps for its own files: an included file may not take one. */
const OWN = /^(?:compose(?:\.[\w-]+)*\.yml|\.env|release\.json)$/;
/**
 * The files a compose file's top-level `include:` names (Compose v2.20+), relative to the first compose file:
 * `- db.yml`, `- path: db.yml` or `- path: [a.yml, b.yml]`. Pure.
 */
function includedPaths(texts) {
    const out = [];
    const add = (p) => {
        if (typeof p !== 'string' || !p.trim())
            throw new index_js_1.InputError('compose-file', `an \`include:\` entry is not a path (${JSON.stringify(p)})`, 'write `include: [db.yml]` or `include: [{ path: db.yml }]`');
        const rel = node_path_1.posix.normalize(p.trim());
        if (rel.startsWith('/') || rel === '..' || rel.startsWith('../') || /^[a-z][\w+.-]*:/i.test(rel))
            throw new index_js_1.InputError('compose-file', `\`include: ${p}\` is not a path inside the compose file's directory: only those ship with the release`, 'move the included file next to the compose file (or below it) and name it by a relative path');
        if (OWN.test(rel))
            throw new index_js_1.InputError('compose-file', `\`include: ${p}\` has a name the release directory keeps for its own files`, 'rename the included file, e.g. db.yml or compose/db.yml');
        if (!out.includes(rel))
            out.push(rel);
    };
    texts.forEach((text, i) => {
        const root = (0, index_js_2.parseComposeDocument)(text, 'compose-file', { override: true }).root;
        const inc = root.include;
        if (inc === undefined || inc === null)
            return;
        if (!Array.isArray(inc))
            throw new index_js_1.InputError('compose-file', `\`include:\` in file ${i + 1} is not a list`, 'write `include:` followed by `- db.yml` lines');
        for (const entry of inc) {
            if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
                const path = entry.path;
                for (const p of Array.isArray(path) ? path : [path])
                    add(p);
            }
            else
                add(entry);
        }
    });
    return out;
}
/**
 * The included files, read from the first compose file's directory on the runner (`dir`), to ship with the
 * release (0600 like the env file: they may hold settings). Without `dir` nothing ships; a named file that is
 * absent is refused before any host is touched.
 */
function includedFiles(dir, texts) {
    const paths = includedPaths(texts);
    if (!dir || !paths.length)
        return [];
    return paths.map((rel) => {
        const full = (0, node_path_1.join)(dir, rel);
        if (!(0, node_fs_1.existsSync)(full) || !(0, node_fs_1.statSync)(full).isFile())
            throw new index_js_1.InputError('compose-file', `\`include: ${rel}\` names a file that is not in ${dir}`, `commit ${rel} next to the compose file, or drop it from \`include:\``);
        return { name: rel, content: (0, node_fs_1.readFileSync)(full), public: false };
    });
}


/***/ }),

/***/ 3149:
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
exports.releaseFiles = exports.releaseUpOptions = exports.parseAccessoryState = exports.networkOverride = exports.ensureNetworkArgv = exports.chooseAccessories = exports.accessoriesProject = exports.accessoryChanges = exports.dockerRootRow = exports.doctorTable = exports.doctor = exports.judgeCanary = exports.rollbackSummary = exports.deploySummary = exports.tarball = exports.clockFrom = exports.prunePlan = exports.releaseLeftLocks = exports.drill = exports.hostSpec = exports.chooseTarget = exports.rollback = exports.stackName = exports.checkSwarmSpec = exports.deploy = exports.holderRun = exports.lockVerdict = exports.describeHolder = exports.MIGRATE_TIMED_OUT = exports.MAX_LINE_CHARS = exports.lineLogger = exports.maskedCommand = exports.migrateProject = exports.migrateContainerName = exports.migrateBoundMs = exports.migrateBoundArgv = exports.showCommand = exports.pickDigest = exports.checkedTools = exports.checkSteps = exports.parseState = exports.parseContainerStates = exports.PhaseResult = exports.Host = exports.Deadline = exports.decodeWaitReady = exports.runnerIdentity = exports.processStart = exports.usesSlots = exports.STRATEGIES = void 0;
exports.LOW_PORT_FIX = exports.canBindLow = exports.counterLabels = exports.textfileArgv = exports.textfileGauges = exports.textfilePath = exports.includedPaths = exports.includedFiles = exports.pruneReleaseArgv = exports.adoptDataArgv = exports.awaitHealthyArgv = exports.SHIP_LIMIT_BYTES = exports.readShipped = exports.planUserCompose = exports.parsePortMapping = void 0;
__exportStar(__webpack_require__(9224), exports);
var strategy_js_1 = __webpack_require__(9836);
Object.defineProperty(exports, "STRATEGIES", ({ enumerable: true, get: function () { return strategy_js_1.STRATEGIES; } }));
Object.defineProperty(exports, "usesSlots", ({ enumerable: true, get: function () { return strategy_js_1.usesSlots; } }));
__exportStar(__webpack_require__(5759), exports);
var identity_js_1 = __webpack_require__(9419);
Object.defineProperty(exports, "processStart", ({ enumerable: true, get: function () { return identity_js_1.processStart; } }));
Object.defineProperty(exports, "runnerIdentity", ({ enumerable: true, get: function () { return identity_js_1.runnerIdentity; } }));
__exportStar(__webpack_require__(3639), exports);
var wait_ready_js_1 = __webpack_require__(1802);
Object.defineProperty(exports, "decodeWaitReady", ({ enumerable: true, get: function () { return wait_ready_js_1.decodeWaitReady; } }));
__exportStar(__webpack_require__(2865), exports);
__exportStar(__webpack_require__(1827), exports);
__exportStar(__webpack_require__(1983), exports);
var host_js_1 = __webpack_require__(6107);
Object.defineProperty(exports, "Deadline", ({ enumerable: true, get: function () { return host_js_1.Deadline; } }));
Object.defineProperty(exports, "Host", ({ enumerable: true, get: function () { return host_js_1.Host; } }));
Object.defineProperty(exports, "PhaseResult", ({ enumerable: true, get: function () { return host_js_1.PhaseResult; } }));
Object.defineProperty(exports, "parseContainerStates", ({ enumerable: true, get: function () { return host_js_1.parseContainerStates; } }));
Object.defineProperty(exports, "parseState", ({ enumerable: true, get: function () { return host_js_1.parseState; } }));
var open_js_1 = __webpack_require__(2729);
Object.defineProperty(exports, "checkSteps", ({ enumerable: true, get: function () { return open_js_1.checkSteps; } }));
Object.defineProperty(exports, "checkedTools", ({ enumerable: true, get: function () { return open_js_1.checkedTools; } }));
var prepare_js_1 = __webpack_require__(842);
Object.defineProperty(exports, "pickDigest", ({ enumerable: true, get: function () { return prepare_js_1.pickDigest; } }));
var migrate_command_js_1 = __webpack_require__(8736);
Object.defineProperty(exports, "showCommand", ({ enumerable: true, get: function () { return migrate_command_js_1.showCommand; } }));
var migrate_js_1 = __webpack_require__(772);
Object.defineProperty(exports, "migrateBoundArgv", ({ enumerable: true, get: function () { return migrate_js_1.migrateBoundArgv; } }));
Object.defineProperty(exports, "migrateBoundMs", ({ enumerable: true, get: function () { return migrate_js_1.migrateBoundMs; } }));
Object.defineProperty(exports, "migrateContainerName", ({ enumerable: true, get: function () { return migrate_js_1.migrateContainerName; } }));
Object.defineProperty(exports, "migrateProject", ({ enumerable: true, get: function () { return migrate_js_1.migrateProject; } }));
Object.defineProperty(exports, "maskedCommand", ({ enumerable: true, get: function () { return migrate_js_1.maskedCommand; } }));
Object.defineProperty(exports, "lineLogger", ({ enumerable: true, get: function () { return migrate_js_1.lineLogger; } }));
Object.defineProperty(exports, "MAX_LINE_CHARS", ({ enumerable: true, get: function () { return migrate_js_1.MAX_LINE_CHARS; } }));
Object.defineProperty(exports, "MIGRATE_TIMED_OUT", ({ enumerable: true, get: function () { return migrate_js_1.MIGRATE_TIMED_OUT; } }));
var lock_js_1 = __webpack_require__(4654);
Object.defineProperty(exports, "describeHolder", ({ enumerable: true, get: function () { return lock_js_1.describeHolder; } }));
var takeover_js_1 = __webpack_require__(8968);
Object.defineProperty(exports, "lockVerdict", ({ enumerable: true, get: function () { return takeover_js_1.lockVerdict; } }));
Object.defineProperty(exports, "holderRun", ({ enumerable: true, get: function () { return takeover_js_1.holderRun; } }));
var dispatch_js_1 = __webpack_require__(715);
Object.defineProperty(exports, "deploy", ({ enumerable: true, get: function () { return dispatch_js_1.deploy; } }));
var swarm_js_1 = __webpack_require__(7757);
Object.defineProperty(exports, "checkSwarmSpec", ({ enumerable: true, get: function () { return swarm_js_1.checkSwarmSpec; } }));
Object.defineProperty(exports, "stackName", ({ enumerable: true, get: function () { return swarm_js_1.stackName; } }));
var rollback_js_1 = __webpack_require__(1957);
Object.defineProperty(exports, "rollback", ({ enumerable: true, get: function () { return rollback_js_1.rollback; } }));
Object.defineProperty(exports, "chooseTarget", ({ enumerable: true, get: function () { return rollback_js_1.chooseTarget; } }));
Object.defineProperty(exports, "hostSpec", ({ enumerable: true, get: function () { return rollback_js_1.hostSpec; } }));
var drill_js_1 = __webpack_require__(4848);
Object.defineProperty(exports, "drill", ({ enumerable: true, get: function () { return drill_js_1.drill; } }));
var post_js_1 = __webpack_require__(4851);
Object.defineProperty(exports, "releaseLeftLocks", ({ enumerable: true, get: function () { return post_js_1.releaseLeftLocks; } }));
var retention_js_1 = __webpack_require__(2523);
Object.defineProperty(exports, "prunePlan", ({ enumerable: true, get: function () { return retention_js_1.prunePlan; } }));
var clock_js_1 = __webpack_require__(8751);
Object.defineProperty(exports, "clockFrom", ({ enumerable: true, get: function () { return clock_js_1.clockFrom; } }));
var tar_js_1 = __webpack_require__(8422);
Object.defineProperty(exports, "tarball", ({ enumerable: true, get: function () { return tar_js_1.tarball; } }));
__exportStar(__webpack_require__(8252), exports);
var summary_js_1 = __webpack_require__(9001);
Object.defineProperty(exports, "deploySummary", ({ enumerable: true, get: function () { return summary_js_1.deploySummary; } }));
Object.defineProperty(exports, "rollbackSummary", ({ enumerable: true, get: function () { return summary_js_1.rollbackSummary; } }));
__exportStar(__webpack_require__(9008), exports);
var canary_js_1 = __webpack_require__(809);
Object.defineProperty(exports, "judgeCanary", ({ enumerable: true, get: function () { return canary_js_1.judgeCanary; } }));
var doctor_js_1 = __webpack_require__(3306);
Object.defineProperty(exports, "doctor", ({ enumerable: true, get: function () { return doctor_js_1.doctor; } }));
Object.defineProperty(exports, "doctorTable", ({ enumerable: true, get: function () { return doctor_js_1.doctorTable; } }));
Object.defineProperty(exports, "dockerRootRow", ({ enumerable: true, get: function () { return doctor_js_1.dockerRootRow; } }));
var accessories_js_1 = __webpack_require__(6427);
Object.defineProperty(exports, "accessoryChanges", ({ enumerable: true, get: function () { return accessories_js_1.accessoryChanges; } }));
Object.defineProperty(exports, "accessoriesProject", ({ enumerable: true, get: function () { return accessories_js_1.accessoriesProject; } }));
Object.defineProperty(exports, "chooseAccessories", ({ enumerable: true, get: function () { return accessories_js_1.chooseAccessories; } }));
Object.defineProperty(exports, "ensureNetworkArgv", ({ enumerable: true, get: function () { return accessories_js_1.ensureNetworkArgv; } }));
Object.defineProperty(exports, "networkOverride", ({ enumerable: true, get: function () { return accessories_js_1.networkOverride; } }));
Object.defineProperty(exports, "parseAccessoryState", ({ enumerable: true, get: function () { return accessories_js_1.parseAccessoryState; } }));
Object.defineProperty(exports, "releaseUpOptions", ({ enumerable: true, get: function () { return accessories_js_1.releaseUpOptions; } }));
var deploy_js_1 = __webpack_require__(4493);
Object.defineProperty(exports, "releaseFiles", ({ enumerable: true, get: function () { return deploy_js_1.releaseFiles; } }));
var user_compose_js_1 = __webpack_require__(3307);
Object.defineProperty(exports, "parsePortMapping", ({ enumerable: true, get: function () { return user_compose_js_1.parsePortMapping; } }));
Object.defineProperty(exports, "planUserCompose", ({ enumerable: true, get: function () { return user_compose_js_1.planUserCompose; } }));
var user_files_js_1 = __webpack_require__(2884);
Object.defineProperty(exports, "readShipped", ({ enumerable: true, get: function () { return user_files_js_1.readShipped; } }));
Object.defineProperty(exports, "SHIP_LIMIT_BYTES", ({ enumerable: true, get: function () { return user_files_js_1.SHIP_LIMIT_BYTES; } }));
Object.defineProperty(exports, "awaitHealthyArgv", ({ enumerable: true, get: function () { return user_files_js_1.awaitHealthyArgv; } }));
Object.defineProperty(exports, "adoptDataArgv", ({ enumerable: true, get: function () { return user_files_js_1.adoptDataArgv; } }));
Object.defineProperty(exports, "pruneReleaseArgv", ({ enumerable: true, get: function () { return user_files_js_1.pruneReleaseArgv; } }));
__exportStar(__webpack_require__(7042), exports);
var includes_js_1 = __webpack_require__(2588);
Object.defineProperty(exports, "includedFiles", ({ enumerable: true, get: function () { return includes_js_1.includedFiles; } }));
Object.defineProperty(exports, "includedPaths", ({ enumerable: true, get: function () { return includes_js_1.includedPaths; } }));
__exportStar(__webpack_require__(9600), exports);
var textfile_js_1 = __webpack_require__(3200);
Object.defineProperty(exports, "textfilePath", ({ enumerable: true, get: function () { return textfile_js_1.textfilePath; } }));
Object.defineProperty(exports, "textfileGauges", ({ enumerable: true, get: function () { return textfile_js_1.textfileGauges; } }));
Object.defineProperty(exports, "textfileArgv", ({ enumerable: true, get: function () { return textfile_js_1.textfileArgv; } }));
Object.defineProperty(exports, "counterLabels", ({ enumerable: true, get: function () { return textfile_js_1.counterLabels; } }));
__exportStar(__webpack_require__(749), exports);
var front_door_doctor_js_1 = __webpack_require__(3475);
Object.defineProperty(exports, "canBindLow", ({ enumerable: true, get: function () { return front_door_doctor_js_1.canBindLow; } }));
Object.defineProperty(exports, "LOW_PORT_FIX", ({ enumerable: true, get: function () { return front_door_doctor_js_1.LOW_PORT_FIX; } }));


/***/ }),

/***/ 8252:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.MAX_DURATION_MS = void 0;
exports.readConnection = readConnection;
exports.readHosts = readHosts;
exports.sshConnector = sshConnector;
exports.environmentSlug = environmentSlug;
exports.readProxy = readProxy;
exports.readTarget = readTarget;
exports.readStrategy = readStrategy;
exports.readDeployInputs = readDeployInputs;
exports.readRegistry = readRegistry;
exports.readRollbackInputs = readRollbackInputs;
const node_fs_1 = __webpack_require__(3024);
const node_net_1 = __webpack_require__(7030);
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3747);
const accessories_js_1 = __webpack_require__(6427);
const compose_files_js_1 = __webpack_require__(6211);
const index_js_3 = __webpack_require__(3656);
const index_js_4 = __webpack_require__(2978);
const canary_proxy_js_1 = __webpack_require__(9008);
const images_js_1 = __webpack_require__(1827);
const proxy_js_1 = __webpack_require__(2865);
const layout_js_1 = __webpack_require__(5759);
const validate_js_1 = __webpack_require__(1983);
const swarm_js_1 = __webpack_require__(7757);
const user_files_js_1 = __webpack_require__(2884);
const migrate_command_js_1 = __webpack_require__(8736);
const scan_record_js_1 = __webpack_require__(9600);
const strategy_js_1 = __webpack_require__(9836);
const index_js_5 = __webpack_require__(9935);
const DEPLOY = (0, index_js_2.defaultsOf)('deploy-compose');
const ROLLBACK = (0, index_js_2.defaultsOf)('rollback');
function readConnection(inputs) {
    const privateKey = inputs.string('ssh-key', { required: true });
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey))
        throw new index_js_1.InputError('ssh-key', 'is not a private key (no BEGIN … PRIVATE KEY line)', 'paste the whole key file, e.g. from a secret');
    const knownHosts = inputs.optional('known-hosts');
    const fingerprintText = inputs.optional('host-fingerprint');
    const fingerprints = fingerprintText ? (0, index_js_4.parseFingerprints)(fingerprintText) : [];
    for (const f of fingerprints)
        if (!/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(f))
            throw new index_js_1.InputError('host-fingerprint', `"${f}" is not a SHA256 fingerprint`, 'use the `SHA256:…` value `ssh-keygen -lf <key.pub>` prints');
    if (!knownHosts && fingerprints.length === 0)
        throw new index_js_1.InputError('known-hosts', 'neither known-hosts nor host-fingerprint is given, and unknown host keys are always refused', 'put the output of `ssh-keyscan -p <port> <host>` (taken on a trusted machine) in known-hosts, or pin host-fingerprint');
    const jumpHost = inputs.optional('jump-host');
    if (jumpHost && !/^(\w[\w.-]*@)?\w[\w.-]*(:\d+)?$/.test(jumpHost))
        throw new index_js_1.InputError('jump-host', `"${jumpHost}" is not [user@]host[:port]`, 'write e.g. deploy@bastion.example.com:22');
    const spec = {
        port: inputs.integer('port', { fallback: DEPLOY.number('port'), min: 1, max: 65535 }),
        user: inputs.string('user', { fallback: DEPLOY.text('user') }),
        privateKey
    };
    if (!/^[a-z_][\w.-]*$/i.test(spec.user))
        throw new index_js_1.InputError('user', `"${spec.user}" is not a user name`, 'give the SSH user');
    if (knownHosts)
        spec.knownHosts = knownHosts;
    if (fingerprints.length)
        spec.hostFingerprints = fingerprints;
    if (jumpHost)
        spec.jumpHost = jumpHost;
    return spec;
}
function readHosts(inputs) {
    const hosts = inputs.list('host');
    if (hosts.length === 0)
        throw new index_js_1.InputError('host', 'is required', 'give the host to deploy to, one per line');
    for (const h of hosts)
        if (!/^\w[\w.-]*(:\d+)?$|^\[[0-9a-f:]+\](:\d+)?$/i.test(h))
            throw new index_js_1.InputError('host', `"${h}" is not a host name or address${h.startsWith('-') ? ' (it starts with `-`, which ssh would read as an option)' : ''}`, 'write host or host:port, one per line');
    if (new Set(hosts).size !== hosts.length)
        throw new index_js_1.InputError('host', 'lists a host twice', 'give each host once');
    return hosts;
}
/** Open an SSH executor for a `host` line (`host` or `host:port`). */
function sshConnector(c, logger, options = {}) {
    return (line) => {
        const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(line);
        const host = (m?.[1] ?? line).replace(/^\[|\]$/g, '');
        return index_js_4.SshExecutor.connect({
            host,
            port: m?.[2] ? Number(m[2]) : c.port,
            user: c.user,
            privateKey: c.privateKey,
            ...(c.knownHosts ? { knownHosts: c.knownHosts } : {}),
            ...(c.hostFingerprints ? { hostFingerprints: c.hostFingerprints } : {}),
            ...(c.jumpHost ? { jumpHost: c.jumpHost } : {}),
            ...(options.tempRoot ? { tempRoot: options.tempRoot } : {}),
            logger
        }).then((ssh) => {
            options.onOpen?.(ssh.privateDir);
            return ssh;
        });
    };
}
function name(inputs, input, fallback) {
    const v = inputs.string(input, { required: fallback === undefined, fallback });
    if (!layout_js_1.NAME.test(v))
        throw new index_js_1.InputError(input, `"${v}" is not a valid name`, 'use lowercase letters, digits, `-` and `_` (it names directories and compose projects)');
    return v;
}
/** Environment names as GitHub has them (`Production`, `Staging EU`) and their slug for paths and projects. */
function environmentSlug(name) {
    return name
        .trim()
        .toLowerCase()
        .replace(/[\s.]+/g, '-')
        .replace(/-+/g, '-');
}
function environment(inputs) {
    const v = inputs.string('environment', { fallback: DEPLOY.text('environment') }).trim();
    const slug = environmentSlug(v);
    if (!/^[A-Za-z0-9][\w .-]{0,62}$/.test(v) || !layout_js_1.NAME.test(slug))
        throw new index_js_1.InputError('environment', `"${v}" is not an environment name`, 'use letters, digits, spaces, `-`, `_` and `.` (GitHub environment names such as `Staging EU` work)');
    return { environment: v, environmentSlug: slug };
}
/** Node's timers overflow past 2^31-1 ms (24.8 days) and fire at once: no deploy duration goes near that. */
exports.MAX_DURATION_MS = 24 * 3_600_000;
function duration(inputs, input, options) {
    const ms = inputs.duration(input, options);
    if (ms > exports.MAX_DURATION_MS)
        throw new index_js_1.InputError(input, `${inputs.raw(input)} is longer than 24h`, 'give at most 24h');
    return ms;
}
function port(input, text) {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > 65535)
        throw new index_js_1.InputError(input, `"${text}" is not a port`, 'give a number from 1 to 65535');
    return n;
}
/** The proxy-* inputs (release-host group: deploy-compose and rollback declare the same defaults). */
function readProxy(inputs) {
    return {
        trustedProxies: (0, proxy_js_1.parseTrustedProxies)(inputs.list('proxy-trusted')),
        maxBodySize: (0, proxy_js_1.parseBodySize)(inputs.string('proxy-max-body-size', { fallback: DEPLOY.text('proxy-max-body-size') })),
        readTimeoutMs: duration(inputs, 'proxy-read-timeout', {
            fallback: DEPLOY.text('proxy-read-timeout'),
            positive: true
        }),
        buffering: inputs.boolean('proxy-buffering', DEPLOY.flag('proxy-buffering')),
        accessLog: inputs.boolean('proxy-access-log', DEPLOY.flag('proxy-access-log'))
    };
}
function readTarget(inputs, action = 'deploy-compose') {
    const publicText = inputs.optional('public-port');
    const publicPort = publicText === undefined ? undefined : port('public-port', publicText);
    const slotsText = inputs.list('slot-ports');
    let slotPorts = publicPort ? [publicPort + 1, publicPort + 2] : [0, 0];
    if (slotsText.length) {
        if (slotsText.length !== 2)
            throw new index_js_1.InputError('slot-ports', 'needs exactly two ports', 'write `blue,green`, e.g. `8081,8082`');
        slotPorts = [port('slot-ports', slotsText[0]), port('slot-ports', slotsText[1])];
        if (slotPorts[0] === slotPorts[1])
            throw new index_js_1.InputError('slot-ports', 'gives the same port twice', 'use two different ports');
    }
    if (publicPort !== undefined && slotPorts.includes(publicPort))
        throw new index_js_1.InputError('slot-ports', `includes public-port ${publicPort}`, 'the proxy owns public-port: pick other slot ports');
    const portVar = inputs.string('port-variable', { fallback: DEPLOY.text('port-variable') });
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(portVar))
        throw new index_js_1.InputError('port-variable', `"${portVar}" is not a variable name`, 'use e.g. PORT');
    const stateDir = inputs.string('state-dir', { fallback: DEPLOY.text('state-dir') });
    if (!stateDir.startsWith('/') || stateDir.split('/').includes('..'))
        throw new index_js_1.InputError('state-dir', `"${stateDir}" is not an absolute path`, 'give an absolute path on the host');
    // It is written into nginx.conf (nothing there may end a directive or quote) and into a crontab line
    // (where `%` is a newline).
    if (/[\s'"`;{}\\$%]/.test(stateDir))
        throw new index_js_1.InputError('state-dir', `"${stateDir}" holds whitespace, a quote, \`;\`, \`$\`, \`%\`, a backslash or a brace`, 'use a plain path such as /home/deploy/deploy-actions');
    const metricsDir = inputs
        .optional('metrics-dir')
        ?.trim()
        .replace(/(.)\/+$/, '$1');
    if (metricsDir !== undefined && (!metricsDir.startsWith('/') || metricsDir.split('/').includes('..')))
        throw new index_js_1.InputError('metrics-dir', `"${metricsDir}" is not an absolute path`, "give node_exporter's textfile directory on the hosts, e.g. /var/lib/prometheus/node-exporter");
    const proxyBind = inputs.string('proxy-bind', { fallback: DEPLOY.text('proxy-bind') });
    if ((0, node_net_1.isIP)(proxyBind) === 0)
        throw new index_js_1.InputError('proxy-bind', `"${proxyBind}" is not an IP address`, 'give the address the proxy listens on, e.g. 0.0.0.0, 127.0.0.1 or ::');
    const gate = (0, index_js_3.readGateInputs)(inputs, { prefix: 'health-' });
    const first = gate?.urls[0]?.url;
    const spec = {
        app: name(inputs, 'app'),
        ...environment(inputs),
        hosts: readHosts(inputs),
        stateDir: stateDir.replace(/\/+$/, '') || '/',
        ...(metricsDir ? { metricsDir } : {}),
        ...(inputs.boolean('critical', DEPLOY.flag('critical')) ? { critical: true } : {}),
        slotPorts,
        proxyBind,
        proxy: readProxy(inputs),
        portVar,
        lockTimeoutMs: duration(inputs, 'lock-timeout', { fallback: DEPLOY.text('lock-timeout') }),
        lockStaleMs: duration(inputs, 'lock-stale-after', {
            fallback: DEPLOY.text('lock-stale-after'),
            positive: true
        }),
        lockPollMs: 1000,
        breakLock: inputs.boolean('break-lock', DEPLOY.flag('break-lock')),
        timeoutMs: duration(inputs, 'timeout', {
            fallback: (action === 'rollback' ? ROLLBACK : DEPLOY).text('timeout'),
            positive: true
        }),
        drainMs: duration(inputs, 'drain-timeout', { fallback: DEPLOY.text('drain-timeout') }),
        startTimeoutMs: duration(inputs, 'start-timeout', {
            fallback: DEPLOY.text('start-timeout'),
            positive: true
        })
    };
    if (publicPort !== undefined)
        spec.publicPort = publicPort;
    const hostnames = (0, index_js_5.parseHostnames)(inputs.list('public-hostnames'));
    if (hostnames.length)
        spec.frontDoor = {
            hostnames,
            ...(0, index_js_5.parseFrontDoorPorts)(inputs.string('front-door-ports', { fallback: DEPLOY.text('front-door-ports') }))
        };
    if (gate)
        spec.gate = gate;
    if (first) {
        const u = new URL(first);
        spec.slotCheckPath = u.pathname + u.search;
    }
    return spec;
}
function readPath(inputs, input, files, required, fallback) {
    const p = inputs.optional(input) ?? fallback;
    if (!p) {
        if (required)
            throw new index_js_1.InputError(input, 'is required', `give the path of the file`);
        return undefined;
    }
    return readWorkspaceFile(input, p, files);
}
/** A file the input names, relative to the workspace unless absolute; refused, naming the input, when missing. */
function readWorkspaceFile(input, p, files) {
    const full = (0, node_path_1.isAbsolute)(p) ? p : (0, node_path_1.resolve)(files.workspace, p);
    if (!(0, node_fs_1.existsSync)(full))
        throw new index_js_1.InputError(input, `${p} does not exist (looked in ${files.workspace})`, 'check the path (actions/checkout first?)');
    return (0, node_fs_1.readFileSync)(full, 'utf8');
}
/**
 * compose-file: one path or several (newline- or comma-separated), in the order `docker compose -f a -f b`
 * merges them. Each is read here; the host's compose resolves them together.
 */
function readComposeFiles(inputs, files) {
    const paths = inputs.list('compose-file');
    if (paths.length === 0)
        paths.push(DEPLOY.text('compose-file'));
    if (new Set(paths).size !== paths.length)
        throw new index_js_1.InputError('compose-file', 'lists a file twice', 'give each file once');
    const first = paths[0];
    return {
        texts: paths.map((p) => readWorkspaceFile('compose-file', p, files)),
        dir: (0, node_path_1.dirname)((0, node_path_1.isAbsolute)(first) ? first : (0, node_path_1.resolve)(files.workspace, first))
    };
}
/** deploy-compose's `strategy`: read here only, with the manifest's default (the doctor reads it here too). */
function readStrategy(inputs) {
    return inputs.choice('strategy', strategy_js_1.STRATEGIES, DEPLOY.text('strategy'));
}
function readDeployInputs(inputs, files, context) {
    const connection = readConnection(inputs);
    const target = readTarget(inputs);
    const strategy = readStrategy(inputs);
    const compose = readComposeFiles(inputs, files);
    const [composeText, ...composeMore] = compose.texts;
    const info = (0, compose_files_js_1.composeInfo)({ composeText: composeText, composeMore });
    const envText = readPath(inputs, 'env-file', files, false) ?? '';
    const template = readPath(inputs, 'env-template', files, false);
    if (template !== undefined)
        (0, validate_js_1.checkEnvAgainstTemplate)(envText, template);
    (0, validate_js_1.checkEnvAgainstCompose)(envText, compose.texts, [target.portVar]);
    const images = (0, images_js_1.parseImagesInput)(inputs.keyValues('images'), info.services);
    for (const s of info.services)
        if (!images[s] && !info.images[s])
            throw new index_js_1.InputError('images', `service "${s}" has no image (only \`build:\`): nothing to pull on the host`, `add \`${s}=<registry>/<repo>@sha256:…\``);
    const accessories = inputs.list('accessories');
    // Accessories run once, beside the slots: they may name their container and publish host ports.
    const once = strategy === 'swarm' ? [] : (0, accessories_js_1.chooseAccessories)(accessories, info, images).accessories;
    if (target.frontDoor)
        readFrontDoor(inputs, target, strategy);
    else if ((0, strategy_js_1.usesSlots)(strategy)) {
        if (target.publicPort === undefined)
            throw new index_js_1.InputError('public-port', `is required with strategy ${strategy}`, 'give the port users reach; the proxy listens on it');
    }
    const registry = readRegistry(inputs);
    if (strategy === 'swarm') {
        if (accessories.length && accessories.join() !== 'none')
            throw new index_js_1.InputError('accessories', 'is not supported with strategy swarm', 'deploy stateful services as their own stack, or use another strategy');
        if (composeMore.length)
            throw new index_js_1.InputError('compose-file', 'gives several files, but strategy swarm deploys one stack file', 'merge them into one file (`docker compose -f a -f b config`) for swarm');
        (0, swarm_js_1.checkSwarmSpec)({ hosts: target.hosts, composeText: composeText, images });
    }
    const migrate = (0, migrate_command_js_1.readMigrate)(inputs, info, strategy, exports.MAX_DURATION_MS);
    const firstTag = Object.values(images)[0]?.match(/:([\w][\w.-]*)$/)?.[1];
    const spec = {
        ...target,
        version: inputs.optional('version') ?? (context.sha ? context.sha.slice(0, 7) : (firstTag ?? 'unversioned')),
        strategy,
        composeText: composeText,
        ...(composeMore.length ? { composeMore } : {}),
        ...(accessories.length ? { accessories } : {}),
        envText,
        images,
        keepReleases: inputs.integer('keep-releases', {
            fallback: DEPLOY.number('keep-releases'),
            min: 1,
            max: 100
        }),
        autoRollback: inputs.boolean('auto-rollback', DEPLOY.flag('auto-rollback')),
        ...(registry ? { registry } : {}),
        ...(migrate ? { migrate } : {}),
        composeDir: compose.dir,
        ...(0, scan_record_js_1.readReleaseScan)(inputs, (input, p) => readWorkspaceFile(input, p, files)),
        ...readUserCompose(inputs)
    };
    if (strategy === 'canary')
        spec.canary = readCanaryPlan(inputs, spec);
    // The compose files as written (web service, ports, relative binds, secrets): refused here, before any host.
    if (strategy !== 'swarm')
        (0, user_files_js_1.userCompose)(spec, once);
    const url = inputs.optional('webhook-url');
    const secret = inputs.optional('webhook-secret');
    return {
        spec,
        connection,
        imageCheck: inputs.choice('image-check', (0, index_js_2.choicesOf)('deploy-compose', 'image-check'), DEPLOY.text('image-check')),
        ...(url ? { webhook: { url, ...(secret ? { secret } : {}) } } : {})
    };
}
/**
 * An app behind the host's front door: blue-green and rolling need their slot ports (there is no public-port
 * to derive them from), recreate needs the port the app listens on, and a user-supplied certificate is
 * checked here, before any host is touched.
 */
function readFrontDoor(inputs, target, strategy) {
    const f = target.frontDoor;
    if (strategy === 'canary' || strategy === 'swarm')
        throw new index_js_1.InputError('public-hostnames', `is not supported with strategy ${strategy} yet`, 'use blue-green, rolling or recreate behind the front door, or public-port for a per-app proxy');
    if ((0, strategy_js_1.usesSlots)(strategy) && inputs.list('slot-ports').length === 0 && target.publicPort === undefined)
        throw new index_js_1.InputError('slot-ports', `is required with public-hostnames and strategy ${strategy}`, 'give the two ports the slots listen on, `blue,green`, e.g. `8081,8082`');
    if (strategy === 'recreate' && target.publicPort === undefined)
        throw new index_js_1.InputError('public-port', 'is required with public-hostnames and strategy recreate', 'give the port the app listens on; the front door routes the host names to it');
    const certificate = inputs.optional('tls-certificate');
    const key = inputs.optional('tls-key');
    if (!!certificate !== !!key)
        throw new index_js_1.InputError(certificate ? 'tls-key' : 'tls-certificate', 'is required with the other', 'give tls-certificate and tls-key together');
    if (certificate && key) {
        if (f.httpsPort === undefined)
            throw new index_js_1.InputError('front-door-ports', 'has no HTTPS port', 'write `http,https`, e.g. `80,443`');
        f.tlsPair = { certificate, key };
        (0, index_js_5.checkTlsPair)(f.tlsPair, f.hostnames);
    }
}
/** web-service, app-port and data-paths: how the compose files as users write them run (user-compose.ts). */
function readUserCompose(inputs) {
    const web = inputs.optional('web-service');
    if (web !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(web))
        throw new index_js_1.InputError('web-service', `"${web}" is not a service name`, 'name the service users reach');
    const appPort = inputs.optional('app-port');
    const dataPaths = inputs.list('data-paths');
    for (const p of dataPaths)
        if (!/^\.\.?(\/|$)/.test(p))
            throw new index_js_1.InputError('data-paths', `"${p}" is not a relative bind source`, 'write it as the compose file does, e.g. `./data`');
    return {
        ...(web ? { webService: web } : {}),
        ...(appPort !== undefined ? { appPort: port('app-port', appPort) } : {}),
        ...(dataPaths.length ? { dataPaths } : {})
    };
}
/** canary-steps and canary-step-duration, checked against the gate and the timeout (strategy canary). */
function readCanaryPlan(inputs, spec) {
    const plan = {
        steps: (0, canary_proxy_js_1.parseCanarySteps)(inputs.string('canary-steps', { fallback: DEPLOY.text('canary-steps') })),
        stepMs: inputs.duration('canary-step-duration', {
            fallback: DEPLOY.text('canary-step-duration'),
            positive: true
        })
    };
    (0, canary_proxy_js_1.checkCanaryPlan)(plan, spec.gate, spec.timeoutMs);
    return plan;
}
/** registry, username and password (deploy-compose and rollback): all three or none. */
function readRegistry(inputs) {
    const registryHost = inputs.optional('registry');
    const username = inputs.optional('username');
    const password = inputs.optional('password');
    if (!registryHost && !username && !password)
        return undefined;
    if (!registryHost || !username || !password)
        throw new index_js_1.InputError(!registryHost ? 'registry' : !username ? 'username' : 'password', 'is missing: registry, username and password go together', 'give all three, or none');
    return { registry: registryHost, username, password };
}
function readRollbackInputs(inputs) {
    const connection = readConnection(inputs);
    const target = readTarget(inputs, 'rollback');
    const to = inputs.optional('to');
    const registry = readRegistry(inputs);
    const spec = {
        ...target,
        ...(registry ? { registry } : {}),
        dryRun: inputs.boolean('dry-run', ROLLBACK.flag('dry-run')),
        reason: inputs.string('reason', { fallback: ROLLBACK.text('reason') }),
        ...(inputs.boolean('drill', ROLLBACK.flag('drill')) ? { drill: true } : to ? { to } : {})
    };
    const url = inputs.optional('webhook-url');
    const secret = inputs.optional('webhook-secret');
    return { spec, connection, ...(url ? { webhook: { url, ...(secret ? { secret } : {}) } } : {}) };
}


/***/ }),

/***/ 5759:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.NAME = exports.RELEASE_ID = exports.PRUNED_PREFIX = void 0;
exports.layout = layout;
exports.observeScriptPath = observeScriptPath;
exports.releaseDir = releaseDir;
exports.prunedDir = prunedDir;
exports.earlierDataDir = earlierDataDir;
exports.newReleaseId = newReleaseId;
exports.otherSlot = otherSlot;
exports.projectName = projectName;
const posix_1 = __webpack_require__(3916);
const node_crypto_1 = __webpack_require__(7598);
function layout(stateDir, app, environment) {
    const root = (0, posix_1.join)(stateDir, app, environment);
    return {
        root,
        releases: (0, posix_1.join)(root, 'releases'),
        current: (0, posix_1.join)(root, 'current'),
        active: (0, posix_1.join)(root, 'active.json'),
        history: (0, posix_1.join)(root, 'history.jsonl'),
        lock: (0, posix_1.join)(root, 'lock'),
        proxy: (0, posix_1.join)(root, 'proxy')
    };
}
/**
 * `<state-dir>/<app>/observe.sh`: the forced command of the app's read-only observe keys (packages/report's
 * host/observe.sh, installed by `deploy-actions observe-key`). One per app: it reads any of its environments.
 */
function observeScriptPath(stateDir, app) {
    return (0, posix_1.join)(stateDir, app, 'observe.sh');
}
function releaseDir(l, id) {
    return (0, posix_1.join)(l.releases, id);
}
/**
 * Where a pruned release's directory is set aside (one rename, which a root-owned file inside cannot stop)
 * before it is removed: out of the release list at once, and found again by the next prune when the removal
 * failed (host.ts parseState, `leftover`).
 */
exports.PRUNED_PREFIX = '.pruned-';
function prunedDir(l, id) {
    return (0, posix_1.join)(l.releases, `${exports.PRUNED_PREFIX}${id}`);
}
/**
 * Where a pruned release's copy of data an earlier version of this action kept inside it (adoptDataArgv) is
 * moved, whole, by the prune: out of releases/, so no later prune reads it again, and never deleted.
 */
function earlierDataDir(l, id) {
    return (0, posix_1.join)(l.root, 'earlier-data', id);
}
/** Release ids sort in creation order: `20261123T091502Z-3fa9`. */
function newReleaseId(now = new Date(), suffix = (0, node_crypto_1.randomBytes)(2).toString('hex')) {
    const stamp = now
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
    return `${stamp}-${suffix}`;
}
exports.RELEASE_ID = /^\d{8}T\d{6}Z-[0-9a-z]{2,12}$/;
/** Names that become paths and compose project names: lowercase, digits, `-` and `_`. */
exports.NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
function otherSlot(slot) {
    return slot === 'blue' ? 'green' : 'blue';
}
/** The compose project of a release run: per slot for blue-green/rolling, one for recreate. */
function projectName(app, environment, slot) {
    return [app, environment, slot].filter(Boolean).join('-');
}


/***/ }),

/***/ 4654:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.LOCK_BREAK = exports.LOCK_READ = exports.LOCK_TAKE = void 0;
exports.describeHolder = describeHolder;
exports.localPidAlive = localPidAlive;
exports.newHolder = newHolder;
exports.lockSteps = lockSteps;
exports.lockReleaseStep = lockReleaseStep;
exports.lockSeen = lockSeen;
exports.lockFailed = lockFailed;
exports.staleLockError = staleLockError;
exports.lockTimeoutError = lockTimeoutError;
exports.heldLock = heldLock;
const node_crypto_1 = __webpack_require__(7598);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2978);
const commands_js_1 = __webpack_require__(3639);
function describeHolder(h) {
    if (!h)
        return 'an unknown holder (no holder.json)';
    const what = `${h.operation}${h.release ? ` of ${h.release}` : ''}`;
    return `${what} by ${h.actor}${h.runUrl ? ` (${h.runUrl})` : ''} on ${h.runner} pid ${h.pid}, since ${h.startedAt}`;
}
function localPidAlive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    }
    catch (err) {
        return err.code === 'EPERM';
    }
}
function newHolder(o, clock) {
    const now = clock.now().toISOString();
    return { ...o.holder, token: (0, node_crypto_1.randomUUID)(), startedAt: now, heartbeatAt: now };
}
exports.LOCK_TAKE = 'take the deploy lock';
exports.LOCK_READ = 'read the lock holder';
exports.LOCK_BREAK = "remove the old holder's lock";
/**
 * The open phase's lock steps: (remove the lock of a holder judged gone, only while it is still that holder's),
 * take it, and read the holder when that failed.
 */
function lockSteps(dir, holder, removeToken) {
    return [
        ...(removeToken !== undefined
            ? [{ name: exports.LOCK_BREAK, argv: (0, commands_js_1.lockRemoveIfHolderArgv)(dir, removeToken), check: false }]
            : []),
        { name: exports.LOCK_TAKE, argv: (0, commands_js_1.lockAcquireArgv)(dir), stdin: JSON.stringify(holder) + '\n' },
        { name: exports.LOCK_READ, argv: (0, commands_js_1.lockReadArgv)(dir), always: true, check: false }
    ];
}
function lockReleaseStep(dir, token) {
    return { name: 'release the deploy lock', argv: (0, commands_js_1.lockReleaseArgv)(dir, token), always: true, check: false };
}
/** What the open phase's lock steps say. */
function lockSeen(r) {
    const take = r.get(exports.LOCK_TAKE);
    if (!take)
        return undefined;
    if (take.exitCode === 0)
        return { taken: true };
    if (take.exitCode !== commands_js_1.LOCK_HELD)
        return { taken: false, failed: (take.stderr || take.stdout).trim() };
    const text = r.get(exports.LOCK_READ)?.stdout.trim() ?? '';
    let holder;
    try {
        holder = text ? JSON.parse(text) : undefined;
    }
    catch {
        holder = undefined;
    }
    return { taken: false, ...(holder ? { holder } : {}) };
}
function lockFailed(host, message) {
    return new index_js_1.LockError(`Could not take the deploy lock ${host.layout.lock} on ${host.name}: ${message}`, {
        state: 'nothing was changed',
        hint: 'check that the SSH user can write state-dir on the host'
    });
}
function staleLockError(host, holder, stale) {
    return new index_js_1.LockError(`The deploy lock of ${host.layout.root} on ${host.name} is STALE: held by ${describeHolder(holder)}; ${stale}`, {
        state: 'nothing was changed; the lock is still in place',
        hint: 'make sure that run is really gone, then run again with `break-lock: true` (docs/runbooks/stale-lock.md)'
    });
}
function lockTimeoutError(host, timeoutMs, holder) {
    return new index_js_1.LockError(`Timed out after ${(0, index_js_1.formatMs)(timeoutMs)} waiting for the deploy lock of ${host.layout.root} on ${host.name}, held by ${describeHolder(holder)}`, {
        state: 'nothing was changed; the other run is still deploying',
        hint: 'wait for that run to finish (or use a workflow `concurrency:` group), or raise `lock-timeout`'
    });
}
/**
 * Keep the lock fresh while held. The heartbeat rides at the end of every phase (Host.heartbeat), so it costs
 * no session of its own; only when no phase ran for a quarter of lock-stale-after (a long gate) does a timer
 * send one. release() lets the lock go only while it is still ours.
 */
function heldLock(host, holder, staleMs, clock) {
    const dir = host.layout.lock;
    const every = Math.max(1000, Math.floor(staleMs / 4));
    let lastBeat = clock.ms();
    const beatStdin = () => {
        lastBeat = clock.ms();
        return JSON.stringify({ ...holder, heartbeatAt: clock.now().toISOString() }) + '\n';
    };
    host.heartbeat = () => ({
        name: 'lock heartbeat',
        argv: (0, commands_js_1.lockHeartbeatArgv)(dir, holder.token),
        stdin: beatStdin(),
        always: true,
        check: false
    });
    let beating = Promise.resolve();
    const timer = setInterval(() => {
        if (clock.ms() - lastBeat < every)
            return;
        beating = host.executor
            .run({
            argv: (0, commands_js_1.lockHeartbeatArgv)(dir, holder.token),
            stdin: beatStdin(),
            check: false,
            timeoutMs: (0, index_js_2.linkTimeoutMs)(every, host.noopMs)
        })
            .catch(() => undefined);
    }, Math.max(500, Math.floor(every / 4)));
    timer.unref();
    const stop = async () => {
        clearInterval(timer);
        host.heartbeat = undefined;
        await beating;
    };
    return {
        holder,
        stop,
        release: async () => {
            await stop();
            await host.run((0, commands_js_1.lockReleaseArgv)(dir, holder.token), 'release the deploy lock', { ownTimeoutMs: 30_000 });
        }
    };
}


/***/ }),

/***/ 8736:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.showCommand = showCommand;
exports.readMigrate = readMigrate;
const index_js_1 = __webpack_require__(4009);
const index_js_2 = __webpack_require__(893);
const index_js_3 = __webpack_require__(3747);
/**
 * The `migrate-command` input as argv data. Pure: nothing here runs anything. The command never becomes a
 * shell string of ours: it travels as argv of `compose run` through the phase script's quoting
 * (packages/ssh/src/script.ts); packages/core's parseCommandLine refuses what a shell would have done with it.
 */
const INPUT = 'migrate-command';
/** The command as a person reads it (and as the error and history name it): POSIX-quoted words. */
function showCommand(argv) {
    return (0, index_js_2.shellJoin)(argv);
}
/**
 * migrate-command, migrate-service and migrate-timeout, checked against the compose file and the strategy
 * before any host is touched. Undefined when there is no command.
 */
function readMigrate(inputs, info, strategy, maxMs) {
    const defaults = index_js_3.INPUTS['deploy-compose'];
    const command = (0, index_js_1.parseCommandLine)(inputs.raw(INPUT), INPUT);
    const serviceText = inputs.optional('migrate-service');
    if (command.length === 0) {
        if (serviceText)
            throw new index_js_2.InputError('migrate-service', `is "${serviceText}" but migrate-command is empty`, 'give migrate-command, or leave migrate-service empty');
        return undefined;
    }
    if (strategy === 'swarm')
        throw new index_js_2.InputError(INPUT, 'is not supported with strategy swarm: the swarm places the tasks on its nodes, so a one-off container on the manager would not share their networks and volumes, and `stack deploy` starts the new tasks before anything could run first', 'run the migration as its own job before the deploy (run-migrations with `command` and `host`), or use a compose strategy');
    const service = serviceText ?? info.services[0];
    if (!info.services.includes(service))
        throw new index_js_2.InputError('migrate-service', `"${service}" is not a service of compose-file (it defines ${info.services.join(', ')})`, 'name one of those services, or leave it empty for the first');
    const timeoutMs = inputs.duration('migrate-timeout', {
        fallback: defaults['migrate-timeout'].default,
        positive: true
    });
    if (timeoutMs > maxMs)
        throw new index_js_2.InputError('migrate-timeout', `${inputs.raw('migrate-timeout')} is longer than 24h`, 'give at most 24h');
    return { command, service, timeoutMs };
}


/***/ }),

/***/ 772:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.MAX_LINE_CHARS = exports.MIGRATE_TIMED_OUT = exports.MIGRATE_STEP = void 0;
exports.migrateBoundArgv = migrateBoundArgv;
exports.migrateBoundMs = migrateBoundMs;
exports.migrateContainerName = migrateContainerName;
exports.migrateProject = migrateProject;
exports.maskedCommand = maskedCommand;
exports.maskEnv = maskEnv;
exports.lineLogger = lineLogger;
exports.migratePhase = migratePhase;
exports.migrateOnce = migrateOnce;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2804);
const index_js_3 = __webpack_require__(2978);
const host_js_1 = __webpack_require__(6107);
const migrate_command_js_1 = __webpack_require__(8736);
const run_js_1 = __webpack_require__(5692);
const start_js_1 = __webpack_require__(3245);
const validate_js_1 = __webpack_require__(1983);
const host_scripts_generated_js_1 = __webpack_require__(4893);
/**
 * migrate-command: the app's own migration tool, run once per deploy, on the first host, under the lock, after
 * the pull and before any traffic moves (before `compose up` of the new release, so also before recreate stops
 * the old one). One session of its own: a one-off container of the new release's image in the compose project
 * the release will run as, with the release's files (compose.yml, pinned images and volumes, .env), so it sees
 * the same env file, networks and named volumes.
 */
exports.MIGRATE_STEP = 'migrate-command';
/** Exit code of migrateBoundArgv when the bound was reached and the container was killed. */
exports.MIGRATE_TIMED_OUT = 124;
const TIMED_OUT_LINE = 'deploy-actions: migrate-timeout reached';
/**
 * Run `argv` (a compose run) on the host, bounded there: after `timeoutS` a watchdog `docker kill`s the one-off
 * container by its name (again each second until the command returns, for at most a minute), which ends
 * `compose run`; the container is then removed, and the step exits 124 printing why. Otherwise it exits with the command's own
 * code. The script is a constant; the bound, the name and the command are positional arguments.
 */
function migrateBoundArgv(timeoutS, container, argv) {
    return [
        'sh',
        '-c',
        host_scripts_generated_js_1.HOST_SCRIPTS['migrate-bound'],
        'sh',
        String(Math.max(1, Math.ceil(timeoutS))),
        container,
        ...argv
    ];
}
/**
 * The bound kept on the host: migrate-timeout, or less when the deploy's own `timeout` leaves less. The host
 * must stop the container before the runner gives up on the session (so it never outlives it): that is the
 * time left, less the login before the script starts (a no-op's cost, twice for slack) and 15 s to kill and
 * remove the container and report. Never below 1 s.
 */
function migrateBoundMs(timeoutMs, remainingMs, noopMs) {
    return Math.max(1000, Math.min(timeoutMs, remainingMs - 15_000 - 2 * Math.max(0, noopMs)));
}
/** The one-off container's name: known, so the bound can kill it; unique per release. */
function migrateContainerName(projectName, releaseId) {
    return `${projectName}-migrate-${releaseId}`.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
}
/**
 * The compose project the one-off container runs in: the one the release will run as (so it shares that
 * project's networks), except on the host network, where a project's networks mean nothing and compose v1
 * would link the one-off to its service's running container, which host networking refuses (recreate runs
 * the old release in that very project): there it gets a project of its own.
 */
function migrateProject(composeText, service, releaseProject) {
    const svc = (0, index_js_2.parseComposeDocument)(composeText).services[service];
    return svc?.network_mode === 'host' ? `${releaseProject}-migrate` : releaseProject;
}
/** Mask the env file's values in what the command line says (a token given as an argument). */
function maskedCommand(argv, envText) {
    return maskEnv((0, migrate_command_js_1.showCommand)(argv), envText);
}
/**
 * The env file's values as *** in a text: the migration's output is masked here already, not only by the
 * runner, so no copy of the raw log (a CLI run, a captured stdout) holds them.
 */
function maskEnv(text, envText) {
    let out = text;
    for (const v of (0, validate_js_1.envValues)(envText).sort((a, b) => b.length - a.length))
        out = out.split(v).join('***');
    return out;
}
/** The longest line the relay holds before it logs it anyway (a migration printing no newline for 40 MB). */
exports.MAX_LINE_CHARS = 64 * 1024;
/** Log whole lines as they come, tagged with the host; the logger masks registered secrets. */
function lineLogger(log) {
    let buf = '';
    return {
        push(chunk) {
            buf += chunk;
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
                log(buf.slice(0, nl).replace(/\r$/, ''));
                buf = buf.slice(nl + 1);
            }
            // Bounded: a line longer than MAX_LINE_CHARS is logged in pieces.
            while (buf.length >= exports.MAX_LINE_CHARS) {
                log(buf.slice(0, exports.MAX_LINE_CHARS));
                buf = buf.slice(exports.MAX_LINE_CHARS);
            }
        },
        flush() {
            if (buf)
                log(buf);
            buf = '';
        }
    };
}
/**
 * The migrate phase, one session on one host. On success the release record carries the migration and
 * `migration.applied` rides with the next phase's history; on failure `migration.failed` does, and the error
 * (MigrationError) names the command and its exit code or the bound, with the state: nothing moved.
 */
async function migratePhase(ctx, s, d, m) {
    const { host } = ctx;
    const release = s.release;
    const logger = host.logger;
    for (const v of (0, validate_js_1.envValues)(d.envText))
        logger.secret(v);
    const command = maskedCommand(m.command, d.envText);
    const candidate = (0, start_js_1.candidateFor)(ctx, s, release);
    const where = { ...candidate, project: migrateProject(d.composeText, m.service, candidate.project) };
    const container = migrateContainerName(candidate.project, release.id);
    const boundMs = migrateBoundMs(m.timeoutMs, host.deadline.remaining(), host.noopMs);
    const byDeploy = boundMs < m.timeoutMs;
    // The release's accessories first (a database it brings), so the migration can reach them.
    const acc = (0, start_js_1.deployAccessories)(ctx, s, release, s.tools.compose);
    // Whatever happens from here, a failed deploy starts the serving release's retired copies again.
    if (acc.retired)
        s = { ...s, retired: acc.retired };
    const steps = [
        ...acc.steps,
        {
            name: exports.MIGRATE_STEP,
            argv: migrateBoundArgv(boundMs / 1000, container, (0, index_js_2.composeRunArgv)(s.tools.compose, (0, run_js_1.project)(ctx, release, where), m.service, m.command, {
                name: container
            })),
            stream: true
        }
    ];
    logger.info(`${host.name}: migrate-command ${command} (service ${m.service}, bound ${(0, index_js_1.formatMs)(boundMs)})`);
    const lines = lineLogger((line) => logger.info(`${host.name} | ${maskEnv(line, d.envText)}`));
    const started = ctx.rec.clock.ms();
    const timeoutMs = host.deadline.step('migrate', (0, index_js_3.linkTimeoutMs)(boundMs + 30_000, host.noopMs));
    const run = await (0, index_js_3.runPhase)(host.executor, 'migrate', steps, timeoutMs, { onStream: (c) => lines.push(c) })
        .catch((err) => {
        throw (0, run_js_1.failWith)(err, s);
    })
        .finally(() => lines.flush());
    const r = new host_js_1.PhaseResult(run, host);
    // An accessory step that failed stopped the phase before the migration: say so, not "exit -1".
    const before = r.failed(steps);
    if (before && before.name !== exports.MIGRATE_STEP)
        throw (0, run_js_1.failWith)((0, host_js_1.stepError)(before, host.name), s);
    const result = r.get(exports.MIGRATE_STEP);
    const durationMs = ctx.rec.clock.ms() - started;
    const exitCode = result?.exitCode ?? -1;
    const output = maskEnv(result?.stdout ?? '', d.envText);
    const timedOut = exitCode === exports.MIGRATE_TIMED_OUT && output.includes(TIMED_OUT_LINE);
    const migration = {
        command,
        service: m.service,
        host: host.name,
        project: where.project,
        exitCode,
        durationMs,
        at: new Date(ctx.rec.clock.now().getTime() - durationMs).toISOString(),
        ...(timedOut ? { timedOut: true } : {})
    };
    const line = ctx.rec.entry(host.name, exitCode === 0 ? 'migration.applied' : 'migration.failed', { release: release.id, version: release.version, ...migration });
    // The accessories are up (and said so): the start phase on this host does not run them again.
    const accLines = acc.report(r);
    const next = {
        ...s,
        release: { ...release, migration },
        ...(accLines.length ? { accessoriesUp: true } : {}),
        pending: [...s.pending, ...accLines, line]
    };
    if (exitCode === 0) {
        logger.info(`${host.name}: migrate-command done in ${(0, index_js_1.formatMs)(durationMs)}`);
        await ctx.rec.emit('migration.applied', release.version, { release: release.id, ...migration });
        return next;
    }
    const tail = output.trim().split('\n').slice(-10).join('\n');
    const state = `nothing moved: ${s.before ? `release ${s.before.active.release} is still serving` : 'nothing was serving'}; the new release was never started`;
    if (timedOut)
        throw (0, run_js_1.failWith)(new index_js_1.MigrationError(`migrate-command ${command} ran out of time on ${host.name}: ${byDeploy
            ? `the deploy's \`timeout\` left ${(0, index_js_1.formatMs)(boundMs)}`
            : `migrate-timeout ${(0, index_js_1.formatMs)(m.timeoutMs)}`} reached; its container ${container} was killed and removed`, {
            state,
            hint: `raise ${byDeploy ? '`timeout`' : '`migrate-timeout`'} if the migration is slow but sound; read its output above. A killed migration may have left partial changes: check them before deploying again`
        }), next);
    throw (0, run_js_1.failWith)(new index_js_1.MigrationError(`migrate-command ${command} failed on ${host.name} with exit ${exitCode}${tail ? `:\n${tail}` : ''}`, {
        state,
        hint: 'fix the migration (its output is above) and deploy again; the old release keeps working only if the migration kept it working (docs/migrations.md: expand, then contract)'
    }), next);
}
/**
 * Run migrate-command once per deploy, on the first host (every host has pulled the release by now), and put
 * what it did in every host's release record and in the outcome, also when it failed.
 */
async function migrateOnce(runs, d, m, outcome) {
    const first = runs[0];
    try {
        first.state = await migratePhase(first.ctx, first.state, d, m);
    }
    catch (err) {
        first.state = (0, run_js_1.stateAfter)(err, first.state);
        throw err;
    }
    finally {
        const migration = first.state.release?.migration;
        if (migration) {
            outcome.migration = migration;
            for (const r of runs.slice(1))
                if (r.state.release)
                    r.state = { ...r.state, release: { ...r.state.release, migration } };
        }
    }
}


/***/ }),

/***/ 2729:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.checkSteps = checkSteps;
exports.dockerProblem = dockerProblem;
exports.nginxProblem = nginxProblem;
exports.checkedTools = checkedTools;
exports.openHost = openHost;
exports.userOf = userOf;
exports.stateDirFix = stateDirFix;
exports.stateDirProblem = stateDirProblem;
const node_os_1 = __webpack_require__(8161);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2804);
const index_js_3 = __webpack_require__(9718);
const commands_js_1 = __webpack_require__(3639);
const host_js_1 = __webpack_require__(6107);
const lock_js_1 = __webpack_require__(4654);
const takeover_js_1 = __webpack_require__(8968);
const identity_js_1 = __webpack_require__(9419);
/**
 * The open phase, one session: docker answers for this user, compose and (for slots) nginx are there, the
 * lock is taken and the host's releases are read. Refused with the fix before anything changes.
 */
function checkSteps(needNginx) {
    return [
        { name: 'docker', argv: (0, index_js_3.serverVersionArgv)() },
        { name: 'compose', argv: (0, index_js_2.composeDetectArgv)({ required: true }) },
        { name: 'tools', argv: (0, commands_js_1.whichArgv)('curl', 'wget', 'nginx', 'flock'), check: false },
        ...(needNginx ? [{ name: 'nginx', argv: (0, commands_js_1.requireProgramArgv)('nginx') }] : [])
    ];
}
/** The docker check's verdict: undefined when docker answers for this user. */
function dockerProblem(host, r, user) {
    const docker = r.get('docker');
    if (!docker || docker.exitCode === 0)
        return undefined;
    const text = (docker.stderr || docker.stdout).trim();
    const denied = /permission denied/i.test(text);
    return new index_js_1.DeployError(`Docker does not answer on ${host.name}: ${text}`, {
        state: 'nothing was changed on the host',
        hint: denied
            ? `the SSH user${user ? ` ${user}` : ''} may not use docker: add it to the docker group on the host (\`sudo usermod -aG docker ${user ?? '<user>'}\`, then reconnect) or deploy as a user who may`
            : 'check that dockerd runs and that the SSH user may use it (docker group or root)'
    });
}
function nginxProblem(host, r) {
    const nginx = r.get('nginx');
    if (!nginx || nginx.exitCode === 0)
        return undefined;
    return new index_js_1.DeployError(`nginx is not installed on ${host.name} (${(nginx.stderr || nginx.stdout).trim()}); blue-green and rolling switch traffic with it`, {
        state: 'nothing was changed on the host',
        hint: 'install nginx on the host (`apt-get install nginx-light`; it needs no service: the deploy runs its own instance from state-dir as the SSH user), or use strategy recreate'
    });
}
/** Turn the check steps' results into tools, or the error that names the fix. */
function checkedTools(host, r, user) {
    const docker = dockerProblem(host, r, user);
    if (docker)
        throw docker;
    const compose = r.get('compose');
    const tool = (0, index_js_2.composeFound)((compose?.stdout ?? '') + (compose?.stderr ?? ''), host.name, host.logger);
    const nginx = nginxProblem(host, r);
    if (nginx)
        throw nginx;
    const found = (r.get('tools')?.stdout ?? '').split('\n').map((l) => l.trim());
    if (r.get('tools')?.exitCode === 0 && !found.includes('flock'))
        host.logger.warning(`${host.name} has no flock: the phases of two runs (a takeover beside a detached phase a dead runner left) are not serialized there; install util-linux (apt-get install util-linux)`);
    return {
        compose: tool,
        http: found.includes('curl') ? 'curl' : found.includes('wget') ? 'wget' : null,
        nginx: found.includes('nginx')
    };
}
async function openHost(ctx, s, o) {
    const { host, spec, deps, rec } = ctx;
    const clock = rec.clock;
    const runner = deps.runner ?? { name: (0, node_os_1.hostname)(), pid: process.pid, id: (0, identity_js_1.runnerIdentity)() };
    const pidStart = runner.pid === process.pid ? (0, identity_js_1.processStart)(runner.pid) : undefined;
    const lockOptions = {
        timeoutMs: spec.lockTimeoutMs,
        staleMs: spec.lockStaleMs,
        pollMs: spec.lockPollMs,
        breakLock: spec.breakLock,
        runnerName: runner.name,
        ...(runner.id ? { runnerId: runner.id } : {}),
        holder: {
            actor: deps.context.actor,
            runUrl: deps.context.runUrl,
            runner: runner.name,
            pid: runner.pid,
            ...(runner.id ? { runnerId: runner.id } : {}),
            ...(pidStart ? { pidStart } : {}),
            ...(runner.repository && runner.runId
                ? { repository: runner.repository, runId: runner.runId, runAttempt: runner.runAttempt ?? '1' }
                : {}),
            operation: ctx.operation,
            ...(o.releaseHint ? { release: o.releaseHint } : {})
        }
    };
    const started = clock.ms();
    // The token of the lock to remove before taking it ('' for one without holder.json), once judged.
    let removeToken;
    let takenOver;
    let waitedFor;
    const pending = [...s.pending];
    for (;;) {
        const holder = (0, lock_js_1.newHolder)(lockOptions, clock);
        const steps = [
            ...checkSteps(o.needNginx),
            ...(o.lock
                ? [
                    { name: 'create state-dir', argv: (0, commands_js_1.mkdirArgv)(host.layout.releases, host.layout.proxy) },
                    ...(0, lock_js_1.lockSteps)(host.layout.lock, holder, removeToken)
                ]
                : []),
            { name: 'read releases', argv: (0, commands_js_1.readStateArgv)(host.layout.root) }
        ];
        const r = await host.phase('open', steps, 60_000);
        const tools = checkedTools(host, r, userOf(host.executor.target));
        const mk = r.get('create state-dir');
        if (mk && mk.exitCode !== 0) {
            const why = (mk.stderr || mk.stdout).trim();
            if (/permission denied|read-only/i.test(why))
                throw stateDirProblem(host, spec.stateDir, userOf(host.executor.target), why);
            throw (0, lock_js_1.lockFailed)(host, why);
        }
        const seen = o.lock ? (0, lock_js_1.lockSeen)(r) : { taken: true };
        if (!seen)
            throw (0, lock_js_1.lockFailed)(host, 'the lock step did not run');
        if ('failed' in seen)
            throw (0, lock_js_1.lockFailed)(host, seen.failed);
        if (seen.taken) {
            if (waitedFor)
                host.logger.info(`lock taken after waiting ${clock.ms() - started}ms for ${waitedFor}`);
            if (takenOver)
                await recordTakeover(ctx, pending, takenOver);
            const known = (0, host_js_1.parseState)(r.get('read releases')?.stdout ?? '');
            const active = known.active;
            const record = active ? known.releases.find((x) => x.id === active.release) : undefined;
            const lock = o.lock ? (0, lock_js_1.heldLock)(host, holder, spec.lockStaleMs, clock) : undefined;
            if (lock)
                deps.onLock?.(host.name, {
                    dir: host.layout.lock,
                    token: holder.token,
                    operation: ctx.operation,
                    app: spec.app,
                    environment: spec.environment,
                    ...(o.releaseHint ? { release: o.releaseHint } : {})
                });
            return {
                ...s,
                tools,
                known,
                pending,
                ...(lock ? { lock } : {}),
                ...(active ? { before: { active, ...(record ? { record } : {}) } } : {})
            };
        }
        const old = seen.holder;
        const again = removeToken !== undefined && removeToken === (old?.token ?? '');
        const verdict = (0, takeover_js_1.lockVerdict)({
            holder: old,
            now: clock.ms(),
            staleMs: lockOptions.staleMs,
            runnerName: lockOptions.runnerName,
            ...(lockOptions.runnerId ? { runnerId: lockOptions.runnerId } : {}),
            pidAlive: lock_js_1.localPidAlive,
            pidStart: identity_js_1.processStart,
            run: await runOf(ctx, old)
        });
        if (verdict.kind === 'gone') {
            if (again)
                throw (0, lock_js_1.lockFailed)(host, `the lock of ${(0, lock_js_1.describeHolder)(old)} could not be removed`);
            host.logger.warning(`taking over the deploy lock on ${host.name}: ${(0, lock_js_1.describeHolder)(old)}; ${verdict.proof.detail}`);
            takenOver = { ...(old ? { holder: old } : {}), proof: verdict.proof.detail, via: verdict.proof.via };
            removeToken = old?.token ?? '';
            continue;
        }
        if (verdict.kind === 'stale') {
            if (!lockOptions.breakLock || again)
                throw (0, lock_js_1.staleLockError)(host, old, verdict.reason);
            host.logger.warning(`breaking a stale lock on ${host.name}: ${(0, lock_js_1.describeHolder)(old)}; ${verdict.reason}`);
            pending.push(ctx.rec.entry(host.name, 'lock.broken', { holder: old ?? null, reason: verdict.reason }));
            removeToken = old?.token ?? '';
            continue;
        }
        const waited = clock.ms() - started;
        if (!waitedFor) {
            waitedFor = (0, lock_js_1.describeHolder)(seen.holder);
            host.logger.info(`waiting up to ${Math.round(lockOptions.timeoutMs / 1000)}s for the deploy lock held by ${waitedFor}`);
        }
        if (waited >= lockOptions.timeoutMs)
            throw (0, lock_js_1.lockTimeoutError)(host, lockOptions.timeoutMs, seen.holder);
        await new Promise((res) => setTimeout(res, Math.min(lockOptions.pollMs, lockOptions.timeoutMs - waited + 10)));
    }
}
/** What GitHub says of the holder's run, when a token lets us ask and the holder names one. */
async function runOf(ctx, h) {
    const run = (0, takeover_js_1.holderRun)(h);
    if (!run || !ctx.deps.workflowRun)
        return undefined;
    try {
        return await ctx.deps.workflowRun(run.repository, run.runId);
    }
    catch {
        return undefined;
    }
}
/** `lock.taken-over`: in the host's history (with the next phase) and as an event, naming the old holder and the proof. */
async function recordTakeover(ctx, pending, t) {
    const holder = t.holder ? { ...t.holder, token: undefined } : null;
    const fields = { holder, proof: t.proof, via: t.via, operation: ctx.operation };
    pending.push(ctx.rec.entry(ctx.host.name, 'lock.taken-over', fields));
    await ctx.rec.emit('lock.taken-over', ctx.spec.version ?? '', {
        host: ctx.host.name,
        ...fields
    });
}
function userOf(target) {
    const at = target.indexOf('@');
    return at > 0 ? target.slice(0, at) : undefined;
}
/** What to run when the SSH user cannot create state-dir (the default /var/lib/deploy-actions needs root once). */
function stateDirFix(stateDir, user) {
    const u = user ?? '<ssh user>';
    return `once as root on the host: \`sudo install -d -o ${u} -g ${u} -m 755 ${stateDir}\`; or give state-dir a directory the user owns, e.g. \`state-dir: /home/${u}/deploy-actions\` (vars.DEPLOY_STATE_DIR in the reusable workflows)`;
}
function stateDirProblem(host, stateDir, user, why) {
    return new index_js_1.DeployError(`Input 'state-dir': ${user ?? 'the SSH user'} cannot create ${host.layout.root} on ${host.name} (${why})`, { state: 'nothing was changed on the host', hint: stateDirFix(stateDir, user) });
}


/***/ }),

/***/ 749:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.activeReadArgv = activeReadArgv;
exports.servingProjects = servingProjects;
exports.appProjects = appProjects;
exports.projectContainersArgv = projectContainersArgv;
exports.parseContainerLines = parseContainerLines;
exports.logsArgv = logsArgv;
exports.execArgv = execArgv;
exports.projectObjectsArgv = projectObjectsArgv;
exports.stateRemoveArgv = stateRemoveArgv;
exports.withSbinPath = withSbinPath;
exports.appNetworksArgv = appNetworksArgv;
exports.pickAppNetworks = pickAppNetworks;
exports.removePlan = removePlan;
const posix_1 = __webpack_require__(3916);
const accessories_js_1 = __webpack_require__(6427);
const layout_js_1 = __webpack_require__(5759);
const proxy_boot_js_1 = __webpack_require__(7042);
const commands_js_1 = __webpack_require__(3639);
const index_js_1 = __webpack_require__(2978);
/**
 * Day-2 operations on a deployed app (`deploy-actions logs`, `exec`, `remove`): every command as argv data
 * built here, run by the caller's one executor. Containers are found by their compose labels, so the
 * commands work the same under Compose v1 and v2 and need no compose file.
 */
/** argv: what serves now (active.json). */
function activeReadArgv(l) {
    return ['cat', '--', l.active];
}
/** The compose projects that serve: the active release's, then the accessories'. */
function servingProjects(app, environment, active) {
    return [active.project, (0, accessories_js_1.accessoriesProject)(app, environment)];
}
/** Every compose project a deploy of this app may have made in this environment (slots, recreate, accessories, migrations). */
function appProjects(app, environment) {
    const slots = [undefined, 'blue', 'green'];
    const base = slots.map((s) => (0, layout_js_1.projectName)(app, environment, s));
    return [...base, ...base.map((p) => `${p}-migrate`), (0, accessories_js_1.accessoriesProject)(app, environment)];
}
/** argv: containers of one compose project, one `<id> <service> <state>` line each (`all`: stopped ones too). */
function projectContainersArgv(project, o = {}) {
    return [
        'docker',
        'ps',
        ...(o.all ? ['-a'] : []),
        '--no-trunc',
        '--filter',
        `label=com.docker.compose.project=${project}`,
        '--format',
        '{{.ID}} {{.Label "com.docker.compose.service"}} {{.State}}'
    ];
}
function parseContainerLines(text) {
    return text
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((p) => /^[0-9a-f]{12,64}$/.test(p[0] ?? ''))
        .map(([id, service, state]) => ({ id: id, service: service ?? '', state: state ?? '' }));
}
/** argv: a container's logs, both streams. */
function logsArgv(id, o = {}) {
    return [
        'docker',
        'logs',
        ...(o.tail !== undefined ? ['--tail', String(o.tail)] : []),
        ...(o.since ? ['--since', o.since] : []),
        ...(o.timestamps ? ['--timestamps'] : []),
        id
    ];
}
/** argv: a command in a running container (no TTY: its output comes back through the session). */
function execArgv(id, command, o = {}) {
    if (command.length === 0)
        throw new Error('exec: give the command after `--`');
    return [
        'docker',
        'exec',
        ...(o.user ? ['--user', o.user] : []),
        ...(o.workdir ? ['--workdir', o.workdir] : []),
        id,
        ...command
    ];
}
/** The labels of what `remove` lists in a project: networks and (only with deleteData) volumes. */
function projectObjectsArgv(kind, project) {
    return ['docker', kind, 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`];
}
/**
 * argv: remove the app's state on the host, keeping `data/` (bind-mounted data) and `history.jsonl` (the audit
 * trail) unless `deleteData`, when the whole environment directory goes. Prints nothing; fails naming what it
 * could not remove (a root-owned file a container wrote).
 */
function stateRemoveArgv(l, deleteData) {
    if (deleteData)
        return ['rm', '-rf', '--', l.root];
    return [
        'find',
        l.root,
        '-mindepth',
        '1',
        '-maxdepth',
        '1',
        '!',
        '-name',
        'data',
        '!',
        '-name',
        'history.jsonl',
        '-exec',
        'rm',
        '-rf',
        '--',
        '{}',
        '+'
    ];
}
/** argv run with the sbin directories after the user's PATH (nginx lives in /usr/sbin on Debian), as phases do. */
function withSbinPath(argv) {
    return ['sh', '-c', `PATH="$PATH:${index_js_1.EXTRA_PATH.join(':')}"; export PATH; exec "$@"`, 'sh', ...argv];
}
/** argv: networks whose name starts with the app's `<app>-<environment>` (the deploy's shared and pinned ones). */
function appNetworksArgv(app, environment) {
    return [
        'docker',
        'network',
        'ls',
        '--filter',
        `name=${(0, layout_js_1.projectName)(app, environment)}`,
        '--format',
        '{{.ID}} {{.Name}}'
    ];
}
/** Of appNetworksArgv's lines, the ids of the networks the deploy made: `<app>-<env>` and `<app>-<env>_<network>`. */
function pickAppNetworks(text, app, environment) {
    const base = (0, layout_js_1.projectName)(app, environment);
    return text
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter(([id, name]) => id && name && (name === base || name.startsWith(`${base}_`)))
        .map(([id]) => id);
}
/** What `deploy-actions remove` does on one host, in order. */
function removePlan(stateDir, app, environment, deleteData) {
    const l = (0, layout_js_1.layout)(stateDir, app, environment);
    return {
        projects: appProjects(app, environment),
        proxy: withSbinPath((0, commands_js_1.proxyStopArgv)((0, posix_1.join)(l.proxy, 'nginx.conf'), l.proxy)),
        bootHook: (0, proxy_boot_js_1.bootHookRemoveArgv)(l.proxy),
        state: stateRemoveArgv(l, deleteData),
        deleteData
    };
}


/***/ }),

/***/ 4851:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.releaseLeftLocks = releaseLeftLocks;
const posix_1 = __webpack_require__(3916);
const index_js_1 = __webpack_require__(893);
const commands_js_1 = __webpack_require__(3639);
/**
 * For the action's `post:` step: release locks its main step took and never let go (the run was cancelled
 * or killed), only when they are still held with the same token, and record `deploy.cancelled` and
 * `lock.released` in the host history. A switch the killed run made but never verified is marked in
 * active.json (`unverified`); the next deploy or rollback resolves it (resolve.ts).
 */
async function releaseLeftLocks(locks, deps) {
    const released = [];
    for (const [host, held] of Object.entries(locks)) {
        let executor;
        try {
            executor = await deps.connect(host);
            const r = await executor.run({
                argv: (0, commands_js_1.lockReleaseIfOursArgv)(held.dir),
                stdin: held.token,
                check: false,
                timeoutMs: 30_000,
                step: 'release the left lock'
            });
            if (!r.stdout.includes('released'))
                continue;
            released.push(host);
            const base = {
                time: new Date().toISOString(),
                ...(held.app ? { app: held.app } : {}),
                ...(held.environment ? { environment: held.environment } : {}),
                host,
                actor: deps.context.actor,
                runUrl: deps.context.runUrl,
                ...(held.release ? { release: held.release } : {})
            };
            const lines = [
                {
                    ...base,
                    event: 'deploy.cancelled',
                    operation: held.operation ?? 'deploy',
                    reason: 'the main step ended without finishing (cancelled or killed); what it left is resolved by the next run'
                },
                {
                    ...base,
                    event: 'lock.released',
                    reason: 'the run ended without releasing its lock (cancelled or killed); released by its post step'
                }
            ];
            // One write of whole lines (history-append closes a torn last line first).
            await executor.run({
                argv: (0, commands_js_1.historyAppendArgv)((0, posix_1.join)(held.dir, '..', 'history.jsonl')),
                stdin: lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
                check: false,
                timeoutMs: 30_000
            });
            deps.logger.warning(`${host}: the deploy was interrupted while holding the lock${held.release ? ` (release ${held.release})` : ''}; the lock is released. Check what it left: docs/runbooks/failed-deploy.md`);
        }
        catch (err) {
            deps.logger.warning(`${host}: could not release the lock left by this run: ${(0, index_js_1.describeError)(err)}; see docs/runbooks/stale-lock.md`);
        }
        finally {
            await executor?.close().catch(() => undefined);
        }
    }
    return released;
}


/***/ }),

/***/ 842:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.checkStrategy = checkStrategy;
exports.checkComposeVersion = checkComposeVersion;
exports.preparePhase = preparePhase;
exports.pickDigest = pickDigest;
const posix_1 = __webpack_require__(3916);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2804);
const compose_files_js_1 = __webpack_require__(6211);
const index_js_3 = __webpack_require__(9718);
const commands_js_1 = __webpack_require__(3639);
const host_js_1 = __webpack_require__(6107);
const images_js_1 = __webpack_require__(1827);
const layout_js_1 = __webpack_require__(5759);
const proxy_js_1 = __webpack_require__(2865);
const front_door_js_1 = __webpack_require__(9371);
const run_js_1 = __webpack_require__(5692);
const strategy_js_1 = __webpack_require__(9836);
const user_files_js_1 = __webpack_require__(2884);
const SLOT_CHECK = 'check the slot port';
const PUBLIC_CHECK = 'check the public port';
const WRITE = 'write the release directory';
const CONFIG = 'compose config';
const FETCH = 'fetch accessory ';
const SWEEP = 'remove registry logins a stopped run left';
/** The strategy fits what runs now (pure; before any session). */
function checkStrategy(ctx, s) {
    const before = s.before?.active;
    const slotted = (0, strategy_js_1.usesSlots)(ctx.strategy);
    if (before && (before.strategy === 'recreate') !== !slotted)
        throw new index_js_1.DeployError(`${ctx.host.name} runs ${before.release} with strategy ${before.strategy}; switching to ${ctx.strategy} in place is not supported`, {
            state: 'nothing was changed',
            hint: `keep strategy ${before.strategy}, or take the app down (docs/runbooks/failed-deploy.md) and deploy anew`
        });
}
/**
 * The host's compose runs every feature the files use (pure; right after the open phase, before any change):
 * `include:` needs Compose v2.20+, so docker-compose v1 or an older plugin is refused, naming the version found
 * and the one needed. Versions compare as major.minor.patch (Debian's `2.26.1-4` is 2.26.1).
 */
function checkComposeVersion(ctx, s, info) {
    const tool = s.tools?.compose;
    if (!tool)
        return;
    const old = (0, index_js_2.composeTooOld)(tool, (0, index_js_2.featuresUsed)(info));
    if (old)
        throw new index_js_1.DeployError(`compose-file uses ${old.feature.what}, which ${old.found} (${tool.generation}) on ${ctx.host.name} cannot resolve: it needs ${old.needed}`, {
            state: 'nothing was changed on the host',
            hint: `install the Compose v2 plugin ${old.feature.since} or later on the host (docker compose), or give the included files in \`compose-file\` instead (newline- or comma-separated, in order, as \`docker compose -f a -f b\` merges them)`
        });
}
/**
 * The prepare phase, one session: the ports the strategy needs are free, the release directory is written,
 * the host's compose resolves the files, the images are pulled (with a registry login in a private
 * DOCKER_CONFIG removed at the end) and their digests read.
 */
async function preparePhase(ctx, s, d, release, extraFiles = [], user) {
    const { host } = ctx;
    const tool = s.tools.compose;
    const info = (0, compose_files_js_1.composeInfo)(d);
    checkComposeVersion(ctx, s, info);
    const slotted = (0, strategy_js_1.usesSlots)(ctx.strategy);
    const before = s.before?.active;
    const slot = (0, layout_js_1.otherSlot)(before?.slot);
    const pf = (0, proxy_js_1.proxyFiles)(host.layout.proxy);
    const cfg = (0, posix_1.join)(host.layout.root, `.docker-${release.id}`);
    const files = [
        { path: (0, run_js_1.releaseFile)(release.id, run_js_1.COMPOSE_FILE), content: d.composeText },
        { path: (0, run_js_1.releaseFile)(release.id, '.env'), content: d.envText },
        { path: (0, run_js_1.releaseFile)(release.id, run_js_1.IMAGES_FILE), content: (0, index_js_2.imagesOverride)(release.images) },
        ...extraFiles.map((f) => ({ path: (0, run_js_1.releaseFile)(release.id, f.name), content: f.content })),
        ...(user?.files ?? []).map((f) => ({ path: (0, run_js_1.releaseFile)(release.id, f.name), content: f.content })),
        (0, run_js_1.recordFile)(release)
    ];
    const withCfg = (argv) => (d.registry ? (0, index_js_3.withDockerConfig)(cfg, argv) : argv);
    const services = Object.entries(release.images);
    // Accessories' images (a database) are compose's own, by tag: fetched here when the host lacks them, with
    // this deploy's login (the start phase has none left), and never refreshed. Interpolated ones compose pulls.
    const fetch = (release.accessories ?? []).flatMap((a) => {
        const ref = info.images[a];
        return ref && !ref.includes('$') ? [[a, ref]] : [];
    });
    const steps = [
        ...(slotted
            ? [
                // Under the lock the idle slot serves nothing: what runs there was left by an interrupted run.
                {
                    name: 'clear the idle slot',
                    argv: (0, index_js_3.removeProjectContainersArgv)((0, layout_js_1.projectName)(d.app, (0, run_js_1.envSlug)(d), slot)),
                    check: false
                },
                { name: SLOT_CHECK, argv: (0, commands_js_1.portFreeArgv)((0, run_js_1.slotPort)(ctx.spec, slot)) },
                ...(ctx.spec.frontDoor
                    ? []
                    : [{ name: PUBLIC_CHECK, argv: (0, commands_js_1.publicPortArgv)(pf.pid, ctx.spec.publicPort) }])
            ]
            : []),
        ...(ctx.spec.frontDoor ? [(0, front_door_js_1.frontDoorCheckStep)(ctx.spec)] : []),
        (0, run_js_1.commitStep)(ctx, WRITE, files, [
            ...s.pending,
            (0, run_js_1.entry)(ctx, { ...s, release }, 'deploy.started', { strategy: d.strategy }),
            (0, run_js_1.entry)(ctx, { ...s, release }, 'release.written', { configHash: release.configHash })
        ]),
        ...(user ? (0, user_files_js_1.userComposeSteps)(host.layout, release.id, user) : []),
        {
            name: CONFIG,
            argv: (0, index_js_2.composeConfigArgv)(tool, (0, run_js_1.project)(ctx, release, {
                project: (0, layout_js_1.projectName)(d.app, (0, run_js_1.envSlug)(d)),
                port: d.publicPort ?? d.slotPorts[0]
            }))
        },
        // Logins a stopped run left behind (its removal step never ran) go first, whatever this deploy's registry.
        { name: SWEEP, argv: (0, commands_js_1.sweepDockerConfigsArgv)(host.layout.root), check: false },
        ...(d.registry
            ? [
                { name: 'private docker config', argv: ['mkdir', '-m', '700', '-p', cfg] },
                {
                    name: `docker login ${d.registry.registry}`,
                    argv: withCfg((0, index_js_3.loginArgv)(d.registry.registry, d.registry.username)),
                    stdin: d.registry.password
                }
            ]
            : []),
        ...services.flatMap(([service, ref]) => [
            { name: `pull ${service}`, argv: withCfg((0, index_js_3.pullArgv)(ref)) },
            { name: `inspect ${service}`, argv: (0, index_js_3.inspectArgv)(ref, '{{json .RepoDigests}} {{.Id}}') }
        ]),
        // From the deploy's registry with its login; from any other with the host user's own, as compose would.
        ...fetch.map(([a, ref]) => ({
            name: `${FETCH}${a}`,
            argv: (0, commands_js_1.pullIfMissingArgv)(ref, (0, images_js_1.registryOf)(ref) === d.registry?.registry ? withCfg((0, index_js_3.pullArgv)(ref)) : (0, index_js_3.pullArgv)(ref))
        })),
        ...(d.registry
            ? [{ name: 'remove the registry login', argv: (0, commands_js_1.removeTreeArgv)(cfg), always: true, check: false }]
            : [])
    ];
    const r = await host
        .phase('prepare', steps, 10 * 60_000 * Math.max(1, services.length))
        .catch((err) => {
        throw (0, run_js_1.failWith)(err, { ...s, release, written: true });
    });
    const written = r.get(WRITE)?.exitCode === 0;
    const next = {
        ...s,
        release,
        written,
        pending: written ? [] : s.pending,
        proxyWasUp: r.get(PUBLIC_CHECK)?.stdout.includes('proxy-up') ?? false
    };
    const swept = r.get(SWEEP)?.stdout.trim();
    if (swept)
        host.logger.warning(`${host.name}: removed registry logins a stopped run left behind (${swept.split('\n').length}): ${swept
            .replace(/removed /g, '')
            .split('\n')
            .join(', ')}`);
    for (const [a, ref] of fetch)
        if (r.get(`${FETCH}${a}`)?.exitCode === 0 && !r.get(`${FETCH}${a}`)?.stdout.includes('present'))
            host.logger.info(`${host.name}: fetched ${ref} for accessory ${a} (the host lacked it)`);
    for (const line of (r.get(user_files_js_1.ADOPT_DATA)?.stdout ?? '').split('\n').filter(Boolean))
        host.logger.warning(`${host.name}: ${line.startsWith('left') ? `${line} (data an earlier version of deploy-compose kept per release; not adopted: each copy is kept beside as <path>.earlier, never pruned, and those releases now bind data/ too: merge a copy into data/ by hand if it matters)` : `${line} (data an earlier version of deploy-compose kept per release; now in data/, shared by every release)`}`);
    const failed = r.failed(steps);
    if (!failed) {
        const digests = {};
        for (const [service, ref] of services)
            digests[service] = pickDigest(ref, r.get(`inspect ${service}`)?.stdout ?? '');
        return { ...next, release: { ...release, digests } };
    }
    const serving = before ? `release ${before.release} is still serving` : 'nothing was serving';
    let error;
    if (failed.name === SLOT_CHECK)
        error = new index_js_1.DeployError(`Slot port ${(0, run_js_1.slotPort)(ctx.spec, slot)} (${slot}) is already in use on ${host.name}: ${failed.stdout.trim().replace(/\s+/g, ' ')}`, {
            state: `nothing was started; ${serving}`,
            hint: 'stop what listens there, or choose other `slot-ports`'
        });
    else if (failed.name === PUBLIC_CHECK)
        error = new index_js_1.DeployError(`Public port ${ctx.spec.publicPort} is already in use on ${host.name} and not by this app's proxy: ${failed.stdout.trim().replace(/\s+/g, ' ')}`, { state: `nothing was started; ${serving}`, hint: 'free the port or choose another `public-port`' });
    else if (failed.name === front_door_js_1.FRONT_DOOR_CHECK)
        error = new index_js_1.DeployError(`${host.name}: ${(failed.stderr || failed.stdout).trim()}`, {
            state: `nothing was started; ${serving}`,
            hint: 'every app on a host shares one front door: see docs/front-door.md'
        });
    else if (failed.name === CONFIG)
        error = new index_js_1.DeployError(`compose-file is not valid for ${tool.generation === 'v2' ? 'docker compose' : 'docker-compose'} ${tool.version} on ${host.name}: ${(failed.stderr || failed.stdout).trim()}`, {
            state: 'the release directory was written; nothing was started',
            hint: 'fix the compose file (docker compose config -q shows the same error locally); files that need a newer compose (include, profiles) need it on the host'
        });
    else if (failed.name.startsWith('pull ')) {
        const service = failed.name.slice(5);
        const ref = release.images[service];
        error = new index_js_1.DeployError(`Pulling ${ref} (service ${service}) on ${host.name} failed: ${(failed.stderr || failed.stdout).trim().split('\n').join(' ')}`, {
            state: 'nothing was started; the previous release is untouched',
            hint: 'check that the registry is reachable from the host and that registry/username/password are right'
        });
    }
    else if (failed.name.startsWith(FETCH)) {
        const accessory = failed.name.slice(FETCH.length);
        error = new index_js_1.DeployError(`Fetching ${info.images[accessory]} (accessory ${accessory}) on ${host.name} failed: ${(failed.stderr || failed.stdout).trim().split('\n').join(' ')}`, {
            state: 'nothing was started; the previous release is untouched',
            hint: 'check the image name in the compose file; a private image needs `registry`/`username`/`password` for its registry, or a `docker login` of the deploy user on the host'
        });
    }
    else
        error = (0, host_js_1.stepError)(failed, host.name);
    throw (0, run_js_1.failWith)(error, next);
}
/** The digest the host pulled for `ref`: its RepoDigest in the same repository (parsed by packages/registry). */
function pickDigest(ref, inspect) {
    const [json = '[]', id = ''] = inspect.trim().split(' ');
    let digests = [];
    try {
        digests = JSON.parse(json);
    }
    catch {
        /* no digests */
    }
    const want = (0, images_js_1.repositoryOf)(ref);
    return digests.find((d) => (0, images_js_1.repositoryOf)(d) === want) ?? digests[0] ?? (id || ref);
}


/***/ }),

/***/ 7042:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.START_SCRIPT = void 0;
exports.startScript = startScript;
exports.startScriptPath = startScriptPath;
exports.bootLine = bootLine;
exports.bootHookArgv = bootHookArgv;
exports.bootHookCheckArgv = bootHookCheckArgv;
exports.bootHookRemoveArgv = bootHookRemoveArgv;
const posix_1 = __webpack_require__(3916);
/**
 * The proxy survives a reboot without root. The app's containers come back with docker's restart policy; the
 * per-app nginx is a process of the deploy user, so the switch leaves two things on the host:
 *
 *   <proxy>/start.sh   starts this proxy unless it runs (a pid file naming another process, as after a
 *                      reboot, does not count), and does nothing for an app with no active release;
 *   an `@reboot` line in the deploy user's crontab running it (cron runs it as that user at boot).
 *
 * No root, no systemd: cron is on every Debian and Ubuntu host. A host without `crontab` keeps deploying;
 * `doctor` says what is missing, and the docs give a systemd user unit as the other way.
 */
function startScript(guard, what) {
    return `#!/bin/sh
# written by deploy-actions: start ${what} unless it runs (the @reboot crontab line runs this at boot)
set -u
d=$(dirname "$0")
${guard}
PATH=$PATH:/usr/sbin:/sbin
pid=$(cat "$d/nginx.pid" 2>/dev/null || true)
if [ -n "$pid" ] && [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = nginx ]; then
  exit 0
fi
rm -f "$d/nginx.pid"
mkdir -p "$d/tmp"
exec nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf"
`;
}
exports.START_SCRIPT = startScript('[ -f "$d/../active.json" ] || exit 0', "this app's proxy");
function startScriptPath(proxyDir) {
    return (0, posix_1.join)(proxyDir, 'start.sh');
}
/** The crontab line that starts the proxy of `proxyDir` at boot. */
function bootLine(proxyDir) {
    return `@reboot /bin/sh ${startScriptPath(proxyDir)}`;
}
/**
 * Add the @reboot line to the user's crontab unless it is there (idempotent; under flock when the host has it,
 * since apps deploy to one host in parallel). Prints `boot-hook=installed|present|no-crontab`.
 */
function bootHookArgv(proxyDir, stateDir) {
    return [
        'sh',
        '-c',
        [
            'command -v crontab >/dev/null 2>&1 || { echo boot-hook=no-crontab; exit 0; }',
            'add() { if crontab -l 2>/dev/null | grep -qxF "$1"; then echo boot-hook=present; else { crontab -l 2>/dev/null; echo "$1"; } | crontab - && echo boot-hook=installed; fi; }',
            'if command -v flock >/dev/null 2>&1; then exec 9>"$2/.crontab.lock" && flock -w 30 9; fi',
            'add "$1"'
        ].join('\n'),
        'sh',
        bootLine(proxyDir),
        stateDir
    ];
}
/** Doctor: is the boot hook of this proxy in the crontab? Prints `boot-hook=present|missing|no-crontab`. */
function bootHookCheckArgv(proxyDir) {
    return [
        'sh',
        '-c',
        'command -v crontab >/dev/null 2>&1 || { echo boot-hook=no-crontab; exit 0; }; if crontab -l 2>/dev/null | grep -qxF "$1"; then echo boot-hook=present; else echo boot-hook=missing; fi; if pgrep -x cron >/dev/null 2>&1 || pgrep -x crond >/dev/null 2>&1; then echo cron=running; else echo cron=not-running; fi',
        'sh',
        bootLine(proxyDir)
    ];
}
/** Take a crontab line out again (`deploy-actions remove`). */
function bootHookRemoveArgv(proxyDir) {
    return [
        'sh',
        '-c',
        'command -v crontab >/dev/null 2>&1 || exit 0; if crontab -l 2>/dev/null | grep -qxF "$1"; then crontab -l 2>/dev/null | grep -vxF "$1" | crontab -; fi; true',
        'sh',
        bootLine(proxyDir)
    ];
}


/***/ }),

/***/ 2865:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.DEFAULT_PROXY = void 0;
exports.proxyFiles = proxyFiles;
exports.parseTrustedProxies = parseTrustedProxies;
exports.parseBodySize = parseBodySize;
exports.nginxConf = nginxConf;
exports.upstreamConf = upstreamConf;
const posix_1 = __webpack_require__(3916);
const node_net_1 = __webpack_require__(7030);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(9935);
function proxyFiles(proxyDir) {
    return {
        prefix: proxyDir,
        conf: (0, posix_1.join)(proxyDir, 'nginx.conf'),
        upstream: (0, posix_1.join)(proxyDir, 'upstream.conf'),
        pid: (0, posix_1.join)(proxyDir, 'nginx.pid')
    };
}
exports.DEFAULT_PROXY = {
    trustedProxies: [],
    maxBodySize: '100m',
    readTimeoutMs: 300_000,
    buffering: false,
    accessLog: true
};
/** `proxy-trusted`: addresses or CIDRs, one per line or comma-separated; refused (naming the input) otherwise. */
function parseTrustedProxies(items, input = 'proxy-trusted') {
    return items.map((raw) => {
        const t = raw.trim();
        const [addr, bits, extra] = t.split('/');
        const family = (0, node_net_1.isIP)(addr ?? '');
        const max = family === 6 ? 128 : 32;
        const ok = family !== 0 &&
            extra === undefined &&
            (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max));
        if (!ok)
            throw new index_js_1.InputError(input, `"${t}" is not an IP address or CIDR`, 'give the addresses of your TLS front ends, e.g. `10.0.0.0/8` or `127.0.0.1`, one per line');
        return t;
    });
}
/** `proxy-max-body-size`: `0` or digits with an optional k/m/g unit, as nginx reads it. */
function parseBodySize(text, input = 'proxy-max-body-size') {
    const t = text.trim().toLowerCase();
    if (!/^\d{1,9}[kmg]?$/.test(t))
        throw new index_js_1.InputError(input, `"${text}" is not a size`, 'give bytes with an optional unit k, m or g (e.g. `100m`), or 0 for no limit');
    return t;
}
/**
 * The app's nginx.conf. X-Forwarded-Proto, -Host, -Port and -For are taken from the request only when the
 * connection comes from a trusted front end, and set from the connection otherwise (a client cannot claim
 * https or another address). WebSocket upgrades pass through; responses are not buffered unless asked.
 * The shared pieces are the front door's (packages/frontdoor), so both proxies carry traffic alike.
 */
function nginxConf(files, bind, publicPort, options = exports.DEFAULT_PROXY) {
    const d = files.prefix;
    const o = options;
    return `# written by deploy-actions; traffic is switched by rewriting upstream.conf and \`nginx -s reload\`
worker_processes 1;
pid ${files.pid};
error_log ${(0, posix_1.join)(d, 'error.log')} warn;
events { worker_connections 1024; }
http {
  log_format deploy_actions '$remote_addr - [$time_iso8601] "$request" $status $body_bytes_sent '
                            '"$http_referer" "$http_user_agent" upstream=$upstream_addr '
                            'rt=$request_time urt=$upstream_response_time xff="$http_x_forwarded_for"';
  ${o.accessLog ? `access_log ${(0, posix_1.join)(d, 'access.log')} deploy_actions;` : 'access_log off;'}
${(0, index_js_2.tempPaths)(d)}  client_max_body_size ${o.maxBodySize};
${(0, index_js_2.forwardedMaps)(o.trustedProxies)}${index_js_2.WEBSOCKET_MAP}  upstream app {
    include ${files.upstream};
  }
  server {
    listen ${(0, index_js_2.listenAddress)(bind)}:${publicPort};
    location / {
${(0, index_js_2.proxyLocation)('app', o)}    }
  }
}
`;
}
function upstreamConf(port, release, slot) {
    return `# release ${release}, slot ${slot}\nserver 127.0.0.1:${port};\n`;
}


/***/ }),

/***/ 4607:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.Recorder = void 0;
const index_js_1 = __webpack_require__(893);
/** Shared by deploy and rollback: events to the caller, and the lines of each host's history. */
class Recorder {
    spec;
    deps;
    clock;
    events = [];
    /** When the run began (the clock's ms): a run's duration, for the deploy textfile. */
    startedMs;
    constructor(spec, deps, clock) {
        this.spec = spec;
        this.deps = deps;
        this.clock = clock;
        this.startedMs = clock.ms();
    }
    async emit(type, version, fields = {}) {
        const event = (0, index_js_1.makeEvent)(type, { app: this.spec.app, environment: this.spec.environment, version }, this.deps.context, { ...fields, ...slugField(this.spec) }, this.clock.now());
        this.events.push(event);
        try {
            await this.deps.onEvent?.(event);
        }
        catch (err) {
            this.deps.logger.warning(`event ${type}: ${(0, index_js_1.describeError)(err)}`);
        }
    }
    entry(host, event, fields) {
        return {
            time: this.clock.now().toISOString(),
            event,
            app: this.spec.app,
            environment: this.spec.environment,
            ...slugField(this.spec),
            actor: this.deps.context.actor,
            runUrl: this.deps.context.runUrl,
            host,
            ...fields
        };
    }
}
exports.Recorder = Recorder;
/** The environment's slug rides along where it differs from the name (`Staging EU` → `staging-eu`). */
function slugField(spec) {
    return spec.environmentSlug && spec.environmentSlug !== spec.environment
        ? { environmentSlug: spec.environmentSlug }
        : {};
}


/***/ }),

/***/ 4381:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.resolveUnverified = resolveUnverified;
exports.withoutCanary = withoutCanary;
const index_js_1 = __webpack_require__(3656);
const commands_js_1 = __webpack_require__(3639);
const finish_js_1 = __webpack_require__(2278);
const host_js_1 = __webpack_require__(6107);
const proxy_js_1 = __webpack_require__(2865);
const revert_js_1 = __webpack_require__(2055);
const run_js_1 = __webpack_require__(5692);
const CONTAINERS = 'check the unverified release runs';
/**
 * A run killed between its switch and its gate leaves active.json marked `unverified` (switch.ts). The next
 * deploy or rollback, once it holds the lock, resolves it before anything else:
 *   verify  the gate of this run (or, without one, the release's containers still run on the host): the
 *           switch is recorded as verified (`switch.verified`), the release as deployed;
 *   revert  otherwise traffic goes back to what served before the switch (its slot still runs: the old slot
 *           is stopped only after the mark is cleared), recorded as `switch.reverted`.
 * Either way the history says what was found and what was done, and the run goes on from the result.
 */
async function resolveUnverified(ctx, s0) {
    const s = await resolveCanary(ctx, s0);
    const active = s.known.active;
    const mark = active?.unverified;
    if (!active || !mark)
        return s;
    const { host } = ctx;
    const record = s.known.releases.find((r) => r.id === active.release);
    const previous = mark.previous ? withoutMark(mark.previous) : undefined;
    const prevRecord = previous ? s.known.releases.find((r) => r.id === previous.release) : undefined;
    host.logger.warning(`${host.name}: release ${active.release} was switched to by ${mark.runUrl || 'an earlier run'} but never verified (the run ended before its gate); checking it now`);
    const verdict = await verify(ctx, s, active, record);
    const clean = withoutMark(active);
    const base = {
        release: active.release,
        switchedBy: mark.runUrl,
        check: verdict.how,
        evidence: verdict.reason
    };
    if (verdict.ok || !previous || !prevRecord) {
        const deployed = record
            ? { ...record, status: 'deployed', activatedAt: record.activatedAt ?? active.since }
            : undefined;
        const line = ctx.rec.entry(host.name, verdict.ok ? 'switch.verified' : 'switch.kept', {
            ...base,
            ...(verdict.ok ? {} : { reason: 'it failed its check, but nothing served before it to go back to' })
        });
        const steps = [
            (0, run_js_1.commitStep)(ctx, 'record the switch verified', [
                { path: 'active.json', content: JSON.stringify(clean) + '\n' },
                ...(deployed && verdict.ok ? [(0, run_js_1.recordFile)(deployed)] : [])
            ], [...s.pending, line])
        ];
        (await host.phase('resolve', steps, 60_000)).expectOk(steps);
        const r = verdict.ok ? (deployed ?? record) : record;
        return {
            ...s,
            pending: [],
            known: { ...s.known, active: clean, releases: replace(s.known.releases, r) },
            before: { active: clean, ...(r ? { record: r } : {}) }
        };
    }
    // Back to what served before: revertPhase with the unverified release as the candidate that had switched.
    const failed = record
        ? { ...record, status: 'failed', reason: `never verified; ${verdict.reason}` }
        : undefined;
    const reverted = await (0, revert_js_1.revertPhase)(ctx, {
        ...s,
        before: { active: previous, record: prevRecord },
        candidate: clean,
        ...(failed ? { release: failed } : {}),
        switched: true,
        written: true
    });
    const line = ctx.rec.entry(host.name, 'switch.reverted', {
        ...base,
        from: active.release,
        to: previous.release
    });
    const steps = [
        (0, run_js_1.commitStep)(ctx, 'record the switch reverted', failed ? [(0, run_js_1.recordFile)(failed)] : [], [...s.pending, line])
    ];
    (await host.phase('resolve', steps, 60_000)).expectOk(steps);
    return {
        ...reverted.state,
        release: undefined,
        candidate: undefined,
        written: false,
        pending: [],
        known: { ...s.known, active: previous, releases: replace(s.known.releases, failed) },
        before: { active: previous, record: prevRecord }
    };
}
async function verify(ctx, s, active, record) {
    if (ctx.spec.gate && record) {
        // This run's gate (its URLs, thresholds, metrics), expecting of the answers what the switching run did.
        const expect = active.unverified?.expect;
        const judge = expect
            ? { ...ctx, spec: { ...ctx.spec, gate: (0, index_js_1.withExpectations)(ctx.spec.gate, expect) } }
            : ctx;
        const g = await (0, finish_js_1.gatePhase)(judge, { ...s, pending: [] }, record);
        if (g.result)
            return { ok: g.result.verdict === 'healthy', how: 'gate', reason: g.result.reason };
    }
    const steps = [
        { name: CONTAINERS, argv: (0, commands_js_1.stillRunningArgv)(active.project, 2, 1), check: false }
    ];
    const r = (await ctx.host.phase('verify', steps, 30_000)).get(CONTAINERS);
    const ok = r?.exitCode === 0;
    return {
        ok,
        how: 'containers',
        reason: ok ? `the containers of ${active.project} run` : r?.stdout.trim() || 'its containers do not run'
    };
}
const CANARY_BACK = 'all traffic back to the stable release (nginx -t, reload)';
/**
 * A canary run killed part way through a step leaves the proxy weighting traffic between the stable release
 * and an unverified canary (active.json `canary`). Before anything else (a prepare clears the canary's slot), all
 * traffic goes back to the stable release active.json names, with a drain for the requests the canary holds;
 * recorded as `canary.resolved`. The canary release is never verified this way: it passed no gate.
 */
async function resolveCanary(ctx, s) {
    const active = s.known.active;
    const mark = active?.canary;
    if (!active || !mark)
        return s;
    const { host, spec } = ctx;
    host.logger.warning(`${host.name}: ${mark.percent}% of traffic still went to canary release ${mark.release} (slot ${mark.slot}), left by ${mark.runUrl || 'an earlier run'} that ended part way through a step; all traffic goes back to release ${active.release} first`);
    const clean = withoutCanary(active);
    const steps = [];
    if (active.slot && active.port !== undefined) {
        const proxy = (0, proxy_js_1.proxyFiles)(host.layout.proxy);
        steps.push((0, run_js_1.commitStep)(ctx, 'write the stable upstream', [{ path: 'proxy/upstream.conf', content: (0, proxy_js_1.upstreamConf)(active.port, active.release, active.slot) }], []), { name: CANARY_BACK, argv: (0, commands_js_1.proxySwitchArgv)(proxy.conf, proxy.prefix) }, ...(spec.drainMs > 0 ? [{ name: 'drain', argv: ['sleep', String(spec.drainMs / 1000)] }] : []));
    }
    steps.push((0, run_js_1.commitStep)(ctx, 'record the canary resolved', [{ path: 'active.json', content: JSON.stringify(clean) + '\n' }], [
        ...s.pending,
        ctx.rec.entry(host.name, 'canary.resolved', {
            release: active.release,
            canary: mark.release,
            percent: mark.percent,
            switchedBy: mark.runUrl
        })
    ]));
    const r = await host.phase('resolve canary', steps, 60_000 + spec.drainMs);
    const failed = r.failed(steps);
    if (failed)
        throw (0, host_js_1.stepError)(failed, host.name);
    return {
        ...s,
        pending: [],
        known: { ...s.known, active: clean },
        before: { ...s.before, active: clean }
    };
}
/** active.json without a canary step's mark. */
function withoutCanary(a) {
    const { canary: _drop, ...rest } = a;
    return rest;
}
function withoutMark(a) {
    const { unverified: _drop, ...rest } = a;
    return rest;
}
function replace(list, r) {
    return r ? list.map((x) => (x.id === r.id ? r : x)) : list;
}


/***/ }),

/***/ 2523:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.prunePlan = prunePlan;
/**
 * Keep the newest `keep` releases, the one activated and the one it replaced; the rest go with the images
 * no kept release references (a container still using one keeps it: docker refuses). Pure.
 */
function prunePlan(known, activated, keep) {
    const all = [...known.releases.filter((r) => r.id !== activated.id), activated].sort((a, b) => a.id.localeCompare(b.id));
    if (keep <= 0 || all.length <= keep)
        return { drop: [], images: [], tags: {} };
    const protect = new Set([activated.id, activated.previous].filter(Boolean));
    for (const r of all.slice(-keep))
        protect.add(r.id);
    const drop = all.filter((r) => !protect.has(r.id));
    const kept = new Set(all.filter((r) => protect.has(r.id)).flatMap((r) => Object.values(r.digests)));
    const images = [...new Set(drop.flatMap((r) => Object.values(r.digests)))].filter((i) => !kept.has(i));
    const tags = {};
    for (const r of drop)
        for (const [service, digest] of Object.entries(r.digests)) {
            const ref = r.images[service];
            if (images.includes(digest) && ref && ref !== digest && !ref.includes('@'))
                tags[digest] ??= ref;
        }
    return { drop: drop.map((r) => r.id), images, tags };
}


/***/ }),

/***/ 2055:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.persist = persist;
exports.revertPhase = revertPhase;
exports.recordFailure = recordFailure;
exports.closeHost = closeHost;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2804);
const accessories_js_1 = __webpack_require__(6427);
const commands_js_1 = __webpack_require__(3639);
const layout_js_1 = __webpack_require__(5759);
const host_js_1 = __webpack_require__(6107);
const lock_js_1 = __webpack_require__(4654);
const proxy_js_1 = __webpack_require__(2865);
const front_door_js_1 = __webpack_require__(9371);
const run_js_1 = __webpack_require__(5692);
const switch_js_1 = __webpack_require__(6445);
const textfile_js_1 = __webpack_require__(3200);
/** Retry a cleanup phase across a short connection outage: cleanup must not give up at the first drop. */
async function persist(what, logger, fn, attempts = 5) {
    for (let i = 1;; i++) {
        try {
            return await fn();
        }
        catch (err) {
            if (!(err instanceof index_js_1.ConnectionError) || i >= attempts)
                throw err;
            logger.warning(`${what}: ${err.message.split('\n')[0]}; retrying (${i}/${attempts - 1})`);
            await new Promise((r) => setTimeout(r, 1000 * i));
        }
    }
}
const LOCK_OURS = 'the deploy lock is still this run';
const OLD_READY = 'wait until the previous release is ready';
const RESTORE_RETIRED = "start the serving release's retired services again";
/**
 * Undo, one session: traffic back to what served before (its slot still runs), or `up -d` of the previous
 * release (recreate); the candidate stops. A first release that failed leaves no proxy and no `current`
 * behind, so nothing answers 502 on the public port.
 */
async function revertPhase(ctx, s) {
    const { host } = ctx;
    const old = s.before;
    // First: the lock is still ours. A finish the link cut may have completed on the host (released the lock,
    // stopped the old slot): that release passed its gate and stays.
    const steps = s.lock
        ? [{ name: LOCK_OURS, argv: (0, commands_js_1.lockOursArgv)(host.layout.lock, s.lock.holder.token) }]
        : [];
    let restored = !old;
    // The serving release's own copies of what became accessories with this release: back before traffic is.
    if (s.retired && old)
        steps.push({
            name: RESTORE_RETIRED,
            argv: (0, accessories_js_1.restoreRetiredArgv)((0, accessories_js_1.accessoriesProject)(ctx.spec.app, (0, run_js_1.envSlug)(ctx.spec)), s.retired.project, s.retired.services),
            check: false
        });
    if (s.switched && old?.record) {
        const up = (0, index_js_2.composeUpArgv)(s.tools.compose, (0, run_js_1.project)(ctx, old.record, old.active), (0, accessories_js_1.releaseUpOptions)(old.record));
        if (!old.active.slot)
            steps.push({ name: `compose up ${old.active.project} (previous release)`, argv: up });
        else if (s.oldStopped) {
            // The finish stopped the old slot: traffic goes back only to a slot that runs and answers again.
            const port = old.active.port;
            const url = ctx.spec.slotCheckPath && port !== undefined && s.tools?.http
                ? (0, commands_js_1.hostHttpCheckArgv)(s.tools.http, `http://127.0.0.1:${port}${ctx.spec.slotCheckPath}`, 3)
                : [];
            steps.push({
                name: `start ${old.active.project} (previous release)`,
                argv: (0, commands_js_1.startSlotArgv)(old.active.project, (0, layout_js_1.releaseDir)(host.layout, old.record.id), up)
            }, {
                name: OLD_READY,
                argv: (0, commands_js_1.waitReadyArgv)(old.active.project, Math.min(ctx.spec.startTimeoutMs, host.deadline.remaining()) / 1000, url)
            });
        }
        steps.push(...(0, switch_js_1.switchSteps)(ctx, s, old.active, old.record, []));
        restored = true;
    }
    else if (old?.record)
        restored = true;
    if (!old && s.candidate) {
        const proxy = (0, proxy_js_1.proxyFiles)(host.layout.proxy);
        if (ctx.spec.frontDoor && s.switched)
            steps.push((0, front_door_js_1.frontDoorRemoveStep)(ctx.spec));
        else if (!s.proxyWasUp && s.candidate.slot)
            steps.push({ name: 'stop the proxy', argv: (0, commands_js_1.proxyStopArgv)(proxy.conf, proxy.prefix), check: false });
        steps.push({
            name: 'forget the failed first release',
            argv: ['rm', '-f', '--', host.layout.active, host.layout.current],
            check: false
        });
    }
    const cand = s.candidate;
    if (cand && s.release && cand.project !== old?.active.project)
        steps.push({
            name: `stop ${cand.project}`,
            argv: (0, index_js_2.composeDownArgv)(s.tools.compose, (0, run_js_1.project)(ctx, s.release, cand), {
                removeOrphans: true,
                timeoutS: 5
            }),
            check: false
        });
    if (steps.length) {
        const r = await persist('revert', host.logger, () => host.phase('revert', steps, 5 * 60_000));
        const failed = r.failed(steps);
        if (failed?.name === LOCK_OURS)
            return {
                state: { ...s, lockReleased: true },
                serving: `release ${s.release?.id} is serving on ${host.name}, untouched: the deploy lock there is no longer this run's (its finish completed on the host, or another run took over)`,
                restored: false,
                left: true
            };
        if (failed)
            throw (0, host_js_1.stepError)(failed, host.name);
        const back = r.get(RESTORE_RETIRED);
        if (back && s.retired) {
            if (back.exitCode !== 0)
                host.logger.warning(`${host.name}: could not start ${s.retired.services.join(', ')} of ${s.retired.project} again (${(back.stderr || back.stdout).trim().split('\n')[0]}): start them by hand (docker start)`);
            else {
                host.logger.info(`${host.name}: ${back.stdout.trim().split('\n').join(', ')} in ${s.retired.project}`);
                const line = ctx.rec.entry(host.name, 'accessories.restored', {
                    release: old?.active.release,
                    project: s.retired.project,
                    services: s.retired.services
                });
                return finish({ ...s, retired: undefined, pending: [...s.pending, line] });
            }
        }
    }
    return finish(s);
    function finish(st) {
        const serving = old
            ? `release ${old.active.release} is serving on ${host.name}`
            : `nothing is serving on ${host.name} (there was no earlier release)`;
        return { state: { ...st, switched: false }, serving, restored };
    }
}
/**
 * The last session of a failed run: the release's record (when its directory exists) and the history lines,
 * then the lock.
 */
async function recordFailure(ctx, s, history, release) {
    const { host } = ctx;
    const steps = [
        (0, run_js_1.commitStep)(ctx, 'record the failure', release && s.written ? [(0, run_js_1.recordFile)(release)] : [], [
            ...s.pending,
            ...history
        ])
    ];
    // What serves now: the failed release when it still holds traffic (auto-rollback off), else what served before.
    const textfile = (0, textfile_js_1.textfileStep)(ctx, s.switched ? s.release : s.before?.record, false);
    if (textfile)
        steps.push(textfile);
    if (s.lock)
        steps.push((0, lock_js_1.lockReleaseStep)(host.layout.lock, s.lock.holder.token));
    const r = await persist('record the failure', host.logger, () => host.phase('record', steps, 60_000));
    (0, textfile_js_1.textfileWarning)(ctx, r.get(textfile_js_1.TEXTFILE_STEP));
    const released = r.get('release the deploy lock')?.exitCode === 0;
    if (released) {
        await s.lock?.stop();
        ctx.deps.onLock?.(host.name, undefined);
    }
    const failed = r.failed(steps);
    if (failed)
        throw (0, host_js_1.stepError)(failed, host.name);
    return { ...s, pending: [], lockReleased: released };
}
/** Let go of the lock (unless a phase did) and the connection. Never throws. */
async function closeHost(ctx, s) {
    try {
        if (s.lock && !s.lockReleased) {
            await persist('release the lock', ctx.host.logger, () => s.lock.release(), 3);
            ctx.deps.onLock?.(ctx.host.name, undefined);
        }
        else
            await s.lock?.stop();
    }
    catch (err) {
        ctx.host.logger.warning(`could not release the lock on ${ctx.host.name}: ${err.message.split('\n')[0]}; the next run will report it as stale`);
    }
    await ctx.host.executor.close().catch(() => undefined);
}


/***/ }),

/***/ 1957:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.chooseTarget = chooseTarget;
exports.describeChanges = describeChanges;
exports.hostSpec = hostSpec;
exports.rollback = rollback;
const index_js_1 = __webpack_require__(893);
const node_net_1 = __webpack_require__(7030);
const clock_js_1 = __webpack_require__(8751);
const deploy_js_1 = __webpack_require__(4493);
const finish_js_1 = __webpack_require__(2278);
const host_js_1 = __webpack_require__(6107);
const resolve_js_1 = __webpack_require__(4381);
const recorder_js_1 = __webpack_require__(4607);
const revert_js_1 = __webpack_require__(2055);
const run_js_1 = __webpack_require__(5692);
const start_js_1 = __webpack_require__(3245);
const swarm_js_1 = __webpack_require__(7757);
/** Pick the release to go back to. Pure. */
function chooseTarget(state, to) {
    const current = state.active?.release ?? state.current;
    const usable = state.releases.filter((r) => r.status === 'deployed' && r.id !== current);
    if (to) {
        const byId = state.releases.find((r) => r.id === to);
        const found = byId ?? [...state.releases].reverse().find((r) => r.version === to && r.status === 'deployed');
        if (!found)
            return { problem: `no release ${to} on the host` };
        if (found.id === current)
            return { problem: `release ${to} is already serving` };
        if (found.status !== 'deployed')
            return { problem: `release ${found.id} never served (status ${found.status})` };
        return found;
    }
    const cur = state.releases.find((r) => r.id === current);
    const prev = cur?.previous ? usable.find((r) => r.id === cur.previous) : undefined;
    const target = prev ?? usable[usable.length - 1];
    return (target ?? {
        problem: current
            ? `release ${current} serves and no earlier release that served is kept`
            : 'nothing was ever deployed here'
    });
}
function describeChanges(from, to) {
    const changes = [];
    const services = new Set([...Object.keys(from?.digests ?? {}), ...Object.keys(to.digests)]);
    for (const s of services) {
        const a = from?.digests[s];
        const b = to.digests[s];
        if (a !== b)
            changes.push(`${s}: ${a ?? '(none)'} → ${b ?? '(none)'}`);
    }
    if (from && from.configHash !== to.configHash)
        changes.push(`configuration (compose file, .env): ${from.configHash.slice(7, 19)} → ${to.configHash.slice(7, 19)}`);
    changes.push(`version: ${from?.version ?? '(none)'} → ${to.version}`);
    return changes;
}
/**
 * Inputs left empty take what the host recorded at the last switch: host, app and environment suffice. What
 * active.json says feeds nginx.conf and compose, so it is checked as the inputs are: a value that is not an IP
 * address, a port or a variable name is refused, naming the input that replaces it.
 */
function hostSpec(spec, r) {
    const a = r.state.before?.active;
    if (a)
        checkRecorded(a, r.ctx.host.name, {
            proxy: spec.publicPort === undefined,
            portVar: spec.portVar === 'PORT'
        });
    return {
        ...spec,
        ...(spec.publicPort === undefined && a?.publicPort !== undefined
            ? {
                publicPort: a.publicPort,
                slotPorts: a.slotPorts ?? spec.slotPorts,
                proxyBind: a.proxyBind ?? spec.proxyBind,
                ...(a.proxy ? { proxy: a.proxy } : {})
            }
            : {}),
        ...(spec.frontDoor === undefined && a?.frontDoor !== undefined
            ? {
                frontDoor: a.frontDoor,
                slotPorts: a.slotPorts ?? spec.slotPorts,
                proxyBind: a.proxyBind ?? spec.proxyBind,
                ...(a.proxy ? { proxy: a.proxy } : {})
            }
            : {}),
        ...(a?.portVar && spec.portVar === 'PORT' ? { portVar: a.portVar } : {})
    };
}
function checkRecorded(a, host, used) {
    const port = (p) => Number.isInteger(p) && p >= 1 && p <= 65535;
    const bad = (what, value, input) => new index_js_1.DeployError(`active.json on ${host} records ${what} ${JSON.stringify(value)}, which is not valid`, {
        state: 'nothing was changed on the host',
        hint: `give \`${input}\` (the file may have been edited by hand); the next deploy rewrites active.json`
    });
    if (used.proxy && a.proxyBind !== undefined && (typeof a.proxyBind !== 'string' || (0, node_net_1.isIP)(a.proxyBind) === 0))
        throw bad('proxyBind', a.proxyBind, 'proxy-bind');
    if (used.proxy && a.publicPort !== undefined && !port(a.publicPort))
        throw bad('publicPort', a.publicPort, 'public-port');
    // [0, 0] is what a deploy without slots records (recreate without public-port, swarm): no slot ports.
    const noSlots = Array.isArray(a.slotPorts) && a.slotPorts.length === 2 && a.slotPorts.every((p) => p === 0);
    if (a.slotPorts !== undefined &&
        !noSlots &&
        !(Array.isArray(a.slotPorts) && a.slotPorts.length === 2 && a.slotPorts.every(port)))
        throw bad('slotPorts', a.slotPorts, 'slot-ports');
    if (a.portVar !== undefined &&
        !(typeof a.portVar === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(a.portVar)))
        throw bad('portVar', a.portVar, 'port-variable');
}
/**
 * Re-activate an earlier release from the host's own release directory, gated like a deploy. Per host:
 * open (lock, releases), start and switch in one session, the gate, finish: four sessions with the no-op.
 */
async function rollback(spec, deps) {
    const clock = (0, clock_js_1.clockFrom)(deps.now);
    const started = clock.ms();
    const rec = new recorder_js_1.Recorder(spec, deps, clock);
    const deadline = new host_js_1.Deadline(spec.timeoutMs, 'rollback', clock);
    const outcome = {
        ok: false,
        releaseId: '',
        rolledBack: false,
        dryRun: spec.dryRun,
        plan: [],
        durationMs: 0,
        events: rec.events,
        hosts: []
    };
    let runs = [];
    try {
        runs = await (0, deploy_js_1.openHosts)(spec, deps, rec, deadline, 'recreate', 'rollback', {
            lock: !spec.dryRun,
            needNginx: false
        });
    }
    catch (err) {
        outcome.error = err instanceof index_js_1.DeployActionsError ? err : new index_js_1.DeployError((0, index_js_1.describeError)(err));
        outcome.durationMs = clock.ms() - started;
        return outcome;
    }
    try {
        // A switch an earlier (killed) run never verified is resolved first: verified, or reverted.
        if (!spec.dryRun)
            for (const r of runs) {
                try {
                    const strategy = r.state.before?.active.strategy ?? r.ctx.strategy;
                    const ctx = { ...r.ctx, spec: hostSpec(r.ctx.spec, r), strategy };
                    r.state = await (0, resolve_js_1.resolveUnverified)(ctx, r.state);
                }
                catch (err) {
                    r.state = (0, run_js_1.stateAfter)(err, r.state);
                    throw err;
                }
            }
        const targets = [];
        for (const r of runs) {
            const s = r.state;
            const t = chooseTarget(s.known, spec.to);
            if ('problem' in t)
                throw new index_js_1.DeployError(`Cannot roll back ${spec.app}/${spec.environment} on ${r.ctx.host.name}: ${t.problem}`, {
                    state: 'nothing was changed',
                    hint: `releases there: ${s.known.releases.map((x) => `${x.id} (${x.version}, ${x.status})`).join(', ') || 'none'}; give one as \`to\``
                });
            targets.push(t);
            outcome.plan.push({
                host: r.ctx.host.name,
                ...(s.before ? { from: s.before.active.release } : {}),
                to: t.id,
                changes: describeChanges(s.before?.record, t),
                candidates: s.known.releases.map((x) => ({
                    id: x.id,
                    version: x.version,
                    status: x.status,
                    createdAt: x.createdAt,
                    current: x.id === s.before?.active.release
                }))
            });
        }
        outcome.releaseId = targets[0].id;
        outcome.fromReleaseId = runs[0].state.before?.active.release;
        if (spec.dryRun) {
            outcome.ok = true;
            return outcome;
        }
        for (let i = 0; i < runs.length; i++) {
            const r = runs[i];
            const target = targets[i];
            // The strategy the app runs with now decides how to switch (slots and proxy, or recreate).
            const strategy = r.state.before?.active.strategy ?? target.strategy;
            const run = (0, run_js_1.newHostRun)({ ...r.ctx, spec: hostSpec(r.ctx.spec, r), strategy }, { ...r.state, release: target });
            runs[i] = run;
            const from = run.state.before?.active.release ?? null;
            run.state = {
                ...run.state,
                pending: [
                    ...run.state.pending,
                    // A rollback run in a critical environment is the workflows' automatic answer to a failed soak: an
                    // incident against the release it leaves (as the notifier sends it), kept for delivery reports.
                    ...(spec.critical && !spec.drill && from
                        ? [
                            (0, run_js_1.entry)(run.ctx, run.state, 'incident.opened', {
                                release: from,
                                version: run.state.before?.record?.version,
                                failedRelease: from,
                                reason: spec.reason,
                                serving: `release ${target.id}`,
                                severity: 'critical',
                                automatic: true
                            })
                        ]
                        : []),
                    (0, run_js_1.entry)(run.ctx, run.state, 'rollback.started', {
                        from,
                        reason: spec.reason,
                        ...(spec.drill ? { drill: true } : {})
                    })
                ]
            };
            try {
                run.state =
                    strategy === 'swarm'
                        ? await (0, swarm_js_1.activateSwarm)(run.ctx, run.state, target)
                        : await (0, start_js_1.startPhase)(run.ctx, run.state, { writeRecord: false, alsoSwitch: true });
            }
            catch (err) {
                run.state = (0, run_js_1.stateAfter)(err, run.state);
                throw err;
            }
            const g = await (0, finish_js_1.gatePhase)(run.ctx, run.state, target);
            run.state = g.state;
            if (g.result)
                outcome.gate = g.result;
            if (g.result && g.result.verdict !== 'healthy')
                throw new index_js_1.HealthError(`Rollback target ${target.id} failed its ${(0, deploy_js_1.gateFailure)(g.result)} on ${r.ctx.host.name}`, {
                    hint: 'read the gate evidence'
                });
            try {
                const done = [
                    (0, run_js_1.entry)(run.ctx, run.state, 'rollback.executed', {
                        from,
                        to: target.id,
                        reason: spec.reason,
                        ...(spec.drill ? { drill: true } : {})
                    })
                ];
                run.state =
                    strategy === 'swarm'
                        ? await (0, swarm_js_1.finishSwarmRun)(run.ctx, { ...run.state, release: target }, done)
                        : await (0, finish_js_1.finishPhase)(run.ctx, run.state, 0, done);
            }
            catch (err) {
                run.state = (0, run_js_1.stateAfter)(err, run.state);
                throw err;
            }
        }
        outcome.ok = true;
        outcome.rolledBack = true;
        await rec.emit('rollback.executed', targets[0].version, {
            release: outcome.releaseId,
            from: outcome.fromReleaseId ?? '',
            reason: spec.reason
        });
    }
    catch (err) {
        const error = err instanceof index_js_1.DeployActionsError ? err : new index_js_1.DeployError((0, index_js_1.describeError)(err));
        const serving = [];
        for (const r of runs) {
            if (!r.state.candidate)
                continue;
            try {
                const rv = r.ctx.strategy === 'swarm' ? await (0, swarm_js_1.revertSwarm)(r.ctx, r.state) : await (0, revert_js_1.revertPhase)(r.ctx, r.state);
                r.state = rv.state;
                serving.push(rv.serving);
                r.state = await (0, revert_js_1.recordFailure)(r.ctx, r.state, [
                    (0, run_js_1.entry)(r.ctx, r.state, 'rollback.failed', { reason: error.message.split('\n')[0] })
                ]);
            }
            catch (cleanupErr) {
                serving.push(`cleanup on ${r.ctx.host.name} failed: ${(0, index_js_1.describeError)(cleanupErr).split('\n')[0]}`);
            }
        }
        outcome.error =
            serving.length === 0
                ? error
                : new index_js_1.DeployError(`Rollback of ${spec.app}/${spec.environment} to ${outcome.releaseId} failed: ${error.message}`, {
                    state: serving.join('; '),
                    hint: 'the release that served before is back; pick another `to` (dry-run lists them) or fix forward (docs/runbooks/manual-rollback.md)',
                    cause: err
                });
    }
    finally {
        for (const r of runs) {
            outcome.hosts.push({
                ...(0, deploy_js_1.hostOutcome)(r, outcome.rolledBack)
            });
            await (0, revert_js_1.closeHost)(r.ctx, r.state);
        }
    }
    outcome.durationMs = clock.ms() - started;
    return outcome;
}


/***/ }),

/***/ 5692:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.ACCESSORIES_STATE = exports.NETWORK_FILE = exports.VOLUMES_FILE = exports.IMAGES_FILE = exports.COMPOSE_FILE = void 0;
exports.newHostRun = newHostRun;
exports.entry = entry;
exports.releaseFile = releaseFile;
exports.recordFile = recordFile;
exports.commitStep = commitStep;
exports.project = project;
exports.slotPort = slotPort;
exports.envSlug = envSlug;
exports.failWith = failWith;
exports.stateAfter = stateAfter;
const posix_1 = __webpack_require__(3916);
const commands_js_1 = __webpack_require__(3639);
const layout_js_1 = __webpack_require__(5759);
const tar_js_1 = __webpack_require__(8422);
exports.COMPOSE_FILE = 'compose.yml';
exports.IMAGES_FILE = 'compose.images.yml';
exports.VOLUMES_FILE = 'compose.volumes.yml';
exports.NETWORK_FILE = 'compose.network.yml';
/** The host's record of its accessories (accessories.ts), in the app's state directory. */
exports.ACCESSORIES_STATE = 'accessories.state';
/** A fresh host run: nothing known yet. */
function newHostRun(ctx, state = {}) {
    return {
        ctx,
        state: {
            lockReleased: false,
            known: { releases: [] },
            written: false,
            switched: false,
            proxyWasUp: false,
            pending: [],
            ...state
        }
    };
}
function entry(ctx, s, event, fields = {}) {
    return ctx.rec.entry(ctx.host.name, event, {
        release: s.release?.id,
        version: s.release?.version,
        ...fields
    });
}
function releaseFile(id, name) {
    return `releases/${id}/${name}`;
}
function recordFile(r) {
    return { path: releaseFile(r.id, 'release.json'), content: JSON.stringify(r) + '\n' };
}
/** Files (relative to the app root) and history lines as one step; optionally re-point `current`. */
function commitStep(ctx, name, files, history, link) {
    const all = [...files];
    if (history.length)
        all.push({ path: commands_js_1.HISTORY_ADD, content: history.map((e) => JSON.stringify(e)).join('\n') + '\n' });
    return { name, argv: (0, commands_js_1.commitArgv)(ctx.host.layout.root, link), stdin: (0, tar_js_1.tarball)(all) };
}
/** The compose project of a release as it runs (or ran) in `active`. */
function project(ctx, release, active) {
    const dir = (0, layout_js_1.releaseDir)(ctx.host.layout, release.id);
    const overrides = release.overrides ?? [exports.IMAGES_FILE];
    return {
        project: active.project,
        files: [(0, posix_1.join)(dir, exports.COMPOSE_FILE), ...overrides.map((f) => (0, posix_1.join)(dir, f))],
        ...(active.port !== undefined ? { vars: { [ctx.spec.portVar]: String(active.port) } } : {})
    };
}
function slotPort(spec, slot) {
    return slot === 'blue' ? spec.slotPorts[0] : spec.slotPorts[1];
}
function envSlug(spec) {
    return spec.environmentSlug ?? spec.environment;
}
const STATE = Symbol('runState');
/** A phase failed: the error carries the state the host was left in (what was written, switched, …). */
function failWith(err, s) {
    err[STATE] = s;
    return err;
}
function stateAfter(err, fallback) {
    const s = err && typeof err === 'object' ? err[STATE] : undefined;
    return s ?? fallback;
}


/***/ }),

/***/ 9600:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.SCAN_REPORT_FILE = void 0;
exports.readReleaseScan = readReleaseScan;
const node_crypto_1 = __webpack_require__(7598);
const index_js_1 = __webpack_require__(893);
/** The release directory's copy of the report its image was judged on (the rescan and operators read it). */
exports.SCAN_REPORT_FILE = 'scan-report.json';
const FIX = "pass scan-gate's `report-file` and `record` outputs of the same step";
/**
 * `scan-report` and `scan-verdict`, together or not at all: the verdict must name the sha256 of the report
 * given, so the release record never describes another file than the one in its directory.
 */
function readReleaseScan(inputs, readFile) {
    const path = inputs.optional('scan-report');
    const verdict = inputs.optional('scan-verdict');
    if (!path && !verdict)
        return {};
    if (!path)
        throw new index_js_1.InputError('scan-report', 'scan-verdict is given without the report it judged', FIX);
    if (!verdict)
        throw new index_js_1.InputError('scan-verdict', `scan-report (${path}) is given without its verdict`, FIX);
    let parsed;
    try {
        parsed = JSON.parse(verdict);
    }
    catch {
        parsed = undefined;
    }
    const record = (0, index_js_1.asScanRecord)(parsed);
    if (!record)
        throw new index_js_1.InputError('scan-verdict', 'is not a scan verdict (a JSON object with verdict pass|fail, counts and the report sha256)', FIX);
    const report = readFile('scan-report', path);
    const digest = `sha256:${(0, node_crypto_1.createHash)('sha256').update(report).digest('hex')}`;
    if (digest !== record.report)
        throw new index_js_1.InputError('scan-report', `${path} (sha256 ${digest}) is not the report scan-verdict judged (${record.report})`, FIX);
    return { scan: { report, record } };
}


/***/ }),

/***/ 3245:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.candidateFor = candidateFor;
exports.startPhase = startPhase;
exports.deployAccessories = deployAccessories;
exports.repullSteps = repullSteps;
const posix_1 = __webpack_require__(3916);
const index_js_1 = __webpack_require__(893);
const accessories_js_1 = __webpack_require__(6427);
const index_js_2 = __webpack_require__(2804);
const commands_js_1 = __webpack_require__(3639);
const wait_ready_js_1 = __webpack_require__(1802);
const index_js_3 = __webpack_require__(9718);
const images_js_1 = __webpack_require__(1827);
const host_js_1 = __webpack_require__(6107);
const layout_js_1 = __webpack_require__(5759);
const run_js_1 = __webpack_require__(5692);
const switch_js_1 = __webpack_require__(6445);
const user_files_js_1 = __webpack_require__(2884);
const WAIT = 'wait until ready';
const AWAIT = 'wait for healthy accessories';
/** Where the release will run: the idle slot (slots) or the app's one project (recreate). Pure. */
function candidateFor(ctx, s, release) {
    const since = ctx.rec.clock.now().toISOString();
    if (ctx.strategy === 'recreate')
        return {
            release: release.id,
            strategy: 'recreate',
            project: (0, layout_js_1.projectName)(ctx.spec.app, (0, run_js_1.envSlug)(ctx.spec)),
            ...(ctx.spec.publicPort !== undefined ? { port: ctx.spec.publicPort } : {}),
            since
        };
    const slot = (0, layout_js_1.otherSlot)(s.before?.active.slot);
    return {
        release: release.id,
        strategy: ctx.strategy,
        project: (0, layout_js_1.projectName)(ctx.spec.app, (0, run_js_1.envSlug)(ctx.spec), slot),
        slot,
        port: (0, run_js_1.slotPort)(ctx.spec, slot),
        since
    };
}
/**
 * The start phase, one session: (the release record with pinned digests), the accessories (a deploy), the
 * idle slot's kept containers started again when they are this release's or else the slot cleared and
 * `compose up`, and wait ON THE HOST until the containers run (healthy) and the slot answers. Under recreate
 * the switch record rides along; a rollback adds the whole switch (`alsoSwitch`).
 */
async function startPhase(ctx, s, o) {
    const { host, spec } = ctx;
    const release = s.release;
    const candidate = candidateFor(ctx, s, release);
    const tool = s.tools.compose;
    const url = spec.slotCheckPath && candidate.port !== undefined && s.tools?.http
        ? `http://127.0.0.1:${candidate.port}${spec.slotCheckPath}`
        : undefined;
    if (spec.slotCheckPath && candidate.port !== undefined && !s.tools?.http)
        host.logger.warning(`neither curl nor wget on ${host.name}: the new containers are checked by their state only before traffic moves`);
    const recreate = ctx.strategy === 'recreate';
    let next = { ...s, candidate, switched: recreate || s.switched };
    const steps = [];
    if (o.writeRecord)
        steps.push((0, run_js_1.commitStep)(ctx, 'pin image digests', [
            { path: (0, run_js_1.releaseFile)(release.id, run_js_1.IMAGES_FILE), content: (0, index_js_2.imagesOverride)(release.digests) },
            (0, run_js_1.recordFile)(release)
        ], [
            ...s.pending,
            ctx.rec.entry(host.name, 'images.pulled', {
                release: release.id,
                version: release.version,
                digests: release.digests
            })
        ]));
    else if (s.pending.length)
        steps.push((0, run_js_1.commitStep)(ctx, 'record history', [], s.pending));
    // A deploy (not a rollback) brings its accessories up first, unless its migrate phase did; an unchanged one
    // keeps its container.
    const acc = o.writeRecord ? deployAccessories(ctx, s, release, tool) : undefined;
    steps.push(...(acc?.steps ?? []));
    if (acc?.retired)
        next = { ...next, retired: acc.retired };
    // A rollback past the release that introduced accessories still leaves them to their own project.
    const up = (0, index_js_2.composeUpArgv)(tool, (0, run_js_1.project)(ctx, release, candidate), (0, accessories_js_1.releaseUpOptions)(release, release.accessories?.length ? release.accessories : (s.before?.record?.accessories ?? [])));
    // A slot that waits for an accessory's health (depends_on … service_healthy) starts after it, with --no-deps.
    if (release.awaitHealthy?.length)
        steps.push({
            name: AWAIT,
            argv: (0, user_files_js_1.awaitHealthyArgv)((0, accessories_js_1.accessoriesProject)(spec.app, (0, run_js_1.envSlug)(spec)), release.awaitHealthy, Math.min(spec.startTimeoutMs, host.deadline.remaining()) / 1000)
        });
    // A rollback re-pulls, by digest, what the host no longer has (pruned, a new host) with its own login.
    if (!o.writeRecord && spec.registry)
        steps.push(...repullSteps(ctx, release.id, release.digests, spec.registry));
    steps.push({
        name: `compose up ${candidate.project}`,
        // Slots: the idle slot's stopped containers when they are this release's (a rollback), else cleared.
        argv: recreate ? up : (0, commands_js_1.startSlotArgv)(candidate.project, (0, layout_js_1.releaseDir)(host.layout, release.id), up)
    }, {
        name: WAIT,
        argv: (0, wait_ready_js_1.waitReadyArgv)(candidate.project, Math.min(spec.startTimeoutMs, host.deadline.remaining()) / 1000, url ? (0, commands_js_1.hostHttpCheckArgv)(s.tools.http, url, 3) : [])
    });
    const started = ctx.rec.entry(host.name, 'release.started', {
        release: release.id,
        version: release.version,
        project: candidate.project,
        slot: candidate.slot ?? null,
        port: candidate.port ?? null
    });
    const switching = recreate || o.alsoSwitch;
    if (switching)
        steps.push(...(0, switch_js_1.switchSteps)(ctx, next, candidate, release, [started], (0, switch_js_1.gated)(ctx)));
    // A phase cut part way (a dropped link, a timeout) may have started the candidate: revert must know it.
    const r = await host.phase('start', steps, 5 * 60_000 + spec.startTimeoutMs).catch((err) => {
        throw (0, run_js_1.failWith)(err, { ...next, switched: next.switched || switching });
    });
    const accLines = acc?.report(r) ?? [];
    next = { ...next, pending: switching ? accLines : [started, ...accLines] };
    const failed = r.failed(steps);
    if (!failed)
        return { ...next, switched: switching || next.switched };
    if (failed.name === WAIT)
        throw (0, run_js_1.failWith)(waitError(ctx, release, failed.exitCode, failed.stdout, url), next);
    if (failed.name === AWAIT)
        throw (0, run_js_1.failWith)(new index_js_1.HealthError(`Accessories of release ${release.id} did not become healthy on ${host.name} within ${(0, index_js_1.formatMs)(spec.startTimeoutMs)} (${failed.stdout.trim().replace(/^timeout\s*/, '')}): the slot waits for them (depends_on … condition: service_healthy)`, { hint: "check the accessory's healthcheck and logs; raise `start-timeout` if it is slow to start" }), next);
    // A switch step that failed after the wait: traffic may or may not have moved; revert decides.
    throw (0, run_js_1.failWith)((0, host_js_1.stepError)(failed, host.name), { ...next, switched: next.switched || !!r.get(WAIT) });
}
/** Say what the accessories' `up` did (kept, started, recreated because the spec changed); a history line. */
function accessoriesReport(ctx, release, r) {
    const acc = release.accessories ?? [];
    const changes = (0, accessories_js_1.accessoryChanges)(acc, (0, accessories_js_1.parseAccessoryState)(r.get(accessories_js_1.ACCESSORIES_BEFORE)?.stdout ?? ''), (0, accessories_js_1.parseAccessoryState)(r.get(accessories_js_1.ACCESSORIES_RECORD)?.stdout ?? ''));
    const h = ctx.host.name;
    if (changes.recreated.length)
        ctx.host.logger.info(`accessories on ${h}: recreated ${changes.recreated.join(', ')} (spec changed)${changes.kept.length ? `; kept ${changes.kept.join(', ')} running` : ''}`);
    if (changes.started.length)
        ctx.host.logger.info(`accessories on ${h}: started ${changes.started.join(', ')}`);
    if (changes.kept.length && !changes.recreated.length)
        ctx.host.logger.info(`accessories on ${h}: kept ${changes.kept.join(', ')} running (spec unchanged)`);
    return ctx.rec.entry(h, 'accessories.up', {
        release: release.id,
        version: release.version,
        project: (0, accessories_js_1.accessoriesProject)(ctx.spec.app, (0, run_js_1.envSlug)(ctx.spec)),
        ...changes
    });
}
function waitError(ctx, release, code, out, url) {
    const h = ctx.host.name;
    const within = (0, index_js_1.formatMs)(ctx.spec.startTimeoutMs);
    const hint = 'check the health endpoint and the container logs; raise `start-timeout` if it is slow to start';
    const notReady = (why) => new index_js_1.HealthError(`Release ${release.id} did not become ready on ${h} within ${within}: ${why}`, { hint });
    const wait = (0, wait_ready_js_1.decodeWaitReady)(code, out);
    switch (wait.kind) {
        case 'crashed': {
            const c = wait.container;
            return new index_js_1.DeployError(`Container ${c.name} of release ${release.id} crashed on start on ${h} (${c.status}, exit code ${c.exitCode}, ${c.restarts} restarts). Last log lines:\n${wait.logs.join('\n')}`, { hint: 'read the log lines above; run the image locally with the same .env to reproduce' });
        }
        case 'unhealthy':
            return notReady(`${wait.container} is unhealthy`);
        case 'check-timeout':
            return notReady(`${url} does not answer (http ${wait.checkExit})`);
        case 'states-timeout':
            return notReady(wait.containers.length
                ? wait.containers.map((c) => `${c.name} ${c.status}/${c.health}`).join(', ')
                : 'no containers yet');
        default:
            return new index_js_1.DeployError(`Waiting for release ${release.id} on ${h} failed (exit ${code}): ${out.trim()}`);
    }
}
/**
 * A deploy's accessory steps (accessories.ts accessorySteps) with what this host serves. The migrate phase
 * runs them first, so a migration reaches a database the release brings as an accessory, and marks the run
 * state; the start phase then leaves them alone. Without a migration the start phase runs them.
 */
function deployAccessories(ctx, s, release, tool) {
    const { spec, host } = ctx;
    if (s.accessoriesUp || !release.accessories?.length)
        return { steps: [], report: () => [] };
    const steps = (0, accessories_js_1.accessorySteps)(ctx, tool, release, {
        ...(s.before
            ? {
                serving: {
                    project: s.before.active.project,
                    accessories: s.before.record?.accessories ?? []
                }
            }
            : {}),
        ...(release.overrides?.includes(run_js_1.NETWORK_FILE)
            ? { network: (0, accessories_js_1.sharedNetworkName)(spec.app, (0, run_js_1.envSlug)(spec)) }
            : {}),
        stateFile: (0, posix_1.join)(host.layout.root, run_js_1.ACCESSORIES_STATE)
    });
    const retire = s.before
        ? (0, accessories_js_1.retiredBy)(release.accessories, { accessories: s.before.record?.accessories ?? [] })
        : [];
    return {
        steps,
        report: (r) => steps.length && r.get(accessories_js_1.ACCESSORIES_RECORD)?.exitCode === 0 ? [accessoriesReport(ctx, release, r)] : [],
        ...(s.before && retire.length ? { retired: { project: s.before.active.project, services: retire } } : {})
    };
}
/**
 * The release's images from the login's registry, pulled by digest only when the host lacks them, with the login
 * in a private docker config that is removed whatever happens (the deploy's login never stays on the host).
 */
function repullSteps(ctx, releaseId, digests, login) {
    const refs = Object.entries(digests).filter(([, ref]) => (0, images_js_1.registryOf)(ref) === login.registry);
    if (!refs.length)
        return [];
    const cfg = (0, posix_1.join)(ctx.host.layout.root, `.docker-${releaseId}-again`);
    return [
        { name: 'private docker config', argv: ['mkdir', '-m', '700', '-p', cfg] },
        {
            name: `docker login ${login.registry}`,
            argv: (0, index_js_3.withDockerConfig)(cfg, (0, index_js_3.loginArgv)(login.registry, login.username)),
            stdin: login.password
        },
        ...refs.map(([service, ref]) => ({
            name: `pull ${service} again if missing`,
            argv: (0, commands_js_1.pullIfMissingArgv)(ref, (0, index_js_3.withDockerConfig)(cfg, (0, index_js_3.pullArgv)(ref)))
        })),
        { name: 'remove the registry login', argv: (0, commands_js_1.removeTreeArgv)(cfg), always: true, check: false }
    ];
}


/***/ }),

/***/ 9836:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.STRATEGIES = void 0;
exports.usesSlots = usesSlots;
const index_js_1 = __webpack_require__(3747);
/** Every strategy deploy-compose knows (manifest.yml, its `strategy` options), in the docs' order. */
exports.STRATEGIES = (0, index_js_1.choicesOf)('deploy-compose', 'strategy');
/**
 * Strategies that run the new release beside the old one in a slot behind the host's nginx (ports, proxy,
 * nginx needed). recreate replaces in place; swarm leaves placement and switching to Swarm.
 */
function usesSlots(strategy) {
    return strategy === 'rolling' || strategy === 'blue-green' || strategy === 'canary';
}


/***/ }),

/***/ 9001:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.deploySummary = deploySummary;
exports.rollbackSummary = rollbackSummary;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(1507);
const canary_proxy_js_1 = __webpack_require__(9008);
/** `Staging EU (staging-eu)`: the environment as named, and its slug on the hosts when that differs. */
function envLabel(spec) {
    return spec.environmentSlug && spec.environmentSlug !== spec.environment
        ? `${spec.environment} (${spec.environmentSlug})`
        : spec.environment;
}
/** One row per host: what it serves now, how the run went there, what its link cost. */
function hostsTable(hosts) {
    if (!hosts?.length)
        return [];
    return [
        '### Hosts\n',
        (0, index_js_1.table)(['host', 'release', 'previous', 'now', 'gate', 'SSH sessions', 'no-op'], hosts.map((h) => [
            h.host,
            h.release ?? '',
            h.previous ?? '(none)',
            h.outcome ?? '',
            h.gate?.verdict ?? '',
            h.sessions === undefined ? '' : String(h.sessions),
            h.noopMs === undefined ? '' : (0, index_js_1.formatMs)(h.noopMs)
        ]))
    ];
}
/** `bin/migrate` on host1 (service web): exit 0 in 2.1s. */
function migrationCell(m) {
    const end = m.timedOut ? 'killed at its timeout' : `exit ${m.exitCode}`;
    return `\`${m.command}\` on ${m.host} (service ${m.service}): ${end} after ${(0, index_js_1.formatMs)(m.durationMs)}`;
}
/** The job summary of a deploy: what was shipped where, how it ended, and a timeline of what happened. */
function deploySummary(o, spec) {
    const status = o.ok ? '✅ deployed' : o.rolledBack ? '↩️ failed and rolled back' : '❌ failed';
    const parts = [
        `## deploy-compose: ${spec.app}/${envLabel(spec)} ${spec.version} ${status}\n`,
        (0, index_js_1.table)(['', ''], [
            ['release', o.releaseId],
            ['previous release', o.previousReleaseId ?? '(none)'],
            ['strategy', spec.strategy],
            ['hosts', spec.hosts.join(', ')],
            ['duration', (0, index_js_1.formatMs)(o.durationMs)],
            ['url', o.url ?? ''],
            ...(o.migration ? [['migrate-command', migrationCell(o.migration)]] : [])
        ]),
        (0, index_js_1.table)(['service', 'image pinned in the release'], Object.entries(o.digests).map(([s, d]) => [s, d]))
    ];
    parts.push(...hostsTable(o.hosts));
    if (o.compose)
        parts.push('### Compose files as written\n', [...o.compose.warnings.map((w) => `- ⚠️ ${w}`), ...o.compose.report.map((l) => `- ${l}`)].join('\n') +
            '\n');
    parts.push(...(0, canary_proxy_js_1.canarySummary)(o.canary, spec.canary, o.gate));
    if (o.error)
        parts.push('### What failed\n', (0, index_js_1.codeBlock)(o.error.describe()));
    if (o.gate)
        parts.push(`### Health gate: ${o.gate.verdict}\n\n${o.gate.reason} (${o.gate.probes} probes, p95 ${o.gate.p95Ms} ms)\n`);
    parts.push(...timeline(o.events, spec));
    return parts.join('\n');
}
function rollbackSummary(o, spec) {
    const status = o.dryRun ? '🔍 dry run' : o.ok ? '✅ rolled back' : '❌ failed';
    const parts = [`## rollback: ${spec.app}/${envLabel(spec)} ${status}\n`, ...hostsTable(o.hosts)];
    for (const p of o.plan) {
        parts.push(`### ${p.host}: ${p.from ?? '(nothing)'} → ${p.to}\n`, p.changes.map((c) => `- ${c}`).join('\n') + '\n', (0, index_js_1.table)(['release', 'version', 'status', 'created', ''], p.candidates.map((c) => [
            c.id,
            c.version,
            c.status,
            c.createdAt,
            c.current ? 'serving' : c.id === p.to ? 'target' : ''
        ])));
    }
    if (o.error)
        parts.push('### What failed\n', (0, index_js_1.codeBlock)(o.error.describe()));
    if (o.gate)
        parts.push(`### Health gate: ${o.gate.verdict}\n\n${o.gate.reason}\n`);
    parts.push(...timeline(o.events, spec));
    return parts.join('\n');
}
/** The run's events as a mermaid timeline and a table; nothing when there were none. */
function timeline(events, spec) {
    if (!events.length)
        return [];
    return ['### Timeline\n', (0, index_js_2.timelineMermaid)(events, `${spec.app} ${spec.environment}`), (0, index_js_2.eventsTable)(events)];
}


/***/ }),

/***/ 7757:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.STACK_FILE = void 0;
exports.stackName = stackName;
exports.checkSwarmSpec = checkSwarmSpec;
exports.releaseStack = releaseStack;
exports.deploySwarm = deploySwarm;
exports.activateSwarm = activateSwarm;
exports.revertSwarm = revertSwarm;
exports.finishSwarmRun = finishSwarm;
const posix_1 = __webpack_require__(3916);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2978);
const index_js_3 = __webpack_require__(824);
const compose_files_js_1 = __webpack_require__(6211);
const deploy_js_1 = __webpack_require__(4493);
const finish_js_1 = __webpack_require__(2278);
const lock_js_1 = __webpack_require__(4654);
const layout_js_1 = __webpack_require__(5759);
const prepare_js_1 = __webpack_require__(842);
const revert_js_1 = __webpack_require__(2055);
const run_js_1 = __webpack_require__(5692);
const switch_js_1 = __webpack_require__(6445);
/** The release's stack file, images pinned by digest, beside its compose.yml. */
exports.STACK_FILE = 'stack.yml';
/** The Swarm stack of an app in an environment (the same name its compose project would have). */
function stackName(spec) {
    return (0, layout_js_1.projectName)(spec.app, (0, run_js_1.envSlug)(spec));
}
/**
 * Bad input for `strategy: swarm`, refused before anything changes: one manager as the host, and a compose
 * file Swarm runs as written (packages/swarm names each key it would drop or ignore).
 */
function checkSwarmSpec(d) {
    if (d.hosts.length !== 1)
        throw new index_js_1.InputError('hosts', `strategy swarm deploys through one swarm manager, but ${d.hosts.length} hosts were given`, 'give one manager as `host`: Swarm places the tasks on its nodes (`deploy.placement.constraints` in the compose file chooses which)');
    (0, index_js_3.swarmStackFile)(d.composeText, (0, deploy_js_1.releaseImages)(d, (0, compose_files_js_1.composeInfo)(d)));
}
function target(ctx, spec) {
    return {
        executor: ctx.host.executor,
        logger: ctx.host.logger,
        stack: stackName(spec),
        commandTimeoutMs: (0, index_js_2.linkTimeoutMs)(60_000, ctx.host.noopMs)
    };
}
/** The stack file of a release already on the manager, for a redeploy (rollback). */
function releaseStack(ctx, record) {
    return {
        path: (0, posix_1.join)((0, layout_js_1.releaseDir)(ctx.host.layout, record.id), exports.STACK_FILE),
        services: Object.keys(record.digests),
        images: record.digests
    };
}
function convergeFailure(c) {
    const detail = c.services.map((s) => `${s.service}: ${s.detail}`).join('; ');
    return c.timedOut
        ? `did not converge within ${(0, index_js_1.formatMs)(c.durationMs)} (${detail})`
        : `failed to converge (${detail})`;
}
/** The end of a good run, one session: active.json and `current`, the record, history, the lock. */
async function finishSwarm(ctx, s, history) {
    const release = {
        ...s.release,
        status: 'deployed',
        activatedAt: ctx.rec.clock.now().toISOString()
    };
    const steps = [
        ...(0, switch_js_1.switchSteps)(ctx, s, s.candidate, release, s.pending),
        (0, run_js_1.commitStep)(ctx, 'record the release', [(0, run_js_1.recordFile)(release)], history),
        ...(s.lock ? [(0, lock_js_1.lockReleaseStep)(ctx.host.layout.lock, s.lock.holder.token)] : [])
    ];
    const r = await ctx.host.phase('finish', steps, 60_000);
    const released = r.get('release the deploy lock')?.exitCode === 0;
    if (released) {
        await s.lock?.stop();
        ctx.deps.onLock?.(ctx.host.name, undefined);
    }
    const failed = r.failed(steps);
    if (failed)
        throw new index_js_1.DeployError(`Recording release ${release.id} on ${ctx.host.name} failed at '${failed.name}': ${(failed.stderr || failed.stdout).trim()}`);
    return { ...s, release, pending: [], lockReleased: released };
}
/**
 * `strategy: swarm`: the release directory on the manager (compose file, .env, stack.yml with digests,
 * release.json), `docker stack deploy --with-registry-auth` from a private DOCKER_CONFIG, a wait until every
 * task of the new spec runs (healthy where the image has a HEALTHCHECK), the gate, and on failure a rollback:
 * redeploy the previous release's stack.yml (or Swarm's `service rollback` when there is none), gated again.
 * Lock, history, events and release records as on compose hosts. Never throws for a failed deploy.
 */
async function deploySwarm(d, deps) {
    checkSwarmSpec(d);
    const begun = (0, deploy_js_1.beginDeploy)(d, deps);
    const { clock, rec, deadline, releaseId, outcome } = begun;
    await rec.emit('deploy.started', d.version, { release: releaseId, strategy: 'swarm', hosts: d.hosts });
    let run;
    try {
        [run] = (await (0, deploy_js_1.openHosts)(d, deps, rec, deadline, 'swarm', 'deploy', {
            lock: true,
            releaseHint: releaseId,
            needNginx: false
        }));
    }
    catch (err) {
        return begun.openFailed(err);
    }
    const { ctx } = run;
    const t = target(ctx, d);
    const before = run.state.before;
    outcome.previousReleaseId = before?.active.release;
    const wait = () => ({
        timeoutMs: Math.max(1000, deadline.remaining() - 10_000),
        pollMs: deps.pollMs ?? 1000
    });
    let deployed;
    try {
        if (before && before.active.strategy !== 'swarm')
            throw new index_js_1.DeployError(`${ctx.host.name} runs ${before.active.release} with strategy ${before.active.strategy}; switching to swarm in place is not supported`, {
                state: 'nothing was changed',
                hint: `deploy the swarm stack as another app or environment, then retire the ${before.active.strategy} one`
            });
        await (0, index_js_3.assertManager)(t);
        const record = begun.record(before?.active.release);
        try {
            run.state = await (0, prepare_js_1.preparePhase)(ctx, run.state, d, record);
        }
        catch (err) {
            run.state = (0, run_js_1.stateAfter)(err, run.state);
            throw err;
        }
        const release = run.state.release;
        outcome.digests = { ...release.digests };
        const file = (0, index_js_3.swarmStackFile)(d.composeText, release.digests);
        const stack = releaseStack(ctx, release);
        const write = [
            (0, run_js_1.commitStep)(ctx, 'write the stack file', [{ path: (0, run_js_1.releaseFile)(release.id, exports.STACK_FILE), content: file.text }], [])
        ];
        (await ctx.host.phase('stack file', write, 60_000)).expectOk(write);
        const candidate = {
            release: release.id,
            strategy: 'swarm',
            project: t.stack,
            since: clock.now().toISOString()
        };
        run.state = { ...run.state, candidate, switched: true };
        deployed = await (0, index_js_3.deployStack)(t, stack, {
            ...wait(),
            ...(d.registry ? { registryAuth: d.registry } : {})
        });
        ctx.host.logger.info(`swarm: ${deployed.converge.services.map((v) => `${v.service}: ${v.detail}`).join('; ')}`);
        run.state = {
            ...run.state,
            pending: [
                ...run.state.pending,
                (0, run_js_1.entry)(ctx, run.state, 'stack.deployed', {
                    stack: t.stack,
                    converge: deployed.converge.state,
                    changed: deployed.changed,
                    durationMs: deployed.converge.durationMs
                })
            ]
        };
        if (deployed.converge.state !== 'converged')
            throw new index_js_1.DeployError(`Stack ${t.stack} ${convergeFailure(deployed.converge)} on ${ctx.host.name}`, {
                hint: '`docker service ps --no-trunc <service>` on the manager shows each task and its error'
            });
        try {
            run.state = await begun.gate(ctx, run.state, release);
        }
        catch (err) {
            run.state = (0, run_js_1.stateAfter)(err, run.state);
            throw err;
        }
        run.state = await finishSwarm(ctx, run.state, [begun.completedEntry(ctx, release.digests)]);
        await begun.complete();
    }
    catch (err) {
        await undoSwarm(d, run, t, err, deployed, outcome, rec, wait());
    }
    finally {
        outcome.hosts.push(begun.served(run, before));
        await (0, revert_js_1.closeHost)(ctx, run.state);
    }
    return begun.end();
}
/** A swarm deploy failed: put back what served (gated), record the failure, release the lock. */
async function undoSwarm(d, run, t, err, deployed, outcome, rec, wait) {
    const { ctx } = run;
    const error = err instanceof index_js_1.DeployActionsError ? err : new index_js_1.DeployError((0, index_js_1.describeError)(err));
    const what = error.message.split('\n')[0];
    const before = run.state.before;
    const history = [];
    let state = before ? `release ${before.active.release} is still serving` : 'nothing was serving';
    let restored = true;
    try {
        if (deployed && d.autoRollback) {
            const previous = before?.record && before.active.strategy === 'swarm' ? releaseStack(ctx, before.record) : undefined;
            const back = await (0, index_js_3.rollbackStack)(t, deployed, {
                ...wait,
                ...(previous ? { previous } : {}),
                ...(d.registry ? { registryAuth: d.registry } : {})
            });
            restored = back.state === 'converged';
            if (before?.record) {
                const g = await (0, finish_js_1.gatePhase)(ctx, run.state, before.record);
                run.state = g.state;
                if (g.result && g.result.verdict !== 'healthy')
                    restored = false;
                outcome.rolledBack = true;
                history.push(ctx.rec.entry(ctx.host.name, 'rollback.executed', {
                    release: outcome.releaseId,
                    version: d.version,
                    from: outcome.releaseId,
                    to: before.active.release,
                    reason: what,
                    automatic: true,
                    how: back.how
                }));
                state = restored
                    ? `release ${before.active.release} serves again (${back.how === 'redeploy' ? `its ${exports.STACK_FILE} redeployed` : 'docker service rollback'}; rolled back automatically)`
                    : `release ${before.active.release} was redeployed but is NOT healthy or did not converge`;
            }
            else
                state =
                    back.how === 'removed' ? 'the stack was removed: nothing served before this first deploy' : state;
        }
        else if (deployed) {
            restored = false;
            state = `release ${outcome.releaseId} (failed) is still deployed: auto-rollback is off`;
        }
        const failedRecord = run.state.release
            ? { ...run.state.release, status: 'failed', reason: what }
            : undefined;
        history.push(ctx.rec.entry(ctx.host.name, 'deploy.failed', {
            release: outcome.releaseId,
            version: d.version,
            reason: what
        }));
        run.state = await (0, revert_js_1.recordFailure)(ctx, { ...run.state, switched: false }, history, failedRecord);
    }
    catch (cleanupErr) {
        restored = false;
        state += `; cleanup failed: ${(0, index_js_1.describeError)(cleanupErr).split('\n')[0]}`;
    }
    if (outcome.rolledBack)
        await rec.emit('rollback.executed', d.version, {
            release: outcome.previousReleaseId ?? '',
            from: outcome.releaseId,
            reason: what,
            automatic: true
        });
    await rec.emit('deploy.failed', d.version, {
        release: outcome.releaseId,
        reason: what,
        rolledBack: outcome.rolledBack
    });
    outcome.error = new index_js_1.DeployError(`Deploy of ${d.app}/${d.environment} release ${outcome.releaseId} (swarm stack ${t.stack}) failed: ${error.message}`, {
        state,
        hint: restored
            ? 'fix the cause above and deploy again (docs/runbooks/failed-deploy.md)'
            : 'act now: check the stack on the manager (`docker stack ps`) and roll back with the rollback action (docs/runbooks/manual-rollback.md)',
        cause: err
    });
}
function swarmWait(ctx) {
    return { timeoutMs: Math.max(1000, ctx.host.deadline.remaining() - 10_000), pollMs: 1000 };
}
/**
 * Rollback on a swarm manager: redeploy the target release's own stack.yml and wait until it runs. The
 * caller gates it and finishes with `finishSwarmRun`; on failure `revertSwarm` puts back what served.
 */
async function activateSwarm(ctx, s, targetRelease) {
    const t = target(ctx, ctx.spec);
    await (0, index_js_3.assertManager)(t);
    const candidate = {
        release: targetRelease.id,
        strategy: 'swarm',
        project: t.stack,
        since: ctx.rec.clock.now().toISOString()
    };
    const r = await (0, index_js_3.deployStack)(t, releaseStack(ctx, targetRelease), {
        ...swarmWait(ctx),
        ...(ctx.spec.registry ? { registryAuth: ctx.spec.registry } : {})
    });
    const next = { ...s, candidate, switched: true };
    if (r.converge.state !== 'converged')
        throw (0, run_js_1.failWith)(new index_js_1.DeployError(`Stack ${t.stack} ${convergeFailure(r.converge)} on ${ctx.host.name}`), next);
    return next;
}
/** Put back the release that served before this run on a swarm manager (its stack.yml). */
async function revertSwarm(ctx, s) {
    const before = s.before;
    if (!s.switched || !before?.record)
        return {
            state: s,
            serving: before ? `release ${before.active.release} is still serving` : 'nothing was serving'
        };
    const t = target(ctx, ctx.spec);
    const r = await (0, index_js_3.deployStack)(t, releaseStack(ctx, before.record), {
        ...swarmWait(ctx),
        ...(ctx.spec.registry ? { registryAuth: ctx.spec.registry } : {})
    });
    const ok = r.converge.state === 'converged';
    return {
        state: { ...s, switched: !ok },
        serving: ok
            ? `release ${before.active.release} serves again`
            : `release ${before.active.release} was redeployed but ${convergeFailure(r.converge)}`
    };
}


/***/ }),

/***/ 6445:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.PROXY_BOOT = exports.PROXY_SWITCH = void 0;
exports.switchSteps = switchSteps;
exports.activeRecord = activeRecord;
exports.gated = gated;
exports.switchPhase = switchPhase;
const index_js_1 = __webpack_require__(3656);
const commands_js_1 = __webpack_require__(3639);
const index_js_2 = __webpack_require__(9935);
const front_door_js_1 = __webpack_require__(9371);
const host_js_1 = __webpack_require__(6107);
const proxy_js_1 = __webpack_require__(2865);
const proxy_boot_js_1 = __webpack_require__(7042);
const run_js_1 = __webpack_require__(5692);
exports.PROXY_SWITCH = 'switch the proxy (nginx -t, reload)';
exports.PROXY_BOOT = 'start the proxy at boot (crontab @reboot)';
/**
 * Move traffic: the proxy's upstream and a graceful reload (slots), then `current`, active.json and the
 * history line. The record follows the proxy, so `current` never names a release the proxy does not serve.
 */
function switchSteps(ctx, s, active, release, history = [], o = {}) {
    const { spec, host } = ctx;
    const record = {
        ...activeRecord(ctx, active),
        // Until the gate passes (finish clears it): a run killed in between leaves a switch the next run resolves.
        ...(o.unverified
            ? {
                unverified: {
                    previous: s.before?.active ?? null,
                    runUrl: ctx.deps.context.runUrl,
                    ...(spec.gate ? { expect: (0, index_js_1.saveExpectations)(spec.gate) } : {})
                }
            }
            : {})
    };
    const steps = [];
    if (spec.frontDoor && active.port !== undefined)
        steps.push(...(0, front_door_js_1.frontDoorSwitchSteps)(spec, active.port, release.id));
    else if (active.slot && active.port !== undefined) {
        const proxy = (0, proxy_js_1.proxyFiles)(host.layout.proxy);
        steps.push((0, run_js_1.commitStep)(ctx, 'write the proxy config', [
            { path: 'proxy/upstream.conf', content: (0, proxy_js_1.upstreamConf)(active.port, release.id, active.slot) },
            {
                path: 'proxy/nginx.conf',
                content: (0, proxy_js_1.nginxConf)(proxy, spec.proxyBind, spec.publicPort, spec.proxy)
            },
            { path: 'proxy/start.sh', content: proxy_boot_js_1.START_SCRIPT }
        ], []), { name: exports.PROXY_SWITCH, argv: (0, commands_js_1.proxySwitchArgv)(proxy.conf, proxy.prefix) }, 
        // Not fatal: a host without cron still serves; doctor reports the missing boot hook.
        { name: exports.PROXY_BOOT, argv: (0, proxy_boot_js_1.bootHookArgv)(proxy.prefix, spec.stateDir), check: false });
    }
    steps.push((0, run_js_1.commitStep)(ctx, 'record the switch', [{ path: 'active.json', content: JSON.stringify(record) + '\n' }], [
        ...history,
        (0, run_js_1.entry)(ctx, { ...s, release }, 'traffic.switched', {
            to: release.id,
            slot: active.slot ?? null,
            port: active.port ?? null
        })
    ], `releases/${release.id}`));
    return steps;
}
/** active.json of `active` as this run serves it (how the app is reached, for a rollback with less input). */
function activeRecord(ctx, active) {
    const { spec } = ctx;
    const { unverified: _drop, ...rest } = active;
    return {
        ...rest,
        ...(spec.publicPort !== undefined ? { publicPort: spec.publicPort } : {}),
        slotPorts: spec.slotPorts,
        proxyBind: spec.proxyBind,
        ...(spec.proxy ? { proxy: spec.proxy } : {}),
        ...(spec.frontDoor ? { frontDoor: (0, index_js_2.recordedFrontDoor)(spec.frontDoor) } : {}),
        portVar: spec.portVar
    };
}
/** Switches to a candidate are unverified until the gate passes, when there is a gate. */
function gated(ctx) {
    return { unverified: !!ctx.spec.gate };
}
/** The switch phase, one session (blue-green switches every host in its own session, all before any gate). */
async function switchPhase(ctx, s) {
    const steps = switchSteps(ctx, s, s.candidate, s.release, s.pending, gated(ctx));
    // Cut part way, traffic may have moved: revert switches back, which is harmless if it had not.
    const r = await ctx.host.phase('switch', steps, 60_000).catch((err) => {
        throw (0, run_js_1.failWith)(err, { ...s, switched: true });
    });
    const failed = r.failed(steps);
    // The proxy reload ran: traffic moved even if the record did not follow.
    const moved = r.get(exports.PROXY_SWITCH)?.exitCode === 0 ||
        r.get(front_door_js_1.FRONT_DOOR_SWITCH)?.exitCode === 0 ||
        r.get('record the switch')?.exitCode === 0;
    const next = { ...s, switched: s.switched || moved, pending: [] };
    if (failed)
        throw (0, run_js_1.failWith)((0, host_js_1.stepError)(failed, ctx.host.name), { ...next, pending: s.pending });
    return next;
}


/***/ }),

/***/ 8968:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.lockVerdict = lockVerdict;
exports.holderRun = holderRun;
const index_js_1 = __webpack_require__(893);
function lockVerdict(f) {
    const h = f.holder;
    if (!h)
        return { kind: 'stale', reason: 'the lock has no holder.json (written by an older version, or damaged)' };
    // The same runner: same hostname, and (when both record one) the same boot and pid namespace.
    const sameRunner = h.runnerId && f.runnerId ? h.runnerId === f.runnerId : !!h.runner && h.runner === f.runnerName;
    if (sameRunner && h.pid > 0) {
        if (!f.pidAlive(h.pid))
            return {
                kind: 'gone',
                proof: { via: 'pid', detail: `its process ${h.pid} on this runner (${h.runner}) has exited` }
            };
        const start = h.pidStart && f.pidStart ? f.pidStart(h.pid) : undefined;
        if (start !== undefined && start !== h.pidStart)
            return {
                kind: 'gone',
                proof: {
                    via: 'pid',
                    detail: `its process ${h.pid} on this runner (${h.runner}) has exited (the pid now belongs to a process started later)`
                }
            };
        // Its process runs: a live holder wins over an old heartbeat (a long phase, a stalled timer).
        return { kind: 'live' };
    }
    if (f.run && h.runId) {
        const attempt = Number(h.runAttempt || '1');
        if (f.run.status === 'completed')
            return {
                kind: 'gone',
                proof: {
                    via: 'github-run',
                    detail: `its GitHub run ${h.repository ?? ''}#${h.runId} is completed (${f.run.conclusion ?? 'no conclusion'})`
                }
            };
        if (f.run.runAttempt !== undefined && f.run.runAttempt > attempt)
            return {
                kind: 'gone',
                proof: {
                    via: 'github-run',
                    detail: `its GitHub run ${h.repository ?? ''}#${h.runId} attempt ${attempt} was superseded by attempt ${f.run.runAttempt}`
                }
            };
    }
    const beat = Date.parse(h.heartbeatAt || h.startedAt);
    const silent = Number.isFinite(beat) ? f.now - beat : Infinity;
    if (silent > f.staleMs) {
        const ago = Number.isFinite(silent) ? `${(0, index_js_1.formatMs)(silent)} ago` : 'never';
        if (sameRunner)
            return {
                kind: 'gone',
                proof: {
                    via: 'heartbeat',
                    detail: `its last heartbeat was ${ago} (lock-stale-after ${(0, index_js_1.formatMs)(f.staleMs)}) and it declared this runner (${h.runner})`
                }
            };
        return {
            kind: 'stale',
            reason: `its last heartbeat was ${ago} (stale after ${(0, index_js_1.formatMs)(f.staleMs)}), but it ran on ${h.runner || 'an unknown runner'}, not here, and ${h.runId ? 'GitHub did not confirm its run ended' : 'it names no GitHub run to check'}`
        };
    }
    return { kind: 'live' };
}
/** The holder's run, as the lock records it; undefined when it names none. */
function holderRun(h) {
    return h?.repository && h.runId && /^\d+$/.test(h.runId)
        ? { repository: h.repository, runId: h.runId }
        : undefined;
}


/***/ }),

/***/ 8422:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.tarball = tarball;
function octal(n, width) {
    return n.toString(8).padStart(width - 1, '0') + '\0';
}
function header(path, size, mtime) {
    if (Buffer.byteLength(path) > 100 || path.startsWith('/') || path.split('/').includes('..'))
        throw new Error(`tar: unsupported path ${path}`);
    const h = Buffer.alloc(512, 0);
    h.write(path, 0, 100, 'utf8');
    h.write(octal(0o600, 8), 100, 'ascii');
    h.write(octal(0, 8), 108, 'ascii');
    h.write(octal(0, 8), 116, 'ascii');
    h.write(octal(size, 12), 124, 'ascii');
    h.write(octal(mtime, 12), 136, 'ascii');
    h.write('        ', 148, 'ascii');
    h.write('0', 156, 'ascii');
    h.write('ustar\0', 257, 'ascii');
    h.write('00', 263, 'ascii');
    let sum = 0;
    for (const b of h)
        sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    return h;
}
function tarball(files, mtime = Math.floor(Date.now() / 1000)) {
    const parts = [];
    for (const f of files) {
        const body = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
        parts.push(header(f.path, body.length, mtime), body);
        const pad = (512 - (body.length % 512)) % 512;
        if (pad)
            parts.push(Buffer.alloc(pad, 0));
    }
    parts.push(Buffer.alloc(1024, 0));
    return Buffer.concat(parts);
}


/***/ }),

/***/ 3200:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.TEXTFILE_STEP = void 0;
exports.textfilePath = textfilePath;
exports.textfileGauges = textfileGauges;
exports.counterLabels = counterLabels;
exports.textfileArgv = textfileArgv;
exports.textfileStep = textfileStep;
exports.textfileWarning = textfileWarning;
const posix_1 = __webpack_require__(3916);
const index_js_1 = __webpack_require__(893);
const run_js_1 = __webpack_require__(5692);
/**
 * The deploy textfile (`metrics-dir`): at the end of each deploy and rollback, every host writes what it
 * serves and how the last run went as a Prometheus textfile, for node_exporter's textfile collector, so
 * deploys show up where people already look. One file per app and environment:
 *
 *   <metrics-dir>/deploy-actions_<app>_<environment>.prom
 *
 * written as a hidden temp file beside it (the collector reads only `*.prom`) and renamed over it, 0644.
 * The gauges come from the run; the two counters from the host's own history (every line it ever wrote), so
 * they only grow and survive a lost textfile: `deploy_rollbacks_total` counts `rollback.executed` (by hand or
 * automatic, drills left out), `deploy_failures_total` counts `deploy.failed`.
 */
function textfilePath(metricsDir, app, environmentSlug) {
    return (0, posix_1.join)(metricsDir, `deploy-actions_${app}_${environmentSlug}.prom`);
}
/** The counters' samples are appended on the host (textfileArgv); these are their families' head lines. */
const COUNTERS = [
    [
        'deploy_rollbacks_total',
        'Rollbacks recorded in this host history (rollback.executed, by hand or automatic; drills not counted).'
    ],
    ['deploy_failures_total', 'Failed deploys recorded in this host history (deploy.failed).']
];
/** The gauges of a run, in the text exposition format (the counters follow on the host). */
function textfileGauges(f) {
    const labels = { app: f.app, environment: f.environment };
    const gauge = (name, help, value) => ({
        name,
        help,
        type: 'gauge',
        samples: value === undefined ? [] : [{ labels, value }]
    });
    const activated = f.serving?.activatedAt ? Date.parse(f.serving.activatedAt) / 1000 : undefined;
    return (0, index_js_1.exposition)([
        gauge('deploy_last_success_timestamp_seconds', 'When the release serving on this host began serving (its deploy or rollback completed).', activated !== undefined && Number.isFinite(activated) ? activated : undefined),
        gauge('deploy_duration_seconds', 'How long the last deploy or rollback on this host took, from its start to its end, successful or not.', f.durationSeconds),
        gauge('deploy_last_run_timestamp_seconds', 'When the last deploy or rollback on this host ended.', f.endedAt.getTime() / 1000),
        gauge('deploy_last_run_success', '1 when the last deploy or rollback on this host ended serving its release, 0 when it failed.', f.succeeded ? 1 : 0),
        {
            name: 'deploy_info',
            help: 'The release serving on this host: one sample per service, with its version and pulled image digest.',
            type: 'gauge',
            samples: f.serving
                ? Object.entries(f.serving.digests)
                    .sort(([a], [b]) => a.localeCompare(b))
                    .map(([service, ref]) => ({
                    labels: {
                        ...labels,
                        release: f.serving.id,
                        version: f.serving.version,
                        service,
                        digest: ref.slice(ref.lastIndexOf('@') + 1)
                    },
                    value: 1
                }))
                : []
        }
    ]);
}
/** `{app="…",environment="…"}` as the counters' samples carry it (escaped as the exposition escapes labels). */
function counterLabels(app, environment) {
    const line = (0, index_js_1.exposition)([
        { name: 'x', help: 'x', type: 'counter', samples: [{ labels: { app, environment }, value: 0 }] }
    ])
        .split('\n')
        .find((l) => l.startsWith('x{'));
    return line.slice(2, line.lastIndexOf('}'));
}
/**
 * argv: write the textfile from stdin (the gauges) plus the counters counted in the history, by temp file and
 * rename, 0644. A history line is one JSON object written by JSON.stringify, so `"event":"rollback.executed"`
 * appears verbatim in the lines of that event and nowhere else (a quote inside a value is escaped).
 */
function textfileArgv(file, history, labels) {
    const head = (i) => `# HELP ${COUNTERS[i][0]} ${COUNTERS[i][1]}\\n# TYPE ${COUNTERS[i][0]} counter\\n`;
    return [
        'sh',
        '-c',
        [
            'umask 022',
            `r=$(grep -F '"event":"rollback.executed"' "$2" 2>/dev/null | grep -cvF '"drill":true')`,
            `f=$(grep -cF '"event":"deploy.failed"' "$2" 2>/dev/null)`,
            `t="$(dirname -- "$1")/.$(basename -- "$1").tmp.$$"`,
            `{ cat && printf '${head(0)}${COUNTERS[0][0]}{%s} %s\\n${head(1)}${COUNTERS[1][0]}{%s} %s\\n' "$3" "\${r:-0}" "$3" "\${f:-0}"; } > "$t" && chmod 0644 "$t" && mv -f -- "$t" "$1" || { rm -f -- "$t"; exit 1; }`
        ].join('; '),
        'sh',
        file,
        history,
        labels
    ];
}
exports.TEXTFILE_STEP = 'write the deploy textfile';
/**
 * The step that writes a host's textfile at the end of a run, naming what serves there then (after its history lines are committed, so the
 * counters include them), or nothing when `metrics-dir` is not set. Unchecked: a textfile that cannot be
 * written is a warning (textfileWarning), never a failed deploy.
 */
function textfileStep(ctx, serving, succeeded) {
    const dir = ctx.spec.metricsDir;
    if (!dir)
        return undefined;
    const now = ctx.rec.clock.now();
    const facts = {
        app: ctx.spec.app,
        environment: ctx.spec.environment,
        ...(serving ? { serving } : {}),
        operation: ctx.operation,
        endedAt: now,
        durationSeconds: Math.max(0, ctx.rec.clock.ms() - ctx.rec.startedMs) / 1000,
        succeeded
    };
    return {
        name: exports.TEXTFILE_STEP,
        argv: textfileArgv(textfilePath(dir, ctx.spec.app, (0, run_js_1.envSlug)(ctx.spec)), ctx.host.layout.history, counterLabels(ctx.spec.app, ctx.spec.environment)),
        stdin: textfileGauges(facts),
        check: false
    };
}
/** A textfile step that failed: what the log says (the deploy itself stands). */
function textfileWarning(ctx, result) {
    if (!result || result.exitCode === 0)
        return;
    ctx.host.logger.warning(`could not write the deploy textfile in ${ctx.spec.metricsDir} on ${ctx.host.name} (${result.stderr.trim().split('\n')[0] || `exit ${result.exitCode}`}): the directory must exist and be writable by ${ctx.host.name}'s SSH user`);
}


/***/ }),

/***/ 9224:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));


/***/ }),

/***/ 3307:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.parsePortMapping = parsePortMapping;
exports.planUserCompose = planUserCompose;
const node_path_1 = __webpack_require__(6760);
const yaml_1 = __webpack_require__(8815);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(2804);
/** Images that hold a database's files: a slotted copy would run twice on one data directory. */
const DATABASE_IMAGE = /^(?:[^/]+\/)*(postgres|mysql|mariadb|mongo|redis)(?:[:@]|$)/;
/** Files the release directory holds itself: a shipped path never overwrites them. */
const OWN_FILE = /^(?:compose(?:\.[\w-]+)*\.yml|\.env|release\.json)$/;
const isObj = (v) => !!v && typeof v === 'object' && !Array.isArray(v);
/** The services as compose merges them across `-f` files, for what this module asks (not a full merge). */
function mergeServices(docs) {
    const out = new Map();
    for (const root of docs) {
        const services = isObj(root.services) ? root.services : {};
        for (const [name, raw] of Object.entries(services)) {
            if (!isObj(raw))
                continue;
            const m = out.get(name) ?? {
                ports: [],
                volumes: [],
                networks: [],
                dependsHealthy: [],
                dependsOn: [],
                envFiles: []
            };
            if (typeof raw.image === 'string')
                m.image = raw.image;
            if (typeof raw.network_mode === 'string')
                m.networkMode = raw.network_mode;
            if (Array.isArray(raw.ports))
                m.ports.push(...raw.ports);
            if (Array.isArray(raw.volumes))
                m.volumes.push(...raw.volumes);
            if (raw.container_name !== undefined)
                m.containerName = String(raw.container_name);
            if (Array.isArray(raw.networks))
                m.networks.push(...raw.networks.map(String));
            else if (isObj(raw.networks))
                m.networks.push(...Object.keys(raw.networks));
            if (Array.isArray(raw.depends_on))
                m.dependsOn.push(...raw.depends_on.map(String));
            else if (isObj(raw.depends_on))
                for (const [dep, cond] of Object.entries(raw.depends_on)) {
                    m.dependsOn.push(dep);
                    if (isObj(cond) && cond.condition === 'service_healthy')
                        m.dependsHealthy.push(dep);
                }
            const ef = raw.env_file;
            for (const e of Array.isArray(ef) ? ef : ef === undefined ? [] : [ef]) {
                const p = typeof e === 'string' ? e : isObj(e) && typeof e.path === 'string' ? e.path : undefined;
                if (p)
                    m.envFiles.push(p);
            }
            out.set(name, m);
        }
    }
    return out;
}
/** One entry of `ports:`, short (`127.0.0.1:8080:80/tcp`, `80`) or long (`{target: 80, published: 8080}`). */
function parsePortMapping(entry) {
    if (typeof entry === 'number')
        return { containerPort: entry, protocol: 'tcp', range: false, text: String(entry) };
    if (isObj(entry)) {
        const target = Number(entry.target);
        const protocol = typeof entry.protocol === 'string' ? entry.protocol : 'tcp';
        const text = `${entry.host_ip ? `${String(entry.host_ip)}:` : ''}${entry.published ?? ''}${entry.published !== undefined ? ':' : ''}${String(entry.target)}/${protocol}`;
        const range = /-/.test(String(entry.target ?? ''));
        return {
            ...(Number.isInteger(target) && target > 0 ? { containerPort: target } : {}),
            protocol,
            range,
            text
        };
    }
    const text = String(entry);
    const [spec = '', protocol = 'tcp'] = text.split('/');
    const container = spec.slice(spec.lastIndexOf(':') + 1);
    const range = container.includes('-') || /:\d+-\d+:/.test(`:${spec}`);
    const n = /^\d+$/.test(container) ? Number(container) : undefined;
    return { ...(n ? { containerPort: n } : {}), protocol, range, text };
}
function normalise(source) {
    return node_path_1.posix.normalize(source).replace(/\/+$/, '') || '.';
}
function isRelative(source) {
    return source === '.' || source === '..' || source.startsWith('./') || source.startsWith('../');
}
/** `./x:/y[:ro]` or `{type: bind, source: ./x, target: /y}`: the relative bind source, or undefined. */
function relativeSource(v) {
    if (typeof v === 'string') {
        const [source = '', target = ''] = v.split(':');
        return isRelative(source) ? { source, target } : undefined;
    }
    if (isObj(v) && (v.type === 'bind' || v.type === undefined) && typeof v.source === 'string')
        return isRelative(v.source) ? { source: v.source, target: String(v.target ?? '') } : undefined;
    return undefined;
}
function namedVolume(v) {
    if (typeof v === 'string') {
        const parts = v.split(':');
        return (parts.length > 1 &&
            !!parts[0] &&
            !parts[0].startsWith('/') &&
            !parts[0].startsWith('.') &&
            !parts[0].startsWith('~'));
    }
    return isObj(v) && v.type === 'volume' && typeof v.source === 'string';
}
function refuse(input, what, fix) {
    throw new index_js_1.InputError(input, what, fix);
}
/** The web service and its container port (slot strategies). */
function chooseWeb(o, services, slottedNames) {
    if (o.webService) {
        if (!services.has(o.webService))
            refuse('web-service', `"${o.webService}" is not a service of compose-file (its services: ${[...services.keys()].join(', ')})`, 'name the service users reach');
        if (o.accessories.includes(o.webService))
            refuse('web-service', `"${o.webService}" is an accessory: it runs once, not in the slots the proxy switches between`, `remove ${o.webService} from \`accessories\``);
    }
    const candidates = slottedNames.filter((s) => services.get(s).ports.length > 0);
    if (!o.webService && candidates.length > 1)
        refuse('web-service', `is needed: services ${candidates.join(', ')} all publish ports, and only one can be behind the proxy`, `set \`web-service: ${candidates[candidates.length - 1]}\` (the one users reach); the others' host ports are dropped in the slots`);
    const name = o.webService ?? candidates[0];
    if (!name) {
        // Host networking (the app listens on ${PORT} itself) needs no mapping.
        const bridged = slottedNames.filter((s) => services.get(s).networkMode === undefined);
        if (!bridged.length || o.appPort === undefined) {
            if (bridged.length && slottedNames.every((s) => services.get(s).networkMode !== 'host'))
                refuse('compose-file', `service ${bridged.join(', ')} is on a bridge network and publishes no port, so the proxy has nothing to reach in a slot`, bridged.length === 1
                    ? `add \`ports: ["8080"]\` (its container port) to service ${bridged[0]}, or set \`app-port: 8080\``
                    : `set \`web-service: <the one users reach>\` and \`app-port: <its container port>\``);
            return undefined;
        }
        if (bridged.length > 1)
            refuse('web-service', `is needed with app-port: services ${bridged.join(', ')} publish no port`, `set \`web-service: ${bridged[0]}\``);
        return { service: bridged[0], containerPort: o.appPort, how: 'app-port' };
    }
    const svc = services.get(name);
    if (svc.networkMode === 'host')
        return undefined;
    if (o.appPort !== undefined)
        return { service: name, containerPort: o.appPort, how: 'app-port' };
    const maps = svc.ports.map(parsePortMapping);
    const tcp = maps.filter((m) => m.protocol === 'tcp');
    const only = tcp[0];
    if (maps.length === 0 ||
        maps.some((m) => m.range || m.protocol !== 'tcp') ||
        tcp.length > 1 ||
        !only?.containerPort)
        refuse('app-port', `is needed: the ports of service ${name} (${maps.map((m) => m.text).join(', ') || 'none'}) do not name one TCP container port`, `set \`app-port: <the container port users reach>\``);
    return { service: name, containerPort: only.containerPort, how: o.webService ? 'web-service' : 'ports' };
}
/** Plan the release's copy of the compose files (see the module comment). Throws InputError naming the input. */
function planUserCompose(texts, o) {
    const docs = texts.map((t) => (0, yaml_1.parseDocument)(t));
    const roots = texts.map((t, i) => (0, index_js_2.parseComposeDocument)(t, 'compose-file', { override: i > 0 || /^include\s*:/m.test(t) }).root);
    const services = mergeServices(roots);
    const slottedNames = [...services.keys()].filter((s) => !o.accessories.includes(s));
    const plan = {
        texts: [...texts],
        changed: false,
        droppedPorts: [],
        droppedNames: [],
        binds: [],
        ship: [],
        data: [],
        networks: [],
        awaitHealthy: [],
        warnings: []
    };
    const dataPaths = new Set(o.dataPaths.map(normalise));
    if (o.slotted) {
        for (const s of slottedNames) {
            const image = services.get(s).image;
            if (image && DATABASE_IMAGE.test(image))
                refuse('accessories', `service ${s} runs ${image}, a database: in a slot it would run twice during a switch, on one data directory`, `add \`${s}\` to \`accessories\` (it then runs once, beside the slots)`);
        }
        plan.web = chooseWeb(o, services, slottedNames);
    }
    // Relative binds of every service, classed once per path.
    const classOf = new Map();
    for (const [service, m] of services)
        for (const v of m.volumes) {
            const rel = relativeSource(v);
            if (!rel)
                continue;
            const path = normalise(rel.source);
            if (path === '..' || path.startsWith('../'))
                refuse('compose-file', `service ${service} binds ${rel.source}, outside the compose file's directory`, 'move it under the directory of the first compose file, or give an absolute path on the host');
            const cls = classOf.get(path) ?? (!dataPaths.has(path) && o.exists(path) ? 'config' : 'data');
            classOf.set(path, cls);
            plan.binds.push({ service, source: rel.source, path, target: rel.target, class: cls });
        }
    for (const p of dataPaths)
        if (!classOf.has(p))
            refuse('data-paths', `names ${p}, which no service binds (relative binds: ${[...classOf.keys()].join(', ') || 'none'})`, 'list relative bind sources as the compose file writes them, e.g. `./data`');
    for (const [path, cls] of classOf) {
        if (cls === 'data')
            plan.data.push(path);
        else
            plan.ship.push({ path, kind: 'bind', mode: 'public' });
    }
    // secrets: and configs: from files; env_file: paths (the deploy's own .env excepted).
    for (const kind of ['secrets', 'configs'])
        for (const root of roots) {
            const decl = root[kind];
            if (!isObj(decl))
                continue;
            for (const [key, raw] of Object.entries(decl)) {
                if (!isObj(raw) || typeof raw.file !== 'string' || raw.file.startsWith('/'))
                    continue;
                const path = normalise(raw.file);
                if (!o.exists(path))
                    refuse('compose-file', `${kind.slice(0, -1)} ${key} reads ${raw.file}, which does not exist next to the compose file`, `create ${raw.file} in an earlier step (e.g. from a GitHub secret), or give an absolute path on the host`);
                plan.ship.push({ path, kind: kind === 'secrets' ? 'secret' : 'config', mode: 'public' });
            }
        }
    for (const m of services.values())
        for (const e of m.envFiles) {
            const path = normalise(e);
            if (e.startsWith('/') || path === '.env' || !o.exists(path) || plan.ship.some((x) => x.path === path))
                continue;
            plan.ship.push({ path, kind: 'env_file', mode: 'private' });
        }
    plan.ship = plan.ship.filter((f) => !OWN_FILE.test(f.path) || f.path === '.');
    // Networks an accessory is on: one name per app and environment.
    const accNetworks = new Set(o.accessories.flatMap((a) => services.get(a)?.networks ?? []));
    for (const root of roots) {
        const decl = root.networks;
        if (!isObj(decl))
            continue;
        for (const [key, raw] of Object.entries(decl)) {
            const n = isObj(raw) ? raw : {};
            if (!accNetworks.has(key) ||
                n.external ||
                n.name !== undefined ||
                plan.networks.some((x) => x.key === key))
                continue;
            plan.networks.push({
                key,
                name: `${o.app}-${o.environment}_${key}`,
                ...(typeof n.driver === 'string' ? { driver: n.driver } : {})
            });
        }
    }
    // depends_on an accessory with condition service_healthy: waited for before the slot starts.
    for (const s of slottedNames)
        for (const dep of services.get(s).dependsHealthy)
            if (o.accessories.includes(dep) && !plan.awaitHealthy.includes(dep))
                plan.awaitHealthy.push(dep);
    if (o.slotted)
        for (const s of slottedNames) {
            const m = services.get(s);
            const shared = [
                ...plan.binds.filter((b) => b.service === s && b.class === 'data').map((b) => b.source),
                ...m.volumes
                    .filter(namedVolume)
                    .map((v) => (typeof v === 'string' ? v.split(':')[0] : String(v.source)))
            ];
            if (shared.length)
                plan.warnings.push(`service ${s} runs in both slots during a switch and both mount ${shared.join(', ')}: the old and the new release share that data while they overlap (make it an accessory if it must run once)`);
        }
    // The rewrite, file by file.
    docs.forEach((doc, i) => {
        if (rewrite(doc, i, o, plan, slottedNames)) {
            plan.texts[i] = doc.toString({ lineWidth: 0 });
            plan.changed = true;
        }
    });
    return plan;
}
function rewrite(doc, i, o, plan, slotted) {
    let changed = false;
    const services = doc.get('services');
    if ((0, yaml_1.isMap)(services)) {
        for (const s of slotted) {
            const svc = services.get(s);
            if (!(0, yaml_1.isMap)(svc))
                continue;
            if (o.slotted) {
                const ports = svc.get('ports');
                if (ports !== undefined) {
                    if ((0, yaml_1.isSeq)(ports))
                        for (const p of ports.toJSON())
                            plan.droppedPorts.push({ service: s, mapping: parsePortMapping(p).text });
                    svc.delete('ports');
                    changed = true;
                }
                const cn = svc.get('container_name');
                if (cn !== undefined) {
                    plan.droppedNames.push({ service: s, name: String(cn) });
                    svc.delete('container_name');
                    changed = true;
                }
            }
            // Data binds point at the app's data directory, two levels above the release directory.
            changed = pointDataBinds(svc, plan) || changed;
        }
        // Accessories' data binds too (a database's `./data`), without touching their ports or names.
        for (const a of o.accessories) {
            const svc = services.get(a);
            if ((0, yaml_1.isMap)(svc))
                changed = pointDataBinds(svc, plan) || changed;
        }
        // The web service's one mapping, in the first file that defines it.
        if (plan.web && i === firstDefining(doc, plan.web.service, i, plan)) {
            const web = services.get(plan.web.service);
            if ((0, yaml_1.isMap)(web)) {
                web.set('ports', doc.createNode([`127.0.0.1:\${${o.portVar}:-0}:${plan.web.containerPort}`]));
                changed = true;
            }
        }
    }
    const nets = doc.get('networks');
    if ((0, yaml_1.isMap)(nets))
        for (const n of plan.networks)
            if (nets.has(n.key)) {
                nets.set(n.key, doc.createNode({ name: n.name, external: true }));
                changed = true;
            }
    return changed;
}
/** Rewrite a service's data bind sources to `../../data/<path>`; true when one changed. */
function pointDataBinds(svc, plan) {
    const vols = svc.get('volumes');
    if (!(0, yaml_1.isSeq)(vols))
        return false;
    let changed = false;
    vols.items.forEach((item, k) => {
        const v = (0, yaml_1.isNode)(item) ? item.toJSON() : item;
        const rel = relativeSource(v);
        if (!rel || !plan.data.includes(normalise(rel.source)))
            return;
        const to = `../../data/${normalise(rel.source)}`;
        if (typeof v === 'string')
            vols.set(k, [to, ...v.split(':').slice(1)].join(':'));
        else
            vols.setIn([k, 'source'], to);
        changed = true;
    });
    return changed;
}
const placed = new WeakMap();
/** Index of the first file (in order) whose `services:` names the web service: where its mapping goes. */
function firstDefining(doc, service, i, plan) {
    const known = placed.get(plan);
    if (known !== undefined)
        return known;
    const services = doc.get('services');
    if ((0, yaml_1.isMap)(services) && services.has(service)) {
        placed.set(plan, i);
        return i;
    }
    return -1;
}


/***/ }),

/***/ 2884:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.ADOPT_DATA = exports.SHIP_LIMIT_BYTES = void 0;
exports.userFileName = userFileName;
exports.userCompose = userCompose;
exports.readShipped = readShipped;
exports.reportUserCompose = reportUserCompose;
exports.userComposeSteps = userComposeSteps;
exports.adoptDataArgv = adoptDataArgv;
exports.pruneReleaseArgv = pruneReleaseArgv;
exports.awaitHealthyArgv = awaitHealthyArgv;
const node_fs_1 = __webpack_require__(3024);
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
const accessories_js_1 = __webpack_require__(6427);
const compose_files_js_1 = __webpack_require__(6211);
const layout_js_1 = __webpack_require__(5759);
const user_compose_js_1 = __webpack_require__(3307);
const strategy_js_1 = __webpack_require__(9836);
const host_scripts_generated_js_1 = __webpack_require__(4893);
/** Config that ships with a release (relative binds that exist, secrets, configs, env files): at most this. */
exports.SHIP_LIMIT_BYTES = 20 * 1024 * 1024;
/** The user's own files, kept beside the rewritten copies: compose.user.yml, compose.2.user.yml, … */
function userFileName(i) {
    return i === 0 ? 'compose.user.yml' : `compose.${i + 1}.user.yml`;
}
let last;
/**
 * Plan a deploy's compose files and read what ships from the first compose file's directory on the runner
 * (`composeDir`; without it nothing exists there, so every relative bind is data and nothing ships). The
 * input reader and the engine both ask; the work is done once per spec.
 */
function userCompose(d, accessories) {
    if (last?.key === d && last.accessories === accessories.join())
        return last.value;
    const dir = d.composeDir;
    const texts = (0, compose_files_js_1.composeFiles)(d);
    const plan = (0, user_compose_js_1.planUserCompose)(texts, {
        app: d.app,
        environment: d.environmentSlug ?? d.environment,
        slotted: (0, strategy_js_1.usesSlots)(d.strategy),
        accessories,
        ...(d.webService ? { webService: d.webService } : {}),
        ...(d.appPort !== undefined ? { appPort: d.appPort } : {}),
        dataPaths: d.dataPaths ?? [],
        portVar: d.portVar,
        exists: (p) => !!dir && (0, node_fs_1.existsSync)((0, node_path_1.join)(dir, p))
    });
    const files = dir ? readShipped(dir, plan.ship) : [];
    if (plan.changed)
        texts.forEach((t, i) => {
            if (plan.texts[i] !== t)
                files.push({ name: userFileName(i), content: Buffer.from(t), public: false });
        });
    const value = { plan, texts: plan.texts, files, report: reportLines(plan) };
    last = { key: d, accessories: accessories.join(), value };
    return value;
}
/** Regular files under each shipped path (directories walked, `.git` skipped), capped at SHIP_LIMIT_BYTES. */
function readShipped(dir, ship) {
    const out = [];
    let total = 0;
    const add = (rel, pub, top) => {
        const full = (0, node_path_1.join)(dir, rel);
        const st = (0, node_fs_1.statSync)(full);
        if (st.isDirectory()) {
            for (const e of (0, node_fs_1.readdirSync)(full).sort())
                if (e !== '.git')
                    add(rel === '.' ? e : node_path_1.posix.join(rel, e), pub, top);
            return;
        }
        if (!st.isFile() || out.some((f) => f.name === rel))
            return;
        // The release directory's own files are never replaced by a shipped one.
        if (/^(?:compose(?:\.[\w-]+)*\.yml|\.env|release\.json)$/.test(rel))
            return;
        total += st.size;
        if (total > exports.SHIP_LIMIT_BYTES)
            throw new index_js_1.InputError('compose-file', `${top} makes the config shipped with the release larger than ${exports.SHIP_LIMIT_BYTES / 1024 / 1024} MiB`, `make ${top} data (\`data-paths: ${top}\`), bake it into the image, or bind a smaller path`);
        // ustar names hold 100 bytes, `releases/<id>/` included.
        if (Buffer.byteLength(rel) > 64)
            throw new index_js_1.InputError('compose-file', `${rel} (shipped with the release) has a path longer than 64 bytes`, 'bind a shorter path');
        out.push({ name: rel, content: (0, node_fs_1.readFileSync)(full), public: pub });
    };
    for (const s of ship)
        add(s.path, s.mode === 'public', s.path);
    return out;
}
function reportLines(plan) {
    const lines = [];
    if (plan.web)
        lines.push(`web service ${plan.web.service}: container port ${plan.web.containerPort} (from ${plan.web.how}), published in each slot on 127.0.0.1:<slot port>`);
    for (const p of plan.droppedPorts)
        lines.push(`dropped host port ${p.mapping} of service ${p.service} (two slots cannot share it)`);
    for (const n of plan.droppedNames)
        lines.push(`dropped container_name ${n.name} of service ${n.service} (compose names each slot's containers)`);
    for (const b of plan.binds)
        lines.push(b.class === 'config'
            ? `bind ${b.source} → ${b.target} (service ${b.service}): config, ships with the release`
            : `bind ${b.source} → ${b.target} (service ${b.service}): data, kept in data/${b.path} for every release`);
    for (const n of plan.networks)
        lines.push(`network ${n.key}: pinned to ${n.name} (slots and accessories meet there)`);
    for (const a of plan.awaitHealthy)
        lines.push(`slots wait for accessory ${a} to be healthy before they start`);
    return lines;
}
/** Say what the rewrite did, once per deploy; the warnings as warnings. */
function reportUserCompose(u, logger) {
    for (const l of u.report)
        logger.info(`compose-file: ${l}`);
    for (const w of u.plan.warnings)
        logger.warning(`compose-file: ${w}`);
}
/**
 * Host steps after the release directory is written: shipped config and secrets readable by any container uid
 * (0644 files, 0755 directories, inside the 0700 release directory), the data directories, and the pinned
 * networks.
 */
function userComposeSteps(l, releaseId, u) {
    const steps = [];
    const pub = u.files.filter((f) => f.public).map((f) => f.name);
    if (pub.length) {
        const dirs = new Set();
        for (const f of pub)
            for (let d = node_path_1.posix.dirname(f); d !== '.'; d = node_path_1.posix.dirname(d))
                dirs.add(d);
        steps.push({
            name: 'open shipped config to containers',
            argv: [
                'sh',
                '-c',
                host_scripts_generated_js_1.HOST_SCRIPTS['open-shipped'],
                'sh',
                (0, layout_js_1.releaseDir)(l, releaseId),
                ...[...dirs].sort(),
                ...pub
            ]
        });
    }
    if (u.plan.data.length)
        steps.push({ name: exports.ADOPT_DATA, argv: adoptDataArgv(l.root, u.plan.data) });
    if (u.plan.data.length)
        steps.push({
            name: 'data directories',
            argv: ['mkdir', '-p', '--', ...u.plan.data.map((p) => node_path_1.posix.join(l.root, 'data', p))]
        });
    for (const n of u.plan.networks)
        steps.push({ name: `network ${n.name}`, argv: (0, accessories_js_1.ensureNetworkArgv)(n.name) });
    return steps;
}
exports.ADOPT_DATA = 'adopt data of earlier releases';
/**
 * Data an earlier version of this action left inside release directories (a relative bind resolved there, so
 * each release had its own `releases/<id>/<path>`), adopted once per path, when `<root>/data/<path>` does not
 * exist yet:
 * - the serving release's copy is moved there (a rename: a running container keeps its mount);
 * - every other release's copy is kept beside, renamed `<path>.earlier` (a rename in the same directory, which a
 *   copy owned by a container's user cannot stop), listed, and marked in that release's `.earlier-data` so that
 *   no prune deletes it (pruneReleaseArgv);
 * - each of them gets a link to `<root>/data/<path>` in place of its copy: its compose file binds `./<path>`,
 *   so a rollback to any of them mounts the one stable directory, never an old copy.
 * Prints `adopted <path> from releases/<id>` and `left <path> in releases/<id> …`; a copy it cannot move fails
 * the step, naming it.
 */
function adoptDataArgv(root, paths) {
    return ['sh', '-c', host_scripts_generated_js_1.HOST_SCRIPTS['adopt-data'], 'sh', root, ...paths];
}
/**
 * Prune a release directory (set aside at `dir`). One that holds data an earlier version of this action left in
 * it (listed in its `.earlier-data` by adoptDataArgv) is moved whole to `keepIn` (one rename of a directory the
 * deploy user owns), out of releases/ so no later prune reads it again; there it loses its release.json, its
 * .env and its links to the stable data, and keeps the data. Prints `kept <path> …` then, once.
 */
function pruneReleaseArgv(dir, keepIn) {
    return ['sh', '-c', host_scripts_generated_js_1.HOST_SCRIPTS['prune-release'], 'sh', dir, keepIn];
}
/**
 * Wait until every container of `services` in `project` is healthy (running, when it has no healthcheck), at
 * most `timeoutS`. Exit 0 `healthy`; exit 5 `timeout <service state>…`.
 */
function awaitHealthyArgv(project, services, timeoutS) {
    return [
        'sh',
        '-c',
        host_scripts_generated_js_1.HOST_SCRIPTS['await-healthy'],
        'sh',
        String(Math.max(1, Math.ceil(timeoutS))),
        project,
        ...services
    ];
}


/***/ }),

/***/ 1983:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.envKeys = envKeys;
exports.envValues = envValues;
exports.checkEnvAgainstTemplate = checkEnvAgainstTemplate;
exports.composeRequiredKeys = composeRequiredKeys;
exports.checkEnvAgainstCompose = checkEnvAgainstCompose;
exports.configHash = configHash;
const node_crypto_1 = __webpack_require__(7598);
const index_js_1 = __webpack_require__(893);
/** Keys of a dotenv text (`KEY=value`, `export KEY=value`); comments and blank lines skipped. */
function envKeys(text) {
    const keys = [];
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        if (!line || line.startsWith('#'))
            continue;
        const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
        if (m)
            keys.push(m[1]);
    }
    return keys;
}
/** Values of a dotenv text, for masking. */
function envValues(text) {
    const values = [];
    for (const raw of text.split(/\r?\n/)) {
        const m = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*(.*)$/.exec(raw);
        if (!m)
            continue;
        const v = m[1].trim().replace(/^(['"])(.*)\1$/, '$2');
        if (v.length >= 3)
            values.push(v);
    }
    return values;
}
/** Every key of the template must be in the env file. Never shows a value. */
function checkEnvAgainstTemplate(envText, templateText) {
    const have = new Set(envKeys(envText));
    const missing = envKeys(templateText).filter((k) => !have.has(k));
    if (missing.length)
        throw new index_js_1.InputError('env-file', `misses ${missing.length === 1 ? 'key' : 'keys'} ${missing.join(', ')} listed in env-template`, 'add them to the env file (or remove them from the template)');
    const lines = envText.split(/\r?\n/);
    lines.forEach((raw, i) => {
        const line = raw.trim();
        if (line && !line.startsWith('#') && !/^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line))
            throw new index_js_1.InputError('env-file', `line ${i + 1} is not KEY=value`, 'write one KEY=value per line');
    });
}
/**
 * Variables a compose text marks as required for interpolation, `${NAME:?message}` or `${NAME?message}`
 * (`$${…}` is a literal `$` and does not count). Compose refuses the file on the host when one is unset.
 */
function composeRequiredKeys(composeText) {
    const keys = new Set();
    for (const m of composeText.matchAll(/(\$*)\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g))
        if (m[1].length % 2 === 0)
            keys.add(m[2]);
    return [...keys];
}
/**
 * Every variable the compose files require (`${NAME:?…}`) must be in the env file, but for the ones the deploy
 * sets itself (the port variable): named before the host is touched, never with a value.
 */
function checkEnvAgainstCompose(envText, composeTexts, own) {
    const have = new Set([...envKeys(envText), ...own]);
    const missing = [...new Set(composeTexts.flatMap(composeRequiredKeys))].filter((k) => !have.has(k));
    if (missing.length)
        throw new index_js_1.InputError('env-file', `misses ${missing.length === 1 ? 'key' : 'keys'} ${missing.join(', ')} that compose-file requires (\`\${NAME:?…}\`)`, 'add them to the env file (the ENV_FILE secret in the workflows), or give them a default in the compose file (`${NAME:-value}`)');
}
function configHash(composeText, images, envText) {
    const h = (0, node_crypto_1.createHash)('sha256');
    h.update(composeText).update('\0');
    for (const k of Object.keys(images).sort())
        h.update(`${k}=${images[k]}\n`);
    h.update('\0').update(envText);
    return `sha256:${h.digest('hex')}`;
}


/***/ }),

/***/ 1802:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.waitReadyArgv = waitReadyArgv;
exports.decodeWaitReady = decodeWaitReady;
const index_js_1 = __webpack_require__(9718);
const host_scripts_generated_js_1 = __webpack_require__(4893);
const host_js_1 = __webpack_require__(6107);
/**
 * Wait on the host until `project`'s containers run and `check` (an HTTP check from the host, argv) passes
 * twice in a row, up to `timeoutS`: packages/deploy/host/wait-ready.sh, one loop in the phase's session.
 */
function waitReadyArgv(project, timeoutS, check = []) {
    return [
        'sh',
        '-c',
        host_scripts_generated_js_1.HOST_SCRIPTS['wait-ready'],
        'sh',
        String(Math.max(1, Math.ceil(timeoutS))),
        project,
        index_js_1.CONTAINER_STATE_FORMAT,
        ...check
    ];
}
function decodeWaitReady(exitCode, stdout) {
    const [first = '', ...rest] = stdout.trim().split('\n');
    const after = (prefix) => (first.startsWith(prefix) ? first.slice(prefix.length) : undefined);
    if (exitCode === 0)
        return { kind: 'ready' };
    const crashed = after('crashed ');
    if (exitCode === 3 && crashed !== undefined)
        return { kind: 'crashed', container: (0, host_js_1.parseContainerStates)(crashed)[0], logs: rest.slice(-10) };
    if (exitCode === 4)
        return { kind: 'unhealthy', container: after('unhealthy ') ?? first };
    if (exitCode === 5) {
        const checkExit = after('timeout http ');
        if (checkExit !== undefined)
            return { kind: 'check-timeout', checkExit };
        return { kind: 'states-timeout', containers: (0, host_js_1.parseContainerStates)(rest.join('\n')) };
    }
    return { kind: 'failed', exitCode, output: stdout.trim() };
}


/***/ }),

/***/ 1118:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.CONTAINER_STATE_FORMAT = exports.dockerCli = void 0;
exports.buildxVersionArgv = buildxVersionArgv;
exports.daemonPlatformArgv = daemonPlatformArgv;
exports.classicUnsupported = classicUnsupported;
exports.normalizePlatform = normalizePlatform;
exports.secretArg = secretArg;
exports.classicBuildArgv = classicBuildArgv;
exports.buildxBuildArgv = buildxBuildArgv;
exports.outputType = outputType;
exports.isFileExport = isFileExport;
exports.buildxInspectArgv = buildxInspectArgv;
exports.parseBuildxInspect = parseBuildxInspect;
exports.driverStatusArgv = driverStatusArgv;
exports.usesContainerdStore = usesContainerdStore;
exports.needsDriverCheck = needsDriverCheck;
exports.dockerDriverUnsupported = dockerDriverUnsupported;
exports.refuseForDockerDriver = refuseForDockerDriver;
exports.buildkitDropsAnnotations = buildkitDropsAnnotations;
exports.buildkitLacksNamedContexts = buildkitLacksNamedContexts;
exports.hasSyntaxDirective = hasSyntaxDirective;
exports.buildArgv = buildArgv;
exports.loginArgv = loginArgv;
exports.logoutArgv = logoutArgv;
exports.tagArgv = tagArgv;
exports.pushArgv = pushArgv;
exports.pullArgv = pullArgv;
exports.inspectArgv = inspectArgv;
exports.imageRmArgv = imageRmArgv;
exports.parsePushDigest = parsePushDigest;
exports.serverVersionArgv = serverVersionArgv;
exports.withDockerConfig = withDockerConfig;
exports.removeProjectContainersArgv = removeProjectContainersArgv;
const index_js_1 = __webpack_require__(893);
/** `docker buildx version`: exit 0 means the buildx plugin is installed. */
function buildxVersionArgv() {
    return ['docker', 'buildx', 'version'];
}
/** The platform the local daemon builds for, e.g. linux/amd64. */
function daemonPlatformArgv() {
    return ['docker', 'version', '--format', '{{.Server.Os}}/{{.Server.Arch}}'];
}
function pairs(flag, map) {
    return Object.entries(map).flatMap(([k, v]) => [flag, `${k}=${v}`]);
}
/** A classic --cache-from takes an image reference; anything with type= or attributes is buildx's syntax. */
function isPlainImage(cache) {
    return !cache.includes('=') && !cache.includes(',');
}
/**
 * Inputs the classic builder cannot honour. They are refused, never silently dropped: an image built
 * without its cache export, attestation or secret is not the image the workflow asked for.
 * `daemonPlatform` is the platform the classic builder builds for (one platform, the daemon's own).
 */
function classicUnsupported(o, daemonPlatform) {
    const out = [];
    const platforms = o.platforms ?? [];
    if (platforms.length > 1)
        out.push({ input: 'platforms', why: `${platforms.length} platforms need buildx (one manifest list)` });
    else if (platforms.length === 1 && daemonPlatform && normalizePlatform(platforms[0]) !== daemonPlatform)
        out.push({
            input: 'platforms',
            why: `${platforms[0]} is not the daemon's platform ${daemonPlatform}; cross-building needs buildx`
        });
    const typed = (o.cacheFrom ?? []).filter((c) => !isPlainImage(c));
    if (typed.length > 0)
        out.push({ input: 'cache-from', why: `${typed.join(' ')} is a buildx cache source (type=…)` });
    if ((o.cacheTo ?? []).length > 0)
        out.push({ input: 'cache-to', why: 'cache export needs buildx' });
    if ((o.secrets ?? []).length > 0)
        out.push({
            input: 'secrets',
            why: 'build secrets need BuildKit, and the classic builder here has none (buildx is not installed)'
        });
    if (o.provenance !== undefined && o.provenance !== 'false')
        out.push({ input: 'provenance', why: 'provenance attestations need buildx' });
    if (o.sbom !== undefined && o.sbom !== 'false')
        out.push({ input: 'sbom', why: 'SBOM attestations need buildx' });
    const needs = (input, what, why) => {
        if ((what ?? []).length > 0)
            out.push({ input, why });
    };
    needs('allow', o.allow, 'entitlements (network.host, security.insecure) are a BuildKit feature');
    needs('annotations', o.annotations, 'the classic builder writes no OCI annotations');
    needs('attests', o.attests, 'attestations need buildx');
    needs('build-contexts', o.buildContexts, 'named build contexts need BuildKit');
    needs('no-cache-filters', o.noCacheFilters, 'per-stage cache control needs BuildKit');
    needs('ssh', o.ssh, 'SSH forwarding needs BuildKit');
    const exports = (o.outputs ?? []).filter((x) => !isLocalStoreOutput(x));
    needs('outputs', exports, `${exports.join(' ')}: the classic builder only writes to the local image store`);
    if (o.call !== undefined && o.call !== 'build')
        out.push({ input: 'call', why: `call=${o.call} (build checks and outlines) needs buildx` });
    if (o.builderName)
        out.push({ input: 'builder', why: `"${o.builderName}" names a buildx builder instance` });
    return out;
}
/** `type=docker` / `type=image` without a push: what the classic builder does anyway. */
function isLocalStoreOutput(output) {
    const attrs = output.split(',').map((a) => a.trim());
    const type = attrs.find((a) => a.startsWith('type='))?.slice(5) ?? '';
    return (type === 'docker' || type === 'image') && !attrs.some((a) => /^push=true$/i.test(a));
}
function normalizePlatform(p) {
    const [os = '', arch = '', variant] = p.trim().toLowerCase().split('/');
    const a = arch === 'x86_64' ? 'amd64' : arch === 'aarch64' ? 'arm64' : arch;
    // linux/arm64/v8 is linux/arm64; other variants stay.
    return [os, a, a === 'arm64' && variant === 'v8' ? undefined : variant].filter(Boolean).join('/');
}
function secretArg(s) {
    return 'src' in s ? `id=${s.id},src=${s.src}` : `id=${s.id},env=${s.env}`;
}
/** `docker build …` (the classic builder). Throws InputError for what only buildx can honour. */
function classicBuildArgv(o, daemonPlatform) {
    const unsupported = classicUnsupported(o, daemonPlatform);
    if (unsupported.length > 0) {
        const first = unsupported[0];
        throw new index_js_1.InputError(first.input, `${unsupported.map((u) => `${u.input}: ${u.why}`).join('; ')}. Only the classic builder is available`, 'install buildx (docker/setup-buildx-action) before this step, or remove these inputs');
    }
    const argv = ['docker', 'build'];
    if (o.file)
        argv.push('--file', o.file);
    for (const t of o.tags)
        argv.push('--tag', t);
    argv.push(...pairs('--label', o.labels), ...pairs('--build-arg', o.buildArgs));
    if (o.target)
        argv.push('--target', o.target);
    if (o.platforms?.length === 1)
        argv.push('--platform', o.platforms[0]);
    for (const c of o.cacheFrom ?? [])
        argv.push('--cache-from', c);
    argv.push(...sharedFlags(o));
    if (o.noCache)
        argv.push('--no-cache');
    if (o.pull)
        argv.push('--pull');
    if (o.iidFile)
        argv.push('--iidfile', o.iidFile);
    argv.push(o.context);
    return argv;
}
/** The flags both builders take with the same meaning. */
function sharedFlags(o) {
    const argv = [];
    for (const h of o.addHosts ?? [])
        argv.push('--add-host', h);
    if (o.cgroupParent)
        argv.push('--cgroup-parent', o.cgroupParent);
    if (o.network)
        argv.push('--network', o.network);
    if (o.shmSize)
        argv.push('--shm-size', o.shmSize);
    for (const u of o.ulimits ?? [])
        argv.push('--ulimit', u);
    return argv;
}
/** `docker buildx build …`. */
function buildxBuildArgv(o) {
    const argv = ['docker'];
    if (o.dockerContext && o.dockerContext !== 'default')
        argv.push('--context', o.dockerContext);
    argv.push('buildx', 'build');
    if (o.builderName)
        argv.push('--builder', o.builderName);
    if (o.file)
        argv.push('--file', o.file);
    for (const t of o.tags)
        argv.push('--tag', t);
    argv.push(...pairs('--label', o.labels), ...pairs('--build-arg', o.buildArgs));
    if (o.target)
        argv.push('--target', o.target);
    if (o.platforms && o.platforms.length > 0)
        argv.push('--platform', o.platforms.join(','));
    for (const c of o.cacheFrom ?? [])
        argv.push('--cache-from', c);
    for (const c of o.cacheTo ?? [])
        argv.push('--cache-to', c);
    for (const s of o.secrets ?? [])
        argv.push('--secret', secretArg(s));
    if (o.provenance !== undefined)
        argv.push(`--provenance=${o.provenance}`);
    if (o.sbom !== undefined)
        argv.push(`--sbom=${o.sbom}`);
    for (const a of o.attests ?? [])
        argv.push('--attest', a);
    for (const a of o.annotations ?? [])
        argv.push('--annotation', a);
    for (const a of o.allow ?? [])
        argv.push('--allow', a);
    for (const c of o.buildContexts ?? [])
        argv.push('--build-context', c);
    if (o.call)
        argv.push('--call', o.call);
    argv.push(...sharedFlags(o));
    for (const f of o.noCacheFilters ?? [])
        argv.push('--no-cache-filter', f);
    for (const x of o.outputs ?? [])
        argv.push('--output', x);
    for (const x of o.ssh ?? [])
        argv.push('--ssh', x);
    if (o.noCache)
        argv.push('--no-cache');
    if (o.pull)
        argv.push('--pull');
    // buildx refuses an image-id file beside the local and tar exporters (no image comes out of them).
    if (o.iidFile && !(o.outputs ?? []).some(isFileExport))
        argv.push('--iidfile', o.iidFile);
    if (o.metadataFile)
        argv.push('--metadata-file', o.metadataFile);
    if (o.push)
        argv.push('--push');
    // The docker image store takes one platform; a multi-platform build without push stays in the cache.
    // Explicit outputs decide for themselves (buildx refuses --load beside another --output).
    const load = o.load ?? ((o.outputs ?? []).length === 0 && !o.push && (o.platforms?.length ?? 0) <= 1);
    if (load)
        argv.push('--load');
    argv.push(o.context);
    return argv;
}
/** The exporter an `--output` names: `type=…`, or a bare path / `dest=…` (buildx reads both as local). */
function outputType(output) {
    const attrs = output.split(',').map((a) => a.trim());
    const type = attrs.find((a) => a.startsWith('type='));
    if (type)
        return type.slice(5);
    return output === '-' ? 'tar' : 'local';
}
/** The local and tar exporters write files, not an image: buildx refuses --iidfile beside them. */
function isFileExport(output) {
    const t = outputType(output);
    return t === 'local' || t === 'tar';
}
/** `docker buildx inspect [name]`: the builder's driver, endpoint and BuildKit version. */
function buildxInspectArgv(name) {
    return ['docker', 'buildx', 'inspect', ...(name ? [name] : [])];
}
function parseBuildxInspect(text) {
    const field = (key) => new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
    return {
        name: field('Name'),
        driver: field('Driver'),
        endpoint: field('Endpoint'),
        buildkit: field('BuildKit version') || field('Buildkit')
    };
}
/**
 * The image store of the daemon a docker-driver builder runs on: `docker info`'s DriverStatus names
 * `io.containerd.snapshotter.v1` when the containerd image store is on. `context` is the builder's endpoint.
 */
function driverStatusArgv(context) {
    return [
        'docker',
        ...(context && context !== 'default' ? ['--context', context] : []),
        'info',
        '--format',
        '{{json .DriverStatus}}'
    ];
}
function usesContainerdStore(driverStatusJson) {
    return driverStatusJson.includes('io.containerd.snapshotter');
}
/** Cache exports other than inline (registry, gha, local, s3, azblob…). */
function exportedCaches(o) {
    return (o.cacheTo ?? []).filter((c) => outputType(c) !== 'inline');
}
/** Whether a request asks for anything a docker-driver builder may refuse (then the driver is read). */
function needsDriverCheck(o) {
    return dockerDriverUnsupported(o).length > 0;
}
/**
 * What the `docker` driver without the containerd image store cannot do; buildx itself fails on each of
 * these ("… is not supported for the docker driver"), after the build context has been sent. Refused here
 * before anything runs, naming the input and the fix.
 */
function dockerDriverUnsupported(o) {
    const out = [];
    const caches = exportedCaches(o);
    if (caches.length > 0)
        out.push({ input: 'cache-to', why: `${caches.join(' ')}: cache export (other than type=inline)` });
    if ((o.platforms ?? []).length > 1)
        out.push({ input: 'platforms', why: `${o.platforms.join(',')}: a multi-platform image` });
    if (o.provenance !== undefined && o.provenance !== 'false')
        out.push({ input: 'provenance', why: `provenance=${o.provenance}: attestations` });
    if (o.sbom !== undefined && o.sbom !== 'false')
        out.push({ input: 'sbom', why: `sbom=${o.sbom}: attestations` });
    if ((o.attests ?? []).length > 0)
        out.push({ input: 'attests', why: 'attestations' });
    return out;
}
/** Throws the InputError for what the docker driver cannot do (nothing when it can do it all). */
function refuseForDockerDriver(o, builder) {
    const unsupported = dockerDriverUnsupported(o);
    if (unsupported.length === 0)
        return;
    throw new index_js_1.InputError(unsupported[0].input, `${unsupported.map((u) => `${u.input}: ${u.why}`).join('; ')} is not supported by builder "${builder.name}" (driver docker, without the containerd image store)`, 'create a docker-container builder with docker/setup-buildx-action and pass its name as `builder`, ' +
        'or turn on the containerd image store on the daemon');
}
/**
 * A builder's BuildKit as major and minor, or undefined when it does not say. Distribution builds of dockerd
 * report `v0.0.0+unknown` (Debian's 26.1 does, and runs BuildKit v0.13): that is no version, not v0.0.
 */
function buildkitVersion(version) {
    const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version) ?? /^v?(\d+)\.(\d+)/.exec(version);
    if (!m)
        return undefined;
    const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    if (major === 0 && minor === 0 && patch === 0)
        return undefined;
    return { major, minor };
}
/** BuildKit before v0.11 writes no OCI annotations (the registry gets a Docker v2 manifest without them). */
function buildkitDropsAnnotations(version) {
    const v = buildkitVersion(version);
    return v !== undefined && v.major === 0 && v.minor < 11;
}
/** BuildKit before v0.10 has a built-in Dockerfile frontend without named contexts (`--build-context`). */
function buildkitLacksNamedContexts(version) {
    const v = buildkitVersion(version);
    return v !== undefined && v.major === 0 && v.minor < 10;
}
/** A `# syntax=` directive at the top of a Dockerfile: the build then runs that frontend, not the built-in one. */
function hasSyntaxDirective(dockerfile) {
    for (const line of dockerfile.split('\n')) {
        const t = line.trim();
        if (t === '')
            continue;
        if (!t.startsWith('#'))
            return false;
        if (/^#\s*syntax\s*=/i.test(t))
            return true;
    }
    return false;
}
function buildArgv(builder, o, daemonPlatform) {
    return builder === 'classic' ? classicBuildArgv(o, daemonPlatform) : buildxBuildArgv(o);
}
/** `docker login` with the password on stdin, never in argv. */
function loginArgv(registry, username) {
    return ['docker', 'login', '--username', username, '--password-stdin', registry];
}
function logoutArgv(registry) {
    return ['docker', 'logout', registry];
}
function tagArgv(source, target) {
    return ['docker', 'tag', source, target];
}
function pushArgv(ref) {
    return ['docker', 'push', ref];
}
function pullArgv(ref) {
    return ['docker', 'pull', ref];
}
/** `docker image inspect` with an optional Go template, e.g. '{{json .RepoDigests}}'. */
function inspectArgv(ref, format) {
    return format
        ? ['docker', 'image', 'inspect', '--format', format, ref]
        : ['docker', 'image', 'inspect', ref];
}
function imageRmArgv(refs, force = false) {
    return ['docker', 'image', 'rm', ...(force ? ['--force'] : []), ...refs];
}
/** The manifest digest `docker push` prints on its last line: `<tag>: digest: sha256:… size: N`. */
function parsePushDigest(output) {
    const all = [...output.matchAll(/digest: (sha256:[0-9a-f]{64})/g)];
    return all.at(-1)?.[1];
}
/** The docker CLI argv publish-registry needs (registry's DockerCli), so registry never imports docker. */
exports.dockerCli = {
    loginArgv,
    logoutArgv,
    tagArgv,
    pushArgv,
    inspectArgv,
    parsePushDigest
};
// ---------------------------------------------------------------------------------------------------------
// Container and daemon queries for deploys on a host (deploy-compose, rollback). Kept as one block: the
// build and tag parts above have another owner.
/** The daemon's version: fails (naming the socket) when the user may not use docker. */
function serverVersionArgv() {
    return ['docker', 'version', '--format', '{{.Server.Version}}'];
}
/**
 * Run a docker argv with a private client config dir (a per-deploy registry login that does not stay behind).
 * Never a compose call: the Compose v2 plugin lives in the user's ~/.docker/cli-plugins, which docker looks
 * for under DOCKER_CONFIG, so `docker compose` would vanish there (and v1 would lose the user's own logins).
 * Log in and pull under the private config; run compose under the user's own.
 */
function withDockerConfig(dir, argv) {
    const words = argv.filter((w) => !/^\w+=/.test(w) && w !== 'env');
    if (words[0] === 'docker-compose' || (words[0] === 'docker' && words[1] === 'compose'))
        throw new Error(`withDockerConfig: \`${words.slice(0, 3).join(' ')}\` would run under a private DOCKER_CONFIG, where the compose plugin is not found`);
    return ['env', `DOCKER_CONFIG=${dir}`, ...argv];
}
/** `<id> <status> <health|-> <restarts> <exit code> <name>` per container. */
exports.CONTAINER_STATE_FORMAT = 
// `index` and not `.State.Health`: the key is absent for containers without a HEALTHCHECK.
'{{.Id}} {{.State.Status}} {{with index .State "Health"}}{{.Status}}{{else}}-{{end}} {{.RestartCount}} {{.State.ExitCode}} {{.Name}}';
/** Remove whatever containers a compose project left (a failed earlier run in an idle slot). */
function removeProjectContainersArgv(project) {
    return [
        'sh',
        '-c',
        'ids=$(docker ps -aq --filter "label=com.docker.compose.project=$1"); [ -z "$ids" ] || docker rm -f $ids',
        'sh',
        project
    ];
}


/***/ }),

/***/ 3278:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.isRemoteContext = isRemoteContext;
exports.isGitContext = isGitContext;
exports.checkContext = checkContext;
exports.cliPluginDirs = cliPluginDirs;
exports.findBuildxPlugin = findBuildxPlugin;
exports.detectBuilder = detectBuilder;
exports.buildImage = buildImage;
const node_fs_1 = __webpack_require__(3024);
const node_os_1 = __webpack_require__(8161);
const promises_1 = __webpack_require__(1455);
const node_os_2 = __webpack_require__(8161);
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
const argv_js_1 = __webpack_require__(1118);
/** A remote context (Git repository or tarball URL, or stdin) rather than a local directory. */
function isRemoteContext(context) {
    return context === '-' || /^(https?:\/\/|git:\/\/|git@|ssh:\/\/|github\.com\/)/.test(context);
}
function isGitContext(context) {
    return (/^(git:\/\/|git@|ssh:\/\/|github\.com\/)/.test(context) ||
        /^https?:\/\/.*(\.git)(#.*)?$/.test(context) ||
        /^https?:\/\/(www\.)?github\.com\//.test(context));
}
/** A local context must be a directory: say so, naming the input, before docker is asked. */
function checkContext(context) {
    if (isRemoteContext(context))
        return;
    let dir = false;
    try {
        dir = (0, node_fs_1.statSync)(context).isDirectory();
    }
    catch {
        throw new index_js_1.InputError('context', `"${context}" does not exist`, 'check out the repository first (actions/checkout) or fix the path');
    }
    if (!dir)
        throw new index_js_1.InputError('context', `"${context}" is not a directory`, 'give the directory that holds the build context');
}
/**
 * The docker CLI's plugin directories on Linux, in its order: the user's (`$DOCKER_CONFIG/cli-plugins`,
 * else `~/.docker/cli-plugins`), then the system ones, where GitHub's runners (and the lab) have buildx.
 */
function cliPluginDirs(env = process.env) {
    return [
        (0, node_path_1.join)(env.DOCKER_CONFIG || (0, node_path_1.join)((0, node_os_1.homedir)(), '.docker'), 'cli-plugins'),
        '/usr/local/lib/docker/cli-plugins',
        '/usr/local/libexec/docker/cli-plugins',
        '/usr/lib/docker/cli-plugins',
        '/usr/libexec/docker/cli-plugins'
    ];
}
/** The first executable `docker-buildx` in the plugin directories. */
function findBuildxPlugin(dirs) {
    for (const dir of dirs) {
        const path = (0, node_path_1.join)(dir, 'docker-buildx');
        try {
            (0, node_fs_1.accessSync)(path, node_fs_1.constants.X_OK);
            if ((0, node_fs_1.statSync)(path).isFile())
                return path;
        }
        catch {
            // not there
        }
    }
    return undefined;
}
/**
 * Read the buildx builder's driver when the request needs what a driver may lack: the `docker` driver
 * without the containerd image store cannot export a cache (other than inline), build several platforms or
 * attach attestations, and buildx fails on each only after the context was sent. Refuse first, by input.
 * Annotations are not refused (buildx takes them), but BuildKit before v0.11 drops them: say so.
 * A named `docker`-driver builder runs through its own docker context (buildx demands it).
 */
async function checkDriver(o, deps) {
    const annotations = (o.annotations ?? []).length > 0;
    const contexts = (o.buildContexts ?? []).length > 0 && !isRemoteContext(o.context);
    if (!(0, argv_js_1.needsDriverCheck)(o) && !annotations && !contexts && !o.builderName)
        return undefined;
    const r = await deps.executor.run({
        argv: (0, argv_js_1.buildxInspectArgv)(o.builderName),
        env: deps.env,
        step: 'docker buildx inspect',
        timeoutMs: 60_000
    });
    const info = (0, argv_js_1.parseBuildxInspect)(r.stdout);
    deps.logger.info(`builder "${info.name}": driver ${info.driver}, endpoint ${info.endpoint}, BuildKit ${info.buildkit || '?'}`);
    if (o.builderName && info.driver === 'docker')
        o.dockerContext = info.endpoint;
    if (annotations && (0, argv_js_1.buildkitDropsAnnotations)(info.buildkit))
        deps.logger.warning(`annotations: builder "${info.name}" runs BuildKit ${info.buildkit}, which writes no annotations ` +
            '(they need BuildKit v0.11 or later); the image is built without them');
    if (contexts && (0, argv_js_1.buildkitLacksNamedContexts)(info.buildkit)) {
        const file = o.file ?? (0, node_path_1.join)(o.context, 'Dockerfile');
        const text = await (0, promises_1.readFile)(file, 'utf8').catch(() => '');
        if (!(0, argv_js_1.hasSyntaxDirective)(text))
            throw new index_js_1.InputError('build-contexts', `builder "${info.name}" runs BuildKit ${info.buildkit}, whose built-in Dockerfile frontend has no ` +
                'named contexts (buildx fails: unsupported frontend capability moby.buildkit.frontend.contexts)', 'use a builder with BuildKit v0.10 or later (docker/setup-buildx-action), or put ' +
                `\`# syntax=docker/dockerfile:1\` at the top of ${file} to run a newer frontend`);
    }
    if (info.driver !== 'docker' || !(0, argv_js_1.needsDriverCheck)(o))
        return info;
    const status = await deps.executor.run({
        argv: (0, argv_js_1.driverStatusArgv)(info.endpoint),
        env: deps.env,
        step: 'docker info',
        timeoutMs: 60_000
    });
    if (!(0, argv_js_1.usesContainerdStore)(status.stdout))
        (0, argv_js_1.refuseForDockerDriver)(o, info);
    return info;
}
/**
 * Which builder runs, and why, said in one line: a `docker-buildx` plugin file where the CLI looks, else
 * `docker buildx version` (a plugin dir configured elsewhere) exiting 0.
 */
async function detectBuilder(executor, wanted = 'auto', pluginDirs = cliPluginDirs()) {
    if (wanted === 'classic')
        return { builder: 'classic', reason: 'builder: classic was asked for' };
    // Starting the plugin costs about half a second; a plugin where the CLI looks for it is enough.
    const plugin = findBuildxPlugin(pluginDirs);
    if (plugin)
        return { builder: 'buildx', reason: `docker buildx is installed (${plugin})` };
    const r = await executor
        .run({ argv: (0, argv_js_1.buildxVersionArgv)(), check: false, step: 'detect buildx', timeoutMs: 30_000 })
        .catch((err) => {
        if (err instanceof index_js_1.CommandError && err.exitCode === 127)
            throw new index_js_1.CommandError(err.argv, 127, '', 'docker: command not found', {
                hint: 'install docker on the runner (GitHub-hosted Ubuntu runners have it)'
            });
        throw err;
    });
    if (r.exitCode === 0) {
        const version = r.stdout.trim().split('\n')[0] ?? '';
        return { builder: 'buildx', reason: `docker buildx is installed (${version})` };
    }
    if (wanted === 'buildx')
        throw new index_js_1.InputError('builder', 'buildx was asked for but `docker buildx version` failed', 'install buildx (docker/setup-buildx-action) or use builder: auto');
    return { builder: 'classic', reason: 'docker buildx is not installed, so the classic builder runs' };
}
function secretsOf(req, dir) {
    const secrets = [];
    const files = [];
    const ids = new Set();
    const add = (id, input) => {
        if (!/^[A-Za-z0-9_.-]+$/.test(id))
            throw new index_js_1.InputError(input, `secret id "${id}" may only hold letters, digits, '.', '_' and '-'`, 'rename the secret');
        if (ids.has(id))
            throw new index_js_1.InputError(input, `secret id "${id}" is given twice`, 'give each secret id once');
        ids.add(id);
    };
    for (const [id, value] of Object.entries(req.secretValues ?? {})) {
        add(id, 'secrets');
        const path = (0, node_path_1.join)(dir, `secret-${id}`);
        files.push([path, value]);
        secrets.push({ id, src: path });
    }
    for (const [id, src] of Object.entries(req.secretFiles ?? {})) {
        add(id, 'secret-files');
        secrets.push({ id, src });
    }
    for (const [id, env] of Object.entries(req.secretEnvs ?? {})) {
        add(id, 'secret-envs');
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env))
            throw new index_js_1.InputError('secret-envs', `"${env}" is not an environment variable name`, 'write id=VARIABLE');
        secrets.push({ id, env });
    }
    return { secrets, files };
}
/**
 * Build one image with buildx or the classic builder and, when asked, push it. Everything the chosen
 * builder cannot honour is refused (InputError) before the build starts.
 */
async function buildImage(req, deps) {
    const { executor, logger } = deps;
    if (req.push && req.tags.length === 0)
        throw new index_js_1.InputError('push', 'is true but no tag was produced', 'give `images` and tag rules that apply to this event');
    checkContext(req.context);
    const dir = await (0, promises_1.mkdtemp)((0, node_path_1.join)((0, node_os_2.tmpdir)(), 'build-image-'));
    try {
        const { secrets, files } = secretsOf(req, dir);
        for (const [, value] of files)
            logger.secret(value);
        const { builder, reason } = await detectBuilder(executor, req.builderName ? 'buildx' : req.builder, deps.pluginDirs ?? cliPluginDirs({ ...process.env, ...deps.env }));
        logger.info(`builder: ${builder} (${reason})`);
        if (req.githubToken && isGitContext(req.context)) {
            if (builder === 'classic')
                throw new index_js_1.InputError('github-token', `cannot reach the classic builder, which clones ${req.context} without credentials`, "install buildx, or set github-token: '' for a public repository");
            const host = /^(?:https?:\/\/|git@)?([^/:]+)/.exec(req.context.replace(/^ssh:\/\/(git@)?/, ''))?.[1] ??
                'github.com';
            const path = (0, node_path_1.join)(dir, 'secret-git-auth');
            files.push([path, req.githubToken]);
            secrets.push({ id: `GIT_AUTH_TOKEN.${host}`, src: path });
            logger.secret(req.githubToken);
        }
        const options = { ...req, secrets, iidFile: (0, node_path_1.join)(dir, 'iid') };
        let daemonPlatform;
        if (builder === 'classic') {
            if ((req.platforms?.length ?? 0) === 1) {
                const v = await executor.run({
                    argv: (0, argv_js_1.daemonPlatformArgv)(),
                    step: 'docker version',
                    timeoutMs: 30_000
                });
                daemonPlatform = v.stdout.trim();
            }
            // Refuse before writing any secret to disk or starting the build.
            if ((0, argv_js_1.classicUnsupported)(options, daemonPlatform).length > 0)
                (0, argv_js_1.buildArgv)('classic', options, daemonPlatform);
        }
        else {
            options.metadataFile = (0, node_path_1.join)(dir, 'metadata.json');
            await checkDriver(options, deps);
        }
        for (const [path, value] of files) {
            await (0, promises_1.writeFile)(path, value, { mode: 0o600 });
            await (0, promises_1.chmod)(path, 0o600);
        }
        const argv = (0, argv_js_1.buildArgv)(builder, options, daemonPlatform);
        await executor.run({
            argv,
            // The classic builder stays classic even where DOCKER_BUILDKIT=1 is set and no buildx exists.
            env: { ...deps.env, ...(builder === 'classic' ? { DOCKER_BUILDKIT: '0' } : {}) },
            step: `${builder === 'classic' ? 'docker build' : 'docker buildx build'}`,
            timeoutMs: deps.timeoutMs ?? 60 * 60_000,
            onOutput: (chunk) => {
                for (const line of chunk.split('\n'))
                    if (line.trim())
                        logger.info(line.trimEnd());
            }
        });
        let imageId = (await (0, promises_1.readFile)(options.iidFile, 'utf8').catch(() => '')).trim();
        let digest = '';
        const pushed = [];
        if (builder === 'buildx') {
            const meta = JSON.parse((await (0, promises_1.readFile)(options.metadataFile, 'utf8').catch(() => '')) || '{}');
            digest = typeof meta['containerimage.digest'] === 'string' ? meta['containerimage.digest'] : '';
            if (!imageId && typeof meta['containerimage.config.digest'] === 'string')
                imageId = meta['containerimage.config.digest'];
            if (req.push)
                pushed.push(...req.tags);
        }
        else {
            if (!imageId && req.tags[0]) {
                const r = await executor.run({
                    argv: (0, argv_js_1.inspectArgv)(req.tags[0], '{{.Id}}'),
                    step: 'docker image inspect'
                });
                imageId = r.stdout.trim();
            }
            if (req.push) {
                for (const tag of req.tags) {
                    const r = await executor.run({
                        argv: (0, argv_js_1.pushArgv)(tag),
                        env: deps.env,
                        step: `docker push ${tag}`,
                        timeoutMs: deps.timeoutMs ?? 60 * 60_000
                    });
                    const d = (0, argv_js_1.parsePushDigest)(r.stdout);
                    if (d && digest && d !== digest)
                        logger.warning(`${tag} was pushed as ${d}, another tag as ${digest}: the registries differ in format`);
                    digest ||= d ?? '';
                    pushed.push(tag);
                    logger.info(`pushed ${tag}${d ? ` (${d})` : ''}`);
                }
            }
        }
        return { builder, builderReason: reason, imageId, digest, tags: req.tags, pushed, argv };
    }
    finally {
        await (0, promises_1.rm)(dir, { recursive: true, force: true });
    }
}


/***/ }),

/***/ 3633:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.readEventPayload = readEventPayload;
exports.metaContext = metaContext;
exports.gitTagListArgv = gitTagListArgv;
exports.gitCommitDateArgv = gitCommitDateArgv;
exports.knownVersions = knownVersions;
exports.commitDate = commitDate;
const node_fs_1 = __webpack_require__(3024);
const index_js_1 = __webpack_require__(1550);
/**
 * The runner's side of tag computation: read the event payload and the DOCKER_METADATA_* variables, ask
 * git what the payload does not say. The computation itself (meta/) takes all of it as data.
 */
function readEventPayload(eventPath) {
    if (!eventPath)
        return {};
    try {
        const p = JSON.parse((0, node_fs_1.readFileSync)(eventPath, 'utf8'));
        return p && typeof p === 'object' ? p : {};
    }
    catch {
        return {};
    }
}
function metaContext(run, eventPath, env) {
    return (0, index_js_1.resolveMetaContext)(run, readEventPayload(eventPath), env);
}
function gitTagListArgv() {
    return ['git', 'tag', '--list'];
}
/** The committer date of a commit, strict ISO 8601. */
function gitCommitDateArgv(sha) {
    return ['git', 'log', '-1', '--format=%cI', sha];
}
/** The repository's git tags (for latest=auto's "highest release" rule); undefined when git or tags are absent. */
async function knownVersions(executor, cwd) {
    const r = await executor
        .run({ argv: gitTagListArgv(), cwd, check: false, step: 'git tag --list', timeoutMs: 30_000 })
        .catch(() => undefined);
    if (!r || r.exitCode !== 0)
        return undefined;
    return r.stdout
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean);
}
/**
 * The commit date when the payload has none (metadata-action asks the API; the checkout has it too).
 * undefined when git cannot say: `{{commit_date}}` then uses the current time, as metadata-action does.
 */
async function commitDate(executor, cwd, sha) {
    if (!/^[0-9a-f]{7,64}$/i.test(sha))
        return undefined;
    const r = await executor
        .run({ argv: gitCommitDateArgv(sha), cwd, check: false, step: 'git log', timeoutMs: 30_000 })
        .catch(() => undefined);
    const d = r && r.exitCode === 0 ? new Date(r.stdout.trim()) : undefined;
    return d && !Number.isNaN(d.getTime()) ? d : undefined;
}


/***/ }),

/***/ 9718:
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
__exportStar(__webpack_require__(1118), exports);
__exportStar(__webpack_require__(1550), exports);
__exportStar(__webpack_require__(3278), exports);
__exportStar(__webpack_require__(3633), exports);
__exportStar(__webpack_require__(2478), exports);


/***/ }),

/***/ 8351:
/***/ (function(__unused_webpack_module, exports, __webpack_require__) {


var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.sanitizeTag = sanitizeTag;
exports.computeMeta = computeMeta;
exports.semverValue = semverValue;
exports.pep440Value = pep440Value;
exports.isLatestRelease = isLatestRelease;
const semver_1 = __importDefault(__webpack_require__(2088));
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(61);
const dates_js_1 = __webpack_require__(1747);
const pep440_js_1 = __webpack_require__(5819);
const rules_js_1 = __webpack_require__(2269);
const template_js_1 = __webpack_require__(8462);
/** metadata-action's sanitising of a tag: every run of invalid characters becomes '-'. */
function sanitizeTag(s) {
    return s.replace(/[^a-zA-Z0-9._-]+/g, '-');
}
const ATTR_HELPER = (now) => {
    return (args, hash) => {
        for (const k of Object.keys(hash))
            if (k !== 'tz')
                throw new index_js_1.InputError('tags', `unknown attribute ${k}= in a date expression`, "use tz='Zone'");
        return (0, dates_js_1.formatDate)(now, args[0], hash.tz ?? 'UTC');
    };
};
function globals(c, now) {
    const shortSha = shortShaOf(c);
    const branch = /^refs\/heads\//.test(c.ref) ? c.ref.replace(/^refs\/heads\//, '') : '';
    const isDefault = () => {
        const b = c.ref.replace(/^refs\/heads\//, '');
        if (b === '')
            return false;
        if ((c.repo.defaultBranch ?? 'main') === b)
            return true;
        // These events always run on the default branch's last commit.
        return /create|discussion|issues|schedule/.test(c.eventName);
    };
    const p = c.payload;
    return {
        branch: () => branch,
        tag: () => (/^refs\/tags\//.test(c.ref) ? c.ref.replace(/^refs\/tags\//, '') : ''),
        sha: () => shortSha,
        base_ref: () => {
            if (/^refs\/tags\//.test(c.ref) && p.base_ref != null)
                return p.base_ref.replace(/^refs\/heads\//, '');
            if (/^refs\/pull\//.test(c.ref) && p.pull_request?.base?.ref != null)
                return p.pull_request.base.ref;
            return '';
        },
        is_default_branch: () => String(isDefault()),
        is_not_default_branch: () => String(!isDefault()),
        date: ATTR_HELPER(now),
        commit_date: ATTR_HELPER(c.commitDate ?? now)
    };
}
function shortShaOf(c) {
    const n = c.shortShaLength ?? 7;
    return n >= c.sha.length ? c.sha : c.sha.slice(0, n);
}
/** Compute tags, labels and annotations. Throws InputError for a bad rule, image or resulting tag. */
function computeMeta(input) {
    const now = input.now ?? new Date();
    const c = input.context;
    const flavor = { ...rules_js_1.DEFAULT_FLAVOR, ...input.flavor };
    const scope = globals(c, now);
    const exp = (text) => (0, template_js_1.renderTemplate)(text, scope);
    const images = (0, rules_js_1.parseImages)(input.images)
        .filter((i) => i.enable)
        .map((i) => i.name.toLowerCase());
    for (const image of images)
        (0, index_js_2.parseReference)(image, { input: 'images', nameOnly: true });
    const version = { partial: [] };
    const autoLatest = (auto) => (flavor.latest === 'auto' ? auto : flavor.latest === 'true');
    const withAffixes = (val, rule) => {
        const a = rule.attrs;
        const prefix = a.has('prefix') ? exp(a.get('prefix')) : flavor.prefix ? exp(flavor.prefix) : '';
        const suffix = a.has('suffix') ? exp(a.get('suffix')) : flavor.suffix ? exp(flavor.suffix) : '';
        return `${prefix}${val}${suffix}`;
    };
    const add = (val, latest) => {
        if (val.length === 0)
            return;
        // Beyond metadata-action: a tag is at most 128 characters, so a long branch name is cut, not refused.
        const tag = sanitizeTag(val).slice(0, 128);
        if (version.main === undefined)
            version.main = tag;
        else if (tag !== version.main)
            version.partial.push(tag);
        version.latest ??= latest;
    };
    const released = (raw) => isLatestRelease(raw, input.knownVersions);
    for (const rule of (0, rules_js_1.parseTagRules)(input.tagRules)) {
        const a = rule.attrs;
        const enable = exp(a.get('enable'));
        if (!['true', 'false'].includes(enable))
            throw new index_js_1.InputError('tags', `rule "${rule.text}": enable="${enable}" is not true or false`, 'use enable=true, false or {{is_default_branch}}');
        if (enable === 'false')
            continue;
        const isTag = /^refs\/tags\//.test(c.ref);
        const tagName = c.ref.replace(/^refs\/tags\//, '');
        switch (rule.type) {
            case 'schedule': {
                if (!/schedule/.test(c.eventName))
                    break;
                const dates = { date: scope.date, commit_date: scope.commit_date };
                add(withAffixes((0, template_js_1.renderTemplate)(a.get('pattern'), dates), rule), autoLatest(false));
                break;
            }
            case 'semver':
            case 'pep440': {
                if (!isTag && a.get('value') === '')
                    break;
                let raw = a.get('value') ? exp(a.get('value')) : tagName;
                if (a.get('match')) {
                    const m = raw.match(new RegExp(a.get('match')));
                    if (m)
                        raw = m[1] ?? '';
                }
                raw = raw.replace(/\//g, '-');
                const out = rule.type === 'semver' ? semverValue(a.get('pattern'), raw) : pep440Value(a.get('pattern'), raw);
                if (out === undefined)
                    break;
                add(withAffixes(out.value, rule), autoLatest(out.release && released(raw)));
                break;
            }
            case 'match': {
                if (!isTag && a.get('value') === '')
                    break;
                const raw = a.get('value') ? exp(a.get('value')) : tagName;
                const pattern = a.get('pattern');
                const literal = /^\/(.+)\/(.*)$/.exec(pattern);
                let re;
                try {
                    re = literal ? new RegExp(literal[1], literal[2]) : new RegExp(pattern);
                }
                catch (err) {
                    throw new index_js_1.InputError('tags', `rule "${rule.text}": ${err.message}`, 'fix the regular expression');
                }
                const m = raw.match(re);
                const group = m?.[Number(a.get('group'))];
                if (group === undefined)
                    break;
                add(withAffixes(group, rule), autoLatest(released(raw)));
                break;
            }
            case 'ref': {
                const event = a.get('event');
                if (event === 'branch' && /^refs\/heads\//.test(c.ref))
                    add(withAffixes(c.ref.replace(/^refs\/heads\//, ''), rule), autoLatest(false));
                else if (event === 'tag' && isTag)
                    add(withAffixes(tagName, rule), autoLatest(released(tagName)));
                else if (event === 'pr' && /^refs\/pull\//.test(c.ref))
                    add(withAffixes(c.ref.replace(/^refs\/pull\//, '').replace(/\/merge$/, ''), rule), autoLatest(false));
                break;
            }
            case 'edge': {
                if (!/^refs\/heads\//.test(c.ref))
                    break;
                const branch = a.get('branch') || (c.repo.defaultBranch ?? 'main');
                if (branch === c.ref.replace(/^refs\/heads\//, ''))
                    add(withAffixes('edge', rule), autoLatest(false));
                break;
            }
            case 'raw':
                add(withAffixes(exp(a.get('value')), rule), autoLatest(false));
                break;
            case 'sha':
                if (c.sha)
                    add(withAffixes(a.get('format') === 'long' ? c.sha : shortShaOf(c), rule), autoLatest(false));
                break;
        }
    }
    const partial = version.partial.filter((t, i) => version.partial.indexOf(t) === i);
    const latest = version.latest ?? false;
    const tagNames = [];
    if (version.main !== undefined) {
        tagNames.push(version.main, ...partial);
        if (latest)
            tagNames.push(sanitizeTag(`${flavor.prefixLatest ? flavor.prefix : ''}latest${flavor.suffixLatest ? flavor.suffix : ''}`));
    }
    for (const t of tagNames)
        if (!index_js_2.TAG.test(t))
            throw new index_js_1.InputError('tags', `the rules yield "${t}", which is not a valid tag`, 'a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}: change the prefix, suffix or value');
    const oci = (extra) => ociAnnotations(c, version.main ?? '', now, extra.map(exp));
    return {
        version: version.main ?? '',
        versionInfo: { main: version.main, partial, latest },
        tagNames,
        images,
        tags: images.length > 0 ? images.flatMap((i) => tagNames.map((t) => `${i}:${t}`)) : [...tagNames],
        labels: oci(input.labels ?? []),
        annotations: oci(input.annotations ?? []),
        flavor
    };
}
/** A semver pattern applied to a version; a prerelease yields its full version (or `{{raw}}` as written). */
function semverValue(pattern, raw) {
    if (!semver_1.default.valid(raw))
        return undefined;
    const v = semver_1.default.parse(raw, { loose: true });
    const scope = {
        raw: v.raw,
        version: v.version,
        major: v.major,
        minor: v.minor,
        patch: v.patch,
        prerelease: v.prerelease,
        build: v.build
    };
    if (v.prerelease.length > 0)
        return {
            value: (0, template_js_1.renderTemplate)((0, template_js_1.isRawStatement)(pattern) ? pattern : '{{version}}', scope),
            release: false
        };
    return { value: (0, template_js_1.renderTemplate)(pattern, scope), release: true };
}
/** A PEP 440 pattern applied to a version; pre-, post- and dev-releases yield their normalised version. */
function pep440Value(pattern, raw) {
    const v = (0, pep440_js_1.parsePep440)(raw);
    if (!v)
        return undefined;
    if ((0, pep440_js_1.isPep440Special)(v))
        return { value: (0, template_js_1.isRawStatement)(pattern) ? raw : (0, pep440_js_1.normalizePep440)(v), release: false };
    const scope = {
        raw: () => raw,
        version: () => (0, pep440_js_1.normalizePep440)(v),
        major: () => String(v.release[0] ?? 0),
        minor: () => String(v.release[1] ?? 0),
        patch: () => String(v.release[2] ?? 0)
    };
    return { value: (0, template_js_1.renderTemplate)(pattern, scope), release: true };
}
/** localeCompare's order (metadata-action sorts with it), with one collator instead of one per call. */
const collator = new Intl.Collator();
/** The eight OCI keys (empty values kept) plus `extra` lines; lines without '=' dropped; sorted by key. */
function ociAnnotations(c, version, now, extra) {
    const lines = [
        `org.opencontainers.image.title=${c.repo.name ?? ''}`,
        `org.opencontainers.image.description=${c.repo.description ?? ''}`,
        `org.opencontainers.image.url=${c.repo.htmlUrl ?? ''}`,
        `org.opencontainers.image.source=${c.repo.htmlUrl ?? ''}`,
        `org.opencontainers.image.version=${version}`,
        `org.opencontainers.image.created=${now.toISOString()}`,
        `org.opencontainers.image.revision=${c.sha}`,
        `org.opencontainers.image.licenses=${c.repo.license ?? ''}`,
        ...extra
    ];
    const map = new Map();
    for (const line of lines) {
        const eq = line.indexOf('=');
        if (eq < 0)
            continue;
        map.set(line.slice(0, eq), line.slice(eq + 1));
    }
    return [...map].sort((a, b) => collator.compare(a[0], b[0])).map(([k, v]) => `${k}=${v}`);
}
/**
 * With known versions: a release takes `latest` only when no known release is higher. A version that is
 * not semver (e.g. "release-42") keeps metadata-action's answer.
 */
function isLatestRelease(tag, known) {
    if (!known)
        return true;
    const v = semver_1.default.parse(tag, { loose: true }) ?? semver_1.default.parse(semver_1.default.clean(tag, { loose: true }) ?? '');
    if (!v)
        return true;
    for (const k of known) {
        const o = semver_1.default.parse(k, { loose: true });
        if (o && o.prerelease.length === 0 && semver_1.default.gt(o, v))
            return false;
    }
    return true;
}


/***/ }),

/***/ 2489:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.resolveMetaContext = resolveMetaContext;
exports.commitDateFromPayload = commitDateFromPayload;
const index_js_1 = __webpack_require__(893);
const isTrue = (v) => /^(true|1|yes|on)$/i.test((v ?? '').trim());
/**
 * The context metadata-action computes from a run: pull_request_target reads as `refs/pull/N/merge`,
 * DOCKER_METADATA_PR_HEAD_SHA=true takes the pull request's head commit, DOCKER_METADATA_SHORT_SHA_LENGTH
 * sets the short sha's length, and the commit date comes from the payload's commits when it has them.
 */
function resolveMetaContext(run, payloadIn, env = {}) {
    const payload = (payloadIn && typeof payloadIn === 'object' ? payloadIn : {});
    let { ref, sha } = run;
    if (/pull_request_target/.test(run.eventName))
        ref = `refs/pull/${payload.number ?? ''}/merge`;
    if (isTrue(env.DOCKER_METADATA_PR_HEAD_SHA) && /pull_request/.test(run.eventName)) {
        const head = payload.pull_request?.head?.sha;
        if (head)
            sha = head;
    }
    let shortShaLength;
    const len = env.DOCKER_METADATA_SHORT_SHA_LENGTH;
    if (len !== undefined && len !== '') {
        if (!/^\d+$/.test(len.trim()))
            throw new index_js_1.InputError('DOCKER_METADATA_SHORT_SHA_LENGTH', `"${len}" is not a number`, 'set it to a whole number such as 12');
        shortShaLength = Number(len);
    }
    const r = payload.repository ?? {};
    const license = r.license?.spdx_id;
    const repo = {
        name: r.name ?? (run.repository.split('/')[1] || undefined),
        description: r.description ?? undefined,
        htmlUrl: r.html_url ?? (run.repository ? `${run.serverUrl}/${run.repository}` : undefined),
        license: license && license !== 'NOASSERTION' ? license : undefined,
        defaultBranch: r.default_branch
    };
    return {
        eventName: run.eventName,
        ref,
        sha,
        payload,
        repo,
        commitDate: commitDateFromPayload(payload, sha),
        shortShaLength
    };
}
/** The commit's timestamp from a push payload (`commits[]` or `head_commit`), when it names this commit. */
function commitDateFromPayload(payload, sha) {
    const ts = payload.commits?.find((c) => c.id === sha)?.timestamp ??
        (payload.head_commit?.id === sha ? payload.head_commit.timestamp : undefined);
    const d = ts ? new Date(ts) : undefined;
    return d && !Number.isNaN(d.getTime()) ? d : undefined;
}


/***/ }),

/***/ 1747:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.formatDate = formatDate;
const index_js_1 = __webpack_require__(893);
/**
 * Moment.js format strings (what metadata-action's `{{date 'FORMAT' tz='Zone'}}` takes), rendered with the
 * runtime's own time-zone database (Intl), so no tz data is bundled. Tokens: YYYY YY Q M MM MMM MMMM D DD
 * Do DDD DDDD d dd ddd dddd E H HH h hh k kk m mm s ss S SS SSS A a Z ZZ X x, and [literal] text.
 */
const DEFAULT_FORMAT = 'YYYY-MM-DDTHH:mm:ssZ';
const MONTHS = [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December'
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const TOKEN = /\[([^\]]*)\]|YYYY|YY|Q|MMMM|MMM|MM|M|DDDD|DDD|Do|DD|D|dddd|ddd|dd|d|E|HH|H|hh|h|kk|k|mm|m|ss|s|SSS|SS|S|A|a|ZZ|Z|X|x/g;
const formatters = new Map();
const walls = new Map();
/** The wall clock of `date` in `tz`; Intl's formatToParts is slow, and a run asks for few instants. */
function wallClock(date, tz) {
    const key = `${date.getTime()} ${tz}`;
    let w = walls.get(key);
    if (!w) {
        if (walls.size > 1000)
            walls.clear();
        w = computeWall(date, tz);
        walls.set(key, w);
    }
    return w;
}
function computeWall(date, tz) {
    let f = formatters.get(tz);
    if (!f) {
        try {
            f = new Intl.DateTimeFormat('en-US', {
                timeZone: tz,
                hourCycle: 'h23',
                year: 'numeric',
                month: 'numeric',
                day: 'numeric',
                hour: 'numeric',
                minute: 'numeric',
                second: 'numeric'
            });
        }
        catch {
            throw new index_js_1.InputError('tags', `tz='${tz}' is not a time zone`, "use an IANA name, e.g. tz='Asia/Tokyo'");
        }
        formatters.set(tz, f);
    }
    const parts = Object.fromEntries(f.formatToParts(date).map((p) => [p.type, p.value]));
    const n = (k) => Number(parts[k]);
    const wall = { year: n('year'), month: n('month'), day: n('day'), hour: n('hour') % 24 };
    const minute = n('minute');
    const second = n('second');
    const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, minute, second);
    const offset = Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
    const weekday = new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay();
    return { ...wall, minute, second, ms: date.getUTCMilliseconds(), weekday, offset };
}
const pad = (n, w = 2) => String(Math.abs(n)).padStart(w, '0');
function ordinal(n) {
    const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
    return `${n}${s}`;
}
function zone(offset, sep) {
    return `${offset < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(offset) / 60))}${sep}${pad(Math.abs(offset) % 60)}`;
}
const dayOfYear = (w) => Math.round((Date.UTC(w.year, w.month - 1, w.day) - Date.UTC(w.year, 0, 1)) / 86_400_000) + 1;
/** A number token and its doubled form: `M` writes 3, `MM` writes 03. */
const numeric = (token, value) => ({
    [token]: (w) => String(value(w)),
    [token + token]: (w) => pad(value(w))
});
/** What each moment.js token writes. */
const PARTS = {
    YYYY: (w) => String(w.year).padStart(4, '0'),
    YY: (w) => pad(w.year % 100),
    Q: (w) => String(Math.ceil(w.month / 3)),
    MMMM: (w) => MONTHS[w.month - 1],
    MMM: (w) => MONTHS[w.month - 1].slice(0, 3),
    ...numeric('M', (w) => w.month),
    DDDD: (w) => pad(dayOfYear(w), 3),
    DDD: (w) => String(dayOfYear(w)),
    Do: (w) => ordinal(w.day),
    ...numeric('D', (w) => w.day),
    dddd: (w) => DAYS[w.weekday],
    ddd: (w) => DAYS[w.weekday].slice(0, 3),
    dd: (w) => DAYS[w.weekday].slice(0, 2),
    d: (w) => String(w.weekday),
    E: (w) => String(w.weekday === 0 ? 7 : w.weekday),
    ...numeric('H', (w) => w.hour),
    ...numeric('h', (w) => w.hour % 12 || 12),
    ...numeric('k', (w) => w.hour || 24),
    ...numeric('m', (w) => w.minute),
    ...numeric('s', (w) => w.second),
    SSS: (w) => pad(w.ms, 3),
    SS: (w) => pad(Math.floor(w.ms / 10)),
    S: (w) => String(Math.floor(w.ms / 100)),
    A: (w) => (w.hour < 12 ? 'AM' : 'PM'),
    a: (w) => (w.hour < 12 ? 'am' : 'pm'),
    ZZ: (w) => zone(w.offset, ''),
    Z: (w) => zone(w.offset, ':'),
    X: (_w, date) => String(Math.floor(date.getTime() / 1000)),
    x: (_w, date) => String(date.getTime())
};
/** Format `date` in time zone `tz` with a moment.js format (undefined: moment's default ISO form). */
function formatDate(date, format, tz = 'UTC') {
    const w = wallClock(date, tz);
    // moment's default format writes UTC as a literal Z.
    const fmt = format ?? (w.offset === 0 ? DEFAULT_FORMAT.replace(/Z$/, '[Z]') : DEFAULT_FORMAT);
    return fmt.replace(TOKEN, (tok, literal) => {
        if (literal !== undefined)
            return literal;
        return PARTS[tok]?.(w, date) ?? tok;
    });
}


/***/ }),

/***/ 1550:
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
__exportStar(__webpack_require__(8351), exports);
__exportStar(__webpack_require__(2489), exports);
__exportStar(__webpack_require__(1747), exports);
__exportStar(__webpack_require__(1784), exports);
__exportStar(__webpack_require__(5819), exports);
__exportStar(__webpack_require__(2269), exports);
__exportStar(__webpack_require__(8462), exports);


/***/ }),

/***/ 1784:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.DEFAULT_BAKE_TARGET = void 0;
exports.linesToRecord = linesToRecord;
exports.annotationsAt = annotationsAt;
exports.parseLevels = parseLevels;
exports.metaJson = metaJson;
exports.bakeDefinition = bakeDefinition;
const index_js_1 = __webpack_require__(3747);
/**
 * metadata-action's outputs in its shapes: `labels`/`annotations` as lines, `json`, and the bake
 * definitions (`bake-file-tags`, `-labels`, `-annotations`, and the combined `bake-file`).
 */
exports.DEFAULT_BAKE_TARGET = index_js_1.INPUTS['build-image']['bake-target'].default;
/** `key=value` lines into an object (a later key wins). */
function linesToRecord(lines) {
    const out = {};
    for (const line of lines) {
        const m = /([^=]*)=(.*)/s.exec(line);
        if (m)
            out[m[1]] = m[2];
    }
    return out;
}
/** Annotations with their levels (`manifest:key=value`); levels from DOCKER_METADATA_ANNOTATIONS_LEVELS. */
function annotationsAt(meta, levels) {
    return levels.flatMap((level) => meta.annotations.map((a) => `${level}:${a}`));
}
function parseLevels(env) {
    return (env || 'manifest').split(',');
}
function metaJson(meta, levels) {
    return {
        tags: meta.tags,
        'tag-names': meta.tagNames,
        labels: linesToRecord(meta.labels),
        annotations: annotationsAt(meta, levels)
    };
}
/** The bake definition `{ target: { <target>: … } }` of one kind. */
function bakeDefinition(meta, kind, levels, target = exports.DEFAULT_BAKE_TARGET) {
    const args = {
        DOCKER_META_IMAGES: meta.images.join(','),
        ...(meta.versionInfo.main !== undefined ? { DOCKER_META_VERSION: meta.versionInfo.main } : {})
    };
    const body = kind === 'tags'
        ? { tags: meta.tags, args }
        : kind === 'labels'
            ? { labels: linesToRecord(meta.labels) }
            : kind === 'annotations'
                ? { annotations: annotationsAt(meta, levels) }
                : { tags: meta.tags, labels: linesToRecord(meta.labels), args };
    return { target: { [target]: body } };
}


/***/ }),

/***/ 5819:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.parsePep440 = parsePep440;
exports.normalizePep440 = normalizePep440;
exports.isPep440Special = isPep440Special;
const PATTERN = new RegExp('^\\s*v?' +
    '(?:(\\d+)!)?' + // epoch
    '(\\d+(?:\\.\\d+)*)' + // release
    '(?:[-_.]?(alpha|beta|preview|pre|a|b|c|rc)[-_.]?(\\d+)?)?' + // pre
    '(?:-(\\d+)|[-_.]?(post|rev|r)[-_.]?(\\d+)?)?' + // post
    '(?:[-_.]?(dev)[-_.]?(\\d+)?)?' + // dev
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?' + // local
    '\\s*$', 'i');
function parsePep440(text) {
    const m = PATTERN.exec(text);
    if (!m)
        return undefined;
    const preLabel = m[3]?.toLowerCase();
    const v = {
        epoch: Number(m[1] ?? 0),
        release: m[2].split('.').map(Number)
    };
    if (preLabel)
        v.pre = {
            label: preLabel === 'alpha' || preLabel === 'a' ? 'a' : preLabel === 'beta' || preLabel === 'b' ? 'b' : 'rc',
            n: Number(m[4] ?? 0)
        };
    if (m[5] !== undefined)
        v.post = Number(m[5]);
    else if (m[6] !== undefined)
        v.post = Number(m[7] ?? 0);
    if (m[8] !== undefined)
        v.dev = Number(m[9] ?? 0);
    if (m[10] !== undefined)
        v.local = m[10].toLowerCase().replace(/[-_]/g, '.');
    return v;
}
/** The normalised form: `1.0b2.post345.dev456+ubuntu.1`. */
function normalizePep440(v) {
    let s = v.epoch ? `${v.epoch}!` : '';
    s += v.release.join('.');
    if (v.pre)
        s += `${v.pre.label}${v.pre.n}`;
    if (v.post !== undefined)
        s += `.post${v.post}`;
    if (v.dev !== undefined)
        s += `.dev${v.dev}`;
    if (v.local)
        s += `+${v.local}`;
    return s;
}
/** A pre-, post- or dev-release: such versions only ever yield their full version, and never `latest`. */
function isPep440Special(v) {
    return v.pre !== undefined || v.post !== undefined || v.dev !== undefined;
}


/***/ }),

/***/ 2269:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.DEFAULT_FLAVOR = exports.DEFAULT_RULES = exports.PRIORITY = void 0;
exports.csvFields = csvFields;
exports.parseTagRule = parseTagRule;
exports.parseTagRules = parseTagRules;
exports.splitTagInput = splitTagInput;
exports.parseFlavor = parseFlavor;
exports.parseImages = parseImages;
const index_js_1 = __webpack_require__(893);
exports.PRIORITY = {
    schedule: 1000,
    semver: 900,
    pep440: 900,
    match: 800,
    edge: 700,
    ref: 600,
    raw: 200,
    sha: 100
};
exports.DEFAULT_RULES = [
    'type=schedule',
    'type=ref,event=branch',
    'type=ref,event=tag',
    'type=ref,event=pr'
];
const ATTRIBUTES = [
    'type',
    'enable',
    'priority',
    'prefix',
    'suffix',
    'pattern',
    'value',
    'event',
    'format',
    'branch',
    'group',
    'match'
];
/** One CSV record: fields split at commas outside double quotes (`""` is a quote inside quotes). */
function csvFields(line) {
    const out = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
        const ch = line[i];
        if (quoted) {
            if (ch === '"' && line[i + 1] === '"') {
                cur += '"';
                i++;
            }
            else if (ch === '"')
                quoted = false;
            else
                cur += ch;
        }
        else if (ch === '"' && cur.trim() === '') {
            quoted = true;
            cur = '';
        }
        else if (ch === ',') {
            out.push(cur);
            cur = '';
        }
        else
            cur += ch;
    }
    out.push(cur);
    return out.filter((f, i) => !(i === out.length - 1 && f.trim() === '' && out.length > 1));
}
function splitField(field) {
    const eq = field.indexOf('=');
    if (eq <= 0)
        return [field.trim()];
    return [field.slice(0, eq).trim(), field.slice(eq + 1).trim()];
}
const fail = (line, what, fix) => new index_js_1.InputError('tags', `rule "${line}": ${what}`, fix);
/** Parse `type=semver,pattern={{version}},prefix=v`; a field without `=` is the value (`foo` is raw). */
function parseTagRule(text) {
    const line = text.trim();
    const attrs = new Map();
    let type = 'raw';
    for (const field of csvFields(line)) {
        const parts = splitField(field);
        if (parts.length === 1) {
            attrs.set('value', parts[0]);
            continue;
        }
        const key = parts[0].toLowerCase();
        const value = parts[1];
        if (key === 'type') {
            if (!(value in exports.PRIORITY))
                throw fail(line, `unknown type "${value}"`, `use type=${Object.keys(exports.PRIORITY).join(', type=')}`);
            type = value;
        }
        else if (!ATTRIBUTES.includes(key))
            throw fail(line, `unknown attribute "${key}"`, 'see the tag rules in docs/actions/build-image.md');
        else
            attrs.set(key, value);
    }
    const def = (k, v) => {
        if (!attrs.has(k))
            attrs.set(k, v);
    };
    switch (type) {
        case 'schedule':
            def('pattern', 'nightly');
            break;
        case 'semver':
        case 'pep440':
        case 'match':
            if (!attrs.has('pattern'))
                throw fail(line, 'has no pattern', 'e.g. type=semver,pattern={{version}}');
            def('value', '');
            if (type === 'match') {
                def('group', '0');
                if (!/^\d+$/.test(attrs.get('group')))
                    throw fail(line, `group "${attrs.get('group')}" is not a number`, 'give the group index, e.g. group=1');
            }
            else
                def('match', '');
            break;
        case 'edge':
            def('branch', '');
            break;
        case 'ref': {
            const event = attrs.get('event');
            if (!event || !['branch', 'tag', 'pr'].includes(event))
                throw fail(line, 'needs event=branch, event=tag or event=pr', 'add event=branch (or tag, pr)');
            if (event === 'pr')
                def('prefix', 'pr-');
            break;
        }
        case 'raw':
            if (!attrs.has('value'))
                throw fail(line, 'has no value', 'write type=raw,value=<tag>');
            break;
        case 'sha':
            def('prefix', 'sha-');
            def('format', 'short');
            if (!['short', 'long'].includes(attrs.get('format')))
                throw fail(line, 'format must be short or long', 'write format=long or leave it out');
            break;
    }
    def('enable', 'true');
    const p = attrs.get('priority');
    if (p !== undefined && !/^-?\d+$/.test(p))
        throw fail(line, `priority "${p}" is not a number`, 'give a whole number');
    return { type, attrs, priority: p !== undefined ? Number(p) : exports.PRIORITY[type], text: line };
}
/** Rules by priority, highest first; equal priorities keep their written order. Empty: the defaults. */
function parseTagRules(lines) {
    return (lines.length > 0 ? lines : exports.DEFAULT_RULES)
        .map(parseTagRule)
        .map((r, i) => ({ r, i }))
        .sort((a, b) => b.r.priority - a.r.priority || a.i - b.i)
        .map(({ r }) => r);
}
/**
 * build-image's `tags` takes metadata-action's rules and, for build-push-action users, full references:
 * a line with no `=` that holds a `/` or `:` (`ghcr.io/acme/shop:1.2.3`) is a reference, used as written.
 */
function splitTagInput(lines) {
    const isRef = (l) => !l.includes('=') && /[/:]/.test(l);
    return { rules: lines.filter((l) => !isRef(l)), refs: lines.filter(isRef).map((l) => l.trim()) };
}
exports.DEFAULT_FLAVOR = {
    latest: 'auto',
    prefix: '',
    suffix: '',
    prefixLatest: false,
    suffixLatest: false
};
/** `latest=auto|true|false`, `prefix=…[,onlatest=true]`, `suffix=…[,onlatest=true]`, one per line. */
function parseFlavor(lines) {
    const f = { ...exports.DEFAULT_FLAVOR };
    for (const line of lines) {
        let onlatestFor = '';
        for (const field of csvFields(line.trim())) {
            const parts = field.split('=').map((s) => s.trim());
            if (parts.length === 1)
                throw new index_js_1.InputError('flavor', `"${line}" is not key=value`, 'use latest=, prefix= or suffix=');
            const key = parts[0].toLowerCase();
            const value = parts[1];
            if (key === 'latest') {
                if (!['auto', 'true', 'false'].includes(value))
                    throw new index_js_1.InputError('flavor', `latest="${value}"`, 'use latest=auto, latest=true or latest=false');
                f.latest = value;
            }
            else if (key === 'prefix' || key === 'suffix') {
                f[key] = value;
                onlatestFor = key;
            }
            else if (key === 'onlatest') {
                if (!['true', 'false'].includes(value))
                    throw new index_js_1.InputError('flavor', `onlatest="${value}"`, 'use onlatest=true or onlatest=false');
                if (onlatestFor === 'prefix')
                    f.prefixLatest = value === 'true';
                if (onlatestFor === 'suffix')
                    f.suffixLatest = value === 'true';
            }
            else
                throw new index_js_1.InputError('flavor', `unknown flavor "${key}"`, 'use latest=, prefix=, suffix= or onlatest=');
        }
    }
    return f;
}
/**
 * The `images` lines: `name=ghcr.io/acme/shop,enable=true` per line, or (the older form) bare names,
 * comma-separated on one line.
 */
function parseImages(lines) {
    const fieldsOf = (line) => csvFields(line).map((f) => f.split('=').map((s) => s.trim()));
    if (lines.length === 1 && fieldsOf(lines[0]).every((p) => p.length === 1))
        return fieldsOf(lines[0])
            .map((p) => ({ name: p[0], enable: true }))
            .filter((i) => i.name !== '');
    return lines.map((line) => {
        const image = { name: '', enable: true };
        for (const parts of fieldsOf(line)) {
            if (parts.length === 1)
                image.name = parts[0];
            else {
                const key = parts[0].toLowerCase();
                if (key === 'name')
                    image.name = parts[1];
                else if (key === 'enable') {
                    if (!['true', 'false'].includes(parts[1]))
                        throw new index_js_1.InputError('images', `"${line}": enable must be true or false`, 'write enable=true or enable=false');
                    image.enable = parts[1] === 'true';
                }
                else
                    throw new index_js_1.InputError('images', `"${line}": unknown attribute "${key}"`, 'use name= and enable=');
            }
        }
        if (!image.name)
            throw new index_js_1.InputError('images', `"${line}" has no image name`, 'write name=ghcr.io/owner/app');
        return image;
    });
}


/***/ }),

/***/ 8462:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.renderTemplate = renderTemplate;
exports.isRawStatement = isRawStatement;
const index_js_1 = __webpack_require__(893);
const ESCAPES = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&#x27;',
    '`': '&#x60;',
    '=': '&#x3D;'
};
function escapeHtml(s) {
    return s.replace(/[&<>"'`=]/g, (c) => ESCAPES[c]);
}
/** Tokens of one expression: identifiers, 'quoted' or "quoted" strings, key=value pairs. */
function tokens(body, input) {
    const out = [];
    const re = /\s*(?:([A-Za-z_][\w-]*)=)?(?:'([^']*)'|"([^"]*)"|([^\s'"=]+))/y;
    let pos = 0;
    while (pos < body.length) {
        if (/^\s*$/.test(body.slice(pos)))
            break;
        re.lastIndex = pos;
        const m = re.exec(body);
        if (!m)
            throw new index_js_1.InputError(input, `cannot read the expression {{${body}}}`, "write e.g. {{date 'YYYYMMDD'}}");
        const literal = m[2] !== undefined || m[3] !== undefined;
        out.push({ key: m[1], literal, text: m[2] ?? m[3] ?? m[4] });
        pos = re.lastIndex;
    }
    return out;
}
/** Parsed templates by text: the same rule texts are rendered again for every run and image. */
const parsed = new Map();
function parse(text, input) {
    const hit = parsed.get(text);
    if (hit)
        return hit;
    const out = [];
    const re = /\{\{(\{?)([^}]*)\}?\}\}/g;
    for (const m of text.matchAll(re)) {
        const toks = tokens(m[2].trim(), input);
        const [head, ...rest] = toks;
        if (!head || head.literal || head.key !== undefined)
            continue;
        const args = rest.filter((t) => t.key === undefined).map((t) => ({ literal: t.literal, text: t.text }));
        const hash = Object.fromEntries(rest.filter((t) => t.key !== undefined).map((t) => [t.key, t.text]));
        out.push({
            start: m.index,
            end: m.index + m[0].length,
            escaped: m[1] !== '{',
            name: head.text,
            args,
            hash
        });
    }
    if (parsed.size > 10_000)
        parsed.clear();
    parsed.set(text, out);
    return out;
}
function stringify(v) {
    if (v === undefined || v === null || v === false)
        return v === false ? 'false' : '';
    if (Array.isArray(v))
        return v.join(',');
    return String(v);
}
/** Render `text` with `scope`; `input` names the action input for errors. */
function renderTemplate(text, scope, input = 'tags') {
    if (!text.includes('{{'))
        return text;
    let out = '';
    let at = 0;
    for (const m of parse(text, input)) {
        out += text.slice(at, m.start);
        at = m.end;
        const value = Object.prototype.hasOwnProperty.call(scope, m.name) ? scope[m.name] : undefined;
        let rendered;
        if (typeof value === 'function') {
            // A bare word argument is a lookup in the scope, as in Handlebars (usually undefined).
            const args = m.args.map((a) => (a.literal ? a.text : stringOrUndefined(scope[a.text])));
            rendered = value(args, m.hash);
        }
        else {
            if (m.args.length > 0 || Object.keys(m.hash).length > 0)
                throw new index_js_1.InputError(input, `{{${m.name} …}}: "${m.name}" is not a function`, 'use one of the documented expressions (date, commit_date, branch, tag, sha, base_ref, …)');
            rendered = stringify(value);
        }
        out += m.escaped ? escapeHtml(rendered) : rendered;
    }
    return out + text.slice(at);
}
function stringOrUndefined(v) {
    return v === undefined || typeof v === 'function' ? undefined : stringify(v);
}
/** True when the pattern is only `{{raw}}` (with any spacing): metadata-action then keeps a prerelease raw. */
function isRawStatement(pattern) {
    return /^\{\{\s*raw\s*\}\}$/.test(pattern);
}


/***/ }),

/***/ 2478:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.buildSummary = buildSummary;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(1550);
/** The job summary of a build: builder, id/digest, every tag and whether it was pushed, the labels. */
function buildSummary(meta, result) {
    const lines = [
        `### build-image: ${meta.version || result.imageId.slice(7, 19) || 'image'}`,
        '',
        `Builder: **${result.builder}** (${result.builderReason})`,
        '',
        result.digest ? `Digest: \`${result.digest}\`` : `Image ID: \`${result.imageId}\``,
        ''
    ];
    if (meta.tags.length > 0)
        lines.push((0, index_js_1.table)(['Tag', 'Pushed'], meta.tags.map((t) => [`\`${t}\``, result.pushed.includes(t) ? 'yes' : 'no'])), '');
    lines.push((0, index_js_1.details)('Labels', (0, index_js_1.table)(['Label', 'Value'], Object.entries((0, index_js_2.linesToRecord)(meta.labels)))), '');
    return lines.join('\n');
}


/***/ }),

/***/ 1507:
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
__exportStar(__webpack_require__(8294), exports);
__exportStar(__webpack_require__(9236), exports);
__exportStar(__webpack_require__(4554), exports);


/***/ }),

/***/ 4554:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.NOTIFY_FORMATS = void 0;
exports.describeEvent = describeEvent;
exports.slackPayload = slackPayload;
exports.teamsPayload = teamsPayload;
exports.discordPayload = discordPayload;
exports.notificationBody = notificationBody;
exports.createNotifier = createNotifier;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3747);
const webhook_js_1 = __webpack_require__(8294);
/**
 * Notifications people read. `json` posts the signed event itself (for machines); `slack`, `teams` and
 * `discord` post a message in that service's incoming-webhook format: who, which version, which environment,
 * the result and a link to the run, and on failure the reason and what serves now.
 */
exports.NOTIFY_FORMATS = (0, index_js_2.choicesOf)('deploy-compose', 'notify-format');
/** The events a chat message is written for: results, not every step. */
const CHAT_EVENTS = new Set(['deploy.completed', 'deploy.failed', 'rollback.executed', 'incident.opened']);
const field = (e, k) => (typeof e[k] === 'string' ? e[k] : '');
function describeEvent(e, servingHint) {
    const where = `${e.app} ${e.version || '(no version)'} in ${e.environment}`;
    const scan = (0, index_js_1.asScanRecord)(e.scan);
    const facts = [
        ['Who', e.actor || 'unknown'],
        ['Version', e.version || '(none)'],
        ['Environment', e.environment],
        // scan-gate's verdict on the release's image (deploy-compose's scan-verdict): counts and the report's sha256.
        ...(scan ? [['Scan', (0, index_js_1.scanLine)(scan)]] : [])
    ];
    const runUrl = e.runUrl || '';
    switch (e.type) {
        case 'deploy.completed':
            return { title: `✅ Deployed ${where}`, result: 'succeeded', facts, runUrl };
        case 'rollback.executed': {
            const serving = field(e, 'release') ? `release ${field(e, 'release')}` : 'the previous release';
            return {
                title: `↩️ Rolled back ${e.app} in ${e.environment}`,
                result: 'rolled back',
                facts,
                reason: field(e, 'reason') || 'not given',
                serving,
                runUrl
            };
        }
        case 'incident.opened':
            return {
                title: `🚨 Incident: ${where} was rolled back automatically`,
                result: 'incident',
                facts,
                reason: field(e, 'reason') || 'not given',
                serving: field(e, 'serving') || 'the previous release',
                runUrl
            };
        default: {
            const serving = servingHint ??
                (e.rolledBack === true
                    ? 'the previous release (rolled back automatically)'
                    : 'unknown: the release was not rolled back; check the hosts');
            return {
                title: `❌ Deploy failed: ${where}`,
                result: 'failed',
                facts,
                reason: field(e, 'reason') || 'not given',
                serving,
                runUrl
            };
        }
    }
}
const RESULT_COLOR = {
    succeeded: { hex: '2EB67D', int: 0x2eb67d },
    failed: { hex: 'E01E5A', int: 0xe01e5a },
    'rolled back': { hex: 'ECB22E', int: 0xecb22e },
    incident: { hex: 'B00020', int: 0xb00020 }
};
function allFacts(t) {
    return [
        ...t.facts,
        ['Result', t.result],
        ...(t.reason ? [['Reason', t.reason]] : []),
        ...(t.serving ? [['Serving now', t.serving]] : [])
    ];
}
const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
// Slack's mrkdwn treats <, > and & specially.
const slackEscape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Slack incoming webhook: `text` (the notification fallback) and Block Kit blocks. */
function slackPayload(t) {
    const facts = allFacts(t);
    const link = t.runUrl ? ` <${t.runUrl}|Open the run>` : '';
    return {
        // Escaped too: `<!channel>` in an error reason must not ping a channel.
        text: clip(slackEscape(`${t.title}: ${t.result}${t.reason ? ` (${t.reason})` : ''}`), 3000),
        blocks: [
            { type: 'header', text: { type: 'plain_text', text: clip(t.title, 150), emoji: true } },
            {
                type: 'section',
                fields: facts
                    .slice(0, 10)
                    .map(([k, v]) => ({ type: 'mrkdwn', text: clip(`*${k}*\n${slackEscape(v)}`, 2000) }))
            },
            ...(link ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: link.trim() }] }] : [])
        ]
    };
}
/** Microsoft Teams incoming webhook (Workflows): a message with one Adaptive Card attachment. */
function teamsPayload(t) {
    return {
        type: 'message',
        attachments: [
            {
                contentType: 'application/vnd.microsoft.card.adaptive',
                contentUrl: null,
                content: {
                    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
                    type: 'AdaptiveCard',
                    version: '1.4',
                    body: [
                        { type: 'TextBlock', text: t.title, weight: 'Bolder', size: 'Medium', wrap: true },
                        { type: 'FactSet', facts: allFacts(t).map(([title, value]) => ({ title, value })) }
                    ],
                    ...(t.runUrl ? { actions: [{ type: 'Action.OpenUrl', title: 'Open the run', url: t.runUrl }] } : {})
                }
            }
        ]
    };
}
/** Discord webhook: one embed (title ≤ 256, field name ≤ 256, value ≤ 1024, at most 25 fields). */
function discordPayload(t, time) {
    return {
        username: 'deploy-actions',
        embeds: [
            {
                title: clip(t.title, 256),
                ...(t.runUrl ? { url: t.runUrl } : {}),
                color: RESULT_COLOR[t.result].int,
                timestamp: time,
                fields: allFacts(t)
                    .slice(0, 25)
                    .map(([name, value]) => ({
                    name: clip(name, 256),
                    value: clip(value, 1024),
                    inline: value.length < 40
                }))
            }
        ]
    };
}
/** The body to POST for an event in a format; undefined when that format does not notify of the event. */
function notificationBody(event, format, servingHint) {
    if (format === 'json')
        return event;
    if (!CHAT_EVENTS.has(event.type))
        return undefined;
    const text = describeEvent(event, servingHint);
    if (format === 'slack')
        return slackPayload(text);
    if (format === 'teams')
        return teamsPayload(text);
    return discordPayload(text, event.time);
}
/**
 * An `onEvent` for the engines: each event is formatted and delivered; a deploy's failure message says
 * which release serves now (from the rollback that came just before it); in a critical environment an
 * automatic rollback is followed by `incident.opened`.
 */
function createNotifier(options) {
    let restored;
    const send = async (event, hint) => {
        const body = notificationBody(event, options.format, hint);
        if (body === undefined)
            return undefined;
        return (0, webhook_js_1.deliverEvent)(event, {
            url: options.url,
            ...(options.secret ? { secret: options.secret } : {}),
            ...(options.format === 'json' ? {} : { body }),
            ...(options.logger ? { logger: options.logger } : {}),
            ...(options.attempts ? { attempts: options.attempts } : {}),
            ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
            ...(options.backoffMs ? { backoffMs: options.backoffMs } : {})
        });
    };
    return async (event) => {
        const sent = [];
        const hint = event.type === 'deploy.failed' && event.rolledBack === true && restored
            ? `release ${restored} (rolled back automatically)`
            : undefined;
        const first = await send(event, hint);
        if (first)
            sent.push(first);
        if (event.type === 'rollback.executed') {
            restored = field(event, 'release') || undefined;
            if (options.critical && (event.automatic === true || options.automatic)) {
                const incident = (0, index_js_1.makeEvent)('incident.opened', { app: event.app, environment: event.environment, version: event.version }, { actor: event.actor, runUrl: event.runUrl }, {
                    reason: field(event, 'reason'),
                    serving: restored ? `release ${restored}` : 'the previous release',
                    failedRelease: field(event, 'from'),
                    severity: 'critical'
                });
                const d = await send(incident);
                if (d)
                    sent.push(d);
            }
        }
        return sent;
    };
}


/***/ }),

/***/ 9236:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.timelineMermaid = timelineMermaid;
exports.eventsTable = eventsTable;
const index_js_1 = __webpack_require__(893);
/** A mermaid timeline of a run's events (GitHub renders mermaid in job summaries). */
function timelineMermaid(events, title = 'What happened') {
    if (events.length === 0)
        return '';
    const lines = ['```mermaid', 'timeline', `  title ${sanitize(title)}`];
    for (const e of events) {
        // A colon ends the time period in mermaid's timeline syntax, so the clock is written 19.22.01.
        const time = e.time.slice(11, 19).replace(/:/g, '.');
        const detail = [e.type, e.version, typeof e.reason === 'string' ? e.reason : '']
            .filter(Boolean)
            .join(' ');
        lines.push(`  ${time} : ${sanitize(detail)}`);
    }
    lines.push('```', '');
    return lines.join('\n');
}
function eventsTable(events) {
    return (0, index_js_1.table)(['time', 'event', 'app', 'environment', 'version', 'actor', 'detail'], events.map((e) => [
        e.time,
        e.type,
        e.app,
        e.environment,
        e.version,
        e.actor,
        typeof e.reason === 'string' ? e.reason : typeof e.release === 'string' ? e.release : ''
    ]));
}
// Mermaid treats ':' and '#' and ';' specially in timeline entries.
function sanitize(s) {
    return s.replace(/[:#;]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
}


/***/ }),

/***/ 8294:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.SIGNATURE_TOLERANCE_SECONDS = exports.SIGNATURE_HEADER = void 0;
exports.signBody = signBody;
exports.verifyWebhook = verifyWebhook;
exports.verifySignature = verifySignature;
exports.deliverEvent = deliverEvent;
const node_crypto_1 = __webpack_require__(7598);
const node_http_1 = __webpack_require__(7067);
const node_https_1 = __webpack_require__(4708);
const index_js_1 = __webpack_require__(893);
exports.SIGNATURE_HEADER = 'x-deploy-actions-signature-256';
/** How old a signed timestamp a receiver accepts by default, either way (clock skew), in seconds. */
exports.SIGNATURE_TOLERANCE_SECONDS = 300;
/**
 * The signature header's value for `body` sent at `time`: `t=<unix seconds>,v1=<hex>`, and with the delivery
 * `id` also `,v2=<hex>` over `<t>.<id>.<body>`: the id is inside the signature, so a receiver that drops
 * duplicates by id cannot be fooled by a replay under a fresh id. v1 stays for this major version.
 */
function signBody(body, secret, time = new Date(), id) {
    const t = Math.floor(time.getTime() / 1000);
    return `t=${t},v1=${hmac(`${t}.`, body, secret)}${id ? `,v2=${hmac(`${t}.${id}.`, body, secret)}` : ''}`;
}
function hmac(prefix, body, secret) {
    return (0, node_crypto_1.createHmac)('sha256', secret).update(prefix).update(body).digest('hex');
}
/**
 * For receivers (and our tests): check a signature header against the raw body, in constant time, and
 * refuse a timestamp more than `toleranceSeconds` away from now (a replay, or a badly skewed clock).
 */
function verifyWebhook(body, secret, header, options = {}) {
    if (!header)
        return { valid: false, reason: 'missing' };
    const parts = new Map(header.split(',').map((p) => {
        const i = p.indexOf('=');
        return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
    }));
    const t = Number(parts.get('t'));
    // With the delivery id (the X-Deploy-Actions-Delivery header), v2 is checked: it covers the id too.
    const v2 = options.id !== undefined && parts.has('v2');
    const sig = (v2 ? parts.get('v2') : parts.get('v1')) ?? '';
    if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(sig))
        return { valid: false, reason: 'malformed' };
    const expected = Buffer.from(hmac(v2 ? `${t}.${options.id}.` : `${t}.`, body, secret), 'hex');
    if (!(0, node_crypto_1.timingSafeEqual)(expected, Buffer.from(sig, 'hex')))
        return { valid: false, reason: 'mismatch' };
    const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
    if (Math.abs(now - t) > (options.toleranceSeconds ?? exports.SIGNATURE_TOLERANCE_SECONDS))
        return { valid: false, reason: 'expired' };
    return { valid: true, timestamp: t };
}
/** `verifyWebhook(...).valid`: true only for an authentic delivery signed within the window. */
function verifySignature(body, secret, header, options = {}) {
    return verifyWebhook(body, secret, header, options).valid;
}
function post(url, body, headers, timeoutMs) {
    const send = url.protocol === 'https:' ? node_https_1.request : node_http_1.request;
    return new Promise((resolve, reject) => {
        const req = send(url, {
            method: 'POST',
            headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
            timeout: timeoutMs
        }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(body);
    });
}
async function deliverEvent(event, options) {
    const url = new URL(options.url);
    const body = JSON.stringify(options.body ?? event);
    const id = (0, node_crypto_1.randomUUID)();
    const headers = {
        'content-type': 'application/json',
        'user-agent': 'deploy-actions',
        'x-deploy-actions-event': event.type,
        'x-deploy-actions-delivery': id
    };
    if (!options.secret && options.body === undefined)
        options.logger?.warning(`webhook ${url.origin}: no secret set, sending ${event.type} unsigned`);
    const attempts = Math.max(1, options.attempts ?? 4);
    let lastProblem = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
            // Signed at each attempt: a retry an hour later still falls inside the receiver's window.
            if (options.secret)
                headers[exports.SIGNATURE_HEADER] = signBody(body, options.secret, options.now?.() ?? new Date(), id);
            const status = await post(url, body, headers, options.timeoutMs ?? 10_000);
            if (status >= 200 && status < 300)
                return { id, status, attempts: attempt };
            lastProblem = `answered ${status}`;
            if (status !== 429 && status < 500)
                break; // the receiver refused this event: retrying won't help
        }
        catch (err) {
            lastProblem = err instanceof Error ? err.message : String(err);
        }
        if (attempt < attempts) {
            const delay = (options.backoffMs ?? 500) * 2 ** (attempt - 1);
            options.logger?.debug(`webhook ${url.origin} ${lastProblem}; retrying in ${delay} ms`);
            await new Promise((r) => setTimeout(r, delay));
        }
    }
    throw new index_js_1.DeployActionsError('connection', `Webhook ${url.origin}${url.pathname} ${lastProblem} (event ${event.type})`, {
        state: 'the deployment itself is unaffected; only the notification was not delivered',
        hint: 'check the webhook URL and that the receiver accepts POSTs; the event is also in the job summary and host history'
    });
}


/***/ }),

/***/ 1427:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.FRONT_DOOR_BOOT_GUARD = exports.APPLY_SCRIPT = void 0;
exports.frontDoorArgv = frontDoorArgv;
const conf_js_1 = __webpack_require__(9705);
const host_scripts_generated_js_1 = __webpack_require__(279);
/**
 * The one program that changes a front door on a host: packages/frontdoor/host/apply.sh (`sh -c` with
 * arguments; CI's shellcheck reads it). Under an exclusive flock on `<front-door>/lock`, so two apps deploying to the host at once
 * each see the other's change:
 *
 *   1. refuse when the front door belongs to another user or state dir (its `owner` file, or, when it is not
 *      running from here, the owner a running front door on the port answers with), or the port is held by
 *      something else;
 *   2. refuse when it listens elsewhere than this app asks, or another site holds one of the host names;
 *   3. `check` stops here. The others copy the config into `.next/` and change the copy: `apply` unpacks the
 *      new nginx.conf and site (a tar on stdin), `pause` the app's maintenance file (`maint/<key>.conf`, a tar
 *      on stdin), `resume` deletes that file, `remove` the app's site. `nginx -t` of the copy: a failed test
 *      removes `.next/` and changes nothing. Then this app's files are renamed into place (the others' are
 *      unchanged copies) and nginx reloads (or starts).
 *
 * Exit codes: 3 owner, 4 host name taken, 5 nginx -t failed, 6 port held by another program, 7 listen
 * mismatch, 8 reload or start failed, 9 pause of an app not served here, 75 lock not had in time.
 */
/** packages/frontdoor/host/apply.sh, carried into the bundles by its generated module. */
exports.APPLY_SCRIPT = host_scripts_generated_js_1.HOST_SCRIPTS.apply;
/**
 * argv of APPLY_SCRIPT. `apply` reads a tar of `nginx.conf`, `sites/<key>.conf`, `start.sh` and, with a
 * user-supplied certificate, `tls/<key>.crt|.key` (0600, as every file of the tar) on stdin.
 */
function frontDoorArgv(l, mode, key, stateDir, 
/** Where it must listen (apply, check, remove); absent for pause and resume, which change no listener. */
listen, hostnames) {
    return [
        'sh',
        '-c',
        exports.APPLY_SCRIPT,
        'sh',
        l.root,
        mode,
        key,
        stateDir,
        listen ? (0, conf_js_1.listenSignature)(listen) : '',
        listen ? (0, conf_js_1.probeAddress)(listen) : '',
        conf_js_1.OWNER_PATH,
        ...(mode === 'check' || mode === 'apply' ? hostnames : [])
    ];
}
/** The @reboot script's guard: start the front door only when some app has a site in it. */
exports.FRONT_DOOR_BOOT_GUARD = 'ls "$d"/sites/*.conf >/dev/null 2>&1 || exit 0';


/***/ }),

/***/ 9705:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.MAINTENANCE_PAGE = exports.OWNER_PATH = void 0;
exports.listenSignature = listenSignature;
exports.probeAddress = probeAddress;
exports.frontDoorConf = frontDoorConf;
exports.maintenanceConf = maintenanceConf;
exports.siteConf = siteConf;
exports.tlsConf = tlsConf;
const posix_1 = __webpack_require__(3916);
const nginx_js_1 = __webpack_require__(6207);
/** The marker line the host script compares: every app on a host must agree on where the front door listens. */
function listenSignature(l) {
    return `${l.bind} ${l.httpPort} ${l.httpsPort ?? '-'}`;
}
/** Where the host script probes a port's owner: the bind address, or loopback for a wildcard bind. */
function probeAddress(l) {
    const a = l.bind === '0.0.0.0' ? '127.0.0.1' : l.bind === '::' ? '::1' : l.bind;
    return `${(0, nginx_js_1.listenAddress)(a)}:${l.httpPort}`;
}
/** The path at which a front door says who owns it (to loopback clients only). */
exports.OWNER_PATH = '/.deploy-actions/front-door';
/**
 * The host-wide nginx.conf: logs, temp paths and the WebSocket map once, a default server that answers 404
 * to unknown host names (and tells a local deploy who owns this front door), then every app's site file.
 */
function frontDoorConf(l, listen, accessLog = true) {
    const d = l.root;
    return `# written by deploy-actions: this host's front door; apps are sites/*.conf, changed under flock(lock)
# listen ${listenSignature(listen)}
worker_processes 1;
pid ${l.pid};
error_log ${(0, posix_1.join)(d, 'error.log')} warn;
events { worker_connections 4096; }
http {
  log_format deploy_actions '$remote_addr - [$time_iso8601] "$request" $status $body_bytes_sent '
                            '"$http_referer" "$http_user_agent" host=$host upstream=$upstream_addr '
                            'rt=$request_time urt=$upstream_response_time xff="$http_x_forwarded_for"';
  ${accessLog ? `access_log ${(0, posix_1.join)(d, 'access.log')} deploy_actions;` : 'access_log off;'}
${(0, nginx_js_1.tempPaths)(d)}  server_names_hash_bucket_size 128;
${nginx_js_1.WEBSOCKET_MAP}  server {
    listen ${(0, nginx_js_1.listenAddress)(listen.bind)}:${listen.httpPort} default_server;
    server_name _;
    location = ${exports.OWNER_PATH} {
      allow 127.0.0.0/8;
      allow ::1;
      deny all;
      default_type text/plain;
      include owner.conf;
    }
    location / {
      default_type text/plain;
      return 404 "no app serves this host name here\\n";
    }
  }
  include sites/*.conf;
}
`;
}
exports.MAINTENANCE_PAGE = '<!doctype html><title>Down for maintenance</title><h1>Down for maintenance</h1><p>We will be back shortly.</p>';
/** `maint/<key>.conf`: what a paused app answers, at once, to every request (inside its `location /`). */
function maintenanceConf(page = exports.MAINTENANCE_PAGE) {
    if (page.includes("'") || page.includes('\\'))
        throw new Error('maintenanceConf: the page may hold no quote or backslash');
    return `default_type text/html;
add_header Retry-After 60 always;
return 503 '${page}';
`;
}
/**
 * One app's site: `# host` lines (the host script refuses a name another site holds), its upstream (the
 * active slot) and server. Variables carry a per-site token, since every site shares one http block.
 */
function siteConf(o) {
    const t = (0, nginx_js_1.siteToken)(o.key);
    const upstream = `fd_${t}`;
    const addr = (0, nginx_js_1.listenAddress)(o.listen.bind);
    const listens = [
        `    listen ${addr}:${o.listen.httpPort};`,
        // HTTPS when the front door holds a certificate for the app (tlsConf): kept across deploys and rollbacks,
        // since it belongs to the host names, not to a release. The bracket makes the include optional.
        `    include tls/${o.key}.ssl.con[f];`
    ];
    return `# written by deploy-actions
# app ${o.app}
${o.hostnames.map((h) => `# host ${h}`).join('\n')}
# release ${o.release}, port ${o.port}
upstream ${upstream} {
  server 127.0.0.1:${o.port};
}
${(0, nginx_js_1.forwardedMaps)(o.forwarding.trustedProxies, `_${t}`)}server {
${listens.join('\n')}
    server_name ${o.hostnames.join(' ')};
    client_max_body_size ${o.forwarding.maxBodySize};
    location / {
      # deploy-actions pause: a 503 page while the file exists (the bracket makes the include optional)
      include maint/${o.key}.con[f];
${(0, nginx_js_1.proxyLocation)(upstream, o.forwarding, `_${t}`)}    }
}
`;
}
/**
 * `tls/<key>.ssl.conf`, written beside the app's certificate and key. Paths are relative to the config's
 * directory, so \`nginx -t\` of a staged config reads the staged files.
 */
function tlsConf(listen, key) {
    if (listen.httpsPort === undefined)
        throw new Error('tlsConf: the front door has no HTTPS port');
    return `listen ${(0, nginx_js_1.listenAddress)(listen.bind)}:${listen.httpsPort} ssl;
ssl_certificate tls/${key}.crt;
ssl_certificate_key tls/${key}.key;
`;
}


/***/ }),

/***/ 279:
/***/ ((__unused_webpack_module, exports) => {


// Generated from packages/frontdoor/host/*.sh by `npm run catalog`. Do not edit: change the .sh file and regenerate.
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.HOST_SCRIPTS = void 0;
/** Each host script by its file name (without .sh), as text for `sh -c`. */
exports.HOST_SCRIPTS = {
    apply: '#!/bin/sh\n# The one program that changes a front door on a host, under an exclusive flock on <front-door>/lock\n# (packages/frontdoor/src/apply.ts says what each mode does).\n#   apply.sh <front-door dir> <check|apply|pause|resume|remove> <app key> <state-dir> <listen signature>\n#            <probe address> <owner path> [host name]...\n# Exit codes: 3 owner, 4 host name taken, 5 nginx -t failed, 6 port held by another program, 7 listen\n# mismatch, 8 reload or start failed, 9 pause of an app not served here, 75 lock not had in time.\nset -u\nPATH=$PATH:/usr/sbin:/sbin\nd=$1 mode=$2 key=$3 state=$4 listen=$5 probe=$6 owner_path=$7\nshift 7\nsite="$d/sites/$key.conf"\nme="$(id -un) $state"\nfail() { code=$1; shift; echo "front door $d: $*" >&2; exit "$code"; }\nrunning() { pid=$(cat "$d/nginx.pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }\numask 077\ncommand -v flock >/dev/null 2>&1 || fail 1 "flock (util-linux) is missing on this host: install it"\n# A check (doctor, a deploy\'s prepare) of a host with no front door yet creates nothing.\nif [ "$mode" != check ] || [ -d "$d" ]; then\n  mkdir -p "$d/sites" "$d/tmp" || fail 1 "cannot create the directory"\n  exec 9>>"$d/lock" || fail 1 "cannot open $d/lock"\n  flock -w 60 9 || fail 75 "another front-door change held $d/lock for 60 s; try again"\nfi\nif [ -f "$d/owner" ] && [ "$(cat "$d/owner")" != "$me" ]; then\n  fail 3 "it belongs to $(cat "$d/owner") (user, state-dir); this deploy is $me: deploy every app of this host as that user with that state-dir"\nfi\nif [ -n "$probe" ] && ! running; then\n  url="http://$probe$owner_path"\n  if command -v curl >/dev/null 2>&1; then\n    ans=$(curl -s -m 3 "$url" 2>/dev/null); rc=$?; free=7\n  else\n    ans=$(wget -q -T 3 -O - "$url" 2>/dev/null); rc=$?; free=4\n  fi\n  if [ "$rc" -ne "$free" ]; then\n    case "$ans" in\n      "owner $me") ;;\n      "owner "*) fail 3 "port $probe is held by the front door of ${ans#owner } (user, state-dir); this deploy is $me: deploy every app of this host as that user with that state-dir" ;;\n      *) fail 6 "port $probe is held by another program (not a deploy-actions front door): free it or choose other front-door-ports" ;;\n    esac\n  fi\nfi\nif [ -n "$listen" ] && [ -f "$d/nginx.conf" ]; then\n  have=$(sed -n \'s/^# listen //p\' "$d/nginx.conf" | head -n 1)\n  [ "$have" = "$listen" ] || fail 7 "it listens on \'$have\' (bind http https); this app asks for \'$listen\': give every app of this host the same front-door-ports and proxy-bind"\nfi\nfor h in "$@"; do\n  for f in "$d"/sites/*.conf; do\n    if [ ! -f "$f" ] || [ "$f" = "$site" ]; then continue; fi\n    if grep -qxF "# host $h" "$f"; then\n      fail 4 "host name $h is already served by $(sed -n \'s/^# app //p\' "$f" | head -n 1): take it out of that app\'s public-hostnames first"\n    fi\n  done\ndone\n[ "$mode" = check ] && { echo front-door=ok; exit 0; }\ns="$d/.next"\nrm -rf "$s"\nmkdir -p "$s/sites" "$s/tls" "$s/maint" || fail 1 "cannot create $s"\nfor f in "$d"/sites/*.conf "$d"/tls/* "$d"/maint/*.conf; do\n  if [ -f "$f" ]; then cp -p "$f" "$s/${f#"$d"/}" || { rm -rf "$s"; fail 1 "cannot copy $f"; }; fi\ndone\nif [ ! -f "$d/nginx.conf" ] && [ "$mode" != apply ]; then rm -rf "$s"; echo front-door=absent; exit 0; fi\n[ ! -f "$d/nginx.conf" ] || cp "$d/nginx.conf" "$s/nginx.conf" || { rm -rf "$s"; fail 1 "cannot copy nginx.conf"; }\ncase "$mode" in\n  apply) tar -xf - -C "$s" || { rm -rf "$s"; fail 1 "cannot unpack the new config"; } ;;\n  pause)\n    [ -f "$s/sites/$key.conf" ] || { rm -rf "$s"; fail 9 "$key is not served by this front door: deploy it with public-hostnames first"; }\n    tar -xf - -C "$s" || { rm -rf "$s"; fail 1 "cannot unpack the maintenance page"; } ;;\n  resume) rm -f "$s/maint/$key.conf" ;;\n  remove) rm -f "$s/sites/$key.conf" "$s/maint/$key.conf" ;;\n  *) rm -rf "$s"; fail 2 "unknown mode $mode" ;;\nesac\nprintf \'return 200 "owner %s\\\\n";\\n\' "$me" > "$s/owner.conf"\nif ! err=$(nginx -e "$d/error.log" -t -q -p "$d" -c "$s/nginx.conf" 2>&1); then\n  rm -rf "$s"\n  fail 5 "the new config failed nginx -t, so nothing changed and the previous config serves on: $err"\nfi\nmv -f "$s/owner.conf" "$d/owner.conf" || fail 1 "cannot write owner.conf"\n[ -f "$d/owner" ] || echo "$me" > "$d/owner"\n[ ! -f "$s/start.sh" ] || mv -f "$s/start.sh" "$d/start.sh"\nmkdir -p "$d/tls" "$d/maint"\nfor f in "$s"/tls/*; do\n  if [ -f "$f" ]; then mv -f "$f" "$d/tls/" || fail 1 "cannot move $f into place"; fi\ndone\nif [ -f "$s/maint/$key.conf" ]; then mv -f "$s/maint/$key.conf" "$d/maint/$key.conf"; else rm -f "$d/maint/$key.conf"; fi\nif [ -f "$s/sites/$key.conf" ]; then mv -f "$s/sites/$key.conf" "$site"; else rm -f "$site"; fi\nmv -f "$s/nginx.conf" "$d/nginx.conf"\nrm -rf "$s"\nif running; then\n  before=" $(pgrep -P "$pid" | tr \'\\n\' \' \') "\n  err=$(nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" -s reload 2>&1) || fail 8 "reload failed: $err"\n  # -s reload only signals the master: wait (up to 5 s) for a worker of the new config, so that traffic has\n  # moved when this returns.\n  fresh() { for w in $(pgrep -P "$pid"); do case "$before" in *" $w "*) ;; *) return 0 ;; esac; done; return 1; }\n  i=0\n  until fresh || [ "$i" -ge 50 ]; do sleep 0.1; i=$((i + 1)); done\n  echo front-door=reloaded\nelse\n  # 9>&-: the nginx master would inherit the lock\'s descriptor and hold the flock for its whole life.\n  err=$(nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" 9>&- 2>&1) || fail 8 "it did not start: $err"\n  echo front-door=started\nfi\n'
};


/***/ }),

/***/ 9935:
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
__exportStar(__webpack_require__(6207), exports);
__exportStar(__webpack_require__(4861), exports);
__exportStar(__webpack_require__(2303), exports);
__exportStar(__webpack_require__(9705), exports);
__exportStar(__webpack_require__(1427), exports);
__exportStar(__webpack_require__(546), exports);


/***/ }),

/***/ 4861:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.FRONT_DOOR_DIR = void 0;
exports.frontDoorLayout = frontDoorLayout;
exports.siteKey = siteKey;
exports.sitePath = sitePath;
exports.tlsPaths = tlsPaths;
const posix_1 = __webpack_require__(3916);
exports.FRONT_DOOR_DIR = 'front-door';
function frontDoorLayout(stateDir) {
    const root = (0, posix_1.join)(stateDir, exports.FRONT_DOOR_DIR);
    return {
        root,
        conf: (0, posix_1.join)(root, 'nginx.conf'),
        sites: (0, posix_1.join)(root, 'sites'),
        tls: (0, posix_1.join)(root, 'tls'),
        lock: (0, posix_1.join)(root, 'lock'),
        pid: (0, posix_1.join)(root, 'nginx.pid'),
        owner: (0, posix_1.join)(root, 'owner')
    };
}
/** The name of an app's site file (and TLS files) in the front door: `<app>--<environment slug>`. */
function siteKey(app, environmentSlug) {
    return `${app}--${environmentSlug}`;
}
function sitePath(l, key) {
    return (0, posix_1.join)(l.sites, `${key}.conf`);
}
function tlsPaths(l, key) {
    return { certificate: (0, posix_1.join)(l.tls, `${key}.crt`), key: (0, posix_1.join)(l.tls, `${key}.key`) };
}


/***/ }),

/***/ 6207:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.WEBSOCKET_MAP = void 0;
exports.tempPaths = tempPaths;
exports.forwardedMaps = forwardedMaps;
exports.proxyLocation = proxyLocation;
exports.listenAddress = listenAddress;
exports.siteToken = siteToken;
const node_crypto_1 = __webpack_require__(7598);
const posix_1 = __webpack_require__(3916);
function seconds(ms) {
    return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}
/** The temp paths of an nginx run from `dir` by a non-root user (the defaults are root's). */
function tempPaths(dir) {
    return `  client_body_temp_path ${(0, posix_1.join)(dir, 'tmp', 'body')};
  proxy_temp_path ${(0, posix_1.join)(dir, 'tmp', 'proxy')};
  fastcgi_temp_path ${(0, posix_1.join)(dir, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${(0, posix_1.join)(dir, 'tmp', 'uwsgi')};
  scgi_temp_path ${(0, posix_1.join)(dir, 'tmp', 'scgi')};
`;
}
/**
 * The geo and maps that pick X-Forwarded-* from the request only for a trusted front end. `suffix` keeps the
 * variables of several apps in one http block apart (the front door); the per-app proxy uses none.
 */
function forwardedMaps(trustedProxies, suffix = '') {
    const v = (name) => `$da_${name}${suffix}`;
    const trusted = trustedProxies.map((t) => `    ${t} 1;\n`).join('');
    return `  # Front ends whose X-Forwarded-* headers are kept (proxy-trusted); everyone else gets them from the connection.
  geo ${v('trusted')} {
    default 0;
${trusted}  }
  map "${v('trusted')}:$http_x_forwarded_proto" ${v('proto')} {
    "~^1:(?<p>[A-Za-z]+)$" $p;
    default $scheme;
  }
  map "${v('trusted')}:$http_x_forwarded_host" ${v('host')} {
    "~^1:(?<h>.+)$" $h;
    default $http_host;
  }
  map "${v('trusted')}:$http_x_forwarded_port" ${v('port')} {
    "~^1:(?<n>[0-9]+)$" $n;
    default $server_port;
  }
  map ${v('trusted')} ${v('for')} {
    1 $proxy_add_x_forwarded_for;
    default $remote_addr;
  }
`;
}
/** Once per http block: pass Upgrade on, and keep the connection to the app open only for an upgrade. */
exports.WEBSOCKET_MAP = `  # WebSocket: pass Upgrade on, and keep the connection to the app open only for an upgrade.
  map $http_upgrade $da_connection {
    default upgrade;
    "" "";
  }
`;
/** The directives of the proxied `location /` (indented for a location inside a server inside http). */
function proxyLocation(upstream, o, suffix = '') {
    const v = (name) => `$da_${name}${suffix}`;
    return `      proxy_pass http://${upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $da_connection;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For ${v('for')};
      proxy_set_header X-Forwarded-Proto ${v('proto')};
      proxy_set_header X-Forwarded-Host ${v('host')};
      proxy_set_header X-Forwarded-Port ${v('port')};
      proxy_buffering ${o.buffering ? 'on' : 'off'};
      proxy_next_upstream error timeout;
      proxy_connect_timeout 5s;
      proxy_read_timeout ${seconds(o.readTimeoutMs)};
      proxy_send_timeout ${seconds(o.readTimeoutMs)};
`;
}
/** `[::1]` for IPv6, the address otherwise, as `listen` takes it. */
function listenAddress(bind) {
    return bind.includes(':') ? `[${bind}]` : bind;
}
/** A short, stable token for an app and environment: nginx variable and upstream names. */
function siteToken(key) {
    return (0, node_crypto_1.createHash)('sha256').update(key).digest('hex').slice(0, 10);
}


/***/ }),

/***/ 2303:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.recordedFrontDoor = recordedFrontDoor;
exports.parseHostnames = parseHostnames;
exports.parseFrontDoorPorts = parseFrontDoorPorts;
const index_js_1 = __webpack_require__(893);
function recordedFrontDoor(f) {
    const { tlsPair: _secret, ...rest } = f;
    return rest;
}
/** A DNS name: labels of letters, digits and `-`, a leading `*.` allowed (nginx wildcard). */
const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** `public-hostnames`: one per line or comma-separated; refused (naming the input) when not a host name. */
function parseHostnames(items, input = 'public-hostnames') {
    const out = [];
    for (const raw of items) {
        const h = raw.trim().toLowerCase().replace(/\.$/, '');
        if (!h)
            continue;
        if (h.length > 253 || !HOSTNAME.test(h))
            throw new index_js_1.InputError(input, `"${raw.trim()}" is not a host name`, 'give names such as `shop.example.com`, one per line or comma-separated (no scheme, port or path)');
        if (!out.includes(h))
            out.push(h);
    }
    return out;
}
/** `front-door-ports`: `http` or `http,https`, two different ports. */
function parseFrontDoorPorts(text, input = 'front-door-ports') {
    const parts = text
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
    const bad = parts.find((p) => !/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535);
    if (parts.length < 1 || parts.length > 2 || bad !== undefined)
        throw new index_js_1.InputError(input, `"${text}" is not one or two ports`, 'write `http,https`, e.g. `80,443` (or high ports such as `8080,8443` for a test host)');
    const [http, https] = parts.map(Number);
    if (http === https)
        throw new index_js_1.InputError(input, 'gives the same port twice', 'use two different ports');
    return { httpPort: http, ...(https !== undefined ? { httpsPort: https } : {}) };
}


/***/ }),

/***/ 546:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.certificateFacts = certificateFacts;
exports.checkTlsPair = checkTlsPair;
const node_crypto_1 = __webpack_require__(7598);
const index_js_1 = __webpack_require__(893);
/** Read a PEM pair; refused (naming the input) when it is not a certificate or a key. */
function certificateFacts(pair, hostnames) {
    let cert;
    try {
        cert = new node_crypto_1.X509Certificate(pair.certificate);
    }
    catch {
        throw new index_js_1.InputError('tls-certificate', 'is not a PEM certificate', 'paste the certificate file (BEGIN CERTIFICATE)');
    }
    let keyMatches;
    try {
        keyMatches = cert.checkPrivateKey((0, node_crypto_1.createPrivateKey)(pair.key));
    }
    catch {
        throw new index_js_1.InputError('tls-key', 'is not a PEM private key', 'paste the unencrypted key file (BEGIN PRIVATE KEY)');
    }
    return {
        subject: cert.subject.replace(/\n/g, ', '),
        notAfter: new Date(cert.validTo),
        uncovered: hostnames.filter((h) => cert.checkHost(h) === undefined),
        keyMatches
    };
}
/**
 * Refuse, before any host is touched, a pair that cannot serve the host names: a key of another certificate,
 * a certificate that expired (or expires within `minValidMs`), or one that does not name every host name.
 */
function checkTlsPair(pair, hostnames, now = new Date(), minValidMs = 0) {
    const f = certificateFacts(pair, hostnames);
    if (!f.keyMatches)
        throw new index_js_1.InputError('tls-key', `does not belong to the certificate of ${f.subject}`, 'give the key the certificate was issued for');
    if (f.notAfter.getTime() - minValidMs <= now.getTime())
        throw new index_js_1.InputError('tls-certificate', `expired (not after ${f.notAfter.toISOString()})`, 'renew it and update the secret');
    if (f.uncovered.length)
        throw new index_js_1.InputError('tls-certificate', `does not cover ${f.uncovered.join(', ')} (${f.subject})`, 'give a certificate whose names (subjectAltName) include every public-hostnames entry');
    return f;
}


/***/ }),

/***/ 4783:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.dockerInspectHealthArgv = dockerInspectHealthArgv;
exports.judgeContainerState = judgeContainerState;
exports.probeContainer = probeContainer;
const index_js_1 = __webpack_require__(893);
/** `docker inspect` of a container's state as JSON. Pure: tests assert it; any Executor (local, SSH) runs it. */
function dockerInspectHealthArgv(container) {
    return ['docker', 'inspect', '--type', 'container', '--format', '{{json .State}}', container];
}
/** Judge a container state: `healthy` when its HEALTHCHECK says so, or `running` when it has none. */
function judgeContainerState(container, state) {
    const status = state.Status ?? 'unknown';
    if (status !== 'running') {
        const extra = status === 'exited' ? ` (exit code ${state.ExitCode})` : '';
        return {
            ok: false,
            value: status,
            reason: `container ${container}: expected running, got ${status}${extra}`
        };
    }
    const health = state.Health?.Status;
    if (!health)
        return { ok: true, value: 'running (no HEALTHCHECK)' };
    if (health === 'healthy')
        return { ok: true, value: 'healthy' };
    const last = state.Health?.Log?.at(-1);
    const out = last?.Output
        ? `; last check exited ${last.ExitCode}: ${JSON.stringify(last.Output.trim().slice(0, 200))}`
        : '';
    const streak = state.Health?.FailingStreak ? ` (failing streak ${state.Health.FailingStreak})` : '';
    return {
        ok: false,
        value: health,
        reason: `container ${container}: expected health healthy, got ${health}${streak}${out}`
    };
}
async function probeContainer(container, options) {
    const time = new Date().toISOString();
    const started = performance.now();
    const base = {
        round: options.round,
        target: container,
        kind: 'container',
        time,
        expectation: 'healthy'
    };
    try {
        const r = await options.executor.run({
            argv: dockerInspectHealthArgv(container),
            timeoutMs: options.timeoutMs,
            step: `inspect container ${container}`,
            check: false
        });
        const latencyMs = Math.round((performance.now() - started) * 10) / 10;
        if (r.exitCode !== 0) {
            const err = (r.stderr || r.stdout).trim().split('\n').at(-1) ?? '';
            return {
                ...base,
                ok: false,
                latencyMs,
                value: 'missing',
                reason: `container ${container} on ${options.executor.target}: docker inspect failed: ${err}`
            };
        }
        const judged = judgeContainerState(container, JSON.parse(r.stdout));
        return { ...base, latencyMs, ...judged };
    }
    catch (e) {
        return {
            ...base,
            ok: false,
            value: 'error',
            reason: `container ${container} on ${options.executor.target}: ${(0, index_js_1.describeError)(e).split('\n')[0]}`
        };
    }
}


/***/ }),

/***/ 4596:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.MAX_ROUNDS_IN_FLIGHT = void 0;
exports.canaryRules = canaryRules;
/**
 * Rounds start on a fixed schedule even while earlier rounds still wait for a slow or hanging target, so a
 * broken release is judged within initial-delay + failure-threshold × interval + one probe timeout. This caps
 * how many rounds may be open at once (the bound holds while probe-timeout ≤ this × interval).
 */
exports.MAX_ROUNDS_IN_FLIGHT = 8;
/** The canary rule set deploy teams start from (Flagger's request-success-rate and request-duration). */
function canaryRules(hasHttp) {
    return hasHttp
        ? { minSuccessRate: 0.99, maxErrorRate: 0.01, maxP99LatencyMs: 500 }
        : { minSuccessRate: 0.99 };
}


/***/ }),

/***/ 5487:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.MAX_EVIDENCE_OUTPUT_BYTES = void 0;
exports.evidenceForOutput = evidenceForOutput;
/**
 * A job's step outputs share 1 MB on GitHub; the evidence output stays well inside that even for a long
 * soak. The full evidence goes to a file (the `evidence-file` output) for upload as an artifact.
 */
exports.MAX_EVIDENCE_OUTPUT_BYTES = 256 * 1024;
/** Every probe record when they fit in `maxBytes`, otherwise the most recent ones that fit. */
function evidenceForOutput(evidence, maxBytes = exports.MAX_EVIDENCE_OUTPUT_BYTES) {
    const parts = [];
    let size = 2;
    for (let i = evidence.length - 1; i >= 0; i--) {
        const text = JSON.stringify(evidence[i]);
        if (size + Buffer.byteLength(text) + 1 > maxBytes)
            break;
        size += Buffer.byteLength(text) + 1;
        parts.push(text);
    }
    parts.reverse();
    return { json: `[${parts.join(',')}]`, kept: parts.length, dropped: evidence.length - parts.length };
}


/***/ }),

/***/ 9053:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.runGate = runGate;
exports.describeRules = describeRules;
exports.tallyRound = tallyRound;
exports.soakAlreadyBroken = soakAlreadyBroken;
exports.judgeSoak = judgeSoak;
const node_events_1 = __webpack_require__(8474);
const index_js_1 = __webpack_require__(893);
const container_js_1 = __webpack_require__(4783);
const http_js_1 = __webpack_require__(6274);
const prometheus_js_1 = __webpack_require__(138);
const stats_js_1 = __webpack_require__(1407);
const spec_js_1 = __webpack_require__(1309);
const defaults_js_1 = __webpack_require__(4596);
function sleep(ms, signal) {
    if (ms <= 0 || signal?.aborted)
        return Promise.resolve();
    return new Promise((resolve) => {
        const t = setTimeout(done, ms);
        function done() {
            clearTimeout(t);
            signal?.removeEventListener('abort', done);
            resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
    });
}
/** A probe that threw (a bug or an answer no parser expected) fails its check instead of the gate. */
function guard(job, base) {
    return job.catch((err) => {
        const text = (0, index_js_1.describeError)(err).split('\n')[0];
        return {
            ...base,
            ok: false,
            value: 'error',
            reason: `${base.target}: the probe failed: ${text}`,
            time: new Date().toISOString()
        };
    });
}
/** One round: every URL, metric and container probed in parallel. Never rejects. */
function probeRound(spec, deps, round, timeoutMs, signal) {
    const jobs = [];
    for (const target of spec.urls)
        jobs.push(guard((0, http_js_1.probeHttp)(target, spec, round, { timeoutMs, signal }), {
            round,
            target: target.url,
            kind: 'http'
        }));
    for (const check of spec.metrics) {
        const job = (0, prometheus_js_1.probeMetric)(check, {
            prometheusUrl: spec.prometheusUrl,
            noData: spec.noData,
            timeoutMs,
            round,
            headers: spec.prometheusHeaders,
            tls: spec.tls,
            signal
        });
        jobs.push(guard(job, { round, target: check.text, kind: 'metric' }));
    }
    for (const c of spec.containers)
        jobs.push(guard((0, container_js_1.probeContainer)(c, { executor: deps.executor, round, timeoutMs }), {
            round,
            target: c,
            kind: 'container'
        }));
    return Promise.all(jobs);
}
function latencies(evidence) {
    const http = evidence.filter((e) => e.kind === 'http' && e.latencyMs !== undefined);
    return (http.length ? http : evidence.filter((e) => e.latencyMs !== undefined)).map((e) => e.latencyMs);
}
function finish(verdict, reason, evidence, failures, started) {
    const lat = latencies(evidence);
    return {
        verdict,
        reason,
        probes: evidence.length,
        failures,
        p50Ms: (0, stats_js_1.round1)((0, stats_js_1.percentile)(lat, 50)),
        p95Ms: (0, stats_js_1.round1)((0, stats_js_1.percentile)(lat, 95)),
        evidence,
        durationMs: Math.round(performance.now() - started)
    };
}
function describeRound(records) {
    return records
        .map((r) => {
        const v = r.kind === 'http' ? (r.status ?? 'no response') : r.value;
        const lat = r.latencyMs !== undefined ? ` ${Math.round(r.latencyMs)}ms` : '';
        return `${r.ok ? '✓' : '✗'} ${r.target} ${v}${lat}`;
    })
        .join(' · ');
}
/**
 * Header values are credentials as often as not: no log line may show them, whoever calls the engine, and a
 * server that echoes a request header into its error page must not carry it into a reason or the evidence.
 */
function secretsOf(spec, logger) {
    const redactor = new index_js_1.Redactor();
    const secrets = [...Object.values(spec.headers), ...Object.values(spec.prometheusHeaders ?? {})];
    // A password in a URL (https://user:pass@host/) is sent as basic auth and must not be shown either.
    // A token as the user name (https://TOKEN@host/) too.
    secrets.push(...(0, spec_js_1.urlPasswords)([...spec.urls.map((u) => u.url), spec.prometheusUrl ?? ''].join('\n')));
    for (const v of secrets) {
        if (!v)
            continue;
        logger.secret(v);
        redactor.add(v);
    }
    return (r) => {
        r.target = (0, spec_js_1.withoutUserinfo)(redactor.redact(r.target));
        if (r.reason)
            r.reason = (0, spec_js_1.withoutUserinfo)(redactor.redact(r.reason));
        if (typeof r.value === 'string')
            r.value = redactor.redact(r.value);
        return r;
    };
}
/**
 * Run the gate. Threshold mode: a round every `intervalMs` after `initialDelayMs`; healthy after
 * `successThreshold` consecutive passing rounds, unhealthy once `failureThreshold` rounds failed, `timeout`
 * when `timeoutMs` runs out first. Soak mode: rounds for `windowMs`, then the soak rules are judged over every
 * sample (or earlier, as soon as the samples so far break a rule whatever the rest show). Rounds are judged in
 * order; a slow round does not delay the schedule (see MAX_ROUNDS_IN_FLIGHT). Never throws for an unhealthy
 * target.
 */
async function runGate(spec, deps) {
    const { logger } = deps;
    if (spec.containers.length > 0 && !deps.executor)
        throw new Error('runGate: container probes need deps.executor');
    const redact = secretsOf(spec, logger);
    const started = performance.now();
    const evidence = [];
    const soak = spec.mode === 'soak';
    const rules = Object.keys(spec.soak).length ? spec.soak : (0, defaults_js_1.canaryRules)(spec.urls.length > 0);
    const deadline = started + spec.timeoutMs;
    const targets = [...spec.urls.map((u) => u.url), ...spec.metrics.map((m) => m.query), ...spec.containers];
    logger.info(soak
        ? `Health gate (soak): ${targets.length} target(s) every ${(0, index_js_1.formatMs)(spec.intervalMs)} for ${(0, index_js_1.formatMs)(spec.windowMs)}; rules: ${describeRules(rules)}`
        : `Health gate: ${targets.length} target(s) every ${(0, index_js_1.formatMs)(spec.intervalMs)}; healthy after ${spec.successThreshold} consecutive passing round(s), unhealthy after ${spec.failureThreshold} failing round(s), timeout ${(0, index_js_1.formatMs)(spec.timeoutMs)}`);
    if (!soak && spec.initialDelayMs + (spec.failureThreshold - 1) * spec.intervalMs >= spec.timeoutMs)
        logger.warning(`${spec.failureThreshold} failing rounds ${(0, index_js_1.formatMs)(spec.intervalMs)} apart cannot happen within the ${(0, index_js_1.formatMs)(spec.timeoutMs)} timeout: a broken release ends as \`timeout\`, not \`unhealthy\``);
    // Probes still open when the verdict is reached (or the caller cancels) are stopped through this.
    const stop = new AbortController();
    const signal = deps.signal ? AbortSignal.any([deps.signal, stop.signal]) : stop.signal;
    // Every open probe listens on it; up to MAX_ROUNDS_IN_FLIGHT rounds of many targets is not a leak.
    (0, node_events_1.setMaxListeners)(0, signal);
    const inflight = new Map();
    const end = async (result) => {
        stop.abort();
        await Promise.allSettled([...inflight.values()].map((r) => r.records));
        return result;
    };
    await sleep(soak ? spec.initialDelayMs : Math.min(spec.initialDelayMs, deadline - started), deps.signal);
    const firstRound = performance.now();
    const launchAt = (round) => firstRound + (round - 1) * spec.intervalMs;
    // No round starts after this: the end of the soak window, or the overall timeout.
    const lastStart = soak ? firstRound + spec.windowMs : deadline;
    const maxRounds = soak ? Math.ceil(spec.windowMs / spec.intervalMs) : Infinity;
    const probesPerRound = targets.length;
    let nextLaunch = 1;
    let nextJudge = 1;
    let consecutive = 0;
    let failedRounds = 0;
    let lastFailure = '';
    let cutShort = false;
    const tally = { failed: 0, httpErrors: 0, overP95: 0, overP99: 0 };
    const canLaunch = () => nextLaunch <= maxRounds &&
        launchAt(nextLaunch) < lastStart &&
        nextLaunch - nextJudge < defaults_js_1.MAX_ROUNDS_IN_FLIGHT;
    for (;;) {
        if (deps.signal?.aborted)
            return end(finish('timeout', `cancelled after ${nextJudge - 1} round(s)${lastFailure ? `; last failure: ${lastFailure}` : ''}`, evidence, failedRounds, started));
        const now = performance.now();
        while (canLaunch() && launchAt(nextLaunch) <= now) {
            // In threshold mode no probe may outlive the overall timeout; such a probe is cut, not failed.
            const room = soak ? Infinity : deadline - now;
            const timeoutMs = Math.max(1, Math.min(spec.probeTimeoutMs, room));
            inflight.set(nextLaunch, {
                records: probeRound(spec, deps, nextLaunch, timeoutMs, signal),
                cut: timeoutMs < spec.probeTimeoutMs
            });
            nextLaunch++;
        }
        const wakeAt = canLaunch() ? launchAt(nextLaunch) : Infinity;
        const pending = inflight.get(nextJudge);
        if (!pending) {
            if (wakeAt === Infinity)
                break;
            await sleep(wakeAt - now, deps.signal);
            continue;
        }
        const records = await raceTimer(pending.records, wakeAt - now, deps.signal);
        if (records === undefined)
            continue;
        inflight.delete(nextJudge);
        records.forEach(redact);
        const round = nextJudge++;
        const failed = records.filter((r) => !r.ok);
        if (pending.cut && failed.length > 0 && performance.now() >= deadline - 1) {
            // The overall timeout ended this round before its own probe timeout: it says nothing about health.
            for (const f of failed)
                f.reason = `${f.reason ?? ''} (cut short by the overall timeout; not counted)`;
            evidence.push(...records);
            cutShort = true;
            break;
        }
        evidence.push(...records);
        tallyRound(tally, rules, records);
        if (failed.length === 0) {
            consecutive++;
            logger.info(`round ${round}: pass${soak ? '' : ` (${consecutive}/${spec.successThreshold})`}: ${describeRound(records)}`);
            if (!soak && consecutive >= spec.successThreshold) {
                return end(finish('healthy', `${consecutive} consecutive passing round(s) of ${records.length} probe(s); ${failedRounds} failing round(s) before`, evidence, failedRounds, started));
            }
        }
        else {
            consecutive = 0;
            failedRounds++;
            lastFailure = failed[0].reason ?? `${failed[0].target} failed`;
            const more = failed.length > 1 ? ` (and ${failed.length - 1} more probe(s) failed)` : '';
            logger.info(`round ${round}: fail${soak ? '' : ` (${failedRounds}/${spec.failureThreshold})`}: ${failed.map((f) => f.reason).join(' | ')}`);
            if (!soak && failedRounds >= spec.failureThreshold) {
                return end(finish('unhealthy', `${lastFailure}${more} [${failedRounds} of ${spec.failureThreshold} allowed failing rounds]`, evidence, failedRounds, started));
            }
        }
        // After the last round the final judgement gives the exact figures instead.
        if (soak && round < maxRounds) {
            const broken = soakAlreadyBroken(rules, tally, maxRounds * probesPerRound, maxRounds * spec.urls.length);
            if (broken) {
                const first = evidence.find((e) => !e.ok)?.reason;
                return end(finish('unhealthy', `soak rule can no longer be met after ${round} of ${maxRounds} round(s): ${broken}${first ? `; first failure: ${first}` : ''}`, evidence, failedRounds, started));
            }
        }
    }
    if (soak)
        return end(judgeSoak({ ...spec, soak: rules }, evidence, failedRounds, started));
    return end(finish('timeout', `no verdict within ${(0, index_js_1.formatMs)(spec.timeoutMs)}: ${consecutive} of ${spec.successThreshold} consecutive passes, ${failedRounds} of ${spec.failureThreshold} failing rounds${cutShort ? ' (the last round was cut short by the timeout)' : ''}${lastFailure ? `; last failure: ${lastFailure}` : ''}`, evidence, failedRounds, started));
}
/** The promise's value, or undefined when `ms` passes (or the signal fires) first. */
async function raceTimer(p, ms, signal) {
    if (ms === Infinity && !signal)
        return p;
    let timer;
    let onAbort;
    const tick = new Promise((resolve) => {
        if (ms !== Infinity)
            timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
        if (signal) {
            onAbort = () => resolve(undefined);
            signal.addEventListener('abort', onAbort, { once: true });
        }
    });
    try {
        return await Promise.race([p, tick]);
    }
    finally {
        if (timer)
            clearTimeout(timer);
        if (onAbort)
            signal?.removeEventListener('abort', onAbort);
    }
}
const pct = (x) => `${(0, stats_js_1.round1)(x * 100)}%`;
function describeRules(rules) {
    const parts = [];
    if (rules.minSuccessRate !== undefined)
        parts.push(`success rate >= ${pct(rules.minSuccessRate)}`);
    if (rules.maxErrorRate !== undefined)
        parts.push(`error rate <= ${pct(rules.maxErrorRate)}`);
    if (rules.maxP95LatencyMs !== undefined)
        parts.push(`p95 <= ${(0, index_js_1.formatMs)(rules.maxP95LatencyMs)}`);
    if (rules.maxP99LatencyMs !== undefined)
        parts.push(`p99 <= ${(0, index_js_1.formatMs)(rules.maxP99LatencyMs)}`);
    return parts.join(', ');
}
const isError = (e) => e.status === undefined || e.status >= 500;
/** How many of n samples must exceed a bound for the nearest-rank percentile p to exceed it. */
function overToBreak(n, p) {
    return n - Math.ceil((p / 100) * n) + 1;
}
function tallyRound(tally, rules, records) {
    for (const e of records) {
        if (!e.ok)
            tally.failed++;
        if (e.kind !== 'http')
            continue;
        if (isError(e))
            tally.httpErrors++;
        const ms = e.latencyMs ?? 0;
        if (rules.maxP95LatencyMs !== undefined && ms > rules.maxP95LatencyMs)
            tally.overP95++;
        if (rules.maxP99LatencyMs !== undefined && ms > rules.maxP99LatencyMs)
            tally.overP99++;
    }
}
/**
 * Whether the samples so far break a rule however the remaining ones turn out, given at most `maxSamples`
 * probes (`maxHttp` HTTP probes) in the window. Sound: with fewer samples than the maximum, each rule is
 * only harder to meet, so a window that ends short cannot turn this verdict.
 */
function soakAlreadyBroken(rules, tally, maxSamples, maxHttp) {
    if (rules.minSuccessRate !== undefined && maxSamples > 0) {
        const best = (maxSamples - tally.failed) / maxSamples;
        if (best < rules.minSuccessRate)
            return `success rate at most ${pct(best)} (${tally.failed} of ${maxSamples} possible samples failed) < ${pct(rules.minSuccessRate)}`;
    }
    if (rules.maxErrorRate !== undefined && maxHttp > 0) {
        const least = tally.httpErrors / maxHttp;
        if (least > rules.maxErrorRate)
            return `error rate at least ${pct(least)} (${tally.httpErrors} of ${maxHttp} possible HTTP samples were 5xx or unanswered) > ${pct(rules.maxErrorRate)}`;
    }
    for (const [p, bound, over] of [
        [95, rules.maxP95LatencyMs, tally.overP95],
        [99, rules.maxP99LatencyMs, tally.overP99]
    ]) {
        if (bound === undefined || maxHttp === 0)
            continue;
        if (over >= overToBreak(maxHttp, p))
            return `p${p} latency above ${(0, index_js_1.formatMs)(bound)}: ${over} of ${maxHttp} possible HTTP samples were slower`;
    }
    return undefined;
}
/** Judge soak rules over every sample: success rate (all probes), error rate and latency percentiles (HTTP). */
function judgeSoak(spec, evidence, failedRounds, started) {
    const rules = spec.soak;
    const total = evidence.length;
    const ok = evidence.filter((e) => e.ok).length;
    const http = evidence.filter((e) => e.kind === 'http');
    const errors = http.filter(isError).length;
    const lat = http.map((e) => e.latencyMs ?? 0);
    const broken = [];
    const met = [];
    const firstFail = evidence.find((e) => !e.ok)?.reason;
    if (total === 0)
        return finish('unhealthy', 'soak window ended with no samples', evidence, failedRounds, started);
    const check = (good, text) => (good ? met : broken).push(text);
    if (rules.minSuccessRate !== undefined) {
        const rate = ok / total;
        check(rate >= rules.minSuccessRate, `success rate ${pct(rate)} (${ok}/${total}) ${rate >= rules.minSuccessRate ? '>=' : '<'} ${pct(rules.minSuccessRate)}`);
    }
    if (rules.maxErrorRate !== undefined && http.length) {
        const rate = errors / http.length;
        check(rate <= rules.maxErrorRate, `error rate ${pct(rate)} (${errors}/${http.length} 5xx or no response) ${rate <= rules.maxErrorRate ? '<=' : '>'} ${pct(rules.maxErrorRate)}`);
    }
    if (rules.maxP95LatencyMs !== undefined && lat.length) {
        const p = (0, stats_js_1.percentile)(lat, 95);
        check(p <= rules.maxP95LatencyMs, `p95 latency ${Math.round(p)}ms ${p <= rules.maxP95LatencyMs ? '<=' : '>'} ${(0, index_js_1.formatMs)(rules.maxP95LatencyMs)}`);
    }
    if (rules.maxP99LatencyMs !== undefined && lat.length) {
        const p = (0, stats_js_1.percentile)(lat, 99);
        check(p <= rules.maxP99LatencyMs, `p99 latency ${Math.round(p)}ms ${p <= rules.maxP99LatencyMs ? '<=' : '>'} ${(0, index_js_1.formatMs)(rules.maxP99LatencyMs)}`);
    }
    if (broken.length) {
        return finish('unhealthy', `soak rule broken: ${broken.join('; ')}${firstFail ? `; first failure: ${firstFail}` : ''}`, evidence, failedRounds, started);
    }
    return finish('healthy', `soak rules met over ${total} samples: ${met.join('; ')}`, evidence, failedRounds, started);
}


/***/ }),

/***/ 6274:
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
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.httpRequest = httpRequest;
exports.snippet = snippet;
exports.probeHttp = probeHttp;
exports.judgeHttpResponse = judgeHttpResponse;
const http = __importStar(__webpack_require__(7067));
const https = __importStar(__webpack_require__(4708));
const tls = __importStar(__webpack_require__(1692));
const index_js_1 = __webpack_require__(893);
const json_js_1 = __webpack_require__(7152);
const spec_js_1 = __webpack_require__(1309);
/** How much of a body we read: enough for any health document, bounded against a streaming endpoint. */
const MAX_BODY = 64 * 1024;
const ERROR_TEXT = {
    ECONNRESET: 'connection reset by peer',
    ECONNREFUSED: 'connection refused',
    EPIPE: 'connection closed while sending',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'connect timed out',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: self-signed certificate (give ca-cert, or opt in to insecure-skip-tls-verify)',
    SELF_SIGNED_CERT_IN_CHAIN: 'TLS: self-signed certificate in chain (give ca-cert)',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: unable to verify the certificate (give ca-cert)',
    ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: certificate does not match the host name',
    CERT_HAS_EXPIRED: 'TLS: certificate has expired'
};
/**
 * Node's `ca` option replaces the trusted roots; `ca-cert` adds to them, so a gate can probe an internal
 * service and a public one in the same step.
 */
function trustedCas(extra) {
    return extra ? [...tls.rootCertificates, extra] : undefined;
}
/** One HTTP request with a hard deadline covering connect, headers and body. Never throws. */
function httpRequest(target, options) {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    return new Promise((resolve) => {
        let done = false;
        const finish = (r) => {
            if (done)
                return;
            done = true;
            clearTimeout(timer);
            options.signal?.removeEventListener('abort', onAbort);
            resolve(r);
        };
        // Set once the status line arrived: a failure after it is a broken body, not a refused request.
        let responded;
        const midBody = () => `after status ${responded}, while reading the body`;
        const u = new URL(target.url);
        const mod = u.protocol === 'https:' ? https : http;
        const req = mod.request(u, {
            method: target.method ?? 'GET',
            headers: { 'user-agent': 'deploy-actions-health-gate', accept: '*/*', ...options.headers },
            // A fresh connection per probe: a health check must see what a new client sees.
            agent: false,
            ...(u.protocol === 'https:'
                ? { ca: trustedCas(options.ca), rejectUnauthorized: !options.insecure }
                : {})
        }, (res) => {
            responded = res.statusCode ?? 0;
            const chunks = [];
            let len = 0;
            res.on('data', (b) => {
                if (len < MAX_BODY)
                    chunks.push(b);
                len += b.length;
                if (len >= MAX_BODY) {
                    finish({
                        status: res.statusCode ?? 0,
                        body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY),
                        latencyMs: elapsed()
                    });
                    req.destroy();
                }
            });
            res.on('end', () => finish({
                status: res.statusCode ?? 0,
                body: Buffer.concat(chunks).toString('utf8'),
                latencyMs: elapsed()
            }));
            res.on('error', (e) => finish({ error: describeNetError(e, midBody()), latencyMs: elapsed() }));
            res.on('aborted', () => finish({ error: `connection reset by peer ${midBody()}`, latencyMs: elapsed() }));
        });
        const timer = setTimeout(() => {
            finish({
                error: responded === undefined
                    ? `no response within ${(0, index_js_1.formatMs)(options.timeoutMs)} (probe timeout)`
                    : `body not complete within ${(0, index_js_1.formatMs)(options.timeoutMs)} after status ${responded} (probe timeout)`,
                latencyMs: elapsed()
            });
            req.destroy();
        }, options.timeoutMs);
        const onAbort = () => {
            finish({ error: 'cancelled', latencyMs: elapsed() });
            req.destroy();
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        req.on('error', (e) => finish({ error: describeNetError(e, responded === undefined ? '' : midBody()), latencyMs: elapsed() }));
        req.end();
    });
}
function describeNetError(e, when = '') {
    const text = (e.code && ERROR_TEXT[e.code]) ??
        (e.message === 'socket hang up' ? 'connection closed without a response (socket hang up)' : e.message);
    return when ? `${text} ${when}` : text;
}
/** The first bytes of a body, on one line, for reasons. */
function snippet(body, max = 120) {
    const oneLine = body.replace(/\s+/g, ' ').trim();
    return JSON.stringify(oneLine.length > max ? oneLine.slice(0, max) + '…' : oneLine);
}
/** Probe one URL and judge it against every HTTP expectation of the spec. */
async function probeHttp(target, spec, round, options = {}) {
    const time = new Date().toISOString();
    const r = await httpRequest(target, {
        headers: spec.headers,
        ca: spec.tls.ca,
        insecure: spec.tls.insecure,
        timeoutMs: options.timeoutMs ?? spec.probeTimeoutMs,
        signal: options.signal
    });
    return judgeHttpResponse(target, spec, round, r, time);
}
/**
 * Judge one answer (or failure) against every HTTP expectation of the spec. Pure; shared by probeHttp and
 * by probes made elsewhere (deploy-compose's canary probes run on the host and are judged here).
 */
function judgeHttpResponse(target, spec, round, r, time) {
    const name = `${target.method ?? 'GET'} ${target.url}`;
    const base = { round, target: target.url, kind: 'http', time, latencyMs: r.latencyMs };
    if ('error' in r) {
        return { ...base, ok: false, expectation: 'a response', value: r.error, reason: `${name}: ${r.error}` };
    }
    const fail = (expectation, observed) => ({
        ...base,
        ok: false,
        status: r.status,
        expectation,
        value: observed,
        reason: `${name}: expected ${expectation}, got ${observed}`
    });
    const statusText = (0, spec_js_1.formatStatusRanges)(spec.expectStatus);
    if (!spec.expectStatus.some((s) => r.status >= s.min && r.status <= s.max)) {
        const f = fail(`status ${statusText}`, String(r.status));
        f.reason += `; body: ${snippet(r.body)}`;
        return f;
    }
    if (spec.expectBody !== undefined) {
        const ok = typeof spec.expectBody === 'string' ? r.body.includes(spec.expectBody) : spec.expectBody.test(r.body);
        const shown = typeof spec.expectBody === 'string' ? JSON.stringify(spec.expectBody) : String(spec.expectBody);
        if (!ok)
            return fail(`body to ${typeof spec.expectBody === 'string' ? 'contain' : 'match'} ${shown}`, `body ${snippet(r.body)}`);
    }
    if (spec.expectJson.length > 0) {
        let doc;
        try {
            doc = JSON.parse(r.body);
        }
        catch {
            return fail(`a JSON body for ${spec.expectJson[0].text}`, `non-JSON body ${snippet(r.body)}`);
        }
        for (const exp of spec.expectJson) {
            const c = (0, json_js_1.evaluateJson)(doc, exp);
            if (!c.ok)
                return fail(`\`${exp.text}\``, exp.path.length ? `${c.observed}` : c.observed);
        }
    }
    if (spec.maxLatencyMs !== undefined && r.latencyMs > spec.maxLatencyMs) {
        return fail(`latency <= ${(0, index_js_1.formatMs)(spec.maxLatencyMs)}`, `${Math.round(r.latencyMs)}ms`);
    }
    const expectation = [
        `status ${statusText}`,
        ...(spec.expectBody === undefined
            ? []
            : [
                typeof spec.expectBody === 'string'
                    ? `body contains ${JSON.stringify(spec.expectBody)}`
                    : `body matches ${String(spec.expectBody)}`
            ]),
        ...spec.expectJson.map((e) => e.text),
        ...(spec.maxLatencyMs === undefined ? [] : [`latency <= ${(0, index_js_1.formatMs)(spec.maxLatencyMs)}`])
    ].join('; ');
    return { ...base, ok: true, status: r.status, value: r.status, expectation };
}


/***/ }),

/***/ 3656:
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
exports.judgeHttpResponse = exports.percentile = exports.jsonPath = exports.evaluateJson = exports.judgeContainerState = exports.probeContainer = exports.dockerInspectHealthArgv = exports.prometheusQueryUrl = exports.parseQueryResponse = exports.probeMetric = exports.queryPrometheus = exports.probeHttp = exports.latencyChart = exports.gateSummary = exports.MAX_EVIDENCE_OUTPUT_BYTES = exports.evidenceForOutput = exports.MAX_ROUNDS_IN_FLIGHT = exports.canaryRules = exports.describeRules = exports.soakAlreadyBroken = exports.judgeSoak = exports.runGate = exports.withExpectations = exports.saveExpectations = exports.GATE_INPUT_NAMES = exports.withoutUserinfo = exports.urlPasswords = exports.headerValues = exports.defaultGateSpec = exports.parseMetricCheck = exports.parseJsonExpectation = exports.parseStatusRanges = exports.readGateInputs = void 0;
__exportStar(__webpack_require__(209), exports);
var spec_js_1 = __webpack_require__(1309);
Object.defineProperty(exports, "readGateInputs", ({ enumerable: true, get: function () { return spec_js_1.readGateInputs; } }));
Object.defineProperty(exports, "parseStatusRanges", ({ enumerable: true, get: function () { return spec_js_1.parseStatusRanges; } }));
Object.defineProperty(exports, "parseJsonExpectation", ({ enumerable: true, get: function () { return spec_js_1.parseJsonExpectation; } }));
Object.defineProperty(exports, "parseMetricCheck", ({ enumerable: true, get: function () { return spec_js_1.parseMetricCheck; } }));
Object.defineProperty(exports, "defaultGateSpec", ({ enumerable: true, get: function () { return spec_js_1.defaultGateSpec; } }));
Object.defineProperty(exports, "headerValues", ({ enumerable: true, get: function () { return spec_js_1.headerValues; } }));
Object.defineProperty(exports, "urlPasswords", ({ enumerable: true, get: function () { return spec_js_1.urlPasswords; } }));
Object.defineProperty(exports, "withoutUserinfo", ({ enumerable: true, get: function () { return spec_js_1.withoutUserinfo; } }));
Object.defineProperty(exports, "GATE_INPUT_NAMES", ({ enumerable: true, get: function () { return spec_js_1.GATE_INPUT_NAMES; } }));
Object.defineProperty(exports, "saveExpectations", ({ enumerable: true, get: function () { return spec_js_1.saveExpectations; } }));
Object.defineProperty(exports, "withExpectations", ({ enumerable: true, get: function () { return spec_js_1.withExpectations; } }));
var gate_js_1 = __webpack_require__(9053);
Object.defineProperty(exports, "runGate", ({ enumerable: true, get: function () { return gate_js_1.runGate; } }));
Object.defineProperty(exports, "judgeSoak", ({ enumerable: true, get: function () { return gate_js_1.judgeSoak; } }));
Object.defineProperty(exports, "soakAlreadyBroken", ({ enumerable: true, get: function () { return gate_js_1.soakAlreadyBroken; } }));
Object.defineProperty(exports, "describeRules", ({ enumerable: true, get: function () { return gate_js_1.describeRules; } }));
var defaults_js_1 = __webpack_require__(4596);
Object.defineProperty(exports, "canaryRules", ({ enumerable: true, get: function () { return defaults_js_1.canaryRules; } }));
Object.defineProperty(exports, "MAX_ROUNDS_IN_FLIGHT", ({ enumerable: true, get: function () { return defaults_js_1.MAX_ROUNDS_IN_FLIGHT; } }));
var evidence_js_1 = __webpack_require__(5487);
Object.defineProperty(exports, "evidenceForOutput", ({ enumerable: true, get: function () { return evidence_js_1.evidenceForOutput; } }));
Object.defineProperty(exports, "MAX_EVIDENCE_OUTPUT_BYTES", ({ enumerable: true, get: function () { return evidence_js_1.MAX_EVIDENCE_OUTPUT_BYTES; } }));
var summary_js_1 = __webpack_require__(924);
Object.defineProperty(exports, "gateSummary", ({ enumerable: true, get: function () { return summary_js_1.gateSummary; } }));
Object.defineProperty(exports, "latencyChart", ({ enumerable: true, get: function () { return summary_js_1.latencyChart; } }));
var http_js_1 = __webpack_require__(6274);
Object.defineProperty(exports, "probeHttp", ({ enumerable: true, get: function () { return http_js_1.probeHttp; } }));
var prometheus_js_1 = __webpack_require__(138);
Object.defineProperty(exports, "queryPrometheus", ({ enumerable: true, get: function () { return prometheus_js_1.queryPrometheus; } }));
Object.defineProperty(exports, "probeMetric", ({ enumerable: true, get: function () { return prometheus_js_1.probeMetric; } }));
Object.defineProperty(exports, "parseQueryResponse", ({ enumerable: true, get: function () { return prometheus_js_1.parseQueryResponse; } }));
Object.defineProperty(exports, "prometheusQueryUrl", ({ enumerable: true, get: function () { return prometheus_js_1.prometheusQueryUrl; } }));
var container_js_1 = __webpack_require__(4783);
Object.defineProperty(exports, "dockerInspectHealthArgv", ({ enumerable: true, get: function () { return container_js_1.dockerInspectHealthArgv; } }));
Object.defineProperty(exports, "probeContainer", ({ enumerable: true, get: function () { return container_js_1.probeContainer; } }));
Object.defineProperty(exports, "judgeContainerState", ({ enumerable: true, get: function () { return container_js_1.judgeContainerState; } }));
var json_js_1 = __webpack_require__(7152);
Object.defineProperty(exports, "evaluateJson", ({ enumerable: true, get: function () { return json_js_1.evaluateJson; } }));
Object.defineProperty(exports, "jsonPath", ({ enumerable: true, get: function () { return json_js_1.jsonPath; } }));
var stats_js_1 = __webpack_require__(1407);
Object.defineProperty(exports, "percentile", ({ enumerable: true, get: function () { return stats_js_1.percentile; } }));
var http_js_2 = __webpack_require__(6274);
Object.defineProperty(exports, "judgeHttpResponse", ({ enumerable: true, get: function () { return http_js_2.judgeHttpResponse; } }));


/***/ }),

/***/ 7152:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.jsonPath = jsonPath;
exports.showValue = showValue;
exports.evaluateJson = evaluateJson;
exports.compareNumbers = compareNumbers;
/** Follow `$.a.b[0]` path segments; `undefined` when any step is missing. */
function jsonPath(doc, path) {
    let cur = doc;
    for (const seg of path) {
        if (cur === null || cur === undefined)
            return undefined;
        if (typeof seg === 'number') {
            if (!Array.isArray(cur))
                return undefined;
            cur = cur[seg < 0 ? cur.length + seg : seg];
        }
        else {
            if (typeof cur !== 'object' || Array.isArray(cur))
                return undefined;
            if (!Object.prototype.hasOwnProperty.call(cur, seg))
                return undefined;
            cur = cur[seg];
        }
    }
    return cur;
}
/** Short, quoted rendering of an observed JSON value for reasons. */
function showValue(v) {
    if (v === undefined)
        return 'nothing (path not found)';
    const text = JSON.stringify(v);
    return text.length > 80 ? text.slice(0, 77) + '...' : text;
}
function asNumber(v) {
    if (typeof v === 'number')
        return v;
    if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)))
        return Number(v);
    return undefined;
}
/**
 * Equality is forgiving the way a person writing YAML expects: `$.ok == true` matches the boolean,
 * `$.count == 3` the number 3 or the string "3", `$.version == 1.4.2` the string "1.4.2".
 */
function looseEquals(observed, expected) {
    if (observed === null)
        return expected === 'null';
    if (typeof observed === 'boolean')
        return String(observed) === expected;
    if (typeof observed === 'number') {
        const n = asNumber(expected);
        return n !== undefined && n === observed;
    }
    if (typeof observed === 'string')
        return observed === expected;
    // Objects and arrays compare against their JSON text.
    try {
        return JSON.stringify(observed) === JSON.stringify(JSON.parse(expected));
    }
    catch {
        return false;
    }
}
function evaluateJson(doc, exp) {
    const v = jsonPath(doc, exp.path);
    const observed = showValue(v);
    const expected = exp.value ?? '';
    switch (exp.op) {
        case 'exists':
            return { ok: v !== undefined, observed };
        case '==':
            return { ok: v !== undefined && looseEquals(v, expected), observed };
        case '!=':
            return { ok: v === undefined || !looseEquals(v, expected), observed };
        case 'contains':
            if (Array.isArray(v))
                return { ok: v.some((x) => looseEquals(x, expected)), observed };
            if (typeof v === 'string')
                return { ok: v.includes(expected), observed };
            return { ok: false, observed };
        case 'matches':
            if (v === undefined || v === null || typeof v === 'object')
                return { ok: false, observed };
            return { ok: exp.regex.test(String(v)), observed };
        default: {
            const a = asNumber(v);
            const b = asNumber(expected);
            if (a === undefined || b === undefined)
                return { ok: false, observed };
            return { ok: compareNumbers(a, exp.op, b), observed };
        }
    }
}
function compareNumbers(a, op, b) {
    switch (op) {
        case '<':
            return a < b;
        case '<=':
            return a <= b;
        case '>':
            return a > b;
        case '>=':
            return a >= b;
        case '==':
            return a === b;
        case '!=':
            return a !== b;
        default:
            return false;
    }
}


/***/ }),

/***/ 138:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.prometheusQueryUrl = prometheusQueryUrl;
exports.sampleValue = sampleValue;
exports.parseQueryResponse = parseQueryResponse;
exports.queryPrometheus = queryPrometheus;
exports.probeMetric = probeMetric;
const json_js_1 = __webpack_require__(7152);
const http_js_1 = __webpack_require__(6274);
/** The URL of an instant query: `<base>/api/v1/query?query=…`. Pure, so tests can assert it. */
function prometheusQueryUrl(baseUrl, query) {
    const u = new URL(baseUrl.replace(/\/+$/, '') + '/api/v1/query');
    u.searchParams.set('query', query);
    return u.toString();
}
/** Prometheus writes sample values as strings: `"0.25"`, `"NaN"`, `"+Inf"`, `"-Inf"`. */
function sampleValue(text) {
    if (text === '+Inf' || text === 'Inf')
        return Infinity;
    if (text === '-Inf')
        return -Infinity;
    return typeof text === 'string' && text.trim() !== '' ? Number(text) : NaN;
}
/** Parse an `/api/v1/query` answer into samples (vector or scalar); NaN values are kept as NaN. */
function parseQueryResponse(status, body) {
    let doc;
    try {
        doc = JSON.parse(body);
    }
    catch {
        return { ok: false, error: `Prometheus answered HTTP ${status} with non-JSON ${(0, http_js_1.snippet)(body)}` };
    }
    if (typeof doc !== 'object' || doc === null)
        return {
            ok: false,
            error: `Prometheus answered HTTP ${status} with ${(0, http_js_1.snippet)(body)}, not a query result`
        };
    if (doc.status !== 'success')
        return {
            ok: false,
            error: `Prometheus answered HTTP ${status}: ${doc.errorType ?? 'error'}: ${doc.error ?? (0, http_js_1.snippet)(body)}`
        };
    const data = doc.data ?? {};
    if (data.resultType === 'scalar' && Array.isArray(data.result)) {
        const r = data.result;
        return { ok: true, samples: [{ labels: {}, value: sampleValue(r[1]) }] };
    }
    if (data.resultType === 'vector' && Array.isArray(data.result)) {
        const r = data.result;
        return {
            ok: true,
            samples: r.map((s) => ({ labels: s.metric ?? {}, value: sampleValue(s.value?.[1]) }))
        };
    }
    return {
        ok: false,
        error: `the query returns a ${data.resultType}, not an instant vector or scalar (drop the [range] selector or wrap it in a function)`
    };
}
async function queryPrometheus(baseUrl, query, options) {
    const r = await (0, http_js_1.httpRequest)({ url: prometheusQueryUrl(baseUrl, query) }, {
        headers: { accept: 'application/json', ...options.headers },
        ca: options.tls?.ca,
        insecure: options.tls?.insecure,
        timeoutMs: options.timeoutMs,
        signal: options.signal
    });
    if ('error' in r)
        return { ok: false, error: `Prometheus at ${baseUrl}: ${r.error}`, latencyMs: r.latencyMs };
    return { ...parseQueryResponse(r.status, r.body), latencyMs: r.latencyMs };
}
/** Evidence is JSON, where Infinity would become null: infinities are kept as Prometheus writes them. */
function shown(v) {
    return Number.isFinite(v) ? v : v > 0 ? '+Inf' : '-Inf';
}
function labelText(labels) {
    const entries = Object.entries(labels);
    return entries.length ? `{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}` : '';
}
/** Judge one metric check: every returned series must satisfy the comparison; no data / NaN follow `noData`. */
async function probeMetric(check, options) {
    const time = new Date().toISOString();
    const expectation = `${check.op} ${check.threshold}`;
    const base = { round: options.round, target: check.text, kind: 'metric', time, expectation };
    const r = await queryPrometheus(options.prometheusUrl, check.query, options);
    if (!r.ok)
        return { ...base, ok: false, latencyMs: r.latencyMs, reason: `query \`${check.query}\`: ${r.error}` };
    const values = r.samples.filter((s) => !Number.isNaN(s.value));
    if (values.length === 0) {
        const what = r.samples.length === 0 ? 'no data' : 'NaN';
        const ok = options.noData === 'pass';
        return {
            ...base,
            ok,
            latencyMs: r.latencyMs,
            value: what,
            reason: `query \`${check.query}\`: expected ${expectation}, got ${what}${ok ? ' (passes: no-data is pass)' : ' (no-data is fail: the series may not exist yet, or the denominator is 0; set no-data: pass to accept)'}`
        };
    }
    const bad = values.find((s) => !(0, json_js_1.compareNumbers)(s.value, check.op, check.threshold));
    if (bad) {
        return {
            ...base,
            ok: false,
            latencyMs: r.latencyMs,
            value: shown(bad.value),
            reason: `query \`${check.query}\`: expected ${expectation}, got ${shown(bad.value)}${labelText(bad.labels)}`
        };
    }
    return {
        ...base,
        ok: true,
        latencyMs: r.latencyMs,
        value: values.length === 1 ? shown(values[0].value) : values.map((v) => shown(v.value)).join(', ')
    };
}


/***/ }),

/***/ 1309:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.GATE_INPUT_NAMES = void 0;
exports.defaultGateSpec = defaultGateSpec;
exports.parseStatusRanges = parseStatusRanges;
exports.formatStatusRanges = formatStatusRanges;
exports.parseRegexLiteral = parseRegexLiteral;
exports.parseJsonExpectation = parseJsonExpectation;
exports.parseMetricCheck = parseMetricCheck;
exports.urlPasswords = urlPasswords;
exports.withoutUserinfo = withoutUserinfo;
exports.headerValues = headerValues;
exports.readGateInputs = readGateInputs;
exports.saveExpectations = saveExpectations;
exports.withExpectations = withExpectations;
const node_fs_1 = __webpack_require__(3024);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3747);
const defaults_js_1 = __webpack_require__(4596);
const JSON_OPS = ['==', '!=', '<=', '>=', '<', '>', 'contains', 'matches', 'exists'];
const METRIC_OPS = ['<=', '>=', '==', '!=', '<', '>'];
/**
 * Every input `readGateInputs` reads (before the prefix): the `health` group of manifest.yml, which
 * health-gate declares bare and deploy-compose and rollback with the prefix `health-`.
 */
exports.GATE_INPUT_NAMES = (0, index_js_2.groupInputNames)('health');
/** The gate's declared defaults (manifest.yml, groups.health): the one place they live. */
const DEFAULT = (name) => index_js_2.GROUPS.health[name].default;
/**
 * The gate with every input at its declared default. The values live in manifest.yml only (they start from
 * Kamal's proxy checks, with a gate-sized overall bound); this comment deliberately does not repeat them.
 */
function defaultGateSpec() {
    return {
        mode: DEFAULT('mode'),
        urls: [],
        expectStatus: parseStatusRanges(DEFAULT('expect-status')),
        expectJson: [],
        headers: {},
        tls: {},
        probeTimeoutMs: (0, index_js_1.parseDuration)(DEFAULT('probe-timeout'), 'probe-timeout'),
        intervalMs: (0, index_js_1.parseDuration)(DEFAULT('interval'), 'interval'),
        initialDelayMs: (0, index_js_1.parseDuration)(DEFAULT('initial-delay'), 'initial-delay'),
        timeoutMs: (0, index_js_1.parseDuration)(DEFAULT('timeout'), 'timeout'),
        successThreshold: Number(DEFAULT('success-threshold')),
        failureThreshold: Number(DEFAULT('failure-threshold')),
        metrics: [],
        noData: DEFAULT('no-data'),
        containers: [],
        windowMs: (0, index_js_1.parseDuration)(DEFAULT('window'), 'window'),
        soak: {}
    };
}
/** `200-399`, `200,204`, `2xx`, `200-299, 304`. */
function parseStatusRanges(text, input = 'expect-status') {
    const parts = text
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
    if (parts.length === 0)
        throw new index_js_1.InputError(input, 'is empty', 'give codes or ranges like 200-399 or 200,204');
    return parts.map((p) => {
        let m = /^([1-5])xx$/i.exec(p);
        if (m)
            return { min: Number(m[1]) * 100, max: Number(m[1]) * 100 + 99 };
        m = /^(\d{3})(?:-(\d{3}))?$/.exec(p);
        if (!m)
            throw new index_js_1.InputError(input, `"${p}" is not a status code or range`, 'write codes or ranges like 200-399, 204 or 2xx');
        const min = Number(m[1]);
        const max = m[2] ? Number(m[2]) : min;
        if (min < 100 || max > 599 || min > max)
            throw new index_js_1.InputError(input, `"${p}" is not a valid range of HTTP status codes (100-599)`, 'write a range low-high like 200-399');
        return { min, max };
    });
}
function formatStatusRanges(ranges) {
    return ranges.map((r) => (r.min === r.max ? String(r.min) : `${r.min}-${r.max}`)).join(', ');
}
/** `/re/flags` as a RegExp, anything else undefined. */
function parseRegexLiteral(text, input) {
    const m = /^\/(.*)\/([dgimsuy]*)$/s.exec(text);
    if (!m)
        return undefined;
    try {
        // `g`/`y` would make .test() stateful across probes.
        return new RegExp(m[1], m[2].replace(/[gy]/g, ''));
    }
    catch (e) {
        throw new index_js_1.InputError(input, `${text} is not a valid regular expression (${e.message})`, 'fix the pattern between the slashes');
    }
}
function parsePath(text, input, line) {
    if (!text.startsWith('$'))
        throw new index_js_1.InputError(input, `"${line}": the path must start with $ (like $.status)`, 'write lines like `$.status == ok`');
    const out = [];
    const re = /\.([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\[(['"])(.*?)\3\]/y;
    re.lastIndex = 1;
    let m;
    let pos = 1;
    while (pos < text.length && (m = re.exec(text)) !== null) {
        if (m[1] !== undefined)
            out.push(m[1]);
        else if (m[2] !== undefined)
            out.push(Number(m[2]));
        else
            out.push(m[4]);
        pos = re.lastIndex;
    }
    if (pos !== text.length)
        throw new index_js_1.InputError(input, `"${line}": cannot read the path "${text}" at "${text.slice(pos)}"`, 'use $.a.b[0] or $["key with spaces"]');
    return out;
}
function unquote(v) {
    const t = v.trim();
    if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))))
        return t.slice(1, -1);
    return t;
}
/** One `expect-json` line: `$.path op value`. */
function parseJsonExpectation(line, input = 'expect-json') {
    const text = line.trim();
    if (!text.startsWith('$'))
        throw new index_js_1.InputError(input, `"${text}": the path must start with $ (like $.status)`, 'write lines like `$.status == ok`');
    const m = /^(\$\S*)\s+(\S+)(?:\s+(.*))?$/s.exec(text);
    if (!m)
        throw new index_js_1.InputError(input, `"${text}" is not an expectation`, 'write `$.path op value`, e.g. `$.status == ok`, or `$.build exists`');
    const [, pathText, op, rest] = m;
    if (!JSON_OPS.includes(op))
        throw new index_js_1.InputError(input, `"${text}": unknown comparator "${op}"`, `use one of ${JSON_OPS.join(', ')}`);
    const path = parsePath(pathText, input, text);
    if (op === 'exists') {
        if (rest && rest.trim())
            throw new index_js_1.InputError(input, `"${text}": exists takes no value`, 'write `$.path exists`');
        return { text, path, op: 'exists' };
    }
    if (rest === undefined || rest.trim() === '')
        throw new index_js_1.InputError(input, `"${text}": no value after "${op}"`, `write \`${pathText} ${op} value\``);
    const value = unquote(rest);
    if (op === 'matches') {
        const regex = parseRegexLiteral(value, input);
        if (!regex)
            throw new index_js_1.InputError(input, `"${text}": matches needs a /regex/`, `write \`${pathText} matches /^1\\./\``);
        return { text, path, op: 'matches', value, regex };
    }
    if (['<', '<=', '>', '>='].includes(op) && Number.isNaN(Number(value)))
        throw new index_js_1.InputError(input, `"${text}": ${op} needs a number, got "${value}"`, 'compare with a number, or use == / contains / matches');
    return { text, path, op: op, value };
}
/** One `prometheus-query` line: `<PromQL> <op> <number>`; the comparator is the last one on the line. */
function parseMetricCheck(line, input = 'prometheus-query') {
    const text = line.trim();
    const m = /^(.*\S)\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)$/is.exec(text);
    // `= 1`, `=< 1`, `<> 1`, `=~ 1`: a comparator we do not know, named as such rather than "no comparison".
    const odd = /\s(=|===|=<|=>|<>|=~|!~|~=|≤|≥)\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$/i.exec(text);
    if (odd && (!m || /[<>=!~]$/.test(m[1].trim())))
        throw new index_js_1.InputError(input, `"${text}": unknown comparator "${odd[1]}"`, `use one of ${METRIC_OPS.join(', ')}`);
    if (!m) {
        throw new index_js_1.InputError(input, `"${text}" does not end with a comparison against a number`, 'write `<PromQL> < 0.01` (comparators: <, <=, >, >=, ==, !=)');
    }
    const query = m[1].trim();
    if (/[<>=!~]$/.test(query))
        throw new index_js_1.InputError(input, `"${text}": unknown comparator`, `use one of ${METRIC_OPS.join(', ')}`);
    if (query === '')
        throw new index_js_1.InputError(input, `"${text}" has no query before the comparison`, 'write `<PromQL> < 0.01`');
    return { text, query, op: m[2], threshold: Number(m[3]) };
}
function parseUrl(text, input) {
    let method;
    let urlText = text;
    const m = /^(GET|HEAD)\s+(\S+)$/i.exec(text);
    if (m) {
        method = m[1].toUpperCase();
        urlText = m[2];
    }
    let u;
    try {
        u = new URL(urlText);
    }
    catch {
        throw new index_js_1.InputError(input, `"${text}" is not a URL`, 'write a full URL like http://127.0.0.1:8080/up, one per line');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
        throw new index_js_1.InputError(input, `"${text}" is not an http(s) URL`, 'use http:// or https://');
    return method ? { url: u.toString(), method } : { url: u.toString() };
}
function parseRate(inputs, name) {
    const v = inputs.optional(name);
    if (v === undefined)
        return undefined;
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(v);
    const n = pct ? Number(pct[1]) / 100 : Number(v);
    if (Number.isNaN(n) || n < 0 || n > 1)
        throw new index_js_1.InputError(name, `"${v}" is not a rate between 0 and 1`, 'write a fraction like 0.99 or a percentage like 99%');
    return n;
}
function readCa(inputs, name) {
    const v = inputs.optional(name);
    if (v === undefined)
        return undefined;
    if (v.includes('-----BEGIN'))
        return v;
    if (!(0, node_fs_1.existsSync)(v))
        throw new index_js_1.InputError(name, `"${v}" is neither PEM text nor an existing file`, 'paste the PEM certificate or give its path');
    const pem = (0, node_fs_1.readFileSync)(v, 'utf8');
    if (!pem.includes('-----BEGIN'))
        throw new index_js_1.InputError(name, `${v} holds no PEM certificate`, 'give a PEM file (-----BEGIN CERTIFICATE-----)');
    return pem;
}
/** Passwords written into URLs (`https://user:pass@host/`), found without parsing, for masking first. */
function urlPasswords(text) {
    const out = [];
    const both = (v) => {
        out.push(v);
        try {
            const d = decodeURIComponent(v);
            if (d !== v)
                out.push(d);
        }
        catch {
            /* not percent-encoded */
        }
    };
    for (const m of text.matchAll(/\/\/([^/\s@]+)@/g)) {
        const info = m[1];
        const colon = info.indexOf(':');
        // `user:pass@`: the password; `TOKEN@` (a token as the user name, as GitHub and GitLab take it): all of it.
        if (colon >= 0) {
            if (colon < info.length - 1)
                both(info.slice(colon + 1));
        }
        else
            both(info);
    }
    return out;
}
/**
 * A text with every URL's userinfo (`user:pass@`, `TOKEN@`) taken out: what outputs, records, summaries,
 * events and a GitHub Deployment's `environment_url` carry. The gate itself still sends the credentials.
 */
function withoutUserinfo(text) {
    return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
}
/**
 * The values to mask in a `headers` text, without validating it: the entry registers them before any parsing,
 * so even an input error cannot show one. A line that is not `Name: value` is masked whole.
 */
function headerValues(text) {
    const values = [];
    for (const line of text.split(/\r?\n/)) {
        const t = line.trim();
        if (!t || t.startsWith('#'))
            continue;
        const m = /^[!#$%&'*+.^_`|~\w-]+\s*[:=]\s*(.*)$/.exec(t);
        values.push(m ? m[1] : t);
    }
    return values.filter((v) => v !== '');
}
function readHeaders(inputs, name) {
    const headers = {};
    for (const line of inputs.raw(name).split(/\r?\n/)) {
        const t = line.trim();
        if (!t || t.startsWith('#'))
            continue;
        const m = /^([!#$%&'*+.^_`|~\w-]+)\s*[:=]\s*(.*)$/.exec(t);
        // Never echo the line: it likely holds a token.
        if (!m)
            throw new index_js_1.InputError(name, 'a line is not `Name: value`', 'write one `Header-Name: value` per line');
        headers[m[1]] = m[2];
    }
    return headers;
}
/**
 * Read the gate inputs. With prefix 'health-', reads 'health-url', 'health-expect-status', 'health-interval', …
 * (deploy-compose and rollback use that prefix because their own `timeout` input means the whole deploy).
 * Returns undefined when no url, no prometheus query and no container is given. Throws InputError naming the
 * input (with the prefix) for bad values.
 */
function readGateInputs(inputs, options = {}) {
    const p = options.prefix ?? '';
    const n = (name) => p + name;
    const d = defaultGateSpec();
    const urls = inputs.list(n('url'), { commas: false }).map((u) => parseUrl(u, n('url')));
    const metricLines = inputs.list(n('prometheus-query'), { commas: false });
    const containers = inputs.list(n('container'));
    if (urls.length === 0 && metricLines.length === 0 && containers.length === 0)
        return undefined;
    const metrics = metricLines.map((l) => parseMetricCheck(l, n('prometheus-query')));
    const prometheusUrl = inputs.optional(n('prometheus-url'));
    if (metrics.length > 0 && !prometheusUrl)
        throw new index_js_1.InputError(n('prometheus-url'), 'is required when prometheus-query is given', 'set it to your Prometheus, e.g. http://127.0.0.1:9090');
    if (prometheusUrl)
        parseUrl(prometheusUrl, n('prometheus-url'));
    const prometheusHeaders = readHeaders(inputs, n('prometheus-headers'));
    if (Object.keys(prometheusHeaders).length > 0 && metrics.length === 0)
        throw new index_js_1.InputError(n('prometheus-headers'), 'is given but no prometheus-query', `add \`${n('prometheus-query')}\` or remove \`${n('prometheus-headers')}\``);
    const bodyText = inputs.optional(n('expect-body'));
    const expectBody = bodyText === undefined ? undefined : (parseRegexLiteral(bodyText, n('expect-body')) ?? bodyText);
    const expectJson = inputs
        .list(n('expect-json'), { commas: false })
        .map((l) => parseJsonExpectation(l, n('expect-json')));
    const httpOnly = [n('expect-body'), n('expect-json'), n('headers'), n('max-latency')];
    if (urls.length === 0) {
        for (const name of httpOnly)
            if (inputs.optional(name) !== undefined)
                throw new index_js_1.InputError(name, 'applies to HTTP probes but no url is given', `add \`${n('url')}\` or remove \`${name}\``);
    }
    const headers = readHeaders(inputs, n('headers'));
    const maxLatencyText = inputs.optional(n('max-latency'));
    const spec = {
        ...d,
        mode: inputs.choice(n('mode'), (0, index_js_2.choicesOf)('health-gate', 'mode'), d.mode),
        urls,
        expectStatus: inputs.optional(n('expect-status'))
            ? parseStatusRanges(inputs.raw(n('expect-status')), n('expect-status'))
            : d.expectStatus,
        expectJson,
        headers,
        tls: {
            ca: readCa(inputs, n('ca-cert')),
            insecure: inputs.boolean(n('insecure-skip-tls-verify'), DEFAULT('insecure-skip-tls-verify') === 'true')
        },
        maxLatencyMs: maxLatencyText === undefined ? undefined : inputs.duration(n('max-latency'), { positive: true }),
        probeTimeoutMs: inputs.duration(n('probe-timeout'), {
            fallback: DEFAULT('probe-timeout'),
            positive: true
        }),
        intervalMs: inputs.duration(n('interval'), { fallback: DEFAULT('interval'), positive: true }),
        initialDelayMs: inputs.duration(n('initial-delay'), { fallback: DEFAULT('initial-delay') }),
        timeoutMs: inputs.duration(n('timeout'), { fallback: DEFAULT('timeout'), positive: true }),
        successThreshold: inputs.integer(n('success-threshold'), { fallback: d.successThreshold, min: 1 }),
        failureThreshold: inputs.integer(n('failure-threshold'), { fallback: d.failureThreshold, min: 1 }),
        prometheusUrl,
        ...(Object.keys(prometheusHeaders).length ? { prometheusHeaders } : {}),
        metrics,
        noData: inputs.choice(n('no-data'), (0, index_js_2.choicesOf)('health-gate', 'no-data'), d.noData),
        containers,
        windowMs: inputs.duration(n('window'), { fallback: DEFAULT('window'), positive: true })
    };
    if (expectBody !== undefined)
        spec.expectBody = expectBody;
    const soak = {};
    const minSuccessRate = parseRate(inputs, n('min-success-rate'));
    const maxErrorRate = parseRate(inputs, n('max-error-rate'));
    const p95 = inputs.optional(n('max-p95-latency'));
    const p99 = inputs.optional(n('max-p99-latency'));
    if (minSuccessRate !== undefined)
        soak.minSuccessRate = minSuccessRate;
    if (maxErrorRate !== undefined)
        soak.maxErrorRate = maxErrorRate;
    if (p95 !== undefined)
        soak.maxP95LatencyMs = inputs.duration(n('max-p95-latency'), { positive: true });
    if (p99 !== undefined)
        soak.maxP99LatencyMs = inputs.duration(n('max-p99-latency'), { positive: true });
    const soakRuleInputs = ['min-success-rate', 'max-error-rate', 'max-p95-latency', 'max-p99-latency'].filter((r) => inputs.optional(n(r)) !== undefined);
    if (spec.mode === 'soak') {
        // The canary rule set deploy teams start from, when none is given.
        spec.soak = Object.keys(soak).length ? soak : (0, defaults_js_1.canaryRules)(urls.length > 0);
        if (spec.windowMs < spec.intervalMs)
            throw new index_js_1.InputError(n('window'), `${inputs.raw(n('window'))} is shorter than the interval`, `make the window at least one ${n('interval')} long`);
        if (urls.length === 0 &&
            (soak.maxP95LatencyMs !== undefined ||
                soak.maxP99LatencyMs !== undefined ||
                soak.maxErrorRate !== undefined))
            throw new index_js_1.InputError(n(soakRuleInputs[0] ?? 'mode'), 'latency and error-rate rules judge HTTP probes but no url is given', `add \`${n('url')}\``);
    }
    else if (soakRuleInputs.length > 0) {
        throw new index_js_1.InputError(n(soakRuleInputs[0]), 'is a soak rule but mode is threshold', `set \`${n('mode')}: soak\` or remove it`);
    }
    if (spec.mode === 'threshold') {
        // A threshold that can never be met fails now, not after the whole timeout.
        const needed = spec.initialDelayMs + (spec.successThreshold - 1) * spec.intervalMs;
        if (needed >= spec.timeoutMs) {
            throw new index_js_1.InputError(n('success-threshold'), `${spec.successThreshold} consecutive passes ${(0, index_js_1.formatMs)(spec.intervalMs)} apart after an initial delay of ${(0, index_js_1.formatMs)(spec.initialDelayMs)} cannot fit in the ${(0, index_js_1.formatMs)(spec.timeoutMs)} timeout: the gate could never be healthy`, `raise \`${n('timeout')}\` to at least ${Math.ceil((needed + spec.probeTimeoutMs) / 1000)}s, or lower \`${n('success-threshold')}\`, \`${n('interval')}\` or \`${n('initial-delay')}\``);
        }
    }
    if (spec.maxLatencyMs !== undefined && spec.maxLatencyMs > spec.probeTimeoutMs) {
        // A probe is cut at probe-timeout, so a larger bound could never be observed.
        spec.probeTimeoutMs = spec.maxLatencyMs;
    }
    return spec;
}
function saveExpectations(g) {
    return {
        ...(g.expectBody === undefined
            ? {}
            : typeof g.expectBody === 'string'
                ? { body: g.expectBody }
                : { body: String(g.expectBody), regex: true }),
        json: g.expectJson.map((e) => e.text)
    };
}
/** The gate `g` with the content expectations `saved` instead of its own (status, latency, metrics stay). */
function withExpectations(g, saved) {
    const { expectBody: _own, ...rest } = g;
    const body = saved.body === undefined
        ? undefined
        : saved.regex
            ? (parseRegexLiteral(saved.body, 'expect-body') ?? saved.body)
            : saved.body;
    return {
        ...rest,
        ...(body === undefined ? {} : { expectBody: body }),
        expectJson: saved.json.map((line) => parseJsonExpectation(line))
    };
}


/***/ }),

/***/ 1407:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.percentile = percentile;
exports.round1 = round1;
/** Nearest-rank percentile (p in 0..100) of a list of numbers; 0 for an empty list. */
function percentile(values, p) {
    if (values.length === 0)
        return 0;
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
    return sorted[Math.min(rank, sorted.length) - 1];
}
function round1(n) {
    return Math.round(n * 10) / 10;
}


/***/ }),

/***/ 924:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.latencyChart = latencyChart;
exports.gateSummary = gateSummary;
const index_js_1 = __webpack_require__(893);
const defaults_js_1 = __webpack_require__(4596);
const gate_js_1 = __webpack_require__(9053);
const stats_js_1 = __webpack_require__(1407);
const ICON = { healthy: '✅', unhealthy: '❌', timeout: '⏱️' };
/** Mermaid charts get unreadable past this many points; longer windows are bucketed (max per bucket). */
const MAX_POINTS = 60;
function label(r) {
    return r.kind === 'http'
        ? r.target
        : r.kind === 'metric'
            ? `metric: ${r.target}`
            : `container: ${r.target}`;
}
function observed(r) {
    if (r.kind === 'http')
        return r.status !== undefined ? String(r.status) : String(r.value ?? '');
    return String(r.value ?? '');
}
/**
 * A mermaid xychart-beta of per-round latency (worst HTTP probe per round, or all probes when no HTTP), with
 * the latency bound as a second, flat line when the gate has one.
 */
function latencyChart(evidence, boundMs) {
    const http = evidence.filter((e) => e.kind === 'http');
    const source = http.length ? http : evidence;
    const perRound = new Map();
    for (const e of source)
        if (e.latencyMs !== undefined)
            perRound.set(e.round, Math.max(perRound.get(e.round) ?? 0, e.latencyMs));
    const rounds = [...perRound.keys()].sort((a, b) => a - b);
    if (rounds.length === 0)
        return '';
    const size = Math.ceil(rounds.length / MAX_POINTS);
    const xs = [];
    const ys = [];
    for (let i = 0; i < rounds.length; i += size) {
        const chunk = rounds.slice(i, i + size);
        xs.push(chunk.length > 1 ? `"${chunk[0]}-${chunk.at(-1)}"` : `"${chunk[0]}"`);
        ys.push(Math.round(Math.max(...chunk.map((r) => perRound.get(r)))));
    }
    const bound = boundMs !== undefined && http.length ? Math.round(boundMs) : undefined;
    const top = Math.max(10, Math.ceil((Math.max(...ys, bound ?? 0) * 1.1) / 10) * 10);
    return [
        '```mermaid',
        'xychart-beta',
        `  title "${http.length ? 'HTTP' : 'Probe'} latency per round (worst probe, ms${bound !== undefined ? `; flat line: bound ${bound}ms` : ''})"`,
        `  x-axis "round" [${xs.join(', ')}]`,
        `  y-axis "ms" 0 --> ${top}`,
        `  line [${ys.join(', ')}]`,
        ...(bound !== undefined ? [`  line [${ys.map(() => bound).join(', ')}]`] : []),
        '```',
        ''
    ].join('\n');
}
/** Markdown for the job summary: verdict, a table per probe target, a mermaid latency chart of the window. */
function gateSummary(result, spec) {
    const out = [];
    out.push(`### ${ICON[result.verdict]} Health gate: ${result.verdict}\n`);
    out.push(`${(0, index_js_1.escapeCell)(result.reason)}\n`);
    const rule = spec.mode === 'soak'
        ? `soak for ${(0, index_js_1.formatMs)(spec.windowMs)} every ${(0, index_js_1.formatMs)(spec.intervalMs)}; ${(0, gate_js_1.describeRules)(Object.keys(spec.soak).length ? spec.soak : (0, defaults_js_1.canaryRules)(spec.urls.length > 0))}`
        : `${spec.successThreshold} consecutive passes to pass, ${spec.failureThreshold} failing rounds to fail, every ${(0, index_js_1.formatMs)(spec.intervalMs)}, timeout ${(0, index_js_1.formatMs)(spec.timeoutMs)}`;
    out.push((0, index_js_1.table)(['Verdict', 'Probes', 'Failing rounds', 'p50', 'p95', 'Duration', 'Rule'], [
        [
            result.verdict,
            result.probes,
            result.failures,
            `${result.p50Ms}ms`,
            `${result.p95Ms}ms`,
            (0, index_js_1.formatMs)(result.durationMs),
            rule
        ]
    ]));
    const byTarget = new Map();
    for (const e of result.evidence) {
        const k = label(e);
        byTarget.set(k, [...(byTarget.get(k) ?? []), e]);
    }
    for (const [name, records] of byTarget) {
        const fails = records.filter((r) => !r.ok);
        const lat = records.filter((r) => r.latencyMs !== undefined).map((r) => r.latencyMs);
        const last = records.at(-1);
        out.push(`#### ${(0, index_js_1.escapeCell)(name)}\n`);
        out.push((0, index_js_1.table)(['Probes', 'Failed', 'Expectation', 'Last observed', 'p50', 'p95', 'Max', 'Last failure'], [
            [
                records.length,
                fails.length,
                // A passing probe lists every expectation; a failing one only the one it broke.
                (records.find((r) => r.ok) ?? last).expectation ?? '',
                observed(last),
                `${(0, stats_js_1.round1)((0, stats_js_1.percentile)(lat, 50))}ms`,
                `${(0, stats_js_1.round1)((0, stats_js_1.percentile)(lat, 95))}ms`,
                `${(0, stats_js_1.round1)(Math.max(0, ...lat))}ms`,
                fails.at(-1)?.reason ?? ''
            ]
        ]));
    }
    const chart = latencyChart(result.evidence, spec.mode === 'soak' ? (spec.soak.maxP99LatencyMs ?? spec.soak.maxP95LatencyMs) : spec.maxLatencyMs);
    if (chart)
        out.push(chart);
    const rows = result.evidence
        .slice(-50)
        .map((e) => [
        e.round,
        e.time,
        label(e),
        e.ok ? 'pass' : 'fail',
        observed(e),
        e.latencyMs ?? '',
        e.reason ?? ''
    ]);
    if (rows.length)
        out.push((0, index_js_1.details)(`Last ${rows.length} probes`, (0, index_js_1.table)(['Round', 'Time', 'Target', 'Result', 'Observed', 'ms', 'Reason'], rows)));
    return out.join('\n');
}


/***/ }),

/***/ 209:
/***/ ((__unused_webpack_module, exports) => {


/** The typed description of a gate: what to probe, what to expect, and how to judge. */
Object.defineProperty(exports, "__esModule", ({ value: true }));


/***/ }),

/***/ 1054:
/***/ ((__unused_webpack_module, exports) => {


// Generated from manifest.yml by `npm run catalog`. Do not edit: change manifest.yml and regenerate.
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.CHOICES = exports.OUTPUTS = exports.INPUTS = exports.GROUPS = void 0;
/** Inputs shared by several actions, declared once (unprefixed names). */
exports.GROUPS = {
    ssh: {
        host: { default: '', required: true },
        port: { default: '22', required: false },
        user: { default: 'root', required: false },
        'ssh-key': { default: '', required: true },
        'known-hosts': { default: '', required: false },
        'host-fingerprint': { default: '', required: false },
        'jump-host': { default: '', required: false }
    },
    app: {
        app: { default: '', required: true },
        environment: { default: 'production', required: false }
    },
    'release-host': {
        'public-port': { default: '', required: false },
        'slot-ports': { default: '', required: false },
        'port-variable': { default: 'PORT', required: false },
        'proxy-bind': { default: '0.0.0.0', required: false },
        'public-hostnames': { default: '', required: false },
        'front-door-ports': { default: '80,443', required: false },
        'proxy-trusted': { default: '', required: false },
        'proxy-max-body-size': { default: '100m', required: false },
        'proxy-read-timeout': { default: '300s', required: false },
        'proxy-buffering': { default: 'false', required: false },
        'proxy-access-log': { default: 'true', required: false },
        'state-dir': { default: '/var/lib/deploy-actions', required: false },
        'metrics-dir': { default: '', required: false },
        'lock-timeout': { default: '5m', required: false },
        'lock-stale-after': { default: '2m', required: false },
        'break-lock': { default: 'false', required: false },
        'start-timeout': { default: '60s', required: false },
        'drain-timeout': { default: '5s', required: false }
    },
    events: {
        'webhook-url': { default: '', required: false },
        'webhook-secret': { default: '', required: false },
        token: { default: '', required: false }
    },
    health: {
        url: { default: '', required: false },
        'expect-status': { default: '200-399', required: false },
        'expect-body': { default: '', required: false },
        'expect-json': { default: '', required: false },
        headers: { default: '', required: false },
        'max-latency': { default: '', required: false },
        'probe-timeout': { default: '5s', required: false },
        interval: { default: '2s', required: false },
        'initial-delay': { default: '0s', required: false },
        timeout: { default: '2m', required: false },
        'success-threshold': { default: '3', required: false },
        'failure-threshold': { default: '3', required: false },
        'prometheus-url': { default: '', required: false },
        'prometheus-query': { default: '', required: false },
        'prometheus-headers': { default: '', required: false },
        'no-data': { default: 'fail', required: false },
        container: { default: '', required: false },
        'ca-cert': { default: '', required: false },
        'insecure-skip-tls-verify': { default: 'false', required: false },
        mode: { default: 'threshold', required: false },
        window: { default: '1m', required: false },
        'min-success-rate': { default: '', required: false },
        'max-error-rate': { default: '', required: false },
        'max-p95-latency': { default: '', required: false },
        'max-p99-latency': { default: '', required: false }
    }
};
/** A group's inputs under `prefix`; each defaults to '' there (its reader falls back to the group's default). */
function prefixed(group, prefix) {
    return Object.fromEntries(Object.entries(group).map(([name, spec]) => [prefix + name, { default: '', required: spec.required }]));
}
/** Every action's inputs, as its action.yml declares them (a group's inputs where it stands). */
exports.INPUTS = {
    'tag-release': {
        token: { default: '${{ github.token }}', required: false },
        'tag-prefix': { default: 'v', required: false },
        'initial-version': { default: '1.0.0', required: false },
        'release-as': { default: '', required: false },
        prerelease: { default: '', required: false },
        'floating-tags': { default: 'none', required: false },
        'create-release': { default: 'true', required: false },
        draft: { default: 'false', required: false },
        'dry-run': { default: 'false', required: false },
        target: { default: 'HEAD', required: false },
        'working-directory': { default: '.', required: false }
    },
    'build-image': {
        context: { default: '.', required: false },
        file: { default: '', required: false },
        images: { default: '', required: false },
        tags: { default: '', required: false },
        flavor: { default: 'latest=auto', required: false },
        labels: { default: '', required: false },
        annotations: { default: '', required: false },
        'sep-tags': { default: '', required: false },
        'sep-labels': { default: '', required: false },
        'sep-annotations': { default: '', required: false },
        'bake-target': { default: 'docker-metadata-action', required: false },
        'build-args': { default: '', required: false },
        target: { default: '', required: false },
        platforms: { default: '', required: false },
        push: { default: 'false', required: false },
        'cache-from': { default: '', required: false },
        'cache-to': { default: '', required: false },
        secrets: { default: '', required: false },
        'secret-files': { default: '', required: false },
        'secret-envs': { default: '', required: false },
        provenance: { default: '', required: false },
        sbom: { default: '', required: false },
        builder: { default: 'auto', required: false },
        'no-cache': { default: 'false', required: false },
        pull: { default: 'false', required: false },
        load: { default: '', required: false },
        'add-hosts': { default: '', required: false },
        allow: { default: '', required: false },
        attests: { default: '', required: false },
        'build-contexts': { default: '', required: false },
        call: { default: '', required: false },
        'cgroup-parent': { default: '', required: false },
        network: { default: '', required: false },
        'no-cache-filters': { default: '', required: false },
        outputs: { default: '', required: false },
        'shm-size': { default: '', required: false },
        ssh: { default: '', required: false },
        ulimit: { default: '', required: false },
        'github-token': { default: '${{ github.token }}', required: false }
    },
    'publish-registry': {
        registry: { default: 'ghcr.io', required: false },
        username: { default: '${{ github.actor }}', required: false },
        password: { default: '', required: false },
        'github-token': { default: '${{ github.token }}', required: false },
        source: { default: '', required: false },
        'source-username': { default: '', required: false },
        'source-password': { default: '', required: false },
        targets: { default: '', required: false },
        tags: { default: '', required: false },
        'docker-login': { default: 'true', required: false },
        logout: { default: 'true', required: false },
        'registry-auth': { default: '', required: false },
        scope: { default: '', required: false },
        ecr: { default: 'auto', required: false },
        retries: { default: '5', required: false }
    },
    'scan-gate': {
        report: { default: '', required: false },
        digest: { default: '', required: false },
        'allow-unidentified': { default: 'false', required: false },
        'fail-on': { default: 'HIGH,CRITICAL', required: false },
        'only-fixable': { default: 'false', required: false },
        exceptions: { default: '', required: false },
        'new-only': { default: 'false', required: false },
        'baseline-report': { default: '', required: false },
        'baseline-digest': { default: '', required: false },
        'registry-image': { default: '', required: false },
        'registry-username': { default: '', required: false },
        'registry-password': { default: '', required: false },
        'fail-step': { default: 'true', required: false }
    },
    'run-migrations': {
        'database-url': { default: '', required: false },
        dir: { default: 'migrations', required: false },
        mode: { default: 'apply', required: false },
        target: { default: '', required: false },
        baseline: { default: '', required: false },
        command: { default: '', required: false },
        host: { default: '', required: false },
        port: { default: '22', required: false },
        user: { default: 'root', required: false },
        'ssh-key': { default: '', required: false },
        'known-hosts': { default: '', required: false },
        'command-timeout': { default: '30m', required: false },
        backup: { default: 'false', required: false },
        'pg-dump': { default: '', required: false },
        'pg-dump-image': { default: 'postgres:{major}', required: false },
        'lock-timeout': { default: '5m', required: false },
        'statement-timeout': { default: '0s', required: false },
        'allow-out-of-order': { default: 'false', required: false },
        'history-table': { default: 'deploy_actions_migrations', required: false },
        app: { default: '', required: false },
        environment: { default: '', required: false },
        'webhook-url': { default: '', required: false },
        'webhook-secret': { default: '', required: false }
    },
    'deploy-compose': {
        ...exports.GROUPS['ssh'],
        ...exports.GROUPS['app'],
        'compose-file': { default: 'compose.yml', required: false },
        'tls-certificate': { default: '', required: false },
        'tls-key': { default: '', required: false },
        'web-service': { default: '', required: false },
        'app-port': { default: '', required: false },
        'data-paths': { default: '', required: false },
        'env-file': { default: '', required: false },
        'env-template': { default: '', required: false },
        images: { default: '', required: false },
        accessories: { default: '', required: false },
        version: { default: '', required: false },
        strategy: { default: 'recreate', required: false },
        'canary-steps': { default: '10,50,100', required: false },
        'canary-step-duration': { default: '2m', required: false },
        doctor: { default: 'false', required: false },
        registry: { default: '', required: false },
        username: { default: '', required: false },
        password: { default: '', required: false },
        'image-check': { default: 'registry', required: false },
        'keep-releases': { default: '5', required: false },
        timeout: { default: '15m', required: false },
        'auto-rollback': { default: 'true', required: false },
        'migrate-command': { default: '', required: false },
        'migrate-service': { default: '', required: false },
        'migrate-timeout': { default: '10m', required: false },
        'scan-report': { default: '', required: false },
        'scan-verdict': { default: '', required: false },
        ...exports.GROUPS['release-host'],
        ...exports.GROUPS['events'],
        'notify-format': { default: 'json', required: false },
        critical: { default: 'false', required: false },
        ...prefixed(exports.GROUPS['health'], 'health-')
    },
    'health-gate': {
        ...exports.GROUPS['health'],
        'fail-on-unhealthy': { default: 'true', required: false }
    },
    rollback: {
        ...exports.GROUPS['ssh'],
        ...exports.GROUPS['app'],
        to: { default: '', required: false },
        'dry-run': { default: 'false', required: false },
        reason: { default: 'manual rollback', required: false },
        drill: { default: 'false', required: false },
        registry: { default: '', required: false },
        username: { default: '', required: false },
        password: { default: '', required: false },
        timeout: { default: '10m', required: false },
        ...exports.GROUPS['release-host'],
        ...exports.GROUPS['events'],
        'notify-format': { default: 'json', required: false },
        critical: { default: 'false', required: false },
        ...prefixed(exports.GROUPS['health'], 'health-')
    },
    'anonymize-data': {
        'source-url': { default: '', required: false },
        'target-url': { default: '', required: false },
        rules: { default: 'anonymize.yml', required: false },
        salt: { default: '', required: true },
        schemas: { default: 'public', required: false },
        'target-environment': { default: '', required: false },
        'environments-file': { default: 'environments.yml', required: false },
        'leak-sample': { default: '100', required: false },
        'pg-dump': { default: '', required: false },
        'evidence-file': { default: '', required: false }
    },
    'delivery-report': {
        host: { default: '', required: true },
        port: { default: '22', required: false },
        user: { default: 'root', required: false },
        'ssh-key': { default: '', required: true },
        'known-hosts': { default: '', required: true },
        app: { default: '', required: true },
        environment: { default: 'production', required: false },
        'state-dir': { default: '/var/lib/deploy-actions', required: false },
        'repository-path': { default: '', required: false },
        'incident-window': { default: '24h', required: false },
        since: { default: '', required: false },
        'database-url': { default: '', required: false },
        'history-table': { default: 'deploy_actions_migrations', required: false }
    }
};
/** Every action's output names. */
exports.OUTPUTS = {
    'tag-release': ['version', 'previous-version', 'tag', 'bump', 'released', 'changelog', 'release-url'],
    'build-image': [
        'image-id',
        'imageid',
        'digest',
        'tags',
        'tag-names',
        'labels',
        'annotations',
        'json',
        'bake-file-tags',
        'bake-file-labels',
        'bake-file-annotations',
        'bake-file',
        'version',
        'metadata',
        'builder'
    ],
    'publish-registry': ['digest', 'refs', 'platforms'],
    'scan-gate': [
        'verdict',
        'stored',
        'reason',
        'counts',
        'blocking-count',
        'new-findings',
        'exceptions-used',
        'exceptions-expired',
        'exceptions-unused',
        'report-file',
        'report-digest',
        'record',
        'evidence-file'
    ],
    'run-migrations': [
        'applied',
        'reverted',
        'retried',
        'pending',
        'current-version',
        'backup-path',
        'evidence'
    ],
    'deploy-compose': [
        'doctor',
        'release-id',
        'previous-release-id',
        'url',
        'digests',
        'rolled-back',
        'duration-ms'
    ],
    'health-gate': ['verdict', 'reason', 'probes', 'failures', 'p50-ms', 'p95-ms', 'evidence', 'evidence-file'],
    rollback: ['release-id', 'from-release-id', 'rolled-back', 'drill-seconds'],
    'anonymize-data': ['rows', 'rules-checksum', 'masked-columns', 'evidence'],
    'delivery-report': ['report', 'change-failure-rate']
};
/** The values of every choice input (manifest.yml `options:`), by action and input name as the action.yml names it. */
exports.CHOICES = {
    'tag-release': {
        'floating-tags': ['major', 'major-minor', 'none']
    },
    'build-image': {},
    'publish-registry': {},
    'scan-gate': {},
    'run-migrations': {
        mode: ['apply', 'plan', 'down', 'status', 'repair']
    },
    'deploy-compose': {
        strategy: ['recreate', 'rolling', 'blue-green', 'canary', 'swarm'],
        doctor: ['false', 'true', 'only'],
        'image-check': ['registry', 'pull', 'none'],
        'notify-format': ['json', 'slack', 'teams', 'discord'],
        'health-no-data': ['fail', 'pass'],
        'health-mode': ['threshold', 'soak']
    },
    'health-gate': {
        'no-data': ['fail', 'pass'],
        mode: ['threshold', 'soak']
    },
    rollback: {
        'notify-format': ['json', 'slack', 'teams', 'discord'],
        'health-no-data': ['fail', 'pass'],
        'health-mode': ['threshold', 'soak']
    },
    'anonymize-data': {},
    'delivery-report': {}
};


/***/ }),

/***/ 3747:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.OUTPUTS = exports.INPUTS = exports.GROUPS = exports.CHOICES = void 0;
exports.choicesOf = choicesOf;
exports.groupInputNames = groupInputNames;
exports.inputDefault = inputDefault;
exports.defaultsOf = defaultsOf;
/**
 * The typed input names and defaults of every action, generated from manifest.yml (the one declaration of
 * every action's inputs and outputs). An engine's input reader takes its defaults from here, so a default
 * lives in one place: `GROUPS.health.interval.default`, `INPUTS['tag-release'].target.default`. A name that
 * the manifest does not declare is a type error.
 */
const generated_js_1 = __webpack_require__(1054);
Object.defineProperty(exports, "CHOICES", ({ enumerable: true, get: function () { return generated_js_1.CHOICES; } }));
Object.defineProperty(exports, "GROUPS", ({ enumerable: true, get: function () { return generated_js_1.GROUPS; } }));
Object.defineProperty(exports, "INPUTS", ({ enumerable: true, get: function () { return generated_js_1.INPUTS; } }));
Object.defineProperty(exports, "OUTPUTS", ({ enumerable: true, get: function () { return generated_js_1.OUTPUTS; } }));
/** The values of one choice input, in the manifest's order, typed as its union. */
function choicesOf(action, name) {
    return generated_js_1.CHOICES[action][name];
}
/** The names of a group's inputs, in the manifest's order (unprefixed). */
function groupInputNames(group) {
    return Object.keys(generated_js_1.GROUPS[group]);
}
/** The declared default of one input of an action ('' when none). */
function inputDefault(action, name) {
    return generated_js_1.INPUTS[action][name].default;
}
/**
 * One action's declared defaults, typed by its input names, for the action's input reader:
 * `const DEFAULTS = defaultsOf('run-migrations'); inputs.string('dir', { fallback: DEFAULTS.text('dir') })`.
 */
function defaultsOf(action) {
    const text = (name) => inputDefault(action, name);
    return {
        text,
        /** The default as a boolean: true only for a declared `'true'`. */
        flag: (name) => text(name) === 'true',
        /** The default as a number; a declared default that is not one is a bug in manifest.yml. */
        number: (name) => {
            const n = Number(text(name));
            if (text(name) === '' || !Number.isFinite(n))
                throw new Error(`manifest.yml: ${action}.${name} has the default "${text(name)}", not a number`);
            return n;
        }
    };
}


/***/ }),

/***/ 2071:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.pgDumpArgv = pgDumpArgv;
exports.pgRestoreArgv = pgRestoreArgv;
exports.psqlFileArgv = psqlFileArgv;
const node_path_1 = __webpack_require__(6760);
/**
 * Pure argv builders for the PostgreSQL client programs. Connection details and the password go in the
 * libpq environment (see url.ts libpqEnv), so nothing secret is ever in argv.
 */
function bin(binDir, program) {
    return binDir ? (0, node_path_1.join)(binDir, program) : program;
}
/** A custom-format dump (`pg_restore` reads it; compressed; restorable table by table). */
function pgDumpArgv(file, options = {}) {
    return [bin(options.binDir, 'pg_dump'), '--format=custom', '--no-password', '--file', file];
}
/**
 * Restore a custom-format dump into `database` (a name, not a URL: host, user and password come from the
 * libpq environment). Used by the runbook and the tests.
 */
function pgRestoreArgv(file, database, options = {}) {
    return [
        bin(options.binDir, 'pg_restore'),
        '--no-password',
        '--exit-on-error',
        ...(options.clean ? ['--clean', '--if-exists'] : []),
        '--dbname',
        database,
        file
    ];
}
/** What people do by hand: one file through psql, stopping at the first error, in one transaction. */
function psqlFileArgv(file, options = {}) {
    return [
        bin(options.binDir, 'psql'),
        '--no-password',
        '--quiet',
        '--no-psqlrc',
        '-v',
        'ON_ERROR_STOP=1',
        '--single-transaction',
        '--file',
        file
    ];
}


/***/ }),

/***/ 3239:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.takeBackup = takeBackup;
const node_fs_1 = __webpack_require__(3024);
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
const argv_js_1 = __webpack_require__(2071);
const db_js_1 = __webpack_require__(5059);
const pgdump_js_1 = __webpack_require__(846);
const run_js_1 = __webpack_require__(7964);
const url_js_1 = __webpack_require__(3560);
/** The server's version, on the run's session, or on a short one of its own (command mode). */
async function serverVersion(run) {
    const client = run.work ??
        (await (0, db_js_1.connect)(run.options.database, { applicationName: (0, run_js_1.applicationName)(run.deps.context) }));
    try {
        const info = await (0, db_js_1.serverInfo)(client);
        return { version: info.version.split(' ')[0], major: (0, pgdump_js_1.serverMajor)(info.versionNum) };
    }
    finally {
        if (client !== run.work)
            await client.end().catch(() => { });
    }
}
/** pg_dump to a 0600 file before the first change; a failed dump changes nothing. */
async function takeBackup(run) {
    const db = run.options.database;
    const backup = run.options.backup;
    const started = Date.now();
    (0, node_fs_1.mkdirSync)((0, node_path_1.dirname)(backup.path), { recursive: true });
    // Created 0600 before pg_dump writes into it, so the data is never readable by others, not even briefly.
    (0, node_fs_1.closeSync)((0, node_fs_1.openSync)(backup.path, 'w', 0o600));
    (0, node_fs_1.chmodSync)(backup.path, 0o600);
    const executor = run.deps.executor ?? new index_js_1.LocalExecutor();
    const server = await serverVersion(run);
    const choice = (0, pgdump_js_1.choosePgDump)({
        serverVersion: server.version,
        serverMajor: server.major,
        found: await (0, pgdump_js_1.findPgDumps)(executor, {
            serverMajor: server.major,
            ...(backup.binDir ? { binDir: backup.binDir } : {})
        }),
        image: backup.image ?? '',
        explicit: backup.binDir !== undefined
    });
    const env = (0, url_js_1.libpqEnv)(db);
    const argv = choice.kind === 'local'
        ? [choice.path, ...(0, argv_js_1.pgDumpArgv)(backup.path).slice(1)]
        : (0, pgdump_js_1.dockerPgDumpArgv)(choice.image, backup.path, Object.keys(env), {
            uid: process.getuid?.() ?? 0,
            gid: process.getgid?.() ?? 0
        });
    const pgDump = choice.kind === 'local' ? choice.path : `${choice.image} (docker)`;
    run.logger.info(`Backup with pg_dump ${choice.major} (${pgDump}) of PostgreSQL ${server.version}`);
    try {
        await executor.run({
            argv,
            env,
            step: 'backup (pg_dump)',
            timeoutMs: 60 * 60_000
        });
    }
    catch (err) {
        const why = err instanceof index_js_1.CommandError
            ? (0, index_js_1.lastLines)(err.stderr || err.stdout, 6)
            : err instanceof Error
                ? err.message
                : String(err);
        throw new index_js_1.MigrationError(`Backup failed: pg_dump of ${db.display} did not complete: ${(0, url_js_1.redact)(why, db)}`, {
            state: 'nothing was applied',
            hint: /version mismatch/i.test(why)
                ? 'pg_dump must be at least as new as the server: install the matching postgresql-client and point pg-dump at it'
                : 'check that pg_dump is installed (input pg-dump) and that the user may read every table; or run without backup'
        });
    }
    (0, node_fs_1.chmodSync)(backup.path, 0o600);
    const bytes = (0, node_fs_1.statSync)(backup.path).size;
    const durationMs = Date.now() - started;
    run.logger.info(`Backup: ${backup.path} (${bytes} bytes, ${(0, index_js_1.formatMs)(durationMs)})`);
    return { path: backup.path, bytes, durationMs, pgDump };
}


/***/ }),

/***/ 5059:
/***/ (function(__unused_webpack_module, exports, __webpack_require__) {


var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.connect = connect;
exports.connectionError = connectionError;
exports.serverInfo = serverInfo;
exports.parseTableName = parseTableName;
exports.quoteIdent = quoteIdent;
exports.createHistoryTableSql = createHistoryTableSql;
exports.insertHistorySql = insertHistorySql;
exports.historyParams = historyParams;
exports.currentSchema = currentSchema;
exports.historyTableExists = historyTableExists;
exports.ensureHistoryTable = ensureHistoryTable;
exports.readHistory = readHistory;
exports.insertHistory = insertHistory;
exports.lockKey = lockKey;
exports.lockHolder = lockHolder;
exports.describeHolder = describeHolder;
exports.acquireLock = acquireLock;
exports.releaseLock = releaseLock;
exports.foreignHistory = foreignHistory;
const node_crypto_1 = __webpack_require__(7598);
const pg_1 = __importDefault(__webpack_require__(3273));
const index_js_1 = __webpack_require__(893);
const files_js_1 = __webpack_require__(5446);
const url_js_1 = __webpack_require__(3560);
/** NAMEDATALEN - 1: longer application names are truncated by the server anyway. */
const MAX_APP_NAME = 63;
async function connect(target, options) {
    const client = new pg_1.default.Client({
        connectionString: target.url,
        application_name: options.applicationName.slice(0, MAX_APP_NAME),
        connectionTimeoutMillis: options.connectTimeoutMs ?? 15_000,
        ...(options.options ? { options: options.options } : {})
    });
    // An idle client whose server goes away emits 'error'; without a listener that would crash the process.
    client.on('error', () => { });
    try {
        await client.connect();
    }
    catch (err) {
        await client.end().catch(() => { });
        throw connectionError(err, target);
    }
    return client;
}
/** Distinct errors for the failures people hit: refused, unknown host, timeout, password, database. */
function connectionError(err, target) {
    const e = err;
    const where = `${target.host}:${target.port}`;
    const raw = (0, url_js_1.redact)(e.message ?? String(err), target);
    const state = 'nothing was changed: no connection was made';
    switch (e.code) {
        case 'ECONNREFUSED':
            return new index_js_1.ConnectionError(`Cannot connect to PostgreSQL at ${where}: connection refused`, {
                state,
                hint: 'check the host and port in database-url, that the server is running and that it listens where the runner can reach it (a service container needs its port mapped)'
            });
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
            return new index_js_1.ConnectionError(`Cannot connect to PostgreSQL: host "${target.host}" was not found`, {
                state,
                hint: 'check the host name in database-url; from a job container, use the service name'
            });
        case '28P01':
            return new index_js_1.ConnectionError(`PostgreSQL at ${where} refused the password for user "${target.user}" (authentication failed)`, { state, hint: 'check the password in the secret behind database-url (percent-encode @ : / in it)' });
        case '28000':
            return new index_js_1.ConnectionError(`PostgreSQL at ${where} refused user "${target.user}": ${raw}`, {
                state,
                hint: "check the user in database-url and the server's pg_hba.conf"
            });
        case '3D000':
            return new index_js_1.ConnectionError(`Database "${target.database}" does not exist on PostgreSQL at ${where}`, {
                state,
                hint: 'check the database name in database-url, or create it first (CREATE DATABASE)'
            });
        default:
            if (/timeout/i.test(raw)) {
                return new index_js_1.ConnectionError(`Cannot connect to PostgreSQL at ${where}: no answer in time (${raw})`, {
                    state,
                    hint: 'check that the host is reachable from the runner (firewall, security group, VPN)'
                });
            }
            return new index_js_1.ConnectionError(`Cannot connect to PostgreSQL at ${where}: ${raw}`, { state });
    }
}
async function serverInfo(client) {
    const r = await client.query("SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n");
    return { version: r.rows[0].v, versionNum: Number(r.rows[0].n) };
}
const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;
/** `name` or `schema.name`, plain identifiers only (they are quoted, but must not need to be). */
function parseTableName(text, defaultSchema, input = 'history-table') {
    const parts = text.split('.');
    if (parts.length > 2 || !parts.every((p) => IDENT.test(p) && p.length <= 63)) {
        throw new index_js_1.InputError(input, `"${text}" is not a table name`, 'use letters, digits and _ as in schema.table');
    }
    const schema = parts.length === 2 ? parts[0] : defaultSchema;
    const table = parts[parts.length - 1];
    return { schema, table, sql: `${quoteIdent(schema)}.${quoteIdent(table)}`, display: `${schema}.${table}` };
}
function quoteIdent(name) {
    return `"${name.replace(/"/g, '""')}"`;
}
/** One row per attempt, never updated: the state of a version is its latest row. */
function createHistoryTableSql(t) {
    return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(t.schema)};
CREATE TABLE IF NOT EXISTS ${t.sql} (
  id bigserial PRIMARY KEY,
  version text NOT NULL,
  name text NOT NULL,
  script text NOT NULL,
  checksum text,
  kind text NOT NULL CHECK (kind IN ('up', 'down', 'repair', 'command', 'baseline')),
  execution text NOT NULL CHECK (execution IN ('transaction', 'no-transaction', 'command', 'none')),
  status text NOT NULL CHECK (status IN ('applied', 'failed', 'reverted', 'repaired')),
  duration_ms integer NOT NULL DEFAULT 0,
  error text,
  error_line integer,
  applied_by text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  run_url text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ${quoteIdent(`${t.table}_version_idx`)} ON ${t.sql} (version, id);`;
}
function insertHistorySql(t) {
    return `INSERT INTO ${t.sql} (version, name, script, checksum, kind, execution, status, duration_ms, error, error_line, applied_by, run_url)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;
}
function historyParams(row) {
    return [
        row.version,
        row.name,
        row.script,
        row.checksum,
        row.kind,
        row.execution,
        row.status,
        Math.round(row.durationMs),
        row.error,
        row.errorLine,
        row.appliedBy,
        row.runUrl
    ];
}
async function currentSchema(client) {
    const r = await client.query('SELECT current_schema() AS s');
    return r.rows[0]?.s ?? 'public';
}
async function historyTableExists(client, t) {
    const r = await client.query('SELECT to_regclass($1) IS NOT NULL AS ok', [t.sql]);
    return r.rows[0]?.ok === true;
}
async function ensureHistoryTable(client, t) {
    await client.query(createHistoryTableSql(t));
}
async function readHistory(client, t) {
    if (!(await historyTableExists(client, t)))
        return [];
    const r = await client.query(`SELECT id, version, name, script, checksum, kind, execution, status, duration_ms, error, error_line,
            applied_by, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS applied_at, run_url
       FROM ${t.sql} ORDER BY id`);
    return r.rows.map((x) => ({
        id: Number(x.id),
        version: String(x.version),
        name: String(x.name),
        script: String(x.script),
        checksum: x.checksum ?? null,
        kind: x.kind,
        execution: x.execution,
        status: x.status,
        durationMs: Number(x.duration_ms),
        error: x.error ?? null,
        errorLine: x.error_line === null ? null : Number(x.error_line),
        appliedBy: String(x.applied_by),
        appliedAt: String(x.applied_at),
        runUrl: String(x.run_url)
    }));
}
async function insertHistory(client, t, row) {
    await client.query(insertHistorySql(t), historyParams(row));
}
// ---------------------------------------------------------------------------------------------------
// The advisory lock
/**
 * One lock per history table, so two apps sharing a server but not a table do not wait on each other.
 * A signed 64-bit key from sha256, as pg_advisory_lock(bigint) takes.
 */
function lockKey(t) {
    const digest = (0, node_crypto_1.createHash)('sha256').update(`deploy-actions:run-migrations:${t.display}`).digest();
    return digest.readBigInt64BE(0).toString();
}
/** The session holding advisory lock `key` in this database, from pg_locks and pg_stat_activity. */
async function lockHolder(client, key) {
    const r = await client.query(`SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client_addr,
            to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS backend_start,
            a.state, left(a.query, 200) AS query
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint
      LIMIT 1`, [key]);
    const x = r.rows[0];
    if (!x)
        return undefined;
    return {
        pid: Number(x.pid),
        user: String(x.usename ?? ''),
        application: String(x.application_name ?? ''),
        client: String(x.client_addr ?? 'local socket'),
        backendStart: String(x.backend_start ?? ''),
        state: String(x.state ?? ''),
        query: String(x.query ?? '')
    };
}
function describeHolder(h) {
    const app = h.application ? `"${h.application}"` : '(no application_name)';
    return `pid ${h.pid}, application ${app}, user ${h.user}, from ${h.client}, connected since ${h.backendStart}, ${h.state}${h.query ? `, last query: ${h.query.replace(/\s+/g, ' ').slice(0, 120)}` : ''}`;
}
/**
 * Take the lock on `client`, a connection used for nothing else. Session-level on purpose: it is held
 * outside any transaction, so `CREATE INDEX CONCURRENTLY` on the working connection, which waits for
 * every transaction older than itself, has nothing to wait for (a lock held inside an open transaction,
 * on any connection, would make it wait forever). Polls pg_try_advisory_lock until `timeoutMs`.
 */
async function acquireLock(client, key, options) {
    const started = Date.now();
    const pollMs = options.pollMs ?? 250;
    let attempts = 0;
    let waitedFor;
    for (;;) {
        attempts++;
        const r = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
        if (r.rows[0]?.ok) {
            return { key, attempts, waitedMs: Date.now() - started, ...(waitedFor ? { waitedFor } : {}) };
        }
        const holder = await lockHolder(client, key);
        if (attempts === 1) {
            waitedFor = holder;
            options.onWait?.(holder);
        }
        const elapsed = Date.now() - started;
        if (elapsed >= options.timeoutMs) {
            const who = holder ?? waitedFor;
            throw new index_js_1.LockError(`Another migration run holds the lock on database "${options.database}" (advisory lock ${key}); waited ${(0, index_js_1.formatMs)(elapsed)} (lock-timeout), ${attempts} attempts. Holder: ${who ? describeHolder(who) : 'gone by the time it was looked up'}`, {
                state: 'nothing was changed by this run',
                hint: 'let the other run finish and re-run this one, or raise lock-timeout; if the holder is stuck, end it with SELECT pg_terminate_backend(<pid>) (the lock goes with its session)'
            });
        }
        await new Promise((r) => setTimeout(r, Math.min(pollMs, options.timeoutMs - elapsed)));
    }
}
async function releaseLock(client, key) {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
}
/**
 * golang-migrate's `schema_migrations (version, dirty)`, Rails-style `schema_migrations (version)` and
 * Flyway's `flyway_schema_history`, in the connection's search path. Found while our own history is
 * empty, it means the schema exists already: applying every file again would fail half-way, or worse.
 */
async function foreignHistory(client) {
    const r = await client.query(`SELECT to_regclass('schema_migrations')::text AS sm, to_regclass('flyway_schema_history')::text AS fw,
            EXISTS (SELECT 1 FROM information_schema.columns
                     WHERE table_name = 'schema_migrations' AND column_name = 'dirty'
                       AND table_schema = ANY (current_schemas(false))) AS dirty`);
    const row = r.rows[0];
    if (row.sm) {
        if (row.dirty) {
            const v = await client.query('SELECT version::text AS version, dirty FROM schema_migrations LIMIT 1');
            const x = v.rows[0];
            if (x)
                return { tool: 'golang-migrate', table: row.sm, version: x.version, dirty: x.dirty };
        }
        else {
            const versions = await client.query('SELECT version::text AS version FROM schema_migrations');
            const top = maxVersion(versions.rows.map((x) => x.version));
            if (top)
                return { tool: 'schema_migrations (Rails or similar)', table: row.sm, version: top };
        }
    }
    if (row.fw) {
        const versions = await client.query('SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL');
        const top = maxVersion(versions.rows.map((x) => x.version ?? ''));
        if (top)
            return { tool: 'Flyway', table: row.fw, version: top };
    }
    return undefined;
}
function maxVersion(versions) {
    const ok = versions.filter((v) => /^\d+(?:[._]\d+)*$/.test(v)).map(files_js_1.canonicalVersion);
    return ok.sort(files_js_1.compareVersions).pop();
}


/***/ }),

/***/ 4155:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.describeSqlError = exports.applicationName = void 0;
exports.runMigrations = runMigrations;
const index_js_1 = __webpack_require__(893);
const db_js_1 = __webpack_require__(5059);
const baseline_js_1 = __webpack_require__(2259);
const apply_js_1 = __webpack_require__(7258);
const command_js_1 = __webpack_require__(2867);
const down_js_1 = __webpack_require__(6244);
const plan_js_1 = __webpack_require__(5987);
const repair_js_1 = __webpack_require__(5229);
const status_js_1 = __webpack_require__(8574);
const run_js_1 = __webpack_require__(7964);
const state_js_1 = __webpack_require__(2892);
const url_js_1 = __webpack_require__(3560);
var run_js_2 = __webpack_require__(7964);
Object.defineProperty(exports, "applicationName", ({ enumerable: true, get: function () { return run_js_2.applicationName; } }));
var execute_js_1 = __webpack_require__(8054);
Object.defineProperty(exports, "describeSqlError", ({ enumerable: true, get: function () { return execute_js_1.describeSqlError; } }));
/** Each mode in a file of its own, given the run and the state of every version. */
const MODES = {
    apply: apply_js_1.apply,
    plan: plan_js_1.plan,
    down: down_js_1.down,
    status: status_js_1.status,
    repair: repair_js_1.repair
};
/**
 * Run one mode against one database. Never throws for a failure of the run itself: the result carries
 * `error` (a DeployActionsError saying what happened, the state left and the next step) together with
 * the evidence gathered up to that point, so the caller can publish both.
 */
async function runMigrations(options, deps) {
    const started = Date.now();
    const run = new run_js_1.MigrationRun(options, deps);
    const { result } = run;
    const db = options.database;
    let lockClient;
    let heldKey;
    try {
        if (!db) {
            if (!options.command)
                throw new index_js_1.MigrationError('No database-url given and no command to run');
            await (0, command_js_1.command)(run);
        }
        else {
            await openSession(run, db);
            const key = (0, db_js_1.lockKey)(run.table);
            const writes = !!options.command || ['apply', 'down', 'repair'].includes(options.mode);
            if (writes) {
                lockClient = await (0, db_js_1.connect)(db, { applicationName: (0, run_js_1.applicationName)(deps.context) });
                result.lock = await (0, db_js_1.acquireLock)(lockClient, key, {
                    timeoutMs: options.lockTimeoutMs,
                    database: db.database,
                    ...(options.lockPollMs ? { pollMs: options.lockPollMs } : {}),
                    onWait: (h) => run.logger.info(`Waiting up to ${(0, index_js_1.formatMs)(options.lockTimeoutMs)} for the migration lock, held by ${h ? (0, db_js_1.describeHolder)(h) : 'another session'}`)
                });
                heldKey = key;
                lockClient.on('end', () => {
                    run.lockLost = true;
                });
                run.logger.info(`Lock taken (advisory lock ${key}${result.lock.attempts > 1 ? `, after ${(0, index_js_1.formatMs)(result.lock.waitedMs)}` : ''})`);
                await (0, db_js_1.ensureHistoryTable)(run.work, run.table);
            }
            else {
                const holder = await (0, db_js_1.lockHolder)(run.work, key);
                if (holder) {
                    result.lockHeldBy = holder;
                    run.warn(`A migration run is in progress right now: ${(0, db_js_1.describeHolder)(holder)}`);
                }
            }
            if (options.command)
                await (0, command_js_1.command)(run);
            else
                await runMode(run.connected());
        }
    }
    catch (err) {
        result.error = asDeployError(err, db);
    }
    finally {
        if (lockClient && heldKey && !run.lockLost) {
            await (0, db_js_1.releaseLock)(lockClient, heldKey).catch((e) => run.warn(`could not release the lock explicitly (${String(e)}); it goes with the session, now closing`));
        }
        await lockClient?.end().catch(() => { });
    }
    // The state after the run, also after a failure: what is applied and pending now.
    if (run.work && run.table && !options.command) {
        try {
            finalState(result, (0, state_js_1.computeState)(options.migrations, await (0, db_js_1.readHistory)(run.work, run.table)), options);
        }
        catch (err) {
            run.warn(`could not read the final state: ${(0, url_js_1.redact)(String(err), db)}`);
        }
    }
    await run.work?.end().catch(() => { });
    result.outcome = result.error ? 'failed' : 'success';
    result.durationMs = Date.now() - started;
    return result;
}
/** The working session: connected, its notices logged, reset, and the history table named. */
async function openSession(run, db) {
    const { result, logger, options } = run;
    result.database = {
        display: db.display,
        host: db.host,
        port: db.port,
        database: db.database,
        user: db.user
    };
    const work = await (0, db_js_1.connect)(db, { applicationName: (0, run_js_1.applicationName)(run.deps.context) });
    run.work = work;
    // RAISE NOTICE in a migration is how its author talks to whoever runs it.
    // Our own ROLLBACK after a failed no-transaction file may have nothing to roll back: not news.
    work.on('notice', (n) => {
        if (n.code !== '25P01')
            logger.info(`notice: ${n.message ?? ''}`);
    });
    result.server = await (0, db_js_1.serverInfo)(work);
    logger.info(`Connected to ${db.display}: PostgreSQL ${result.server.version}`);
    await (0, run_js_1.resetSession)(work, options);
    run.table = (0, db_js_1.parseTableName)(options.historyTable, await (0, db_js_1.currentSchema)(work));
    result.historyTable = run.table.display;
}
/** History → state (adopting a migrated database first where asked), then the mode's own file. */
async function runMode(run) {
    const { options } = run;
    let history = await (0, db_js_1.readHistory)(run.work, run.table);
    if (!history.length && (options.mode === 'apply' || options.mode === 'plan'))
        history = await (0, baseline_js_1.adopt)(run);
    const state = (0, state_js_1.computeState)(options.migrations, history);
    for (const v of state.missingFiles) {
        run.warn(`version ${v.version} (${v.row?.script ?? v.name}) is applied but its file is not in ${options.dir ?? 'dir'}`);
    }
    await MODES[options.mode](run, state);
}
function asDeployError(err, db) {
    if (err instanceof index_js_1.DeployActionsError)
        return err;
    const text = err instanceof Error ? err.message : String(err);
    return new index_js_1.MigrationError(`Migration run failed: ${db ? (0, url_js_1.redact)(text, db) : text}`, {
        state: 'see the evidence and the history table for what was applied before the failure',
        cause: err
    });
}
function finalState(result, state, options) {
    // A failed version is not applied: it is pending (behind the repair, when it ran without a transaction).
    result.pending = state.versions.filter((v) => v.file && v.state !== 'applied').map((v) => v.version);
    result.currentVersion = state.currentVersion;
    if (options.mode === 'status')
        result.status = state.versions.map(statusEntry);
}
function statusEntry(v) {
    const r = v.row;
    const failure = v.state === 'failed' ? r : v.failedAttempts[v.failedAttempts.length - 1];
    return {
        version: v.version,
        name: v.name,
        file: v.file?.file ?? r?.script ?? '',
        state: v.state,
        drifted: v.drifted,
        outOfOrder: v.outOfOrder,
        fileMissing: !v.file,
        ...(r && v.state !== 'pending'
            ? { appliedAt: r.appliedAt, appliedBy: r.appliedBy, runUrl: r.runUrl }
            : {}),
        // The failure that blocks the version, or else the last attempt that rolled back.
        ...(failure?.error ? { error: failure.error } : {}),
        ...(failure?.errorLine ? { errorLine: failure.errorLine } : {}),
        ...(v.failedAttempts.length ? { failedAttempts: v.failedAttempts.length } : {})
    };
}


/***/ }),

/***/ 8054:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.describeSqlError = describeSqlError;
exports.applyFile = applyFile;
exports.revertFile = revertFile;
const index_js_1 = __webpack_require__(893);
const db_js_1 = __webpack_require__(5059);
const run_js_1 = __webpack_require__(7964);
const sql_js_1 = __webpack_require__(765);
const url_js_1 = __webpack_require__(3560);
/** A server error → file, line and column (from `position`, offset by the statement's place in the file). */
function describeSqlError(err, file, statement, rolledBack) {
    const e = err;
    const message = e.message ?? String(err);
    const failure = {
        version: file.version,
        file: file.file,
        message,
        rolledBack,
        ...(e.code ? { sqlState: e.code } : {})
    };
    if (e.position && /^\d+$/.test(e.position)) {
        const base = statement ? (0, sql_js_1.codePointsBefore)(file.sql, statement.offset) : 0;
        const at = (0, sql_js_1.positionToLine)(file.sql, base + Number(e.position));
        failure.line = at.line;
        failure.column = at.column;
        failure.lineText = at.lineText;
    }
    else if (statement) {
        failure.line = statement.line;
        failure.lineText = file.sql.split('\n')[statement.line - 1] ?? '';
    }
    const where = failure.line
        ? ` at line ${failure.line}${failure.column ? `, column ${failure.column}` : ' (the statement starting there)'}`
        : '';
    const extra = [
        failure.lineText !== undefined ? `  ${failure.line} | ${failure.lineText}` : '',
        e.detail ? `  detail: ${e.detail}` : '',
        e.hint ? `  hint: ${e.hint}` : '',
        e.code === '57014' ? '  (statement-timeout reached: raise it if the statement is slow but right)' : '',
        e.code === '25001'
            ? '  (this statement cannot run in a transaction: put the line -- deploy-actions:no-transaction in the file)'
            : '',
        !failure.line && e.where ? `  where: ${e.where}` : ''
    ].filter(Boolean);
    return {
        failure,
        text: `${file.file}${where}: ${message}${extra.length ? `\n${extra.join('\n')}` : ''}`
    };
}
function applyFile(run, file) {
    return runSqlFile(run, {
        direction: 'up',
        file,
        sql: file.sql,
        exec: file.exec,
        script: file.file,
        transactional: file.transactional
    });
}
function revertFile(run, file) {
    const down = file.down;
    return runSqlFile(run, {
        direction: 'down',
        file,
        sql: down.sql,
        exec: down.exec,
        script: down.file,
        transactional: down.transactional
    });
}
/** Which statement of a file failed, carried to where the failure is recorded. */
class StatementFailure extends Error {
    error;
    statement;
    constructor(error, statement) {
        super('statement failed');
        this.error = error;
        this.statement = statement;
    }
}
/**
 * One file: in its own transaction, with its history row in the same transaction; or, for a
 * no-transaction file, statement by statement with autocommit and the row written after the last one.
 * A failure is recorded as its own row after the rollback, so the record survives it.
 */
async function runSqlFile(run, script) {
    const { work, table, options, result } = run;
    const { file } = script;
    const started = Date.now();
    const execution = script.transactional ? 'transaction' : 'no-transaction';
    const row = (status, extra = {}) => ({
        ...run.historyBase(),
        version: file.version,
        name: file.name,
        script: script.script,
        checksum: file.checksum,
        kind: script.direction,
        execution,
        status,
        durationMs: Date.now() - started,
        error: null,
        errorLine: null,
        ...extra
    });
    const okStatus = script.direction === 'up' ? 'applied' : 'reverted';
    const sqlFile = { file: script.script, version: file.version, sql: script.sql };
    let statementsDone = 0;
    let statementCount;
    try {
        // Statement by statement in both cases, so any error (not only those PostgreSQL gives a position for)
        // points at the statement's line in the file.
        const statements = (0, sql_js_1.splitStatements)(script.exec);
        statementCount = statements.length;
        if (script.transactional)
            await work.query('BEGIN');
        try {
            for (const s of statements) {
                try {
                    await work.query(s.text);
                }
                catch (err) {
                    throw new StatementFailure(err, s);
                }
                statementsDone++;
            }
            await (0, db_js_1.insertHistory)(work, table, row(okStatus));
            if (script.transactional)
                await work.query('COMMIT');
        }
        catch (err) {
            if (script.transactional)
                await work.query('ROLLBACK').catch(() => { });
            throw err;
        }
    }
    catch (thrown) {
        const err = thrown instanceof StatementFailure ? thrown.error : thrown;
        const statement = thrown instanceof StatementFailure ? thrown.statement : undefined;
        const { failure, text } = describeSqlError(err, sqlFile, statement, script.transactional);
        if (!script.transactional)
            failure.statementsDone = statementsDone;
        result.failure = failure;
        let recorded = `the failure is recorded in ${table.display}`;
        try {
            // A no-transaction file may have opened its own transaction; it is aborted now, so end it.
            if (!script.transactional)
                await work.query('ROLLBACK');
            await (0, run_js_1.resetSession)(work, options);
            await (0, db_js_1.insertHistory)(work, table, row('failed', { error: text, errorLine: failure.line ?? null }));
        }
        catch (recordErr) {
            recorded = `the failure could NOT be recorded (${(0, url_js_1.redact)(String(recordErr), options.database)})`;
        }
        const done = script.direction === 'up' ? result.applied.map((a) => a.file) : result.reverted.map((a) => a.file);
        const what = script.transactional
            ? `${script.script} was rolled back: nothing of it remains`
            : `${script.script} runs without a transaction: ${statementsDone} of its ${statementCount} statements took effect and stay`;
        throw new index_js_1.MigrationError(`Migration failed: ${text}`, {
            state: `${what}; ${done.length
                ? `${done.join(', ')} ${script.direction === 'up' ? 'applied' : 'reverted'} earlier in this run stay${done.length === 1 ? 's' : ''} committed and recorded`
                : 'no other file was changed by this run'}; ${recorded}; the lock is released`,
            hint: script.transactional
                ? `fix ${script.script}${failure.line ? ` (line ${failure.line})` : ''}, then ${script.direction === 'up' ? 'apply' : 'run mode: down'} again: it was rolled back, so it simply runs again (no repair needed; the failed attempt stays in the history)`
                : `fix ${script.script}${failure.line ? ` (line ${failure.line})` : ''} and undo or complete its statements that took effect, then run mode: repair and ${script.direction === 'up' ? 'apply' : 'mode: down'} again`
        });
    }
    await (0, run_js_1.resetSession)(work, options);
    return {
        version: file.version,
        name: file.name,
        file: script.script,
        checksum: file.checksum,
        execution,
        durationMs: Date.now() - started,
        ...(statementCount !== undefined ? { statements: statementCount } : {}),
        ...(file.directive && script.direction === 'up' ? { directive: file.directive } : {})
    };
}


/***/ }),

/***/ 5446:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.canonicalVersion = canonicalVersion;
exports.compareVersions = compareVersions;
exports.parseMigrationName = parseMigrationName;
exports.normaliseSql = normaliseSql;
exports.checksum = checksum;
exports.noTransactionDirective = noTransactionDirective;
exports.loadMigrations = loadMigrations;
exports.unwrapTransaction = unwrapTransaction;
const node_crypto_1 = __webpack_require__(7598);
const node_fs_1 = __webpack_require__(3024);
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
const sql_js_1 = __webpack_require__(765);
/** The two file name layouts; `dir` is V or up for an up file, U or down for a down file. */
const LAYOUTS = [
    ['flyway', /^(?<dir>[VU])(?<version>\d+(?:[._]\d+)*)__(?<name>.+)\.sql$/],
    ['golang-migrate', /^(?<version>\d+)_(?<name>.+)\.(?<dir>up|down)\.sql$/]
];
/** Canonical version text: "0001" → "1", "1_2" → "1.2", "1.0" → "1". Throws on anything but digits. */
function canonicalVersion(text) {
    if (!/^\d+(?:[._]\d+)*$/.test(text))
        throw new Error(`not a version: ${text}`);
    const parts = text.split(/[._]/).map((p) => p.replace(/^0+(?=\d)/, ''));
    while (parts.length > 1 && parts[parts.length - 1] === '0')
        parts.pop();
    return parts.join('.');
}
/** Numeric, part by part: -1, 0 or 1. */
function compareVersions(a, b) {
    const pa = a.split('.');
    const pb = b.split('.');
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const x = BigInt(pa[i] ?? '0');
        const y = BigInt(pb[i] ?? '0');
        if (x !== y)
            return x < y ? -1 : 1;
    }
    return 0;
}
function parseMigrationName(file) {
    for (const [layout, pattern] of LAYOUTS) {
        const g = pattern.exec(file)?.groups;
        if (!g)
            continue;
        return {
            version: canonicalVersion(g.version),
            name: g.name,
            direction: g.dir === 'V' || g.dir === 'up' ? 'up' : 'down',
            layout
        };
    }
    return undefined;
}
/** Line endings normalised and a BOM dropped, so a checkout with autocrlf does not look like drift. */
function normaliseSql(text) {
    return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}
function checksum(sql) {
    return (0, node_crypto_1.createHash)('sha256').update(normaliseSql(sql), 'utf8').digest('hex');
}
/**
 * Directives that run a file outside a transaction (needed for `CREATE INDEX CONCURRENTLY`,
 * `ALTER TYPE … ADD VALUE` before PG 12, `VACUUM`). Ours, plus the spellings other tools' users already
 * have in their files, so a migrated folder keeps its meaning.
 */
const NO_TRANSACTION_DIRECTIVES = [
    [/^--\s*deploy-actions:no-transaction\s*$/im, 'deploy-actions:no-transaction'],
    [/^--\s*\+goose\s+NO\s+TRANSACTION\s*$/im, 'goose: +goose NO TRANSACTION'],
    [/^--\s*\+migrate\s+(?:Up|Down)\s+notransaction\s*$/im, 'sql-migrate: +migrate notransaction'],
    [/^--\s*migrate:(?:up|down)\s+.*\btransaction:false\b/im, 'dbmate: transaction:false']
];
function noTransactionDirective(sql) {
    for (const [re, label] of NO_TRANSACTION_DIRECTIVES)
        if (re.test(sql))
            return label;
    return undefined;
}
/** Flyway's per-script config file `V3__x.sql.conf` with `executeInTransaction=false`. */
function flywayConf(dir, file) {
    const conf = (0, node_path_1.join)(dir, `${file}.conf`);
    if (!(0, node_fs_1.existsSync)(conf))
        return undefined;
    return /^\s*executeInTransaction\s*=\s*false\s*$/im.test((0, node_fs_1.readFileSync)(conf, 'utf8'))
        ? 'flyway: executeInTransaction=false'
        : undefined;
}
/**
 * Read every migration in `dir`, sorted by version. Refuses (InputError on `input`) what would otherwise
 * be silently skipped or ambiguous: a `.sql` file whose name matches neither layout, two up files of one
 * version, a down file without its up file.
 */
function loadMigrations(dir, input = 'dir') {
    if (!(0, node_fs_1.existsSync)(dir) || !(0, node_fs_1.statSync)(dir).isDirectory()) {
        throw new index_js_1.InputError(input, `"${dir}" is not a directory`, 'give the folder holding the migration files');
    }
    const ups = new Map();
    const downs = new Map();
    for (const file of (0, node_fs_1.readdirSync)(dir).sort()) {
        if (!file.endsWith('.sql'))
            continue;
        const parsed = parseMigrationName(file);
        if (!parsed) {
            throw new index_js_1.InputError(input, `${file} is not a migration file name`, 'name it V<version>__<name>.sql (down: U<version>__<name>.sql) or <version>_<name>.up.sql / .down.sql, or move it out of the folder');
        }
        const sql = normaliseSql((0, node_fs_1.readFileSync)((0, node_path_1.join)(dir, file), 'utf8'));
        const directive = noTransactionDirective(sql) ?? flywayConf(dir, file);
        const exec = directive ? sql : unwrapTransaction(sql, file, input);
        if (parsed.direction === 'down') {
            const other = downs.get(parsed.version);
            if (other) {
                throw new index_js_1.InputError(input, `${other.file} and ${file} are both down files of version ${parsed.version}`, 'keep one');
            }
            downs.set(parsed.version, { file, sql, exec, transactional: !directive });
            continue;
        }
        const other = ups.get(parsed.version);
        if (other) {
            throw new index_js_1.InputError(input, `${other.file} and ${file} both have version ${parsed.version}`, 'give each migration its own version');
        }
        ups.set(parsed.version, {
            version: parsed.version,
            name: parsed.name,
            file,
            layout: parsed.layout,
            sql,
            exec,
            checksum: checksum(sql),
            transactional: !directive,
            ...(directive ? { directive } : {})
        });
    }
    for (const [version, down] of downs) {
        const up = ups.get(version);
        if (!up) {
            throw new index_js_1.InputError(input, `down file ${down.file} has no up file of version ${version}`, 'add the up file or remove the down file');
        }
        up.down = down;
    }
    return [...ups.values()].sort((a, b) => compareVersions(a.version, b.version));
}
const TX_BEGIN = /^(?:BEGIN|START\s+TRANSACTION)\b/i;
const TX_END = /^(?:COMMIT|END)\b/i;
const TX_CONTROL = /^(?:BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b/i;
/**
 * Each file runs in our transaction, with its history row. A file wrapped in exactly `BEGIN; … COMMIT;`
 * (as golang-migrate users write them, since golang-migrate does not wrap) has the wrapper blanked out, so
 * it keeps its meaning and stays atomic with its record. Any other transaction control would end our
 * transaction early (a COMMIT in the middle commits half a file), so it is refused up front.
 */
function unwrapTransaction(sql, file, input = 'dir') {
    const statements = (0, sql_js_1.splitStatements)(sql);
    const control = statements.filter((s) => TX_CONTROL.test(s.text));
    if (!control.length)
        return sql;
    const first = statements[0];
    const last = statements[statements.length - 1];
    if (control.length === 2 &&
        control[0] === first &&
        control[1] === last &&
        TX_BEGIN.test(first.text) &&
        TX_END.test(last.text)) {
        return blank(blank(sql, first), last);
    }
    const bad = control.find((s) => s !== first && s !== last) ?? control[0];
    throw new index_js_1.InputError(input, `${file} line ${bad.line}: \`${bad.text.split(/\s+/)[0]}\` controls the transaction, but each file already runs in a transaction of its own`, 'remove the transaction statements (a file wrapped in exactly BEGIN; … COMMIT; is fine), or put the line -- deploy-actions:no-transaction in the file to manage transactions yourself');
}
/** Replace a statement and its semicolon by spaces, keeping newlines, so positions do not move. */
function blank(sql, s) {
    let end = s.offset + s.text.length;
    const semi = /^\s*;/.exec(sql.slice(end));
    if (semi)
        end += semi[0].length;
    return sql.slice(0, s.offset) + sql.slice(s.offset, end).replace(/[^\n]/g, ' ') + sql.slice(end);
}


/***/ }),

/***/ 7101:
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
exports.serverMajor = exports.pgDumpMajor = exports.findPgDumps = exports.dockerPgDumpArgv = exports.choosePgDump = exports.evidenceJson = exports.migrationSummary = exports.preflight = exports.computeState = exports.currentSchema = exports.readHistory = exports.createHistoryTableSql = exports.parseTableName = exports.releaseLock = exports.acquireLock = exports.lockHolder = exports.lockKey = exports.connectionError = exports.connect = exports.psqlFileArgv = exports.pgRestoreArgv = exports.pgDumpArgv = exports.redact = exports.libpqEnv = exports.parseDatabaseUrl = exports.lineAt = exports.positionToLine = exports.splitStatements = exports.noTransactionDirective = exports.normaliseSql = exports.checksum = exports.compareVersions = exports.canonicalVersion = exports.parseMigrationName = exports.loadMigrations = exports.MODES = exports.readMigrateInputs = exports.describeSqlError = exports.applicationName = exports.runMigrations = void 0;
__exportStar(__webpack_require__(3176), exports);
var engine_js_1 = __webpack_require__(4155);
Object.defineProperty(exports, "runMigrations", ({ enumerable: true, get: function () { return engine_js_1.runMigrations; } }));
Object.defineProperty(exports, "applicationName", ({ enumerable: true, get: function () { return engine_js_1.applicationName; } }));
Object.defineProperty(exports, "describeSqlError", ({ enumerable: true, get: function () { return engine_js_1.describeSqlError; } }));
var inputs_js_1 = __webpack_require__(1535);
Object.defineProperty(exports, "readMigrateInputs", ({ enumerable: true, get: function () { return inputs_js_1.readMigrateInputs; } }));
Object.defineProperty(exports, "MODES", ({ enumerable: true, get: function () { return inputs_js_1.MODES; } }));
var files_js_1 = __webpack_require__(5446);
Object.defineProperty(exports, "loadMigrations", ({ enumerable: true, get: function () { return files_js_1.loadMigrations; } }));
Object.defineProperty(exports, "parseMigrationName", ({ enumerable: true, get: function () { return files_js_1.parseMigrationName; } }));
Object.defineProperty(exports, "canonicalVersion", ({ enumerable: true, get: function () { return files_js_1.canonicalVersion; } }));
Object.defineProperty(exports, "compareVersions", ({ enumerable: true, get: function () { return files_js_1.compareVersions; } }));
Object.defineProperty(exports, "checksum", ({ enumerable: true, get: function () { return files_js_1.checksum; } }));
Object.defineProperty(exports, "normaliseSql", ({ enumerable: true, get: function () { return files_js_1.normaliseSql; } }));
Object.defineProperty(exports, "noTransactionDirective", ({ enumerable: true, get: function () { return files_js_1.noTransactionDirective; } }));
var sql_js_1 = __webpack_require__(765);
Object.defineProperty(exports, "splitStatements", ({ enumerable: true, get: function () { return sql_js_1.splitStatements; } }));
Object.defineProperty(exports, "positionToLine", ({ enumerable: true, get: function () { return sql_js_1.positionToLine; } }));
Object.defineProperty(exports, "lineAt", ({ enumerable: true, get: function () { return sql_js_1.lineAt; } }));
var url_js_1 = __webpack_require__(3560);
Object.defineProperty(exports, "parseDatabaseUrl", ({ enumerable: true, get: function () { return url_js_1.parseDatabaseUrl; } }));
Object.defineProperty(exports, "libpqEnv", ({ enumerable: true, get: function () { return url_js_1.libpqEnv; } }));
Object.defineProperty(exports, "redact", ({ enumerable: true, get: function () { return url_js_1.redact; } }));
var argv_js_1 = __webpack_require__(2071);
Object.defineProperty(exports, "pgDumpArgv", ({ enumerable: true, get: function () { return argv_js_1.pgDumpArgv; } }));
Object.defineProperty(exports, "pgRestoreArgv", ({ enumerable: true, get: function () { return argv_js_1.pgRestoreArgv; } }));
Object.defineProperty(exports, "psqlFileArgv", ({ enumerable: true, get: function () { return argv_js_1.psqlFileArgv; } }));
var db_js_1 = __webpack_require__(5059);
Object.defineProperty(exports, "connect", ({ enumerable: true, get: function () { return db_js_1.connect; } }));
Object.defineProperty(exports, "connectionError", ({ enumerable: true, get: function () { return db_js_1.connectionError; } }));
Object.defineProperty(exports, "lockKey", ({ enumerable: true, get: function () { return db_js_1.lockKey; } }));
Object.defineProperty(exports, "lockHolder", ({ enumerable: true, get: function () { return db_js_1.lockHolder; } }));
Object.defineProperty(exports, "acquireLock", ({ enumerable: true, get: function () { return db_js_1.acquireLock; } }));
Object.defineProperty(exports, "releaseLock", ({ enumerable: true, get: function () { return db_js_1.releaseLock; } }));
Object.defineProperty(exports, "parseTableName", ({ enumerable: true, get: function () { return db_js_1.parseTableName; } }));
Object.defineProperty(exports, "createHistoryTableSql", ({ enumerable: true, get: function () { return db_js_1.createHistoryTableSql; } }));
Object.defineProperty(exports, "readHistory", ({ enumerable: true, get: function () { return db_js_1.readHistory; } }));
Object.defineProperty(exports, "currentSchema", ({ enumerable: true, get: function () { return db_js_1.currentSchema; } }));
var state_js_1 = __webpack_require__(2892);
Object.defineProperty(exports, "computeState", ({ enumerable: true, get: function () { return state_js_1.computeState; } }));
Object.defineProperty(exports, "preflight", ({ enumerable: true, get: function () { return state_js_1.preflight; } }));
var summary_js_1 = __webpack_require__(7577);
Object.defineProperty(exports, "migrationSummary", ({ enumerable: true, get: function () { return summary_js_1.migrationSummary; } }));
Object.defineProperty(exports, "evidenceJson", ({ enumerable: true, get: function () { return summary_js_1.evidenceJson; } }));
var pgdump_js_1 = __webpack_require__(846);
Object.defineProperty(exports, "choosePgDump", ({ enumerable: true, get: function () { return pgdump_js_1.choosePgDump; } }));
Object.defineProperty(exports, "dockerPgDumpArgv", ({ enumerable: true, get: function () { return pgdump_js_1.dockerPgDumpArgv; } }));
Object.defineProperty(exports, "findPgDumps", ({ enumerable: true, get: function () { return pgdump_js_1.findPgDumps; } }));
Object.defineProperty(exports, "pgDumpMajor", ({ enumerable: true, get: function () { return pgdump_js_1.pgDumpMajor; } }));
Object.defineProperty(exports, "serverMajor", ({ enumerable: true, get: function () { return pgdump_js_1.serverMajor; } }));


/***/ }),

/***/ 1535:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.MODES = void 0;
exports.readMigrateInputs = readMigrateInputs;
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(4009);
const index_js_2 = __webpack_require__(893);
const index_js_3 = __webpack_require__(3747);
const db_js_1 = __webpack_require__(5059);
const files_js_1 = __webpack_require__(5446);
const url_js_1 = __webpack_require__(3560);
exports.MODES = (0, index_js_3.choicesOf)('run-migrations', 'mode');
/** The defaults run-migrations declares (manifest.yml): the runner applies them, the CLI and tests may not. */
const DEFAULTS = (0, index_js_3.defaultsOf)('run-migrations');
/** An optional version input (`3`, `v1.2`, `20240101120000`), in its canonical form. */
function versionInput(inputs, name, example) {
    const text = inputs.optional(name);
    if (text === undefined)
        return undefined;
    try {
        return (0, files_js_1.canonicalVersion)(text.replace(/^[Vv]/, ''));
    }
    catch {
        throw new index_js_2.InputError(name, `"${text}" is not a version`, example);
    }
}
/**
 * Every input of run-migrations, read and validated into one options object. Bad input throws
 * InputError naming the input, before any connection is made. The files are read here too, so a
 * misnamed file is refused before anything changes.
 */
function readMigrateInputs(inputs, env = process.env, now = new Date()) {
    const mode = inputs.choice('mode', exports.MODES, DEFAULTS.text('mode'));
    const urlText = inputs.raw('database-url') || (env.DATABASE_URL ?? '').trim();
    const urlInput = inputs.raw('database-url') ? 'database-url' : 'database-url (from env DATABASE_URL)';
    const command = (0, index_js_1.parseCommandLine)(inputs.raw('command'), 'command');
    if (!urlText && !command.length) {
        throw new index_js_2.InputError('database-url', 'is required (and env DATABASE_URL is not set)', 'pass it from a secret: database-url: ${{ secrets.DATABASE_URL }}');
    }
    const database = urlText ? (0, url_js_1.parseDatabaseUrl)(urlText, urlInput) : undefined;
    if (command.length && mode !== 'apply') {
        throw new index_js_2.InputError('command', `runs the app's own tool, which only fits mode apply (mode is ${mode})`, 'remove mode or command');
    }
    const workspace = env.GITHUB_WORKSPACE || process.cwd();
    const dirText = inputs.string('dir', { fallback: DEFAULTS.text('dir') });
    const dir = (0, node_path_1.isAbsolute)(dirText) ? dirText : (0, node_path_1.resolve)(workspace, dirText);
    const migrations = command.length ? [] : (0, files_js_1.loadMigrations)(dir, 'dir');
    const target = versionInput(inputs, 'target', 'give a version like 3, 1.2 or 20240101120000');
    const baseline = versionInput(inputs, 'baseline', 'give the version the database is at, like 12');
    if (mode === 'down' && target === undefined) {
        throw new index_js_2.InputError('target', 'is required with mode down', 'give the version to walk back to (it stays applied), or 0 to revert everything');
    }
    const backupText = inputs.raw('backup');
    let backup;
    if (backupText && !/^(false|no|off|0)$/i.test(backupText)) {
        if (!database)
            throw new index_js_2.InputError('backup', 'needs database-url', 'give database-url or remove backup');
        const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
        const path = /^(true|yes|on|1)$/i.test(backupText)
            ? (0, node_path_1.join)(env.RUNNER_TEMP || (0, node_path_1.join)(workspace, '.run-migrations'), `${database.database}-${stamp}.dump`)
            : (0, node_path_1.isAbsolute)(backupText)
                ? backupText
                : (0, node_path_1.resolve)(workspace, backupText);
        const pgDump = inputs.optional('pg-dump');
        const image = inputs.string('pg-dump-image', { fallback: DEFAULTS.text('pg-dump-image') });
        backup = {
            path,
            ...(pgDump ? { binDir: pgDump.replace(/\/pg_dump$/, '') } : {}),
            image: /^(false|no|off|none)$/i.test(image.trim()) ? '' : image.trim()
        };
    }
    const historyTable = inputs.string('history-table', { fallback: DEFAULTS.text('history-table') });
    (0, db_js_1.parseTableName)(historyTable, 'public'); // refuse a bad name before connecting
    const webhookUrl = inputs.optional('webhook-url');
    if (webhookUrl && !/^https?:\/\//.test(webhookUrl)) {
        throw new index_js_2.InputError('webhook-url', 'is not an http(s) URL', 'give https://… or leave it empty');
    }
    const webhookSecret = inputs.optional('webhook-secret');
    const repository = env.GITHUB_REPOSITORY ?? '';
    return {
        mode,
        ...(database ? { database } : {}),
        migrations,
        dir,
        ...(target !== undefined ? { target } : {}),
        ...(baseline !== undefined ? { baseline } : {}),
        ...(command.length
            ? {
                command,
                commandTimeoutMs: inputs.duration('command-timeout', {
                    fallback: DEFAULTS.text('command-timeout'),
                    positive: true
                }),
                commandCwd: workspace
            }
            : {}),
        ...(backup ? { backup } : {}),
        lockTimeoutMs: inputs.duration('lock-timeout', { fallback: DEFAULTS.text('lock-timeout') }),
        statementTimeoutMs: inputs.duration('statement-timeout', {
            fallback: DEFAULTS.text('statement-timeout')
        }),
        allowOutOfOrder: inputs.boolean('allow-out-of-order', DEFAULTS.flag('allow-out-of-order')),
        historyTable,
        app: inputs.string('app', { fallback: repository.split('/').pop() || 'app' }),
        environment: inputs.string('environment', { fallback: DEFAULTS.text('environment') }),
        ...(webhookUrl
            ? { webhook: { url: webhookUrl, ...(webhookSecret ? { secret: webhookSecret } : {}) } }
            : {})
    };
}


/***/ }),

/***/ 7258:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.apply = apply;
const index_js_1 = __webpack_require__(893);
const backup_js_1 = __webpack_require__(3239);
const execute_js_1 = __webpack_require__(8054);
const files_js_1 = __webpack_require__(5446);
const state_js_1 = __webpack_require__(2892);
/** Run the pending files up to `target`, in order, each recorded and announced as it commits. */
async function apply(run, state) {
    const { options, logger, result } = run;
    (0, state_js_1.preflight)(state, { mode: 'apply', allowOutOfOrder: options.allowOutOfOrder, table: run.table.display });
    const files = (0, state_js_1.selectPending)(state, options.target);
    if (!files.length) {
        logger.info(`Nothing to apply: current version ${state.currentVersion || '(none)'}`);
        if (options.target && state.currentVersion && (0, files_js_1.compareVersions)(options.target, state.currentVersion) < 0) {
            run.warn(`target ${options.target} is below the current version ${state.currentVersion}: apply never goes back; use mode: down`);
        }
        return;
    }
    if (options.backup)
        result.backup = await (0, backup_js_1.takeBackup)(run);
    for (const file of files) {
        run.assertLock();
        const applied = await (0, execute_js_1.applyFile)(run, file);
        result.applied.push(applied);
        const earlier = (0, state_js_1.earlierFailures)(state.versions.find((v) => v.version === file.version), 'up');
        if (earlier.length) {
            result.retried.push({
                version: file.version,
                file: file.file,
                direction: 'up',
                earlierFailures: earlier
            });
        }
        await run.emit(migrationEvent(run, applied));
        logger.info(`✓ ${file.file} (${applied.execution}${applied.statements ? `, ${applied.statements} statements` : ''}, ${(0, index_js_1.formatMs)(applied.durationMs)})${earlier.length ? `; retried: ${(0, state_js_1.describeAttempts)(earlier)}, no repair needed` : ''}`);
    }
}
function migrationEvent(run, m) {
    const { options, deps } = run;
    return (0, index_js_1.makeEvent)('migration.applied', { app: options.app, environment: options.environment, version: m.version }, deps.context, {
        migration: {
            version: m.version,
            name: m.name,
            file: m.file,
            checksum: m.checksum,
            execution: m.execution,
            durationMs: m.durationMs
        },
        database: options.database?.display ?? ''
    });
}


/***/ }),

/***/ 2259:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.adopt = adopt;
const index_js_1 = __webpack_require__(893);
const db_js_1 = __webpack_require__(5059);
const files_js_1 = __webpack_require__(5446);
/**
 * An empty history on a database that is not new: with `baseline`, record the files up to it as applied
 * (apply writes the rows; plan only shows them); without it, refuse when another tool's bookkeeping says
 * the schema is already there, instead of running every file again. Returns the history to go on with.
 */
async function adopt(run) {
    const { work, table, options, logger, result } = run;
    if (!options.baseline) {
        const other = await (0, db_js_1.foreignHistory)(work);
        if (other) {
            throw new index_js_1.MigrationError(`This database was already migrated by ${other.tool} (${other.table}: version ${other.version}${other.dirty === undefined ? '' : other.dirty ? ', DIRTY' : ', clean'}), but ${table.display} is empty: applying would run every file again`, {
                state: 'nothing was changed by this run',
                hint: other.dirty
                    ? `${other.tool} left version ${other.version} half-applied: finish or undo it by hand first, then set baseline: ${other.version} once`
                    : `check that the files up to ${other.version} are the ones that ran, then set baseline: ${other.version} once, to record them as applied without running them`
            });
        }
        return [];
    }
    const base = run.historyBase();
    const files = options.migrations.filter((f) => (0, files_js_1.compareVersions)(f.version, options.baseline) <= 0);
    const rows = [];
    for (const f of files) {
        const row = {
            ...base,
            version: f.version,
            name: f.name,
            script: f.file,
            checksum: f.checksum,
            kind: 'baseline',
            execution: 'none',
            status: 'applied',
            durationMs: 0,
            error: null,
            errorLine: null
        };
        if (options.mode === 'apply')
            await (0, db_js_1.insertHistory)(work, table, row);
        rows.push({ ...row, id: rows.length + 1, appliedAt: new Date().toISOString() });
        result.baselined.push(f.version);
    }
    logger.info(`${options.mode === 'apply' ? 'Baseline recorded' : 'Baseline would record'}: ${files.length} file(s) up to ${options.baseline} as applied, not run`);
    return rows;
}


/***/ }),

/***/ 2867:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.command = command;
const index_js_1 = __webpack_require__(893);
const backup_js_1 = __webpack_require__(3239);
const db_js_1 = __webpack_require__(5059);
const url_js_1 = __webpack_require__(3560);
/** The app's own tool, argv through the Executor, under our lock and with our evidence. */
async function command(run) {
    const { options, logger, result, work, table } = run;
    const argv = options.command;
    const db = options.database;
    const executor = run.deps.commandExecutor ?? run.deps.executor ?? new index_js_1.LocalExecutor();
    if (db && options.backup)
        result.backup = await (0, backup_js_1.takeBackup)(run);
    const local = executor.target === 'local';
    const started = Date.now();
    logger.info(`Running ${(0, index_js_1.formatArgv)(argv)} on ${executor.target}`);
    const scrub = (s) => (db ? (0, url_js_1.redact)(s, db) : s);
    const r = await executor.run({
        argv,
        // Locally the tool finds the database the conventional way; a remote tool reads its own config.
        ...(db && local ? { env: { DATABASE_URL: db.url } } : {}),
        ...(options.commandCwd && local ? { cwd: options.commandCwd } : {}),
        step: 'migration command',
        timeoutMs: options.commandTimeoutMs ?? 30 * 60_000,
        check: false,
        onOutput: (chunk) => {
            for (const line of chunk.replace(/\n$/, '').split('\n'))
                logger.info(scrub(line));
        }
    });
    const durationMs = Date.now() - started;
    result.command = {
        argv,
        target: executor.target,
        exitCode: r.exitCode,
        durationMs,
        stdoutTail: scrub((0, index_js_1.lastLines)(r.stdout, 20)),
        stderrTail: scrub((0, index_js_1.lastLines)(r.stderr, 20))
    };
    const ok = r.exitCode === 0;
    if (work && table) {
        await (0, db_js_1.insertHistory)(work, table, {
            ...run.historyBase(),
            version: options.target ?? '',
            name: (0, index_js_1.formatArgv)(argv).slice(0, 500),
            script: argv[0],
            checksum: null,
            kind: 'command',
            execution: 'command',
            status: ok ? 'applied' : 'failed',
            durationMs,
            error: ok ? null : scrub((0, index_js_1.lastLines)(r.stderr || r.stdout, 20)),
            errorLine: null
        });
    }
    if (!ok) {
        throw new index_js_1.MigrationError(`Migration command \`${(0, index_js_1.formatArgv)(argv)}\` exited ${r.exitCode} on ${executor.target}:\n${scrub((0, index_js_1.lastLines)(r.stderr || r.stdout, 12))}`, {
            state: `whatever the tool changed before failing stays${work ? `; the failure is recorded in ${table?.display}` : ''}`,
            hint: "read the tool's output above; its own status command tells what it applied"
        });
    }
    await run.emit((0, index_js_1.makeEvent)('migration.applied', { app: options.app, environment: options.environment, version: options.target ?? '' }, run.deps.context, { command: argv, target: executor.target, durationMs, database: db?.display ?? '' }));
}


/***/ }),

/***/ 6244:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.down = down;
const index_js_1 = __webpack_require__(893);
const backup_js_1 = __webpack_require__(3239);
const execute_js_1 = __webpack_require__(8054);
const files_js_1 = __webpack_require__(5446);
const state_js_1 = __webpack_require__(2892);
/** Walk back to `target` (kept) with the down files, newest first; refused whole when one is missing. */
async function down(run, state) {
    const { options, logger, result } = run;
    (0, state_js_1.preflight)(state, { mode: 'down', allowOutOfOrder: true, table: run.table.display });
    const target = options.target ?? '';
    const revert = state.applied
        .filter((v) => (0, files_js_1.compareVersions)(v.version, target) > 0)
        .sort((a, b) => (0, files_js_1.compareVersions)(b.version, a.version));
    const missing = revert.filter((v) => !v.file?.down);
    if (missing.length) {
        throw new index_js_1.MigrationError(`Cannot walk back to ${target}: no down file for ${missing
            .map((v) => `version ${v.version} (${v.file?.file ?? v.row?.script ?? v.name})`)
            .join(', ')}`, {
            state: 'nothing was changed by this run',
            hint: 'add U<version>__<name>.sql or <version>_<name>.down.sql files, or choose a later target'
        });
    }
    if (!revert.length) {
        logger.info(`Nothing to revert: current version ${state.currentVersion || '(none)'} is not above ${target}`);
        return;
    }
    if (options.backup)
        result.backup = await (0, backup_js_1.takeBackup)(run);
    for (const v of revert) {
        run.assertLock();
        const done = await (0, execute_js_1.revertFile)(run, v.file);
        result.reverted.push(done);
        const earlier = (0, state_js_1.earlierFailures)(v, 'down');
        if (earlier.length) {
            result.retried.push({
                version: v.version,
                file: done.file,
                direction: 'down',
                earlierFailures: earlier
            });
        }
        logger.info(`↩ ${v.file.down.file} (${done.execution}, ${(0, index_js_1.formatMs)(done.durationMs)})${earlier.length ? `; retried: ${(0, state_js_1.describeAttempts)(earlier)}, no repair needed` : ''}`);
    }
}


/***/ }),

/***/ 5987:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.plan = plan;
const state_js_1 = __webpack_require__(2892);
/** What apply would run, with its SQL; changes nothing, not even the history table. */
async function plan(run, state) {
    const { options, logger } = run;
    (0, state_js_1.preflight)(state, { mode: 'plan', allowOutOfOrder: options.allowOutOfOrder, table: run.table.display });
    const files = (0, state_js_1.selectPending)(state, options.target);
    run.result.plan = files.map((f) => ({
        version: f.version,
        name: f.name,
        file: f.file,
        execution: f.transactional ? 'transaction' : 'no-transaction',
        sql: f.sql
    }));
    logger.info(files.length ? `${files.length} migration(s) would run:` : 'Nothing to apply: up to date');
    for (const f of files) {
        await logger.group(`${f.file} (${f.transactional ? 'in a transaction' : 'no transaction'})`, async () => logger.info(f.sql));
    }
}


/***/ }),

/***/ 5229:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.repair = repair;
const db_js_1 = __webpack_require__(5059);
const state_js_1 = __webpack_require__(2892);
/**
 * Clear recorded failures (the record stays; a new row marks it repaired) and realign drifted checksums
 * to the files on disk. Never runs a migration.
 */
async function repair(run, state) {
    const { work, table, logger, result } = run;
    const base = run.historyBase();
    for (const v of state.failed) {
        const r = v.row;
        // A failed up leaves the version pending (the next apply re-runs it); a failed down leaves it applied.
        await (0, db_js_1.insertHistory)(work, table, {
            ...base,
            version: v.version,
            name: v.name,
            script: v.file?.file ?? r.script,
            checksum: r.kind === 'down' ? (v.file?.checksum ?? r.checksum) : r.checksum,
            kind: 'repair',
            execution: 'none',
            status: r.kind === 'down' ? 'applied' : 'repaired',
            durationMs: 0,
            error: `repaired failure of row ${r.id}: ${(0, state_js_1.firstLine)(r.error ?? '')}`,
            errorLine: r.errorLine
        });
        result.repaired.push({ version: v.version, file: v.file?.file ?? r.script, action: 'failure-cleared' });
        logger.info(`repaired: failure of ${v.file?.file ?? r.script} (row ${r.id}) cleared; the record stays`);
    }
    for (const v of state.drifted) {
        await (0, db_js_1.insertHistory)(work, table, {
            ...base,
            version: v.version,
            name: v.name,
            script: v.file.file,
            checksum: v.file.checksum,
            kind: 'repair',
            execution: 'none',
            status: 'applied',
            durationMs: 0,
            error: `checksum realigned from ${v.recordedChecksum}`,
            errorLine: null
        });
        result.repaired.push({ version: v.version, file: v.file.file, action: 'checksum-realigned' });
        logger.info(`repaired: checksum of ${v.file.file} realigned to the file on disk`);
    }
    if (!result.repaired.length)
        logger.info('Nothing to repair');
}


/***/ }),

/***/ 8574:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.status = status;
/** Report only: the counts here, the table of every version in the result (engine finalState). */
function status(run, state) {
    run.logger.info(`${state.applied.length} applied, ${state.pending.length} pending, ${state.failed.length} failed, ${state.drifted.length} drifted; current version ${state.currentVersion || '(none)'}`);
    return Promise.resolve();
}


/***/ }),

/***/ 846:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.serverMajor = void 0;
exports.pgDumpMajor = pgDumpMajor;
exports.choosePgDump = choosePgDump;
exports.findPgDumps = findPgDumps;
exports.dockerPgDumpArgv = dockerPgDumpArgv;
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
/** `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → 15; `9.6.24` → 9. */
function pgDumpMajor(versionOutput) {
    const m = /\(PostgreSQL\)\s+(\d+)/.exec(versionOutput);
    return m ? Number(m[1]) : undefined;
}
/** 150004 → 15; 90624 → 9. */
const serverMajor = (versionNum) => Math.floor(versionNum / 10_000);
exports.serverMajor = serverMajor;
/**
 * found: the candidates in order of preference (the `pg-dump` input alone when it is given). image: the
 * `pg-dump-image` input with `{major}` in it, or '' for none.
 */
function choosePgDump(options) {
    const { serverMajor: major, found } = options;
    const match = found.find((f) => f.major === major);
    if (match)
        return { kind: 'local', path: match.path, major };
    const seen = found.length
        ? found
            .map((f) => `${f.path} (${f.major === undefined ? 'did not run' : `version ${f.major}`})`)
            .join(', ')
        : 'none';
    const state = 'nothing was applied';
    if (options.explicit)
        throw new index_js_1.MigrationError(`Backup refused: input pg-dump must be a pg_dump of the server's major version; the server runs PostgreSQL ${options.serverVersion} (major ${major}), the given pg_dump is ${seen}`, {
            state,
            hint: `point pg-dump at a PostgreSQL ${major} client (e.g. /usr/lib/postgresql/${major}/bin), or remove pg-dump to use pg-dump-image`
        });
    if (options.image)
        return { kind: 'image', image: options.image.split('{major}').join(String(major)), major };
    throw new index_js_1.MigrationError(`Backup refused: no pg_dump of the server's major version; the server runs PostgreSQL ${options.serverVersion} (major ${major}), pg_dump found: ${seen}, and pg-dump-image is none`, {
        state,
        hint: `install postgresql-client-${major} on the runner, or give pg-dump, or set pg-dump-image (postgres:{major}) to run it in a container`
    });
}
/** The candidates: the given one, else the server's major in Debian's layout, then pg_dump on PATH. */
async function findPgDumps(executor, options) {
    // Tried through the executor, not the local file system: it says where pg_dump will run.
    const paths = options.binDir
        ? [(0, node_path_1.join)(options.binDir, 'pg_dump')]
        : [`/usr/lib/postgresql/${options.serverMajor}/bin/pg_dump`, 'pg_dump'];
    const found = [];
    for (const path of paths) {
        let major;
        try {
            const r = await executor.run({
                argv: [path, '--version'],
                step: 'pg_dump --version',
                timeoutMs: 30_000
            });
            major = pgDumpMajor(r.stdout);
        }
        catch {
            major = undefined;
        }
        found.push({ path, major });
    }
    return found;
}
/**
 * pg_dump in the image, on the host's network, writing the file as the runner's user into the same path.
 * The libpq variables are passed by name only (`-e PGPASSWORD`): their values stay in the environment.
 */
function dockerPgDumpArgv(image, file, envNames, user) {
    const dir = (0, node_path_1.dirname)(file);
    return [
        'docker',
        'run',
        '--rm',
        '--network',
        'host',
        '--user',
        `${user.uid}:${user.gid}`,
        '--volume',
        `${dir}:${dir}`,
        ...envNames.flatMap((n) => ['--env', n]),
        image,
        'pg_dump',
        '--format=custom',
        '--no-password',
        '--file',
        file
    ];
}


/***/ }),

/***/ 7964:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.MigrationRun = void 0;
exports.applicationName = applicationName;
exports.emptyResult = emptyResult;
exports.resetSession = resetSession;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(1507);
/** What the lock holder shows in pg_stat_activity, so a waiting run can name who it waits for. */
function applicationName(context) {
    const who = context.runId
        ? `${context.repository || 'run'} run ${context.runId}/${context.runAttempt || '1'}`
        : `by ${context.actor}`;
    return `run-migrations ${who}`.slice(0, 63);
}
function emptyResult(options) {
    return {
        mode: options.mode,
        outcome: 'success',
        startedAt: new Date().toISOString(),
        durationMs: 0,
        applied: [],
        reverted: [],
        pending: [],
        currentVersion: '',
        plan: [],
        status: [],
        repaired: [],
        retried: [],
        baselined: [],
        events: [],
        warnings: []
    };
}
/**
 * One run of one mode against one database: its options, its dependencies, the result it builds, and,
 * once connected, the working session and the history table. Mode files take this object and add to
 * its result; nothing else is passed around.
 */
class MigrationRun {
    options;
    deps;
    result;
    logger;
    /** The working session (files run here); undefined for a command run without a database. */
    work;
    table;
    /** The lock's own connection ended: no further file may start. */
    lockLost = false;
    sink;
    constructor(options, deps) {
        this.options = options;
        this.deps = deps;
        this.result = emptyResult(options);
        this.logger = deps.logger;
        const webhook = options.webhook;
        this.sink =
            deps.onEvent ??
                (webhook
                    ? (event) => (0, index_js_2.deliverEvent)(event, { ...webhook, logger: deps.logger }).then(() => undefined)
                    : undefined);
    }
    warn(message) {
        this.result.warnings.push(message);
        this.logger.warning(message);
    }
    /** The run once connected: the session and table are there. */
    connected() {
        if (!this.work || !this.table)
            throw new index_js_1.MigrationError('internal: no database session for this mode');
        return this;
    }
    /** Before each file: the lock lives as long as its connection; without it, another run could start. */
    assertLock() {
        if (this.lockLost) {
            throw new index_js_1.LockError(`Lost the migration lock: its connection to ${this.options.database?.display ?? 'the database'} was closed`, {
                state: 'the files listed as applied are committed and recorded; no further file was started',
                hint: 'find out why the connection was cut (server restart, pg_terminate_backend, network), then run again'
            });
        }
    }
    /** Who and where, on every history row this run writes. */
    historyBase() {
        return { appliedBy: this.deps.context.actor, runUrl: this.deps.context.runUrl };
    }
    /** Into the evidence, and to the sink as it happens. */
    async emit(event) {
        this.result.events.push(event);
        if (!this.sink)
            return;
        try {
            await this.sink(event);
        }
        catch (err) {
            this.warn(err instanceof index_js_1.DeployActionsError ? err.message : String(err));
        }
    }
}
exports.MigrationRun = MigrationRun;
/** Every file starts from the same session: what one file SETs does not leak into the next. */
async function resetSession(work, options) {
    await work.query(`RESET ALL; SET statement_timeout = ${Math.max(0, Math.floor(options.statementTimeoutMs))}`);
}


/***/ }),

/***/ 765:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.splitStatements = splitStatements;
exports.lineAt = lineAt;
exports.positionToLine = positionToLine;
exports.codePointsBefore = codePointsBefore;
function splitStatements(sql) {
    const out = [];
    let start = 0;
    let i = 0;
    const n = sql.length;
    // Word tracking for BEGIN ATOMIC bodies: only inside CREATE … FUNCTION/PROCEDURE statements.
    let words = [];
    let depth = 0;
    let parens = 0;
    let line = 1;
    let lineOffset = 0;
    const push = (end) => {
        const raw = sql.slice(start, end);
        if (stripComments(raw).trim() !== '') {
            const lead = leadingNoise(raw);
            const offset = start + lead;
            // Counted on from the previous statement: a large seed file must not cost lines × statements.
            line += countNewlines(sql, lineOffset, offset);
            lineOffset = offset;
            out.push({ text: raw.slice(lead).trimEnd(), offset, line });
        }
        start = end + 1;
        words = [];
        depth = 0;
        parens = 0;
    };
    while (i < n) {
        const c = sql[i];
        const next = sql[i + 1];
        if (c === '-' && next === '-') {
            const eol = sql.indexOf('\n', i);
            i = eol === -1 ? n : eol + 1;
        }
        else if (c === '/' && next === '*') {
            let level = 1;
            i += 2;
            while (i < n && level > 0) {
                if (sql[i] === '/' && sql[i + 1] === '*') {
                    level++;
                    i += 2;
                }
                else if (sql[i] === '*' && sql[i + 1] === '/') {
                    level--;
                    i += 2;
                }
                else
                    i++;
            }
        }
        else if (c === "'") {
            const escapes = /[eE]/.test(sql[i - 1] ?? '') && !/[\w$]/.test(sql[i - 2] ?? '');
            i++;
            while (i < n) {
                if (escapes && sql[i] === '\\')
                    i += 2;
                else if (sql[i] === "'" && sql[i + 1] === "'")
                    i += 2;
                else if (sql[i] === "'")
                    break;
                else
                    i++;
            }
            i++;
        }
        else if (c === '"') {
            i++;
            while (i < n) {
                if (sql[i] === '"' && sql[i + 1] === '"')
                    i += 2;
                else if (sql[i] === '"')
                    break;
                else
                    i++;
            }
            i++;
        }
        else if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? '')) {
            const tag = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64));
            if (tag) {
                const close = sql.indexOf(tag[0], i + tag[0].length);
                i = close === -1 ? n : close + tag[0].length;
            }
            else
                i++;
        }
        else if (/[A-Za-z_]/.test(c) && !/[\w$]/.test(sql[i - 1] ?? '')) {
            const m = /^[A-Za-z_][\w$]*/.exec(sql.slice(i, i + 64));
            const word = m[0].toLowerCase();
            i += m[0].length;
            if (words.length < 8)
                words.push(word);
            const routine = words[0] === 'create' && (words.includes('function') || words.includes('procedure'));
            if (routine) {
                if (word === 'begin' || word === 'case')
                    depth++;
                else if (word === 'end' && depth > 0)
                    depth--;
            }
        }
        else if (c === '(') {
            parens++;
            i++;
        }
        else if (c === ')') {
            if (parens > 0)
                parens--;
            i++;
        }
        else if (c === ';') {
            // As psql: not inside parentheses (CREATE RULE … DO ALSO (a; b)) nor a BEGIN ATOMIC body.
            if (depth === 0 && parens === 0)
                push(i);
            i++;
        }
        else
            i++;
    }
    push(n);
    return out;
}
/** Length of the whitespace and comments before a statement's first token. */
function leadingNoise(text) {
    let i = 0;
    for (;;) {
        while (i < text.length && /\s/.test(text[i]))
            i++;
        if (text.startsWith('--', i)) {
            const eol = text.indexOf('\n', i);
            i = eol === -1 ? text.length : eol + 1;
        }
        else if (text.startsWith('/*', i)) {
            let level = 1;
            i += 2;
            while (i < text.length && level > 0) {
                if (text.startsWith('/*', i)) {
                    level++;
                    i += 2;
                }
                else if (text.startsWith('*/', i)) {
                    level--;
                    i += 2;
                }
                else
                    i++;
            }
        }
        else
            return i;
    }
}
function stripComments(text) {
    return text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}
function countNewlines(text, from, to) {
    let n = 0;
    for (let i = from; i < to; i++)
        if (text.charCodeAt(i) === 10)
            n++;
    return n;
}
/** 1-based line of a 0-based character offset. */
function lineAt(text, offset) {
    let line = 1;
    for (let i = 0; i < offset && i < text.length; i++)
        if (text.charCodeAt(i) === 10)
            line++;
    return line;
}
/**
 * PostgreSQL reports `position` as a 1-based count of characters (code points) into the query it was
 * sent. Returns the 1-based line and column in `text`, and the line's text.
 */
function positionToLine(text, position) {
    const chars = Array.from(text);
    const index = Math.max(0, Math.min(position - 1, chars.length));
    const before = chars.slice(0, index).join('');
    const lines = before.split('\n');
    const line = lines.length;
    const column = Array.from(lines[lines.length - 1] ?? '').length + 1;
    const lineText = text.split('\n')[line - 1] ?? '';
    return { line, column, lineText };
}
/** UTF-16 offset of a code-point offset (statement offsets are UTF-16, server positions code points). */
function codePointsBefore(text, utf16Offset) {
    return Array.from(text.slice(0, utf16Offset)).length;
}


/***/ }),

/***/ 2892:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.isCleanFailure = isCleanFailure;
exports.computeState = computeState;
exports.preflight = preflight;
exports.firstLine = firstLine;
exports.selectPending = selectPending;
exports.earlierFailures = earlierFailures;
exports.describeAttempts = describeAttempts;
const index_js_1 = __webpack_require__(893);
const files_js_1 = __webpack_require__(5446);
/**
 * A failure that left nothing behind: the file ran in a transaction, which rolled back, and the failure
 * row was written after the rollback. Like Flyway on PostgreSQL, such an attempt does not need a person:
 * the next run simply runs the (fixed) file again. A no-transaction file's failure may have left some of
 * its statements in effect, so it stays the version's state until `mode: repair` clears it.
 */
function isCleanFailure(row) {
    return (row.status === 'failed' && row.execution === 'transaction' && (row.kind === 'up' || row.kind === 'down'));
}
function computeState(files, history) {
    /** The latest row that changed the version's state (clean failures do not). */
    const latest = new Map();
    const attempts = new Map();
    /** The checksum that is live for a version: from its latest `applied` row. */
    const liveChecksum = new Map();
    for (const row of [...history].sort((a, b) => a.id - b.id)) {
        if (row.kind === 'command')
            continue;
        if (isCleanFailure(row)) {
            attempts.set(row.version, [...(attempts.get(row.version) ?? []), row]);
            continue;
        }
        latest.set(row.version, row);
        attempts.delete(row.version);
        if (row.status === 'applied')
            liveChecksum.set(row.version, row.checksum);
    }
    const versions = [];
    const seen = new Set();
    for (const file of files) {
        seen.add(file.version);
        const row = latest.get(file.version);
        const state = row?.status === 'applied' ? 'applied' : row?.status === 'failed' ? 'failed' : 'pending';
        const recorded = liveChecksum.get(file.version) ?? undefined;
        versions.push({
            version: file.version,
            name: file.name,
            file,
            state,
            ...(row ? { row } : {}),
            ...(state === 'applied' && recorded ? { recordedChecksum: recorded } : {}),
            drifted: state === 'applied' && !!recorded && recorded !== file.checksum,
            outOfOrder: false,
            failedAttempts: attempts.get(file.version) ?? []
        });
    }
    for (const [version, row] of latest) {
        if (seen.has(version) || row.status === 'reverted' || row.status === 'repaired')
            continue;
        versions.push({
            version,
            name: row.name,
            state: row.status === 'failed' ? 'failed' : 'applied',
            row,
            ...(row.checksum ? { recordedChecksum: row.checksum } : {}),
            drifted: false,
            outOfOrder: false,
            failedAttempts: attempts.get(version) ?? []
        });
    }
    versions.sort((a, b) => (0, files_js_1.compareVersions)(a.version, b.version));
    const applied = versions.filter((v) => v.state === 'applied');
    const currentVersion = applied.length ? applied[applied.length - 1].version : '';
    for (const v of versions) {
        if (v.state === 'pending' && currentVersion && (0, files_js_1.compareVersions)(v.version, currentVersion) < 0) {
            v.outOfOrder = true;
        }
    }
    return {
        versions,
        applied,
        pending: versions.filter((v) => v.state === 'pending'),
        failed: versions.filter((v) => v.state === 'failed'),
        drifted: versions.filter((v) => v.drifted),
        outOfOrder: versions.filter((v) => v.outOfOrder),
        missingFiles: applied.filter((v) => !v.file),
        currentVersion
    };
}
const label = (v) => (v.file ? v.file.file : v.row ? v.row.script : `version ${v.version}`);
/**
 * The refusals of the pre-flight, first problem class first. `apply`/`plan` check everything; `down`
 * skips out-of-order (it does not run up files).
 */
function preflight(state, options) {
    if (state.failed.length) {
        const lines = state.failed.map((v) => {
            const r = v.row;
            const where = r.errorLine ? ` at line ${r.errorLine}` : '';
            return `${r.script} (${r.kind}) failed${where} on ${r.appliedAt} by ${r.appliedBy}${r.runUrl ? ` in ${r.runUrl}` : ''}: ${firstLine(r.error ?? '')}`;
        });
        throw new index_js_1.MigrationError(`An earlier run failed and is recorded in ${options.table}:\n${lines.join('\n')}`, {
            state: 'nothing was changed by this run',
            hint: `the file ran without a transaction, so the statements before the failing one took effect and stay (a failed CREATE INDEX CONCURRENTLY leaves an INVALID index: DROP INDEX CONCURRENTLY it); undo or complete them and fix the file, then run this action with mode: repair, which marks the failure repaired (the record stays) so the next apply runs the file again`
        });
    }
    if (state.drifted.length) {
        const lines = state.drifted.map((v) => `${label(v)}: applied with sha256 ${v.recordedChecksum}, the file now has ${v.file.checksum}`);
        throw new index_js_1.MigrationError(`Applied migration files were changed after they ran (checksum drift):\n${lines.join('\n')}`, {
            state: 'nothing was changed by this run',
            hint: 'restore the files to what ran (git log -p on them) and put the change in a new migration; if the edit is harmless (a comment, whitespace), accept it with mode: repair'
        });
    }
    if (options.mode !== 'down' && state.outOfOrder.length && !options.allowOutOfOrder) {
        const lines = state.outOfOrder.map((v) => `${label(v)} (version ${v.version})`);
        throw new index_js_1.MigrationError(`Pending migrations are older than the current version ${state.currentVersion}:\n${lines.join('\n')}`, {
            state: 'nothing was changed by this run',
            hint: 'give the files versions above the current one (e.g. a timestamp), or set allow-out-of-order: true if they are independent of the newer ones (typical after merging two branches)'
        });
    }
}
function firstLine(text) {
    return text.split('\n')[0] ?? '';
}
/** The pending files apply runs (and plan shows), up to and including `target`. */
function selectPending(state, target) {
    return state.pending
        .filter((v) => v.file && (!target || (0, files_js_1.compareVersions)(v.version, target) <= 0))
        .map((v) => v.file);
}
/** The earlier clean failures of a version in one direction, as evidence for the run that retries it. */
function earlierFailures(v, direction) {
    return (v?.failedAttempts ?? [])
        .filter((r) => r.kind === direction)
        .map((r) => ({
        at: r.appliedAt,
        by: r.appliedBy,
        runUrl: r.runUrl,
        ...(r.errorLine ? { line: r.errorLine } : {}),
        error: firstLine(r.error ?? '')
    }));
}
/** "the failed attempt of <when> by <who> (line n)", for the log. */
function describeAttempts(attempts) {
    const last = attempts[attempts.length - 1];
    const more = attempts.length > 1 ? `${attempts.length} failed attempts, the last` : 'the failed attempt';
    return `${more} of ${last.at} by ${last.by}${last.line ? ` (line ${last.line})` : ''} rolled back`;
}


/***/ }),

/***/ 7577:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.evidenceJson = evidenceJson;
exports.migrationSummary = migrationSummary;
const index_js_1 = __webpack_require__(893);
const MAX_EVENTS = 50;
/** The `evidence` output: the result as plain JSON, the error as its person-facing text. */
function evidenceJson(result) {
    const { error, ...rest } = result;
    return {
        ...rest,
        // Each event repeats the file's facts; past a few dozen only their count is worth the output's size.
        events: result.events.length > MAX_EVENTS ? result.events.slice(-MAX_EVENTS) : result.events,
        ...(result.events.length > MAX_EVENTS ? { eventsTotal: result.events.length } : {}),
        // The SQL of a plan can be long; the summary shows it, the evidence keeps what and how.
        plan: result.plan.map((p) => ({ ...p, sql: p.sql.length > 2000 ? `${p.sql.slice(0, 2000)}…` : p.sql })),
        ...(error
            ? { error: { kind: error.kind, message: error.message, state: error.state, hint: error.hint } }
            : {})
    };
}
/** A titled table, or nothing when there are no rows. */
function section(title, headers, rows) {
    return rows.length ? [`${title}\n`, (0, index_js_1.table)(headers, rows)] : [];
}
/** The job summary: outcome, server, a table of what ran (or would run, or the status), the failure. */
function migrationSummary(result) {
    const out = [];
    const icon = result.outcome === 'success' ? '✅' : '❌';
    out.push(`### ${icon} run-migrations ${result.mode}: ${result.outcome}\n`);
    const facts = [];
    if (result.database)
        facts.push(['database', result.database.display]);
    if (result.server)
        facts.push(['server', `PostgreSQL ${result.server.version}`]);
    if (result.historyTable)
        facts.push(['history table', result.historyTable]);
    if (result.lock) {
        facts.push([
            'lock',
            `advisory ${result.lock.key}${result.lock.attempts > 1 ? `, waited ${(0, index_js_1.formatMs)(result.lock.waitedMs)}` : ''}`
        ]);
    }
    facts.push(['current version', result.currentVersion || '(none)']);
    facts.push(['pending', result.pending.length ? result.pending.join(', ') : 'none']);
    if (result.backup)
        facts.push(['backup', `${result.backup.path} (${result.backup.bytes} bytes)`]);
    if (result.command) {
        facts.push([
            'command',
            `\`${result.command.argv.join(' ')}\` on ${result.command.target}: exit ${result.command.exitCode}`
        ]);
    }
    facts.push(['duration', (0, index_js_1.formatMs)(result.durationMs)]);
    out.push((0, index_js_1.table)(['', ''], facts));
    out.push(...section('**Applied**', ['version', 'file', 'execution', 'duration', 'sha256'], result.applied.map((a) => [
        a.version,
        a.file,
        a.execution,
        (0, index_js_1.formatMs)(a.durationMs),
        a.checksum.slice(0, 12)
    ])), ...section('**Retried after a failed attempt** (each rolled back and left nothing, so no repair was needed)', ['version', 'file', 'earlier failed attempts', 'last failure'], result.retried.map((r) => {
        const last = r.earlierFailures[r.earlierFailures.length - 1];
        return [
            r.version,
            r.direction === 'up' ? r.file : `${r.file} (down)`,
            String(r.earlierFailures.length),
            `${last.at} by ${last.by}${last.line ? `, line ${last.line}` : ''}: ${last.error}`
        ];
    })), ...section('**Reverted**', ['version', 'down file', 'execution', 'duration'], result.reverted.map((a) => [a.version, a.file, a.execution, (0, index_js_1.formatMs)(a.durationMs)])), ...section('**Repaired**', ['version', 'file', 'action'], result.repaired.map((r) => [r.version, r.file, r.action])));
    if (result.baselined.length) {
        out.push(`**Baseline**: recorded as applied without running: ${result.baselined.join(', ')}\n`);
    }
    if (result.mode === 'plan') {
        out.push(result.plan.length ? `**Would apply ${result.plan.length}**\n` : 'Nothing to apply.\n');
        for (const p of result.plan)
            out.push((0, index_js_1.details)(`${p.file} (${p.execution})`, (0, index_js_1.codeBlock)(p.sql, 'sql')));
    }
    out.push(...section('**Status**', ['version', 'file', 'state', 'applied at', 'by', 'note'], result.status.map((s) => [
        s.version,
        s.file,
        s.state,
        s.appliedAt ?? '',
        s.appliedBy ?? '',
        [
            s.drifted ? 'checksum drift' : '',
            s.outOfOrder ? 'out of order' : '',
            s.fileMissing ? 'file missing' : '',
            s.failedAttempts ? `${s.failedAttempts} failed attempt(s) rolled back` : '',
            s.error ? (s.error.split('\n')[0] ?? '') : ''
        ]
            .filter(Boolean)
            .join('; ')
    ])));
    if (result.error) {
        out.push(`**Error**\n`);
        out.push((0, index_js_1.codeBlock)(result.error.describe()));
    }
    for (const w of result.warnings)
        out.push(`> ⚠️ ${w}\n`);
    return out.join('\n');
}


/***/ }),

/***/ 3176:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));


/***/ }),

/***/ 3560:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.parseDatabaseUrl = parseDatabaseUrl;
exports.libpqEnv = libpqEnv;
exports.redact = redact;
const index_js_1 = __webpack_require__(893);
function parseDatabaseUrl(url, input = 'database-url') {
    let u;
    try {
        // `postgresql://user@/db?host=/socket/dir` (libpq's form for a Unix socket) has an empty host,
        // which WHATWG URL refuses after userinfo; the host= parameter supplies it anyway.
        u = new URL(/[?&]host=/.test(url) ? url.replace(/@\//, '@localhost/') : url);
    }
    catch {
        // Never echo the value: it may be a URL with a password that merely failed to parse.
        throw new index_js_1.InputError(input, 'is not a URL', 'give postgres://user:password@host:5432/database (percent-encode special characters in the password)');
    }
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
        throw new index_js_1.InputError(input, `has scheme "${u.protocol}", not postgres: or postgresql:`, 'give postgres://user:password@host:5432/database');
    }
    const decode = (s) => {
        try {
            return decodeURIComponent(s);
        }
        catch {
            return s;
        }
    };
    const socketHost = u.searchParams.get('host');
    const host = socketHost || decode(u.hostname).replace(/^\[|\]$/g, '') || 'localhost';
    const portParam = u.searchParams.get('port');
    const port = u.port ? Number(u.port) : portParam && /^\d+$/.test(portParam) ? Number(portParam) : 5432;
    const user = decode(u.username) || process.env.PGUSER || 'postgres';
    const password = decode(u.password);
    const database = decode(u.pathname.replace(/^\//, '')) || user;
    const sslmode = u.searchParams.get('sslmode') ?? undefined;
    const display = `postgres://${encodeURIComponent(user)}${password ? ':***' : ''}@${socketHost ? `[${socketHost}]` : u.host}/${encodeURIComponent(database)}`;
    return { url, host, port, database, user, password, display, ...(sslmode ? { sslmode } : {}) };
}
/** libpq environment for pg_dump/psql/pg_restore: the password travels here, never in argv. */
function libpqEnv(target, database = target.database) {
    const env = {
        PGHOST: target.host,
        PGPORT: String(target.port),
        PGUSER: target.user,
        PGDATABASE: database
    };
    if (target.password)
        env.PGPASSWORD = target.password;
    if (target.sslmode)
        env.PGSSLMODE = target.sslmode;
    return env;
}
/** Remove the password (raw and percent-encoded) and the full URL from any text. */
function redact(text, target) {
    let out = text.split(target.url).join('***');
    for (const s of [target.password, encodeURIComponent(target.password)]) {
        if (s && s.length >= 3)
            out = out.split(s).join('***');
    }
    return out;
}


/***/ }),

/***/ 966:
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
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
var __exportStar = (this && this.__exportStar) || function(m, exports) {
    for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
};
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.RegistryClient = void 0;
const http = __importStar(__webpack_require__(7067));
const https = __importStar(__webpack_require__(4708));
const index_js_1 = __webpack_require__(893);
const reference_js_1 = __webpack_require__(420);
const oci_js_1 = __webpack_require__(4352);
__exportStar(__webpack_require__(4352), exports);
/**
 * A Registry HTTP API v2 client with no daemon behind it: basic auth and the Bearer token flow
 * (WWW-Authenticate realm/service/scope), retries with backoff on 429 (Retry-After honoured), 5xx and
 * network errors, and byte counters. Manifests are read whole (they are small); blobs are streams.
 */
class RegistryClient {
    options;
    registry;
    base;
    stats = { requests: 0, retries: 0, bytesUp: 0, bytesDown: 0 };
    tokens = new Map();
    basic = false;
    retries;
    backoffMs;
    maxBackoffMs;
    /** Keep-alive connections for blob streams (node:http: piped streams, no web-stream overhead). */
    agent;
    constructor(options) {
        this.options = options;
        this.registry = options.registry;
        const scheme = options.scheme ?? ((0, oci_js_1.isLoopback)(options.registry) ? 'http' : 'https');
        this.base = `${scheme}://${(0, reference_js_1.apiHost)(options.registry)}`;
        this.retries = options.retries ?? 5;
        this.backoffMs = options.backoffMs ?? 500;
        this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
        this.agent =
            scheme === 'https' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    }
    get who() {
        return this.options.credentials ? `user '${this.options.credentials.username}'` : 'anonymous access';
    }
    basicHeader() {
        const c = this.options.credentials;
        return c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : undefined;
    }
    /** The Authorization header for a scope, as far as we already know it. */
    authorization(scope) {
        return this.tokens.get(scope) ?? (this.basic ? this.basicHeader() : undefined);
    }
    /** Answer a 401 challenge: remember basic auth, or fetch a Bearer token for the scope. */
    async authenticate(challenge, scope) {
        const { scheme, params } = (0, oci_js_1.parseChallenge)(challenge ?? 'Basic');
        if (scheme === 'basic') {
            if (!this.options.credentials) {
                throw new index_js_1.RegistryError(`${this.registry} asks for credentials and none were given`, {
                    status: 401,
                    state: 'nothing was pushed',
                    hint: `give a username and password for ${this.registry} (or a docker config.json entry)`
                });
            }
            this.basic = true;
            return;
        }
        if (scheme !== 'bearer' || !params.realm) {
            throw new index_js_1.RegistryError(`${this.registry} sent an auth challenge this client cannot answer: ${challenge}`);
        }
        const url = new URL(params.realm);
        if (params.service)
            url.searchParams.set('service', params.service);
        const scopes = new Set([...scope.split(' '), ...(params.scope ?? '').split(' ')].filter(Boolean));
        for (const s of scopes)
            url.searchParams.append('scope', s);
        const headers = {};
        const basic = this.basicHeader();
        if (basic)
            headers.authorization = basic;
        let res;
        for (let attempt = 0;; attempt++) {
            this.stats.requests++;
            try {
                res = await fetch(url, { headers });
            }
            catch (err) {
                if (attempt < this.retries) {
                    await this.pause(attempt, null, `token request to ${url.host}`, 'network error');
                    continue;
                }
                throw new index_js_1.RegistryError(`token server ${url.host} is unreachable: ${err.message}`, {
                    cause: err,
                    state: 'nothing was pushed'
                });
            }
            if ((0, oci_js_1.isRetryableStatus)(res.status) && attempt < this.retries) {
                await res.arrayBuffer().catch(() => undefined);
                await this.pause(attempt, res.headers.get('retry-after'), `token request to ${url.host}`, res.status);
                continue;
            }
            break;
        }
        if (!res.ok) {
            throw new index_js_1.RegistryError(`${this.registry}: the token server ${url.host} refused ${this.who} (HTTP ${res.status}) for ${[...scopes].join(' ') || 'login'}`, {
                status: res.status,
                state: 'nothing was pushed',
                hint: 'check the username and password or token (for ghcr.io the job needs `permissions: packages: write`)'
            });
        }
        const body = (await res.json());
        const token = body.token ?? body.access_token;
        if (!token)
            throw new index_js_1.RegistryError(`${this.registry}: the token server ${url.host} returned no token`);
        this.options.logger?.secret(token);
        this.tokens.set(scope, `Bearer ${token}`);
    }
    async pause(attempt, retryAfter, what, why) {
        const exp = Math.min(this.backoffMs * 2 ** attempt, this.maxBackoffMs);
        const wait = Math.min((0, oci_js_1.retryAfterMs)(retryAfter) ?? exp * (0.5 + Math.random() / 2), this.maxBackoffMs);
        this.stats.retries++;
        this.options.logger?.info(`${this.registry}: ${what} got ${why}; retry ${attempt + 1}/${this.retries} in ${Math.round(wait)} ms`);
        await (0, oci_js_1.sleep)(wait);
    }
    url(path) {
        return /^https?:\/\//.test(path) ? path : `${this.base}${path}`;
    }
    /** Resolve a Location header against the registry. */
    resolve(location) {
        return new URL(location, this.base).toString();
    }
    /**
     * One request with auth and retries (429 with Retry-After, 5xx, network errors). Answers 401/403 after
     * authenticating with a RegistryError that names the user; every other status is the caller's.
     */
    async request(method, path, opts) {
        let authenticated = false;
        for (let attempt = 0;; attempt++) {
            const headers = { ...opts.headers };
            const auth = this.authorization(opts.scope);
            if (auth)
                headers.authorization = auth;
            this.stats.requests++;
            let res;
            try {
                res = await fetch(this.url(path), {
                    method,
                    headers,
                    body: opts.body,
                    redirect: opts.redirect ?? 'follow'
                });
            }
            catch (err) {
                if (attempt < this.retries) {
                    await this.pause(attempt, null, `${method} ${(0, oci_js_1.shortPath)(path)}`, (0, oci_js_1.describeCause)(err));
                    continue;
                }
                throw new index_js_1.RegistryError(`${method} ${this.url(path)} failed: ${(0, oci_js_1.describeCause)(err)} (after ${attempt + 1} tries)`, { cause: err, hint: `check that ${this.registry} is reachable from this runner` });
            }
            if (res.status === 401 && !authenticated) {
                authenticated = true;
                await res.arrayBuffer().catch(() => undefined);
                await this.authenticate(res.headers.get('www-authenticate'), opts.scope);
                attempt--;
                continue;
            }
            if ((0, oci_js_1.isRetryableStatus)(res.status) && attempt < this.retries) {
                await res.arrayBuffer().catch(() => undefined);
                await this.pause(attempt, res.headers.get('retry-after'), `${method} ${(0, oci_js_1.shortPath)(path)}`, res.status);
                continue;
            }
            if (res.status === 401 || res.status === 403) {
                const text = await res.text().catch(() => '');
                throw new index_js_1.RegistryError(`${this.registry} refused ${this.who} for ${method} ${(0, oci_js_1.shortPath)(path)} (HTTP ${res.status})${(0, oci_js_1.detail)(text)}`, {
                    status: res.status,
                    state: 'nothing more was pushed',
                    hint: 'check the username and password, and that the account may pull and push this repository'
                });
            }
            return res;
        }
    }
    /** One node:http(s) request; the response is returned unread. Redirects are the caller's. */
    raw(method, url, headers, body) {
        const u = new URL(url);
        const mod = u.protocol === 'https:' ? https : http;
        this.stats.requests++;
        return new Promise((resolve, reject) => {
            const req = mod.request(u, { method, headers, agent: u.origin === this.base ? this.agent : undefined });
            req.on('response', resolve);
            req.on('error', reject);
            if (body) {
                body.on('error', (err) => req.destroy(err));
                body.pipe(req);
            }
            else
                req.end();
        });
    }
    /**
     * Open a blob for streaming (not read here). Follows a redirect to storage (S3, a CDN) without our
     * Authorization header, as docker does. One attempt: the caller retries the whole copy of the blob.
     */
    async openBlob(repo, digest) {
        const scope = (0, oci_js_1.pullScope)(repo);
        let url = this.url(`/v2/${repo}/blobs/${digest}`);
        let auth = this.authorization(scope);
        if (!auth) {
            // Learn the auth scheme (and a token) for this scope with a cheap request first.
            await (await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { scope }))
                .arrayBuffer()
                .catch(() => undefined);
            auth = this.authorization(scope);
        }
        for (let hops = 0; hops < 5; hops++) {
            const sameOrigin = new URL(url).origin === this.base;
            const res = await this.raw('GET', url, {
                'accept-encoding': 'identity',
                ...(auth && sameOrigin ? { authorization: auth } : {})
            });
            const loc = res.headers.location;
            if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc) {
                res.resume();
                url = new URL(loc, url).toString();
                continue;
            }
            return res;
        }
        throw new index_js_1.RegistryError(`${this.registry}/${repo}: blob ${digest} redirected more than 5 times`);
    }
    /** PUT a streamed body (a blob on its way from another registry) in one attempt. */
    async putStream(url, scope, body, headers) {
        const auth = this.authorization(scope);
        const res = await this.raw('PUT', url, { ...headers, ...(auth ? { authorization: auth } : {}) }, body);
        let text = '';
        for await (const chunk of res)
            text += chunk.toString('utf8');
        return { status: res.statusCode ?? 0, headers: res.headers, text };
    }
    /** GET /v2/ with credentials: proves the registry answers and accepts them, before anything is pushed. */
    async ping() {
        const res = await this.request('GET', '/v2/', { scope: '' });
        await res.arrayBuffer().catch(() => undefined);
        if (!res.ok) {
            throw new index_js_1.RegistryError(`${this.registry} does not answer the Registry API v2 (HTTP ${res.status})`, {
                status: res.status,
                state: 'nothing was pushed',
                hint: 'check the registry address'
            });
        }
    }
    async getManifest(repo, reference) {
        const res = await this.request('GET', `/v2/${repo}/manifests/${reference}`, {
            scope: (0, oci_js_1.pullScope)(repo),
            headers: { accept: oci_js_1.MANIFEST_TYPES.join(', ') }
        });
        if (!res.ok) {
            const text = await res.text().catch(() => '');
            throw new index_js_1.RegistryError(`${this.registry}/${repo}${reference.includes(':') ? '@' : ':'}${reference}: manifest ${res.status === 404 ? 'not found' : `not readable (HTTP ${res.status})`}${(0, oci_js_1.detail)(text)}`, {
                status: res.status,
                state: 'nothing was pushed',
                hint: 'check the source reference and that it was pushed'
            });
        }
        const body = Buffer.from(await res.arrayBuffer());
        this.stats.bytesDown += body.length;
        const digest = (0, oci_js_1.sha256)(body);
        const announced = res.headers.get('docker-content-digest');
        if (announced && announced.startsWith('sha256:') && announced !== digest) {
            throw new index_js_1.RegistryError(`${this.registry}/${repo}:${reference}: the registry announces ${announced} but the bytes hash to ${digest}`, { state: 'nothing was pushed', hint: 'a proxy may have altered the manifest; retry or report it' });
        }
        if (reference.startsWith('sha256:') && digest !== reference) {
            throw new index_js_1.RegistryError(`${this.registry}/${repo}@${reference}: the manifest served hashes to ${digest}`, {
                state: 'nothing was pushed',
                hint: 'the registry or a proxy altered the content; retry, or report it to the registry operator'
            });
        }
        let json;
        try {
            json = JSON.parse(body.toString('utf8'));
        }
        catch (err) {
            throw new index_js_1.RegistryError(`${this.registry}/${repo}:${reference}: the manifest is not JSON`, {
                cause: err
            });
        }
        const mediaType = json.mediaType ?? res.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
        if (json.schemaVersion === 1 || mediaType.startsWith('application/vnd.docker.distribution.manifest.v1')) {
            throw new index_js_1.RegistryError(`${this.registry}/${repo}:${reference} is a Docker schema 1 manifest, which cannot be copied by digest`, { state: 'nothing was pushed', hint: 'rebuild and push the image with a current docker or buildx' });
        }
        return { mediaType, digest, body, json };
    }
    /** HEAD a manifest: its digest, or undefined when absent. */
    async headManifest(repo, reference) {
        const res = await this.request('HEAD', `/v2/${repo}/manifests/${reference}`, {
            scope: (0, oci_js_1.pullScope)(repo),
            headers: { accept: oci_js_1.MANIFEST_TYPES.join(', ') }
        });
        if (res.status === 404)
            return undefined;
        if (!res.ok)
            throw new index_js_1.RegistryError(`HEAD ${this.registry}/${repo}:${reference} answered ${res.status}`, {
                status: res.status
            });
        return res.headers.get('docker-content-digest') ?? undefined;
    }
    /** PUT a manifest byte for byte; returns the digest the registry reports. */
    async putManifest(repo, reference, mediaType, body) {
        const res = await this.request('PUT', `/v2/${repo}/manifests/${reference}`, {
            scope: (0, oci_js_1.pushScope)(repo),
            headers: { 'content-type': mediaType },
            body
        });
        const text = await res.text().catch(() => '');
        if (res.status !== 201 && res.status !== 200) {
            throw new index_js_1.RegistryError(`PUT ${this.registry}/${repo}:${reference} manifest failed (HTTP ${res.status})${(0, oci_js_1.detail)(text)}`, {
                status: res.status,
                state: 'the blobs are at the target but this reference was not written',
                hint: 'run again (blobs already there are skipped); check the registry accepts this media type'
            });
        }
        this.stats.bytesUp += body.length;
        return res.headers.get('docker-content-digest') ?? (0, oci_js_1.sha256)(body);
    }
    async hasBlob(repo, digest) {
        const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { scope: (0, oci_js_1.pushScope)(repo) });
        if (res.status === 404)
            return false;
        if (res.ok)
            return true;
        throw new index_js_1.RegistryError(`HEAD ${this.registry}/${repo} blob ${digest} answered ${res.status}`, {
            status: res.status
        });
    }
    /**
     * Cross-repository mount inside this registry. Mounted: returns 'mounted'. Otherwise the registry
     * opened an ordinary upload instead, whose location is returned for the caller to use.
     */
    async mountBlob(repo, digest, from) {
        const res = await this.request('POST', `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, { scope: `${(0, oci_js_1.pushScope)(repo)} ${(0, oci_js_1.pullScope)(from)}`, redirect: 'manual' });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status === 201)
            return { mounted: true };
        const loc = res.headers.get('location');
        if (res.status === 202)
            return { mounted: false, location: loc ? this.resolve(loc) : undefined };
        throw new index_js_1.RegistryError(`mount of ${digest} into ${this.registry}/${repo} answered ${res.status}`, {
            status: res.status
        });
    }
    /** Open an upload session; returns its absolute location. */
    async startUpload(repo) {
        const res = await this.request('POST', `/v2/${repo}/blobs/uploads/`, {
            scope: (0, oci_js_1.pushScope)(repo),
            redirect: 'manual'
        });
        const text = await res.text().catch(() => '');
        const loc = res.headers.get('location');
        if (res.status !== 202 || !loc) {
            throw new index_js_1.RegistryError(`${this.registry}/${repo}: could not open a blob upload (HTTP ${res.status})${(0, oci_js_1.detail)(text)}`, { status: res.status, state: 'nothing was pushed to this repository', hint: 'check push permissions' });
        }
        return this.resolve(loc);
    }
    /** GET a blob as a stream (the body is not read here). */
    async getBlob(repo, digest) {
        const res = await this.request('GET', `/v2/${repo}/blobs/${digest}`, {
            scope: (0, oci_js_1.pullScope)(repo),
            headers: { 'accept-encoding': 'identity' }
        });
        if (!res.ok || !res.body) {
            const text = await res.text().catch(() => '');
            throw new index_js_1.RegistryError(`${this.registry}/${repo}: blob ${digest} is not readable (HTTP ${res.status})${(0, oci_js_1.detail)(text)}`, { status: res.status, state: 'no reference at the target points at an incomplete image' });
        }
        return res;
    }
    /** Upload a small blob from memory (configs in tests and tools). */
    async pushBlob(repo, data) {
        const digest = (0, oci_js_1.sha256)(data);
        if (await this.hasBlob(repo, digest))
            return digest;
        const loc = new URL(await this.startUpload(repo));
        loc.searchParams.set('digest', digest);
        const res = await this.request('PUT', loc.toString(), {
            scope: (0, oci_js_1.pushScope)(repo),
            headers: { 'content-type': 'application/octet-stream' },
            body: data
        });
        const text = await res.text().catch(() => '');
        if (res.status !== 201)
            throw new index_js_1.RegistryError(`upload of ${digest} failed (HTTP ${res.status})${(0, oci_js_1.detail)(text)}`, {
                status: res.status
            });
        this.stats.bytesUp += data.length;
        return digest;
    }
    /** Forget a Bearer token (after a 401 on a streamed request, e.g. when a token expired). */
    dropToken(scope) {
        this.tokens.delete(scope);
    }
}
exports.RegistryClient = RegistryClient;


/***/ }),

/***/ 884:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.emptyCopyResult = emptyCopyResult;
exports.copyImage = copyImage;
exports.platformOf = platformOf;
const node_crypto_1 = __webpack_require__(7598);
const node_stream_1 = __webpack_require__(7075);
const index_js_1 = __webpack_require__(893);
const client_js_1 = __webpack_require__(966);
const reference_js_1 = __webpack_require__(420);
/** A copy that has written nothing yet (fresh arrays each time: results are filled in place). */
function emptyCopyResult(of = { digest: '', mediaType: '', platforms: [] }) {
    return {
        ...of,
        refs: [],
        blobsCopied: 0,
        blobsMounted: 0,
        blobsSkipped: 0,
        bytesCopied: 0,
        manifestsPut: 0
    };
}
/**
 * Promote an image by digest: resolve the source once to its digest, then for every target copy each
 * blob (skip when present, mount across repositories inside one registry, else stream GET→PUT while
 * hashing), put every child manifest of an index and the index itself byte for byte, add the tags, and
 * verify at the target that digest and bytes are the source's.
 */
async function copyImage(source, targets, options) {
    const { logger } = options;
    const sref = source.ref;
    // Every registry answers and takes its credentials before anything is read or pushed.
    for (const c of new Set([source.client, ...targets.map((t) => t.client)]))
        await c.ping();
    const root = await source.client.getManifest(sref.repository, sref.digest ?? sref.tag ?? 'latest');
    if (sref.digest && root.digest !== sref.digest) {
        throw new index_js_1.RegistryError(`${(0, reference_js_1.formatReference)(sref)}: the registry served ${root.digest}`, {
            state: 'nothing was pushed'
        });
    }
    logger.info(`source ${(0, reference_js_1.formatReference)(sref)} is ${root.digest} (${root.mediaType})`);
    const result = emptyCopyResult({
        digest: root.digest,
        mediaType: root.mediaType,
        platforms: (root.json.manifests ?? []).map(platformOf)
    });
    const manifests = new Map([[root.digest, root]]);
    // Repositories per registry that already hold the whole image: later targets mount from them.
    const holders = new Map();
    if (source.ref.registry === source.client.registry)
        holders.set(source.client.registry, [source.ref.repository]);
    for (const t of targets) {
        const repo = t.ref.repository;
        const where = `${t.ref.registry}/${repo}`;
        const mountFrom = (holders.get(t.client.registry) ?? []).filter((r) => r !== repo);
        await copyManifest({ src: source, dst: { client: t.client, repo }, mountFrom, result, manifests, options }, root);
        for (const tag of t.tags) {
            const got = await t.client.putManifest(repo, tag, root.mediaType, root.body);
            if (got !== root.digest) {
                throw new index_js_1.RegistryError(`${where}:${tag} was stored as ${got}, not ${root.digest}`, {
                    state: `${where}:${tag} may point at a different manifest`,
                    hint: 'a registry or proxy rewrote the manifest; check the registry and run again'
                });
            }
            result.refs.push(`${where}:${tag}`);
        }
        await verify(t.client, repo, root, t.tags);
        result.refs.push(`${where}@${root.digest}`);
        logger.info(`verified ${where}@${root.digest}${t.tags.length ? ` (tags ${t.tags.join(', ')})` : ''}`);
        holders.set(t.client.registry, [...(holders.get(t.client.registry) ?? []), repo]);
    }
    return result;
}
/** The target answers the source's digest for @digest and every tag, and its bytes hash to it. */
async function verify(client, repo, root, tags) {
    const back = await client.getManifest(repo, root.digest);
    if (back.digest !== root.digest || !back.body.equals(root.body)) {
        throw new index_js_1.RegistryError(`${client.registry}/${repo}@${root.digest}: the stored bytes differ from the source`, {
            state: 'the target holds a manifest that is not the source image',
            hint: 'delete the target reference and run again'
        });
    }
    for (const tag of tags) {
        const d = await client.headManifest(repo, tag);
        if (d !== root.digest) {
            throw new index_js_1.RegistryError(`${client.registry}/${repo}:${tag} answers ${d ?? 'nothing'}, not ${root.digest}`, {
                state: 'the tag does not point at the promoted image',
                hint: 'another push may have moved the tag concurrently; run again'
            });
        }
    }
}
async function copyManifest(ctx, m) {
    const { logger } = ctx.options;
    if (client_js_1.INDEX_TYPES.includes(m.mediaType) || (m.json.manifests && !m.json.layers)) {
        for (const child of m.json.manifests ?? []) {
            let cm = ctx.manifests.get(child.digest);
            if (!cm) {
                cm = await ctx.src.client.getManifest(ctx.src.ref.repository, child.digest);
                ctx.manifests.set(child.digest, cm);
            }
            await copyManifest(ctx, cm);
            logger.info(`  ${platformOf(child)}: ${child.digest}`);
        }
    }
    else {
        const blobs = [
            ...(m.json.config ? [m.json.config] : []),
            ...(m.json.layers ?? []),
            ...(m.json.blobs ?? [])
        ];
        const queue = [...new Map(blobs.map((b) => [b.digest, b])).values()];
        const workers = Math.min(ctx.options.concurrency ?? 4, queue.length);
        await Promise.all(Array.from({ length: workers }, async () => {
            for (let b = queue.shift(); b; b = queue.shift())
                await copyBlob(ctx, b);
        }));
    }
    const stored = await ctx.dst.client.putManifest(ctx.dst.repo, m.digest, m.mediaType, m.body);
    if (stored !== m.digest) {
        throw new index_js_1.RegistryError(`${ctx.dst.client.registry}/${ctx.dst.repo} stored manifest ${m.digest} as ${stored}`, {
            state: 'the target holds a manifest under a digest the source does not have; no tag was moved',
            hint: 'a registry or proxy rewrote the manifest; check the registry'
        });
    }
    ctx.result.manifestsPut++;
}
async function copyBlob(ctx, blob) {
    const { client, repo } = ctx.dst;
    const { logger } = ctx.options;
    if (await client.hasBlob(repo, blob.digest)) {
        ctx.result.blobsSkipped++;
        logger.debug(`${blob.digest}: already at ${client.registry}/${repo}`);
        return;
    }
    let location;
    for (const from of ctx.mountFrom) {
        const m = await client.mountBlob(repo, blob.digest, from);
        if (m.mounted) {
            ctx.result.blobsMounted++;
            logger.debug(`${blob.digest}: mounted from ${from}`);
            return;
        }
        // The registry opened a plain upload instead (it refuses the mount); use it rather than open another.
        location = m.location;
        break;
    }
    await streamBlob(ctx, blob, location);
}
/** GET from the source piped into a monolithic PUT at the target, hashed on the way; the whole retried. */
async function streamBlob(ctx, blob, location) {
    const { client, repo } = ctx.dst;
    const retries = ctx.options.retries ?? 5;
    const backoff = ctx.options.backoffMs ?? 500;
    for (let attempt = 0;; attempt++) {
        const upload = location ?? (await client.startUpload(repo));
        location = undefined;
        let why;
        let retryAfter;
        let source;
        try {
            source = await ctx.src.client.openBlob(ctx.src.ref.repository, blob.digest);
            if (source.statusCode !== 200) {
                source.resume();
                if (!(0, client_js_1.isRetryableStatus)(source.statusCode ?? 0))
                    throw new index_js_1.RegistryError(`${ctx.src.client.registry}/${ctx.src.ref.repository}: blob ${blob.digest} is not readable (HTTP ${source.statusCode})`, { status: source.statusCode, state: 'no reference at the target points at an incomplete image' });
                why = `source HTTP ${source.statusCode}`;
                retryAfter = header(source.headers['retry-after']);
            }
            else {
                const hash = (0, node_crypto_1.createHash)('sha256');
                let seen = 0;
                const counted = source.pipe(new node_stream_1.Transform({
                    transform(chunk, _enc, cb) {
                        hash.update(chunk);
                        seen += chunk.length;
                        cb(null, chunk);
                    }
                }));
                source.on('error', (err) => counted.destroy(err));
                const url = new URL(upload);
                url.searchParams.set('digest', blob.digest);
                const put = await client.putStream(url.toString(), (0, client_js_1.pushScope)(repo), counted, {
                    'content-type': 'application/octet-stream',
                    'content-length': String(blob.size)
                });
                if (put.status === 201) {
                    const got = `sha256:${hash.digest('hex')}`;
                    if (blob.digest.startsWith('sha256:') && got !== blob.digest) {
                        throw new index_js_1.RegistryError(`blob ${blob.digest} hashed to ${got} in transit`, {
                            state: 'the target refused or holds an unreferenced blob; no reference points at it',
                            hint: 'run again'
                        });
                    }
                    ctx.src.client.stats.bytesDown += seen;
                    client.stats.bytesUp += seen;
                    ctx.result.blobsCopied++;
                    ctx.result.bytesCopied += seen;
                    ctx.options.logger.debug(`${blob.digest}: copied ${seen} bytes`);
                    return;
                }
                if (put.status === 401)
                    client.dropToken((0, client_js_1.pushScope)(repo));
                if (!(0, client_js_1.isRetryableStatus)(put.status) && put.status !== 401) {
                    throw new index_js_1.RegistryError(`upload of ${blob.digest} to ${client.registry}/${repo} failed (HTTP ${put.status}): ${put.text.slice(0, 200)}`, {
                        status: put.status,
                        state: 'no reference at the target points at an incomplete image',
                        hint: 'run again: blobs already copied are skipped'
                    });
                }
                why = `HTTP ${put.status}`;
                retryAfter = header(put.headers['retry-after']);
            }
        }
        catch (err) {
            if (err instanceof index_js_1.RegistryError)
                throw err;
            why = (0, client_js_1.describeCause)(err);
        }
        finally {
            source?.destroy();
        }
        if (attempt >= retries) {
            throw new index_js_1.RegistryError(`upload of ${blob.digest} to ${client.registry}/${repo} failed after ${attempt + 1} tries: ${why}`, { state: 'no reference at the target points at an incomplete image', hint: 'run again later' });
        }
        const wait = Math.min((0, client_js_1.retryAfterMs)(retryAfter ?? null) ?? backoff * 2 ** attempt, 30_000);
        client.stats.retries++;
        ctx.options.logger.info(`${client.registry}: upload of ${blob.digest.slice(0, 19)} got ${why}; retry ${attempt + 1}/${retries} in ${wait} ms`);
        await (0, client_js_1.sleep)(wait);
    }
}
function header(v) {
    return Array.isArray(v) ? v[0] : v;
}
function platformOf(d) {
    const p = d.platform;
    if (!p)
        return 'unknown';
    return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}


/***/ }),

/***/ 61:
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
__exportStar(__webpack_require__(420), exports);
__exportStar(__webpack_require__(966), exports);
__exportStar(__webpack_require__(884), exports);
__exportStar(__webpack_require__(7203), exports);
__exportStar(__webpack_require__(3298), exports);
__exportStar(__webpack_require__(3319), exports);


/***/ }),

/***/ 7203:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.isEcr = isEcr;
exports.usesEcr = usesEcr;
exports.parseEcrMode = parseEcrMode;
exports.buildxConfigDir = buildxConfigDir;
exports.scopeConfigDir = scopeConfigDir;
exports.normalizeRegistry = normalizeRegistry;
exports.checkLogin = checkLogin;
exports.parseRegistryAuth = parseRegistryAuth;
exports.dockerLogin = dockerLogin;
exports.encodeLoginState = encodeLoginState;
exports.decodeLoginState = decodeLoginState;
exports.logoutAll = logoutAll;
const node_os_1 = __webpack_require__(8161);
const node_path_1 = __webpack_require__(6760);
const yaml_1 = __webpack_require__(8815);
const index_js_1 = __webpack_require__(893);
const reference_js_1 = __webpack_require__(420);
const ECR = /^(([0-9]{12})\.(dkr\.ecr|dkr-ecr)\.(.+)\.(on\.aws|amazonaws\.(com(\.cn)?|eu)))(\/([^:]+)(:.+)?)?$/;
const ECR_PUBLIC = /public\.ecr\.aws|ecr-public\.aws\.com/;
/** An Amazon ECR host (private `<account>.dkr.ecr.<region>.amazonaws.com` or ECR Public). */
function isEcr(registry) {
    return ECR.test(registry) || ECR_PUBLIC.test(registry);
}
/** Does this login go through ECR's flow? `ecr: true` forces it, `auto` asks the host name. */
function usesEcr(login) {
    return login.ecr === 'true' || (login.ecr === 'auto' && isEcr(login.registry));
}
function parseEcrMode(value, input = 'ecr') {
    const v = (value ?? '').trim().toLowerCase() || 'auto';
    if (v !== 'auto' && v !== 'true' && v !== 'false')
        throw new index_js_1.InputError(input, `"${value}" is not auto, true or false`, 'use ecr: auto (the default), true or false');
    return v;
}
/** buildx's config dir: $BUILDX_CONFIG, else $DOCKER_CONFIG/buildx, else ~/.docker/buildx. */
function buildxConfigDir(env) {
    return env.BUILDX_CONFIG || (0, node_path_1.join)(env.DOCKER_CONFIG || (0, node_path_1.join)((0, node_os_1.homedir)(), '.docker'), 'buildx');
}
/**
 * login-action's `scope`: the login lands in `<buildx config>/config/<registry>/<scope>` (`@push` style
 * scopes are appended to the registry directory), which buildx reads for that repository only.
 */
function scopeConfigDir(registry, scope, env) {
    if (!scope || /^(true|1)$/i.test(env.DOCKER_LOGIN_SCOPE_DISABLED ?? ''))
        return undefined;
    const base = (0, node_path_1.join)(buildxConfigDir(env), 'config', registry === 'docker.io' ? 'registry-1.docker.io' : registry);
    return scope.startsWith('@') ? `${base}${scope}` : (0, node_path_1.join)(base, scope);
}
function normalizeRegistry(raw, input) {
    const ref = (0, reference_js_1.parseReference)(`${raw.trim()}/x/y`, { input });
    if (!ref.explicitRegistry || ref.repository !== 'x/y')
        throw new index_js_1.InputError(input, `"${raw}" is not a registry host[:port]`, 'e.g. ghcr.io or 127.0.0.1:5000');
    return ref.registry;
}
/**
 * A login ready to run: ECR logins take `AWS` as the user by default and refuse AWS access keys (no AWS
 * call is made here: the password is the token an earlier AWS step printed).
 */
function checkLogin(login, input) {
    if (usesEcr(login)) {
        const username = login.username || 'AWS';
        if (/^(AKIA|ASIA)[A-Z0-9]{12,}$/.test(username))
            throw new index_js_1.InputError(input, `${login.registry} is ECR and the username is an AWS access key id; this action makes no AWS call`, 'get a registry password in an earlier step (aws ecr get-login-password, or aws-actions/amazon-ecr-login) and pass it as password with username AWS');
        if (!login.password)
            throw new index_js_1.InputError(input, `${login.registry} is ECR and no password is given`, 'pass the output of `aws ecr get-login-password` as password (username AWS)');
        return { ...login, username };
    }
    if (!login.username || !login.password)
        throw new index_js_1.InputError(input, `the login to ${login.registry} needs ${!login.username && !login.password ? 'a username and a password' : !login.username ? 'a username' : 'a password'}`, 'give username and password');
    return login;
}
/** `registry-auth`: a YAML list of `{registry, username, password, scope?, ecr?}`. */
function parseRegistryAuth(text, env = {}) {
    let doc;
    try {
        doc = (0, yaml_1.parse)(text);
    }
    catch (err) {
        throw new index_js_1.InputError('registry-auth', `is not YAML: ${err.message.split('\n')[0]}`, 'write a YAML list of logins');
    }
    if (!Array.isArray(doc) || doc.length === 0)
        throw new index_js_1.InputError('registry-auth', 'is not a list of logins', 'write e.g. "- registry: ghcr.io\\n  username: …\\n  password: …" per registry');
    return doc.map((entry, i) => {
        const e = (entry ?? {});
        const str = (k) => (e[k] === undefined || e[k] === null ? '' : String(e[k]));
        for (const k of Object.keys(e))
            if (!['registry', 'username', 'password', 'scope', 'ecr'].includes(k))
                throw new index_js_1.InputError('registry-auth', `entry ${i + 1}: unknown key "${k}"`, 'use registry, username, password, scope, ecr');
        const registry = normalizeRegistry(str('registry') || 'docker.io', 'registry-auth');
        const scope = str('scope') || undefined;
        return checkLogin({
            registry,
            username: str('username'),
            password: str('password'),
            scope,
            ecr: parseEcrMode(str('ecr'), 'registry-auth'),
            configDir: scopeConfigDir(registry, scope, env)
        }, 'registry-auth');
    });
}
/** `docker login` with the password on stdin. 'absent': docker is not installed (a warning, not an error). */
async function dockerLogin(login, deps) {
    const env = { ...deps.env, ...(login.configDir ? { DOCKER_CONFIG: login.configDir } : {}) };
    const r = await deps.executor
        .run({
        argv: deps.docker.loginArgv(login.registry, login.username),
        stdin: login.password,
        env,
        check: false,
        step: `docker login ${login.registry}`,
        timeoutMs: 60_000
    })
        .catch((err) => {
        if (err instanceof index_js_1.CommandError && err.exitCode === 127)
            return undefined;
        throw err;
    });
    if (!r)
        return 'absent';
    if (r.exitCode !== 0)
        throw new index_js_1.RegistryError(`docker login ${login.registry} failed: ${r.stderr.trim().split('\n').at(-1)}`, {
            state: 'nothing was pushed',
            hint: usesEcr(login)
                ? 'an ECR password lasts 12 hours: get a fresh one in the step before'
                : 'check username and password'
        });
    deps.logger.info(`docker login ${login.registry}${login.scope ? ` (scope ${login.scope}, config ${login.configDir})` : ''}${usesEcr(login) ? ' (ECR)' : ''}: ok`);
    return 'ok';
}
function encodeLoginState(list) {
    return JSON.stringify(list);
}
function decodeLoginState(state) {
    const t = state.trim();
    if (!t)
        return [];
    if (t.startsWith('['))
        return JSON.parse(t);
    return t
        .split('\n')
        .filter(Boolean)
        .map((registry) => ({ registry })); // the older one-per-line state
}
/** The post step: `docker logout` of every login the main step made; a failure is a warning only. */
async function logoutAll(state, deps) {
    for (const s of decodeLoginState(state)) {
        const r = await deps.executor
            .run({
            argv: deps.docker.logoutArgv(s.registry),
            env: s.configDir ? { DOCKER_CONFIG: s.configDir } : undefined,
            check: false,
            step: 'docker logout',
            timeoutMs: 30_000
        })
            .catch((err) => ({ exitCode: -1, stderr: String(err) }));
        if (r.exitCode === 0)
            deps.logger.info(`logged out of ${s.registry}${s.configDir ? ` (${s.configDir})` : ''}`);
        else
            deps.logger.warning(`docker logout ${s.registry} failed: ${r.stderr.trim()}`);
    }
}


/***/ }),

/***/ 4352:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.sleep = exports.INDEX_TYPES = exports.MANIFEST_TYPES = exports.DOCKER_MANIFEST = exports.OCI_MANIFEST = exports.DOCKER_LIST = exports.OCI_INDEX = void 0;
exports.sha256 = sha256;
exports.isLoopback = isLoopback;
exports.retryAfterMs = retryAfterMs;
exports.parseChallenge = parseChallenge;
exports.isRetryableStatus = isRetryableStatus;
exports.pullScope = pullScope;
exports.pushScope = pushScope;
exports.describeCause = describeCause;
exports.shortPath = shortPath;
exports.detail = detail;
const node_crypto_1 = __webpack_require__(7598);
/** OCI and Docker manifest types, and the small pure helpers the registry client and the copy share. */
/** Media types of everything a manifest GET may return; indexes first. */
exports.OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
exports.DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
exports.OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
exports.DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
exports.MANIFEST_TYPES = [exports.OCI_INDEX, exports.DOCKER_LIST, exports.OCI_MANIFEST, exports.DOCKER_MANIFEST];
exports.INDEX_TYPES = [exports.OCI_INDEX, exports.DOCKER_LIST];
function sha256(data) {
    return `sha256:${(0, node_crypto_1.createHash)('sha256').update(data).digest('hex')}`;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
exports.sleep = sleep;
function isLoopback(registry) {
    return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(registry);
}
/** Retry-After is seconds or an HTTP date. */
function retryAfterMs(header, now = Date.now()) {
    if (!header)
        return undefined;
    if (/^\d+$/.test(header.trim()))
        return Number(header.trim()) * 1000;
    const at = Date.parse(header);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
/** Parse `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`). */
function parseChallenge(header) {
    const m = /^\s*(\w+)\s*(.*)$/.exec(header);
    const params = {};
    for (const p of (m?.[2] ?? '').matchAll(/(\w+)=(?:"([^"]*)"|([^\s,]*))/g))
        params[p[1]] = p[2] ?? p[3] ?? '';
    return { scheme: (m?.[1] ?? '').toLowerCase(), params };
}
function isRetryableStatus(status) {
    return status === 429 || status >= 500;
}
function pullScope(repo) {
    return `repository:${repo}:pull`;
}
function pushScope(repo) {
    return `repository:${repo}:pull,push`;
}
function describeCause(err) {
    const e = err;
    return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
function shortPath(path) {
    try {
        const u = new URL(path, 'http://x');
        return u.pathname.replace(/\/blobs\/uploads\/[^/]+$/, '/blobs/uploads/…');
    }
    catch {
        return path;
    }
}
function detail(text) {
    const t = text.trim();
    if (!t)
        return '';
    try {
        const j = JSON.parse(t);
        const e = j.errors?.[0];
        if (e)
            return `: ${[e.code, e.message].filter(Boolean).join(' ')}`;
    }
    catch {
        /* not JSON */
    }
    return `: ${t.slice(0, 200)}`;
}


/***/ }),

/***/ 3298:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.planPublish = planPublish;
exports.readDockerConfig = readDockerConfig;
exports.publish = publish;
exports.publishSummary = publishSummary;
const node_fs_1 = __webpack_require__(3024);
const node_os_1 = __webpack_require__(8161);
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
const client_js_1 = __webpack_require__(966);
const copy_js_1 = __webpack_require__(884);
const logins_js_1 = __webpack_require__(7203);
const reference_js_1 = __webpack_require__(420);
const GHCR = 'ghcr.io';
/** Validate every input and decide what goes where; throws InputError before anything changes. */
function planPublish(o) {
    const raw = o.registry.trim();
    if (!raw)
        throw new index_js_1.InputError('registry', 'is empty', 'give the registry host, e.g. ghcr.io');
    // docker.io and index.docker.io are one registry; keys below use the normalised name.
    const registry = (0, logins_js_1.normalizeRegistry)(raw, 'registry');
    const auths = o.registryAuth ?? [];
    const ecr = (0, logins_js_1.parseEcrMode)(o.ecr);
    if (auths.length > 0 && (o.password || o.scope || ecr !== 'auto'))
        throw new index_js_1.InputError('registry-auth', `cannot be used with ${o.password ? 'password' : o.scope ? 'scope' : 'ecr'}`, 'put every login in registry-auth, or use registry/username/password for one');
    const loginOnly = o.source.trim() === '' && o.targets.length === 0;
    if (loginOnly) {
        const creds = auths.length > 0 || (o.password && (o.username || (0, logins_js_1.usesEcr)({ registry, ecr })))
            ? true
            : registry === GHCR && !!o.githubToken;
        if (!creds)
            throw new index_js_1.InputError('password', `is empty, and with no source and targets this step only logs in to ${registry}`, 'give username and password (or a source and targets to promote)');
    }
    else if (o.source.trim() === '')
        throw new index_js_1.InputError('source', 'is empty but targets are given', 'give the image to promote');
    const source = loginOnly
        ? { registry, repository: '', explicitRegistry: true }
        : (0, reference_js_1.parseReference)(o.source, { input: 'source' });
    const local = !source.explicitRegistry;
    if (local && source.digest)
        throw new index_js_1.InputError('source', `"${o.source}" has a digest but no registry host`, 'a local image is named by name[:tag]; a remote one by host/repo@sha256:…');
    // A remote source with no targets is only resolved: its digest, nothing written.
    if (o.targets.length === 0 && !loginOnly && local)
        throw new index_js_1.InputError('targets', 'is empty, and a local image needs a target to be pushed to', 'give one or more references, e.g. ghcr.io/acme/shop');
    if (o.targets.length === 0 && !loginOnly && o.tags.length > 0)
        throw new index_js_1.InputError('tags', 'are given but there are no targets to put them on', 'give targets, or no tags');
    for (const tag of o.tags)
        if (!reference_js_1.TAG.test(tag))
            throw new index_js_1.InputError('tags', `"${tag}" is not a valid tag`, 'a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}');
    const targets = o.targets.map((t) => {
        const withHost = (0, reference_js_1.parseReference)(t, { input: 'targets' }).explicitRegistry ? t : `${registry}/${t}`;
        const ref = (0, reference_js_1.parseReference)(withHost, { input: 'targets' });
        if (ref.digest)
            throw new index_js_1.InputError('targets', `"${t}" has a digest`, 'a target is a repository with an optional tag');
        const tags = o.tags.length > 0 ? o.tags : ref.tag ? [ref.tag] : source.tag ? [source.tag] : [];
        return { ref: { ...ref, tag: undefined }, tags };
    });
    const seen = new Set();
    for (const t of targets) {
        const key = `${t.ref.registry}/${t.ref.repository}`;
        if (seen.has(key) && o.tags.length > 0)
            throw new index_js_1.InputError('targets', `${key} is listed twice`, 'list each target repository once');
        seen.add(key);
    }
    const credentials = new Map();
    const credentialSource = new Map();
    // `username` defaults to the workflow actor, so a username without a password is not an error: the
    // registry's credentials then come from docker config.json, else anonymous access (and a registry that
    // needs more answers the ping before anything is pushed, naming itself).
    const logins = [];
    for (const a of auths) {
        credentials.set(a.registry, { username: a.username, password: a.password });
        credentialSource.set(a.registry, `registry-auth (user ${a.username}${(0, logins_js_1.usesEcr)(a) ? ', ECR' : ''})`);
        logins.push(a);
    }
    const ecrLogin = (0, logins_js_1.usesEcr)({ registry, ecr });
    if (o.password && !o.username && !ecrLogin)
        throw new index_js_1.InputError('username', 'is empty but a password is given', 'give the user the password belongs to');
    if (auths.length > 0) {
        // every credential came from registry-auth
    }
    else if (o.password) {
        const login = (0, logins_js_1.checkLogin)({
            registry,
            username: o.username ?? '',
            password: o.password,
            scope: o.scope || undefined,
            ecr,
            configDir: (0, logins_js_1.scopeConfigDir)(registry, o.scope, o.loginEnv ?? {})
        }, ecrLogin ? 'ecr' : 'password');
        credentials.set(registry, { username: login.username, password: login.password });
        credentialSource.set(registry, `inputs username/password (user ${login.username}${ecrLogin ? ', ECR' : ''})`);
        logins.push(login);
    }
    else if (ecrLogin) {
        throw new index_js_1.InputError('password', `is empty and ${registry} is ECR`, 'pass the output of `aws ecr get-login-password` as password (username AWS); this action makes no AWS call');
    }
    else if (registry === GHCR && o.githubToken) {
        const login = {
            registry,
            username: o.username || 'github-actions',
            password: o.githubToken,
            scope: o.scope || undefined,
            ecr,
            configDir: (0, logins_js_1.scopeConfigDir)(registry, o.scope, o.loginEnv ?? {})
        };
        credentials.set(registry, { username: login.username, password: login.password });
        credentialSource.set(registry, 'the workflow token');
        logins.push(login);
    }
    if (o.sourceUsername && !o.sourcePassword)
        throw new index_js_1.InputError('source-password', 'is empty but source-username is set', 'give the source password');
    if (o.sourcePassword && !o.sourceUsername)
        throw new index_js_1.InputError('source-username', 'is empty but source-password is set', 'give the source user');
    if (o.sourcePassword && o.sourceUsername) {
        if (local)
            throw new index_js_1.InputError('source-username', 'is set but the source is a local image', 'drop source-username/password');
        credentials.set(source.registry, { username: o.sourceUsername, password: o.sourcePassword });
        credentialSource.set(source.registry, `inputs source-username/source-password (user ${o.sourceUsername})`);
    }
    const config = readDockerConfig(o.dockerConfigDir);
    for (const host of new Set([
        ...(local || loginOnly ? [] : [source.registry]),
        ...targets.map((t) => t.ref.registry)
    ])) {
        if (credentials.has(host))
            continue;
        const fromConfig = config(host);
        if (fromConfig) {
            credentials.set(host, fromConfig);
            credentialSource.set(host, `docker config.json (user ${fromConfig.username})`);
        }
        else
            credentialSource.set(host, 'anonymous');
    }
    return { registry, loginOnly, source, local, targets, credentials, credentialSource, logins };
}
/** Credentials from docker's config.json `auths` (base64 user:password); credential helpers are not run. */
function readDockerConfig(dir) {
    const path = (0, node_path_1.join)(dir ?? process.env.DOCKER_CONFIG ?? (0, node_path_1.join)((0, node_os_1.homedir)(), '.docker'), 'config.json');
    let auths = {};
    try {
        auths = JSON.parse((0, node_fs_1.readFileSync)(path, 'utf8')).auths ?? {};
    }
    catch {
        return () => undefined;
    }
    return (host) => {
        const keys = host === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io'] : [host];
        for (const k of [...keys, `https://${host}`, `http://${host}`]) {
            const e = auths[k];
            if (!e)
                continue;
            if (e.auth) {
                const text = Buffer.from(e.auth, 'base64').toString('utf8');
                const i = text.indexOf(':');
                if (i > 0)
                    return { username: text.slice(0, i), password: text.slice(i + 1) };
            }
            if (e.username && e.password)
                return { username: e.username, password: e.password };
        }
        return undefined;
    };
}
/**
 * publish-registry's engine: log in, then promote `source` to every target by digest through the
 * Registry API (a local source is first pushed with docker to the first target), and verify.
 */
async function publish(o, deps) {
    const { logger } = deps;
    const plan = planPublish(o);
    for (const c of plan.credentials.values())
        logger.secret(c.password);
    for (const [host, from] of plan.credentialSource)
        logger.info(`${host}: credentials from ${from}`);
    const clients = new Map();
    const clientFor = (host) => {
        let c = clients.get(host);
        if (!c) {
            c = new client_js_1.RegistryClient({
                registry: host,
                credentials: plan.credentials.get(host),
                retries: o.retries,
                backoffMs: o.backoffMs,
                logger
            });
            clients.set(host, c);
        }
        return c;
    };
    // Every registry answers and takes the credentials before anything is pushed.
    const loginHosts = plan.logins.length > 0 ? plan.logins.map((l) => l.registry) : [plan.registry];
    const hosts = new Set([
        ...(plan.local || plan.loginOnly ? [] : [plan.source.registry]),
        ...(plan.loginOnly ? loginHosts : []),
        ...plan.targets.map((t) => t.ref.registry)
    ]);
    for (const host of hosts)
        await clientFor(host).ping();
    const loggedIn = [];
    if (o.dockerLogin) {
        for (const login of plan.logins) {
            const r = await (0, logins_js_1.dockerLogin)(login, { ...deps, env: o.env });
            if (r === 'absent') {
                logger.warning('docker is not installed: skipped docker login (the API copy needs no daemon)');
                break;
            }
            loggedIn.push(login.registry);
            deps.onLogin?.({
                registry: login.registry,
                ...(login.configDir ? { configDir: login.configDir } : {})
            });
        }
    }
    if (plan.loginOnly) {
        logger.info(`${[...new Set(loginHosts)].join(', ')}: credentials accepted; nothing to promote (no source and targets)`);
        return {
            ...(0, copy_js_1.emptyCopyResult)(),
            loggedIn,
            local: false,
            loginOnly: true
        };
    }
    let source = plan.source;
    if (plan.local)
        source = await pushLocal(plan, o, deps);
    const result = await (0, copy_js_1.copyImage)({ ref: source, client: clientFor(source.registry) }, plan.targets.map((t) => ({ ref: t.ref, client: clientFor(t.ref.registry), tags: t.tags })), { logger, retries: o.retries, backoffMs: o.backoffMs });
    if (plan.targets.length === 0)
        logger.info(`${(0, reference_js_1.formatReference)(source)} resolves to ${result.digest}; no targets, nothing written`);
    return { ...result, loggedIn, local: plan.local, loginOnly: false };
}
/** A local image: `docker tag` + `docker push` to the first target; returns the pushed reference by digest. */
async function pushLocal(plan, o, deps) {
    const { executor, logger, docker } = deps;
    const name = o.source.trim();
    const inspect = await executor.run({
        argv: docker.inspectArgv(name, '{{.Id}}'),
        check: false,
        step: 'docker image inspect'
    });
    if (inspect.exitCode !== 0) {
        throw new index_js_1.InputError('source', `"${name}" names no registry host, so it is a local image, and docker has no image by that name`, 'build it first, or give a remote reference with its registry host (docker.io/… for Docker Hub)');
    }
    const t = plan.targets[0];
    const tag = t.tags[0] ?? plan.source.tag ?? 'latest';
    const dest = (0, reference_js_1.formatReference)({ ...t.ref, tag });
    await executor.run({ argv: docker.tagArgv(name, dest), env: o.env, step: 'docker tag', timeoutMs: 60_000 });
    logger.info(`pushing local image ${name} (${inspect.stdout.trim()}) as ${dest}`);
    const push = await executor.run({
        argv: docker.pushArgv(dest),
        env: o.env,
        step: 'docker push',
        timeoutMs: 30 * 60_000
    });
    const digest = docker.parsePushDigest(push.stdout + push.stderr);
    if (!digest)
        throw new index_js_1.RegistryError(`docker push ${dest} printed no digest`, {
            state: `${dest} may have been pushed`,
            hint: 'look at the docker push output above'
        });
    return { ...t.ref, tag: undefined, digest };
}
function publishSummary(r) {
    if (r.loginOnly)
        return `### publish-registry: logged in to ${r.loggedIn.join(', ') || 'the registry (credentials checked)'}\n`;
    if (r.refs.length === 0)
        return `### publish-registry: resolved \`${r.digest}\`\n\nNo targets: nothing was written.\n`;
    return [
        `### publish-registry: \`${r.digest}\``,
        '',
        `${r.mediaType}${r.platforms.length ? ` with ${r.platforms.length} platforms: ${r.platforms.join(', ')}` : ''}`,
        '',
        (0, index_js_1.table)(['blobs copied', 'mounted', 'already there', 'bytes streamed', 'manifests written'], [[r.blobsCopied, r.blobsMounted, r.blobsSkipped, r.bytesCopied, r.manifestsPut]]),
        (0, index_js_1.table)(['Reference written and verified'], r.refs.map((ref) => [`\`${ref}\``])),
        ''
    ].join('\n');
}


/***/ }),

/***/ 420:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.TAG = exports.DOCKER_HUB_API = exports.DOCKER_HUB = void 0;
exports.parseReference = parseReference;
exports.formatReference = formatReference;
exports.apiHost = apiHost;
const index_js_1 = __webpack_require__(893);
exports.DOCKER_HUB = 'docker.io';
/** Where Docker Hub's Registry API answers. */
exports.DOCKER_HUB_API = 'registry-1.docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
exports.TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const NAME_MAX = 255;
const FIX = 'write [host[:port]/]path[:tag][@sha256:<64 hex>], e.g. ghcr.io/acme/shop:1.2.3';
function parseReference(text, options = {}) {
    const input = options.input ?? 'source';
    const bad = (problem) => {
        throw new index_js_1.InputError(input, `"${text}" is not a valid image reference: ${problem}`, FIX);
    };
    const s = text.trim();
    if (s === '')
        bad('it is empty');
    if (/\s/.test(s))
        bad('it contains whitespace');
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s))
        bad('drop the scheme (no https:// or docker://)');
    let rest = s;
    let digest;
    const at = rest.indexOf('@');
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!DIGEST.test(digest))
            bad(`digest "${digest}" is not algorithm:hex (at least 32 hex digits)`);
        if (digest.startsWith('sha256:') && !/^sha256:[0-9a-f]{64}$/.test(digest))
            bad(`digest "${digest}" is not sha256 followed by 64 lower-case hex digits`);
    }
    let tag;
    const lastSlash = rest.lastIndexOf('/');
    const colon = rest.lastIndexOf(':');
    if (colon > lastSlash) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
        if (!exports.TAG.test(tag))
            bad(tag === ''
                ? 'the tag after ":" is empty'
                : `tag "${tag}" is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} (at most 128 characters)`);
    }
    if (rest === '')
        bad('the repository name is empty');
    if (rest.length > NAME_MAX)
        bad(`the name is ${rest.length} characters; the maximum is ${NAME_MAX}`);
    const parts = rest.split('/');
    let registry;
    const first = parts[0];
    if (parts.length > 1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())) {
        registry = first;
        parts.shift();
        const [host, port, extra] = registry.startsWith('[')
            ? splitIpv6(registry)
            : registry.split(':');
        if (extra !== undefined)
            bad(`registry "${registry}" has more than one ":"`);
        if (port !== undefined && !PORT.test(port))
            bad(`registry port "${port}" is not a number`);
        const hostOk = host.startsWith('[')
            ? IPV6.test(host)
            : host.split('.').every((c) => DOMAIN_COMPONENT.test(c));
        if (!hostOk)
            bad(`registry host "${host}" is not a valid host name`);
    }
    for (const c of parts) {
        if (c === '')
            bad('the path has an empty component ("//" or a trailing "/")');
        if (c !== c.toLowerCase())
            bad(`path component "${c}" has upper case; repository paths are lower-case`);
        if (!PATH_COMPONENT.test(c))
            bad(`path component "${c}" may only hold a-z, 0-9 and single separators (".", "_", "__", "-"), ` +
                'and must start and end with a letter or digit');
    }
    if (options.nameOnly && (tag !== undefined || digest !== undefined))
        bad('give the repository only, without a tag or digest');
    let path = parts.join('/');
    const hub = registry === undefined || registry === 'docker.io' || registry === 'index.docker.io';
    if (hub && !path.includes('/'))
        path = `library/${path}`;
    return {
        registry: hub ? exports.DOCKER_HUB : registry,
        repository: path,
        ...(tag !== undefined ? { tag } : {}),
        ...(digest !== undefined ? { digest } : {}),
        explicitRegistry: registry !== undefined
    };
}
function splitIpv6(registry) {
    const end = registry.indexOf(']');
    const host = registry.slice(0, end + 1);
    const after = registry.slice(end + 1);
    if (after === '')
        return [host];
    if (!after.startsWith(':'))
        return [host, after];
    return [host, after.slice(1)];
}
/** host/repo[:tag][@digest], the way docker prints it (docker.io kept explicit). */
function formatReference(r) {
    return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}
/** The host the Registry API answers on: Docker Hub's API host differs from its name. */
function apiHost(registry) {
    return registry === exports.DOCKER_HUB ? exports.DOCKER_HUB_API : registry;
}


/***/ }),

/***/ 3319:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.SCAN_REPORT_ARTIFACT = void 0;
exports.scanReportTag = scanReportTag;
exports.scanReportManifest = scanReportManifest;
exports.putScanReport = putScanReport;
exports.getScanReport = getScanReport;
const index_js_1 = __webpack_require__(893);
const oci_js_1 = __webpack_require__(4352);
/**
 * A scanner's report stored in the registry beside the image it describes, as an OCI artifact tagged
 * `sha256-<hex>.scan` (the tag scheme cosign uses for signatures): a promote job that holds only its own
 * environment's secrets reads the report of the digest it promotes from the registry it pulls from.
 */
exports.SCAN_REPORT_ARTIFACT = 'application/vnd.deploy-actions.scan-report.v1+json';
const EMPTY_CONFIG = Buffer.from('{}');
const EMPTY_CONFIG_TYPE = 'application/vnd.oci.empty.v1+json';
/** The tag beside `sha256:<hex>`: `sha256-<hex>.scan`. */
function scanReportTag(imageDigest) {
    const m = /^sha256:([0-9a-f]{64})$/.exec(imageDigest);
    if (!m)
        throw new Error(`scanReportTag: '${imageDigest}' is not a sha256 digest`);
    return `sha256-${m[1]}.scan`;
}
/** The manifest that carries a report, byte for byte (deterministic: the same report gives the same digest). */
function scanReportManifest(report) {
    return Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: oci_js_1.OCI_MANIFEST,
        artifactType: exports.SCAN_REPORT_ARTIFACT,
        config: { mediaType: EMPTY_CONFIG_TYPE, digest: (0, oci_js_1.sha256)(EMPTY_CONFIG), size: EMPTY_CONFIG.length },
        layers: [{ mediaType: 'application/json', digest: (0, oci_js_1.sha256)(report), size: report.length }]
    }));
}
/** Store `report` beside `imageDigest` in `repo`; returns the tag and the artifact's manifest digest. */
async function putScanReport(client, repo, imageDigest, report) {
    const tag = scanReportTag(imageDigest);
    await client.pushBlob(repo, EMPTY_CONFIG);
    await client.pushBlob(repo, report);
    const digest = await client.putManifest(repo, tag, oci_js_1.OCI_MANIFEST, scanReportManifest(report));
    return { tag, digest };
}
/** The report stored beside `imageDigest`, or undefined when there is none (the digest was never scanned). */
async function getScanReport(client, repo, imageDigest) {
    const tag = scanReportTag(imageDigest);
    let layer;
    try {
        const manifest = await client.getManifest(repo, tag);
        layer = manifest.json.layers?.[0];
    }
    catch (err) {
        if (err instanceof index_js_1.RegistryError && err.status === 404)
            return undefined;
        throw err;
    }
    if (!layer)
        throw new index_js_1.RegistryError(`${client.registry}/${repo}:${tag} holds no report layer`, {
            state: 'nothing was changed'
        });
    const res = await client.getBlob(repo, layer.digest);
    const body = Buffer.from(await res.arrayBuffer());
    if ((0, oci_js_1.sha256)(body) !== layer.digest)
        throw new index_js_1.RegistryError(`${client.registry}/${repo}:${tag}: the report served hashes to ${(0, oci_js_1.sha256)(body)}, not ${layer.digest}`, {
            state: 'nothing was changed',
            hint: 'the registry or a proxy altered the content; retry, or scan the digest again'
        });
    return body;
}


/***/ }),

/***/ 1232:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.bands = exports.DORA_BANDS = void 0;
/**
 * DORA's software delivery performance clusters, from one named report year, kept in this one constant.
 * Source: the 2023 Accelerate State of DevOps Report (DORA), "Software delivery performance" clusters:
 *   deployment frequency  elite on demand (several a day) · high between once a day and once a week ·
 *                         medium between once a week and once a month · low less often;
 *   lead time for changes elite < 1 day · high 1 day – 1 week · medium 1 week – 1 month · low longer;
 *   change failure rate   elite 5% · high 10% · medium 15% · low 64% (cluster medians: at most each value);
 *   recovery time         elite < 1 hour · high < 1 day · medium 1 day – 1 week · low longer.
 * Each threshold is the upper bound of its band (the lower bound for frequency).
 */
exports.DORA_BANDS = {
    year: 2023,
    report: 'Accelerate State of DevOps Report 2023 (DORA)',
    deploysPerWeek: { elite: 7, high: 1, medium: 12 / 52 },
    leadTimeSeconds: { elite: 86_400, high: 7 * 86_400, medium: 30 * 86_400 },
    changeFailureRate: { elite: 0.05, high: 0.1, medium: 0.15 },
    timeToRestoreSeconds: { elite: 3_600, high: 86_400, medium: 7 * 86_400 }
};
/** Smaller is better (lead time, failure rate, restore time). */
function atMost(value, b) {
    if (value <= b.elite)
        return 'elite';
    if (value <= b.high)
        return 'high';
    if (value <= b.medium)
        return 'medium';
    return 'low';
}
exports.bands = {
    deploysPerWeek(v) {
        const b = exports.DORA_BANDS.deploysPerWeek;
        if (v >= b.elite)
            return 'elite';
        if (v >= b.high)
            return 'high';
        if (v >= b.medium)
            return 'medium';
        return 'low';
    },
    leadTime: (s) => atMost(s, exports.DORA_BANDS.leadTimeSeconds),
    changeFailureRate: (r) => atMost(r, exports.DORA_BANDS.changeFailureRate),
    timeToRestore: (s) => atMost(s, exports.DORA_BANDS.timeToRestoreSeconds)
};


/***/ }),

/***/ 9890:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.environmentReport = environmentReport;
exports.deployAttempts = deployAttempts;
exports.isoWeek = isoWeek;
exports.quantile = quantile;
const bands_js_1 = __webpack_require__(1232);
const history_js_1 = __webpack_require__(3912);
const migrations_js_1 = __webpack_require__(6303);
const WEEK_MS = 7 * 86_400_000;
const RESTORING = new Set(['rollback.executed', 'switch.reverted']);
function environmentReport(environment, readings, options) {
    const lines = readings
        .flatMap((r) => r.lines)
        .filter((l) => l.environment === environment && (!l.app || l.app === options.app))
        .sort((a, b) => (0, history_js_1.timeOf)(a) - (0, history_js_1.timeOf)(b));
    const from = options.since ?? (lines[0] ? (0, history_js_1.timeOf)(lines[0]) : options.until);
    const inPeriod = lines.filter((l) => (0, history_js_1.timeOf)(l) >= from && (0, history_js_1.timeOf)(l) <= options.until);
    const attempts = deployAttempts(inPeriod, lines, options.incidentWindowMs);
    const leads = leadTimes(attempts, options.commits);
    const figures = figuresOf(attempts, leads, Math.max(options.until - from, WEEK_MS));
    const tolerance = options.skewToleranceSeconds ?? 2;
    const drill = last(lines, (l) => l.event === 'drill.completed');
    const onHost = last(lines, (l) => l.event === 'migration.applied');
    const migration = (0, migrations_js_1.newerMigration)(onHost ? { time: onHost.time, version: String(onHost.version ?? ''), source: 'history' } : null, options.tableMigration ?? null);
    const notes = [];
    if (!options.commits)
        notes.push('lead time not computed: no repository was given to read commit times from');
    for (const r of readings)
        if (r.error)
            notes.push(`${r.host}: history not read (${r.error})`);
    for (const r of readings)
        if (r.torn)
            notes.push(`${r.host}: ${r.torn} torn line(s) skipped`);
    return {
        environment,
        app: options.app,
        period: { from: new Date(from).toISOString(), to: new Date(options.until).toISOString() },
        ...figures,
        bands: {
            year: bands_js_1.DORA_BANDS.year,
            deploymentFrequency: bands_js_1.bands.deploysPerWeek(figures.deploysPerWeek),
            leadTime: figures.leadTimeMedianSeconds === null ? null : bands_js_1.bands.leadTime(figures.leadTimeMedianSeconds),
            changeFailureRate: figures.changeFailureRate === null ? null : bands_js_1.bands.changeFailureRate(figures.changeFailureRate),
            timeToRestore: figures.timeToRestoreMedianSeconds === null
                ? null
                : bands_js_1.bands.timeToRestore(figures.timeToRestoreMedianSeconds)
        },
        attempts,
        weeks: weeksOf(attempts, leads),
        lastDrill: drill?.time ?? null,
        lastMigration: migration?.time ?? null,
        lastMigrationSource: migration?.source ?? null,
        drillOlderThanMigration: !!migration && (!drill || (0, history_js_1.timeOf)(drill) < (0, history_js_1.timeOf)(migration)),
        hosts: readings.map((r) => ({
            host: r.host,
            lines: r.lines.length,
            torn: r.torn,
            skewSeconds: r.skewSeconds ?? null,
            error: r.error ?? null
        })),
        skew: readings
            .filter((r) => r.skewSeconds !== undefined && Math.abs(r.skewSeconds) > tolerance)
            .map((r) => ({ host: r.host, seconds: r.skewSeconds })),
        notes
    };
}
/**
 * Every release a deploy started, judged from all hosts' lines. A change failed when it failed its gate or
 * soak (`deploy.failed`), was rolled back later (`rollback.executed` from it, by hand or automatically), or
 * was followed by `incident.opened` within the incident window of its serving.
 */
function deployAttempts(lines, all, incidentWindowMs) {
    const byRelease = new Map();
    for (const l of lines)
        if (l.event === 'deploy.started' && l.release && !byRelease.has(l.release))
            byRelease.set(l.release, []);
    for (const l of all)
        if (l.release && byRelease.has(l.release))
            byRelease.get(l.release).push(l);
    const attempts = [...byRelease.entries()].map(([release, own]) => attemptOf(release, own, all));
    for (const incident of all.filter((l) => l.event === 'incident.opened')) {
        const at = (0, history_js_1.timeOf)(incident);
        const release = typeof incident.release === 'string' ? incident.release : servingAt(all, at);
        const serving = attempts.find((a) => a.release === release && a.servedAt !== undefined && a.servedAt <= at);
        if (!serving || at - serving.servedAt > incidentWindowMs)
            continue;
        // An incident that came first explains a later rollback away from the release: it is the failure's start.
        if (!serving.failure || (serving.failure.kind === 'rollback' && serving.failure.at >= at)) {
            serving.failed = true;
            serving.failure = { kind: 'incident', at, reason: String(incident.reason ?? 'incident opened') };
        }
    }
    for (const a of attempts)
        a.restoreSeconds = restoreSeconds(a, all);
    return attempts.sort((a, b) => a.startedAt - b.startedAt);
}
/** The release serving at a time: the last deploy completed, rollback or reverted switch before it. */
function servingAt(all, at) {
    let serving;
    for (const l of all) {
        if ((0, history_js_1.timeOf)(l) > at)
            break;
        if (l.event === 'deploy.completed' && l.release)
            serving = l.release;
        else if ((l.event === 'rollback.executed' || l.event === 'switch.reverted') && typeof l.to === 'string')
            serving = l.to;
    }
    return serving;
}
function attemptOf(release, own, all) {
    const at = (event) => own.filter((l) => l.event === event).map(history_js_1.timeOf);
    const started = Math.min(...at('deploy.started'));
    const completed = at('deploy.completed');
    const switched = at('traffic.switched');
    const failedAt = at('deploy.failed');
    const version = String(own.find((l) => typeof l.version === 'string')?.version ?? '');
    const durations = own.filter((l) => l.event === 'deploy.completed' && typeof l.durationMs === 'number');
    const a = { release, version, startedAt: started, failed: false };
    const served = [...switched, ...completed];
    if (served.length)
        a.servedAt = Math.min(...served);
    if (completed.length && !failedAt.length)
        a.completedAt = Math.max(...completed);
    if (durations.length)
        a.durationSeconds = Math.max(...durations.map((l) => l.durationMs)) / 1000;
    const rolledBackFrom = all.find((l) => l.event === 'rollback.executed' && l.from === release && !l.drill && (0, history_js_1.timeOf)(l) >= started);
    if (failedAt.length) {
        const l = own.find((x) => x.event === 'deploy.failed');
        a.failed = true;
        a.failure = { kind: 'deploy.failed', at: Math.min(...failedAt), reason: String(l.reason ?? 'failed') };
    }
    else if (rolledBackFrom) {
        a.failed = true;
        a.failure = {
            kind: 'rollback',
            at: (0, history_js_1.timeOf)(rolledBackFrom),
            reason: String(rolledBackFrom.reason ?? 'rolled back')
        };
    }
    return a;
}
/**
 * Time to restore: from the moment the failed change began serving (or the incident was opened) to the next
 * line that says a healthy release serves again: a rollback, a reverted switch, or another release's
 * completed deploy. A change that failed before it ever served needed no restore and is not counted.
 */
function restoreSeconds(a, all) {
    if (!a.failed || !a.failure)
        return undefined;
    const start = a.failure.kind === 'incident' ? a.failure.at : a.servedAt;
    if (start === undefined)
        return undefined;
    const end = all.find((l) => (0, history_js_1.timeOf)(l) >= start &&
        ((RESTORING.has(l.event) && !l.drill) || (l.event === 'deploy.completed' && l.release !== a.release)));
    return end ? ((0, history_js_1.timeOf)(end) - start) / 1000 : undefined;
}
/** Lead time of each commit: from its time to the first moment a release containing it served. */
function leadTimes(attempts, commits) {
    if (!commits)
        return [];
    const seen = new Set();
    const out = [];
    for (const a of attempts) {
        if (a.completedAt === undefined || a.servedAt === undefined || seen.has(a.version))
            continue;
        seen.add(a.version);
        for (const c of commits.get(a.version) ?? [])
            out.push({ at: a.startedAt, seconds: Math.max(0, (a.servedAt - c.time) / 1000) });
    }
    return out;
}
function figuresOf(attempts, leads, periodMs) {
    const ok = attempts.filter((a) => a.completedAt !== undefined);
    const failed = attempts.filter((a) => a.failed);
    const restores = attempts.flatMap((a) => (a.restoreSeconds === undefined ? [] : [a.restoreSeconds]));
    const durations = attempts.flatMap((a) => (a.durationSeconds === undefined ? [] : [a.durationSeconds]));
    const serve = attempts.flatMap((a) => a.servedAt === undefined ? [] : [(a.servedAt - a.startedAt) / 1000]);
    const leadSeconds = leads.map((l) => l.seconds);
    return {
        deployments: attempts.length,
        successfulDeployments: ok.length,
        failedDeployments: failed.length,
        changeFailureRate: attempts.length ? failed.length / attempts.length : null,
        deploysPerWeek: ok.length / (periodMs / WEEK_MS),
        leadTimeMedianSeconds: quantile(leadSeconds, 0.5),
        leadTimeP90Seconds: quantile(leadSeconds, 0.9),
        timeToRestoreMedianSeconds: quantile(restores, 0.5),
        timeToRestoreWorstSeconds: restores.length ? Math.max(...restores) : null,
        deployDurationMedianSeconds: quantile(durations, 0.5),
        timeToServeMedianSeconds: quantile(serve, 0.5)
    };
}
/** The same figures per ISO week of each deploy's start (a week's frequency is its own count). */
function weeksOf(attempts, leads) {
    const weeks = new Map();
    for (const a of attempts) {
        const w = isoWeek(a.startedAt);
        weeks.set(w, [...(weeks.get(w) ?? []), a]);
    }
    return [...weeks.entries()].map(([week, list]) => ({
        week,
        ...figuresOf(list, leads.filter((l) => isoWeek(l.at) === week), WEEK_MS)
    }));
}
/** `2026-W49`: ISO 8601 week-numbering year and week of a UTC time. */
function isoWeek(ms) {
    const d = new Date(ms);
    const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7));
    const year = thursday.getUTCFullYear();
    const week = Math.ceil(((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
    return `${year}-W${String(week).padStart(2, '0')}`;
}
/** Nearest-rank quantile; null for no values. */
function quantile(values, q) {
    if (!values.length)
        return null;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
function last(lines, pick) {
    for (let i = lines.length - 1; i >= 0; i--)
        if (pick(lines[i]))
            return lines[i];
    return undefined;
}


/***/ }),

/***/ 3912:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.timeOf = void 0;
exports.parseHistory = parseHistory;
function parseHistory(host, text) {
    const lines = [];
    let torn = 0;
    for (const raw of text.split('\n')) {
        if (!raw.trim())
            continue;
        let value;
        try {
            value = JSON.parse(raw);
        }
        catch {
            torn++;
            continue;
        }
        if (!isLine(value)) {
            torn++;
            continue;
        }
        lines.push({ ...value, host: typeof value.host === 'string' ? value.host : host });
    }
    return { host, lines, torn };
}
function isLine(v) {
    if (!v || typeof v !== 'object' || Array.isArray(v))
        return false;
    const o = v;
    return (typeof o.time === 'string' &&
        !Number.isNaN(Date.parse(o.time)) &&
        typeof o.event === 'string' &&
        typeof o.environment === 'string');
}
const timeOf = (l) => Date.parse(l.time);
exports.timeOf = timeOf;


/***/ }),

/***/ 8796:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.readReportInputs = exports.deliveryReports = exports.newerMigration = exports.readLastMigration = exports.lastTableMigration = exports.changeObserveKeys = exports.withoutObserveKey = exports.withObserveKey = exports.observeKeyLine = exports.parsePublicKey = exports.observeMark = exports.AUTHORIZED_KEYS = exports.OBSERVE_SCRIPT_SOURCE = exports.commitsArgv = exports.revParseArgv = exports.clockArgv = exports.historyReadArgv = exports.commitsByVersion = exports.appendToHistories = exports.eachHost = exports.readHosts = exports.readHost = exports.reportMarkdown = exports.reportExposition = exports.reportJson = exports.quantile = exports.isoWeek = exports.deployAttempts = exports.environmentReport = exports.parseHistory = exports.bands = exports.DORA_BANDS = void 0;
var bands_js_1 = __webpack_require__(1232);
Object.defineProperty(exports, "DORA_BANDS", ({ enumerable: true, get: function () { return bands_js_1.DORA_BANDS; } }));
Object.defineProperty(exports, "bands", ({ enumerable: true, get: function () { return bands_js_1.bands; } }));
var history_js_1 = __webpack_require__(3912);
Object.defineProperty(exports, "parseHistory", ({ enumerable: true, get: function () { return history_js_1.parseHistory; } }));
var dora_js_1 = __webpack_require__(9890);
Object.defineProperty(exports, "environmentReport", ({ enumerable: true, get: function () { return dora_js_1.environmentReport; } }));
Object.defineProperty(exports, "deployAttempts", ({ enumerable: true, get: function () { return dora_js_1.deployAttempts; } }));
Object.defineProperty(exports, "isoWeek", ({ enumerable: true, get: function () { return dora_js_1.isoWeek; } }));
Object.defineProperty(exports, "quantile", ({ enumerable: true, get: function () { return dora_js_1.quantile; } }));
var render_js_1 = __webpack_require__(6890);
Object.defineProperty(exports, "reportJson", ({ enumerable: true, get: function () { return render_js_1.reportJson; } }));
Object.defineProperty(exports, "reportExposition", ({ enumerable: true, get: function () { return render_js_1.reportExposition; } }));
Object.defineProperty(exports, "reportMarkdown", ({ enumerable: true, get: function () { return render_js_1.reportMarkdown; } }));
var read_js_1 = __webpack_require__(2762);
Object.defineProperty(exports, "readHost", ({ enumerable: true, get: function () { return read_js_1.readHost; } }));
Object.defineProperty(exports, "readHosts", ({ enumerable: true, get: function () { return read_js_1.readHosts; } }));
Object.defineProperty(exports, "eachHost", ({ enumerable: true, get: function () { return read_js_1.eachHost; } }));
Object.defineProperty(exports, "appendToHistories", ({ enumerable: true, get: function () { return read_js_1.appendToHistories; } }));
Object.defineProperty(exports, "commitsByVersion", ({ enumerable: true, get: function () { return read_js_1.commitsByVersion; } }));
Object.defineProperty(exports, "historyReadArgv", ({ enumerable: true, get: function () { return read_js_1.historyReadArgv; } }));
Object.defineProperty(exports, "clockArgv", ({ enumerable: true, get: function () { return read_js_1.clockArgv; } }));
Object.defineProperty(exports, "revParseArgv", ({ enumerable: true, get: function () { return read_js_1.revParseArgv; } }));
Object.defineProperty(exports, "commitsArgv", ({ enumerable: true, get: function () { return read_js_1.commitsArgv; } }));
var observe_js_1 = __webpack_require__(9504);
Object.defineProperty(exports, "OBSERVE_SCRIPT_SOURCE", ({ enumerable: true, get: function () { return observe_js_1.OBSERVE_SCRIPT_SOURCE; } }));
Object.defineProperty(exports, "AUTHORIZED_KEYS", ({ enumerable: true, get: function () { return observe_js_1.AUTHORIZED_KEYS; } }));
Object.defineProperty(exports, "observeMark", ({ enumerable: true, get: function () { return observe_js_1.observeMark; } }));
Object.defineProperty(exports, "parsePublicKey", ({ enumerable: true, get: function () { return observe_js_1.parsePublicKey; } }));
Object.defineProperty(exports, "observeKeyLine", ({ enumerable: true, get: function () { return observe_js_1.observeKeyLine; } }));
Object.defineProperty(exports, "withObserveKey", ({ enumerable: true, get: function () { return observe_js_1.withObserveKey; } }));
Object.defineProperty(exports, "withoutObserveKey", ({ enumerable: true, get: function () { return observe_js_1.withoutObserveKey; } }));
Object.defineProperty(exports, "changeObserveKeys", ({ enumerable: true, get: function () { return observe_js_1.changeObserveKeys; } }));
var migrations_js_1 = __webpack_require__(6303);
Object.defineProperty(exports, "lastTableMigration", ({ enumerable: true, get: function () { return migrations_js_1.lastTableMigration; } }));
Object.defineProperty(exports, "readLastMigration", ({ enumerable: true, get: function () { return migrations_js_1.readLastMigration; } }));
Object.defineProperty(exports, "newerMigration", ({ enumerable: true, get: function () { return migrations_js_1.newerMigration; } }));
var run_js_1 = __webpack_require__(8857);
Object.defineProperty(exports, "deliveryReports", ({ enumerable: true, get: function () { return run_js_1.deliveryReports; } }));
var inputs_js_1 = __webpack_require__(8803);
Object.defineProperty(exports, "readReportInputs", ({ enumerable: true, get: function () { return inputs_js_1.readReportInputs; } }));


/***/ }),

/***/ 8803:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.readReportInputs = readReportInputs;
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3747);
const REPORT = (0, index_js_2.defaultsOf)('delivery-report');
/** The delivery-report action's inputs, checked before any host is asked. */
function readReportInputs(inputs, workspace) {
    const privateKey = inputs.string('ssh-key', { required: true });
    const knownHosts = inputs.string('known-hosts', { required: true });
    const port = inputs.integer('port', { fallback: REPORT.number('port'), min: 1, max: 65535 });
    const user = inputs.string('user', { fallback: REPORT.text('user') });
    const hosts = inputs.list('host', { commas: true });
    if (!hosts.length)
        throw new index_js_1.InputError('host', 'is required', 'give every host of the environments');
    const connections = hosts.map((line) => {
        const m = /^(?:([^@\s-][^@\s]*)@)?([^:@\s-][^:@\s]*)(?::(\d+))?$/.exec(line);
        if (!m)
            throw new index_js_1.InputError('host', `"${line}" is not [user@]host[:port]`, 'write e.g. deploy@web1.example.com:22');
        return { host: m[2], port: m[3] ? Number(m[3]) : port, user: m[1] ?? user, privateKey, knownHosts };
    });
    const environments = inputs.list('environment', { commas: true });
    const stateDir = inputs.string('state-dir', { fallback: REPORT.text('state-dir') });
    if (!stateDir.startsWith('/'))
        throw new index_js_1.InputError('state-dir', `"${stateDir}" is not an absolute path`, 'give the path deploy-compose was given');
    const repoPath = inputs.optional('repository-path');
    const sinceText = inputs.optional('since');
    const since = sinceText === undefined ? undefined : Date.parse(sinceText);
    if (since !== undefined && Number.isNaN(since))
        throw new index_js_1.InputError('since', `"${sinceText}" is not a date`, 'write ISO 8601, e.g. 2026-11-01');
    const databaseUrl = inputs.optional('database-url');
    return {
        connections,
        stateDir,
        app: inputs.string('app', { required: true }),
        environments: environments.length ? environments : [REPORT.text('environment')],
        incidentWindowMs: inputs.duration('incident-window', { fallback: REPORT.text('incident-window') }),
        ...(since !== undefined ? { since } : {}),
        ...(repoPath ? { repo: (0, node_path_1.isAbsolute)(repoPath) ? repoPath : (0, node_path_1.join)(workspace, repoPath) } : {}),
        ...(databaseUrl ? { databaseUrl: () => databaseUrl } : {}),
        historyTable: inputs.string('history-table', { fallback: REPORT.text('history-table') })
    };
}


/***/ }),

/***/ 6303:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.lastTableMigration = lastTableMigration;
exports.readLastMigration = readLastMigration;
exports.newerMigration = newerMigration;
const index_js_1 = __webpack_require__(7101);
/**
 * The newest schema change in run-migrations' history table: an `up` file applied, a `down` file reverted, or
 * a `command` applied (one row per attempt, never updated). Failed attempts, baselines and repairs change no
 * schema and are not counted.
 */
function lastTableMigration(rows) {
    let last;
    for (const r of rows) {
        const change = (r.kind === 'up' && r.status === 'applied') ||
            (r.kind === 'down' && r.status === 'reverted') ||
            (r.kind === 'command' && r.status === 'applied');
        if (change && (!last || Date.parse(r.appliedAt) >= Date.parse(last.appliedAt)))
            last = r;
    }
    return last ? { time: last.appliedAt, version: last.version, source: 'run-migrations' } : null;
}
/**
 * Read run-migrations' history table (`history-table`, `table` or `schema.table`, in the URL's default
 * schema as run-migrations resolves it) and return its newest schema change; null when there is no table.
 */
async function readLastMigration(url, historyTable) {
    const target = (0, index_js_1.parseDatabaseUrl)(url);
    // Named in pg_stat_activity as what it is: a reader, never a migration run.
    const client = await (0, index_js_1.connect)(target, { applicationName: 'deploy-actions delivery-report' });
    try {
        const table = (0, index_js_1.parseTableName)(historyTable, await (0, index_js_1.currentSchema)(client));
        return lastTableMigration(await (0, index_js_1.readHistory)(client, table));
    }
    finally {
        await client.end().catch(() => undefined);
    }
}
/** The newer of two last migrations (either may be unknown). */
function newerMigration(a, b) {
    if (!a)
        return b;
    if (!b)
        return a;
    return Date.parse(b.time) > Date.parse(a.time) ? b : a;
}


/***/ }),

/***/ 9504:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.AUTHORIZED_KEYS = exports.observeMark = exports.OBSERVE_SCRIPT_SOURCE = void 0;
exports.parsePublicKey = parsePublicKey;
exports.observeKeyLine = observeKeyLine;
exports.withObserveKey = withObserveKey;
exports.withoutObserveKey = withoutObserveKey;
exports.changeObserveKeys = changeObserveKeys;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3149);
const read_js_1 = __webpack_require__(2762);
/**
 * A reviewer-less route for reading the records: an `<environment>-observe` GitHub environment holds its own
 * SSH key, and each host lets that key do nothing but what `deploy-actions report` asks (the host's clock and
 * one app's history), through an authorized_keys forced command:
 *
 *   restrict,command="sh <state-dir>/<app>/observe.sh <state-dir> <app>" ssh-ed25519 AAAA… deploy-actions-observe:<app>
 *
 * `restrict` turns off forwarding, a pty and user rc files; the forced command (packages/report/host/observe.sh)
 * compares the request with the two shapes it serves and never runs the request itself. A nightly report then
 * needs no approval of the protected environment, and its key cannot deploy, roll back or read `.env`.
 */
/** The forced command's source, relative to the repository root (a `.sh` file shellcheck reads). */
exports.OBSERVE_SCRIPT_SOURCE = 'packages/report/host/observe.sh';
/** The comment that marks an app's observe key in authorized_keys (one per app: installing replaces it). */
const observeMark = (app) => `deploy-actions-observe:${app}`;
exports.observeMark = observeMark;
/** The default authorized_keys of the login user (sshd's default AuthorizedKeysFile, relative to home). */
exports.AUTHORIZED_KEYS = '.ssh/authorized_keys';
const KEY_TYPES = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'ssh-rsa',
    'sk-ssh-ed25519@openssh.com',
    'sk-ecdsa-sha2-nistp256@openssh.com'
];
/** Characters that need no quoting in the forced command (core/shell.ts's safe set). */
const SAFE = /^[\w@%+=:,./-]+$/;
/** A public key line as `ssh-keygen` writes it (`type base64 [comment]`), reduced to `type base64`. */
function parsePublicKey(text, input = 'public-key') {
    const t = text.trim();
    if (/PRIVATE KEY/.test(t))
        throw new index_js_1.InputError(input, 'is a private key: give the PUBLIC half (the .pub file ssh-keygen wrote beside it); the private key stays in the observe environment');
    const [type, body] = t.split(/\s+/);
    if (!type || !KEY_TYPES.includes(type) || !body || !/^[A-Za-z0-9+/]+={0,3}$/.test(body) || t.includes('\n'))
        throw new index_js_1.InputError(input, `is not one OpenSSH public key line (${KEY_TYPES.slice(0, 2).join(', ')}, …): make one with ssh-keygen -t ed25519 -f observe -N '' and pass observe.pub`);
    return `${type} ${body}`;
}
function checkSafe(value, input) {
    if (!SAFE.test(value))
        throw new index_js_1.InputError(input, `"${value}" has characters an authorized_keys forced command would need quoted: use letters, digits and @%+=:,./- only`);
}
/** The authorized_keys line for an app's observe key. */
function observeKeyLine(stateDir, app, publicKey) {
    checkSafe(stateDir, 'state-dir');
    checkSafe(app, 'app');
    const key = parsePublicKey(publicKey);
    const command = `sh ${(0, index_js_2.observeScriptPath)(stateDir, app)} ${stateDir} ${app}`;
    return `restrict,command="${command}" ${key} ${(0, exports.observeMark)(app)}`;
}
const isMarked = (line, app) => line.trimEnd().endsWith(` ${(0, exports.observeMark)(app)}`);
/** authorized_keys with the app's observe key line set to `line` (replacing an earlier one), others kept. */
function withObserveKey(existing, app, line) {
    return withoutObserveKey(existing, app) + line + '\n';
}
/** authorized_keys without the app's observe key line; every other line kept as it was. */
function withoutObserveKey(existing, app) {
    const kept = existing
        .split('\n')
        .filter((l, i, all) => !(isMarked(l, app) || (l === '' && i === all.length - 1)));
    return kept.length ? kept.join('\n') + '\n' : '';
}
/**
 * Install (or remove) an app's observe key on every host, over the deploy user's own connection: the forced
 * command lands at `<state-dir>/<app>/observe.sh`, then authorized_keys is rewritten whole by temp file and
 * rename (0600), keeping every other line. Returns each host's error, or null.
 */
function changeObserveKeys(connections, change, logger) {
    const file = change.authorizedKeys ?? exports.AUTHORIZED_KEYS;
    const line = change.publicKey ? observeKeyLine(change.stateDir, change.app, change.publicKey) : undefined;
    const script = (0, index_js_2.observeScriptPath)(change.stateDir, change.app);
    return (0, read_js_1.eachHost)(connections, logger, async (exec, host) => {
        if (line) {
            await exec.run({ argv: (0, index_js_2.mkdirArgv)(script.slice(0, script.lastIndexOf('/'))), timeoutMs: 30_000 });
            await exec.run({ argv: (0, index_js_2.writeFileArgv)(script), stdin: change.script, timeoutMs: 30_000 });
        }
        const read = await exec.run({ argv: ['cat', '--', file], check: false, timeoutMs: 30_000 });
        if (read.exitCode !== 0 && !/No such file/.test(read.stderr))
            throw new Error(`cannot read ${file}: ${read.stderr.trim()}`);
        const existing = read.exitCode === 0 ? read.stdout : '';
        const next = line
            ? withObserveKey(existing, change.app, line)
            : withoutObserveKey(existing, change.app);
        if (next !== existing) {
            await exec.run({ argv: (0, index_js_2.writeFileArgv)(file), stdin: next, timeoutMs: 30_000 });
        }
        return { host, error: null };
    }, (host, error) => ({ host, error }));
}


/***/ }),

/***/ 2762:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.commitsArgv = exports.revParseArgv = exports.clockArgv = void 0;
exports.historyReadArgv = historyReadArgv;
exports.readHost = readHost;
exports.eachHost = eachHost;
exports.readHosts = readHosts;
exports.appendToHistories = appendToHistories;
exports.commitsByVersion = commitsByVersion;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3149);
const index_js_3 = __webpack_require__(2978);
const history_js_1 = __webpack_require__(3912);
/** argv: the app's history on a host, whole (the engine's layout owns the path). */
function historyReadArgv(stateDir, app, environment) {
    return ['cat', '--', (0, index_js_2.layout)(stateDir, app, (0, index_js_2.environmentSlug)(environment)).history];
}
/** argv: the host's clock, for skew. */
const clockArgv = () => ['date', '-u', '+%s.%N'];
exports.clockArgv = clockArgv;
/**
 * One host's history for one environment, and how far its clock is from ours (measured around one command,
 * against the midpoint of its round trip). A host that cannot be reached or has no history becomes a
 * reading with an error: the report says so and speaks of the others.
 */
async function readHost(exec, name, stateDir, app, environment) {
    try {
        const sent = Date.now();
        const clock = await exec.run({ argv: (0, exports.clockArgv)(), check: false, timeoutMs: 30_000 });
        const back = Date.now();
        const history = await exec.run({
            argv: historyReadArgv(stateDir, app, environment),
            check: false,
            timeoutMs: 120_000
        });
        if (history.exitCode !== 0)
            return {
                host: name,
                lines: [],
                torn: 0,
                error: /No such file/.test(history.stderr)
                    ? `no history for ${app} in ${environment} under ${stateDir}`
                    : history.stderr.trim().split('\n')[0] || `cat exited ${history.exitCode}`
            };
        const hostNow = Number(clock.stdout.trim()) * 1000;
        const skew = Number.isFinite(hostNow) ? (hostNow - (sent + back) / 2) / 1000 : undefined;
        return { ...(0, history_js_1.parseHistory)(name, history.stdout), ...(skew === undefined ? {} : { skewSeconds: skew }) };
    }
    catch (err) {
        return { host: name, lines: [], torn: 0, error: (0, index_js_1.describeError)(err).split('\n')[0] };
    }
}
/** Run `work` on each host over its own pinned connection; a host that fails yields its error. */
async function eachHost(connections, logger, work, failed) {
    return Promise.all(connections.map(async (c) => {
        const name = c.port && c.port !== 22 ? `${c.host}:${c.port}` : c.host;
        let exec;
        try {
            exec = await index_js_3.SshExecutor.connect({
                host: c.host,
                ...(c.port ? { port: c.port } : {}),
                user: c.user,
                privateKey: c.privateKey,
                knownHosts: c.knownHosts,
                logger,
                connectAttempts: 1
            });
            return await work(exec, name);
        }
        catch (err) {
            return failed(name, (0, index_js_1.describeError)(err).split('\n')[0]);
        }
        finally {
            await exec?.close();
        }
    }));
}
function readHosts(connections, stateDir, app, environment, logger) {
    return eachHost(connections, logger, (exec, name) => readHost(exec, name, stateDir, app, environment), (host, error) => ({ host, lines: [], torn: 0, error }));
}
/**
 * Append one line (an `incident.opened` from a pager, say) to the app's history on every host, in one write
 * that closes a torn last line first, as the engine appends. Returns each host's error, or null.
 */
function appendToHistories(connections, stateDir, app, environment, line, logger) {
    const path = (0, index_js_2.layout)(stateDir, app, (0, index_js_2.environmentSlug)(environment)).history;
    return eachHost(connections, logger, async (exec, host) => {
        const root = path.slice(0, path.lastIndexOf('/'));
        const there = await exec.run({ argv: ['test', '-d', root], check: false, timeoutMs: 30_000 });
        if (there.exitCode !== 0)
            throw new Error(`${app} was never deployed to ${environment} here (no ${root}): check --app, --environment and --state-dir`);
        await exec.run({
            argv: (0, index_js_2.historyAppendArgv)(path),
            stdin: JSON.stringify(line(host)) + '\n',
            timeoutMs: 30_000
        });
        return { host, error: null };
    }, (host, error) => ({ host, error }));
}
/** argv: a version's commit, as a tag or any ref git knows. */
const revParseArgv = (repo, ref) => [
    'git',
    '-C',
    repo,
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${ref}^{commit}`
];
exports.revParseArgv = revParseArgv;
/** argv: the commits in (from, to], with their committer time. */
const commitsArgv = (repo, to, from) => [
    'git',
    '-C',
    repo,
    'log',
    '--format=%H %ct',
    '--end-of-options',
    from ? `${from}..${to}` : to
];
exports.commitsArgv = commitsArgv;
/**
 * The commits each served version brought: the tag range from the version that served before it (in the
 * order versions first served) to it. A version no ref names (a short SHA that is gone, a tag not fetched)
 * brings none, and the caller says so.
 */
async function commitsByVersion(repo, versions, exec = new index_js_1.LocalExecutor()) {
    const commits = new Map();
    const unknown = [];
    let previous;
    for (const version of versions) {
        let sha;
        for (const ref of version.startsWith('v') ? [version] : [version, `v${version}`]) {
            const r = await exec.run({ argv: (0, exports.revParseArgv)(repo, ref), check: false });
            if (r.exitCode === 0) {
                sha = r.stdout.trim();
                break;
            }
        }
        if (!sha) {
            unknown.push(version);
            continue;
        }
        const log = await exec.run({ argv: (0, exports.commitsArgv)(repo, sha, previous) });
        commits.set(version, log.stdout
            .split('\n')
            .filter(Boolean)
            .map((l) => {
            const [h, t] = l.split(' ');
            return { sha: h, time: Number(t) * 1000 };
        }));
        previous = sha;
    }
    return { commits, unknown };
}


/***/ }),

/***/ 6890:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.reportJson = reportJson;
exports.reportExposition = reportExposition;
exports.reportMarkdown = reportMarkdown;
const index_js_1 = __webpack_require__(893);
const bands_js_1 = __webpack_require__(1232);
/** The JSON the CLI prints with `--format json`: one object per environment, attempts left out. */
function reportJson(reports) {
    return (JSON.stringify(reports.map(({ attempts: _attempts, ...r }) => r), null, 2) + '\n');
}
const FIGURES = [
    ['deployments', 'Deploys started in the period.'],
    ['successfulDeployments', 'Deploys that ended serving.'],
    ['failedDeployments', 'Failed changes: failed gate or soak, rolled back, or followed by an incident.'],
    ['changeFailureRate', 'Failed changes / deploys.'],
    ['deploysPerWeek', 'Successful deploys per week over the period.'],
    ['leadTimeMedianSeconds', 'Median time from a commit to the first release containing it serving.'],
    ['leadTimeP90Seconds', '90th percentile of the lead time for changes.'],
    ['timeToRestoreMedianSeconds', 'Median time from a failed change serving to a healthy release serving.'],
    ['timeToRestoreWorstSeconds', 'Worst time to restore in the period.'],
    ['deployDurationMedianSeconds', 'Median deploy duration.'],
    ['timeToServeMedianSeconds', 'Median time from a deploy starting to its release serving.']
];
const snake = (s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** The report as a Prometheus textfile: `deploy_actions_<figure>{app,environment}`; unknown figures are left out. */
function reportExposition(reports) {
    const families = FIGURES.map(([key, help]) => ({
        name: `deploy_actions_${snake(key)}`,
        help,
        type: 'gauge',
        samples: reports.flatMap((r) => r[key] === null ? [] : [{ labels: { app: r.app, environment: r.environment }, value: r[key] }])
    }));
    families.push({
        name: 'deploy_actions_clock_skew_seconds',
        help: "A host's clock minus the runner's, measured when its history was read.",
        type: 'gauge',
        samples: reports.flatMap((r) => r.hosts.flatMap((h) => h.skewSeconds === null
            ? []
            : [{ labels: { app: r.app, environment: r.environment, host: h.host }, value: h.skewSeconds }]))
    });
    return (0, index_js_1.exposition)(families);
}
const fmt = (v, unit = '') => {
    if (v === null)
        return 'n/a';
    if (unit === '%')
        return `${(v * 100).toFixed(1)}%`;
    if (unit === 's')
        return duration(v);
    return Number.isInteger(v) ? String(v) : v.toFixed(2);
};
function duration(s) {
    if (s < 120)
        return `${s.toFixed(1)} s`;
    if (s < 7200)
        return `${(s / 60).toFixed(1)} min`;
    if (s < 172_800)
        return `${(s / 3600).toFixed(1)} h`;
    return `${(s / 86_400).toFixed(1)} d`;
}
/** A job summary: the four keys with their band per environment, a weekly chart, and what was not counted. */
function reportMarkdown(reports) {
    const parts = [`## Delivery report (DORA bands from the ${bands_js_1.DORA_BANDS.report})\n`];
    parts.push((0, index_js_1.table)([
        'environment',
        'deploys / week',
        'lead time (median, p90)',
        'change failure rate',
        'time to restore (median, worst)',
        'last drill',
        'last migration'
    ], reports.map((r) => [
        r.environment,
        `${fmt(r.deploysPerWeek)} (${r.bands.deploymentFrequency})`,
        `${fmt(r.leadTimeMedianSeconds, 's')}, ${fmt(r.leadTimeP90Seconds, 's')}${r.bands.leadTime ? ` (${r.bands.leadTime})` : ''}`,
        `${fmt(r.changeFailureRate, '%')} of ${r.deployments}${r.bands.changeFailureRate ? ` (${r.bands.changeFailureRate})` : ''}`,
        `${fmt(r.timeToRestoreMedianSeconds, 's')}, ${fmt(r.timeToRestoreWorstSeconds, 's')}${r.bands.timeToRestore ? ` (${r.bands.timeToRestore})` : ''}`,
        (r.lastDrill ?? 'never') + (r.drillOlderThanMigration ? ' ⚠️ older than the last migration' : ''),
        r.lastMigration ? `${r.lastMigration} (${r.lastMigrationSource})` : 'none recorded'
    ])));
    for (const r of reports) {
        if (r.weeks.length) {
            parts.push(`\n### ${r.environment}: deploys per week\n\n\`\`\`mermaid\nxychart-beta\n  x-axis [${r.weeks.map((w) => `"${w.week}"`).join(', ')}]\n  y-axis "deploys"\n  bar [${r.weeks.map((w) => w.deployments).join(', ')}]\n  line [${r.weeks.map((w) => w.failedDeployments).join(', ')}]\n\`\`\`\n`);
        }
        for (const s of r.skew)
            parts.push(`\n⚠️ ${r.environment}: ${s.host}'s clock is ${s.seconds.toFixed(1)} s off the runner's (reported, not corrected).\n`);
        for (const n of r.notes)
            parts.push(`\n- ${r.environment}: ${n}`);
    }
    return parts.join('\n') + '\n';
}


/***/ }),

/***/ 8857:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.deliveryReports = deliveryReports;
const index_js_1 = __webpack_require__(893);
const dora_js_1 = __webpack_require__(9890);
const migrations_js_1 = __webpack_require__(6303);
const read_js_1 = __webpack_require__(2762);
/**
 * The delivery report of each environment (the CLI's `report` and the delivery-report action): every host's
 * history, the commits of each served version when a repository is given, and run-migrations' last schema
 * change when a database is. What cannot be read becomes a note, never a number.
 */
async function deliveryReports(o) {
    const until = Date.now();
    const reports = [];
    for (const environment of o.environments) {
        const readings = await (0, read_js_1.readHosts)(o.connections, o.stateDir, o.app, environment, o.logger);
        const notes = [];
        let tableMigration;
        const url = o.databaseUrl?.(environment);
        if (url)
            tableMigration = await (0, migrations_js_1.readLastMigration)(url, o.historyTable).catch((err) => {
                notes.push(`run-migrations' history not read (${(0, index_js_1.describeError)(err).split('\n')[0]})`);
                return undefined;
            });
        const base = {
            app: o.app,
            incidentWindowMs: o.incidentWindowMs,
            until,
            ...(o.since !== undefined ? { since: o.since } : {}),
            ...(tableMigration !== undefined ? { tableMigration } : {})
        };
        let report = (0, dora_js_1.environmentReport)(environment, readings, base);
        if (o.repo) {
            const served = [
                ...new Set(report.attempts.filter((a) => a.completedAt !== undefined).map((a) => a.version))
            ];
            const { commits, unknown } = await (0, read_js_1.commitsByVersion)(o.repo, served);
            report = (0, dora_js_1.environmentReport)(environment, readings, { ...base, commits });
            for (const v of unknown)
                report.notes.push(`version ${v} names no commit in ${o.repo}: its commits are not counted`);
        }
        report.notes.push(...notes);
        reports.push(report);
    }
    return reports;
}


/***/ }),

/***/ 9946:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.sshOptionPath = sshOptionPath;
exports.sshOptions = sshOptions;
exports.sshConfigText = sshConfigText;
exports.sshMasterArgv = sshMasterArgv;
exports.sshCommandArgv = sshCommandArgv;
exports.sshExitArgv = sshExitArgv;
exports.sshCheckArgv = sshCheckArgv;
exports.sshKeyscanArgv = sshKeyscanArgv;
const index_js_1 = __webpack_require__(893);
/** A path in an ssh option: ssh splits option values at spaces unless they are double-quoted. */
/** A path in an `-o Name=value` option: ssh splits the value at white space unless it is quoted. */
function sshOptionPath(p) {
    return /\s/.test(p) ? `"${p}"` : p;
}
const path = sshOptionPath;
/** The options every ssh invocation carries. Host keys are always checked: there is no insecure mode. */
function sshOptions(s) {
    const o = [
        'BatchMode=yes',
        'StrictHostKeyChecking=yes',
        `UserKnownHostsFile=${path(s.knownHostsFile)}`,
        'GlobalKnownHostsFile=/dev/null',
        'UpdateHostKeys=no',
        'IdentitiesOnly=yes',
        `IdentityFile=${path(s.identityFile)}`,
        'PasswordAuthentication=no',
        'KbdInteractiveAuthentication=no',
        `ConnectTimeout=${s.connectTimeoutS}`,
        `ServerAliveInterval=${s.serverAliveIntervalS}`,
        `ServerAliveCountMax=${s.serverAliveCountMax}`,
        'LogLevel=ERROR',
        'RequestTTY=no',
        'ForwardAgent=no',
        'ClearAllForwardings=yes',
        `ControlPath=${path(s.controlPath)}`
    ];
    if (s.hostKeyAlgorithms?.length)
        o.push(`HostKeyAlgorithms=${s.hostKeyAlgorithms.join(',')}`);
    return o;
}
/** The private ssh_config: the same options, so the jump connection spawned by `-J` is pinned too. */
function sshConfigText(s) {
    const lines = ['Host *'];
    for (const o of sshOptions(s)) {
        const eq = o.indexOf('=');
        if (o.startsWith('ControlPath='))
            continue; // the jump must not share the target's master socket
        lines.push(`  ${o.slice(0, eq)} ${o.slice(eq + 1)}`);
    }
    return lines.join('\n') + '\n';
}
function base(s, t) {
    const argv = ['ssh', '-F', s.configFile];
    for (const o of sshOptions(s))
        argv.push('-o', o);
    argv.push('-p', String(t.port), '-l', t.user);
    if (t.jumpHost)
        argv.push('-J', t.jumpHost);
    return argv;
}
/**
 * The master connection: authenticates, then backgrounds itself (`-f -N`) and serves later commands over
 * ControlPath until `ControlPersist` idles out or close() sends `-O exit`.
 */
function sshMasterArgv(s, t) {
    return [
        ...base(s, t),
        '-o',
        'ControlMaster=yes',
        '-o',
        `ControlPersist=${s.controlPersistS}`,
        '-f',
        '-N',
        '--',
        t.host
    ];
}
/**
 * Run `remote` (an argv) on the target. The remote side hands its command line to the login shell, so
 * the argv is joined with shellJoin (core/shell.ts): every argument is one word and nothing in it is parsed
 * as code. `--` ends ssh's options: a host can never be read as one.
 * ControlMaster=no: reuse the master when its socket is there, connect directly when it is gone.
 */
function sshCommandArgv(s, t, remote, cwd) {
    const line = cwd ? `cd ${(0, index_js_1.shellQuote)(cwd)} && ${(0, index_js_1.shellJoin)(remote)}` : (0, index_js_1.shellJoin)(remote);
    return [...base(s, t), '-o', 'ControlMaster=no', '--', t.host, line];
}
/** Ask the master to exit (close()). */
function sshExitArgv(s, t) {
    return [...base(s, t), '-O', 'exit', '--', t.host];
}
/** Is the master alive? */
function sshCheckArgv(s, t) {
    return [...base(s, t), '-O', 'check', '--', t.host];
}
/** Fetch the host's public keys, for checking them against pinned fingerprints. */
function sshKeyscanArgv(host, port, timeoutS) {
    return ['ssh-keyscan', '-p', String(port), '-T', String(timeoutS), '-t', 'ed25519,ecdsa,rsa', '--', host];
}


/***/ }),

/***/ 2877:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.SshExecutor = void 0;
const node_child_process_1 = __webpack_require__(1421);
const node_fs_1 = __webpack_require__(3024);
const node_os_1 = __webpack_require__(8161);
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
const argv_js_1 = __webpack_require__(9946);
const phase_js_1 = __webpack_require__(2633);
const hostkeys_js_1 = __webpack_require__(7382);
const CONNECT_ERRORS = /Connection refused|Connection timed out|timed out during banner|No route to host|Could not resolve|Network is unreachable|kex_exchange_identification/i;
/**
 * An Executor that runs argv on a remote host through the system OpenSSH client: pinned host keys
 * (StrictHostKeyChecking=yes, a private known_hosts), key auth only, BatchMode, keepalives, a jump host, and
 * one master connection reused by every command (ControlMaster). Use `SshExecutor.connect(options)`.
 */
class SshExecutor {
    settings;
    dest;
    dir;
    logger;
    attempts;
    target;
    closed = false;
    /** Sessions opened on the host (one login shell each): every run(), the no-op at connect included. */
    sessions = 0;
    /** What a no-op remote command costs on this connection (link plus login shell), measured at connect. */
    noopMs = 0;
    constructor(settings, dest, dir, logger, attempts) {
        this.settings = settings;
        this.dest = dest;
        this.dir = dir;
        this.logger = logger;
        this.attempts = attempts;
        this.target = `${dest.user}@${dest.host}:${dest.port}${dest.jumpHost ? ` via ${dest.jumpHost}` : ''}`;
    }
    static async connect(options) {
        const port = options.port ?? 22;
        const user = options.user ?? 'root';
        const logger = options.logger ?? index_js_1.silentLogger;
        const local = options.local ?? new index_js_1.LocalExecutor();
        const connectTimeoutS = Math.max(1, Math.round((options.connectTimeoutMs ?? 15_000) / 1000));
        if (!options.privateKey.trim())
            throw new index_js_1.InputError('ssh-key', 'is empty', 'give the private key text');
        if (options.host.startsWith('-') || !options.host.trim())
            throw new index_js_1.InputError('host', `"${options.host}" is not a host name`, 'give a host name or address');
        if (options.jumpHost?.startsWith('-'))
            throw new index_js_1.InputError('jump-host', `"${options.jumpHost}" is not [user@]host[:port]`, 'give the jump host');
        if (user.startsWith('-'))
            throw new index_js_1.InputError('user', `"${user}" is not a user name`, 'give the SSH user');
        logger.secret(options.privateKey);
        const fingerprints = options.hostFingerprints ?? [];
        const knownHostsText = options.knownHosts?.trim() ?? '';
        if (!knownHostsText && fingerprints.length === 0)
            throw new index_js_1.InputError('known-hosts', 'neither known-hosts nor host-fingerprint is given, and unknown host keys are always refused', `run \`ssh-keyscan -p ${port} ${options.host}\` on a trusted machine and put its output in known-hosts, or pin \`host-fingerprint\` (ssh-keygen -lf)`);
        if (options.jumpHost && !knownHostsText)
            throw new index_js_1.InputError('known-hosts', 'a jump host needs known-hosts with the keys of both the jump host and the target', 'put the ssh-keyscan output of both hosts in known-hosts');
        const dir = (0, node_fs_1.mkdtempSync)((0, node_path_1.join)(options.tempRoot ?? (0, node_os_1.tmpdir)(), 'da-ssh-'));
        try {
            const identityFile = (0, node_path_1.join)(dir, 'id');
            const key = options.privateKey.replace(/\r\n/g, '\n').trim() + '\n';
            (0, node_fs_1.writeFileSync)(identityFile, key, { mode: 0o600 });
            const settings = {
                configFile: (0, node_path_1.join)(dir, 'config'),
                identityFile,
                knownHostsFile: (0, node_path_1.join)(dir, 'known_hosts'),
                controlPath: (0, node_path_1.join)(dir, 'cm'),
                connectTimeoutS,
                serverAliveIntervalS: options.serverAliveIntervalS ?? 10,
                serverAliveCountMax: options.serverAliveCountMax ?? 3,
                // Short: a master orphaned by a killed run exits soon on its own (commands keep it busy meanwhile).
                controlPersistS: options.controlPersistS ?? 120
            };
            let pinned;
            if (knownHostsText) {
                pinned = (0, hostkeys_js_1.parseHostKeys)(knownHostsText);
                const name = (0, hostkeys_js_1.knownHostsName)(options.host, port);
                const hashed = pinned.some((k) => k.hosts.startsWith('|1|'));
                const forHost = pinned.filter((k) => k.hosts.split(',').includes(name));
                if (!hashed && forHost.length === 0)
                    throw new index_js_1.InputError('known-hosts', `has no key for ${name} (it lists ${[...new Set(pinned.map((k) => k.hosts))].join(', ') || 'nothing'})`, `add the output of \`ssh-keyscan -p ${port} ${options.host}\`, taken on a trusted machine`);
                (0, node_fs_1.writeFileSync)(settings.knownHostsFile, knownHostsText + '\n', { mode: 0o600 });
            }
            else {
                pinned = await scanAndPin(local, options.host, port, connectTimeoutS, fingerprints);
                (0, node_fs_1.writeFileSync)(settings.knownHostsFile, pinned.map((k) => `${(0, hostkeys_js_1.knownHostsName)(options.host, port)} ${k.type} ${k.blob}`).join('\n') + '\n', { mode: 0o600 });
                settings.hostKeyAlgorithms = [...new Set(pinned.flatMap((k) => (0, hostkeys_js_1.algorithmsFor)(k.type)))];
            }
            (0, node_fs_1.writeFileSync)(settings.configFile, (0, argv_js_1.sshConfigText)(settings), { mode: 0o600 });
            const dest = { host: options.host, port, user };
            if (options.jumpHost)
                dest.jumpHost = options.jumpHost;
            const ssh = new SshExecutor(settings, dest, dir, logger, options.connectAttempts ?? 3);
            await ssh.openMaster();
            await ssh.measureNoop();
            return ssh;
        }
        catch (err) {
            (0, node_fs_1.rmSync)(dir, { recursive: true, force: true });
            throw err;
        }
    }
    /** The private temp dir holding the key (0600), known_hosts, config and the master socket; gone after close(). */
    get privateDir() {
        return this.dir;
    }
    /**
     * Clean up after a process that was killed before close(): end the master of a private dir this class made
     * (`da-ssh-*`) and remove the dir with the key. For a post step; a no-op for anything else.
     */
    static async cleanupLeftover(dir) {
        if (!/\/da-ssh-[^/]+$/.test(dir) || !(0, node_fs_1.existsSync)(dir))
            return false;
        const socket = (0, node_path_1.join)(dir, 'cm');
        if ((0, node_fs_1.existsSync)(socket))
            await (0, index_js_1.runProcess)({
                // RUNNER_TEMP may hold a space: quoted as every other ssh option path.
                argv: ['ssh', '-o', `ControlPath=${(0, argv_js_1.sshOptionPath)(socket)}`, '-O', 'exit', 'leftover'],
                check: false,
                timeoutMs: 5000
            }, process.env, 'local');
        (0, node_fs_1.rmSync)(dir, { recursive: true, force: true });
        return true;
    }
    /** Start (or restart) the shared master connection. */
    async openMaster() {
        const argv = (0, argv_js_1.sshMasterArgv)(this.settings, this.dest);
        let last = '';
        for (let attempt = 1; attempt <= this.attempts; attempt++) {
            const { code, stderr } = await spawnDetachedMaster(argv, (0, node_path_1.join)(this.dir, 'master.err'), this.timeoutMs());
            if (code === 0) {
                this.logger.debug(`ssh: connected to ${this.target}`);
                return;
            }
            last = stderr;
            const kind = (0, hostkeys_js_1.classifySshError)(stderr);
            if (kind !== 'unreachable' || attempt === this.attempts)
                break;
            await new Promise((r) => setTimeout(r, 500 * attempt));
        }
        throw this.connectionError(last);
    }
    /**
     * Time a no-op (`true`) over the fresh master: the link's round trip plus the remote login shell. Remote
     * timeouts grow with it (linkTimeoutMs); above SLOW_NOOP_MS a notice names the likely cause and the fix.
     */
    async measureNoop() {
        const started = Date.now();
        await this.run({ argv: ['true'], timeoutMs: (this.settings.connectTimeoutS + 30) * 1000, step: 'no-op' });
        this.noopMs = Date.now() - started;
        this.logger.debug(`ssh: a no-op on ${this.target} takes ${this.noopMs}ms`);
        const notice = (0, phase_js_1.slowShellNotice)(this.target, this.noopMs);
        if (notice)
            this.logger.warning(notice);
        return this.noopMs;
    }
    /** The master's pid, or undefined when it is not running. */
    async masterPid() {
        const r = await (0, index_js_1.runProcess)({ argv: (0, argv_js_1.sshCheckArgv)(this.settings, this.dest), check: false, timeoutMs: 5000 }, process.env, 'local');
        const m = /pid=(\d+)/.exec(r.stderr + r.stdout);
        return r.exitCode === 0 && m ? Number(m[1]) : undefined;
    }
    async run(command) {
        if (this.closed)
            throw new Error(`SshExecutor for ${this.target} is closed`);
        const argv = (0, argv_js_1.sshCommandArgv)(this.settings, this.dest, command.argv, command.cwd);
        let attempt = 0;
        for (;;) {
            attempt++;
            this.sessions++;
            // No env and no cwd locally: a remote command never sees the runner's environment.
            const result = await (0, index_js_1.runProcess)({
                argv,
                stdin: command.stdin,
                timeoutMs: command.timeoutMs,
                step: command.step ?? command.argv.join(' '),
                check: false,
                onOutput: command.onOutput
            }, process.env, this.target);
            if (result.exitCode === 255 && (0, hostkeys_js_1.classifySshError)(result.stderr) !== 'other') {
                // Only a refused/unreachable connect is safe to retry: the command cannot have started.
                if (CONNECT_ERRORS.test(result.stderr) && attempt < this.attempts) {
                    this.logger.warning(`ssh ${this.target}: ${firstLine(result.stderr)}; retrying`);
                    await new Promise((r) => setTimeout(r, 500 * attempt));
                    continue;
                }
                throw this.connectionError(result.stderr, command.step ?? command.argv.join(' '));
            }
            const out = { ...result, argv: command.argv };
            if (command.check !== false && out.exitCode !== 0)
                throw new index_js_1.CommandError(command.argv, out.exitCode, out.stdout, out.stderr, { where: this.target });
            return out;
        }
    }
    async close() {
        if (this.closed)
            return;
        this.closed = true;
        try {
            if ((0, node_fs_1.existsSync)(this.settings.controlPath))
                await (0, index_js_1.runProcess)({ argv: (0, argv_js_1.sshExitArgv)(this.settings, this.dest), check: false, timeoutMs: 5000 }, process.env, 'local');
        }
        finally {
            (0, node_fs_1.rmSync)(this.dir, { recursive: true, force: true });
        }
    }
    timeoutMs() {
        return (this.settings.connectTimeoutS + 10) * 1000;
    }
    connectionError(stderr, step) {
        const kind = (0, hostkeys_js_1.classifySshError)(stderr);
        const during = step ? ` during '${step}'` : '';
        const detail = firstLine(stderr.replace(/^@+.*$/gm, '').trim()) || 'no error text';
        const name = (0, hostkeys_js_1.knownHostsName)(this.dest.host, this.dest.port);
        switch (kind) {
            case 'host-key-changed':
                return new index_js_1.ConnectionError(`SSH to ${this.target}${during} refused: the host key of ${name} CHANGED: it does not match the pinned key (${offeredType(stderr)})`, {
                    state: 'nothing was run on the host',
                    hint: 'if the host was rebuilt, verify its new key out of band and update known-hosts/host-fingerprint; otherwise treat it as a possible man-in-the-middle'
                });
            case 'host-key-unknown':
                return new index_js_1.ConnectionError(`SSH to ${this.target}${during} refused: the host key of ${name} is UNKNOWN: no pinned key of the type it offered (${offeredType(stderr)})`, {
                    state: 'nothing was run on the host',
                    hint: `add the host's key to known-hosts (ssh-keyscan -p ${this.dest.port} ${this.dest.host} on a trusted machine) or pin its fingerprint`
                });
            case 'auth':
                return new index_js_1.ConnectionError(`SSH to ${this.target}${during}: authentication failed: ${detail}`, {
                    state: 'nothing was run on the host',
                    hint: `check that ssh-key's public key is in ~${this.dest.user}/.ssh/authorized_keys on the host`
                });
            default:
                return new index_js_1.ConnectionError(`SSH to ${this.target}${during} failed: ${detail}`, {
                    state: step
                        ? `the connection dropped while '${step}' ran; its effect on the host is unknown`
                        : 'nothing was run on the host',
                    hint: 'check that the host is reachable on that port (firewall, sshd running), then run again'
                });
        }
    }
}
exports.SshExecutor = SshExecutor;
function firstLine(s) {
    return (s
        .trim()
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.trim() ?? '');
}
function offeredType(stderr) {
    const m = /(\S+) key fingerprint is (SHA256:\S+)/i.exec(stderr) ?? /No (\S+) host key is known/i.exec(stderr);
    if (!m)
        return 'see ssh output';
    return m[2] ? `server offered ${m[1]} ${m[2]}` : `server offered ${m[1]}`;
}
/** Pin by fingerprint: scan the host's keys and keep those pinned; refuse, listing what was offered, when none is. */
async function scanAndPin(local, host, port, timeoutS, fingerprints) {
    const r = await local.run({
        argv: (0, argv_js_1.sshKeyscanArgv)(host, port, timeoutS),
        check: false,
        timeoutMs: (timeoutS + 5) * 1000,
        step: 'ssh-keyscan'
    });
    const scanned = (0, hostkeys_js_1.parseHostKeys)(r.stdout);
    if (scanned.length === 0)
        throw new index_js_1.ConnectionError(`ssh-keyscan of ${host}:${port} returned no host key: ${firstLine(r.stderr) || 'no answer'}`, {
            state: 'nothing was run on the host',
            hint: 'check that sshd listens on that host and port'
        });
    const { matched, offered } = (0, hostkeys_js_1.matchFingerprints)(scanned, fingerprints);
    if (matched.length === 0)
        throw new index_js_1.ConnectionError(`SSH host key of ${host}:${port} does not match host-fingerprint: the server offered ${offered.map((k) => `${k.type} ${k.fingerprint}`).join(', ')}; pinned ${fingerprints.join(', ')}`, {
            state: 'nothing was run on the host',
            hint: 'compare with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on the host; pin the fingerprint of any key type it offers, or use known-hosts'
        });
    return matched;
}
/** Run the `-f` master: it exits once authenticated (the master lives on in the background). */
function spawnDetachedMaster(argv, errFile, timeoutMs) {
    return new Promise((resolve) => {
        // stderr to a file, not a pipe: the backgrounded master would hold a pipe open forever.
        const fd = (0, node_fs_1.openSync)(errFile, 'w', 0o600);
        const child = (0, node_child_process_1.spawn)(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', fd] });
        (0, node_fs_1.closeSync)(fd);
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const done = (code) => {
            clearTimeout(timer);
            let stderr = '';
            try {
                stderr = (0, node_fs_1.readFileSync)(errFile, 'utf8');
            }
            catch {
                /* nothing written */
            }
            resolve({ code, stderr });
        };
        child.on('error', (e) => {
            clearTimeout(timer);
            resolve({ code: 127, stderr: e.message });
        });
        child.on('exit', (code) => done(code ?? 255));
    });
}


/***/ }),

/***/ 4684:
/***/ ((__unused_webpack_module, exports) => {


// Generated from packages/ssh/host/*.sh by `npm run catalog`. Do not edit: change the .sh file and regenerate.
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.HOST_SCRIPTS = void 0;
/** Each host script by its file name (without .sh), as text for `sh -c`. */
exports.HOST_SCRIPTS = {
    'detached-phase': '#!/bin/sh\n# The remote command of a DETACHED phase (packages/ssh/src/script.ts DETACHED_PHASE says how it works): the\n# phase script on stdin, run in a session of its own with its output relayed as it grows.\n#   detached-phase.sh [<file to flock: phases holding it run one after the other>]\numask 077\nd=$(mktemp -d "${TMPDIR:-/tmp}/da-phase.XXXXXX") || { echo "mktemp failed" >&2; exit 97; }\ncat > "$d/s" || { rm -rf "$d"; exit 97; }\nif [ "$(tail -n 1 "$d/s")" != "exit 0" ]; then rm -rf "$d"; echo "the phase script arrived truncated; nothing was run" >&2; exit 98; fi\n: > "$d/o"\nsetsid sh -c \'trap "" HUP PIPE; if [ -n "$3" ] && mkdir -p "${3%/*}" && ( : >>"$3" ) 2>/dev/null; then exec 9>>"$3"; flock 9; fi; exec 3<"$1/s"; rm -f "$1/s"; sh -s <&3 3<&- 9>&- >"$1/o" 2>"$1/e"; echo $? >"$1/x.new"; mv -f "$1/x.new" "$1/x"; exec 9>&-; while kill -0 "$2" 2>/dev/null; do sleep 1; done; rm -rf "$1"\' sh "$d" "$$" "$1" </dev/null >/dev/null 2>&1 &\np=$!; n=0\nwhile :; do\n  f=0; [ -f "$d/x" ] && f=1\n  if [ $f = 0 ] && ! kill -0 $p 2>/dev/null && [ ! -f "$d/x" ]; then echo "the detached phase ended without its exit code" >&2; rm -rf "$d"; exit 96; fi\n  s=$(wc -c <"$d/o")\n  if [ "$s" -gt "$n" ]; then tail -c +$((n + 1)) "$d/o" | head -c $((s - n)); n=$s; fi\n  [ $f = 1 ] && break\n  sleep 0.05\ndone\ncat "$d/e" >&2\nc=$(cat "$d/x")\nrm -rf "$d"\nexit "$c"\n'
};


/***/ }),

/***/ 7382:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.fingerprintOf = fingerprintOf;
exports.parseHostKeys = parseHostKeys;
exports.parseFingerprints = parseFingerprints;
exports.knownHostsName = knownHostsName;
exports.algorithmsFor = algorithmsFor;
exports.matchFingerprints = matchFingerprints;
exports.classifySshError = classifySshError;
const node_crypto_1 = __webpack_require__(7598);
function fingerprintOf(blobBase64) {
    const digest = (0, node_crypto_1.createHash)('sha256').update(Buffer.from(blobBase64, 'base64')).digest('base64');
    return `SHA256:${digest.replace(/=+$/, '')}`;
}
/** Parse known_hosts-format lines (ssh-keyscan output included); comments and markers are skipped. */
function parseHostKeys(text) {
    const keys = [];
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        if (!line || line.startsWith('#'))
            continue;
        const parts = line.split(/\s+/);
        const offset = parts[0]?.startsWith('@') ? 1 : 0;
        const hosts = parts[offset];
        const type = parts[offset + 1];
        const blob = parts[offset + 2];
        if (!hosts || !type || !blob || !/^[A-Za-z0-9+/=]+$/.test(blob))
            continue;
        keys.push({ hosts, type, blob, fingerprint: fingerprintOf(blob) });
    }
    return keys;
}
/** `SHA256:abc…` values, one per line or comma separated; an optional `<type> ` prefix is ignored. */
function parseFingerprints(text) {
    return text
        .split(/[\r\n,]+/)
        .map((s) => s.trim())
        .filter((s) => s && !s.startsWith('#'))
        .map((s) => s.split(/\s+/).find((w) => w.startsWith('SHA256:')) ?? s);
}
/** The known_hosts host field for a host and port. */
function knownHostsName(host, port) {
    return port === 22 ? host : `[${host}]:${port}`;
}
/** The key algorithms a host key type allows ssh to negotiate. */
function algorithmsFor(type) {
    if (type === 'ssh-rsa')
        return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    return [type];
}
/** Keep the scanned keys whose fingerprint is pinned. Pure: the caller refuses when none matched. */
function matchFingerprints(scanned, pinned) {
    const want = new Set(pinned.map((p) => p.replace(/=+$/, '')));
    return { matched: scanned.filter((k) => want.has(k.fingerprint)), offered: [...scanned] };
}
function classifySshError(stderr) {
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr))
        return 'host-key-changed';
    if (/Host key verification failed|No \S+ host key is known|host key is not known/i.test(stderr))
        return 'host-key-unknown';
    if (/Permission denied|Too many authentication failures/i.test(stderr))
        return 'auth';
    if (/Connection refused|Connection timed out|timed out during banner|No route to host|Could not resolve|Network is unreachable|Connection closed by|Connection reset|kex_exchange_identification|Broken pipe|port \d+: Operation timed out/i.test(stderr))
        return 'unreachable';
    return 'other';
}


/***/ }),

/***/ 2978:
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
exports.SshExecutor = void 0;
__exportStar(__webpack_require__(9946), exports);
__exportStar(__webpack_require__(7382), exports);
var executor_js_1 = __webpack_require__(2877);
Object.defineProperty(exports, "SshExecutor", ({ enumerable: true, get: function () { return executor_js_1.SshExecutor; } }));
__exportStar(__webpack_require__(1347), exports);
__exportStar(__webpack_require__(2633), exports);


/***/ }),

/***/ 2633:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.SLOW_NOOP_MS = exports.LINK_MULTIPLE = exports.LINK_FLOOR_MS = void 0;
exports.runPhase = runPhase;
exports.linkTimeoutMs = linkTimeoutMs;
exports.slowShellNotice = slowShellNotice;
const index_js_1 = __webpack_require__(893);
const script_js_1 = __webpack_require__(1347);
/**
 * Run a phase (a list of argv steps) as one script in one session of `executor` (`sh -s`, script on stdin).
 * Returns every step's result; the caller decides what a failed step means. When the session dies (the link
 * drops, the phase runs out of time) the error names the step that was running and the steps already done.
 * With `detach`, the script runs on the host in a session of its own (DETACHED_PHASE): a dropped link or a
 * dead runner ends only the relay of its output, never the phase halfway.
 */
async function runPhase(executor, name, steps, timeoutMs, options = {}) {
    const script = (0, script_js_1.phaseScript)(steps);
    const started = Date.now();
    let seen = '';
    let beganAt;
    try {
        const r = await executor.run({
            argv: options.detach ? (0, script_js_1.detachedPhaseArgv)(options.serialize) : ['sh', '-s'],
            stdin: script.text,
            check: false,
            timeoutMs,
            step: `phase '${name}'`,
            onOutput: (chunk, stream) => {
                if (stream !== 'stdout')
                    return options.onStream?.(chunk);
                seen += chunk;
                if (beganAt === undefined && seen.includes(`${script.marker} begin`))
                    beganAt = Date.now();
            }
        });
        const parsed = (0, script_js_1.parsePhaseOutput)(r.stdout, script.marker, steps);
        // The script itself exits 0 (or 97); 255 without its end is ssh's: the link dropped under it.
        if (r.exitCode === 255 && !parsed.done)
            throw new index_js_1.ConnectionError(`SSH to ${executor.target} dropped during phase '${name}'${where(parsed, steps)}: ${r.stderr.trim().split('\n').slice(-1)[0] || 'connection closed'}`, {
                state: 'the steps named above had finished; the one running was cut (its effect on the host is unknown)',
                hint: 'check the link to the host, then run again'
            });
        if (!parsed.done && !parsed.results.some((x) => x.exitCode !== 0 && steps[x.index]?.check !== false))
            throw new index_js_1.ConnectionError(`Phase '${name}' on ${executor.target} ended early (exit ${r.exitCode})${where(parsed, steps)}: ${r.stderr.trim().split('\n').slice(-3).join(' ') || 'no error text'}`, {
                state: 'the phase stopped part way; the steps named above had finished',
                hint: 'check that `sh`, `mktemp` and `base64` exist on the host, then run again'
            });
        return {
            ...parsed,
            name,
            durationMs: Date.now() - started,
            ...(beganAt !== undefined ? { beganAfterMs: beganAt - started } : {})
        };
    }
    catch (err) {
        const parsed = (0, script_js_1.parsePhaseOutput)(seen, script.marker, steps);
        const at = where(parsed, steps);
        if (err instanceof index_js_1.TimeoutError)
            throw new index_js_1.TimeoutError(`${name}${at}`, timeoutMs, {
                state: err.state ?? `the phase was stopped on ${executor.target}`,
                hint: err.hint,
                cause: err
            });
        if (err instanceof index_js_1.ConnectionError)
            throw new index_js_1.ConnectionError(`${err.message}${at ? ` (phase '${name}'${at})` : ''}`, {
                state: err.state,
                hint: err.hint,
                cause: err
            });
        throw err;
    }
}
function where(p, steps) {
    const done = p.results.length;
    if (p.running !== undefined)
        return ` at step '${steps[p.running]?.name}' (${done} of ${steps.length} steps done)`;
    if (!p.began)
        return ' before its first step';
    return done < steps.length ? ` after step '${steps[done - 1]?.name ?? 'none'}'` : '';
}
/** How long a remote step may take: its own bound, plus a floor and a multiple of the link's no-op cost. */
function linkTimeoutMs(ownMs, noopMs) {
    return ownMs + exports.LINK_FLOOR_MS + exports.LINK_MULTIPLE * Math.max(0, noopMs);
}
exports.LINK_FLOOR_MS = 5000;
exports.LINK_MULTIPLE = 10;
/** Above this, a no-op's cost is the remote login shell's doing more than the link's: say so. */
exports.SLOW_NOOP_MS = 300;
function slowShellNotice(target, noopMs) {
    if (noopMs <= exports.SLOW_NOOP_MS)
        return undefined;
    return `a no-op command on ${target} takes ${(0, index_js_1.formatMs)(noopMs)}: every SSH command pays it. Likely cause: the login shell's rc files (nvm, pyenv, conda, rvm in ~/.bashrc run even for non-interactive shells). Fix: put \`case $- in *i*) ;; *) return;; esac\` at the top of ~/.bashrc (before those lines) on the host`;
}


/***/ }),

/***/ 1347:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.DETACHED_PHASE = exports.STEP_OUTPUT_BYTES = exports.EXTRA_PATH = void 0;
exports.phaseScript = phaseScript;
exports.detachedPhaseArgv = detachedPhaseArgv;
exports.parsePhaseOutput = parsePhaseOutput;
const node_crypto_1 = __webpack_require__(7598);
const index_js_1 = __webpack_require__(893);
const host_scripts_generated_js_1 = __webpack_require__(4684);
/**
 * Directories searched after the user's own PATH: a non-root user's non-interactive PATH often lacks the sbin
 * directories where nginx and ss live on Debian.
 */
exports.EXTRA_PATH = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
function heredoc(data, end) {
    const b64 = (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
    const lines = b64.match(/.{1,76}/g) ?? [];
    return [...lines, end].join('\n');
}
/**
 * The most of one step's stdout (and of its stderr) a phase relays: 4 MiB, its first and last 2 MiB past that.
 * Far under the executor's 32 MiB capture, so a phase's end markers are never cut off by a long output.
 */
exports.STEP_OUTPUT_BYTES = 4 * 1024 * 1024;
/** Build the script. Pure apart from the marker, which may be given (tests) or is random. */
function phaseScript(steps, marker = `DA${(0, node_crypto_1.randomBytes)(8).toString('hex')}`) {
    const m = marker;
    const out = [
        'umask 077',
        `__da_m=${m}`,
        `PATH="$PATH:${exports.EXTRA_PATH.join(':')}"; export PATH`,
        '__da_d=$(mktemp -d 2>/dev/null) || { echo "mktemp failed" >&2; exit 97; }',
        'trap \'rm -rf "$__da_d"\' EXIT',
        '__da_f=0',
        // A step's output is relayed whole up to STEP_OUTPUT_BYTES; past that its head and tail, with the count cut
        // between them: the framing after it (the end markers, the exit code) always reaches the runner.
        `__da_cat() { __da_n=$(wc -c <"$1"); if [ "$__da_n" -le ${exports.STEP_OUTPUT_BYTES} ]; then cat "$1"; else head -c ${exports.STEP_OUTPUT_BYTES / 2} "$1"; printf '\\n[%s bytes of output cut]\\n' "$((__da_n - ${exports.STEP_OUTPUT_BYTES}))"; tail -c ${exports.STEP_OUTPUT_BYTES / 2} "$1"; fi; }`,
        'printf \'%s begin\\n\' "$__da_m"'
    ];
    steps.forEach((s, i) => {
        const cmd = (0, index_js_1.shellJoin)(s.argv);
        const end = `${m}_EOF_${i}`;
        const run = s.stdin !== undefined
            ? `base64 -d <<'${end}' | ${cmd} >"$__da_d/o" 2>"$__da_d/e"; __da_c=$?\n${heredoc(s.stdin, end)}`
            : s.stream
                ? `rm -f "$__da_d/c"; { ${cmd} </dev/null 2>&1; echo "$?" >"$__da_d/c"; } | tee "$__da_d/o" >&2; __da_c=$(cat "$__da_d/c" 2>/dev/null || echo 1); : >"$__da_d/e"`
                : `${cmd} </dev/null >"$__da_d/o" 2>"$__da_d/e"; __da_c=$?`;
        out.push(`${s.always ? 'if true' : 'if [ "$__da_f" = 0 ]'}; then`, `printf '%s start ${i}\\n' "$__da_m"`, run, `printf '%s out ${i}\\n' "$__da_m"; __da_cat "$__da_d/o"`, `printf '\\n%s err ${i}\\n' "$__da_m"; __da_cat "$__da_d/e"`, `printf '\\n%s end ${i} %s\\n' "$__da_m" "$__da_c"`, s.check === false ? 'true' : '[ "$__da_c" = 0 ] || __da_f=1', 'fi');
    });
    out.push('printf \'%s done\\n\' "$__da_m"', 'exit 0');
    return { text: out.join('\n') + '\n', marker: m };
}
/**
 * The remote command of a DETACHED phase: the script arrives whole on stdin (a truncated one never runs), then
 * runs in a session of its own (`setsid`, SIGHUP and SIGPIPE ignored) with its output in a private file that
 * this command relays as it grows. When the link drops or the runner dies, only the relay dies: the script
 * runs to its end on the host, so a phase is never cut halfway by the link. The script file is unlinked once
 * the shell holds it open, and the private directory goes when both are done. packages/ssh/host/detached-phase.sh.
 */
exports.DETACHED_PHASE = host_scripts_generated_js_1.HOST_SCRIPTS['detached-phase'];
/**
 * argv of a detached phase (its script on stdin). With `serialize` (a file path on the host), phases holding
 * the same file run one after the other (flock): a phase a dead runner left running ends before the next
 * run's phase starts, so a revert can never race the switch it undoes.
 */
function detachedPhaseArgv(serialize = '') {
    return ['sh', '-c', exports.DETACHED_PHASE, 'sh', serialize];
}
/** Read the framed output of phaseScript. Pure. */
function parsePhaseOutput(stdout, marker, steps) {
    const began = stdout.includes(`${marker} begin\n`);
    const results = [];
    let running;
    let from = 0;
    for (;;) {
        const startTag = stdout.indexOf(`${marker} start `, from);
        if (startTag < 0)
            break;
        const nl = stdout.indexOf('\n', startTag);
        if (nl < 0)
            break;
        const index = Number(stdout.slice(startTag + marker.length + 7, nl));
        running = index;
        const outTag = `${marker} out ${index}\n`;
        const errTag = `\n${marker} err ${index}\n`;
        const endTag = `\n${marker} end ${index} `;
        const o = stdout.indexOf(outTag, nl);
        const e = o < 0 ? -1 : stdout.indexOf(errTag, o);
        const en = e < 0 ? -1 : stdout.indexOf(endTag, e);
        const enNl = en < 0 ? -1 : stdout.indexOf('\n', en + endTag.length);
        if (enNl < 0)
            break;
        const step = steps[index];
        results.push({
            index,
            name: step?.name ?? `step ${index}`,
            argv: step?.argv ?? [],
            stdout: stdout.slice(o + outTag.length, e),
            stderr: stdout.slice(e + errTag.length, en),
            exitCode: Number(stdout.slice(en + endTag.length, enNl))
        });
        running = undefined;
        from = enNl + 1;
    }
    return {
        began,
        results,
        ...(running !== undefined ? { running } : {}),
        done: stdout.includes(`\n${marker} done\n`) || stdout.startsWith(`${marker} done\n`)
    };
}


/***/ }),

/***/ 708:
/***/ ((__unused_webpack_module, exports) => {


/**
 * Docker Swarm commands as data: pure functions that build argv for the executor (local or SSH). Nothing here
 * runs anything. A per-deploy DOCKER_CONFIG travels as `env DOCKER_CONFIG=… docker …`, so a registry login
 * made for one deploy never stays in the deploy user's own ~/.docker.
 */
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.STACK_STATE_MARKER = void 0;
exports.dockerArgv = dockerArgv;
exports.swarmInfoArgv = swarmInfoArgv;
exports.stackDeployArgv = stackDeployArgv;
exports.stackStateArgv = stackStateArgv;
exports.serviceRollbackArgv = serviceRollbackArgv;
exports.stackRemoveArgv = stackRemoveArgv;
exports.registryLoginArgv = registryLoginArgv;
exports.privateDirArgv = privateDirArgv;
exports.removeDirArgv = removeDirArgv;
/** `docker …`, optionally with a private client config directory. */
function dockerArgv(args, dockerConfig) {
    return dockerConfig ? ['env', `DOCKER_CONFIG=${dockerConfig}`, 'docker', ...args] : ['docker', ...args];
}
/** This node's swarm state: `{"LocalNodeState":"active","ControlAvailable":true,…}`. */
function swarmInfoArgv() {
    return dockerArgv(['info', '--format', '{{json .Swarm}}']);
}
/**
 * Deploy a stack from a compose file on the host (`file`), or from stdin (`-`). No `--detach` flag: older CLIs do not know it and
 * detach anyway, newer ones may block; either way the caller waits for convergence itself and never trusts
 * the command's return. `--prune` removes services the new file no longer has.
 */
function stackDeployArgv(stack, options) {
    return dockerArgv([
        'stack',
        'deploy',
        ...(options.withRegistryAuth ? ['--with-registry-auth'] : []),
        ...(options.prune ? ['--prune'] : []),
        '--compose-file',
        options.file ?? '-',
        '--',
        stack
    ], options.dockerConfig);
}
/**
 * Everything the convergence judgement reads, in one command (one SSH session per look): the stack's
 * service objects, a marker line, then its task objects. The script is a constant; the stack name reaches
 * it only as the positional parameter $1, never as code.
 */
exports.STACK_STATE_MARKER = '--- deploy-actions tasks ---';
function stackStateArgv(stack) {
    const script = [
        'set -u',
        'ids=$(docker service ls -q --filter "label=com.docker.stack.namespace=$1") || exit $?',
        'if [ -n "$ids" ]; then docker service inspect $ids || exit $?; else echo "[]"; fi',
        `echo '${exports.STACK_STATE_MARKER}'`,
        'tasks=$(docker stack ps -q --no-trunc -- "$1" 2>/dev/null || true)',
        'if [ -n "$tasks" ]; then docker inspect --type task $tasks || exit $?; else echo "[]"; fi'
    ].join('\n');
    return ['sh', '-c', script, 'deploy-actions-stack-state', stack];
}
/** Swarm's own one-step rollback of a service to its previous spec, without waiting (we wait ourselves). */
function serviceRollbackArgv(service) {
    return dockerArgv(['service', 'rollback', '--detach', '--quiet', '--', service]);
}
/** Remove a stack (first deploy failed and nothing served before). */
function stackRemoveArgv(stack) {
    return dockerArgv(['stack', 'rm', '--', stack]);
}
/** Log in for one deploy: password on stdin, into the private config. */
function registryLoginArgv(registry, username, dockerConfig) {
    return dockerArgv(['login', '--username', username, '--password-stdin', '--', registry], dockerConfig);
}
/** A private directory for one deploy's client config (mktemp -d makes it 0700). */
function privateDirArgv() {
    return ['mktemp', '-d', '-t', 'deploy-actions-docker.XXXXXXXX'];
}
function removeDirArgv(dir) {
    return ['rm', '-rf', '--', dir];
}


/***/ }),

/***/ 1691:
/***/ ((__unused_webpack_module, exports) => {


/**
 * Has a stack converged? A pure judgement over what `docker service inspect` and `docker inspect --type task`
 * return, so it is unit-tested on plain objects and the waiting loop stays trivial. `docker stack deploy`
 * returns before any task runs; this is what the deploy waits on instead.
 */
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.judgeService = judgeService;
exports.judgeStack = judgeStack;
/** Swarm's own update states that mean update_config gave up (failure_action pause or rollback). */
const GAVE_UP = {
    update: new Set(['paused', 'rollback_started', 'rollback_paused', 'rollback_completed']),
    rollback: new Set(['paused', 'rollback_paused'])
};
const IN_PROGRESS = new Set(['updating', 'rollback_started']);
/** Task states that will not become running. */
const DEAD = new Set(['failed', 'rejected', 'shutdown', 'complete', 'orphaned', 'remove']);
/**
 * One service: converged when as many tasks as desired run the spec's image and no task of another image is
 * still meant to run; failed when Swarm's update gave up, or when `maxFailedTasks` tasks of the new image have
 * failed (a crash loop never converges, and restart_policy would retry it for ever).
 */
function judgeService(service, tasks, options = {}) {
    const { mode = 'update', ignoreUpdateStatus = false, maxFailedTasks = 3 } = options;
    const name = service.Spec.Name;
    const image = service.Spec.TaskTemplate.ContainerSpec.Image;
    const mine = tasks.filter((t) => t.ServiceID === service.ID);
    const current = mine.filter((t) => t.Spec.ContainerSpec.Image === image);
    const running = current.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running').length;
    const failed = current.filter((t) => t.Status.State === 'failed' || t.Status.State === 'rejected');
    const stale = mine.filter((t) => t.Spec.ContainerSpec.Image !== image && t.DesiredState === 'running' && !DEAD.has(t.Status.State)).length;
    const replicas = service.Spec.Mode?.Global ? 'global' : (service.Spec.Mode?.Replicated?.Replicas ?? 1);
    const base = { service: name, image, desired: replicas, running };
    const update = ignoreUpdateStatus ? undefined : service.UpdateStatus?.State;
    const lastError = () => {
        const t = failed[failed.length - 1];
        return t ? `: ${t.Status.Err || t.Status.Message || t.Status.State}` : '';
    };
    if (update && GAVE_UP[mode].has(update))
        return {
            ...base,
            state: 'failed',
            detail: `Swarm's update ${update.replace('_', ' ')}${service.UpdateStatus?.Message ? ` (${service.UpdateStatus.Message})` : ''}${lastError()}`
        };
    if (failed.length >= maxFailedTasks)
        return { ...base, state: 'failed', detail: `${failed.length} task(s) of ${image} failed${lastError()}` };
    const enough = replicas === 'global'
        ? running > 0 && current.every((t) => t.DesiredState !== 'running' || t.Status.State === 'running')
        : running >= replicas;
    if (enough && stale === 0 && !(update && IN_PROGRESS.has(update)))
        return { ...base, state: 'converged', detail: `${running} task(s) running ${image}` };
    const want = replicas === 'global' ? 'every node' : String(replicas);
    return {
        ...base,
        state: 'converging',
        detail: `${running} of ${want} task(s) running ${image}${stale ? `, ${stale} old task(s) still running` : ''}${update && IN_PROGRESS.has(update) ? `, ${update.replace('_', ' ')}` : ''}`
    };
}
/**
 * The stack: failed if any service failed, converged when all have. `unchanged` names the services this
 * operation did not change (their UpdateStatus is old news).
 */
function judgeStack(services, tasks, options = {}) {
    const verdicts = services.map((s) => judgeService(s, tasks, { ...options, ignoreUpdateStatus: options.unchanged?.has(s.Spec.Name) ?? false }));
    const state = verdicts.some((v) => v.state === 'failed')
        ? 'failed'
        : verdicts.every((v) => v.state === 'converged')
            ? 'converged'
            : 'converging';
    return { state, services: verdicts };
}


/***/ }),

/***/ 824:
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
exports.waitForConvergence = exports.rollbackStack = exports.readStack = exports.deployStack = exports.assertManager = exports.judgeStack = exports.judgeService = exports.swarmStackFile = void 0;
__exportStar(__webpack_require__(708), exports);
var stackfile_js_1 = __webpack_require__(4994);
Object.defineProperty(exports, "swarmStackFile", ({ enumerable: true, get: function () { return stackfile_js_1.swarmStackFile; } }));
var converge_js_1 = __webpack_require__(1691);
Object.defineProperty(exports, "judgeService", ({ enumerable: true, get: function () { return converge_js_1.judgeService; } }));
Object.defineProperty(exports, "judgeStack", ({ enumerable: true, get: function () { return converge_js_1.judgeStack; } }));
var stack_js_1 = __webpack_require__(9700);
Object.defineProperty(exports, "assertManager", ({ enumerable: true, get: function () { return stack_js_1.assertManager; } }));
Object.defineProperty(exports, "deployStack", ({ enumerable: true, get: function () { return stack_js_1.deployStack; } }));
Object.defineProperty(exports, "readStack", ({ enumerable: true, get: function () { return stack_js_1.readStack; } }));
Object.defineProperty(exports, "rollbackStack", ({ enumerable: true, get: function () { return stack_js_1.rollbackStack; } }));
Object.defineProperty(exports, "waitForConvergence", ({ enumerable: true, get: function () { return stack_js_1.waitForConvergence; } }));


/***/ }),

/***/ 9700:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.assertManager = assertManager;
exports.readStack = readStack;
exports.waitForConvergence = waitForConvergence;
exports.deployStack = deployStack;
exports.rollbackStack = rollbackStack;
const index_js_1 = __webpack_require__(893);
const argv_js_1 = __webpack_require__(708);
const converge_js_1 = __webpack_require__(1691);
const realSleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function docker(t, argv, step, extra = {}) {
    return t.executor.run({ argv, step, timeoutMs: t.commandTimeoutMs ?? 60_000, ...extra });
}
/**
 * Refuse a node that cannot deploy stacks, naming the fix: no swarm at all (`docker swarm init`), or a
 * worker (stacks deploy only through a manager).
 */
async function assertManager(t) {
    const r = await docker(t, (0, argv_js_1.swarmInfoArgv)(), 'swarm state');
    let info;
    try {
        info = JSON.parse(r.stdout);
    }
    catch {
        throw new index_js_1.DeployError(`Could not read the swarm state of ${t.executor.target}: ${r.stdout.trim() || r.stderr.trim()}`, {
            state: 'nothing was changed'
        });
    }
    if (info.LocalNodeState !== 'active')
        throw new index_js_1.DeployError(`This node is not a swarm manager: ${t.executor.target} is in swarm state "${info.LocalNodeState || 'unknown'}"${info.Error ? ` (${info.Error})` : ''}`, {
            state: 'nothing was changed',
            hint: `make it a manager with \`docker swarm init --advertise-addr <its address>\`, or point the deploy at an existing manager (a node joins with \`docker swarm join\`)`
        });
    if (!info.ControlAvailable)
        throw new index_js_1.DeployError(`This node is not a swarm manager: ${t.executor.target} is a worker`, {
            state: 'nothing was changed',
            hint: 'point the deploy at a manager (`docker node ls` on a manager lists them, MANAGER STATUS set)'
        });
}
/** The stack's services and every task of them, as Docker reports them now (one command). */
async function readStack(t) {
    const out = (await docker(t, (0, argv_js_1.stackStateArgv)(t.stack), 'read the stack state')).stdout;
    const at = out.indexOf(argv_js_1.STACK_STATE_MARKER);
    if (at < 0)
        throw new index_js_1.DeployError(`Could not read the state of stack ${t.stack} on ${t.executor.target}: ${out.slice(0, 200)}`);
    return {
        services: JSON.parse(out.slice(0, at)),
        tasks: JSON.parse(out.slice(at + argv_js_1.STACK_STATE_MARKER.length))
    };
}
/** service name → Version.Index, to tell which services an operation changed. */
function versions(state) {
    return new Map(state.services.map((s) => [s.Spec.Name, s.Version?.Index]));
}
/**
 * Wait until every service runs its spec (or one fails, or time runs out). Never trusts a command's return:
 * only what the tasks report counts. `before` (the state before the operation) marks the services the
 * operation left unchanged, whose UpdateStatus is from an earlier update.
 */
async function waitForConvergence(t, before, options) {
    const now = options.now ?? Date.now;
    const sleep = options.sleep ?? realSleep;
    const started = now();
    const old = versions(before);
    let polls = 0;
    for (;;) {
        const state = await readStack(t);
        polls++;
        const unchanged = new Set(state.services
            .filter((s) => old.has(s.Spec.Name) && old.get(s.Spec.Name) === s.Version?.Index)
            .map((s) => s.Spec.Name));
        const verdict = (0, converge_js_1.judgeStack)(state.services, state.tasks, {
            mode: options.mode,
            unchanged,
            maxFailedTasks: options.maxFailedTasks
        });
        const missing = (options.expect ?? []).filter((name) => !state.services.some((s) => s.Spec.Name === name));
        const done = verdict.state === 'failed' || (verdict.state === 'converged' && !missing.length);
        const elapsed = now() - started;
        if (done || elapsed >= options.timeoutMs) {
            const timedOut = !done;
            return {
                ...verdict,
                state: timedOut ? 'failed' : verdict.state,
                timedOut,
                durationMs: elapsed,
                polls
            };
        }
        t.logger.debug(`swarm: ${verdict.services.map((v) => `${v.service}: ${v.detail}`).join('; ')}`);
        await sleep(Math.min(options.pollMs ?? 1000, Math.max(0, options.timeoutMs - elapsed)));
    }
}
/** Run `fn` with a private client config logged in to the registry (when given), removed afterwards. */
async function withRegistryAuth(t, auth, fn) {
    if (!auth)
        return fn();
    const dir = (await docker(t, (0, argv_js_1.privateDirArgv)(), 'private docker config')).stdout.trim();
    try {
        await docker(t, (0, argv_js_1.registryLoginArgv)(auth.registry, auth.username, dir), `log in to ${auth.registry}`, {
            stdin: auth.password
        });
        return await fn(dir);
    }
    finally {
        await docker(t, (0, argv_js_1.removeDirArgv)(dir), 'remove private docker config', { check: false });
    }
}
/**
 * `docker stack deploy` of a pinned stack file, then wait for convergence. Registry credentials go to a
 * per-deploy DOCKER_CONFIG and on to the nodes with `--with-registry-auth`; nothing stays in the user's
 * own config.
 */
async function deployStack(t, file, options) {
    const before = await readStack(t);
    const images = new Map(before.services.map((s) => [s.Spec.Name, s.Spec.TaskTemplate.ContainerSpec.Image]));
    const changed = file.services.filter((name) => {
        const running = images.get(`${t.stack}_${name}`);
        return !running || !sameImage(running, file.images[name]);
    });
    await withRegistryAuth(t, options.registryAuth, async (dockerConfig) => {
        const r = await docker(t, (0, argv_js_1.stackDeployArgv)(t.stack, {
            withRegistryAuth: Boolean(dockerConfig),
            prune: options.prune,
            dockerConfig,
            ...(file.path ? { file: file.path } : {})
        }), `docker stack deploy ${t.stack}`, { ...(file.path ? {} : { stdin: file.text ?? '' }), check: false });
        if (r.exitCode !== 0)
            throw new index_js_1.CommandError(r.argv, r.exitCode, r.stdout, r.stderr, {
                where: t.executor.target,
                state: 'the stack was not changed, or only partly: the services that ran before keep running',
                hint: 'read the error above; `docker stack config -c <file>` shows how Docker reads the stack file'
            });
    });
    const converge = await waitForConvergence(t, before, {
        ...options,
        mode: 'update',
        expect: file.services.map((s) => `${t.stack}_${s}`)
    });
    return { converge, changed, before };
}
/**
 * Return the stack to what served before. With the previous release's stack file, redeploy it whole (this
 * also restores services the failed release removed); without one, `docker service rollback` each changed
 * service that Swarm is not already rolling back; with nothing before (a first deploy), remove the stack.
 */
async function rollbackStack(t, failed, options) {
    if (options.previous) {
        const r = await deployStack(t, options.previous, { ...options, prune: true });
        return { ...r.converge, how: 'redeploy' };
    }
    const now = await readStack(t);
    const existed = new Set(failed.before.services.map((s) => s.Spec.Name));
    if (!existed.size) {
        await docker(t, (0, argv_js_1.stackRemoveArgv)(t.stack), `docker stack rm ${t.stack}`);
        return { state: 'converged', services: [], timedOut: false, durationMs: 0, polls: 0, how: 'removed' };
    }
    for (const s of now.services) {
        const name = s.Spec.Name;
        const short = name.slice(t.stack.length + 1);
        if (!existed.has(name) || !failed.changed.includes(short))
            continue;
        if (s.UpdateStatus?.State?.startsWith('rollback'))
            continue; // Swarm is already on it.
        await docker(t, (0, argv_js_1.serviceRollbackArgv)(name), `docker service rollback ${name}`);
    }
    const converge = await waitForConvergence(t, now, { ...options, mode: 'rollback' });
    return { ...converge, how: 'service-rollback' };
}
/** Docker writes `repo:tag@sha256:…` into the spec; a reference pinned by digest matches on the digest. */
function sameImage(a, b) {
    const digest = (ref) => /@(sha256:[a-f0-9]{64})$/.exec(ref)?.[1];
    const da = digest(a);
    const db = digest(b);
    return da && db ? da === db : a === b;
}


/***/ }),

/***/ 4994:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.swarmStackFile = swarmStackFile;
const yaml_1 = __webpack_require__(8815);
const index_js_1 = __webpack_require__(2804);
const index_js_2 = __webpack_require__(893);
/**
 * Keys `docker stack deploy` drops with no more than a line on stderr (docker/cli's UnsupportedProperties
 * and DeprecatedProperties), and depends_on, which it ignores: a file that relies on them would deploy and
 * then behave differently from the same file under Compose. Each maps to the fix a Swarm user applies.
 */
const DROPPED = {
    build: 'build and push the image first (build-image), and keep only `image:`',
    cap_add: 'remove it: Swarm services cannot add capabilities through a stack file',
    cap_drop: 'remove it: Swarm services cannot drop capabilities through a stack file',
    cgroup_parent: 'remove it',
    container_name: 'remove it: Swarm names tasks itself (<stack>_<service>.<slot>)',
    depends_on: 'remove it and make the service retry its dependencies: Swarm starts services in any order',
    devices: 'remove it: Swarm services cannot map devices',
    domainname: 'remove it',
    expose: 'remove it: services on one network reach each other on any port',
    external_links: 'remove it and use a shared network',
    ipc: 'remove it',
    links: 'remove it: services on one network reach each other by service name',
    mac_address: 'remove it',
    pid: 'remove it',
    privileged: 'remove it: Swarm services cannot run privileged',
    restart: 'use `deploy.restart_policy` instead',
    security_opt: 'remove it',
    shm_size: 'remove it, or mount a tmpfs at /dev/shm',
    sysctls: 'remove it, or move to a Docker version whose stack deploy supports it',
    ulimits: 'remove it',
    userns_mode: 'remove it'
};
const HOST_NETWORK_FORM = 'attach the service to the host network the Swarm way: `networks: [hostnet]` with a top-level `networks: {hostnet: {external: true, name: host}}`';
/**
 * Check a compose file for Swarm and pin its images. Refuses, naming the input, the service and the fix:
 * `network_mode` (Swarm ignores it; the host network has its own form) and every key Swarm would drop.
 * `images` (service → reference, by digest where known) replaces the services' `image:`; a service with
 * neither its own image nor a pinned one is refused. A file without `version:` gets "3.8", which every
 * `docker stack deploy` since 19.03 reads.
 */
function swarmStackFile(text, images, input = 'compose-file') {
    const { root, services } = (0, index_js_1.parseComposeDocument)(text, input);
    for (const key of ['include', 'extends'])
        if (key in root)
            throw new index_js_2.InputError(input, `uses top-level \`${key}\`, which docker stack deploy does not resolve`, 'flatten the file first (docker compose config) and deploy the result');
    const pinned = {};
    for (const [name, svc] of Object.entries(services)) {
        if ('network_mode' in svc)
            throw new index_js_2.InputError(input, `service "${name}" sets network_mode: ${String(svc.network_mode)}, which Swarm ignores`, HOST_NETWORK_FORM);
        if ('extends' in svc)
            throw new index_js_2.InputError(input, `service "${name}" uses extends, which docker stack deploy refuses`, 'flatten the file first (docker compose config) and deploy the result');
        const dropped = Object.keys(svc).filter((k) => k in DROPPED);
        if (dropped.length)
            throw new index_js_2.InputError(input, `service "${name}" sets ${dropped.map((k) => `\`${k}\``).join(', ')}, which docker stack deploy would silently drop`, dropped.map((k) => `${k}: ${DROPPED[k]}`).join('; '));
        const image = images[name] ?? (typeof svc.image === 'string' ? svc.image : undefined);
        if (!image)
            throw new index_js_2.InputError(input, `service "${name}" has no image`, 'set `image:` or pass the image to deploy');
        svc.image = image;
        pinned[name] = image;
    }
    for (const name of Object.keys(images))
        if (!(name in services))
            throw new index_js_2.InputError('images', `names service "${name}", which the compose file does not define`, 'use one of: ' + Object.keys(services).join(', '));
    if (root.version === undefined)
        root.version = '3.8';
    // version first, as people write it.
    const ordered = { version: root.version, ...root };
    return { text: (0, yaml_1.stringify)(ordered, { lineWidth: 0 }), services: Object.keys(pinned), images: pinned };
}


/***/ })

};

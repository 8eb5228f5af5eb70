export const id = 780;
export const ids = [780];
export const modules = {

/***/ 2780:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.REMOVE_USAGE = exports.EXEC_USAGE = exports.LOGS_USAGE = void 0;
exports.logsCommand = logsCommand;
exports.execCommand = execCommand;
exports.removeCommand = removeCommand;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3149);
const index_js_3 = __webpack_require__(8796);
const argv_js_1 = __webpack_require__(6498);
const host_flags_js_1 = __webpack_require__(8000);
/**
 * Day-2 commands on a deployed app: `logs` and `exec` in what serves now (the active release's slot, or an
 * accessory), and `remove`, which tears the app down in one environment. The argv come from
 * packages/deploy (ops.ts); each runs through the SSH executor, one pinned connection per host.
 */
const CONNECTION = `--host [<user>@]<h>[:<port>][,…] --user <u> --app <app> --environment <e>
         --ssh-key-env <VAR> --known-hosts-env <VAR> [--port <p>] [--state-dir <dir>]`;
exports.LOGS_USAGE = `Usage: deploy-actions logs ${CONNECTION}
         [--service <s>] [--tail <n>] [--since <10m|time>] [--timestamps]

Print the logs of the containers that serve now (the active release's, and the accessories') on every host,
each line prefixed with its host and service. --service picks one service (an accessory such as db too).
`;
exports.EXEC_USAGE = `Usage: deploy-actions exec ${CONNECTION}
         --service <s> [--user-in-container <u>] [--workdir <dir>] -- <command> [args…]

Run a command in the running container of <service> in the active release (or in an accessory), on each host
given (one host is the usual case), and exit with its exit code. No TTY: for an interactive shell, ssh to the
host and run \`docker exec -it <container> sh\` (the container id is printed with --dry-run).
`;
exports.REMOVE_USAGE = `Usage: deploy-actions remove ${CONNECTION}
         --confirm <app> [--delete-data]

Tear the app down in one environment on every host: remove its containers (every slot, the accessories and
any one-off migration container) and their compose networks, stop its proxy and take its @reboot line out of
the crontab, and delete its releases and proxy files. Kept unless --delete-data: the named volumes, the
data/ directory (bind-mounted data) and history.jsonl. Without --confirm <app> it only prints what it would do.
`;
function target(flags, usage) {
    const need = (name) => {
        const v = flags.get(name);
        if (!v)
            throw new Error(`--${name} is required\n\n${usage}`);
        return v;
    };
    const app = need('app');
    const environment = need('environment');
    return { app, environment, slug: (0, index_js_2.environmentSlug)(environment) };
}
async function servingContainers(exec, stateDir, t, service) {
    const l = (0, index_js_2.layout)(stateDir, t.app, t.slug);
    const active = await exec.run({ argv: (0, index_js_2.activeReadArgv)(l), check: false, timeoutMs: 30_000 });
    if (active.exitCode !== 0)
        throw new Error(`${t.app} serves nothing in ${t.environment} here (no ${l.active}): check --app, --environment and --state-dir`);
    const record = JSON.parse(active.stdout);
    const found = [];
    for (const project of (0, index_js_2.servingProjects)(t.app, t.slug, record)) {
        const ps = await exec.run({ argv: (0, index_js_2.projectContainersArgv)(project), timeoutMs: 30_000 });
        found.push(...(0, index_js_2.parseContainerLines)(ps.stdout));
    }
    if (!service)
        return found;
    const picked = found.filter((c) => c.service === service);
    if (picked.length === 0)
        throw new Error(`no running container of service "${service}" (running: ${[...new Set(found.map((c) => c.service))].join(', ') || 'none'})`);
    return picked;
}
/** Lines of a stream, each prefixed; the last partial line on flush. */
function prefixed(prefix, write) {
    let buf = '';
    return {
        push(chunk) {
            buf += chunk;
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
                write(`${prefix}${buf.slice(0, nl)}\n`);
                buf = buf.slice(nl + 1);
            }
        },
        flush() {
            if (buf)
                write(`${prefix}${buf}\n`);
            buf = '';
        }
    };
}
async function logsCommand(args) {
    const { flags } = (0, argv_js_1.parseArgs)(args, new Set(['help', 'timestamps']));
    if (flags.has('help')) {
        process.stdout.write(exports.LOGS_USAGE);
        return 0;
    }
    try {
        const t = target(flags, exports.LOGS_USAGE);
        const { connections, stateDir } = (0, host_flags_js_1.hostFlags)(flags, exports.LOGS_USAGE);
        const tail = flags.has('tail') ? Number(flags.get('tail')) : undefined;
        if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0))
            throw new Error(`--tail "${flags.get('tail')}" is not a number of lines`);
        const since = flags.get('since');
        const results = await (0, index_js_3.eachHost)(connections, index_js_1.silentLogger, async (exec, host) => {
            for (const c of await servingContainers(exec, stateDir, t, flags.get('service'))) {
                const out = prefixed(`${host} ${c.service} | `, (s) => process.stdout.write(s));
                const err = prefixed(`${host} ${c.service} | `, (s) => process.stdout.write(s));
                await exec.run({
                    argv: (0, index_js_2.logsArgv)(c.id, {
                        ...(tail !== undefined ? { tail } : {}),
                        ...(since ? { since } : {}),
                        timestamps: flags.has('timestamps')
                    }),
                    timeoutMs: 300_000,
                    onOutput: (chunk, stream) => (stream === 'stdout' ? out : err).push(chunk)
                });
                out.flush();
                err.flush();
            }
            return null;
        }, (host, error) => `${host}: ${error}`);
        const errors = results.filter((r) => r !== null);
        for (const e of errors)
            process.stderr.write(`logs: ${e}\n`);
        return errors.length ? 1 : 0;
    }
    catch (err) {
        process.stderr.write(`logs: ${(0, index_js_1.describeError)(err)}\n`);
        return 2;
    }
}
async function execCommand(args) {
    const { flags, positional } = (0, argv_js_1.parseArgs)(args, new Set(['help', 'dry-run']));
    if (flags.has('help')) {
        process.stdout.write(exports.EXEC_USAGE);
        return 0;
    }
    try {
        const t = target(flags, exports.EXEC_USAGE);
        const service = flags.get('service');
        if (!service)
            throw new Error(`--service is required\n\n${exports.EXEC_USAGE}`);
        if (positional.length === 0)
            throw new Error(`give the command after \`--\`\n\n${exports.EXEC_USAGE}`);
        const { connections, stateDir } = (0, host_flags_js_1.hostFlags)(flags, exports.EXEC_USAGE);
        const many = connections.length > 1;
        const results = await (0, index_js_3.eachHost)(connections, index_js_1.silentLogger, async (exec, host) => {
            const [c] = await servingContainers(exec, stateDir, t, service);
            const argv = (0, index_js_2.execArgv)(c.id, positional, {
                ...(flags.get('user-in-container') ? { user: flags.get('user-in-container') } : {}),
                ...(flags.get('workdir') ? { workdir: flags.get('workdir') } : {})
            });
            if (flags.has('dry-run')) {
                process.stdout.write(`${host}: ${argv.join(' ')}\n`);
                return 0;
            }
            // One host: the command's output as it is, byte for byte; several: each line prefixed with its host.
            const out = many
                ? prefixed(`${host} | `, (s) => process.stdout.write(s))
                : { push: (c) => process.stdout.write(c), flush: () => undefined };
            const err = many
                ? prefixed(`${host} | `, (s) => process.stderr.write(s))
                : { push: (c) => process.stderr.write(c), flush: () => undefined };
            const r = await exec.run({
                argv,
                check: false,
                timeoutMs: 3_600_000,
                onOutput: (chunk, stream) => (stream === 'stdout' ? out : err).push(chunk)
            });
            out.flush();
            err.flush();
            return r.exitCode;
        }, (host, error) => {
            process.stderr.write(`exec: ${host}: ${error}\n`);
            return 2;
        });
        return results.find((code) => code !== 0) ?? 0;
    }
    catch (err) {
        process.stderr.write(`exec: ${(0, index_js_1.describeError)(err)}\n`);
        return 2;
    }
}
async function removeCommand(args) {
    const { flags } = (0, argv_js_1.parseArgs)(args, new Set(['help', 'delete-data']));
    if (flags.has('help')) {
        process.stdout.write(exports.REMOVE_USAGE);
        return 0;
    }
    try {
        const t = target(flags, exports.REMOVE_USAGE);
        const { connections, stateDir } = (0, host_flags_js_1.hostFlags)(flags, exports.REMOVE_USAGE);
        const deleteData = flags.has('delete-data');
        const plan = (0, index_js_2.removePlan)(stateDir, t.app, t.slug, deleteData);
        const confirmed = flags.get('confirm') === t.app;
        if (!confirmed) {
            process.stdout.write([
                `Would remove ${t.app} in ${t.environment} on ${connections.map((c) => c.host).join(', ')}:`,
                `- containers and networks of the compose projects ${plan.projects.join(', ')}`,
                `- ${deleteData ? 'their named volumes' : 'not their named volumes (kept; --delete-data removes them)'}`,
                `- the proxy (stopped), its @reboot crontab line`,
                `- ${(0, index_js_2.layout)(stateDir, t.app, t.slug).root}: ${deleteData ? 'all of it' : 'all but data/ and history.jsonl'}`,
                `Nothing was changed. Run again with --confirm ${t.app} to remove it.`,
                ''
            ].join('\n'));
            return flags.has('confirm') ? 2 : 0;
        }
        const results = await (0, index_js_3.eachHost)(connections, index_js_1.silentLogger, async (exec, host) => {
            const say = (s) => process.stdout.write(`${host}: ${s}\n`);
            const volumes = [];
            for (const project of plan.projects) {
                const ps = await exec.run({
                    argv: (0, index_js_2.projectContainersArgv)(project, { all: true }),
                    timeoutMs: 30_000
                });
                const ids = (0, index_js_2.parseContainerLines)(ps.stdout).map((c) => c.id);
                if (ids.length) {
                    await exec.run({ argv: ['docker', 'rm', '-f', ...ids], timeoutMs: 120_000 });
                    say(`removed ${ids.length} container(s) of ${project}`);
                }
                const nets = await exec.run({ argv: (0, index_js_2.projectObjectsArgv)('network', project), timeoutMs: 30_000 });
                const netIds = nets.stdout.split('\n').filter(Boolean);
                if (netIds.length) {
                    await exec.run({ argv: ['docker', 'network', 'rm', ...netIds], timeoutMs: 60_000 });
                    say(`removed ${netIds.length} network(s) of ${project}`);
                }
                const vols = await exec.run({ argv: (0, index_js_2.projectObjectsArgv)('volume', project), timeoutMs: 30_000 });
                volumes.push(...vols.stdout.split('\n').filter(Boolean));
            }
            const shared = await exec.run({ argv: (0, index_js_2.appNetworksArgv)(t.app, t.slug), timeoutMs: 30_000 });
            const sharedIds = (0, index_js_2.pickAppNetworks)(shared.stdout, t.app, t.slug);
            if (sharedIds.length) {
                await exec.run({ argv: ['docker', 'network', 'rm', ...sharedIds], timeoutMs: 60_000 });
                say(`removed ${sharedIds.length} shared network(s) of ${t.app}-${t.slug}`);
            }
            if (volumes.length && deleteData) {
                await exec.run({ argv: ['docker', 'volume', 'rm', ...volumes], timeoutMs: 120_000 });
                say(`removed volume(s) ${volumes.join(', ')}`);
            }
            else if (volumes.length)
                say(`kept volume(s) ${volumes.join(', ')}`);
            await exec.run({ argv: plan.proxy, timeoutMs: 30_000 });
            await exec.run({ argv: plan.bootHook, timeoutMs: 30_000 });
            say('proxy stopped, @reboot line removed');
            await exec.run({ argv: plan.state, timeoutMs: 300_000 });
            say(deleteData ? 'state removed' : 'state removed (kept data/ and history.jsonl)');
            return null;
        }, (host, error) => `${host}: ${error}`);
        const errors = results.filter((r) => r !== null);
        for (const e of errors)
            process.stderr.write(`remove: ${e}\n`);
        return errors.length ? 1 : 0;
    }
    catch (err) {
        process.stderr.write(`remove: ${(0, index_js_1.describeError)(err)}\n`);
        return 2;
    }
}


/***/ })

};

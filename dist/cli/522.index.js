export const id = 522;
export const ids = [522];
export const modules = {

/***/ 6522:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.REPORT_USAGE = void 0;
exports.reportCommand = reportCommand;
const node_fs_1 = __webpack_require__(3024);
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3747);
const index_js_3 = __webpack_require__(8796);
const argv_js_1 = __webpack_require__(6498);
const host_flags_js_1 = __webpack_require__(8000);
exports.REPORT_USAGE = `Usage: deploy-actions report --host [<user>@]<h>[:<port>][,…] --user <u> --app <app> --environment <e>[,<e>…]
         --ssh-key-env <VAR> --known-hosts-env <VAR> [--port <p>] [--state-dir <dir>]
         [--repo <git checkout>] [--incident-window 24h] [--since <ISO time>]
         [--database-url-env <VAR> | <environment>=<VAR>,…] [--history-table <table>]
         [--format markdown|json|prometheus] [--output <file>]

Delivery metrics (DORA's four keys) from the hosts' own release history: deployment frequency, lead time
for changes (with --repo: from each commit's time to the first release containing it serving), change
failure rate and time to restore, per environment and per ISO week, each with its DORA band.
The key and known_hosts come from the environment variables named, never from the command line.
--output writes the file by temp file and rename (for node_exporter's textfile collector).
--database-url-env names the variable holding each environment's database URL (one for all, or one per
environment): "the last migration" is then the newer of the hosts' migration.applied and run-migrations'
history table (--history-table, default deploy_actions_migrations).
`;
async function reportCommand(args) {
    const { flags } = (0, argv_js_1.parseArgs)(args, new Set(['help']));
    if (flags.has('help')) {
        process.stdout.write(exports.REPORT_USAGE);
        return 0;
    }
    const need = (name) => {
        const v = flags.get(name);
        if (!v)
            throw new Error(`--${name} is required\n\n${exports.REPORT_USAGE}`);
        return v;
    };
    try {
        const format = flags.get('format') ?? 'markdown';
        if (!['markdown', 'json', 'prometheus'].includes(format))
            throw new Error(`--format "${format}" is not one of markdown, json, prometheus`);
        const app = need('app');
        const environments = (0, host_flags_js_1.list)(need('environment'));
        const { connections, stateDir } = (0, host_flags_js_1.hostFlags)(flags, exports.REPORT_USAGE);
        const incidentWindowMs = (0, index_js_1.parseDuration)(flags.get('incident-window') ?? '24h', 'incident-window');
        const since = flags.has('since') ? Date.parse(flags.get('since')) : undefined;
        if (since !== undefined && Number.isNaN(since))
            throw new Error(`--since "${flags.get('since')}" is not a date (ISO 8601, e.g. 2026-11-01)`);
        const databaseUrl = databaseUrls(flags.get('database-url-env'), environments);
        const historyTable = flags.get('history-table') ?? index_js_2.INPUTS['run-migrations']['history-table'].default;
        const reports = await (0, index_js_3.deliveryReports)({
            connections,
            stateDir,
            app,
            environments,
            incidentWindowMs,
            ...(since !== undefined ? { since } : {}),
            ...(flags.get('repo') ? { repo: flags.get('repo') } : {}),
            databaseUrl,
            historyTable,
            logger: index_js_1.silentLogger
        });
        const text = format === 'json'
            ? (0, index_js_3.reportJson)(reports)
            : format === 'prometheus'
                ? (0, index_js_3.reportExposition)(reports)
                : (0, index_js_3.reportMarkdown)(reports);
        const output = flags.get('output');
        if (output) {
            const tmp = (0, node_path_1.join)((0, node_path_1.dirname)(output), `.${(0, node_path_1.basename)(output)}.${process.pid}.tmp`);
            (0, node_fs_1.writeFileSync)(tmp, text, { mode: 0o644 });
            (0, node_fs_1.renameSync)(tmp, output);
        }
        else
            process.stdout.write(text);
        return reports.every((r) => r.hosts.some((h) => !h.error)) ? 0 : 1;
    }
    catch (err) {
        process.stderr.write(`report: ${(0, index_js_1.describeError)(err)}\n`);
        return 2;
    }
}
/**
 * `--database-url-env VAR` (every environment's database) or `staging=VAR,production=VAR2`: the URL of an
 * environment's database, from the environment variable named (never from the command line).
 */
function databaseUrls(flag, environments) {
    if (!flag)
        return () => undefined;
    const pairs = (0, host_flags_js_1.list)(flag);
    const named = new Map();
    for (const p of pairs) {
        const cut = p.indexOf('=');
        if (cut < 0 && pairs.length === 1)
            for (const e of environments)
                named.set(e, p);
        else if (cut > 0)
            named.set(p.slice(0, cut), p.slice(cut + 1));
        else
            throw new Error(`--database-url-env "${flag}": give one variable, or <environment>=<VAR> pairs`);
    }
    return (environment) => {
        const name = named.get(environment);
        if (!name)
            return undefined;
        const url = process.env[name];
        if (!url)
            throw new Error(`--database-url-env names $${name} for ${environment}, which is empty: export the URL into it first`);
        return url;
    };
}


/***/ })

};

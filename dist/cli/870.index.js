export const id = 870;
export const ids = [870];
export const modules = {

/***/ 8870:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.INCIDENT_USAGE = void 0;
exports.incidentCommand = incidentCommand;
const node_os_1 = __webpack_require__(8161);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3149);
const index_js_3 = __webpack_require__(8796);
const argv_js_1 = __webpack_require__(6498);
const host_flags_js_1 = __webpack_require__(8000);
exports.INCIDENT_USAGE = `Usage: deploy-actions incident --host [<user>@]<h>[:<port>][,…] --user <u> --app <app> --environment <e>
         --reason <text> --ssh-key-env <VAR> --known-hosts-env <VAR> [--port <p>] [--state-dir <dir>]
         [--release <release id>] [--time <ISO time>]

Record incident.opened in the app's history on every host, so that delivery reports (deploy-actions report)
count the release serving then as a failed change and time the restore from the incident. A pager or alert
integration calls it when an incident opens.
`;
async function incidentCommand(args) {
    const { flags } = (0, argv_js_1.parseArgs)(args, new Set(['help']));
    if (flags.has('help')) {
        process.stdout.write(exports.INCIDENT_USAGE);
        return 0;
    }
    try {
        const need = (name) => {
            const v = flags.get(name);
            if (!v)
                throw new Error(`--${name} is required\n\n${exports.INCIDENT_USAGE}`);
            return v;
        };
        const app = need('app');
        const environment = need('environment');
        const reason = need('reason');
        const time = flags.has('time') ? new Date(flags.get('time')) : new Date();
        if (Number.isNaN(time.getTime()))
            throw new Error(`--time "${flags.get('time')}" is not a date (ISO 8601, e.g. 2026-11-01T03:12:00Z)`);
        const { connections, stateDir } = (0, host_flags_js_1.hostFlags)(flags, exports.INCIDENT_USAGE);
        const slug = (0, index_js_2.environmentSlug)(environment);
        const release = flags.get('release');
        const results = await (0, index_js_3.appendToHistories)(connections, stateDir, app, environment, (host) => ({
            time: time.toISOString(),
            event: 'incident.opened',
            app,
            environment,
            ...(slug !== environment ? { environmentSlug: slug } : {}),
            actor: process.env.GITHUB_ACTOR ?? (0, node_os_1.userInfo)().username,
            runUrl: '',
            host,
            reason,
            ...(release ? { release } : {})
        }), index_js_1.silentLogger);
        for (const r of results)
            process.stdout.write(`${r.host}: ${r.error ? `not recorded (${r.error})` : 'incident.opened recorded'}\n`);
        return results.every((r) => !r.error) ? 0 : 1;
    }
    catch (err) {
        process.stderr.write(`incident: ${(0, index_js_1.describeError)(err)}\n`);
        return 2;
    }
}


/***/ })

};

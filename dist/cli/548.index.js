export const id = 548;
export const ids = [548];
export const modules = {

/***/ 7548:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.PAUSE_USAGE = void 0;
exports.pauseCommand = pauseCommand;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(3149);
const index_js_3 = __webpack_require__(9935);
const index_js_4 = __webpack_require__(8796);
const argv_js_1 = __webpack_require__(6498);
const host_flags_js_1 = __webpack_require__(8000);
exports.PAUSE_USAGE = `Usage: deploy-actions pause|resume --host [<user>@]<h>[:<port>][,…] --user <u> --app <app>
         [--environment <env, default production>] [--state-dir <dir>] [--port <p>]
         --ssh-key-env <VAR> --known-hosts-env <VAR>

pause: the host's front door answers every request for the app's host names with a 503 maintenance page, at
once (its containers keep running). resume: it routes them to the app again. Other apps of the front door
are untouched. Only for apps deployed with public-hostnames (docs/front-door.md).
`;
/** `deploy-actions pause` and `resume`: one app's maintenance page in its host's front door. */
async function pauseCommand(args, mode) {
    const { flags } = (0, argv_js_1.parseArgs)(args, new Set(['help']));
    if (flags.has('help')) {
        process.stdout.write(exports.PAUSE_USAGE);
        return 0;
    }
    try {
        const app = flags.get('app');
        if (!app)
            throw new Error(`--app is required\n\n${exports.PAUSE_USAGE}`);
        // As deploy-compose names the environment on the host.
        const environment = (0, index_js_2.environmentSlug)(flags.get('environment') ?? 'production');
        const { connections, stateDir } = (0, host_flags_js_1.hostFlags)(flags, exports.PAUSE_USAGE);
        const key = (0, index_js_3.siteKey)(app, environment);
        const argv = (0, index_js_3.frontDoorArgv)((0, index_js_3.frontDoorLayout)(stateDir), mode, key, stateDir, undefined, []);
        const stdin = mode === 'pause' ? (0, index_js_2.tarball)([{ path: `maint/${key}.conf`, content: (0, index_js_3.maintenanceConf)() }]) : '';
        const results = await (0, index_js_4.eachHost)(connections, index_js_1.silentLogger, async (exec, host) => {
            const r = await exec.run({ argv, stdin, check: false, timeoutMs: 90_000 });
            return { host, error: r.exitCode === 0 ? null : (r.stderr || r.stdout).trim() };
        }, (host, error) => ({ host, error }));
        for (const r of results)
            process.stdout.write(`${r.host}: ${r.error ? `not changed (${r.error})` : mode === 'pause' ? `${app} paused (503 page)` : `${app} serves again`}\n`);
        return results.every((r) => !r.error) ? 0 : 1;
    }
    catch (err) {
        process.stderr.write(`${mode}: ${(0, index_js_1.describeError)(err)}\n`);
        return 2;
    }
}


/***/ })

};

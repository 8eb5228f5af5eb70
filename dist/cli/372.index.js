export const id = 372;
export const ids = [372];
export const modules = {

/***/ 9372:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.OBSERVE_KEY_USAGE = void 0;
exports.observeKeyCommand = observeKeyCommand;
const node_fs_1 = __webpack_require__(3024);
const node_path_1 = __webpack_require__(6760);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(8796);
const argv_js_1 = __webpack_require__(6498);
const host_flags_js_1 = __webpack_require__(8000);
exports.OBSERVE_KEY_USAGE = `Usage: deploy-actions observe-key --host [<user>@]<h>[:<port>][,…] --user <u> --app <app>
         (--public-key-file <observe.pub> | --remove) --ssh-key-env <VAR> --known-hosts-env <VAR>
         [--port <p>] [--state-dir <dir>] [--authorized-keys <path, default ${index_js_2.AUTHORIZED_KEYS}>]

Let a second, read-only key read the app's release history on every host, for deploy-actions report from a
reviewer-less "<environment>-observe" GitHub environment. Connects with the deploy key (from --ssh-key-env)
and adds to the deploy user's authorized_keys one line for the observe key, with "restrict" and a forced
command (<state-dir>/<app>/observe.sh) that serves only the host's clock and the app's history files. Running
it again replaces the app's observe key; --remove takes it out. Other lines are kept as they are.
`;
async function observeKeyCommand(args, root) {
    const { flags } = (0, argv_js_1.parseArgs)(args, new Set(['help', 'remove']));
    if (flags.has('help')) {
        process.stdout.write(exports.OBSERVE_KEY_USAGE);
        return 0;
    }
    try {
        const app = flags.get('app');
        if (!app)
            throw new Error(`--app is required\n\n${exports.OBSERVE_KEY_USAGE}`);
        const remove = flags.get('remove') === 'true';
        const keyFile = flags.get('public-key-file');
        if (remove === Boolean(keyFile))
            throw new Error(`give either --public-key-file or --remove\n\n${exports.OBSERVE_KEY_USAGE}`);
        const { connections, stateDir } = (0, host_flags_js_1.hostFlags)(flags, exports.OBSERVE_KEY_USAGE);
        const authorizedKeys = flags.get('authorized-keys');
        const results = await (0, index_js_2.changeObserveKeys)(connections, {
            stateDir,
            app,
            script: (0, node_fs_1.readFileSync)((0, node_path_1.join)(root, index_js_2.OBSERVE_SCRIPT_SOURCE), 'utf8'),
            ...(keyFile ? { publicKey: (0, node_fs_1.readFileSync)(keyFile, 'utf8') } : {}),
            ...(authorizedKeys ? { authorizedKeys } : {})
        }, index_js_1.silentLogger);
        for (const r of results)
            process.stdout.write(`${r.host}: ${r.error ? `not changed (${r.error})` : remove ? 'observe key removed' : 'observe key installed'}\n`);
        return results.every((r) => !r.error) ? 0 : 1;
    }
    catch (err) {
        process.stderr.write(`observe-key: ${(0, index_js_1.describeError)(err)}\n`);
        return 2;
    }
}


/***/ })

};

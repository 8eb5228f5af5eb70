export const id = 994;
export const ids = [994];
export const modules = {

/***/ 2994:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   octokitRequest: () => (/* binding */ octokitRequest)
/* harmony export */ });
/* unused harmony export splitRepository */
function octokitRequest(options) {
    let client;
    const quiet = (message) => options.debug?.(message);
    const load = async () => {
        const { Octokit } = await __webpack_require__.e(/* import() */ 891).then(__webpack_require__.bind(__webpack_require__, 891));
        const octokit = new Octokit({
            auth: options.token,
            baseUrl: (options.baseUrl || 'https://api.github.com').replace(/\/+$/, ''),
            userAgent: options.userAgent ?? 'deploy-actions',
            log: { debug: quiet, info: quiet, warn: quiet, error: quiet }
        });
        return async (route, params) => {
            const res = await octokit.request(route, params ?? {});
            return { status: res.status, data: res.data };
        };
    };
    return async (route, params) => {
        client ??= load();
        return (await client)(route, params);
    };
}
/** `owner/name` into its parts; undefined when it is not of that shape. */
function splitRepository(fullName) {
    const m = /^([A-Za-z0-9-_.]+)\/([A-Za-z0-9-_.]+)$/.exec(fullName.trim());
    return m ? { owner: m[1], repo: m[2] } : undefined;
}


/***/ })

};

export const id = 242;
export const ids = [242];
export const modules = {

/***/ 1242:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.octokitRequest = octokitRequest;
exports.environmentsCommand = environmentsCommand;
const node_fs_1 = __webpack_require__(3024);
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(4364);
const argv_js_1 = __webpack_require__(6498);
/**
 * deploy-actions environments plan|apply --file environments.yml [--repo owner/name] [--prune]
 *
 * Environment protection as code: required reviewers, wait timer, deployment branch and tag policies,
 * environment variables, and the names of required secrets. `plan` prints the diff and changes nothing.
 * The token comes from GITHUB_TOKEN or GH_TOKEN (it needs repository Administration: write).
 */
async function octokitRequest(token, baseUrl) {
    // Loaded only here: the actions that never call GitHub do not pay for Octokit at start. The shared
    // client keeps Octokit's own request log (expected 404s) out of stderr.
    return (await Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 7305, 23))).octokitRequest({ token, baseUrl });
}
async function environmentsCommand(args) {
    const { positional, flags } = (0, argv_js_1.parseArgs)(args, new Set(['prune', 'help']));
    const verb = positional[0];
    if (flags.has('help') || (verb !== 'plan' && verb !== 'apply')) {
        process.stdout.write('Usage: deploy-actions environments plan|apply --file environments.yml [--repo owner/name] [--prune]\n' +
            '  plan   show what would change (a dry run)\n  apply  make GitHub match the file\n' +
            'Token: GITHUB_TOKEN or GH_TOKEN with repository Administration: write. API: GITHUB_API_URL.\n');
        return flags.has('help') ? 0 : 2;
    }
    try {
        const file = flags.get('file') ?? 'environments.yml';
        const config = (0, index_js_2.parseEnvironmentsFile)((0, node_fs_1.readFileSync)(file, 'utf8'), file);
        const repository = flags.get('repo') ?? config.repository ?? process.env.GITHUB_REPOSITORY;
        if (!repository || !repository.includes('/')) {
            process.stderr.write('No repository: pass --repo owner/name or set repository: in the file.\n');
            return 2;
        }
        const token = process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN;
        if (!token) {
            process.stderr.write('No token: set GITHUB_TOKEN or GH_TOKEN (Administration: write on the repository).\n');
            return 2;
        }
        const [owner, repo] = repository.split('/');
        const request = await octokitRequest(token, process.env.GITHUB_API_URL ?? 'https://api.github.com');
        const plan = await (0, index_js_2.planEnvironments)(request, owner, repo, config.environments, {
            prune: flags.has('prune')
        });
        process.stdout.write((0, index_js_2.renderPlan)(plan));
        if (verb === 'apply') {
            const n = await (0, index_js_2.applyPlan)(request, plan);
            process.stdout.write(`Applied ${n} change(s).\n`);
        }
        return plan.missingSecrets.length ? 1 : 0;
    }
    catch (err) {
        process.stderr.write((0, index_js_1.describeError)(err) + '\n');
        return 1;
    }
}


/***/ }),

/***/ 3044:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.parseEnvironmentsFile = parseEnvironmentsFile;
const index_js_1 = __webpack_require__(893);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
function parseEnvironmentsFile(text, file = 'environments.yml') {
    const { doc, fail } = (0, index_js_1.parseYamlFile)(text, file);
    if (!doc || typeof doc !== 'object')
        throw fail('(file)', 'is empty', 'declare an `environments:` map');
    const root = doc;
    for (const key of Object.keys(root)) {
        if (!['repository', 'environments'].includes(key))
            throw fail(key, 'is not a known key', 'use repository and environments');
    }
    if (root.repository !== undefined && !/^[\w.-]+\/[\w.-]+$/.test(String(root.repository))) {
        throw fail('repository', `"${String(root.repository)}" is not owner/name`, 'write it like acme/shop');
    }
    const envs = root.environments;
    if (!envs || typeof envs !== 'object' || Array.isArray(envs)) {
        throw fail('environments', 'must be a map of environment names', 'e.g. environments: { staging: {}, production: { wait-timer: 5 } }');
    }
    const known = [
        'wait-timer',
        'reviewers',
        'prevent-self-review',
        'branches',
        'tags',
        'protected-branches',
        'all-branches',
        'variables',
        'secrets',
        'production'
    ];
    const environments = [];
    for (const [name, raw] of Object.entries(envs)) {
        const at = (k) => `environments.${name}.${k}`;
        const e = (raw ?? {});
        for (const key of Object.keys(e))
            if (!known.includes(key))
                throw fail(at(key), 'is not a known key', `use one of: ${known.join(', ')}`);
        const waitTimer = e['wait-timer'] === undefined ? 0 : Number(e['wait-timer']);
        if (!Number.isInteger(waitTimer) || waitTimer < 0 || waitTimer > 43200) {
            throw fail(at('wait-timer'), `"${String(e['wait-timer'])}" is not a whole number of minutes from 0 to 43200`, 'GitHub allows up to 30 days (43200)');
        }
        const reviewers = [];
        for (const r of (e.reviewers ?? [])) {
            const obj = (r ?? {});
            if (typeof obj.user === 'string' && obj.user)
                reviewers.push({ type: 'User', login: obj.user });
            else if (typeof obj.team === 'string' && /^[\w.-]+\/[\w.-]+$/.test(obj.team)) {
                const [org, slug] = obj.team.split('/');
                reviewers.push({ type: 'Team', org, slug });
            }
            else
                throw fail(at('reviewers'), `${JSON.stringify(r)} is neither { user: login } nor { team: org/slug }`, 'write - user: alice or - team: acme/platform');
        }
        if (reviewers.length > 6)
            throw fail(at('reviewers'), `has ${reviewers.length} entries`, 'GitHub allows at most 6 required reviewers');
        const branches = (e.branches ?? []).map(String);
        const tags = (e.tags ?? []).map(String);
        const modes = [
            e['protected-branches'] === true,
            e['all-branches'] === true,
            branches.length + tags.length > 0
        ].filter(Boolean).length;
        if (modes > 1)
            throw fail(at('branches'), 'combines protected-branches, all-branches and branch/tag patterns', 'choose one of them');
        const branchPolicy = e['protected-branches'] === true
            ? { protectedBranches: true }
            : branches.length + tags.length > 0
                ? { custom: { branches, tags } }
                : null;
        const variables = {};
        for (const [k, v] of Object.entries((e.variables ?? {}))) {
            if (!NAME.test(k) || k.toUpperCase().startsWith('GITHUB_'))
                throw fail(at(`variables.${k}`), 'is not a valid variable name', 'letters, digits and _, not starting with GITHUB_');
            variables[k] = String(v);
        }
        if (e.production !== undefined && typeof e.production !== 'boolean')
            throw fail(at('production'), 'must be true or false', 'write production: true on the environments that hold real data');
        const secrets = (e.secrets ?? []).map(String);
        for (const s of secrets)
            if (!NAME.test(s))
                throw fail(at('secrets'), `"${s}" is not a valid secret name`, 'letters, digits and _');
        environments.push({
            name,
            waitTimer,
            preventSelfReview: e['prevent-self-review'] === true,
            reviewers,
            branchPolicy,
            variables,
            secrets,
            ...(e.production === true ? { production: true } : {})
        });
    }
    return { ...(root.repository ? { repository: String(root.repository) } : {}), environments };
}


/***/ }),

/***/ 4364:
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
__exportStar(__webpack_require__(3044), exports);
__exportStar(__webpack_require__(9881), exports);


/***/ }),

/***/ 9881:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.readEnvironment = readEnvironment;
exports.resolveReviewers = resolveReviewers;
exports.diffEnvironment = diffEnvironment;
exports.planEnvironments = planEnvironments;
exports.applyPlan = applyPlan;
exports.renderPlan = renderPlan;
const index_js_1 = __webpack_require__(893);
const index_js_2 = __webpack_require__(7305);
async function tryGet(request, route, params) {
    return (0, index_js_2.getIfFound)(request, route, params, (err) => asGitHubError(err, route));
}
/** GitHub's refusal of an environments call, mapped by packages/github with the permission it needs. */
function asGitHubError(err, route) {
    return (0, index_js_2.githubError)(err, `call ${route}`, 'changes already applied before this call stay applied; run the command again to converge', {
        unauthorizedHint: 'the token is invalid or expired: set GITHUB_TOKEN or GH_TOKEN to a valid one',
        refusedHint: 'environment administration needs a token with the repository "Administration: write" permission (a fine-grained PAT or a GitHub App); the workflow GITHUB_TOKEN cannot manage environments'
    });
}
async function listAll(request, route, params, key, perPage) {
    const items = [];
    for (let page = 1; page < 50; page++) {
        const data = (await tryGet(request, route, { ...params, per_page: perPage, page }));
        const batch = (data?.[key] ?? []);
        items.push(...batch);
        if (batch.length < perPage)
            break;
    }
    return items;
}
async function readEnvironment(request, owner, repo, name) {
    const base = { owner, repo, environment_name: name };
    const env = (await tryGet(request, 'GET /repos/{owner}/{repo}/environments/{environment_name}', base));
    if (!env) {
        return {
            exists: false,
            waitTimer: 0,
            preventSelfReview: false,
            reviewers: [],
            branchPolicy: null,
            policies: [],
            variables: {},
            secrets: []
        };
    }
    const rules = env.protection_rules ?? [];
    const wait = rules.find((r) => r.type === 'wait_timer');
    const reviewRule = rules.find((r) => r.type === 'required_reviewers');
    const reviewers = (reviewRule?.reviewers ?? []).map((r) => ({
        type: r.type,
        id: r.reviewer.id,
        name: r.type === 'User'
            ? (r.reviewer.login ?? String(r.reviewer.id))
            : `${owner}/${r.reviewer.slug ?? r.reviewer.id}`
    }));
    const dbp = env.deployment_branch_policy ?? null;
    const policies = dbp?.custom_branch_policies
        ? (await listAll(request, 'GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies', base, 'branch_policies', 100)).map((p) => ({ id: p.id, name: p.name, type: p.type ?? 'branch' }))
        : [];
    const branchPolicy = !dbp
        ? null
        : dbp.protected_branches
            ? { protectedBranches: true }
            : {
                custom: {
                    branches: policies.filter((p) => p.type === 'branch').map((p) => p.name),
                    tags: policies.filter((p) => p.type === 'tag').map((p) => p.name)
                }
            };
    const variables = {};
    for (const v of await listAll(request, 'GET /repos/{owner}/{repo}/environments/{environment_name}/variables', base, 'variables', 30)) {
        variables[v.name] = v.value;
    }
    const secrets = (await listAll(request, 'GET /repos/{owner}/{repo}/environments/{environment_name}/secrets', base, 'secrets', 100)).map((s) => s.name);
    return {
        exists: true,
        waitTimer: wait?.wait_timer ?? 0,
        preventSelfReview: reviewRule?.prevent_self_review ?? false,
        reviewers,
        branchPolicy,
        policies,
        variables,
        secrets
    };
}
async function resolveReviewers(request, reviewers) {
    const out = [];
    for (const r of reviewers) {
        if (r.type === 'User') {
            const user = (await tryGet(request, 'GET /users/{username}', { username: r.login }));
            if (!user)
                throw new index_js_1.GitHubError(`Reviewer user '${r.login}' does not exist`, {
                    hint: 'check the login in environments.yml'
                });
            out.push({ type: 'User', id: user.id, name: r.login });
        }
        else {
            const team = (await tryGet(request, 'GET /orgs/{org}/teams/{team_slug}', {
                org: r.org,
                team_slug: r.slug
            }));
            if (!team)
                throw new index_js_1.GitHubError(`Reviewer team '${r.org}/${r.slug}' does not exist or is not visible to the token`, {
                    hint: "check the team slug, and that the token can read the organization's teams (members: read)"
                });
            out.push({ type: 'Team', id: team.id, name: `${r.org}/${r.slug}` });
        }
    }
    return out;
}
const policyLabel = (p) => p === null
    ? 'any branch'
    : 'protectedBranches' in p
        ? 'protected branches'
        : `selected branches/tags (${[...p.custom.branches, ...p.custom.tags.map((t) => `tag ${t}`)].join(', ')})`;
const sameSet = (a, b) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
function diffEnvironment(spec, current, reviewers, prune) {
    const changes = [];
    const details = [];
    if (!current.exists)
        details.push('create the environment');
    if (current.waitTimer !== spec.waitTimer)
        details.push(`wait timer ${current.waitTimer} → ${spec.waitTimer} minutes`);
    if (!sameSet(current.reviewers.map((r) => `${r.type}:${r.id}`), reviewers.map((r) => `${r.type}:${r.id}`))) {
        details.push(`required reviewers [${current.reviewers.map((r) => r.name).join(', ')}] → [${reviewers.map((r) => r.name).join(', ')}]`);
    }
    if (current.preventSelfReview !== spec.preventSelfReview && reviewers.length > 0) {
        details.push(`prevent self-review ${current.preventSelfReview} → ${spec.preventSelfReview}`);
    }
    const policyKind = (p) => p === null ? 'none' : 'protectedBranches' in p ? 'protected' : 'custom';
    if (policyKind(current.branchPolicy) !== policyKind(spec.branchPolicy)) {
        details.push(`deployment branches: ${policyLabel(current.branchPolicy)} → ${policyLabel(spec.branchPolicy)}`);
    }
    if (details.length) {
        const body = {
            wait_timer: spec.waitTimer,
            prevent_self_review: spec.preventSelfReview,
            reviewers: reviewers.map((r) => ({ type: r.type, id: r.id })),
            deployment_branch_policy: spec.branchPolicy === null
                ? null
                : 'protectedBranches' in spec.branchPolicy
                    ? { protected_branches: true, custom_branch_policies: false }
                    : { protected_branches: false, custom_branch_policies: true }
        };
        changes.push({
            kind: 'environment',
            env: spec.name,
            action: current.exists ? 'update' : 'create',
            details,
            body
        });
    }
    if (spec.branchPolicy && 'custom' in spec.branchPolicy) {
        const want = [
            ...spec.branchPolicy.custom.branches.map((name) => ({ name, type: 'branch' })),
            ...spec.branchPolicy.custom.tags.map((name) => ({ name, type: 'tag' }))
        ];
        for (const w of want) {
            if (!current.policies.some((p) => p.name === w.name && p.type === w.type))
                changes.push({ kind: 'policy', env: spec.name, action: 'create', ...w });
        }
        for (const p of current.policies) {
            if (!want.some((w) => w.name === p.name && w.type === p.type))
                changes.push({
                    kind: 'policy',
                    env: spec.name,
                    action: 'delete',
                    name: p.name,
                    type: p.type,
                    id: p.id
                });
        }
    }
    for (const [name, value] of Object.entries(spec.variables)) {
        if (!(name in current.variables))
            changes.push({ kind: 'variable', env: spec.name, action: 'create', name, value });
        else if (current.variables[name] !== value)
            changes.push({
                kind: 'variable',
                env: spec.name,
                action: 'update',
                name,
                value,
                from: current.variables[name]
            });
    }
    const unmanaged = Object.keys(current.variables).filter((n) => !(n in spec.variables));
    if (prune)
        for (const name of unmanaged)
            changes.push({ kind: 'variable', env: spec.name, action: 'delete', name });
    const missingSecrets = spec.secrets.filter((s) => !current.secrets.includes(s));
    return { changes, missingSecrets, unmanaged: prune ? [] : unmanaged };
}
async function planEnvironments(request, owner, repo, specs, options = {}) {
    const plan = { owner, repo, changes: [], missingSecrets: [], unmanagedVariables: [] };
    for (const spec of specs) {
        const current = await readEnvironment(request, owner, repo, spec.name);
        const reviewers = await resolveReviewers(request, spec.reviewers);
        const d = diffEnvironment(spec, current, reviewers, options.prune ?? false);
        plan.changes.push(...d.changes);
        plan.missingSecrets.push(...d.missingSecrets.map((name) => ({ env: spec.name, name })));
        plan.unmanagedVariables.push(...d.unmanaged.map((name) => ({ env: spec.name, name })));
    }
    return plan;
}
async function applyPlan(request, plan) {
    const { owner, repo } = plan;
    let applied = 0;
    const call = async (route, params) => {
        try {
            await request(route, { owner, repo, ...params });
            applied++;
        }
        catch (err) {
            throw asGitHubError(err, route);
        }
    };
    for (const c of plan.changes) {
        const environment_name = c.env;
        if (c.kind === 'environment')
            await call('PUT /repos/{owner}/{repo}/environments/{environment_name}', {
                environment_name,
                ...c.body
            });
        else if (c.kind === 'policy' && c.action === 'create') {
            await call('POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies', {
                environment_name,
                name: c.name,
                type: c.type
            });
        }
        else if (c.kind === 'policy') {
            await call('DELETE /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}', { environment_name, branch_policy_id: c.id });
        }
        else if (c.action === 'create') {
            await call('POST /repos/{owner}/{repo}/environments/{environment_name}/variables', {
                environment_name,
                name: c.name,
                value: c.value
            });
        }
        else if (c.action === 'update') {
            await call('PATCH /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}', {
                environment_name,
                name: c.name,
                value: c.value
            });
        }
        else {
            await call('DELETE /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}', {
                environment_name,
                name: c.name
            });
        }
    }
    return applied;
}
/** The dry-run diff, in the style of `terraform plan`. */
function renderPlan(plan) {
    const lines = [`Environments of ${plan.owner}/${plan.repo}:`];
    if (plan.changes.length === 0)
        lines.push('  no changes: GitHub matches the file');
    for (const c of plan.changes) {
        if (c.kind === 'environment')
            for (const d of c.details)
                lines.push(`  ${c.action === 'create' ? '+' : '~'} ${c.env}: ${d}`);
        else if (c.kind === 'policy')
            lines.push(`  ${c.action === 'create' ? '+' : '-'} ${c.env}: deployment ${c.type} policy ${c.name}`);
        else if (c.action === 'create')
            lines.push(`  + ${c.env}: variable ${c.name} = ${c.value}`);
        else if (c.action === 'update')
            lines.push(`  ~ ${c.env}: variable ${c.name}: ${c.from} → ${c.value}`);
        else
            lines.push(`  - ${c.env}: variable ${c.name}`);
    }
    for (const u of plan.unmanagedVariables)
        lines.push(`  ? ${u.env}: variable ${u.name} is not in the file (kept; --prune deletes it)`);
    for (const m of plan.missingSecrets) {
        lines.push(`  ! ${m.env}: required secret ${m.name} is missing: gh secret set ${m.name} --env ${m.env} --repo ${plan.owner}/${plan.repo}`);
    }
    return lines.join('\n') + '\n';
}


/***/ }),

/***/ 2994:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.octokitRequest = octokitRequest;
exports.splitRepository = splitRepository;
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


/***/ }),

/***/ 3345:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.startDeployment = startDeployment;
exports.deactivateSuperseded = deactivateSuperseded;
exports.trackDeployment = trackDeployment;
const errors_js_1 = __webpack_require__(3570);
/** Deployments need `deployments: write`; a failure leaves the deploy itself as it was. */
const asGitHubError = (err, route) => (0, errors_js_1.githubError)(err, `record the deployment (${route})`, 'the deploy itself is not affected by this record', {
    permission: 'deployments: write'
});
async function startDeployment(request, target, logger) {
    const { owner, repo } = target;
    let created;
    try {
        created = await request('POST /repos/{owner}/{repo}/deployments', {
            owner,
            repo,
            ref: target.sha,
            environment: target.environment,
            description: target.description.slice(0, 140),
            auto_merge: false,
            required_contexts: [],
            production_environment: target.productionEnvironment,
            transient_environment: target.transientEnvironment ?? false,
            payload: target.payload ?? {}
        });
    }
    catch (err) {
        throw asGitHubError(err, 'POST /repos/{owner}/{repo}/deployments');
    }
    // 202 means GitHub merged or refused to create one (e.g. an auto-merge); there is no deployment to update.
    const id = created.data.id;
    if (created.status !== 201 || typeof id !== 'number') {
        throw asGitHubError({
            status: created.status,
            message: `no deployment was created: ${JSON.stringify(created.data).slice(0, 200)}`
        }, 'POST /repos/{owner}/{repo}/deployments');
    }
    const status = async (state, extra) => {
        try {
            await request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
                owner,
                repo,
                deployment_id: id,
                state,
                log_url: target.logUrl || undefined,
                ...extra
            });
        }
        catch (err) {
            throw asGitHubError(err, 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses');
        }
    };
    await status('in_progress', { description: target.description.slice(0, 140) });
    logger.info(`GitHub deployment ${id} for ${target.environment} is in progress`);
    return {
        id,
        async finish(state, options = {}) {
            await status(state, {
                ...(options.description ? { description: options.description.slice(0, 140) } : {}),
                ...(state === 'success' && options.environmentUrl ? { environment_url: options.environmentUrl } : {}),
                ...(state === 'success' ? { auto_inactive: true } : {})
            });
            if (state === 'success')
                await deactivateSuperseded(request, target, id, logger);
        }
    };
}
/** Mark every earlier deployment of the environment whose latest status is success as inactive. */
async function deactivateSuperseded(request, target, keepId, logger) {
    const { owner, repo } = target;
    const call = async (route, params) => {
        try {
            return (await request(route, { owner, repo, ...params })).data;
        }
        catch (err) {
            throw asGitHubError(err, route);
        }
    };
    const list = (await call('GET /repos/{owner}/{repo}/deployments', {
        environment: target.environment,
        per_page: 30
    }));
    let n = 0;
    for (const d of list) {
        if (d.id === keepId)
            continue;
        const statuses = (await call('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
            deployment_id: d.id,
            per_page: 1
        }));
        if (statuses[0]?.state === 'success') {
            await call('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
                deployment_id: d.id,
                state: 'inactive',
                description: `superseded by deployment ${keepId}`
            });
            n++;
        }
    }
    if (n)
        logger.info(`marked ${n} superseded deployment(s) of ${target.environment} inactive`);
    return n;
}
async function trackDeployment(options, logger) {
    const { context } = options;
    const [owner, repo] = context.repository.split('/');
    if (!options.token || !owner || !repo || !/^[0-9a-f]{40}$/.test(context.sha)) {
        if (options.token)
            logger.warning('GitHub deployment not recorded: no repository or commit SHA in this run');
        return undefined;
    }
    const { octokitRequest } = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 2994));
    const request = octokitRequest({
        token: options.token,
        baseUrl: context.apiUrl,
        debug: (m) => logger.debug(m)
    });
    let record;
    try {
        record = await startDeployment(request, {
            owner,
            repo,
            sha: context.sha,
            environment: options.environment,
            description: options.description.slice(0, 140),
            logUrl: context.runUrl,
            productionEnvironment: /^prod/i.test(options.environment),
            ...(options.payload ? { payload: options.payload } : {})
        }, logger);
    }
    catch (err) {
        logger.warning(`GitHub deployment not recorded: ${err.message}`);
        return undefined;
    }
    logger.info(`GitHub deployment ${record.id} for ${options.environment}: in_progress`);
    return {
        finish: async (state, environmentUrl, description) => {
            try {
                await record.finish(state, {
                    ...(environmentUrl ? { environmentUrl } : {}),
                    ...(description ? { description } : {})
                });
                logger.info(`GitHub deployment ${record.id}: ${state}`);
            }
            catch (err) {
                logger.warning(`GitHub deployment ${record.id} not updated to ${state}: ${err.message}`);
            }
        }
    };
}


/***/ }),

/***/ 3570:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.apiFailure = apiFailure;
exports.isRulesetRejection = isRulesetRejection;
exports.isWorkflowsPermission = isWorkflowsPermission;
exports.githubError = githubError;
exports.getIfFound = getIfFound;
const index_js_1 = __webpack_require__(893);
function apiFailure(err) {
    const e = err;
    const message = e.response?.data?.message ?? e.message ?? String(err);
    return { status: typeof e.status === 'number' ? e.status : undefined, message };
}
function isRulesetRejection(f) {
    return /GH013|Repository rule violations found/i.test(f.message);
}
function isWorkflowsPermission(f) {
    return /without `?workflows?`? (permission|scope)|workflows? (permission|scope)/i.test(f.message);
}
/**
 * The one mapping of GitHub's answers to errors, for every package that calls GitHub.
 * @param action what we tried, e.g. "move tag v1 to 3f2a…"
 * @param state what is already done, e.g. "tag v1.4.0 and its release exist"
 */
function githubError(err, action, state, options = {}) {
    const permission = options.permission ?? 'contents: write';
    const f = apiFailure(err);
    const details = (hint) => ({
        hint,
        cause: err,
        ...(f.status === undefined ? {} : { status: f.status }),
        ...(state ? { state } : {})
    });
    const said = f.message.split('\n')[0].trim();
    if (isRulesetRejection(f))
        return new index_js_1.GitHubError(`GitHub refused to ${action}: a repository ruleset blocks it (GH013: ${said.replace(/^GH013:\s*/, '')})`, details("add the actor that owns the token to the ruleset's bypass list (a GitHub App, or a role or team for a PAT; " +
            'the workflow GITHUB_TOKEN cannot be a bypass actor, so use an App token), or change the ruleset ' +
            '(Settings → Rules → Rulesets) so that it does not restrict creating/updating this tag, e.g. exclude the ' +
            'floating tags such as `v1` from its target pattern'));
    if (isWorkflowsPermission(f))
        return new index_js_1.GitHubError(`GitHub refused to ${action}: the token lacks the workflows permission (${said})`, details('use a token that may change workflow files: a GitHub App installation token with "Workflows: write", a ' +
            'fine-grained PAT with "Workflows: read and write", or a classic PAT with the `workflow` scope; the ' +
            'workflow GITHUB_TOKEN can never have it'));
    if (f.status === 422 && /Reference already exists/i.test(f.message))
        return new index_js_1.GitHubError(`GitHub refused to ${action}: the reference already exists (another run may have released at the same time)`, details('give the release job a `concurrency:` group so that two runs never release at once, then re-run: ' +
            'the next run sees the tag and computes from it'));
    if (f.status === 422 && /Object does not exist/i.test(f.message))
        return new index_js_1.GitHubError(`GitHub refused to ${action}: the commit is not on GitHub (${said})`, details('push the commit first, or set `target` to a commit that is on GitHub (the default HEAD of a fresh checkout is)'));
    if (f.status === undefined)
        return new index_js_1.GitHubError(`Could not ${action}: no answer from the GitHub API (${said})`, details('check GITHUB_API_URL and the network from the runner to GitHub; re-running is safe'));
    if (f.status === 401)
        return new index_js_1.GitHubError(`GitHub refused to ${action}: the token is invalid or expired (${said})`, details(options.unauthorizedHint ?? 'pass a valid token in `token` (default: the workflow GITHUB_TOKEN)'));
    if (f.status === 403 || f.status === 404)
        return new index_js_1.GitHubError(`GitHub refused to ${action} (${f.status}: ${said})`, details(options.refusedHint ??
            `give the job \`permissions: ${permission}\`, and check that the token ` +
                'belongs to this repository; a token from another repository or an App not installed on it sees 404'));
    return new index_js_1.GitHubError(`GitHub refused to ${action} (${f.status}: ${said})`, details('read the message above; re-running is safe once the cause is fixed'));
}
/**
 * GET `route`: the response's data, or undefined when GitHub answers 404 (no such tag, release, …). Any
 * other failure is thrown as `fail` maps it (githubError with what was being done).
 */
async function getIfFound(request, route, params, fail) {
    try {
        return (await request(route, params)).data;
    }
    catch (err) {
        if (apiFailure(err).status === 404)
            return undefined;
        throw fail(err);
    }
}


/***/ }),

/***/ 7305:
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
__exportStar(__webpack_require__(2994), exports);
__exportStar(__webpack_require__(3570), exports);
__exportStar(__webpack_require__(783), exports);
__exportStar(__webpack_require__(943), exports);
__exportStar(__webpack_require__(3345), exports);


/***/ }),

/***/ 783:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.getTagRef = getTagRef;
exports.createAnnotatedTag = createAnnotatedTag;
exports.moveFloatingTag = moveFloatingTag;
const errors_js_1 = __webpack_require__(3570);
/** The sha a tag ref points at (a tag object for annotated tags), or undefined when there is none. */
async function getTagRef(request, r, tag) {
    const data = await (0, errors_js_1.getIfFound)(request, 'GET /repos/{owner}/{repo}/git/ref/{ref}', { ...r, ref: `tags/${tag}` }, (err) => (0, errors_js_1.githubError)(err, `read tag ${tag}`));
    return data === undefined ? undefined : data.object.sha;
}
async function createAnnotatedTag(request, r, tag) {
    let objectSha;
    try {
        const res = await request('POST /repos/{owner}/{repo}/git/tags', {
            ...r,
            tag: tag.name,
            message: tag.message,
            object: tag.sha,
            type: 'commit',
            ...(tag.tagger ? { tagger: tag.tagger } : {})
        });
        objectSha = res.data.sha;
    }
    catch (err) {
        throw (0, errors_js_1.githubError)(err, `create the tag object ${tag.name} for ${tag.sha.slice(0, 12)}`, 'nothing was created');
    }
    try {
        await request('POST /repos/{owner}/{repo}/git/refs', {
            ...r,
            ref: `refs/tags/${tag.name}`,
            sha: objectSha
        });
    }
    catch (err) {
        throw (0, errors_js_1.githubError)(err, `create the tag ref refs/tags/${tag.name}`, 'an unreferenced tag object was created (harmless; GitHub collects it); no tag exists yet');
    }
    return { objectSha };
}
/** Point a floating tag at `sha`: a forced update when it exists, a create when it does not. */
async function moveFloatingTag(request, r, tag, sha, state) {
    const current = await getTagRef(request, r, tag);
    if (current === sha)
        return 'unchanged';
    try {
        if (current === undefined) {
            await request('POST /repos/{owner}/{repo}/git/refs', { ...r, ref: `refs/tags/${tag}`, sha });
            return 'created';
        }
        await request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
            ...r,
            ref: `tags/${tag}`,
            sha,
            force: true
        });
        return 'moved';
    }
    catch (err) {
        throw (0, errors_js_1.githubError)(err, `${current === undefined ? 'create' : 'move'} the floating tag ${tag} to ${sha.slice(0, 12)}`, state);
    }
}


/***/ }),

/***/ 943:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.MAX_RELEASE_BODY = void 0;
exports.releaseBody = releaseBody;
exports.createRelease = createRelease;
const errors_js_1 = __webpack_require__(3570);
/** GitHub limits a release body to 125,000 characters. */
exports.MAX_RELEASE_BODY = 125_000;
function releaseBody(text) {
    if (text.length <= exports.MAX_RELEASE_BODY)
        return text;
    const note = '\n\n… (truncated: the full changelog is in the job summary)';
    return text.slice(0, exports.MAX_RELEASE_BODY - note.length) + note;
}
async function createRelease(request, r, release, state) {
    try {
        const res = await request('POST /repos/{owner}/{repo}/releases', {
            ...r,
            tag_name: release.tag,
            name: release.name,
            body: releaseBody(release.body),
            draft: release.draft,
            prerelease: release.prerelease,
            make_latest: release.makeLatest ? 'true' : 'false'
        });
        const data = res.data;
        return { id: data.id, htmlUrl: data.html_url };
    }
    catch (err) {
        throw (0, errors_js_1.githubError)(err, `create the release ${release.tag}`, state);
    }
}


/***/ })

};

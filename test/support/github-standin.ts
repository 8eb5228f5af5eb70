/**
 * A local stand-in for the parts of GitHub's REST API our code uses: releases, git refs and tag objects,
 * deployments and their statuses, environments with protection rules, deployment branch policies,
 * environment variables and secrets (names), and user/team lookup. State lives in memory.
 *
 * EVERY request is checked against GitHub's own OpenAPI description (@octokit/openapi): the method and
 * path must be an operation GitHub has, path and query parameters must fit their schemas, and the JSON
 * body must validate against the operation's request schema (ajv + ajv-formats). A request GitHub would
 * not accept is answered 404/422 like GitHub would AND recorded in `violations`, which every test asserts
 * is empty. Errors GitHub gives in situations we cannot reproduce locally (a ruleset rejecting a ref
 * update, a token without the `workflows` permission) are injected with `fail(...)`.
 *
 * The code lives in ./github-standin/: types.ts (exported interfaces), openapi.ts (spec loading and
 * request/response checks, canned errors), state.ts (shared state and answer helpers), json.ts (GitHub's
 * object shapes), git.ts / deployments.ts / environments.ts / users.ts (route handlers) and server.ts.
 */
export * from './github-standin/types.js';
export * from './github-standin/openapi.js';
export * from './github-standin/server.js';

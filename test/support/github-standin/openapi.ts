import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv as AjvType, ValidateFunction } from 'ajv';

// ---------------------------------------------------------------------------------------------------
// The OpenAPI description: loaded once per process (13 MB), operations indexed by method.

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Record<string, unknown>;
  $ref?: string;
}

interface OpenApiOperation {
  operationId: string;
  parameters?: OpenApiParameter[];
  requestBody?: {
    required?: boolean;
    content?: Record<string, { schema?: Record<string, unknown> }>;
  };
  responses?: Record<string, OpenApiResponse>;
}

interface OpenApiResponse {
  $ref?: string;
  content?: Record<string, { schema?: Record<string, unknown> }>;
}

interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  literalLength: number;
  op: OpenApiOperation;
  parameters: OpenApiParameter[];
}

interface Spec {
  operations: Operation[];
  responses: Record<string, OpenApiResponse>;
  ajv: AjvType;
  validators: Map<string, ValidateFunction>;
}

const SPEC_ID = 'https://standin.invalid/api.github.com.json';
let cachedSpec: Spec | undefined;

export function loadSpec(): Spec {
  if (cachedSpec) return cachedSpec;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    paths: Record<string, Record<string, OpenApiOperation>>;
    components: {
      parameters: Record<string, OpenApiParameter>;
      schemas: Record<string, unknown>;
      responses: Record<string, OpenApiResponse>;
    };
  };
  const AjvClass = (require('ajv') as { default: new (o: object) => AjvType }).default;
  const addFormats = (require('ajv-formats') as { default: (a: AjvType) => void }).default;
  const ajv = new AjvClass({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  for (const f of ['int32', 'int64', 'double', 'repo.nwo', 'binary', 'uri-template', 'timestamp'])
    if (!ajv.formats[f]) ajv.addFormat(f, true);
  // GitHub answers "" for an unset URL field its description types as `format: uri` (e.g. a deployment
  // status's target_url); accept that one value, as GitHub's own clients must.
  const uri = ajv.formats.uri as { validate?: (s: string) => boolean } | ((s: string) => boolean) | undefined;
  const isUri = typeof uri === 'function' ? uri : uri?.validate;
  if (isUri) ajv.addFormat('uri', (s: string) => s === '' || isUri(s));
  ajv.addSchema({ $id: SPEC_ID, components: { schemas: typedNullable(doc.components.schemas) } });

  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const parameters = (op.parameters ?? []).map((p) =>
        p.$ref ? doc.components.parameters[p.$ref.split('/').pop()!]! : p
      );
      const names: string[] = [];
      const pattern = template
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&') // braces are left alone: they mark the parameters
        .replace(/\{([^}]+)\}/g, (_m, name) => {
          names.push(name as string);
          const multi = parameters.find((p) => p.name === name && p.in === 'path') as
            (OpenApiParameter & { 'x-multi-segment'?: boolean }) | undefined;
          return multi?.['x-multi-segment'] ? '(.+)' : '([^/]+)';
        });
      operations.push({
        method: method.toUpperCase(),
        template,
        regex: new RegExp(`^${pattern}/?$`),
        names,
        literalLength: template.replace(/\{[^}]+\}/g, '').length,
        op,
        parameters
      });
    }
  }
  // The most literal template wins: /repos/{owner}/{repo}/releases/latest over …/releases/{release_id}.
  operations.sort((a, b) => b.literalLength - a.literalLength);
  cachedSpec = { operations, responses: doc.components.responses, ajv, validators: new Map() };
  return cachedSpec;
}

/**
 * OpenAPI 3.0's `nullable: true` beside `allOf`/`anyOf` and no `type` (the issue schemas' `milestone`, …), which
 * Ajv refuses to compile: the same as "that schema, or null".
 */
function typedNullable<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(typedNullable) as T;
  if (schema && typeof schema === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema)) out[k] = typedNullable(v);
    if (out.nullable === true && out.type === undefined) {
      delete out.nullable;
      return { anyOf: [out, { type: 'null' }] } as T;
    }
    return out as T;
  }
  return schema;
}

function rewriteRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rewriteRefs);
  if (schema && typeof schema === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema))
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? SPEC_ID + v : rewriteRefs(v);
    return out;
  }
  return schema;
}

function validator(spec: Spec, key: string, schema: Record<string, unknown>): ValidateFunction {
  const known = spec.validators.get(key);
  if (known) return known;
  const v = spec.ajv.compile(rewriteRefs(typedNullable(schema)) as object);
  spec.validators.set(key, v);
  return v;
}

function ajvProblems(v: ValidateFunction, where: string): string[] {
  return (v.errors ?? []).map((e) => `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}`);
}

/** Query and path values arrive as strings: coerce them to what the schema says before validating. */
function coerce(value: string, schema: Record<string, unknown> | undefined): unknown {
  const type = schema?.type;
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

export interface MatchedRequest {
  operation: Operation;
  params: Record<string, string>;
  problems: string[];
}

/** Find the operation for a request and list everything GitHub's description says is wrong with it. */
export function checkRequest(
  method: string,
  rawPath: string,
  query: Record<string, string>,
  body: unknown,
  hasBody: boolean
): MatchedRequest | { operation: undefined; problems: string[] } {
  const spec = loadSpec();
  let operation: Operation | undefined;
  let match: RegExpExecArray | null = null;
  let pathExists = false;
  for (const op of spec.operations) {
    const m = op.regex.exec(rawPath);
    if (!m) continue;
    pathExists = true;
    if (op.method === method) {
      operation = op;
      match = m;
      break;
    }
  }
  if (!operation || !match)
    return {
      operation: undefined,
      problems: [
        pathExists
          ? `${method} is not an operation of this path in GitHub's API`
          : `no GitHub API operation matches ${method} ${rawPath}`
      ]
    };
  const problems: string[] = [];
  const params: Record<string, string> = {};
  operation.names.forEach((name, i) => {
    try {
      params[name] = decodeURIComponent(match![i + 1]!);
    } catch {
      problems.push(`path parameter ${name} is not valid percent-encoding`);
      params[name] = match![i + 1]!;
    }
  });
  const key = `${operation.method} ${operation.template}`;
  for (const p of operation.parameters) {
    if (p.in !== 'path' && p.in !== 'query') continue;
    const value = p.in === 'path' ? params[p.name] : query[p.name];
    if (value === undefined) {
      if (p.required) problems.push(`${p.in} parameter ${p.name} is required`);
      continue;
    }
    if (p.in === 'path' && value === '') problems.push(`path parameter ${p.name} is empty`);
    if (p.schema) {
      const v = validator(spec, `${key} ${p.in}:${p.name}`, p.schema);
      if (!v(coerce(value, p.schema))) problems.push(...ajvProblems(v, `${p.in} parameter ${p.name}`));
    }
  }
  for (const name of Object.keys(query)) {
    if (!operation.parameters.some((p) => p.in === 'query' && p.name === name))
      problems.push(`query parameter ${name} is not a parameter of ${key}`);
  }
  const rb = operation.op.requestBody;
  const jsonSchema = rb?.content?.['application/json']?.schema;
  if (!rb) {
    if (hasBody && body !== undefined && method !== 'GET' && method !== 'DELETE')
      problems.push(`${key} takes no request body`);
  } else if (!hasBody) {
    if (rb.required) problems.push(`${key} requires a JSON body`);
  } else if (jsonSchema) {
    const v = validator(spec, `${key} body`, jsonSchema);
    if (!v(body)) problems.push(...ajvProblems(v, 'body'));
    // GitHub ignores unknown fields; a field the operation does not have is still always our bug.
    const props = jsonSchema.properties as Record<string, unknown> | undefined;
    if (props && body && typeof body === 'object' && !Array.isArray(body))
      for (const k of Object.keys(body)) if (!(k in props)) problems.push(`body field ${k} is not in ${key}`);
  }
  return { operation, params, problems };
}

/**
 * The stand-in's own answers are checked too: a 2xx body must fit the schema GitHub documents for that
 * status, so code tested here parses what GitHub really sends. Returns the problems (empty when it fits).
 */
export function checkResponse(method: string, template: string, status: number, body: unknown): string[] {
  if (status < 200 || status >= 300) return [];
  const spec = loadSpec();
  const op = spec.operations.find((o) => o.method === method && o.template === template);
  if (!op) return [];
  let response = op.op.responses?.[String(status)];
  if (!response) return [`${method} ${template} does not document status ${status}`];
  if (response.$ref) response = spec.responses[response.$ref.split('/').pop()!];
  const schema = response?.content?.['application/json']?.schema;
  if (!schema) return body === undefined ? [] : [`${method} ${template} ${status} documents no body`];
  const v = validator(spec, `${method} ${template} response ${status}`, schema);
  return v(body) ? [] : ajvProblems(v, `response ${status}`);
}

// ---------------------------------------------------------------------------------------------------
// Canned GitHub errors for what cannot happen locally.

/** A tag ruleset (e.g. "restrict updates" on `v*`) refusing a ref update, as the REST API answers it. */
export function rulesetRejection(ref: string): { status: number; body: unknown } {
  return {
    status: 422,
    body: {
      message: `GH013: Repository rule violations found for ${ref}.\n\n- Cannot update this protected ref.\n`,
      documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference',
      status: '422'
    }
  };
}

/** The answer when a token without the `workflows` permission would create a ref to workflow changes. */
export function workflowsPermissionRejection(): { status: number; body: unknown } {
  return {
    status: 403,
    body: {
      message:
        'refusing to allow a GitHub App to create or update workflow `.github/workflows/release.yml` without `workflows` permission',
      documentation_url: 'https://docs.github.com/rest/git/refs#create-a-reference',
      status: '403'
    }
  };
}

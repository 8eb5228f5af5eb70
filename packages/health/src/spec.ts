import { readFileSync, existsSync } from 'node:fs';
import { InputError, formatMs, parseDuration, type InputReader } from '../../core/src/index.js';
import { GROUPS, choicesOf, groupInputNames, type GroupInputName } from '../../manifest/src/index.js';
import { canaryRules } from './defaults.js';
import type {
  Comparator,
  GateSpec,
  HttpTarget,
  JsonExpectation,
  MetricCheck,
  SoakRules,
  StatusRange
} from './types.js';

const JSON_OPS: readonly Comparator[] = ['==', '!=', '<=', '>=', '<', '>', 'contains', 'matches', 'exists'];
const METRIC_OPS = ['<=', '>=', '==', '!=', '<', '>'] as const;

/**
 * Every input `readGateInputs` reads (before the prefix): the `health` group of manifest.yml, which
 * health-gate declares bare and deploy-compose and rollback with the prefix `health-`.
 */
export const GATE_INPUT_NAMES: readonly GateInputName[] = groupInputNames('health');
export type GateInputName = GroupInputName<'health'>;

/** The gate's declared defaults (manifest.yml, groups.health): the one place they live. */
const DEFAULT = (name: GateInputName): string => GROUPS.health[name].default;

/**
 * The gate with every input at its declared default. The values live in manifest.yml only (they start from
 * Kamal's proxy checks, with a gate-sized overall bound); this comment deliberately does not repeat them.
 */
export function defaultGateSpec(): GateSpec {
  return {
    mode: DEFAULT('mode') as GateSpec['mode'],
    urls: [],
    expectStatus: parseStatusRanges(DEFAULT('expect-status')),
    expectJson: [],
    headers: {},
    tls: {},
    probeTimeoutMs: parseDuration(DEFAULT('probe-timeout'), 'probe-timeout'),
    intervalMs: parseDuration(DEFAULT('interval'), 'interval'),
    initialDelayMs: parseDuration(DEFAULT('initial-delay'), 'initial-delay'),
    timeoutMs: parseDuration(DEFAULT('timeout'), 'timeout'),
    successThreshold: Number(DEFAULT('success-threshold')),
    failureThreshold: Number(DEFAULT('failure-threshold')),
    metrics: [],
    noData: DEFAULT('no-data') as GateSpec['noData'],
    containers: [],
    windowMs: parseDuration(DEFAULT('window'), 'window'),
    soak: {}
  };
}

/** `200-399`, `200,204`, `2xx`, `200-299, 304`. */
export function parseStatusRanges(text: string, input = 'expect-status'): StatusRange[] {
  const parts = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0)
    throw new InputError(input, 'is empty', 'give codes or ranges like 200-399 or 200,204');
  return parts.map((p) => {
    let m = /^([1-5])xx$/i.exec(p);
    if (m) return { min: Number(m[1]) * 100, max: Number(m[1]) * 100 + 99 };
    m = /^(\d{3})(?:-(\d{3}))?$/.exec(p);
    if (!m)
      throw new InputError(
        input,
        `"${p}" is not a status code or range`,
        'write codes or ranges like 200-399, 204 or 2xx'
      );
    const min = Number(m[1]);
    const max = m[2] ? Number(m[2]) : min;
    if (min < 100 || max > 599 || min > max)
      throw new InputError(
        input,
        `"${p}" is not a valid range of HTTP status codes (100-599)`,
        'write a range low-high like 200-399'
      );
    return { min, max };
  });
}

export function formatStatusRanges(ranges: readonly StatusRange[]): string {
  return ranges.map((r) => (r.min === r.max ? String(r.min) : `${r.min}-${r.max}`)).join(', ');
}

/** `/re/flags` as a RegExp, anything else undefined. */
export function parseRegexLiteral(text: string, input: string): RegExp | undefined {
  const m = /^\/(.*)\/([dgimsuy]*)$/s.exec(text);
  if (!m) return undefined;
  try {
    // `g`/`y` would make .test() stateful across probes.
    return new RegExp(m[1]!, m[2]!.replace(/[gy]/g, ''));
  } catch (e) {
    throw new InputError(
      input,
      `${text} is not a valid regular expression (${(e as Error).message})`,
      'fix the pattern between the slashes'
    );
  }
}

function parsePath(text: string, input: string, line: string): (string | number)[] {
  if (!text.startsWith('$'))
    throw new InputError(
      input,
      `"${line}": the path must start with $ (like $.status)`,
      'write lines like `$.status == ok`'
    );
  const out: (string | number)[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\[(['"])(.*?)\3\]/y;
  re.lastIndex = 1;
  let m: RegExpExecArray | null;
  let pos = 1;
  while (pos < text.length && (m = re.exec(text)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(m[4]!);
    pos = re.lastIndex;
  }
  if (pos !== text.length)
    throw new InputError(
      input,
      `"${line}": cannot read the path "${text}" at "${text.slice(pos)}"`,
      'use $.a.b[0] or $["key with spaces"]'
    );
  return out;
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))))
    return t.slice(1, -1);
  return t;
}

/** One `expect-json` line: `$.path op value`. */
export function parseJsonExpectation(line: string, input = 'expect-json'): JsonExpectation {
  const text = line.trim();
  if (!text.startsWith('$'))
    throw new InputError(
      input,
      `"${text}": the path must start with $ (like $.status)`,
      'write lines like `$.status == ok`'
    );
  const m = /^(\$\S*)\s+(\S+)(?:\s+(.*))?$/s.exec(text);
  if (!m)
    throw new InputError(
      input,
      `"${text}" is not an expectation`,
      'write `$.path op value`, e.g. `$.status == ok`, or `$.build exists`'
    );
  const [, pathText, op, rest] = m;
  if (!(JSON_OPS as readonly string[]).includes(op!))
    throw new InputError(input, `"${text}": unknown comparator "${op}"`, `use one of ${JSON_OPS.join(', ')}`);
  const path = parsePath(pathText!, input, text);
  if (op === 'exists') {
    if (rest && rest.trim())
      throw new InputError(input, `"${text}": exists takes no value`, 'write `$.path exists`');
    return { text, path, op: 'exists' };
  }
  if (rest === undefined || rest.trim() === '')
    throw new InputError(input, `"${text}": no value after "${op}"`, `write \`${pathText} ${op} value\``);
  const value = unquote(rest);
  if (op === 'matches') {
    const regex = parseRegexLiteral(value, input);
    if (!regex)
      throw new InputError(
        input,
        `"${text}": matches needs a /regex/`,
        `write \`${pathText} matches /^1\\./\``
      );
    return { text, path, op: 'matches', value, regex };
  }
  if (['<', '<=', '>', '>='].includes(op!) && Number.isNaN(Number(value)))
    throw new InputError(
      input,
      `"${text}": ${op} needs a number, got "${value}"`,
      'compare with a number, or use == / contains / matches'
    );
  return { text, path, op: op as Comparator, value };
}

/** One `prometheus-query` line: `<PromQL> <op> <number>`; the comparator is the last one on the line. */
export function parseMetricCheck(line: string, input = 'prometheus-query'): MetricCheck {
  const text = line.trim();
  const m = /^(.*\S)\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)$/is.exec(text);
  // `= 1`, `=< 1`, `<> 1`, `=~ 1`: a comparator we do not know, named as such rather than "no comparison".
  const odd = /\s(=|===|=<|=>|<>|=~|!~|~=|≤|≥)\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$/i.exec(text);
  if (odd && (!m || /[<>=!~]$/.test(m[1]!.trim())))
    throw new InputError(
      input,
      `"${text}": unknown comparator "${odd[1]}"`,
      `use one of ${METRIC_OPS.join(', ')}`
    );
  if (!m) {
    throw new InputError(
      input,
      `"${text}" does not end with a comparison against a number`,
      'write `<PromQL> < 0.01` (comparators: <, <=, >, >=, ==, !=)'
    );
  }
  const query = m[1]!.trim();
  if (/[<>=!~]$/.test(query))
    throw new InputError(input, `"${text}": unknown comparator`, `use one of ${METRIC_OPS.join(', ')}`);
  if (query === '')
    throw new InputError(input, `"${text}" has no query before the comparison`, 'write `<PromQL> < 0.01`');
  return { text, query, op: m[2] as MetricCheck['op'], threshold: Number(m[3]) };
}

function parseUrl(text: string, input: string): HttpTarget {
  let method: HttpTarget['method'];
  let urlText = text;
  const m = /^(GET|HEAD)\s+(\S+)$/i.exec(text);
  if (m) {
    method = m[1]!.toUpperCase() as HttpTarget['method'];
    urlText = m[2]!;
  }
  let u: URL;
  try {
    u = new URL(urlText);
  } catch {
    throw new InputError(
      input,
      `"${text}" is not a URL`,
      'write a full URL like http://127.0.0.1:8080/up, one per line'
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new InputError(input, `"${text}" is not an http(s) URL`, 'use http:// or https://');
  return method ? { url: u.toString(), method } : { url: u.toString() };
}

function parseRate(inputs: InputReader, name: string): number | undefined {
  const v = inputs.optional(name);
  if (v === undefined) return undefined;
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(v);
  const n = pct ? Number(pct[1]) / 100 : Number(v);
  if (Number.isNaN(n) || n < 0 || n > 1)
    throw new InputError(
      name,
      `"${v}" is not a rate between 0 and 1`,
      'write a fraction like 0.99 or a percentage like 99%'
    );
  return n;
}

function readCa(inputs: InputReader, name: string): string | undefined {
  const v = inputs.optional(name);
  if (v === undefined) return undefined;
  if (v.includes('-----BEGIN')) return v;
  if (!existsSync(v))
    throw new InputError(
      name,
      `"${v}" is neither PEM text nor an existing file`,
      'paste the PEM certificate or give its path'
    );
  const pem = readFileSync(v, 'utf8');
  if (!pem.includes('-----BEGIN'))
    throw new InputError(
      name,
      `${v} holds no PEM certificate`,
      'give a PEM file (-----BEGIN CERTIFICATE-----)'
    );
  return pem;
}

/** Passwords written into URLs (`https://user:pass@host/`), found without parsing, for masking first. */
export function urlPasswords(text: string): string[] {
  const out: string[] = [];
  const both = (v: string) => {
    out.push(v);
    try {
      const d = decodeURIComponent(v);
      if (d !== v) out.push(d);
    } catch {
      /* not percent-encoded */
    }
  };
  for (const m of text.matchAll(/\/\/([^/\s@]+)@/g)) {
    const info = m[1]!;
    const colon = info.indexOf(':');
    // `user:pass@`: the password; `TOKEN@` (a token as the user name, as GitHub and GitLab take it): all of it.
    if (colon >= 0) {
      if (colon < info.length - 1) both(info.slice(colon + 1));
    } else both(info);
  }
  return out;
}

/**
 * A text with every URL's userinfo (`user:pass@`, `TOKEN@`) taken out: what outputs, records, summaries,
 * events and a GitHub Deployment's `environment_url` carry. The gate itself still sends the credentials.
 */
export function withoutUserinfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
}

/**
 * The values to mask in a `headers` text, without validating it: the entry registers them before any parsing,
 * so even an input error cannot show one. A line that is not `Name: value` is masked whole.
 */
export function headerValues(text: string): string[] {
  const values: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = /^[!#$%&'*+.^_`|~\w-]+\s*[:=]\s*(.*)$/.exec(t);
    values.push(m ? m[1]! : t);
  }
  return values.filter((v) => v !== '');
}

function readHeaders(inputs: InputReader, name: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of inputs.raw(name).split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = /^([!#$%&'*+.^_`|~\w-]+)\s*[:=]\s*(.*)$/.exec(t);
    // Never echo the line: it likely holds a token.
    if (!m)
      throw new InputError(name, 'a line is not `Name: value`', 'write one `Header-Name: value` per line');
    headers[m[1]!] = m[2]!;
  }
  return headers;
}

/**
 * Read the gate inputs. With prefix 'health-', reads 'health-url', 'health-expect-status', 'health-interval', …
 * (deploy-compose and rollback use that prefix because their own `timeout` input means the whole deploy).
 * Returns undefined when no url, no prometheus query and no container is given. Throws InputError naming the
 * input (with the prefix) for bad values.
 */
export function readGateInputs(inputs: InputReader, options: { prefix?: string } = {}): GateSpec | undefined {
  const p = options.prefix ?? '';
  const n = (name: string) => p + name;
  const d = defaultGateSpec();

  const urls = inputs.list(n('url'), { commas: false }).map((u) => parseUrl(u, n('url')));
  const metricLines = inputs.list(n('prometheus-query'), { commas: false });
  const containers = inputs.list(n('container'));
  if (urls.length === 0 && metricLines.length === 0 && containers.length === 0) return undefined;

  const metrics = metricLines.map((l) => parseMetricCheck(l, n('prometheus-query')));
  const prometheusUrl = inputs.optional(n('prometheus-url'));
  if (metrics.length > 0 && !prometheusUrl)
    throw new InputError(
      n('prometheus-url'),
      'is required when prometheus-query is given',
      'set it to your Prometheus, e.g. http://127.0.0.1:9090'
    );
  if (prometheusUrl) parseUrl(prometheusUrl, n('prometheus-url'));
  const prometheusHeaders = readHeaders(inputs, n('prometheus-headers'));
  if (Object.keys(prometheusHeaders).length > 0 && metrics.length === 0)
    throw new InputError(
      n('prometheus-headers'),
      'is given but no prometheus-query',
      `add \`${n('prometheus-query')}\` or remove \`${n('prometheus-headers')}\``
    );

  const bodyText = inputs.optional(n('expect-body'));
  const expectBody =
    bodyText === undefined ? undefined : (parseRegexLiteral(bodyText, n('expect-body')) ?? bodyText);
  const expectJson = inputs
    .list(n('expect-json'), { commas: false })
    .map((l) => parseJsonExpectation(l, n('expect-json')));
  const httpOnly = [n('expect-body'), n('expect-json'), n('headers'), n('max-latency')];
  if (urls.length === 0) {
    for (const name of httpOnly)
      if (inputs.optional(name) !== undefined)
        throw new InputError(
          name,
          'applies to HTTP probes but no url is given',
          `add \`${n('url')}\` or remove \`${name}\``
        );
  }

  const headers = readHeaders(inputs, n('headers'));
  const maxLatencyText = inputs.optional(n('max-latency'));
  const spec: GateSpec = {
    ...d,
    mode: inputs.choice(n('mode'), choicesOf('health-gate', 'mode'), d.mode),
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
    maxLatencyMs:
      maxLatencyText === undefined ? undefined : inputs.duration(n('max-latency'), { positive: true }),
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
    noData: inputs.choice(n('no-data'), choicesOf('health-gate', 'no-data'), d.noData),
    containers,
    windowMs: inputs.duration(n('window'), { fallback: DEFAULT('window'), positive: true })
  };
  if (expectBody !== undefined) spec.expectBody = expectBody;

  const soak: SoakRules = {};
  const minSuccessRate = parseRate(inputs, n('min-success-rate'));
  const maxErrorRate = parseRate(inputs, n('max-error-rate'));
  const p95 = inputs.optional(n('max-p95-latency'));
  const p99 = inputs.optional(n('max-p99-latency'));
  if (minSuccessRate !== undefined) soak.minSuccessRate = minSuccessRate;
  if (maxErrorRate !== undefined) soak.maxErrorRate = maxErrorRate;
  if (p95 !== undefined) soak.maxP95LatencyMs = inputs.duration(n('max-p95-latency'), { positive: true });
  if (p99 !== undefined) soak.maxP99LatencyMs = inputs.duration(n('max-p99-latency'), { positive: true });
  const soakRuleInputs = ['min-success-rate', 'max-error-rate', 'max-p95-latency', 'max-p99-latency'].filter(
    (r) => inputs.optional(n(r)) !== undefined
  );
  if (spec.mode === 'soak') {
    // The canary rule set deploy teams start from, when none is given.
    spec.soak = Object.keys(soak).length ? soak : canaryRules(urls.length > 0);
    if (spec.windowMs < spec.intervalMs)
      throw new InputError(
        n('window'),
        `${inputs.raw(n('window'))} is shorter than the interval`,
        `make the window at least one ${n('interval')} long`
      );
    if (
      urls.length === 0 &&
      (soak.maxP95LatencyMs !== undefined ||
        soak.maxP99LatencyMs !== undefined ||
        soak.maxErrorRate !== undefined)
    )
      throw new InputError(
        n(soakRuleInputs[0] ?? 'mode'),
        'latency and error-rate rules judge HTTP probes but no url is given',
        `add \`${n('url')}\``
      );
  } else if (soakRuleInputs.length > 0) {
    throw new InputError(
      n(soakRuleInputs[0]!),
      'is a soak rule but mode is threshold',
      `set \`${n('mode')}: soak\` or remove it`
    );
  }

  if (spec.mode === 'threshold') {
    // A threshold that can never be met fails now, not after the whole timeout.
    const needed = spec.initialDelayMs + (spec.successThreshold - 1) * spec.intervalMs;
    if (needed >= spec.timeoutMs) {
      throw new InputError(
        n('success-threshold'),
        `${spec.successThreshold} consecutive passes ${formatMs(spec.intervalMs)} apart after an initial delay of ${formatMs(spec.initialDelayMs)} cannot fit in the ${formatMs(spec.timeoutMs)} timeout: the gate could never be healthy`,
        `raise \`${n('timeout')}\` to at least ${Math.ceil((needed + spec.probeTimeoutMs) / 1000)}s, or lower \`${n('success-threshold')}\`, \`${n('interval')}\` or \`${n('initial-delay')}\``
      );
    }
  }
  if (spec.maxLatencyMs !== undefined && spec.maxLatencyMs > spec.probeTimeoutMs) {
    // A probe is cut at probe-timeout, so a larger bound could never be observed.
    spec.probeTimeoutMs = spec.maxLatencyMs;
  }
  return spec;
}

/** A gate's content expectations as plain data, to record on a host and judge by later (deploy's unverified switch). */
export interface SavedExpectations {
  /** expect-body as written: a substring, or `/re/flags` when `regex`. */
  body?: string;
  regex?: boolean;
  /** expect-json lines as written. */
  json: string[];
}

export function saveExpectations(g: Pick<GateSpec, 'expectBody' | 'expectJson'>): SavedExpectations {
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
export function withExpectations(g: GateSpec, saved: SavedExpectations): GateSpec {
  const { expectBody: _own, ...rest } = g;
  const body =
    saved.body === undefined
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

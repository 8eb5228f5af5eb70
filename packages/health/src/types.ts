/** The typed description of a gate: what to probe, what to expect, and how to judge. */

export type Comparator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'matches' | 'exists';

/** One `$.path op value` line of `expect-json`. */
export interface JsonExpectation {
  /** The line as written, quoted back in reasons. */
  text: string;
  /** Path segments after `$`: property names and array indexes. */
  path: (string | number)[];
  op: Comparator;
  /** The right-hand side as written (unquoted); absent for `exists`. */
  value?: string;
  /** For `matches`. */
  regex?: RegExp;
}

/** An inclusive range of HTTP status codes. */
export interface StatusRange {
  min: number;
  max: number;
}

export interface TlsOptions {
  /** PEM text of extra CA certificates to trust. */
  ca?: string;
  /** Skip certificate verification (explicit opt-in only). */
  insecure?: boolean;
}

export interface HttpTarget {
  url: string;
  method?: 'GET' | 'HEAD';
}

/** A `prometheus-query` line: a PromQL expression and the comparison its value must satisfy. */
export interface MetricCheck {
  text: string;
  query: string;
  op: '<' | '<=' | '>' | '>=' | '==' | '!=';
  threshold: number;
}

export type NoDataPolicy = 'fail' | 'pass';

/** Service-level rules judged over every sample of a soak window. Rates are fractions (0.99). */
export interface SoakRules {
  minSuccessRate?: number;
  maxErrorRate?: number;
  maxP95LatencyMs?: number;
  maxP99LatencyMs?: number;
}

export interface GateSpec {
  /** `threshold`: pass on N consecutive passing rounds, fail at M failures or timeout. `soak`: sample for `windowMs` and judge `soak` rules. */
  mode: 'threshold' | 'soak';
  urls: HttpTarget[];
  /** Accepted status codes (default 200-399). */
  expectStatus: StatusRange[];
  /** Substring, or a regex when written `/re/flags`. */
  expectBody?: string | RegExp;
  expectJson: JsonExpectation[];
  /** Request headers (values are secrets: callers register them with the logger). */
  headers: Record<string, string>;
  tls: TlsOptions;
  /** Per-probe latency bound; slower probes fail. */
  maxLatencyMs?: number;
  /** Per-probe timeout (a hanging server fails the probe after this long). */
  probeTimeoutMs: number;
  intervalMs: number;
  initialDelayMs: number;
  /** Overall bound for threshold mode. */
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
  prometheusUrl?: string;
  prometheusHeaders?: Record<string, string>;
  metrics: MetricCheck[];
  noData: NoDataPolicy;
  /** Containers whose Docker health status must be `healthy` (or `running` when they have no HEALTHCHECK). */
  containers: string[];
  /** Soak window length (soak mode). */
  windowMs: number;
  soak: SoakRules;
}

export interface ProbeRecord {
  round: number;
  target: string;
  kind: 'http' | 'metric' | 'container';
  ok: boolean;
  status?: number;
  latencyMs?: number;
  value?: number | string;
  expectation?: string;
  reason?: string;
  time: string;
}

export interface GateResult {
  verdict: 'healthy' | 'unhealthy' | 'timeout';
  reason: string;
  probes: number;
  failures: number;
  p50Ms: number;
  p95Ms: number;
  evidence: ProbeRecord[];
  durationMs: number;
}

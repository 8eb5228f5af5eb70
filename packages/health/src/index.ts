export * from './types.js';
export {
  readGateInputs,
  parseStatusRanges,
  parseJsonExpectation,
  parseMetricCheck,
  defaultGateSpec,
  headerValues,
  urlPasswords,
  withoutUserinfo,
  GATE_INPUT_NAMES,
  saveExpectations,
  withExpectations,
  type SavedExpectations
} from './spec.js';
export { runGate, judgeSoak, soakAlreadyBroken, describeRules } from './gate.js';
export { canaryRules, MAX_ROUNDS_IN_FLIGHT } from './defaults.js';
export { evidenceForOutput, MAX_EVIDENCE_OUTPUT_BYTES } from './evidence.js';
export type { GateDeps } from './gate.js';
export { gateSummary, latencyChart } from './summary.js';
export { probeHttp } from './http.js';
export { queryPrometheus, probeMetric, parseQueryResponse, prometheusQueryUrl } from './prometheus.js';
export { dockerInspectHealthArgv, probeContainer, judgeContainerState } from './container.js';
export { evaluateJson, jsonPath } from './json.js';
export { percentile } from './stats.js';
export { judgeHttpResponse, type HttpResponse, type HttpFailure } from './http.js';

export * from './types.js';
export {
  readGateInputs,
  parseStatusRanges,
  parseJsonExpectation,
  parseMetricCheck,
  defaultGateSpec
} from './spec.js';
export { runGate } from './gate.js';
export type { GateDeps } from './gate.js';
export { gateSummary } from './summary.js';
export { probeHttp } from './http.js';
export { queryPrometheus, probeMetric } from './prometheus.js';
export { dockerInspectHealthArgv, probeContainer } from './container.js';
export { evaluateJson, jsonPath } from './json.js';
export { percentile } from './stats.js';

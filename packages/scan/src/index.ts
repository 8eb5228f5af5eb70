export * from './types.js';
export { parseReport, detectFormat, digestOf } from './parse.js';
export { parseExceptions, isExpired } from './exceptions.js';
export { normalizeSeverity, parseSeverityList, atOrAbove } from './severity.js';
export { judge, checkIdentity, policySentence } from './gate.js';
export { scanSummary } from './summary.js';
export { readScanInputs } from './inputs.js';
export { evidenceOf, outputsOf, reportDigest, scanRecordOf } from './outputs.js';

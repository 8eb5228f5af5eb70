export {
  parseRules,
  qualify,
  describeTransformer,
  type Rules,
  type TableRule,
  type Transformer,
  type TransformerKind
} from './rules.js';
export { classify, propose, proposalYaml, type Sensitivity } from './classify.js';
export { makeValueFn, fakeEmail, fakeName, fakePhone, shiftDateText, keyed } from './transform.js';
export { decodeField, encodeField } from './copytext.js';
export {
  readTables,
  readSequences,
  quoteIdent,
  quoteTable,
  type TableInfo,
  type ColumnInfo,
  type ForeignKey
} from './catalog.js';
export {
  planCopy,
  selectSql,
  maskedColumns,
  leakColumns,
  UnclassifiedColumnsError,
  type TablePlan
} from './plan.js';
export { MaskStream } from './stream.js';
export { leakCheck, type LeakReport, type LeakFinding } from './leak.js';
export { pgDumpSectionArgv, schemaDdl } from './schema.js';
export {
  anonymize,
  evidenceJson,
  loadingSchema,
  type AnonymizeOptions,
  type AnonymizeResult,
  type AnonymizeDeps,
  type TableResult
} from './run.js';
export { anonymizeSummary } from './summary.js';
export { readAnonymizeInputs } from './inputs.js';
export { AnonymizeError } from './errors.js';

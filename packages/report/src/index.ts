export { DORA_BANDS, bands, type Band } from './bands.js';
export { parseHistory, type HistoryLine, type HostHistory } from './history.js';
export {
  environmentReport,
  deployAttempts,
  isoWeek,
  quantile,
  type Commit,
  type DeployAttempt,
  type EnvironmentReport,
  type Figures,
  type HostReading,
  type ReportOptions
} from './dora.js';
export { reportJson, reportExposition, reportMarkdown } from './render.js';
export {
  readHost,
  readHosts,
  eachHost,
  appendToHistories,
  commitsByVersion,
  historyReadArgv,
  clockArgv,
  revParseArgv,
  commitsArgv,
  type HostConnection
} from './read.js';
export {
  OBSERVE_SCRIPT_SOURCE,
  AUTHORIZED_KEYS,
  observeMark,
  parsePublicKey,
  observeKeyLine,
  withObserveKey,
  withoutObserveKey,
  changeObserveKeys,
  type ObserveKeyChange
} from './observe.js';
export { lastTableMigration, readLastMigration, newerMigration, type LastMigration } from './migrations.js';
export { deliveryReports, type DeliveryReportOptions } from './run.js';
export { readReportInputs } from './inputs.js';

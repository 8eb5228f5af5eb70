export * from './types.js';
export { runMigrations, applicationName, describeSqlError, type MigrateDeps } from './engine.js';
export { readMigrateInputs, MODES } from './inputs.js';
export {
  loadMigrations,
  parseMigrationName,
  canonicalVersion,
  compareVersions,
  checksum,
  normaliseSql,
  noTransactionDirective,
  type MigrationFile,
  type Layout
} from './files.js';
export { splitStatements, positionToLine, lineAt, type Statement } from './sql.js';
export { parseDatabaseUrl, libpqEnv, redact, type DatabaseTarget } from './url.js';
export { pgDumpArgv, pgRestoreArgv, psqlFileArgv } from './argv.js';
export {
  connect,
  connectionError,
  type ConnectOptions,
  lockKey,
  lockHolder,
  acquireLock,
  releaseLock,
  parseTableName,
  createHistoryTableSql,
  readHistory,
  currentSchema,
  type HistoryRow,
  type LockHolder,
  type TableName
} from './db.js';
export { computeState, preflight, type MigrationState, type VersionState } from './state.js';
export { migrationSummary, evidenceJson } from './summary.js';
export {
  choosePgDump,
  dockerPgDumpArgv,
  findPgDumps,
  pgDumpMajor,
  serverMajor,
  type PgDumpChoice,
  type PgDumpFound
} from './pgdump.js';

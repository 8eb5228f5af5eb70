export * from './types.js';
export { STRATEGIES, usesSlots } from './strategy.js';
export * from './layout.js';
export { processStart, runnerIdentity } from './identity.js';
export * from './commands.js';
export { decodeWaitReady, type WaitReady } from './wait-ready.js';
export * from './proxy.js';
export * from './images.js';
export * from './validate.js';
export { Deadline, Host, PhaseResult, parseContainerStates, parseState } from './host.js';
export { checkSteps, checkedTools } from './open.js';
export { pickDigest } from './prepare.js';
export { showCommand, type MigrateSpec } from './migrate-command.js';
export {
  migrateBoundArgv,
  migrateBoundMs,
  migrateContainerName,
  migrateProject,
  maskedCommand,
  lineLogger,
  MAX_LINE_CHARS,
  MIGRATE_TIMED_OUT
} from './migrate.js';
export { describeHolder } from './lock.js';
export {
  lockVerdict,
  holderRun,
  type LockVerdict,
  type TakeoverFacts,
  type WorkflowRunState
} from './takeover.js';
export { deploy } from './dispatch.js';
export { checkSwarmSpec, stackName } from './swarm.js';
export { rollback, chooseTarget, hostSpec } from './rollback.js';
export { drill, type DrillOutcome } from './drill.js';
export { releaseLeftLocks } from './post.js';
export { prunePlan } from './retention.js';
export { clockFrom, type Clock } from './clock.js';
export { tarball, type TarFile } from './tar.js';
export * from './inputs.js';
export { deploySummary, rollbackSummary } from './summary.js';
export * from './canary-proxy.js';
export { judgeCanary } from './canary.js';
export { doctor, doctorTable, dockerRootRow, type DoctorReport, type DoctorRow } from './doctor.js';
export {
  accessoryChanges,
  accessoriesProject,
  chooseAccessories,
  ensureNetworkArgv,
  networkOverride,
  parseAccessoryState,
  releaseUpOptions
} from './accessories.js';
export { releaseFiles } from './deploy.js';
export {
  parsePortMapping,
  planUserCompose,
  type UserComposeOptions,
  type UserComposePlan
} from './user-compose.js';
export {
  readShipped,
  SHIP_LIMIT_BYTES,
  awaitHealthyArgv,
  adoptDataArgv,
  pruneReleaseArgv
} from './user-files.js';
export * from './proxy-boot.js';
export { includedFiles, includedPaths } from './includes.js';
export * from './scan-record.js';
export { textfilePath, textfileGauges, textfileArgv, counterLabels, type TextfileFacts } from './textfile.js';
export * from './ops.js';
export { canBindLow, LOW_PORT_FIX } from './front-door-doctor.js';

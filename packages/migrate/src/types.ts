import type { DeployActionsError, DeployEvent } from '../../core/src/index.js';
import type { LockHolder, ServerInfo } from './db.js';
import type { MigrationFile } from './files.js';
import type { DatabaseTarget } from './url.js';
import type { Choice } from '../../manifest/src/index.js';

/** run-migrations' `mode` (manifest.yml options). */
export type Mode = Choice<'run-migrations', 'mode'>;

export interface MigrateOptions {
  mode: Mode;
  /** Required for every mode except a `command` run without a database. */
  database?: DatabaseTarget;
  /** The loaded migration files (loadMigrations); empty in command mode. */
  migrations: MigrationFile[];
  /** Folder the files came from, for the evidence. */
  dir?: string;
  /** apply: up to and including this version; down: back to this version (kept), '0' for all. */
  target?: string;
  /**
   * Adopt a database that another tool (or a person) already migrated: while the history table is empty,
   * record every file up to this version as applied, without running it.
   */
  baseline?: string;
  /** Run the app's own migration tool instead of SQL files (argv, no shell). */
  command?: string[];
  commandTimeoutMs?: number;
  /** Working directory for a local command. */
  commandCwd?: string;
  /**
   * pg_dump before changing anything, with a pg_dump of the server's major version: binDir's (which must
   * be that version), else one found on the runner, else `image` (`{major}` replaced) on docker.
   */
  backup?: { path: string; binDir?: string; image?: string };
  lockTimeoutMs: number;
  /** 0: no statement timeout. */
  statementTimeoutMs: number;
  allowOutOfOrder: boolean;
  /** `table` or `schema.table`; default deploy_actions_migrations in the connection's current schema. */
  historyTable: string;
  app: string;
  environment: string;
  webhook?: { url: string; secret?: string };
  /** Poll interval while waiting for the lock (default 250 ms). */
  lockPollMs?: number;
}

export interface AppliedMigration {
  version: string;
  name: string;
  file: string;
  checksum: string;
  execution: 'transaction' | 'no-transaction';
  durationMs: number;
  statements?: number;
  directive?: string;
}

export interface PlannedMigration {
  version: string;
  name: string;
  file: string;
  execution: 'transaction' | 'no-transaction';
  sql: string;
}

export interface StatusEntry {
  version: string;
  name: string;
  file: string;
  state: 'applied' | 'pending' | 'failed';
  drifted: boolean;
  outOfOrder: boolean;
  fileMissing: boolean;
  appliedAt?: string;
  appliedBy?: string;
  runUrl?: string;
  error?: string;
  errorLine?: number;
  /** Failed attempts that rolled back since the version last changed (they block nothing). */
  failedAttempts?: number;
}

/** A failed attempt that left nothing behind (its transaction rolled back), as evidence. */
export interface FailedAttempt {
  at: string;
  by: string;
  runUrl: string;
  line?: number;
  /** The first line of the recorded error. */
  error: string;
}

/** A file applied (or reverted) by this run after earlier attempts of it had failed and rolled back. */
export interface RetriedMigration {
  version: string;
  file: string;
  direction: 'up' | 'down';
  earlierFailures: FailedAttempt[];
}

export interface MigrationFailure {
  version: string;
  file: string;
  line?: number;
  column?: number;
  lineText?: string;
  sqlState?: string;
  message: string;
  /** Statements of a no-transaction file that had taken effect before the failure. */
  statementsDone?: number;
  rolledBack: boolean;
}

export interface CommandRun {
  argv: string[];
  target: string;
  exitCode: number;
  durationMs: number;
  stdoutTail: string;
  stderrTail: string;
}

export interface MigrateResult {
  mode: Mode;
  outcome: 'success' | 'failed';
  startedAt: string;
  durationMs: number;
  database?: { display: string; host: string; port: number; database: string; user: string };
  server?: ServerInfo;
  historyTable?: string;
  lock?: { key: string; attempts: number; waitedMs: number; waitedFor?: LockHolder };
  /** plan/status: who held the lock when we looked (we do not take it for reading). */
  lockHeldBy?: LockHolder;
  /** apply: applied by this run. */
  applied: AppliedMigration[];
  /** down: reverted by this run, newest first. */
  reverted: AppliedMigration[];
  /** Pending after the run. */
  pending: string[];
  currentVersion: string;
  plan: PlannedMigration[];
  status: StatusEntry[];
  repaired: { version: string; file: string; action: 'failure-cleared' | 'checksum-realigned' }[];
  /** Files this run applied or reverted after failed, rolled-back attempts of them (no repair was needed). */
  retried: RetriedMigration[];
  /** Versions recorded as applied by `baseline`, without running them. */
  baselined: string[];
  failure?: MigrationFailure;
  backup?: { path: string; bytes: number; durationMs: number; pgDump?: string };
  command?: CommandRun;
  events: DeployEvent[];
  warnings: string[];
  error?: DeployActionsError;
}

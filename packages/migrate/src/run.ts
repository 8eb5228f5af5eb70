import {
  DeployActionsError,
  LockError,
  MigrationError,
  type DeployEvent,
  type Executor,
  type Logger,
  type RunContext
} from '../../core/src/index.js';
import { deliverEvent } from '../../events/src/index.js';
import type { Client, NewHistoryRow, TableName } from './db.js';
import type { MigrateOptions, MigrateResult } from './types.js';

export interface MigrateDeps {
  logger: Logger;
  context: Pick<RunContext, 'actor' | 'runUrl' | 'repository' | 'runId' | 'runAttempt'>;
  /** Runs pg_dump (default: a LocalExecutor). */
  executor?: Executor;
  /**
   * Runs `command`. Default: `executor`. Give an SSH executor (packages/ssh) to run the app's own
   * migration tool on the deploy host, next to the app's config.
   */
  commandExecutor?: Executor;
  /**
   * Events as they happen, as deploy's EngineDeps.onEvent. Default: with `options.webhook`, each event is
   * delivered there. A sink that throws costs a warning, never the run.
   */
  onEvent?(event: DeployEvent): Promise<void> | void;
}

/** What the lock holder shows in pg_stat_activity, so a waiting run can name who it waits for. */
export function applicationName(context: MigrateDeps['context']): string {
  const who = context.runId
    ? `${context.repository || 'run'} run ${context.runId}/${context.runAttempt || '1'}`
    : `by ${context.actor}`;
  return `run-migrations ${who}`.slice(0, 63);
}

export function emptyResult(options: MigrateOptions): MigrateResult {
  return {
    mode: options.mode,
    outcome: 'success',
    startedAt: new Date().toISOString(),
    durationMs: 0,
    applied: [],
    reverted: [],
    pending: [],
    currentVersion: '',
    plan: [],
    status: [],
    repaired: [],
    retried: [],
    baselined: [],
    events: [],
    warnings: []
  };
}

/**
 * One run of one mode against one database: its options, its dependencies, the result it builds, and,
 * once connected, the working session and the history table. Mode files take this object and add to
 * its result; nothing else is passed around.
 */
export class MigrationRun {
  readonly result: MigrateResult;
  readonly logger: Logger;
  /** The working session (files run here); undefined for a command run without a database. */
  work?: Client;
  table?: TableName;
  /** The lock's own connection ended: no further file may start. */
  lockLost = false;
  private readonly sink: ((event: DeployEvent) => Promise<void> | void) | undefined;

  constructor(
    readonly options: MigrateOptions,
    readonly deps: MigrateDeps
  ) {
    this.result = emptyResult(options);
    this.logger = deps.logger;
    const webhook = options.webhook;
    this.sink =
      deps.onEvent ??
      (webhook
        ? (event: DeployEvent) =>
            deliverEvent(event, { ...webhook, logger: deps.logger }).then(() => undefined)
        : undefined);
  }

  warn(message: string): void {
    this.result.warnings.push(message);
    this.logger.warning(message);
  }

  /** The run once connected: the session and table are there. */
  connected(): ConnectedRun {
    if (!this.work || !this.table) throw new MigrationError('internal: no database session for this mode');
    return this as ConnectedRun;
  }

  /** Before each file: the lock lives as long as its connection; without it, another run could start. */
  assertLock(): void {
    if (this.lockLost) {
      throw new LockError(
        `Lost the migration lock: its connection to ${this.options.database?.display ?? 'the database'} was closed`,
        {
          state: 'the files listed as applied are committed and recorded; no further file was started',
          hint: 'find out why the connection was cut (server restart, pg_terminate_backend, network), then run again'
        }
      );
    }
  }

  /** Who and where, on every history row this run writes. */
  historyBase(): Pick<NewHistoryRow, 'appliedBy' | 'runUrl'> {
    return { appliedBy: this.deps.context.actor, runUrl: this.deps.context.runUrl };
  }

  /** Into the evidence, and to the sink as it happens. */
  async emit(event: DeployEvent): Promise<void> {
    this.result.events.push(event);
    if (!this.sink) return;
    try {
      await this.sink(event);
    } catch (err) {
      this.warn(err instanceof DeployActionsError ? err.message : String(err));
    }
  }
}

export type ConnectedRun = MigrationRun & { work: Client; table: TableName };

/** Every file starts from the same session: what one file SETs does not leak into the next. */
export async function resetSession(work: Client, options: MigrateOptions): Promise<void> {
  await work.query(
    `RESET ALL; SET statement_timeout = ${Math.max(0, Math.floor(options.statementTimeoutMs))}`
  );
}

import { DeployActionsError, MigrationError, formatMs } from '../../core/src/index.js';
import {
  acquireLock,
  connect,
  currentSchema,
  describeHolder,
  ensureHistoryTable,
  lockHolder,
  lockKey,
  parseTableName,
  readHistory,
  releaseLock,
  serverInfo,
  type Client
} from './db.js';
import { adopt } from './modes/baseline.js';
import { apply } from './modes/apply.js';
import { command } from './modes/command.js';
import { down } from './modes/down.js';
import { plan } from './modes/plan.js';
import { repair } from './modes/repair.js';
import { status } from './modes/status.js';
import { MigrationRun, applicationName, resetSession, type ConnectedRun, type MigrateDeps } from './run.js';
import { computeState, type MigrationState } from './state.js';
import type { MigrateOptions, MigrateResult, Mode, StatusEntry } from './types.js';
import { redact, type DatabaseTarget } from './url.js';

export { applicationName, type MigrateDeps } from './run.js';
export { describeSqlError } from './execute.js';

/** Each mode in a file of its own, given the run and the state of every version. */
const MODES: Record<Mode, (run: ConnectedRun, state: MigrationState) => Promise<void>> = {
  apply,
  plan,
  down,
  status,
  repair
};

/**
 * Run one mode against one database. Never throws for a failure of the run itself: the result carries
 * `error` (a DeployActionsError saying what happened, the state left and the next step) together with
 * the evidence gathered up to that point, so the caller can publish both.
 */
export async function runMigrations(options: MigrateOptions, deps: MigrateDeps): Promise<MigrateResult> {
  const started = Date.now();
  const run = new MigrationRun(options, deps);
  const { result } = run;
  const db = options.database;
  let lockClient: Client | undefined;
  let heldKey: string | undefined;
  try {
    if (!db) {
      if (!options.command) throw new MigrationError('No database-url given and no command to run');
      await command(run);
    } else {
      await openSession(run, db);
      const key = lockKey(run.table!);
      const writes = !!options.command || ['apply', 'down', 'repair'].includes(options.mode);
      if (writes) {
        lockClient = await connect(db, { applicationName: applicationName(deps.context) });
        result.lock = await acquireLock(lockClient, key, {
          timeoutMs: options.lockTimeoutMs,
          database: db.database,
          ...(options.lockPollMs ? { pollMs: options.lockPollMs } : {}),
          onWait: (h) =>
            run.logger.info(
              `Waiting up to ${formatMs(options.lockTimeoutMs)} for the migration lock, held by ${
                h ? describeHolder(h) : 'another session'
              }`
            )
        });
        heldKey = key;
        lockClient.on('end', () => {
          run.lockLost = true;
        });
        run.logger.info(
          `Lock taken (advisory lock ${key}${result.lock.attempts > 1 ? `, after ${formatMs(result.lock.waitedMs)}` : ''})`
        );
        await ensureHistoryTable(run.work!, run.table!);
      } else {
        const holder = await lockHolder(run.work!, key);
        if (holder) {
          result.lockHeldBy = holder;
          run.warn(`A migration run is in progress right now: ${describeHolder(holder)}`);
        }
      }
      if (options.command) await command(run);
      else await runMode(run.connected());
    }
  } catch (err) {
    result.error = asDeployError(err, db);
  } finally {
    if (lockClient && heldKey && !run.lockLost) {
      await releaseLock(lockClient, heldKey).catch((e: unknown) =>
        run.warn(
          `could not release the lock explicitly (${String(e)}); it goes with the session, now closing`
        )
      );
    }
    await lockClient?.end().catch(() => {});
  }
  // The state after the run, also after a failure: what is applied and pending now.
  if (run.work && run.table && !options.command) {
    try {
      finalState(result, computeState(options.migrations, await readHistory(run.work, run.table)), options);
    } catch (err) {
      run.warn(`could not read the final state: ${redact(String(err), db!)}`);
    }
  }
  await run.work?.end().catch(() => {});
  result.outcome = result.error ? 'failed' : 'success';
  result.durationMs = Date.now() - started;
  return result;
}

/** The working session: connected, its notices logged, reset, and the history table named. */
async function openSession(run: MigrationRun, db: DatabaseTarget): Promise<void> {
  const { result, logger, options } = run;
  result.database = {
    display: db.display,
    host: db.host,
    port: db.port,
    database: db.database,
    user: db.user
  };
  const work = await connect(db, { applicationName: applicationName(run.deps.context) });
  run.work = work;
  // RAISE NOTICE in a migration is how its author talks to whoever runs it.
  // Our own ROLLBACK after a failed no-transaction file may have nothing to roll back: not news.
  work.on('notice', (n: { message?: string; code?: string }) => {
    if (n.code !== '25P01') logger.info(`notice: ${n.message ?? ''}`);
  });
  result.server = await serverInfo(work);
  logger.info(`Connected to ${db.display}: PostgreSQL ${result.server.version}`);
  await resetSession(work, options);
  run.table = parseTableName(options.historyTable, await currentSchema(work));
  result.historyTable = run.table.display;
}

/** History → state (adopting a migrated database first where asked), then the mode's own file. */
async function runMode(run: ConnectedRun): Promise<void> {
  const { options } = run;
  let history = await readHistory(run.work, run.table);
  if (!history.length && (options.mode === 'apply' || options.mode === 'plan')) history = await adopt(run);
  const state = computeState(options.migrations, history);
  for (const v of state.missingFiles) {
    run.warn(
      `version ${v.version} (${v.row?.script ?? v.name}) is applied but its file is not in ${options.dir ?? 'dir'}`
    );
  }
  await MODES[options.mode](run, state);
}

function asDeployError(err: unknown, db: DatabaseTarget | undefined): DeployActionsError {
  if (err instanceof DeployActionsError) return err;
  const text = err instanceof Error ? err.message : String(err);
  return new MigrationError(`Migration run failed: ${db ? redact(text, db) : text}`, {
    state: 'see the evidence and the history table for what was applied before the failure',
    cause: err
  });
}

function finalState(result: MigrateResult, state: MigrationState, options: MigrateOptions): void {
  // A failed version is not applied: it is pending (behind the repair, when it ran without a transaction).
  result.pending = state.versions.filter((v) => v.file && v.state !== 'applied').map((v) => v.version);
  result.currentVersion = state.currentVersion;
  if (options.mode === 'status') result.status = state.versions.map(statusEntry);
}

function statusEntry(v: MigrationState['versions'][number]): StatusEntry {
  const r = v.row;
  const failure = v.state === 'failed' ? r : v.failedAttempts[v.failedAttempts.length - 1];
  return {
    version: v.version,
    name: v.name,
    file: v.file?.file ?? r?.script ?? '',
    state: v.state,
    drifted: v.drifted,
    outOfOrder: v.outOfOrder,
    fileMissing: !v.file,
    ...(r && v.state !== 'pending'
      ? { appliedAt: r.appliedAt, appliedBy: r.appliedBy, runUrl: r.runUrl }
      : {}),
    // The failure that blocks the version, or else the last attempt that rolled back.
    ...(failure?.error ? { error: failure.error } : {}),
    ...(failure?.errorLine ? { errorLine: failure.errorLine } : {}),
    ...(v.failedAttempts.length ? { failedAttempts: v.failedAttempts.length } : {})
  };
}

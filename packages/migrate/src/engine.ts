import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  CommandError,
  DeployActionsError,
  LockError,
  MigrationError,
  formatArgv,
  formatMs,
  lastLines
} from '../../core/src/errors.js';
import { makeEvent, type DeployEvent } from '../../core/src/events.js';
import type { Executor } from '../../core/src/executor.js';
import { LocalExecutor } from '../../core/src/executor.js';
import type { Logger } from '../../core/src/logger.js';
import type { RunContext } from '../../core/src/context.js';
import { deliverEvent } from '../../events/src/webhook.js';
import { pgDumpArgv } from './argv.js';
import {
  acquireLock,
  connect,
  currentSchema,
  describeHolder,
  ensureHistoryTable,
  foreignHistory,
  insertHistory,
  lockHolder,
  lockKey,
  parseTableName,
  readHistory,
  releaseLock,
  serverInfo,
  type Client,
  type HistoryRow,
  type NewHistoryRow,
  type TableName
} from './db.js';
import { compareVersions, type MigrationFile } from './files.js';
import { codePointsBefore, positionToLine, splitStatements, type Statement } from './sql.js';
import { computeState, firstLine, preflight, type MigrationState } from './state.js';
import type {
  AppliedMigration,
  MigrateOptions,
  MigrateResult,
  MigrationFailure,
  StatusEntry
} from './types.js';
import { libpqEnv, redact, type DatabaseTarget } from './url.js';

export interface MigrateDeps {
  logger: Logger;
  context: Pick<RunContext, 'actor' | 'runUrl' | 'repository' | 'runId' | 'runAttempt'>;
  /** Runs pg_dump (default: a LocalExecutor). */
  executor?: Executor;
  /**
   * Runs `command`. Default: `executor`. Give deploy-compose's SSH executor (packages/ssh) to run the
   * app's own migration tool on the deploy host, next to the app's config.
   */
  commandExecutor?: Executor;
}

/** What the lock holder shows in pg_stat_activity, so a waiting run can name who it waits for. */
export function applicationName(context: MigrateDeps['context']): string {
  const who = context.runId
    ? `${context.repository || 'run'} run ${context.runId}/${context.runAttempt || '1'}`
    : `by ${context.actor}`;
  return `run-migrations ${who}`.slice(0, 63);
}

function emptyResult(options: MigrateOptions): MigrateResult {
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
    baselined: [],
    events: [],
    warnings: []
  };
}

/**
 * Run one mode against one database. Never throws for a failure of the run itself: the result carries
 * `error` (a DeployActionsError saying what happened, the state left and the next step) together with
 * the evidence gathered up to that point, so the caller can publish both.
 */
export async function runMigrations(options: MigrateOptions, deps: MigrateDeps): Promise<MigrateResult> {
  const started = Date.now();
  const result = emptyResult(options);
  const { logger } = deps;
  const db = options.database;
  const appName = applicationName(deps.context);
  let work: Client | undefined;
  let lockClient: Client | undefined;
  let heldKey: string | undefined;
  let table: TableName | undefined;
  let lockLost = false;
  /** Before each file: the lock lives as long as its connection; without it, another run could start. */
  const assertLock = () => {
    if (lockLost) {
      throw new LockError(
        `Lost the migration lock: its connection to ${db?.display ?? 'the database'} was closed`,
        {
          state: 'the files listed as applied are committed and recorded; no further file was started',
          hint: 'find out why the connection was cut (server restart, pg_terminate_backend, network), then run again'
        }
      );
    }
  };
  const warn = (message: string) => {
    result.warnings.push(message);
    logger.warning(message);
  };
  try {
    if (!db) {
      if (!options.command) throw new MigrationError('No database-url given and no command to run');
      await runCommand(options, deps, result, undefined, undefined);
    } else {
      result.database = {
        display: db.display,
        host: db.host,
        port: db.port,
        database: db.database,
        user: db.user
      };
      work = await connect(db, { applicationName: appName });
      // RAISE NOTICE in a migration is how its author talks to whoever runs it.
      // Our own ROLLBACK after a failed no-transaction file may have nothing to roll back: not news.
      work.on('notice', (n: { message?: string; code?: string }) => {
        if (n.code !== '25P01') logger.info(`notice: ${n.message ?? ''}`);
      });
      result.server = await serverInfo(work);
      logger.info(`Connected to ${db.display}: PostgreSQL ${result.server.version}`);
      await resetSession(work, options);
      table = parseTableName(options.historyTable, await currentSchema(work));
      result.historyTable = table.display;
      const key = lockKey(table);
      const writes = !!options.command || ['apply', 'down', 'repair'].includes(options.mode);
      if (writes) {
        lockClient = await connect(db, { applicationName: appName });
        result.lock = await acquireLock(lockClient, key, {
          timeoutMs: options.lockTimeoutMs,
          database: db.database,
          ...(options.lockPollMs ? { pollMs: options.lockPollMs } : {}),
          onWait: (h) =>
            logger.info(
              `Waiting up to ${formatMs(options.lockTimeoutMs)} for the migration lock, held by ${
                h ? describeHolder(h) : 'another session'
              }`
            )
        });
        heldKey = key;
        lockClient.on('end', () => {
          lockLost = true;
        });
        logger.info(
          `Lock taken (advisory lock ${key}${result.lock.attempts > 1 ? `, after ${formatMs(result.lock.waitedMs)}` : ''})`
        );
        await ensureHistoryTable(work, table);
      } else {
        const holder = await lockHolder(work, key);
        if (holder) {
          result.lockHeldBy = holder;
          warn(`A migration run is in progress right now: ${describeHolder(holder)}`);
        }
      }
      if (options.command) await runCommand(options, deps, result, work, table);
      else await runMode(options, deps, result, work, table, warn, assertLock);
    }
  } catch (err) {
    result.error = asDeployError(err, db);
  } finally {
    if (lockClient && heldKey && !lockLost) {
      await releaseLock(lockClient, heldKey).catch((e: unknown) =>
        warn(`could not release the lock explicitly (${String(e)}); it goes with the session, now closing`)
      );
    }
    await lockClient?.end().catch(() => {});
  }
  // The state after the run, also after a failure: what is applied and pending now.
  if (work && table && !options.command) {
    try {
      finalState(result, computeState(options.migrations, await readHistory(work, table)), options);
    } catch (err) {
      warn(`could not read the final state: ${redact(String(err), db!)}`);
    }
  }
  await work?.end().catch(() => {});
  result.outcome = result.error ? 'failed' : 'success';
  result.durationMs = Date.now() - started;
  if (options.webhook) {
    for (const event of result.events) {
      try {
        await deliverEvent(event, { ...options.webhook, logger });
      } catch (err) {
        warn(err instanceof DeployActionsError ? err.message : String(err));
      }
    }
  }
  return result;
}

function asDeployError(err: unknown, db: DatabaseTarget | undefined): DeployActionsError {
  if (err instanceof DeployActionsError) return err;
  const text = err instanceof Error ? err.message : String(err);
  return new MigrationError(`Migration run failed: ${db ? redact(text, db) : text}`, {
    state: 'see the evidence and the history table for what was applied before the failure',
    cause: err
  });
}

/** Every file starts from the same session: what one file SETs does not leak into the next. */
async function resetSession(work: Client, options: MigrateOptions): Promise<void> {
  await work.query(
    `RESET ALL; SET statement_timeout = ${Math.max(0, Math.floor(options.statementTimeoutMs))}`
  );
}

function finalState(result: MigrateResult, state: MigrationState, options: MigrateOptions): void {
  // A failed version is not applied: it is pending, behind the repair.
  result.pending = state.versions.filter((v) => v.file && v.state !== 'applied').map((v) => v.version);
  result.currentVersion = state.currentVersion;
  if (options.mode === 'status') result.status = state.versions.map(statusEntry);
}

function statusEntry(v: MigrationState['versions'][number]): StatusEntry {
  const r = v.row;
  const failed = v.state === 'failed';
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
    ...(failed && r?.error ? { error: r.error } : {}),
    ...(failed && r?.errorLine ? { errorLine: r.errorLine } : {})
  };
}

function selectPending(state: MigrationState, target: string | undefined): MigrationFile[] {
  return state.pending
    .filter((v) => v.file && (!target || compareVersions(v.version, target) <= 0))
    .map((v) => v.file!);
}

async function runMode(
  options: MigrateOptions,
  deps: MigrateDeps,
  result: MigrateResult,
  work: Client,
  table: TableName,
  warn: (m: string) => void,
  assertLock: () => void
): Promise<void> {
  const { logger } = deps;
  let history = await readHistory(work, table);
  if (!history.length && (options.mode === 'apply' || options.mode === 'plan')) {
    history = await adopt(work, table, options, deps, result);
  }
  const state = computeState(options.migrations, history);
  for (const v of state.missingFiles) {
    warn(
      `version ${v.version} (${v.row?.script ?? v.name}) is applied but its file is not in ${options.dir ?? 'dir'}`
    );
  }
  switch (options.mode) {
    case 'status': {
      logger.info(
        `${state.applied.length} applied, ${state.pending.length} pending, ${state.failed.length} failed, ${
          state.drifted.length
        } drifted; current version ${state.currentVersion || '(none)'}`
      );
      return;
    }
    case 'plan': {
      preflight(state, { mode: 'plan', allowOutOfOrder: options.allowOutOfOrder, table: table.display });
      const files = selectPending(state, options.target);
      result.plan = files.map((f) => ({
        version: f.version,
        name: f.name,
        file: f.file,
        execution: f.transactional ? 'transaction' : 'no-transaction',
        sql: f.sql
      }));
      logger.info(files.length ? `${files.length} migration(s) would run:` : 'Nothing to apply: up to date');
      for (const f of files) {
        await logger.group(
          `${f.file} (${f.transactional ? 'in a transaction' : 'no transaction'})`,
          async () => logger.info(f.sql)
        );
      }
      return;
    }
    case 'apply': {
      preflight(state, { mode: 'apply', allowOutOfOrder: options.allowOutOfOrder, table: table.display });
      const files = selectPending(state, options.target);
      if (!files.length) {
        logger.info(`Nothing to apply: current version ${state.currentVersion || '(none)'}`);
        if (
          options.target &&
          state.currentVersion &&
          compareVersions(options.target, state.currentVersion) < 0
        ) {
          warn(
            `target ${options.target} is below the current version ${state.currentVersion}: apply never goes back; use mode: down`
          );
        }
        return;
      }
      if (options.backup) result.backup = await takeBackup(options.database!, options.backup, deps, logger);
      for (const file of files) {
        assertLock();
        const applied = await applyFile(work, table, file, options, deps, result);
        result.applied.push(applied);
        result.events.push(migrationEvent(options, deps, applied));
        logger.info(
          `✓ ${file.file} (${applied.execution}${applied.statements ? `, ${applied.statements} statements` : ''}, ${formatMs(
            applied.durationMs
          )})`
        );
      }
      return;
    }
    case 'down': {
      preflight(state, { mode: 'down', allowOutOfOrder: true, table: table.display });
      const target = options.target ?? '';
      const revert = state.applied
        .filter((v) => compareVersions(v.version, target) > 0)
        .sort((a, b) => compareVersions(b.version, a.version));
      const missing = revert.filter((v) => !v.file?.down);
      if (missing.length) {
        throw new MigrationError(
          `Cannot walk back to ${target}: no down file for ${missing
            .map((v) => `version ${v.version} (${v.file?.file ?? v.row?.script ?? v.name})`)
            .join(', ')}`,
          {
            state: 'nothing was changed by this run',
            hint: 'add U<version>__<name>.sql or <version>_<name>.down.sql files, or choose a later target'
          }
        );
      }
      if (!revert.length) {
        logger.info(
          `Nothing to revert: current version ${state.currentVersion || '(none)'} is not above ${target}`
        );
        return;
      }
      if (options.backup) result.backup = await takeBackup(options.database!, options.backup, deps, logger);
      for (const v of revert) {
        assertLock();
        const done = await revertFile(work, table, v.file!, options, deps, result);
        result.reverted.push(done);
        logger.info(`↩ ${v.file!.down!.file} (${done.execution}, ${formatMs(done.durationMs)})`);
      }
      return;
    }
    case 'repair': {
      const base = historyBase(deps);
      for (const v of state.failed) {
        const r = v.row!;
        // A failed up leaves the version pending (the next apply re-runs it); a failed down leaves it applied.
        await insertHistory(work, table, {
          ...base,
          version: v.version,
          name: v.name,
          script: v.file?.file ?? r.script,
          checksum: r.kind === 'down' ? (v.file?.checksum ?? r.checksum) : r.checksum,
          kind: 'repair',
          execution: 'none',
          status: r.kind === 'down' ? 'applied' : 'repaired',
          durationMs: 0,
          error: `repaired failure of row ${r.id}: ${firstLine(r.error ?? '')}`,
          errorLine: r.errorLine
        });
        result.repaired.push({
          version: v.version,
          file: v.file?.file ?? r.script,
          action: 'failure-cleared'
        });
        logger.info(
          `repaired: failure of ${v.file?.file ?? r.script} (row ${r.id}) cleared; the record stays`
        );
      }
      for (const v of state.drifted) {
        await insertHistory(work, table, {
          ...base,
          version: v.version,
          name: v.name,
          script: v.file!.file,
          checksum: v.file!.checksum,
          kind: 'repair',
          execution: 'none',
          status: 'applied',
          durationMs: 0,
          error: `checksum realigned from ${v.recordedChecksum}`,
          errorLine: null
        });
        result.repaired.push({ version: v.version, file: v.file!.file, action: 'checksum-realigned' });
        logger.info(`repaired: checksum of ${v.file!.file} realigned to the file on disk`);
      }
      if (!result.repaired.length) logger.info('Nothing to repair');
      return;
    }
  }
}

/**
 * An empty history on a database that is not new: with `baseline`, record the files up to it as applied
 * (apply writes the rows; plan only shows them); without it, refuse when another tool's bookkeeping says
 * the schema is already there, instead of running every file again.
 */
async function adopt(
  work: Client,
  table: TableName,
  options: MigrateOptions,
  deps: MigrateDeps,
  result: MigrateResult
): Promise<HistoryRow[]> {
  const { logger } = deps;
  if (!options.baseline) {
    const other = await foreignHistory(work);
    if (other) {
      throw new MigrationError(
        `This database was already migrated by ${other.tool} (${other.table}: version ${other.version}${
          other.dirty === undefined ? '' : other.dirty ? ', DIRTY' : ', clean'
        }), but ${table.display} is empty: applying would run every file again`,
        {
          state: 'nothing was changed by this run',
          hint: other.dirty
            ? `${other.tool} left version ${other.version} half-applied: finish or undo it by hand first, then set baseline: ${other.version} once`
            : `check that the files up to ${other.version} are the ones that ran, then set baseline: ${other.version} once, to record them as applied without running them`
        }
      );
    }
    return [];
  }
  const base = historyBase(deps);
  const files = options.migrations.filter((f) => compareVersions(f.version, options.baseline!) <= 0);
  const rows: HistoryRow[] = [];
  for (const f of files) {
    const row: NewHistoryRow = {
      ...base,
      version: f.version,
      name: f.name,
      script: f.file,
      checksum: f.checksum,
      kind: 'baseline',
      execution: 'none',
      status: 'applied',
      durationMs: 0,
      error: null,
      errorLine: null
    };
    if (options.mode === 'apply') await insertHistory(work, table, row);
    rows.push({ ...row, id: rows.length + 1, appliedAt: new Date().toISOString() });
    result.baselined.push(f.version);
  }
  logger.info(
    `${options.mode === 'apply' ? 'Baseline recorded' : 'Baseline would record'}: ${files.length} file(s) up to ${options.baseline} as applied, not run`
  );
  return rows;
}

function historyBase(deps: MigrateDeps): Pick<NewHistoryRow, 'appliedBy' | 'runUrl'> {
  return { appliedBy: deps.context.actor, runUrl: deps.context.runUrl };
}

function migrationEvent(options: MigrateOptions, deps: MigrateDeps, m: AppliedMigration): DeployEvent {
  return makeEvent(
    'migration.applied',
    { app: options.app, environment: options.environment, version: m.version },
    deps.context,
    {
      migration: {
        version: m.version,
        name: m.name,
        file: m.file,
        checksum: m.checksum,
        execution: m.execution,
        durationMs: m.durationMs
      },
      database: options.database?.display ?? ''
    }
  );
}

interface SqlFailure {
  failure: MigrationFailure;
  text: string;
}

/** A server error → file, line and column (from `position`, offset by the statement's place in the file). */
export function describeSqlError(
  err: unknown,
  file: { file: string; version: string; sql: string },
  statement: { offset: number; line: number } | undefined,
  rolledBack: boolean
): SqlFailure {
  const e = err as {
    message?: string;
    code?: string;
    position?: string;
    detail?: string;
    hint?: string;
    where?: string;
  };
  const message = e.message ?? String(err);
  const failure: MigrationFailure = {
    version: file.version,
    file: file.file,
    message,
    rolledBack,
    ...(e.code ? { sqlState: e.code } : {})
  };
  if (e.position && /^\d+$/.test(e.position)) {
    const base = statement ? codePointsBefore(file.sql, statement.offset) : 0;
    const at = positionToLine(file.sql, base + Number(e.position));
    failure.line = at.line;
    failure.column = at.column;
    failure.lineText = at.lineText;
  } else if (statement) {
    failure.line = statement.line;
    failure.lineText = file.sql.split('\n')[statement.line - 1] ?? '';
  }
  const where = failure.line
    ? ` at line ${failure.line}${failure.column ? `, column ${failure.column}` : ' (the statement starting there)'}`
    : '';
  const extra = [
    failure.lineText !== undefined ? `  ${failure.line} | ${failure.lineText}` : '',
    e.detail ? `  detail: ${e.detail}` : '',
    e.hint ? `  hint: ${e.hint}` : '',
    e.code === '57014' ? '  (statement-timeout reached: raise it if the statement is slow but right)' : '',
    e.code === '25001'
      ? '  (this statement cannot run in a transaction: put the line -- deploy-actions:no-transaction in the file)'
      : '',
    !failure.line && e.where ? `  where: ${e.where}` : ''
  ].filter(Boolean);
  return {
    failure,
    text: `${file.file}${where}: ${message}${extra.length ? `\n${extra.join('\n')}` : ''}`
  };
}

async function applyFile(
  work: Client,
  table: TableName,
  file: MigrationFile,
  options: MigrateOptions,
  deps: MigrateDeps,
  result: MigrateResult
): Promise<AppliedMigration> {
  return runSqlFile(work, table, options, deps, result, {
    direction: 'up',
    file,
    sql: file.sql,
    exec: file.exec,
    script: file.file,
    transactional: file.transactional
  });
}

async function revertFile(
  work: Client,
  table: TableName,
  file: MigrationFile,
  options: MigrateOptions,
  deps: MigrateDeps,
  result: MigrateResult
): Promise<AppliedMigration> {
  const down = file.down!;
  return runSqlFile(work, table, options, deps, result, {
    direction: 'down',
    file,
    sql: down.sql,
    exec: down.exec,
    script: down.file,
    transactional: down.transactional
  });
}

/** Which statement of a file failed, carried to where the failure is recorded. */
class StatementFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly statement: Statement
  ) {
    super('statement failed');
  }
}

/**
 * One file: in its own transaction, with its history row in the same transaction; or, for a
 * no-transaction file, statement by statement with autocommit and the row written after the last one.
 * A failure is recorded as its own row after the rollback, so the record survives it.
 */
async function runSqlFile(
  work: Client,
  table: TableName,
  options: MigrateOptions,
  deps: MigrateDeps,
  result: MigrateResult,
  run: {
    direction: 'up' | 'down';
    file: MigrationFile;
    sql: string;
    exec: string;
    script: string;
    transactional: boolean;
  }
): Promise<AppliedMigration> {
  const { file } = run;
  const started = Date.now();
  const execution = run.transactional ? 'transaction' : 'no-transaction';
  const row = (status: NewHistoryRow['status'], extra: Partial<NewHistoryRow> = {}): NewHistoryRow => ({
    ...historyBase(deps),
    version: file.version,
    name: file.name,
    script: run.script,
    checksum: file.checksum,
    kind: run.direction,
    execution,
    status,
    durationMs: Date.now() - started,
    error: null,
    errorLine: null,
    ...extra
  });
  const okStatus = run.direction === 'up' ? 'applied' : 'reverted';
  const sqlFile = { file: run.script, version: file.version, sql: run.sql };
  let statementsDone = 0;
  let statementCount: number | undefined;
  try {
    // Statement by statement in both cases, so any error (not only those PostgreSQL gives a position for)
    // points at the statement's line in the file.
    const statements = splitStatements(run.exec);
    statementCount = statements.length;
    if (run.transactional) await work.query('BEGIN');
    try {
      for (const s of statements) {
        try {
          await work.query(s.text);
        } catch (err) {
          throw new StatementFailure(err, s);
        }
        statementsDone++;
      }
      await insertHistory(work, table, row(okStatus));
      if (run.transactional) await work.query('COMMIT');
    } catch (err) {
      if (run.transactional) await work.query('ROLLBACK').catch(() => {});
      throw err;
    }
  } catch (thrown) {
    const err = thrown instanceof StatementFailure ? thrown.error : thrown;
    const statement = thrown instanceof StatementFailure ? thrown.statement : undefined;
    const { failure, text } = describeSqlError(err, sqlFile, statement, run.transactional);
    if (!run.transactional) failure.statementsDone = statementsDone;
    result.failure = failure;
    let recorded = `the failure is recorded in ${table.display}`;
    try {
      // A no-transaction file may have opened its own transaction; it is aborted now, so end it.
      if (!run.transactional) await work.query('ROLLBACK');
      await resetSession(work, options);
      await insertHistory(work, table, row('failed', { error: text, errorLine: failure.line ?? null }));
    } catch (recordErr) {
      recorded = `the failure could NOT be recorded (${redact(String(recordErr), options.database!)})`;
    }
    const done =
      run.direction === 'up' ? result.applied.map((a) => a.file) : result.reverted.map((a) => a.file);
    const what = run.transactional
      ? `${run.script} was rolled back: nothing of it remains`
      : `${run.script} runs without a transaction: ${statementsDone} of its ${statementCount} statements took effect and stay`;
    throw new MigrationError(`Migration failed: ${text}`, {
      state: `${what}; ${
        done.length
          ? `${done.join(', ')} ${run.direction === 'up' ? 'applied' : 'reverted'} earlier in this run stay${done.length === 1 ? 's' : ''} committed and recorded`
          : 'no other file was changed by this run'
      }; ${recorded}; the lock is released`,
      hint: `fix ${run.script}${failure.line ? ` (line ${failure.line})` : ''}${
        run.transactional ? '' : ' and undo or complete its statements that took effect'
      }, then run mode: repair and ${run.direction === 'up' ? 'apply' : 'mode: down'} again`
    });
  }
  await resetSession(work, options);
  return {
    version: file.version,
    name: file.name,
    file: run.script,
    checksum: file.checksum,
    execution,
    durationMs: Date.now() - started,
    ...(statementCount !== undefined ? { statements: statementCount } : {}),
    ...(file.directive && run.direction === 'up' ? { directive: file.directive } : {})
  };
}

/** pg_dump to a 0600 file before the first change; a failed dump changes nothing. */
async function takeBackup(
  db: DatabaseTarget,
  backup: NonNullable<MigrateOptions['backup']>,
  deps: MigrateDeps,
  logger: Logger
): Promise<NonNullable<MigrateResult['backup']>> {
  const started = Date.now();
  mkdirSync(dirname(backup.path), { recursive: true });
  // Created 0600 before pg_dump writes into it, so the data is never readable by others, not even briefly.
  closeSync(openSync(backup.path, 'w', 0o600));
  chmodSync(backup.path, 0o600);
  const executor = deps.executor ?? new LocalExecutor();
  try {
    await executor.run({
      argv: pgDumpArgv(backup.path, backup.binDir ? { binDir: backup.binDir } : {}),
      env: libpqEnv(db),
      step: 'backup (pg_dump)',
      timeoutMs: 60 * 60_000
    });
  } catch (err) {
    const why =
      err instanceof CommandError
        ? lastLines(err.stderr || err.stdout, 6)
        : err instanceof Error
          ? err.message
          : String(err);
    throw new MigrationError(`Backup failed: pg_dump of ${db.display} did not complete: ${redact(why, db)}`, {
      state: 'nothing was applied',
      hint: /version mismatch/i.test(why)
        ? 'pg_dump must be at least as new as the server: install the matching postgresql-client and point pg-dump at it'
        : 'check that pg_dump is installed (input pg-dump) and that the user may read every table; or run without backup'
    });
  }
  chmodSync(backup.path, 0o600);
  const bytes = statSync(backup.path).size;
  const durationMs = Date.now() - started;
  logger.info(`Backup: ${backup.path} (${bytes} bytes, ${formatMs(durationMs)})`);
  return { path: backup.path, bytes, durationMs };
}

/** The app's own tool, argv through the Executor, under our lock and with our evidence. */
async function runCommand(
  options: MigrateOptions,
  deps: MigrateDeps,
  result: MigrateResult,
  work: Client | undefined,
  table: TableName | undefined
): Promise<void> {
  const argv = options.command!;
  const { logger } = deps;
  const db = options.database;
  const executor = deps.commandExecutor ?? deps.executor ?? new LocalExecutor();
  if (db && options.backup) result.backup = await takeBackup(db, options.backup, deps, logger);
  const local = executor.target === 'local';
  const started = Date.now();
  logger.info(`Running ${formatArgv(argv)} on ${executor.target}`);
  const scrub = (s: string) => (db ? redact(s, db) : s);
  const r = await executor.run({
    argv,
    // Locally the tool finds the database the conventional way; a remote tool reads its own config.
    ...(db && local ? { env: { DATABASE_URL: db.url } } : {}),
    ...(options.commandCwd && local ? { cwd: options.commandCwd } : {}),
    step: 'migration command',
    timeoutMs: options.commandTimeoutMs ?? 30 * 60_000,
    check: false,
    onOutput: (chunk) => {
      for (const line of chunk.replace(/\n$/, '').split('\n')) logger.info(scrub(line));
    }
  });
  const durationMs = Date.now() - started;
  result.command = {
    argv,
    target: executor.target,
    exitCode: r.exitCode,
    durationMs,
    stdoutTail: scrub(lastLines(r.stdout, 20)),
    stderrTail: scrub(lastLines(r.stderr, 20))
  };
  const ok = r.exitCode === 0;
  if (work && table) {
    await insertHistory(work, table, {
      ...historyBase(deps),
      version: options.target ?? '',
      name: formatArgv(argv).slice(0, 500),
      script: argv[0]!,
      checksum: null,
      kind: 'command',
      execution: 'command',
      status: ok ? 'applied' : 'failed',
      durationMs,
      error: ok ? null : scrub(lastLines(r.stderr || r.stdout, 20)),
      errorLine: null
    });
  }
  if (!ok) {
    throw new MigrationError(
      `Migration command \`${formatArgv(argv)}\` exited ${r.exitCode} on ${executor.target}:\n${scrub(
        lastLines(r.stderr || r.stdout, 12)
      )}`,
      {
        state: `whatever the tool changed before failing stays${work ? `; the failure is recorded in ${table?.display}` : ''}`,
        hint: "read the tool's output above; its own status command tells what it applied"
      }
    );
  }
  result.events.push(
    makeEvent(
      'migration.applied',
      { app: options.app, environment: options.environment, version: options.target ?? '' },
      deps.context,
      { command: argv, target: executor.target, durationMs, database: db?.display ?? '' }
    )
  );
}

import { MigrationError } from '../../core/src/index.js';
import { insertHistory, type NewHistoryRow } from './db.js';
import type { MigrationFile } from './files.js';
import { resetSession, type ConnectedRun } from './run.js';
import { codePointsBefore, positionToLine, splitStatements, type Statement } from './sql.js';
import type { AppliedMigration, MigrationFailure } from './types.js';
import { redact } from './url.js';

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

/** One up or down file, as the modes run it. */
interface SqlScript {
  direction: 'up' | 'down';
  file: MigrationFile;
  sql: string;
  exec: string;
  script: string;
  transactional: boolean;
}

export function applyFile(run: ConnectedRun, file: MigrationFile): Promise<AppliedMigration> {
  return runSqlFile(run, {
    direction: 'up',
    file,
    sql: file.sql,
    exec: file.exec,
    script: file.file,
    transactional: file.transactional
  });
}

export function revertFile(run: ConnectedRun, file: MigrationFile): Promise<AppliedMigration> {
  const down = file.down!;
  return runSqlFile(run, {
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
async function runSqlFile(run: ConnectedRun, script: SqlScript): Promise<AppliedMigration> {
  const { work, table, options, result } = run;
  const { file } = script;
  const started = Date.now();
  const execution = script.transactional ? 'transaction' : 'no-transaction';
  const row = (status: NewHistoryRow['status'], extra: Partial<NewHistoryRow> = {}): NewHistoryRow => ({
    ...run.historyBase(),
    version: file.version,
    name: file.name,
    script: script.script,
    checksum: file.checksum,
    kind: script.direction,
    execution,
    status,
    durationMs: Date.now() - started,
    error: null,
    errorLine: null,
    ...extra
  });
  const okStatus = script.direction === 'up' ? 'applied' : 'reverted';
  const sqlFile = { file: script.script, version: file.version, sql: script.sql };
  let statementsDone = 0;
  let statementCount: number | undefined;
  try {
    // Statement by statement in both cases, so any error (not only those PostgreSQL gives a position for)
    // points at the statement's line in the file.
    const statements = splitStatements(script.exec);
    statementCount = statements.length;
    if (script.transactional) await work.query('BEGIN');
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
      if (script.transactional) await work.query('COMMIT');
    } catch (err) {
      if (script.transactional) await work.query('ROLLBACK').catch(() => {});
      throw err;
    }
  } catch (thrown) {
    const err = thrown instanceof StatementFailure ? thrown.error : thrown;
    const statement = thrown instanceof StatementFailure ? thrown.statement : undefined;
    const { failure, text } = describeSqlError(err, sqlFile, statement, script.transactional);
    if (!script.transactional) failure.statementsDone = statementsDone;
    result.failure = failure;
    let recorded = `the failure is recorded in ${table.display}`;
    try {
      // A no-transaction file may have opened its own transaction; it is aborted now, so end it.
      if (!script.transactional) await work.query('ROLLBACK');
      await resetSession(work, options);
      await insertHistory(work, table, row('failed', { error: text, errorLine: failure.line ?? null }));
    } catch (recordErr) {
      recorded = `the failure could NOT be recorded (${redact(String(recordErr), options.database!)})`;
    }
    const done =
      script.direction === 'up' ? result.applied.map((a) => a.file) : result.reverted.map((a) => a.file);
    const what = script.transactional
      ? `${script.script} was rolled back: nothing of it remains`
      : `${script.script} runs without a transaction: ${statementsDone} of its ${statementCount} statements took effect and stay`;
    throw new MigrationError(`Migration failed: ${text}`, {
      state: `${what}; ${
        done.length
          ? `${done.join(', ')} ${script.direction === 'up' ? 'applied' : 'reverted'} earlier in this run stay${done.length === 1 ? 's' : ''} committed and recorded`
          : 'no other file was changed by this run'
      }; ${recorded}; the lock is released`,
      hint: script.transactional
        ? `fix ${script.script}${failure.line ? ` (line ${failure.line})` : ''}, then ${
            script.direction === 'up' ? 'apply' : 'run mode: down'
          } again: it was rolled back, so it simply runs again (no repair needed; the failed attempt stays in the history)`
        : `fix ${script.script}${failure.line ? ` (line ${failure.line})` : ''} and undo or complete its statements that took effect, then run mode: repair and ${
            script.direction === 'up' ? 'apply' : 'mode: down'
          } again`
    });
  }
  await resetSession(work, options);
  return {
    version: file.version,
    name: file.name,
    file: script.script,
    checksum: file.checksum,
    execution,
    durationMs: Date.now() - started,
    ...(statementCount !== undefined ? { statements: statementCount } : {}),
    ...(file.directive && script.direction === 'up' ? { directive: file.directive } : {})
  };
}

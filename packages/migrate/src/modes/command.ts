import { LocalExecutor, MigrationError, formatArgv, lastLines, makeEvent } from '../../../core/src/index.js';
import { takeBackup } from '../backup.js';
import { insertHistory } from '../db.js';
import type { MigrationRun } from '../run.js';
import { redact } from '../url.js';

/** The app's own tool, argv through the Executor, under our lock and with our evidence. */
export async function command(run: MigrationRun): Promise<void> {
  const { options, logger, result, work, table } = run;
  const argv = options.command!;
  const db = options.database;
  const executor = run.deps.commandExecutor ?? run.deps.executor ?? new LocalExecutor();
  if (db && options.backup) result.backup = await takeBackup(run);
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
      ...run.historyBase(),
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
  await run.emit(
    makeEvent(
      'migration.applied',
      { app: options.app, environment: options.environment, version: options.target ?? '' },
      run.deps.context,
      { command: argv, target: executor.target, durationMs, database: db?.display ?? '' }
    )
  );
}

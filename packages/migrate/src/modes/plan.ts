import { preflight, selectPending, type MigrationState } from '../state.js';
import type { ConnectedRun } from '../run.js';

/** What apply would run, with its SQL; changes nothing, not even the history table. */
export async function plan(run: ConnectedRun, state: MigrationState): Promise<void> {
  const { options, logger } = run;
  preflight(state, { mode: 'plan', allowOutOfOrder: options.allowOutOfOrder, table: run.table.display });
  const files = selectPending(state, options.target);
  run.result.plan = files.map((f) => ({
    version: f.version,
    name: f.name,
    file: f.file,
    execution: f.transactional ? 'transaction' : 'no-transaction',
    sql: f.sql
  }));
  logger.info(files.length ? `${files.length} migration(s) would run:` : 'Nothing to apply: up to date');
  for (const f of files) {
    await logger.group(`${f.file} (${f.transactional ? 'in a transaction' : 'no transaction'})`, async () =>
      logger.info(f.sql)
    );
  }
}

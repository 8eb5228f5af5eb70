import {
  connect,
  currentSchema,
  parseDatabaseUrl,
  parseTableName,
  readHistory,
  type HistoryRow
} from '../../migrate/src/index.js';

/** The newest schema change a record names: when, which version, and which record said so. */
export interface LastMigration {
  time: string;
  version: string;
  /** `history`: a host's `migration.applied` (migrate-command); `run-migrations`: its history table. */
  source: 'history' | 'run-migrations';
}

/**
 * The newest schema change in run-migrations' history table: an `up` file applied, a `down` file reverted, or
 * a `command` applied (one row per attempt, never updated). Failed attempts, baselines and repairs change no
 * schema and are not counted.
 */
export function lastTableMigration(rows: readonly HistoryRow[]): LastMigration | null {
  let last: HistoryRow | undefined;
  for (const r of rows) {
    const change =
      (r.kind === 'up' && r.status === 'applied') ||
      (r.kind === 'down' && r.status === 'reverted') ||
      (r.kind === 'command' && r.status === 'applied');
    if (change && (!last || Date.parse(r.appliedAt) >= Date.parse(last.appliedAt))) last = r;
  }
  return last ? { time: last.appliedAt, version: last.version, source: 'run-migrations' } : null;
}

/**
 * Read run-migrations' history table (`history-table`, `table` or `schema.table`, in the URL's default
 * schema as run-migrations resolves it) and return its newest schema change; null when there is no table.
 */
export async function readLastMigration(url: string, historyTable: string): Promise<LastMigration | null> {
  const target = parseDatabaseUrl(url);
  // Named in pg_stat_activity as what it is: a reader, never a migration run.
  const client = await connect(target, { applicationName: 'deploy-actions delivery-report' });
  try {
    const table = parseTableName(historyTable, await currentSchema(client));
    return lastTableMigration(await readHistory(client, table));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The newer of two last migrations (either may be unknown). */
export function newerMigration(a: LastMigration | null, b: LastMigration | null): LastMigration | null {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b.time) > Date.parse(a.time) ? b : a;
}

import { describeError, type Logger } from '../../core/src/index.js';
import { environmentReport, type EnvironmentReport } from './dora.js';
import { readLastMigration, type LastMigration } from './migrations.js';
import { commitsByVersion, readHosts, type HostConnection } from './read.js';

export interface DeliveryReportOptions {
  /** Every host of the environments, as the deploy reaches them. */
  connections: readonly HostConnection[];
  stateDir: string;
  app: string;
  environments: readonly string[];
  incidentWindowMs: number;
  since?: number;
  /** A git checkout of the app with its release tags: lead time needs each commit's time. */
  repo?: string;
  /** An environment's database URL, when run-migrations' history table should be read. */
  databaseUrl?: (environment: string) => string | undefined;
  historyTable: string;
  logger: Logger;
}

/**
 * The delivery report of each environment (the CLI's `report` and the delivery-report action): every host's
 * history, the commits of each served version when a repository is given, and run-migrations' last schema
 * change when a database is. What cannot be read becomes a note, never a number.
 */
export async function deliveryReports(o: DeliveryReportOptions): Promise<EnvironmentReport[]> {
  const until = Date.now();
  const reports: EnvironmentReport[] = [];
  for (const environment of o.environments) {
    const readings = await readHosts(o.connections, o.stateDir, o.app, environment, o.logger);
    const notes: string[] = [];
    let tableMigration: LastMigration | null | undefined;
    const url = o.databaseUrl?.(environment);
    if (url)
      tableMigration = await readLastMigration(url, o.historyTable).catch((err: unknown) => {
        notes.push(`run-migrations' history not read (${describeError(err).split('\n')[0]})`);
        return undefined;
      });
    const base = {
      app: o.app,
      incidentWindowMs: o.incidentWindowMs,
      until,
      ...(o.since !== undefined ? { since: o.since } : {}),
      ...(tableMigration !== undefined ? { tableMigration } : {})
    };
    let report = environmentReport(environment, readings, base);
    if (o.repo) {
      const served = [
        ...new Set(report.attempts.filter((a) => a.completedAt !== undefined).map((a) => a.version))
      ];
      const { commits, unknown } = await commitsByVersion(o.repo, served);
      report = environmentReport(environment, readings, { ...base, commits });
      for (const v of unknown)
        report.notes.push(`version ${v} names no commit in ${o.repo}: its commits are not counted`);
    }
    report.notes.push(...notes);
    reports.push(report);
  }
  return reports;
}

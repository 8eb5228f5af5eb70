import { writeFileSync, renameSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { describeError, parseDuration, silentLogger } from '../../core/src/index.js';
import {
  commitsByVersion,
  environmentReport,
  readHosts,
  reportExposition,
  reportJson,
  reportMarkdown,
  type EnvironmentReport
} from '../../report/src/index.js';
import { parseArgs } from './argv.js';
import { hostFlags, list } from './host-flags.js';

export const REPORT_USAGE = `Usage: deploy-actions report --host [<user>@]<h>[:<port>][,…] --user <u> --app <app> --environment <e>[,<e>…]
         --ssh-key-env <VAR> --known-hosts-env <VAR> [--port <p>] [--state-dir <dir>]
         [--repo <git checkout>] [--incident-window 24h] [--since <ISO time>]
         [--format markdown|json|prometheus] [--output <file>]

Delivery metrics (DORA's four keys) from the hosts' own release history: deployment frequency, lead time
for changes (with --repo: from each commit's time to the first release containing it serving), change
failure rate and time to restore, per environment and per ISO week, each with its DORA band.
The key and known_hosts come from the environment variables named, never from the command line.
--output writes the file by temp file and rename (for node_exporter's textfile collector).
`;

export async function reportCommand(args: string[]): Promise<number> {
  const { flags } = parseArgs(args, new Set(['help']));
  if (flags.has('help')) {
    process.stdout.write(REPORT_USAGE);
    return 0;
  }
  const need = (name: string): string => {
    const v = flags.get(name);
    if (!v) throw new Error(`--${name} is required\n\n${REPORT_USAGE}`);
    return v;
  };
  try {
    const format = flags.get('format') ?? 'markdown';
    if (!['markdown', 'json', 'prometheus'].includes(format))
      throw new Error(`--format "${format}" is not one of markdown, json, prometheus`);
    const app = need('app');
    const environments = list(need('environment'));
    const { connections, stateDir } = hostFlags(flags, REPORT_USAGE);
    const incidentWindowMs = parseDuration(flags.get('incident-window') ?? '24h', 'incident-window');
    const since = flags.has('since') ? Date.parse(flags.get('since')!) : undefined;
    if (since !== undefined && Number.isNaN(since))
      throw new Error(`--since "${flags.get('since')}" is not a date (ISO 8601, e.g. 2026-11-01)`);
    const until = Date.now();
    const reports: EnvironmentReport[] = [];
    for (const environment of environments) {
      const readings = await readHosts(connections, stateDir, app, environment, silentLogger);
      const base = { app, incidentWindowMs, until, ...(since !== undefined ? { since } : {}) };
      let report = environmentReport(environment, readings, base);
      const repo = flags.get('repo');
      if (repo) {
        const served = [
          ...new Set(report.attempts.filter((a) => a.completedAt !== undefined).map((a) => a.version))
        ];
        const { commits, unknown } = await commitsByVersion(repo, served);
        report = environmentReport(environment, readings, { ...base, commits });
        for (const v of unknown)
          report.notes.push(`version ${v} names no commit in ${repo}: its commits are not counted`);
      }
      reports.push(report);
    }
    const text =
      format === 'json'
        ? reportJson(reports)
        : format === 'prometheus'
          ? reportExposition(reports)
          : reportMarkdown(reports);
    const output = flags.get('output');
    if (output) {
      const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
      writeFileSync(tmp, text, { mode: 0o644 });
      renameSync(tmp, output);
    } else process.stdout.write(text);
    return reports.every((r) => r.hosts.some((h) => !h.error)) ? 0 : 1;
  } catch (err) {
    process.stderr.write(`report: ${describeError(err)}\n`);
    return 2;
  }
}

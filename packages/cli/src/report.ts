import { writeFileSync, renameSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { describeError, parseDuration, silentLogger } from '../../core/src/index.js';
import { INPUTS } from '../../manifest/src/index.js';
import { deliveryReports, reportExposition, reportJson, reportMarkdown } from '../../report/src/index.js';
import { parseArgs } from './argv.js';
import { hostFlags, list } from './host-flags.js';

export const REPORT_USAGE = `Usage: deploy-actions report --host [<user>@]<h>[:<port>][,…] --user <u> --app <app> --environment <e>[,<e>…]
         --ssh-key-env <VAR> --known-hosts-env <VAR> [--port <p>] [--state-dir <dir>]
         [--repo <git checkout>] [--incident-window 24h] [--since <ISO time>]
         [--database-url-env <VAR> | <environment>=<VAR>,…] [--history-table <table>]
         [--format markdown|json|prometheus] [--output <file>]

Delivery metrics (DORA's four keys) from the hosts' own release history: deployment frequency, lead time
for changes (with --repo: from each commit's time to the first release containing it serving), change
failure rate and time to restore, per environment and per ISO week, each with its DORA band.
The key and known_hosts come from the environment variables named, never from the command line.
--output writes the file by temp file and rename (for node_exporter's textfile collector).
--database-url-env names the variable holding each environment's database URL (one for all, or one per
environment): "the last migration" is then the newer of the hosts' migration.applied and run-migrations'
history table (--history-table, default deploy_actions_migrations).
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
    const databaseUrl = databaseUrls(flags.get('database-url-env'), environments);
    const historyTable = flags.get('history-table') ?? INPUTS['run-migrations']['history-table'].default;
    const reports = await deliveryReports({
      connections,
      stateDir,
      app,
      environments,
      incidentWindowMs,
      ...(since !== undefined ? { since } : {}),
      ...(flags.get('repo') ? { repo: flags.get('repo')! } : {}),
      databaseUrl,
      historyTable,
      logger: silentLogger
    });
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

/**
 * `--database-url-env VAR` (every environment's database) or `staging=VAR,production=VAR2`: the URL of an
 * environment's database, from the environment variable named (never from the command line).
 */
function databaseUrls(
  flag: string | undefined,
  environments: readonly string[]
): (e: string) => string | undefined {
  if (!flag) return () => undefined;
  const pairs = list(flag);
  const named = new Map<string, string>();
  for (const p of pairs) {
    const cut = p.indexOf('=');
    if (cut < 0 && pairs.length === 1) for (const e of environments) named.set(e, p);
    else if (cut > 0) named.set(p.slice(0, cut), p.slice(cut + 1));
    else throw new Error(`--database-url-env "${flag}": give one variable, or <environment>=<VAR> pairs`);
  }
  return (environment) => {
    const name = named.get(environment);
    if (!name) return undefined;
    const url = process.env[name];
    if (!url)
      throw new Error(
        `--database-url-env names $${name} for ${environment}, which is empty: export the URL into it first`
      );
    return url;
  };
}

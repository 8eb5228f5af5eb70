import { userInfo } from 'node:os';
import { describeError, silentLogger } from '../../core/src/index.js';
import { environmentSlug } from '../../deploy/src/index.js';
import { appendToHistories } from '../../report/src/index.js';
import { parseArgs } from './argv.js';
import { hostFlags } from './host-flags.js';

export const INCIDENT_USAGE = `Usage: deploy-actions incident --host [<user>@]<h>[:<port>][,…] --user <u> --app <app> --environment <e>
         --reason <text> --ssh-key-env <VAR> --known-hosts-env <VAR> [--port <p>] [--state-dir <dir>]
         [--release <release id>] [--time <ISO time>]

Record incident.opened in the app's history on every host, so that delivery reports (deploy-actions report)
count the release serving then as a failed change and time the restore from the incident. A pager or alert
integration calls it when an incident opens.
`;

export async function incidentCommand(args: string[]): Promise<number> {
  const { flags } = parseArgs(args, new Set(['help']));
  if (flags.has('help')) {
    process.stdout.write(INCIDENT_USAGE);
    return 0;
  }
  try {
    const need = (name: string): string => {
      const v = flags.get(name);
      if (!v) throw new Error(`--${name} is required\n\n${INCIDENT_USAGE}`);
      return v;
    };
    const app = need('app');
    const environment = need('environment');
    const reason = need('reason');
    const time = flags.has('time') ? new Date(flags.get('time')!) : new Date();
    if (Number.isNaN(time.getTime()))
      throw new Error(`--time "${flags.get('time')}" is not a date (ISO 8601, e.g. 2026-11-01T03:12:00Z)`);
    const { connections, stateDir } = hostFlags(flags, INCIDENT_USAGE);
    const slug = environmentSlug(environment);
    const release = flags.get('release');
    const results = await appendToHistories(
      connections,
      stateDir,
      app,
      environment,
      (host) => ({
        time: time.toISOString(),
        event: 'incident.opened',
        app,
        environment,
        ...(slug !== environment ? { environmentSlug: slug } : {}),
        actor: process.env.GITHUB_ACTOR ?? userInfo().username,
        runUrl: '',
        host,
        reason,
        ...(release ? { release } : {})
      }),
      silentLogger
    );
    for (const r of results)
      process.stdout.write(
        `${r.host}: ${r.error ? `not recorded (${r.error})` : 'incident.opened recorded'}\n`
      );
    return results.every((r) => !r.error) ? 0 : 1;
  } catch (err) {
    process.stderr.write(`incident: ${describeError(err)}\n`);
    return 2;
  }
}

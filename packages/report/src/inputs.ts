import { isAbsolute, join } from 'node:path';
import { InputError, type InputReader } from '../../core/src/index.js';
import { defaultsOf } from '../../manifest/src/index.js';
import type { HostConnection } from './read.js';
import type { DeliveryReportOptions } from './run.js';

const REPORT = defaultsOf('delivery-report');

/** The delivery-report action's inputs, checked before any host is asked. */
export function readReportInputs(
  inputs: InputReader,
  workspace: string
): Omit<DeliveryReportOptions, 'logger'> {
  const privateKey = inputs.string('ssh-key', { required: true });
  const knownHosts = inputs.string('known-hosts', { required: true });
  const port = inputs.integer('port', { fallback: REPORT.number('port'), min: 1, max: 65535 });
  const user = inputs.string('user', { fallback: REPORT.text('user') });
  const hosts = inputs.list('host', { commas: true });
  if (!hosts.length) throw new InputError('host', 'is required', 'give every host of the environments');
  const connections: HostConnection[] = hosts.map((line) => {
    const m = /^(?:([^@\s-][^@\s]*)@)?([^:@\s-][^:@\s]*)(?::(\d+))?$/.exec(line);
    if (!m)
      throw new InputError(
        'host',
        `"${line}" is not [user@]host[:port]`,
        'write e.g. deploy@web1.example.com:22'
      );
    return { host: m[2]!, port: m[3] ? Number(m[3]) : port, user: m[1] ?? user, privateKey, knownHosts };
  });
  const environments = inputs.list('environment', { commas: true });
  const stateDir = inputs.string('state-dir', { fallback: REPORT.text('state-dir') });
  if (!stateDir.startsWith('/'))
    throw new InputError(
      'state-dir',
      `"${stateDir}" is not an absolute path`,
      'give the path deploy-compose was given'
    );
  const repoPath = inputs.optional('repository-path');
  const sinceText = inputs.optional('since');
  const since = sinceText === undefined ? undefined : Date.parse(sinceText);
  if (since !== undefined && Number.isNaN(since))
    throw new InputError('since', `"${sinceText}" is not a date`, 'write ISO 8601, e.g. 2026-11-01');
  const databaseUrl = inputs.optional('database-url');
  return {
    connections,
    stateDir,
    app: inputs.string('app', { required: true }),
    environments: environments.length ? environments : [REPORT.text('environment')],
    incidentWindowMs: inputs.duration('incident-window', { fallback: REPORT.text('incident-window') }),
    ...(since !== undefined ? { since } : {}),
    ...(repoPath ? { repo: isAbsolute(repoPath) ? repoPath : join(workspace, repoPath) } : {}),
    ...(databaseUrl ? { databaseUrl: () => databaseUrl } : {}),
    historyTable: inputs.string('history-table', { fallback: REPORT.text('history-table') })
  };
}

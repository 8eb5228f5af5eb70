import { GROUPS } from '../../manifest/src/index.js';
import type { HostConnection } from '../../report/src/index.js';

/**
 * The connection flags the host-reading commands share (report, incident), as `rollback` and `doctor` take
 * them: `--host [user@]host[:port],…`, `--user`, `--port`, `--state-dir`, and the key and pinned host keys
 * from the environment variables `--ssh-key-env` and `--known-hosts-env` name (never from the command line).
 */
export function hostFlags(
  flags: ReadonlyMap<string, string>,
  usage: string
): { connections: HostConnection[]; stateDir: string } {
  const need = (name: string): string => {
    const v = flags.get(name);
    if (!v) throw new Error(`--${name} is required\n\n${usage}`);
    return v;
  };
  const fromEnv = (flag: string): string => {
    const name = need(flag);
    const v = process.env[name];
    if (!v) throw new Error(`--${flag} names $${name}, which is empty: export the secret into it first`);
    return v;
  };
  const privateKey = fromEnv('ssh-key-env');
  const knownHosts = fromEnv('known-hosts-env');
  const port = flags.has('port') ? Number(flags.get('port')) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
    throw new Error(`--port "${flags.get('port')}" is not a TCP port`);
  const connections = list(need('host')).map((line) => {
    // `[user@]host[:port]`, as deploy-compose's `host` lines; --user and --port are the defaults.
    const m = /^(?:([^@\s]+)@)?([^:@\s]+)(?::(\d+))?$/.exec(line);
    if (!m) throw new Error(`--host "${line}" is not [user@]host[:port]`);
    const p = m[3] ? Number(m[3]) : port;
    const user = m[1] ?? flags.get('user');
    if (!user) throw new Error(`--user is required (or give each host as user@host)\n\n${usage}`);
    return { host: m[2]!, ...(p ? { port: p } : {}), user, privateKey, knownHosts };
  });
  return { connections, stateDir: flags.get('state-dir') ?? GROUPS['release-host']['state-dir'].default };
}

export const list = (v: string): string[] =>
  v
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);

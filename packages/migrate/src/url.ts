import { InputError } from '../../core/src/index.js';

/**
 * The database URL is a secret (it holds the password). It is parsed once here; everything shown to a
 * person uses `display`, which never carries the password, and programs get the password through
 * PGPASSWORD in their environment, never in argv.
 */
export interface DatabaseTarget {
  /** The URL as given, for the pg driver only. Never log it. */
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** `sslmode` from the query string, when given. */
  sslmode?: string;
  /** `postgres://user:***@host:port/db`: safe to print. */
  display: string;
}

export function parseDatabaseUrl(url: string, input = 'database-url'): DatabaseTarget {
  let u: URL;
  try {
    // `postgresql://user@/db?host=/socket/dir` (libpq's form for a Unix socket) has an empty host,
    // which WHATWG URL refuses after userinfo; the host= parameter supplies it anyway.
    u = new URL(/[?&]host=/.test(url) ? url.replace(/@\//, '@localhost/') : url);
  } catch {
    // Never echo the value: it may be a URL with a password that merely failed to parse.
    throw new InputError(
      input,
      'is not a URL',
      'give postgres://user:password@host:5432/database (percent-encode special characters in the password)'
    );
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new InputError(
      input,
      `has scheme "${u.protocol}", not postgres: or postgresql:`,
      'give postgres://user:password@host:5432/database'
    );
  }
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const socketHost = u.searchParams.get('host');
  const host = socketHost || decode(u.hostname).replace(/^\[|\]$/g, '') || 'localhost';
  const portParam = u.searchParams.get('port');
  const port = u.port ? Number(u.port) : portParam && /^\d+$/.test(portParam) ? Number(portParam) : 5432;
  const user = decode(u.username) || process.env.PGUSER || 'postgres';
  const password = decode(u.password);
  const database = decode(u.pathname.replace(/^\//, '')) || user;
  const sslmode = u.searchParams.get('sslmode') ?? undefined;
  const display = `postgres://${encodeURIComponent(user)}${password ? ':***' : ''}@${
    socketHost ? `[${socketHost}]` : u.host
  }/${encodeURIComponent(database)}`;
  return { url, host, port, database, user, password, display, ...(sslmode ? { sslmode } : {}) };
}

/** libpq environment for pg_dump/psql/pg_restore: the password travels here, never in argv. */
export function libpqEnv(target: DatabaseTarget, database = target.database): Record<string, string> {
  const env: Record<string, string> = {
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGUSER: target.user,
    PGDATABASE: database
  };
  if (target.password) env.PGPASSWORD = target.password;
  if (target.sslmode) env.PGSSLMODE = target.sslmode;
  return env;
}

/** Remove the password (raw and percent-encoded) and the full URL from any text. */
export function redact(text: string, target: Pick<DatabaseTarget, 'url' | 'password'>): string {
  let out = text.split(target.url).join('***');
  for (const s of [target.password, encodeURIComponent(target.password)]) {
    if (s && s.length >= 3) out = out.split(s).join('***');
  }
  return out;
}

import { dirname, join } from 'node:path';
import { MigrationError, type Executor } from '../../core/src/index.js';

/**
 * Which pg_dump takes the backup. pg_dump refuses a server newer than itself, and a dump made by a newer
 * pg_dump can only be restored by a pg_restore as new, so the backup uses a pg_dump of the server's own
 * major version: one installed on the runner (Debian/Ubuntu keep each major in
 * /usr/lib/postgresql/<major>/bin), else the `pg-dump-image` container (`postgres:{major}`) on the
 * runner's docker, else a clear refusal naming the versions.
 */
export type PgDumpChoice =
  { kind: 'local'; path: string; major: number } | { kind: 'image'; image: string; major: number };

export interface PgDumpFound {
  path: string;
  /** Major version from `pg_dump --version`; undefined when it did not run. */
  major: number | undefined;
}

/** `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → 15; `9.6.24` → 9. */
export function pgDumpMajor(versionOutput: string): number | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(versionOutput);
  return m ? Number(m[1]) : undefined;
}

/** 150004 → 15; 90624 → 9. */
export const serverMajor = (versionNum: number) => Math.floor(versionNum / 10_000);

/**
 * found: the candidates in order of preference (the `pg-dump` input alone when it is given). image: the
 * `pg-dump-image` input with `{major}` in it, or '' for none.
 */
export function choosePgDump(options: {
  serverVersion: string;
  serverMajor: number;
  found: readonly PgDumpFound[];
  image: string;
  explicit: boolean;
}): PgDumpChoice {
  const { serverMajor: major, found } = options;
  const match = found.find((f) => f.major === major);
  if (match) return { kind: 'local', path: match.path, major };
  const seen = found.length
    ? found
        .map((f) => `${f.path} (${f.major === undefined ? 'did not run' : `version ${f.major}`})`)
        .join(', ')
    : 'none';
  const state = 'nothing was applied';
  if (options.explicit)
    throw new MigrationError(
      `Backup refused: input pg-dump must be a pg_dump of the server's major version; the server runs PostgreSQL ${options.serverVersion} (major ${major}), the given pg_dump is ${seen}`,
      {
        state,
        hint: `point pg-dump at a PostgreSQL ${major} client (e.g. /usr/lib/postgresql/${major}/bin), or remove pg-dump to use pg-dump-image`
      }
    );
  if (options.image)
    return { kind: 'image', image: options.image.split('{major}').join(String(major)), major };
  throw new MigrationError(
    `Backup refused: no pg_dump of the server's major version; the server runs PostgreSQL ${options.serverVersion} (major ${major}), pg_dump found: ${seen}, and pg-dump-image is none`,
    {
      state,
      hint: `install postgresql-client-${major} on the runner, or give pg-dump, or set pg-dump-image (postgres:{major}) to run it in a container`
    }
  );
}

/** The candidates: the given one, else the server's major in Debian's layout, then pg_dump on PATH. */
export async function findPgDumps(
  executor: Executor,
  options: { binDir?: string; serverMajor: number }
): Promise<PgDumpFound[]> {
  // Tried through the executor, not the local file system: it says where pg_dump will run.
  const paths = options.binDir
    ? [join(options.binDir, 'pg_dump')]
    : [`/usr/lib/postgresql/${options.serverMajor}/bin/pg_dump`, 'pg_dump'];
  const found: PgDumpFound[] = [];
  for (const path of paths) {
    let major: number | undefined;
    try {
      const r = await executor.run({
        argv: [path, '--version'],
        step: 'pg_dump --version',
        timeoutMs: 30_000
      });
      major = pgDumpMajor(r.stdout);
    } catch {
      major = undefined;
    }
    found.push({ path, major });
  }
  return found;
}

/**
 * pg_dump in the image, on the host's network, writing the file as the runner's user into the same path.
 * The libpq variables are passed by name only (`-e PGPASSWORD`): their values stay in the environment.
 */
export function dockerPgDumpArgv(
  image: string,
  file: string,
  envNames: readonly string[],
  user: { uid: number; gid: number }
): string[] {
  const dir = dirname(file);
  return [
    'docker',
    'run',
    '--rm',
    '--network',
    'host',
    '--user',
    `${user.uid}:${user.gid}`,
    '--volume',
    `${dir}:${dir}`,
    ...envNames.flatMap((n) => ['--env', n]),
    image,
    'pg_dump',
    '--format=custom',
    '--no-password',
    '--file',
    file
  ];
}

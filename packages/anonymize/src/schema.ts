import { join } from 'node:path';

/**
 * The target gets the source's schema from pg_dump itself (schema only, no owners or grants, in the copy's
 * snapshot): pre-data (tables, sequences, types, partitions) before the rows, post-data (keys, unique
 * constraints, foreign keys, indexes, triggers) after them, inside the swap.
 */
export function pgDumpSectionArgv(
  section: 'pre-data' | 'post-data',
  schemas: readonly string[],
  snapshot: string,
  binDir?: string
): string[] {
  return [
    binDir ? join(binDir, 'pg_dump') : 'pg_dump',
    '--no-password',
    '--schema-only',
    `--section=${section}`,
    '--no-owner',
    '--no-privileges',
    `--snapshot=${snapshot}`,
    ...schemas.flatMap((s) => ['--schema', s])
  ];
}

/** pg_dump's script as the server runs it: psql meta-commands out, the schemas themselves created by us. */
export function schemaDdl(script: string): string {
  return script
    .split('\n')
    .filter((l) => !l.startsWith('\\') && !/^(CREATE|COMMENT ON|ALTER) SCHEMA /.test(l))
    .join('\n');
}

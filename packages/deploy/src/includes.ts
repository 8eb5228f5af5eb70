import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { InputError } from '../../core/src/index.js';
import { parseComposeDocument } from '../../compose/src/index.js';
import type { ShippedFile } from './user-files.js';

/** Names the release directory keeps for its own files: an included file may not take one. */
const OWN = /^(?:compose(?:\.[\w-]+)*\.yml|\.env|release\.json)$/;

/**
 * The files a compose file's top-level `include:` names (Compose v2.20+), relative to the first compose file:
 * `- db.yml`, `- path: db.yml` or `- path: [a.yml, b.yml]`. Pure.
 */
export function includedPaths(texts: readonly string[]): string[] {
  const out: string[] = [];
  const add = (p: unknown) => {
    if (typeof p !== 'string' || !p.trim())
      throw new InputError(
        'compose-file',
        `an \`include:\` entry is not a path (${JSON.stringify(p)})`,
        'write `include: [db.yml]` or `include: [{ path: db.yml }]`'
      );
    const rel = posix.normalize(p.trim());
    if (rel.startsWith('/') || rel === '..' || rel.startsWith('../') || /^[a-z][\w+.-]*:/i.test(rel))
      throw new InputError(
        'compose-file',
        `\`include: ${p}\` is not a path inside the compose file's directory: only those ship with the release`,
        'move the included file next to the compose file (or below it) and name it by a relative path'
      );
    if (OWN.test(rel))
      throw new InputError(
        'compose-file',
        `\`include: ${p}\` has a name the release directory keeps for its own files`,
        'rename the included file, e.g. db.yml or compose/db.yml'
      );
    if (!out.includes(rel)) out.push(rel);
  };
  texts.forEach((text, i) => {
    const root = parseComposeDocument(text, 'compose-file', { override: true }).root;
    const inc = root.include;
    if (inc === undefined || inc === null) return;
    if (!Array.isArray(inc))
      throw new InputError(
        'compose-file',
        `\`include:\` in file ${i + 1} is not a list`,
        'write `include:` followed by `- db.yml` lines'
      );
    for (const entry of inc) {
      if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
        const path = (entry as Record<string, unknown>).path;
        for (const p of Array.isArray(path) ? path : [path]) add(p);
      } else add(entry);
    }
  });
  return out;
}

/**
 * The included files, read from the first compose file's directory on the runner (`dir`), to ship with the
 * release (0600 like the env file: they may hold settings). Without `dir` nothing ships; a named file that is
 * absent is refused before any host is touched.
 */
export function includedFiles(dir: string | undefined, texts: readonly string[]): ShippedFile[] {
  const paths = includedPaths(texts);
  if (!dir || !paths.length) return [];
  return paths.map((rel) => {
    const full = join(dir, rel);
    if (!existsSync(full) || !statSync(full).isFile())
      throw new InputError(
        'compose-file',
        `\`include: ${rel}\` names a file that is not in ${dir}`,
        `commit ${rel} next to the compose file, or drop it from \`include:\``
      );
    return { name: rel, content: readFileSync(full), public: false };
  });
}

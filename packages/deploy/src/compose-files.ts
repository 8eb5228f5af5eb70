import { parseComposeFiles, type ComposeFileInfo } from '../../compose/src/index.js';
import type { DeploySpec } from './types.js';

type Files = Pick<DeploySpec, 'composeText' | 'composeMore'>;

/** A deploy's compose files in order: the first, then `compose-file`'s further ones. */
export function composeFiles(d: Files): string[] {
  return [d.composeText, ...(d.composeMore ?? [])];
}

/** The compose files of a deploy as one text for the config hash (the first file alone hashes as before). */
export function composeTexts(d: Files): string {
  return composeFiles(d).join('\0');
}

let last: { key: string; info: ComposeFileInfo } | undefined;

/**
 * What a deploy's compose files declare (services, images, volumes, accessory candidates). The input reader,
 * the engine's start and the prepare phase all ask; the files are parsed once per text.
 */
export function composeInfo(d: Files): ComposeFileInfo {
  const key = composeTexts(d);
  if (last?.key !== key) last = { key, info: parseComposeFiles(composeFiles(d)) };
  return last.info;
}

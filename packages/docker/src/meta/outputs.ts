import { INPUTS } from '../../../manifest/src/index.js';
import type { Meta } from './compute.js';

/**
 * metadata-action's outputs in its shapes: `labels`/`annotations` as lines, `json`, and the bake
 * definitions (`bake-file-tags`, `-labels`, `-annotations`, and the combined `bake-file`).
 */
export const DEFAULT_BAKE_TARGET: string = INPUTS['build-image']['bake-target'].default;

/** `key=value` lines into an object (a later key wins). */
export function linesToRecord(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const m = /([^=]*)=(.*)/s.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Annotations with their levels (`manifest:key=value`); levels from DOCKER_METADATA_ANNOTATIONS_LEVELS. */
export function annotationsAt(meta: Meta, levels: string[]): string[] {
  return levels.flatMap((level) => meta.annotations.map((a) => `${level}:${a}`));
}

export function parseLevels(env: string | undefined): string[] {
  return (env || 'manifest').split(',');
}

export function metaJson(meta: Meta, levels: string[]) {
  return {
    tags: meta.tags,
    'tag-names': meta.tagNames,
    labels: linesToRecord(meta.labels),
    annotations: annotationsAt(meta, levels)
  };
}

export type BakeKind = 'tags' | 'labels' | 'annotations' | 'all';

/** The bake definition `{ target: { <target>: … } }` of one kind. */
export function bakeDefinition(meta: Meta, kind: BakeKind, levels: string[], target = DEFAULT_BAKE_TARGET) {
  const args = {
    DOCKER_META_IMAGES: meta.images.join(','),
    ...(meta.versionInfo.main !== undefined ? { DOCKER_META_VERSION: meta.versionInfo.main } : {})
  };
  const body =
    kind === 'tags'
      ? { tags: meta.tags, args }
      : kind === 'labels'
        ? { labels: linesToRecord(meta.labels) }
        : kind === 'annotations'
          ? { annotations: annotationsAt(meta, levels) }
          : { tags: meta.tags, labels: linesToRecord(meta.labels), args };
  return { target: { [target]: body } };
}

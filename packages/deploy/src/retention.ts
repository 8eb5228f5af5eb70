import type { HostState, ReleaseRecord } from './types.js';

export interface PrunePlan {
  /** Release ids whose directories go. */
  drop: string[];
  /** Images only those releases used (`repo@sha256:…`, as their records name them). */
  images: string[];
  /**
   * Per dropped image, the reference its release pulled it by (a tag), when that differs from the digest:
   * removing the digest alone only untags an image its tag still holds (docker image rm by digest).
   */
  tags: Record<string, string>;
}

/**
 * Keep the newest `keep` releases, the one activated and the one it replaced; the rest go with the images
 * no kept release references (a container still using one keeps it: docker refuses). Pure.
 */
export function prunePlan(known: HostState, activated: ReleaseRecord, keep: number): PrunePlan {
  const all = [...known.releases.filter((r) => r.id !== activated.id), activated].sort((a, b) =>
    a.id.localeCompare(b.id)
  );
  if (keep <= 0 || all.length <= keep) return { drop: [], images: [], tags: {} };
  const protect = new Set([activated.id, activated.previous].filter(Boolean) as string[]);
  for (const r of all.slice(-keep)) protect.add(r.id);
  const drop = all.filter((r) => !protect.has(r.id));
  const kept = new Set(all.filter((r) => protect.has(r.id)).flatMap((r) => Object.values(r.digests)));
  const images = [...new Set(drop.flatMap((r) => Object.values(r.digests)))].filter((i) => !kept.has(i));
  const tags: Record<string, string> = {};
  for (const r of drop)
    for (const [service, digest] of Object.entries(r.digests)) {
      const ref = r.images[service];
      if (images.includes(digest) && ref && ref !== digest && !ref.includes('@')) tags[digest] ??= ref;
    }
  return { drop: drop.map((r) => r.id), images, tags };
}

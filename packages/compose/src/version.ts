import type { ComposeFileInfo } from './file.js';
import type { ComposeTool } from './argv.js';

/**
 * Compose versions as numbers. Only major.minor.patch count: distributions append their own revision
 * (Debian's plugin prints `2.26.1-4`), which semver would read as a prerelease of 2.26.1, i.e. older than it.
 */
export type ComposeVersion = readonly [number, number, number];

/** `2.26.1-4`, `v2.29.1`, `1.29.2` → [major, minor, patch]; undefined when it does not start with three numbers. */
export function composeVersion(text: string): ComposeVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Negative when a < b, 0 when equal (revisions ignored), positive when a > b. An unreadable version is oldest. */
export function compareComposeVersions(a: string, b: string): number {
  const x = composeVersion(a);
  const y = composeVersion(b);
  if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** `tool` is at least `min` (major.minor.patch). */
export function composeAtLeast(tool: ComposeTool, min: string): boolean {
  return compareComposeVersions(tool.version, min) >= 0;
}

/** A Compose feature a deploy can rely on, and the first v2 release that has it (v1 has none of them). */
export interface ComposeFeature {
  name: string;
  /** What in the files uses it, for the message. */
  what: string;
  /** The first Compose v2 version that knows it. */
  since: string;
}

export const COMPOSE_FEATURES = {
  include: { name: 'include', what: 'the top-level `include:`', since: '2.20.0' }
} as const satisfies Record<string, ComposeFeature>;

/** The features `info` relies on. */
export function featuresUsed(info: Pick<ComposeFileInfo, 'include'>): ComposeFeature[] {
  return info.include ? [COMPOSE_FEATURES.include] : [];
}

/** A feature in use that `tool` is too old for: the feature, the version found and the one needed. */
export interface ComposeTooOld {
  feature: ComposeFeature;
  found: string;
  needed: string;
}

/** The first feature in `features` that `tool` cannot run; undefined when it runs them all. Pure. */
export function composeTooOld(
  tool: ComposeTool,
  features: readonly ComposeFeature[]
): ComposeTooOld | undefined {
  const found = `${tool.generation === 'v2' ? 'docker compose' : 'docker-compose'} ${tool.version}`;
  for (const feature of features)
    if (tool.generation === 'v1' || !composeAtLeast(tool, feature.since))
      return { feature, found, needed: `docker compose ${feature.since} or later (the Compose v2 plugin)` };
  return undefined;
}

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

/** An action.yml, read as the runner reads it (the files are generated from manifest.yml, the one declaration). */
export interface ActionInput {
  description: string;
  required: boolean;
  default: string | undefined;
  deprecationMessage?: string;
}

export interface ActionMetadata {
  /** Folder name: the `<name>` in `org/deploy-actions/<name>@v1`. */
  id: string;
  dir: string;
  name: string;
  description: string;
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string; pre?: string; post?: string; 'post-if'?: string };
  branding?: { icon?: string; color?: string };
}

export function loadActionMetadata(actionDir: string): ActionMetadata {
  const dir = resolve(actionDir);
  const file = join(dir, 'action.yml');
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const rawInputs = (doc.inputs ?? {}) as Record<string, Record<string, unknown>>;
  const inputs: Record<string, ActionInput> = {};
  for (const [name, spec] of Object.entries(rawInputs)) {
    inputs[name] = {
      description: String(spec?.description ?? ''),
      required: spec?.required === true || spec?.required === 'true',
      default: spec?.default === undefined || spec?.default === null ? undefined : String(spec.default),
      ...(spec?.deprecationMessage ? { deprecationMessage: String(spec.deprecationMessage) } : {})
    };
  }
  const rawOutputs = (doc.outputs ?? {}) as Record<string, Record<string, unknown>>;
  const outputs: Record<string, { description: string }> = {};
  for (const [name, spec] of Object.entries(rawOutputs))
    outputs[name] = { description: String(spec?.description ?? '') };
  return {
    id: dir.split('/').pop()!,
    dir,
    name: String(doc.name ?? ''),
    description: String(doc.description ?? ''),
    inputs,
    outputs,
    runs: doc.runs as ActionMetadata['runs'],
    ...(doc.branding ? { branding: doc.branding as ActionMetadata['branding'] } : {})
  };
}

/** The repository root: the folder holding package.json above this file (source or bundle). */
export function repoRoot(from: string): string {
  let dir = from;
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'deploy-actions') return dir;
    } catch {
      /* keep climbing */
    }
    dir = dirname(dir);
  }
  throw new Error(`cannot find the deploy-actions repository above ${from}`);
}

/**
 * The names of the actions: the chain's, in order (scan-gate among them), then anonymize-data, which fills
 * staging, and delivery-report, which measures the chain from the hosts' records.
 */
export const ACTIONS = [
  'tag-release',
  'build-image',
  'publish-registry',
  'scan-gate',
  'run-migrations',
  'deploy-compose',
  'health-gate',
  'rollback',
  'anonymize-data',
  'delivery-report'
] as const;
export type ActionName = (typeof ACTIONS)[number];

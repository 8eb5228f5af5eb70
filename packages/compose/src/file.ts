import { parse } from 'yaml';
import { InputError } from '../../core/src/index.js';

/** What the deploy needs to know about a compose file, read without running anything. */
export interface ComposeFileInfo {
  services: string[];
  /** service → its `image:` (absent when the service only has `build:`). */
  images: Record<string, string | undefined>;
  /** Services that set `container_name` (they cannot run twice side by side). */
  containerNames: string[];
  /** Services that publish host ports (`ports:`). */
  publishing: string[];
  /** Services with a `build:` section. */
  building: string[];
  /** Top-level named volumes compose would name per project (no `name:`, not `external`). */
  volumes: string[];
}

/** A compose file as a document: a mapping whose `services:` maps each name to a mapping of settings. */
export interface ComposeDocument {
  root: Record<string, unknown>;
  services: Record<string, Record<string, unknown>>;
}

/** Parse and check the shape every reader of a compose file relies on; bad input names `input` and the fix. */
export function parseComposeDocument(text: string, input = 'compose-file'): ComposeDocument {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new InputError(
      input,
      `is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
      'fix the syntax'
    );
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new InputError(input, 'is not a mapping', 'write a compose file with a top-level `services:`');
  const services = (doc as Record<string, unknown>).services;
  if (
    !services ||
    typeof services !== 'object' ||
    Array.isArray(services) ||
    Object.keys(services).length === 0
  )
    throw new InputError(input, 'defines no services', 'add a `services:` mapping with at least one service');
  for (const [name, raw] of Object.entries(services as Record<string, unknown>))
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw new InputError(input, `service "${name}" is not a mapping`, 'give each service its settings');
  return {
    root: doc as Record<string, unknown>,
    services: services as Record<string, Record<string, unknown>>
  };
}

export function parseComposeFile(text: string, input = 'compose-file'): ComposeFileInfo {
  const { root, services } = parseComposeDocument(text, input);
  const info: ComposeFileInfo = {
    services: [],
    images: {},
    containerNames: [],
    publishing: [],
    building: [],
    volumes: []
  };
  const volumes = root.volumes;
  if (volumes && typeof volumes === 'object' && !Array.isArray(volumes))
    for (const [name, raw] of Object.entries(volumes as Record<string, unknown>)) {
      const v = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
      if (v.name === undefined && !v.external) info.volumes.push(name);
    }
  for (const [name, svc] of Object.entries(services)) {
    info.services.push(name);
    info.images[name] = typeof svc.image === 'string' ? svc.image : undefined;
    if (svc.container_name !== undefined) info.containerNames.push(name);
    if (svc.ports !== undefined) info.publishing.push(name);
    if (svc.build !== undefined) info.building.push(name);
  }
  return info;
}

/** A compose override that pins each service's image (by digest when known). */
export function imagesOverride(images: Readonly<Record<string, string>>): string {
  const lines = ['# written by deploy-actions: the images of this release', 'services:'];
  for (const [service, ref] of Object.entries(images))
    lines.push(`  ${JSON.stringify(service)}:`, `    image: ${JSON.stringify(ref)}`);
  return lines.join('\n') + '\n';
}

/**
 * A compose override that pins each named volume's name, so every release and both slots (their own compose
 * projects) share the same volume: `<base>_<volume>`, the name the app's own project would give it.
 */
export function volumesOverride(info: Pick<ComposeFileInfo, 'volumes'>, base: string): string | undefined {
  if (info.volumes.length === 0) return undefined;
  const lines = ['# written by deploy-actions: named volumes shared by every release and slot', 'volumes:'];
  for (const v of info.volumes)
    lines.push(`  ${JSON.stringify(v)}:`, `    name: ${JSON.stringify(`${base}_${v}`)}`);
  return lines.join('\n') + '\n';
}

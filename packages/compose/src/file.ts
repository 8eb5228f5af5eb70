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
  /** service → its `network_mode` (absent: compose's default network). */
  networkModes: Record<string, string | undefined>;
  /** A file uses Compose's top-level `include:` (compose v2.20+ only). */
  include: boolean;
  /** service → the services its `depends_on` names (list or mapping form). */
  dependsOn: Record<string, string[]>;
}

/** A compose file as a document: a mapping whose `services:` maps each name to a mapping of settings. */
export interface ComposeDocument {
  root: Record<string, unknown>;
  services: Record<string, Record<string, unknown>>;
}

/** Parse and check the shape every reader of a compose file relies on; bad input names `input` and the fix. */
export function parseComposeDocument(
  text: string,
  input = 'compose-file',
  o: { override?: boolean } = {}
): ComposeDocument {
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
  const services = (doc as Record<string, unknown>).services ?? (o.override ? {} : undefined);
  if (o.override && services && typeof services === 'object' && !Array.isArray(services))
    return docOf(doc as Record<string, unknown>, services as Record<string, unknown>, input);
  if (
    !services ||
    typeof services !== 'object' ||
    Array.isArray(services) ||
    Object.keys(services).length === 0
  )
    throw new InputError(input, 'defines no services', 'add a `services:` mapping with at least one service');
  return docOf(doc as Record<string, unknown>, services as Record<string, unknown>, input);
}

function docOf(
  root: Record<string, unknown>,
  services: Record<string, unknown>,
  input: string
): ComposeDocument {
  for (const [name, raw] of Object.entries(services))
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw new InputError(input, `service "${name}" is not a mapping`, 'give each service its settings');
  return { root, services: services as Record<string, Record<string, unknown>> };
}

export function parseComposeFile(text: string, input = 'compose-file'): ComposeFileInfo {
  return parseComposeFiles([text], input);
}

/**
 * The runner's view of compose files given in order (`-f a -f b`), for the checks made before any host is
 * touched: each file's own services and top-level volumes, a later file's settings over an earlier one's.
 * It resolves nothing: `include`, `extends`, `profiles` and interpolation are resolved by the host's compose
 * (the prepare phase runs `config` there with every file), never here.
 */
export function parseComposeFiles(texts: readonly string[], input = 'compose-file'): ComposeFileInfo {
  const info: ComposeFileInfo = {
    services: [],
    images: {},
    containerNames: [],
    publishing: [],
    building: [],
    volumes: [],
    networkModes: {},
    include: false,
    dependsOn: {}
  };
  const volumes = new Map<string, boolean>();
  texts.forEach((text, i) => {
    // A file that includes others may define no services of its own.
    const { root, services } = parseComposeDocument(text, input, {
      override: i > 0 || /^include\s*:/m.test(text)
    });
    if (root.include !== undefined) info.include = true;
    const vols = root.volumes;
    if (vols && typeof vols === 'object' && !Array.isArray(vols))
      for (const [name, raw] of Object.entries(vols as Record<string, unknown>)) {
        const v = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
        volumes.set(name, v.name === undefined && !v.external);
      }
    for (const [name, svc] of Object.entries(services)) {
      if (!info.services.includes(name)) info.services.push(name);
      if (typeof svc.image === 'string' || !(name in info.images))
        info.images[name] = typeof svc.image === 'string' ? svc.image : undefined;
      if (typeof svc.network_mode === 'string' || !(name in info.networkModes))
        info.networkModes[name] = typeof svc.network_mode === 'string' ? svc.network_mode : undefined;
      const add = (list: string[]) => list.includes(name) || list.push(name);
      if (svc.container_name !== undefined) add(info.containerNames);
      if (svc.ports !== undefined) add(info.publishing);
      if (svc.build !== undefined) add(info.building);
      const deps = Array.isArray(svc.depends_on)
        ? svc.depends_on.map(String)
        : svc.depends_on && typeof svc.depends_on === 'object'
          ? Object.keys(svc.depends_on)
          : [];
      if (deps.length) info.dependsOn[name] = [...new Set([...(info.dependsOn[name] ?? []), ...deps])];
    }
  });
  if (info.services.length === 0 && !info.include)
    throw new InputError(input, 'defines no services', 'add a `services:` mapping with at least one service');
  info.volumes = [...volumes].filter(([, own]) => own).map(([name]) => name);
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

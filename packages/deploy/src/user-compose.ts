import { posix } from 'node:path';
import { isMap, isNode, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';
import { InputError } from '../../core/src/index.js';
import { parseComposeDocument } from '../../compose/src/index.js';

/**
 * Compose files as users write them (docker/awesome-compose): a bridge network, `ports:` on the web service,
 * `container_name`, relative bind mounts, `secrets:`/`configs:` from files, `depends_on` with conditions. This
 * module reads the files on the runner and plans what the release's copy must say so that two releases can run
 * side by side and every release and rollback finds the same data:
 *
 * - the web service (the `web-service` input, else the only slotted service with `ports:`) is published on
 *   `127.0.0.1:${PORT}:<container port>` in each slot, where the proxy's upstream points; every other host
 *   port of a slotted service is dropped, and so is its `container_name`;
 * - a relative bind source that exists next to the first compose file is config: it ships with the release;
 *   an absent one is data: it lives in `<state-dir>/<app>/<environment>/data/<path>` (`../../data/<path>` from
 *   the release directory), shared by every release and rollback;
 * - networks an accessory is on are pinned to one name per app and environment (external, created by the
 *   deploy), so slots and accessories meet; a network only slotted services share stays per slot, so a slot's
 *   proxy never resolves the other slot's backend;
 * - a slotted service that waits for an accessory's health (`condition: service_healthy`) gets that wait before
 *   its slot starts (slots start with `--no-deps`).
 *
 * Compose v1 and v2 before 2.24 cannot drop a key through an override file, so the release's copy of each file
 * is rewritten (with the yaml library's document model, comments kept) and the user's original kept beside it.
 * Pure: the runner's file system is asked only through `exists`.
 */

export interface UserComposeOptions {
  app: string;
  /** The environment's slug (paths, project and network names). */
  environment: string;
  /** Slot strategies run two releases side by side: ports and container names are rewritten. */
  slotted: boolean;
  accessories: readonly string[];
  webService?: string;
  appPort?: number;
  /** Relative bind sources that are data even when they exist on the runner (`data-paths`). */
  dataPaths: readonly string[];
  portVar: string;
  /** Does `path` (relative to the first compose file's directory, normalised) exist on the runner? */
  exists(path: string): boolean;
}

export interface RelativeBind {
  service: string;
  /** As written in the file. */
  source: string;
  /** Normalised, relative to the first compose file's directory (`data`, `proxy/nginx.conf`, `.`). */
  path: string;
  target: string;
  class: 'config' | 'data';
}

/** A file the release ships beside its compose files: config binds, secrets and configs (0644), env files (0600). */
export interface ShippedPath {
  path: string;
  kind: 'bind' | 'secret' | 'config' | 'env_file';
  mode: 'public' | 'private';
}

export interface UserComposePlan {
  /** The release's compose files, rewritten where needed (same order and count as given). */
  texts: string[];
  changed: boolean;
  web?: { service: string; containerPort: number; how: 'web-service' | 'ports' | 'app-port' };
  droppedPorts: { service: string; mapping: string }[];
  droppedNames: { service: string; name: string }[];
  binds: RelativeBind[];
  ship: ShippedPath[];
  /** Data paths (normalised, relative): `<root>/data/<path>` on the host. */
  data: string[];
  /** Declared networks pinned to one name per app and environment (created by the deploy, external to compose). */
  networks: { key: string; name: string; driver?: string }[];
  /** Accessories the slots wait for (healthy) before they start. */
  awaitHealthy: string[];
  warnings: string[];
}

/** Images that hold a database's files: a slotted copy would run twice on one data directory. */
const DATABASE_IMAGE = /^(?:[^/]+\/)*(postgres|mysql|mariadb|mongo|redis)(?:[:@]|$)/;

/** Files the release directory holds itself: a shipped path never overwrites them. */
const OWN_FILE = /^(?:compose(?:\.[\w-]+)*\.yml|\.env|release\.json)$/;

interface Merged {
  image?: string;
  networkMode?: string;
  ports: unknown[];
  volumes: unknown[];
  networks: string[];
  dependsHealthy: string[];
  dependsOn: string[];
  containerName?: string;
  envFiles: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** The services as compose merges them across `-f` files, for what this module asks (not a full merge). */
function mergeServices(docs: readonly Obj[]): Map<string, Merged> {
  const out = new Map<string, Merged>();
  for (const root of docs) {
    const services = isObj(root.services) ? root.services : {};
    for (const [name, raw] of Object.entries(services)) {
      if (!isObj(raw)) continue;
      const m = out.get(name) ?? {
        ports: [],
        volumes: [],
        networks: [],
        dependsHealthy: [],
        dependsOn: [],
        envFiles: []
      };
      if (typeof raw.image === 'string') m.image = raw.image;
      if (typeof raw.network_mode === 'string') m.networkMode = raw.network_mode;
      if (Array.isArray(raw.ports)) m.ports.push(...(raw.ports as unknown[]));
      if (Array.isArray(raw.volumes)) m.volumes.push(...(raw.volumes as unknown[]));
      if (raw.container_name !== undefined) m.containerName = String(raw.container_name);
      if (Array.isArray(raw.networks)) m.networks.push(...raw.networks.map(String));
      else if (isObj(raw.networks)) m.networks.push(...Object.keys(raw.networks));
      if (Array.isArray(raw.depends_on)) m.dependsOn.push(...raw.depends_on.map(String));
      else if (isObj(raw.depends_on))
        for (const [dep, cond] of Object.entries(raw.depends_on)) {
          m.dependsOn.push(dep);
          if (isObj(cond) && cond.condition === 'service_healthy') m.dependsHealthy.push(dep);
        }
      const ef = raw.env_file;
      for (const e of Array.isArray(ef) ? ef : ef === undefined ? [] : [ef]) {
        const p = typeof e === 'string' ? e : isObj(e) && typeof e.path === 'string' ? e.path : undefined;
        if (p) m.envFiles.push(p);
      }
      out.set(name, m);
    }
  }
  return out;
}

export interface PortMapping {
  /** The container port, when it is one number (not a range or a variable). */
  containerPort?: number;
  protocol: string;
  range: boolean;
  text: string;
}

/** One entry of `ports:`, short (`127.0.0.1:8080:80/tcp`, `80`) or long (`{target: 80, published: 8080}`). */
export function parsePortMapping(entry: unknown): PortMapping {
  if (typeof entry === 'number')
    return { containerPort: entry, protocol: 'tcp', range: false, text: String(entry) };
  if (isObj(entry)) {
    const target = Number(entry.target);
    const protocol = typeof entry.protocol === 'string' ? entry.protocol : 'tcp';
    const text = `${entry.host_ip ? `${String(entry.host_ip)}:` : ''}${entry.published ?? ''}${entry.published !== undefined ? ':' : ''}${String(entry.target)}/${protocol}`;
    const range = /-/.test(String(entry.target ?? ''));
    return {
      ...(Number.isInteger(target) && target > 0 ? { containerPort: target } : {}),
      protocol,
      range,
      text
    };
  }
  const text = String(entry);
  const [spec = '', protocol = 'tcp'] = text.split('/');
  const container = spec.slice(spec.lastIndexOf(':') + 1);
  const range = container.includes('-') || /:\d+-\d+:/.test(`:${spec}`);
  const n = /^\d+$/.test(container) ? Number(container) : undefined;
  return { ...(n ? { containerPort: n } : {}), protocol, range, text };
}

function normalise(source: string): string {
  return posix.normalize(source).replace(/\/+$/, '') || '.';
}

function isRelative(source: string): boolean {
  return source === '.' || source === '..' || source.startsWith('./') || source.startsWith('../');
}

/** `./x:/y[:ro]` or `{type: bind, source: ./x, target: /y}`: the relative bind source, or undefined. */
function relativeSource(v: unknown): { source: string; target: string } | undefined {
  if (typeof v === 'string') {
    const [source = '', target = ''] = v.split(':');
    return isRelative(source) ? { source, target } : undefined;
  }
  if (isObj(v) && (v.type === 'bind' || v.type === undefined) && typeof v.source === 'string')
    return isRelative(v.source) ? { source: v.source, target: String(v.target ?? '') } : undefined;
  return undefined;
}

function namedVolume(v: unknown): boolean {
  if (typeof v === 'string') {
    const parts = v.split(':');
    return (
      parts.length > 1 &&
      !!parts[0] &&
      !parts[0].startsWith('/') &&
      !parts[0].startsWith('.') &&
      !parts[0].startsWith('~')
    );
  }
  return isObj(v) && v.type === 'volume' && typeof v.source === 'string';
}

function refuse(input: string, what: string, fix: string): never {
  throw new InputError(input, what, fix);
}

/** The web service and its container port (slot strategies). */
function chooseWeb(
  o: UserComposeOptions,
  services: Map<string, Merged>,
  slottedNames: string[]
): UserComposePlan['web'] {
  if (o.webService) {
    if (!services.has(o.webService))
      refuse(
        'web-service',
        `"${o.webService}" is not a service of compose-file (its services: ${[...services.keys()].join(', ')})`,
        'name the service users reach'
      );
    if (o.accessories.includes(o.webService))
      refuse(
        'web-service',
        `"${o.webService}" is an accessory: it runs once, not in the slots the proxy switches between`,
        `remove ${o.webService} from \`accessories\``
      );
  }
  const candidates = slottedNames.filter((s) => services.get(s)!.ports.length > 0);
  if (!o.webService && candidates.length > 1)
    refuse(
      'web-service',
      `is needed: services ${candidates.join(', ')} all publish ports, and only one can be behind the proxy`,
      `set \`web-service: ${candidates[candidates.length - 1]}\` (the one users reach); the others' host ports are dropped in the slots`
    );
  const name = o.webService ?? candidates[0];
  if (!name) {
    // Host networking (the app listens on ${PORT} itself) needs no mapping.
    const bridged = slottedNames.filter((s) => services.get(s)!.networkMode === undefined);
    if (!bridged.length || o.appPort === undefined) {
      if (bridged.length && slottedNames.every((s) => services.get(s)!.networkMode !== 'host'))
        refuse(
          'compose-file',
          `service ${bridged.join(', ')} is on a bridge network and publishes no port, so the proxy has nothing to reach in a slot`,
          bridged.length === 1
            ? `add \`ports: ["8080"]\` (its container port) to service ${bridged[0]}, or set \`app-port: 8080\``
            : `set \`web-service: <the one users reach>\` and \`app-port: <its container port>\``
        );
      return undefined;
    }
    if (bridged.length > 1)
      refuse(
        'web-service',
        `is needed with app-port: services ${bridged.join(', ')} publish no port`,
        `set \`web-service: ${bridged[0]}\``
      );
    return { service: bridged[0]!, containerPort: o.appPort, how: 'app-port' };
  }
  const svc = services.get(name)!;
  if (svc.networkMode === 'host') return undefined;
  if (o.appPort !== undefined) return { service: name, containerPort: o.appPort, how: 'app-port' };
  const maps = svc.ports.map(parsePortMapping);
  const tcp = maps.filter((m) => m.protocol === 'tcp');
  const only = tcp[0];
  if (
    maps.length === 0 ||
    maps.some((m) => m.range || m.protocol !== 'tcp') ||
    tcp.length > 1 ||
    !only?.containerPort
  )
    refuse(
      'app-port',
      `is needed: the ports of service ${name} (${maps.map((m) => m.text).join(', ') || 'none'}) do not name one TCP container port`,
      `set \`app-port: <the container port users reach>\``
    );
  return { service: name, containerPort: only.containerPort, how: o.webService ? 'web-service' : 'ports' };
}

/** Plan the release's copy of the compose files (see the module comment). Throws InputError naming the input. */
export function planUserCompose(texts: readonly string[], o: UserComposeOptions): UserComposePlan {
  const docs = texts.map((t) => parseDocument(t));
  const roots = texts.map(
    (t, i) => parseComposeDocument(t, 'compose-file', { override: i > 0 || /^include\s*:/m.test(t) }).root
  );
  const services = mergeServices(roots);
  const slottedNames = [...services.keys()].filter((s) => !o.accessories.includes(s));
  const plan: UserComposePlan = {
    texts: [...texts],
    changed: false,
    droppedPorts: [],
    droppedNames: [],
    binds: [],
    ship: [],
    data: [],
    networks: [],
    awaitHealthy: [],
    warnings: []
  };
  const dataPaths = new Set(o.dataPaths.map(normalise));
  if (o.slotted) {
    for (const s of slottedNames) {
      const image = services.get(s)!.image;
      if (image && DATABASE_IMAGE.test(image))
        refuse(
          'accessories',
          `service ${s} runs ${image}, a database: in a slot it would run twice during a switch, on one data directory`,
          `add \`${s}\` to \`accessories\` (it then runs once, beside the slots)`
        );
    }
    plan.web = chooseWeb(o, services, slottedNames);
  }
  // Relative binds of every service, classed once per path.
  const classOf = new Map<string, RelativeBind['class']>();
  for (const [service, m] of services)
    for (const v of m.volumes) {
      const rel = relativeSource(v);
      if (!rel) continue;
      const path = normalise(rel.source);
      if (path === '..' || path.startsWith('../'))
        refuse(
          'compose-file',
          `service ${service} binds ${rel.source}, outside the compose file's directory`,
          'move it under the directory of the first compose file, or give an absolute path on the host'
        );
      const cls = classOf.get(path) ?? (!dataPaths.has(path) && o.exists(path) ? 'config' : 'data');
      classOf.set(path, cls);
      plan.binds.push({ service, source: rel.source, path, target: rel.target, class: cls });
    }
  for (const p of dataPaths)
    if (!classOf.has(p))
      refuse(
        'data-paths',
        `names ${p}, which no service binds (relative binds: ${[...classOf.keys()].join(', ') || 'none'})`,
        'list relative bind sources as the compose file writes them, e.g. `./data`'
      );
  for (const [path, cls] of classOf) {
    if (cls === 'data') plan.data.push(path);
    else plan.ship.push({ path, kind: 'bind', mode: 'public' });
  }
  // secrets: and configs: from files; env_file: paths (the deploy's own .env excepted).
  for (const kind of ['secrets', 'configs'] as const)
    for (const root of roots) {
      const decl = root[kind];
      if (!isObj(decl)) continue;
      for (const [key, raw] of Object.entries(decl)) {
        if (!isObj(raw) || typeof raw.file !== 'string' || raw.file.startsWith('/')) continue;
        const path = normalise(raw.file);
        if (!o.exists(path))
          refuse(
            'compose-file',
            `${kind.slice(0, -1)} ${key} reads ${raw.file}, which does not exist next to the compose file`,
            `create ${raw.file} in an earlier step (e.g. from a GitHub secret), or give an absolute path on the host`
          );
        plan.ship.push({ path, kind: kind === 'secrets' ? 'secret' : 'config', mode: 'public' });
      }
    }
  for (const m of services.values())
    for (const e of m.envFiles) {
      const path = normalise(e);
      if (e.startsWith('/') || path === '.env' || !o.exists(path) || plan.ship.some((x) => x.path === path))
        continue;
      plan.ship.push({ path, kind: 'env_file', mode: 'private' });
    }
  plan.ship = plan.ship.filter((f) => !OWN_FILE.test(f.path) || f.path === '.');
  // Networks an accessory is on: one name per app and environment.
  const accNetworks = new Set(o.accessories.flatMap((a) => services.get(a)?.networks ?? []));
  for (const root of roots) {
    const decl = root.networks;
    if (!isObj(decl)) continue;
    for (const [key, raw] of Object.entries(decl)) {
      const n = isObj(raw) ? raw : {};
      if (
        !accNetworks.has(key) ||
        n.external ||
        n.name !== undefined ||
        plan.networks.some((x) => x.key === key)
      )
        continue;
      plan.networks.push({
        key,
        name: `${o.app}-${o.environment}_${key}`,
        ...(typeof n.driver === 'string' ? { driver: n.driver } : {})
      });
    }
  }
  // depends_on an accessory with condition service_healthy: waited for before the slot starts.
  for (const s of slottedNames)
    for (const dep of services.get(s)!.dependsHealthy)
      if (o.accessories.includes(dep) && !plan.awaitHealthy.includes(dep)) plan.awaitHealthy.push(dep);
  if (o.slotted)
    for (const s of slottedNames) {
      const m = services.get(s)!;
      const shared = [
        ...plan.binds.filter((b) => b.service === s && b.class === 'data').map((b) => b.source),
        ...m.volumes
          .filter(namedVolume)
          .map((v) => (typeof v === 'string' ? v.split(':')[0]! : String((v as Obj).source)))
      ];
      if (shared.length)
        plan.warnings.push(
          `service ${s} runs in both slots during a switch and both mount ${shared.join(', ')}: the old and the new release share that data while they overlap (make it an accessory if it must run once)`
        );
    }
  // The rewrite, file by file.
  docs.forEach((doc, i) => {
    if (rewrite(doc, i, o, plan, slottedNames)) {
      plan.texts[i] = doc.toString({ lineWidth: 0 });
      plan.changed = true;
    }
  });
  return plan;
}

function rewrite(
  doc: Document,
  i: number,
  o: UserComposeOptions,
  plan: UserComposePlan,
  slotted: string[]
): boolean {
  let changed = false;
  const services = doc.get('services');
  if (isMap(services)) {
    for (const s of slotted) {
      const svc = services.get(s);
      if (!isMap(svc)) continue;
      if (o.slotted) {
        const ports = svc.get('ports');
        if (ports !== undefined) {
          if (isSeq(ports))
            for (const p of ports.toJSON() as unknown[])
              plan.droppedPorts.push({ service: s, mapping: parsePortMapping(p).text });
          svc.delete('ports');
          changed = true;
        }
        const cn = svc.get('container_name');
        if (cn !== undefined) {
          plan.droppedNames.push({ service: s, name: String(cn) });
          svc.delete('container_name');
          changed = true;
        }
      }
      // Data binds point at the app's data directory, two levels above the release directory.
      changed = pointDataBinds(svc, plan) || changed;
    }
    // Accessories' data binds too (a database's `./data`), without touching their ports or names.
    for (const a of o.accessories) {
      const svc = services.get(a);
      if (isMap(svc)) changed = pointDataBinds(svc, plan) || changed;
    }
    // The web service's one mapping, in the first file that defines it.
    if (plan.web && i === firstDefining(doc, plan.web.service, i, plan)) {
      const web = services.get(plan.web.service);
      if (isMap(web)) {
        web.set('ports', doc.createNode([`127.0.0.1:\${${o.portVar}:-0}:${plan.web.containerPort}`]));
        changed = true;
      }
    }
  }
  const nets = doc.get('networks');
  if (isMap(nets))
    for (const n of plan.networks)
      if (nets.has(n.key)) {
        nets.set(n.key, doc.createNode({ name: n.name, external: true }));
        changed = true;
      }
  return changed;
}

/** Rewrite a service's data bind sources to `../../data/<path>`; true when one changed. */
function pointDataBinds(svc: YAMLMap, plan: UserComposePlan): boolean {
  const vols = svc.get('volumes');
  if (!isSeq(vols)) return false;
  let changed = false;
  vols.items.forEach((item, k) => {
    const v: unknown = isNode(item) ? item.toJSON() : item;
    const rel = relativeSource(v);
    if (!rel || !plan.data.includes(normalise(rel.source))) return;
    const to = `../../data/${normalise(rel.source)}`;
    if (typeof v === 'string') vols.set(k, [to, ...v.split(':').slice(1)].join(':'));
    else vols.setIn([k, 'source'], to);
    changed = true;
  });
  return changed;
}

const placed = new WeakMap<UserComposePlan, number>();
/** Index of the first file (in order) whose `services:` names the web service: where its mapping goes. */
function firstDefining(doc: Document, service: string, i: number, plan: UserComposePlan): number {
  const known = placed.get(plan);
  if (known !== undefined) return known;
  const services = doc.get('services');
  if (isMap(services) && services.has(service)) {
    placed.set(plan, i);
    return i;
  }
  return -1;
}

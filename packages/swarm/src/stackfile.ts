import { stringify } from 'yaml';
import { parseComposeDocument } from '../../compose/src/index.js';
import { InputError } from '../../core/src/index.js';

/**
 * Keys `docker stack deploy` drops with no more than a line on stderr (docker/cli's UnsupportedProperties
 * and DeprecatedProperties), and depends_on, which it ignores: a file that relies on them would deploy and
 * then behave differently from the same file under Compose. Each maps to the fix a Swarm user applies.
 */
const DROPPED: Record<string, string> = {
  build: 'build and push the image first (build-image), and keep only `image:`',
  cap_add: 'remove it: Swarm services cannot add capabilities through a stack file',
  cap_drop: 'remove it: Swarm services cannot drop capabilities through a stack file',
  cgroup_parent: 'remove it',
  container_name: 'remove it: Swarm names tasks itself (<stack>_<service>.<slot>)',
  depends_on: 'remove it and make the service retry its dependencies: Swarm starts services in any order',
  devices: 'remove it: Swarm services cannot map devices',
  domainname: 'remove it',
  expose: 'remove it: services on one network reach each other on any port',
  external_links: 'remove it and use a shared network',
  ipc: 'remove it',
  links: 'remove it: services on one network reach each other by service name',
  mac_address: 'remove it',
  pid: 'remove it',
  privileged: 'remove it: Swarm services cannot run privileged',
  restart: 'use `deploy.restart_policy` instead',
  security_opt: 'remove it',
  shm_size: 'remove it, or mount a tmpfs at /dev/shm',
  sysctls: 'remove it, or move to a Docker version whose stack deploy supports it',
  ulimits: 'remove it',
  userns_mode: 'remove it'
};

const HOST_NETWORK_FORM =
  'attach the service to the host network the Swarm way: `networks: [hostnet]` with a top-level `networks: {hostnet: {external: true, name: host}}`';

/** A stack to deploy: its services and pinned images, and the file as text (sent on stdin) or a path on the host. */
export interface StackSource {
  services: string[];
  /** service → the image reference the stack runs. */
  images: Record<string, string>;
  /** The stack file text, for `docker stack deploy -c -`. */
  text?: string;
  /** A stack file already on the manager (relative `env_file:` paths resolve beside it). */
  path?: string;
}

export interface StackFile extends StackSource {
  text: string;
}

/**
 * Check a compose file for Swarm and pin its images. Refuses, naming the input, the service and the fix:
 * `network_mode` (Swarm ignores it; the host network has its own form) and every key Swarm would drop.
 * `images` (service → reference, by digest where known) replaces the services' `image:`; a service with
 * neither its own image nor a pinned one is refused. A file without `version:` gets "3.8", which every
 * `docker stack deploy` since 19.03 reads.
 */
export function swarmStackFile(
  text: string,
  images: Readonly<Record<string, string>>,
  input = 'compose-file'
): StackFile {
  const { root, services } = parseComposeDocument(text, input);
  for (const key of ['include', 'extends'])
    if (key in root)
      throw new InputError(
        input,
        `uses top-level \`${key}\`, which docker stack deploy does not resolve`,
        'flatten the file first (docker compose config) and deploy the result'
      );

  const pinned: Record<string, string> = {};
  for (const [name, svc] of Object.entries(services)) {
    if ('network_mode' in svc)
      throw new InputError(
        input,
        `service "${name}" sets network_mode: ${String(svc.network_mode)}, which Swarm ignores`,
        HOST_NETWORK_FORM
      );
    if ('extends' in svc)
      throw new InputError(
        input,
        `service "${name}" uses extends, which docker stack deploy refuses`,
        'flatten the file first (docker compose config) and deploy the result'
      );
    const dropped = Object.keys(svc).filter((k) => k in DROPPED);
    if (dropped.length)
      throw new InputError(
        input,
        `service "${name}" sets ${dropped.map((k) => `\`${k}\``).join(', ')}, which docker stack deploy would silently drop`,
        dropped.map((k) => `${k}: ${DROPPED[k]}`).join('; ')
      );
    const image = images[name] ?? (typeof svc.image === 'string' ? svc.image : undefined);
    if (!image)
      throw new InputError(
        input,
        `service "${name}" has no image`,
        'set `image:` or pass the image to deploy'
      );
    svc.image = image;
    pinned[name] = image;
  }
  for (const name of Object.keys(images))
    if (!(name in services))
      throw new InputError(
        'images',
        `names service "${name}", which the compose file does not define`,
        'use one of: ' + Object.keys(services).join(', ')
      );
  if (root.version === undefined) root.version = '3.8';
  // version first, as people write it.
  const ordered = { version: root.version, ...root };
  return { text: stringify(ordered, { lineWidth: 0 }), services: Object.keys(pinned), images: pinned };
}

import { join } from 'node:path/posix';

/**
 * The front door's files on a host, the one place these paths are named:
 *
 *   <state-dir>/front-door/
 *     nginx.conf          the host-wide config: the default server, then `include sites/*.conf`
 *     sites/<key>.conf    one app and environment: its host names, upstream (the active slot), TLS, maintenance
 *     owner, owner.conf   who runs this front door (`<user> <state-dir>`), and the probe answer that says so
 *     tls/<key>.crt|.key  a user-supplied certificate and key (0600)
 *     lock                flock(1) file: one front-door change at a time, host-wide
 *     start.sh            starts it at boot (the deploy user's crontab @reboot line)
 *     nginx.pid, error.log, access.log, tmp/
 *
 * `<key>` is `<app>--<environment slug>`.
 */
export interface FrontDoorLayout {
  root: string;
  conf: string;
  sites: string;
  tls: string;
  lock: string;
  pid: string;
  owner: string;
}

export const FRONT_DOOR_DIR = 'front-door';

export function frontDoorLayout(stateDir: string): FrontDoorLayout {
  const root = join(stateDir, FRONT_DOOR_DIR);
  return {
    root,
    conf: join(root, 'nginx.conf'),
    sites: join(root, 'sites'),
    tls: join(root, 'tls'),
    lock: join(root, 'lock'),
    pid: join(root, 'nginx.pid'),
    owner: join(root, 'owner')
  };
}

/** The name of an app's site file (and TLS files) in the front door: `<app>--<environment slug>`. */
export function siteKey(app: string, environmentSlug: string): string {
  return `${app}--${environmentSlug}`;
}

export function sitePath(l: FrontDoorLayout, key: string): string {
  return join(l.sites, `${key}.conf`);
}

export function tlsPaths(l: FrontDoorLayout, key: string): { certificate: string; key: string } {
  return { certificate: join(l.tls, `${key}.crt`), key: join(l.tls, `${key}.key`) };
}

import { join } from 'node:path/posix';
import type { FrontDoorLayout } from './layout.js';
import {
  WEBSOCKET_MAP,
  forwardedMaps,
  listenAddress,
  proxyLocation,
  siteToken,
  tempPaths,
  type ForwardingOptions
} from './nginx.js';

/** What the host-wide config depends on; a deploy asking for other values is refused (apply.ts). */
export interface FrontDoorListen {
  bind: string;
  httpPort: number;
  httpsPort?: number;
}

/** The marker line the host script compares: every app on a host must agree on where the front door listens. */
export function listenSignature(l: FrontDoorListen): string {
  return `${l.bind} ${l.httpPort} ${l.httpsPort ?? '-'}`;
}

/** Where the host script probes a port's owner: the bind address, or loopback for a wildcard bind. */
export function probeAddress(l: FrontDoorListen): string {
  const a = l.bind === '0.0.0.0' ? '127.0.0.1' : l.bind === '::' ? '::1' : l.bind;
  return `${listenAddress(a)}:${l.httpPort}`;
}

/** The path at which a front door says who owns it (to loopback clients only). */
export const OWNER_PATH = '/.deploy-actions/front-door';

/**
 * The host-wide nginx.conf: logs, temp paths and the WebSocket map once, a default server that answers 404
 * to unknown host names (and tells a local deploy who owns this front door), then every app's site file.
 */
export function frontDoorConf(l: FrontDoorLayout, listen: FrontDoorListen, accessLog = true): string {
  const d = l.root;
  return `# written by deploy-actions: this host's front door; apps are sites/*.conf, changed under flock(lock)
# listen ${listenSignature(listen)}
worker_processes 1;
pid ${l.pid};
error_log ${join(d, 'error.log')} warn;
events { worker_connections 4096; }
http {
  log_format deploy_actions '$remote_addr - [$time_iso8601] "$request" $status $body_bytes_sent '
                            '"$http_referer" "$http_user_agent" host=$host upstream=$upstream_addr '
                            'rt=$request_time urt=$upstream_response_time xff="$http_x_forwarded_for"';
  ${accessLog ? `access_log ${join(d, 'access.log')} deploy_actions;` : 'access_log off;'}
${tempPaths(d)}  server_names_hash_bucket_size 128;
${WEBSOCKET_MAP}  server {
    listen ${listenAddress(listen.bind)}:${listen.httpPort} default_server;
    server_name _;
    location = ${OWNER_PATH} {
      allow 127.0.0.0/8;
      allow ::1;
      deny all;
      default_type text/plain;
      include owner.conf;
    }
    location / {
      default_type text/plain;
      return 404 "no app serves this host name here\\n";
    }
  }
  include sites/*.conf;
}
`;
}

export interface SiteOptions {
  /** `<app>/<environment>`, for the refusal that names the app holding a host name. */
  app: string;
  key: string;
  hostnames: readonly string[];
  listen: FrontDoorListen;
  /** The active slot's port (or the container's port under recreate). */
  port: number;
  release: string;
  forwarding: ForwardingOptions;
}

export const MAINTENANCE_PAGE =
  '<!doctype html><title>Down for maintenance</title><h1>Down for maintenance</h1><p>We will be back shortly.</p>';

/** `maint/<key>.conf`: what a paused app answers, at once, to every request (inside its `location /`). */
export function maintenanceConf(page: string = MAINTENANCE_PAGE): string {
  if (page.includes("'") || page.includes('\\'))
    throw new Error('maintenanceConf: the page may hold no quote or backslash');
  return `default_type text/html;
add_header Retry-After 60 always;
return 503 '${page}';
`;
}

/**
 * One app's site: `# host` lines (the host script refuses a name another site holds), its upstream (the
 * active slot) and server. Variables carry a per-site token, since every site shares one http block.
 */
export function siteConf(o: SiteOptions): string {
  const t = siteToken(o.key);
  const upstream = `fd_${t}`;
  const addr = listenAddress(o.listen.bind);
  const listens = [
    `    listen ${addr}:${o.listen.httpPort};`,
    // HTTPS when the front door holds a certificate for the app (tlsConf): kept across deploys and rollbacks,
    // since it belongs to the host names, not to a release. The bracket makes the include optional.
    `    include tls/${o.key}.ssl.con[f];`
  ];
  return `# written by deploy-actions
# app ${o.app}
${o.hostnames.map((h) => `# host ${h}`).join('\n')}
# release ${o.release}, port ${o.port}
upstream ${upstream} {
  server 127.0.0.1:${o.port};
}
${forwardedMaps(o.forwarding.trustedProxies, `_${t}`)}server {
${listens.join('\n')}
    server_name ${o.hostnames.join(' ')};
    client_max_body_size ${o.forwarding.maxBodySize};
    location / {
      # deploy-actions pause: a 503 page while the file exists (the bracket makes the include optional)
      include maint/${o.key}.con[f];
${proxyLocation(upstream, o.forwarding, `_${t}`)}    }
}
`;
}

/**
 * `tls/<key>.ssl.conf`, written beside the app's certificate and key. Paths are relative to the config's
 * directory, so \`nginx -t\` of a staged config reads the staged files.
 */
export function tlsConf(listen: FrontDoorListen, key: string): string {
  if (listen.httpsPort === undefined) throw new Error('tlsConf: the front door has no HTTPS port');
  return `listen ${listenAddress(listen.bind)}:${listen.httpsPort} ssl;
ssl_certificate tls/${key}.crt;
ssl_certificate_key tls/${key}.key;
`;
}

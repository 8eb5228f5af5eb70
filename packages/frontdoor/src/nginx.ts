import { createHash } from 'node:crypto';
import { join } from 'node:path/posix';

/**
 * nginx text shared by the per-app proxy (packages/deploy proxy.ts) and the front door: how forwarded headers
 * are trusted, how WebSocket upgrades pass, and the proxied location. One writer, so both speak the same way.
 */
export interface ForwardingOptions {
  /** Addresses or CIDRs of the front ends whose X-Forwarded-* headers are kept. */
  trustedProxies: string[];
  /** nginx `client_max_body_size`: `0` (no limit) or a size such as `100m`. */
  maxBodySize: string;
  /** How long nginx waits for the app between two reads or writes. */
  readTimeoutMs: number;
  /** Buffer the app's responses. */
  buffering: boolean;
}

function seconds(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

/** The temp paths of an nginx run from `dir` by a non-root user (the defaults are root's). */
export function tempPaths(dir: string): string {
  return `  client_body_temp_path ${join(dir, 'tmp', 'body')};
  proxy_temp_path ${join(dir, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'tmp', 'scgi')};
`;
}

/**
 * The geo and maps that pick X-Forwarded-* from the request only for a trusted front end. `suffix` keeps the
 * variables of several apps in one http block apart (the front door); the per-app proxy uses none.
 */
export function forwardedMaps(trustedProxies: readonly string[], suffix = ''): string {
  const v = (name: string) => `$da_${name}${suffix}`;
  const trusted = trustedProxies.map((t) => `    ${t} 1;\n`).join('');
  return `  # Front ends whose X-Forwarded-* headers are kept (proxy-trusted); everyone else gets them from the connection.
  geo ${v('trusted')} {
    default 0;
${trusted}  }
  map "${v('trusted')}:$http_x_forwarded_proto" ${v('proto')} {
    "~^1:(?<p>[A-Za-z]+)$" $p;
    default $scheme;
  }
  map "${v('trusted')}:$http_x_forwarded_host" ${v('host')} {
    "~^1:(?<h>.+)$" $h;
    default $http_host;
  }
  map "${v('trusted')}:$http_x_forwarded_port" ${v('port')} {
    "~^1:(?<n>[0-9]+)$" $n;
    default $server_port;
  }
  map ${v('trusted')} ${v('for')} {
    1 $proxy_add_x_forwarded_for;
    default $remote_addr;
  }
`;
}

/** Once per http block: pass Upgrade on, and keep the connection to the app open only for an upgrade. */
export const WEBSOCKET_MAP = `  # WebSocket: pass Upgrade on, and keep the connection to the app open only for an upgrade.
  map $http_upgrade $da_connection {
    default upgrade;
    "" "";
  }
`;

/** The directives of the proxied `location /` (indented for a location inside a server inside http). */
export function proxyLocation(upstream: string, o: ForwardingOptions, suffix = ''): string {
  const v = (name: string) => `$da_${name}${suffix}`;
  return `      proxy_pass http://${upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $da_connection;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For ${v('for')};
      proxy_set_header X-Forwarded-Proto ${v('proto')};
      proxy_set_header X-Forwarded-Host ${v('host')};
      proxy_set_header X-Forwarded-Port ${v('port')};
      proxy_buffering ${o.buffering ? 'on' : 'off'};
      proxy_next_upstream error timeout;
      proxy_connect_timeout 5s;
      proxy_read_timeout ${seconds(o.readTimeoutMs)};
      proxy_send_timeout ${seconds(o.readTimeoutMs)};
`;
}

/** `[::1]` for IPv6, the address otherwise, as `listen` takes it. */
export function listenAddress(bind: string): string {
  return bind.includes(':') ? `[${bind}]` : bind;
}

/** A short, stable token for an app and environment: nginx variable and upstream names. */
export function siteToken(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 10);
}

import { join } from 'node:path/posix';
import { isIP } from 'node:net';
import { InputError } from '../../core/src/index.js';

/**
 * The proxy that owns the public port for blue-green and rolling: one nginx per app and environment, run
 * from the app's state directory. Traffic moves by rewriting `upstream.conf` and a graceful reload.
 */
export interface ProxyFiles {
  prefix: string;
  conf: string;
  upstream: string;
  pid: string;
}

export function proxyFiles(proxyDir: string): ProxyFiles {
  return {
    prefix: proxyDir,
    conf: join(proxyDir, 'nginx.conf'),
    upstream: join(proxyDir, 'upstream.conf'),
    pid: join(proxyDir, 'nginx.pid')
  };
}

/**
 * How the proxy carries traffic (the `proxy-*` inputs). Recorded in active.json, so a rollback given no
 * public-port serves the app the way its last deploy did.
 */
export interface ProxyOptions {
  /** Addresses or CIDRs of the front ends (TLS terminators, load balancers) whose X-Forwarded-* headers are kept. */
  trustedProxies: string[];
  /** nginx `client_max_body_size`: `0` (no limit) or a size such as `100m`. */
  maxBodySize: string;
  /** How long the proxy waits for the app between two reads or writes (a long response, an idle WebSocket). */
  readTimeoutMs: number;
  /** Buffer the app's responses (off: server-sent events and streamed responses reach the client at once). */
  buffering: boolean;
  /** Write `access.log` in the proxy directory. */
  accessLog: boolean;
}

export const DEFAULT_PROXY: ProxyOptions = {
  trustedProxies: [],
  maxBodySize: '100m',
  readTimeoutMs: 300_000,
  buffering: false,
  accessLog: true
};

/** `proxy-trusted`: addresses or CIDRs, one per line or comma-separated; refused (naming the input) otherwise. */
export function parseTrustedProxies(items: readonly string[], input = 'proxy-trusted'): string[] {
  return items.map((raw) => {
    const t = raw.trim();
    const [addr, bits, extra] = t.split('/');
    const family = isIP(addr ?? '');
    const max = family === 6 ? 128 : 32;
    const ok =
      family !== 0 &&
      extra === undefined &&
      (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max));
    if (!ok)
      throw new InputError(
        input,
        `"${t}" is not an IP address or CIDR`,
        'give the addresses of your TLS front ends, e.g. `10.0.0.0/8` or `127.0.0.1`, one per line'
      );
    return t;
  });
}

/** `proxy-max-body-size`: `0` or digits with an optional k/m/g unit, as nginx reads it. */
export function parseBodySize(text: string, input = 'proxy-max-body-size'): string {
  const t = text.trim().toLowerCase();
  if (!/^\d{1,9}[kmg]?$/.test(t))
    throw new InputError(
      input,
      `"${text}" is not a size`,
      'give bytes with an optional unit k, m or g (e.g. `100m`), or 0 for no limit'
    );
  return t;
}

function seconds(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

/**
 * The app's nginx.conf. X-Forwarded-Proto, -Host, -Port and -For are taken from the request only when the
 * connection comes from a trusted front end, and set from the connection otherwise (a client cannot claim
 * https or another address). WebSocket upgrades pass through; responses are not buffered unless asked.
 */
export function nginxConf(
  files: ProxyFiles,
  bind: string,
  publicPort: number,
  options: ProxyOptions = DEFAULT_PROXY
): string {
  const d = files.prefix;
  const o = options;
  const trusted = o.trustedProxies.map((t) => `    ${t} 1;\n`).join('');
  return `# written by deploy-actions; traffic is switched by rewriting upstream.conf and \`nginx -s reload\`
worker_processes 1;
pid ${files.pid};
error_log ${join(d, 'error.log')} warn;
events { worker_connections 1024; }
http {
  log_format deploy_actions '$remote_addr - [$time_iso8601] "$request" $status $body_bytes_sent '
                            '"$http_referer" "$http_user_agent" upstream=$upstream_addr '
                            'rt=$request_time urt=$upstream_response_time xff="$http_x_forwarded_for"';
  ${o.accessLog ? `access_log ${join(d, 'access.log')} deploy_actions;` : 'access_log off;'}
  client_body_temp_path ${join(d, 'tmp', 'body')};
  proxy_temp_path ${join(d, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(d, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(d, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(d, 'tmp', 'scgi')};
  client_max_body_size ${o.maxBodySize};
  # Front ends whose X-Forwarded-* headers are kept (proxy-trusted); everyone else gets them from the connection.
  geo $da_trusted {
    default 0;
${trusted}  }
  map "$da_trusted:$http_x_forwarded_proto" $da_proto {
    "~^1:(?<p>[A-Za-z]+)$" $p;
    default $scheme;
  }
  map "$da_trusted:$http_x_forwarded_host" $da_host {
    "~^1:(?<h>.+)$" $h;
    default $http_host;
  }
  map "$da_trusted:$http_x_forwarded_port" $da_port {
    "~^1:(?<n>[0-9]+)$" $n;
    default $server_port;
  }
  map $da_trusted $da_for {
    1 $proxy_add_x_forwarded_for;
    default $remote_addr;
  }
  # WebSocket: pass Upgrade on, and keep the connection to the app open only for an upgrade.
  map $http_upgrade $da_connection {
    default upgrade;
    "" "";
  }
  upstream app {
    include ${files.upstream};
  }
  server {
    listen ${bind.includes(':') ? `[${bind}]` : bind}:${publicPort};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $da_connection;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $da_for;
      proxy_set_header X-Forwarded-Proto $da_proto;
      proxy_set_header X-Forwarded-Host $da_host;
      proxy_set_header X-Forwarded-Port $da_port;
      proxy_buffering ${o.buffering ? 'on' : 'off'};
      proxy_next_upstream error timeout;
      proxy_connect_timeout 5s;
      proxy_read_timeout ${seconds(o.readTimeoutMs)};
      proxy_send_timeout ${seconds(o.readTimeoutMs)};
    }
  }
}
`;
}

export function upstreamConf(port: number, release: string, slot: string): string {
  return `# release ${release}, slot ${slot}\nserver 127.0.0.1:${port};\n`;
}

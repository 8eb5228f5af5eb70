import { join } from 'node:path/posix';
import { isIP } from 'node:net';
import { InputError } from '../../core/src/index.js';
import {
  WEBSOCKET_MAP,
  forwardedMaps,
  listenAddress,
  proxyLocation,
  tempPaths
} from '../../frontdoor/src/index.js';

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

/**
 * The app's nginx.conf. X-Forwarded-Proto, -Host, -Port and -For are taken from the request only when the
 * connection comes from a trusted front end, and set from the connection otherwise (a client cannot claim
 * https or another address). WebSocket upgrades pass through; responses are not buffered unless asked.
 * The shared pieces are the front door's (packages/frontdoor), so both proxies carry traffic alike.
 */
export function nginxConf(
  files: ProxyFiles,
  bind: string,
  publicPort: number,
  options: ProxyOptions = DEFAULT_PROXY
): string {
  const d = files.prefix;
  const o = options;
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
${tempPaths(d)}  client_max_body_size ${o.maxBodySize};
${forwardedMaps(o.trustedProxies)}${WEBSOCKET_MAP}  upstream app {
    include ${files.upstream};
  }
  server {
    listen ${listenAddress(bind)}:${publicPort};
    location / {
${proxyLocation('app', o)}    }
  }
}
`;
}

export function upstreamConf(port: number, release: string, slot: string): string {
  return `# release ${release}, slot ${slot}\nserver 127.0.0.1:${port};\n`;
}

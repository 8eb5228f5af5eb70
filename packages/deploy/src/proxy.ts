import { join } from 'node:path/posix';

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

export function nginxConf(files: ProxyFiles, bind: string, publicPort: number): string {
  const d = files.prefix;
  return `# written by deploy-actions; traffic is switched by rewriting upstream.conf and \`nginx -s reload\`
worker_processes 1;
pid ${files.pid};
error_log ${join(d, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(d, 'tmp', 'body')};
  proxy_temp_path ${join(d, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(d, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(d, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(d, 'tmp', 'scgi')};
  upstream app {
    include ${files.upstream};
  }
  server {
    listen ${bind.includes(':') ? `[${bind}]` : bind}:${publicPort};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 5s;
    }
  }
}
`;
}

export function upstreamConf(port: number, release: string, slot: string): string {
  return `# release ${release}, slot ${slot}\nserver 127.0.0.1:${port};\n`;
}

import { readFileSync } from 'node:fs';
import { SshExecutor, type SshExecutorOptions } from '../../packages/ssh/src/index.js';

/** What a lab sshd needs to be reached: infra().ssh and fieldHost(i) both have this shape. */
export interface InfraSshHost {
  host: string;
  port: number;
  user: string;
  keyPath: string;
  knownHostsPath: string;
}

/**
 * Connect to a lab sshd with its own key and pinned known_hosts (the one way tests reach an infra host).
 * `extra` overrides or adds executor options (a host name as a host line gives it, attempts, a temp root).
 */
export function connectInfraHost(
  h: InfraSshHost,
  extra: Partial<SshExecutorOptions> = {}
): Promise<SshExecutor> {
  return SshExecutor.connect({
    host: h.host,
    port: h.port,
    user: h.user,
    privateKey: readFileSync(h.keyPath, 'utf8'),
    knownHosts: readFileSync(h.knownHostsPath, 'utf8'),
    connectTimeoutMs: 10_000,
    ...extra
  });
}

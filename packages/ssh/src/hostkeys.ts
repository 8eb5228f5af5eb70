import { createHash } from 'node:crypto';

/** One public host key as it appears in known_hosts or ssh-keyscan output. */
export interface HostKey {
  hosts: string;
  type: string;
  blob: string;
  /** `SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

export function fingerprintOf(blobBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(blobBase64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** Parse known_hosts-format lines (ssh-keyscan output included); comments and markers are skipped. */
export function parseHostKeys(text: string): HostKey[] {
  const keys: HostKey[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    const offset = parts[0]?.startsWith('@') ? 1 : 0;
    const hosts = parts[offset];
    const type = parts[offset + 1];
    const blob = parts[offset + 2];
    if (!hosts || !type || !blob || !/^[A-Za-z0-9+/=]+$/.test(blob)) continue;
    keys.push({ hosts, type, blob, fingerprint: fingerprintOf(blob) });
  }
  return keys;
}

/** `SHA256:abc…` values, one per line or comma separated; an optional `<type> ` prefix is ignored. */
export function parseFingerprints(text: string): string[] {
  return text
    .split(/[\r\n,]+/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'))
    .map((s) => s.split(/\s+/).find((w) => w.startsWith('SHA256:')) ?? s);
}

/** The known_hosts host field for a host and port. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key algorithms a host key type allows ssh to negotiate. */
export function algorithmsFor(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [type];
}

export interface FingerprintMatch {
  matched: HostKey[];
  offered: HostKey[];
}

/** Keep the scanned keys whose fingerprint is pinned. Pure: the caller refuses when none matched. */
export function matchFingerprints(scanned: readonly HostKey[], pinned: readonly string[]): FingerprintMatch {
  const want = new Set(pinned.map((p) => p.replace(/=+$/, '')));
  return { matched: scanned.filter((k) => want.has(k.fingerprint)), offered: [...scanned] };
}

/** Classify ssh's stderr into what a person needs to know. */
export type SshFailure = 'host-key-changed' | 'host-key-unknown' | 'auth' | 'unreachable' | 'other';

export function classifySshError(stderr: string): SshFailure {
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr))
    return 'host-key-changed';
  if (/Host key verification failed|No \S+ host key is known|host key is not known/i.test(stderr))
    return 'host-key-unknown';
  if (/Permission denied|Too many authentication failures/i.test(stderr)) return 'auth';
  if (
    /Connection refused|Connection timed out|timed out during banner|No route to host|Could not resolve|Network is unreachable|Connection closed by|Connection reset|kex_exchange_identification|Broken pipe|port \d+: Operation timed out/i.test(
      stderr
    )
  )
    return 'unreachable';
  return 'other';
}

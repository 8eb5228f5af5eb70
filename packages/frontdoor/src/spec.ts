import { InputError } from '../../core/src/index.js';

/** How an app is served through its host's front door (the `public-hostnames` and `front-door-*` inputs). */
export interface FrontDoorSpec {
  /** The host names routed to this app (server_name), lowercase. */
  hostnames: string[];
  /** The plain HTTP port of the front door (first of `front-door-ports`). */
  httpPort: number;
  /** The HTTPS port (second of `front-door-ports`); used when the app has TLS. */
  httpsPort?: number;
  /** A user-supplied pair (the `tls-certificate` and `tls-key` secrets): written 0600 at the switch, never recorded. */
  tlsPair?: TlsPair;
}

export interface TlsPair {
  certificate: string;
  key: string;
}

/** What active.json keeps of the front door: enough for a rollback given only host, app and environment. */
export type RecordedFrontDoor = Omit<FrontDoorSpec, 'tlsPair'>;

export function recordedFrontDoor(f: FrontDoorSpec): RecordedFrontDoor {
  const { tlsPair: _secret, ...rest } = f;
  return rest;
}

/** A DNS name: labels of letters, digits and `-`, a leading `*.` allowed (nginx wildcard). */
const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** `public-hostnames`: one per line or comma-separated; refused (naming the input) when not a host name. */
export function parseHostnames(items: readonly string[], input = 'public-hostnames'): string[] {
  const out: string[] = [];
  for (const raw of items) {
    const h = raw.trim().toLowerCase().replace(/\.$/, '');
    if (!h) continue;
    if (h.length > 253 || !HOSTNAME.test(h))
      throw new InputError(
        input,
        `"${raw.trim()}" is not a host name`,
        'give names such as `shop.example.com`, one per line or comma-separated (no scheme, port or path)'
      );
    if (!out.includes(h)) out.push(h);
  }
  return out;
}

/** `front-door-ports`: `http` or `http,https`, two different ports. */
export function parseFrontDoorPorts(
  text: string,
  input = 'front-door-ports'
): { httpPort: number; httpsPort?: number } {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const bad = parts.find((p) => !/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535);
  if (parts.length < 1 || parts.length > 2 || bad !== undefined)
    throw new InputError(
      input,
      `"${text}" is not one or two ports`,
      'write `http,https`, e.g. `80,443` (or high ports such as `8080,8443` for a test host)'
    );
  const [http, https] = parts.map(Number);
  if (http === https) throw new InputError(input, 'gives the same port twice', 'use two different ports');
  return { httpPort: http!, ...(https !== undefined ? { httpsPort: https } : {}) };
}

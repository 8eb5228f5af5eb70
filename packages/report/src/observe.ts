import { InputError, type Logger } from '../../core/src/index.js';
import { mkdirArgv, observeScriptPath, writeFileArgv } from '../../deploy/src/index.js';
import { eachHost, type HostConnection } from './read.js';

/**
 * A reviewer-less route for reading the records: an `<environment>-observe` GitHub environment holds its own
 * SSH key, and each host lets that key do nothing but what `deploy-actions report` asks (the host's clock and
 * one app's history), through an authorized_keys forced command:
 *
 *   restrict,command="sh <state-dir>/<app>/observe.sh <state-dir> <app>" ssh-ed25519 AAAA… deploy-actions-observe:<app>
 *
 * `restrict` turns off forwarding, a pty and user rc files; the forced command (packages/report/host/observe.sh)
 * compares the request with the two shapes it serves and never runs the request itself. A nightly report then
 * needs no approval of the protected environment, and its key cannot deploy, roll back or read `.env`.
 */

/** The forced command's source, relative to the repository root (a `.sh` file shellcheck reads). */
export const OBSERVE_SCRIPT_SOURCE = 'packages/report/host/observe.sh';

/** The comment that marks an app's observe key in authorized_keys (one per app: installing replaces it). */
export const observeMark = (app: string): string => `deploy-actions-observe:${app}`;

/** The default authorized_keys of the login user (sshd's default AuthorizedKeysFile, relative to home). */
export const AUTHORIZED_KEYS = '.ssh/authorized_keys';

const KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com'
];

/** Characters that need no quoting in the forced command (core/shell.ts's safe set). */
const SAFE = /^[\w@%+=:,./-]+$/;

/** A public key line as `ssh-keygen` writes it (`type base64 [comment]`), reduced to `type base64`. */
export function parsePublicKey(text: string, input = 'public-key'): string {
  const t = text.trim();
  if (/PRIVATE KEY/.test(t))
    throw new InputError(
      input,
      'is a private key: give the PUBLIC half (the .pub file ssh-keygen wrote beside it); the private key stays in the observe environment'
    );
  const [type, body] = t.split(/\s+/);
  if (!type || !KEY_TYPES.includes(type) || !body || !/^[A-Za-z0-9+/]+={0,3}$/.test(body) || t.includes('\n'))
    throw new InputError(
      input,
      `is not one OpenSSH public key line (${KEY_TYPES.slice(0, 2).join(', ')}, …): make one with ssh-keygen -t ed25519 -f observe -N '' and pass observe.pub`
    );
  return `${type} ${body}`;
}

function checkSafe(value: string, input: string): void {
  if (!SAFE.test(value))
    throw new InputError(
      input,
      `"${value}" has characters an authorized_keys forced command would need quoted: use letters, digits and @%+=:,./- only`
    );
}

/** The authorized_keys line for an app's observe key. */
export function observeKeyLine(stateDir: string, app: string, publicKey: string): string {
  checkSafe(stateDir, 'state-dir');
  checkSafe(app, 'app');
  const key = parsePublicKey(publicKey);
  const command = `sh ${observeScriptPath(stateDir, app)} ${stateDir} ${app}`;
  return `restrict,command="${command}" ${key} ${observeMark(app)}`;
}

const isMarked = (line: string, app: string): boolean => line.trimEnd().endsWith(` ${observeMark(app)}`);

/** authorized_keys with the app's observe key line set to `line` (replacing an earlier one), others kept. */
export function withObserveKey(existing: string, app: string, line: string): string {
  return withoutObserveKey(existing, app) + line + '\n';
}

/** authorized_keys without the app's observe key line; every other line kept as it was. */
export function withoutObserveKey(existing: string, app: string): string {
  const kept = existing
    .split('\n')
    .filter((l, i, all) => !(isMarked(l, app) || (l === '' && i === all.length - 1)));
  return kept.length ? kept.join('\n') + '\n' : '';
}

export interface ObserveKeyChange {
  stateDir: string;
  app: string;
  /** The forced command's text (the file at OBSERVE_SCRIPT_SOURCE). */
  script: string;
  /** Install this public key; absent: remove the app's observe key. */
  publicKey?: string;
  authorizedKeys?: string;
}

/**
 * Install (or remove) an app's observe key on every host, over the deploy user's own connection: the forced
 * command lands at `<state-dir>/<app>/observe.sh`, then authorized_keys is rewritten whole by temp file and
 * rename (0600), keeping every other line. Returns each host's error, or null.
 */
export function changeObserveKeys(
  connections: readonly HostConnection[],
  change: ObserveKeyChange,
  logger: Logger
): Promise<{ host: string; error: string | null }[]> {
  const file = change.authorizedKeys ?? AUTHORIZED_KEYS;
  const line = change.publicKey ? observeKeyLine(change.stateDir, change.app, change.publicKey) : undefined;
  const script = observeScriptPath(change.stateDir, change.app);
  return eachHost<{ host: string; error: string | null }>(
    connections,
    logger,
    async (exec, host) => {
      if (line) {
        await exec.run({ argv: mkdirArgv(script.slice(0, script.lastIndexOf('/'))), timeoutMs: 30_000 });
        await exec.run({ argv: writeFileArgv(script), stdin: change.script, timeoutMs: 30_000 });
      }
      const read = await exec.run({ argv: ['cat', '--', file], check: false, timeoutMs: 30_000 });
      if (read.exitCode !== 0 && !/No such file/.test(read.stderr))
        throw new Error(`cannot read ${file}: ${read.stderr.trim()}`);
      const existing = read.exitCode === 0 ? read.stdout : '';
      const next = line
        ? withObserveKey(existing, change.app, line)
        : withoutObserveKey(existing, change.app);
      if (next !== existing) {
        await exec.run({ argv: writeFileArgv(file), stdin: next, timeoutMs: 30_000 });
      }
      return { host, error: null };
    },
    (host, error) => ({ host, error })
  );
}

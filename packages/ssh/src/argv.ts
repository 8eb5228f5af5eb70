import { shellJoin, shellQuote } from '../../core/src/index.js';

/** Where to connect: `user@host:port`, and optionally through a jump host. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** `[user@]host[:port]`, passed to `-J`. */
  jumpHost?: string;
}

/** The files and tunables of one connection: everything ssh needs besides the target. */
export interface SshSettings {
  /** Private config file (`-F`), so a `-J` jump inherits the same pinned options. */
  configFile: string;
  identityFile: string;
  knownHostsFile: string;
  controlPath: string;
  connectTimeoutS: number;
  serverAliveIntervalS: number;
  serverAliveCountMax: number;
  /** Key types to negotiate, when pinning by fingerprint: the server must present a pinned type. */
  hostKeyAlgorithms?: string[];
  /** How long an idle master lingers (ControlPersist) after its last client. */
  controlPersistS: number;
}

/** A path in an ssh option: ssh splits option values at spaces unless they are double-quoted. */
/** A path in an `-o Name=value` option: ssh splits the value at white space unless it is quoted. */
export function sshOptionPath(p: string): string {
  return /\s/.test(p) ? `"${p}"` : p;
}
const path = sshOptionPath;

/** The options every ssh invocation carries. Host keys are always checked: there is no insecure mode. */
export function sshOptions(s: SshSettings): string[] {
  const o = [
    'BatchMode=yes',
    'StrictHostKeyChecking=yes',
    `UserKnownHostsFile=${path(s.knownHostsFile)}`,
    'GlobalKnownHostsFile=/dev/null',
    'UpdateHostKeys=no',
    'IdentitiesOnly=yes',
    `IdentityFile=${path(s.identityFile)}`,
    'PasswordAuthentication=no',
    'KbdInteractiveAuthentication=no',
    `ConnectTimeout=${s.connectTimeoutS}`,
    `ServerAliveInterval=${s.serverAliveIntervalS}`,
    `ServerAliveCountMax=${s.serverAliveCountMax}`,
    'LogLevel=ERROR',
    'RequestTTY=no',
    'ForwardAgent=no',
    'ClearAllForwardings=yes',
    `ControlPath=${path(s.controlPath)}`
  ];
  if (s.hostKeyAlgorithms?.length) o.push(`HostKeyAlgorithms=${s.hostKeyAlgorithms.join(',')}`);
  return o;
}

/** The private ssh_config: the same options, so the jump connection spawned by `-J` is pinned too. */
export function sshConfigText(s: SshSettings): string {
  const lines = ['Host *'];
  for (const o of sshOptions(s)) {
    const eq = o.indexOf('=');
    if (o.startsWith('ControlPath=')) continue; // the jump must not share the target's master socket
    lines.push(`  ${o.slice(0, eq)} ${o.slice(eq + 1)}`);
  }
  return lines.join('\n') + '\n';
}

function base(s: SshSettings, t: SshTarget): string[] {
  const argv = ['ssh', '-F', s.configFile];
  for (const o of sshOptions(s)) argv.push('-o', o);
  argv.push('-p', String(t.port), '-l', t.user);
  if (t.jumpHost) argv.push('-J', t.jumpHost);
  return argv;
}

/**
 * The master connection: authenticates, then backgrounds itself (`-f -N`) and serves later commands over
 * ControlPath until `ControlPersist` idles out or close() sends `-O exit`.
 */
export function sshMasterArgv(s: SshSettings, t: SshTarget): string[] {
  return [
    ...base(s, t),
    '-o',
    'ControlMaster=yes',
    '-o',
    `ControlPersist=${s.controlPersistS}`,
    '-f',
    '-N',
    '--',
    t.host
  ];
}

/**
 * Run `remote` (an argv) on the target. The remote side hands its command line to the login shell, so
 * the argv is joined with shellJoin (core/shell.ts): every argument is one word and nothing in it is parsed
 * as code. `--` ends ssh's options: a host can never be read as one.
 * ControlMaster=no: reuse the master when its socket is there, connect directly when it is gone.
 */
export function sshCommandArgv(
  s: SshSettings,
  t: SshTarget,
  remote: readonly string[],
  cwd?: string
): string[] {
  const line = cwd ? `cd ${shellQuote(cwd)} && ${shellJoin(remote)}` : shellJoin(remote);
  return [...base(s, t), '-o', 'ControlMaster=no', '--', t.host, line];
}

/** Ask the master to exit (close()). */
export function sshExitArgv(s: SshSettings, t: SshTarget): string[] {
  return [...base(s, t), '-O', 'exit', '--', t.host];
}

/** Is the master alive? */
export function sshCheckArgv(s: SshSettings, t: SshTarget): string[] {
  return [...base(s, t), '-O', 'check', '--', t.host];
}

/** Fetch the host's public keys, for checking them against pinned fingerprints. */
export function sshKeyscanArgv(host: string, port: number, timeoutS: number): string[] {
  return ['ssh-keyscan', '-p', String(port), '-T', String(timeoutS), '-t', 'ed25519,ecdsa,rsa', '--', host];
}

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CommandError,
  ConnectionError,
  InputError,
  LocalExecutor,
  runProcess,
  silentLogger,
  type Command,
  type Executor,
  type Logger,
  type RunResult
} from '../../core/src/index.js';
import {
  sshCheckArgv,
  sshCommandArgv,
  sshConfigText,
  sshOptionPath,
  sshExitArgv,
  sshKeyscanArgv,
  sshMasterArgv,
  type SshSettings,
  type SshTarget
} from './argv.js';
import { slowShellNotice } from './phase.js';
import {
  algorithmsFor,
  classifySshError,
  knownHostsName,
  matchFingerprints,
  parseHostKeys,
  type HostKey
} from './hostkeys.js';

export interface SshExecutorOptions {
  host: string;
  port?: number;
  user?: string;
  /** The private key text (OpenSSH or PEM). Written 0600 in a private temp dir, removed by close(). */
  privateKey: string;
  /** known_hosts lines for the host (and the jump host). One of knownHosts / hostFingerprints is required. */
  knownHosts?: string;
  /** Pinned `SHA256:…` fingerprints (any of the host's key types); checked against ssh-keyscan. */
  hostFingerprints?: string[];
  /** `[user@]host[:port]` to reach the host through (`-J`). Needs knownHosts with both hosts' keys. */
  jumpHost?: string;
  connectTimeoutMs?: number;
  serverAliveIntervalS?: number;
  serverAliveCountMax?: number;
  controlPersistS?: number;
  /** Connection attempts when the host is unreachable (the first included). Default 3. */
  connectAttempts?: number;
  logger?: Logger;
  /** Runs ssh-keyscan and the ssh client itself; default a LocalExecutor. */
  local?: Executor;
  tempRoot?: string;
}

const CONNECT_ERRORS =
  /Connection refused|Connection timed out|timed out during banner|No route to host|Could not resolve|Network is unreachable|kex_exchange_identification/i;

/**
 * An Executor that runs argv on a remote host through the system OpenSSH client: pinned host keys
 * (StrictHostKeyChecking=yes, a private known_hosts), key auth only, BatchMode, keepalives, a jump host, and
 * one master connection reused by every command (ControlMaster). Use `SshExecutor.connect(options)`.
 */
export class SshExecutor implements Executor {
  readonly target: string;
  private closed = false;
  /** Sessions opened on the host (one login shell each): every run(), the no-op at connect included. */
  sessions = 0;
  /** What a no-op remote command costs on this connection (link plus login shell), measured at connect. */
  noopMs = 0;

  private constructor(
    private readonly settings: SshSettings,
    private readonly dest: SshTarget,
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly attempts: number
  ) {
    this.target = `${dest.user}@${dest.host}:${dest.port}${dest.jumpHost ? ` via ${dest.jumpHost}` : ''}`;
  }

  static async connect(options: SshExecutorOptions): Promise<SshExecutor> {
    const port = options.port ?? 22;
    const user = options.user ?? 'root';
    const logger = options.logger ?? silentLogger;
    const local = options.local ?? new LocalExecutor();
    const connectTimeoutS = Math.max(1, Math.round((options.connectTimeoutMs ?? 15_000) / 1000));
    if (!options.privateKey.trim()) throw new InputError('ssh-key', 'is empty', 'give the private key text');
    if (options.host.startsWith('-') || !options.host.trim())
      throw new InputError('host', `"${options.host}" is not a host name`, 'give a host name or address');
    if (options.jumpHost?.startsWith('-'))
      throw new InputError(
        'jump-host',
        `"${options.jumpHost}" is not [user@]host[:port]`,
        'give the jump host'
      );
    if (user.startsWith('-'))
      throw new InputError('user', `"${user}" is not a user name`, 'give the SSH user');
    logger.secret(options.privateKey);
    const fingerprints = options.hostFingerprints ?? [];
    const knownHostsText = options.knownHosts?.trim() ?? '';
    if (!knownHostsText && fingerprints.length === 0)
      throw new InputError(
        'known-hosts',
        'neither known-hosts nor host-fingerprint is given, and unknown host keys are always refused',
        `run \`ssh-keyscan -p ${port} ${options.host}\` on a trusted machine and put its output in known-hosts, or pin \`host-fingerprint\` (ssh-keygen -lf)`
      );
    if (options.jumpHost && !knownHostsText)
      throw new InputError(
        'known-hosts',
        'a jump host needs known-hosts with the keys of both the jump host and the target',
        'put the ssh-keyscan output of both hosts in known-hosts'
      );

    const dir = mkdtempSync(join(options.tempRoot ?? tmpdir(), 'da-ssh-'));
    try {
      const identityFile = join(dir, 'id');
      const key = options.privateKey.replace(/\r\n/g, '\n').trim() + '\n';
      writeFileSync(identityFile, key, { mode: 0o600 });
      const settings: SshSettings = {
        configFile: join(dir, 'config'),
        identityFile,
        knownHostsFile: join(dir, 'known_hosts'),
        controlPath: join(dir, 'cm'),
        connectTimeoutS,
        serverAliveIntervalS: options.serverAliveIntervalS ?? 10,
        serverAliveCountMax: options.serverAliveCountMax ?? 3,
        // Short: a master orphaned by a killed run exits soon on its own (commands keep it busy meanwhile).
        controlPersistS: options.controlPersistS ?? 120
      };
      let pinned: HostKey[];
      if (knownHostsText) {
        pinned = parseHostKeys(knownHostsText);
        const name = knownHostsName(options.host, port);
        const hashed = pinned.some((k) => k.hosts.startsWith('|1|'));
        const forHost = pinned.filter((k) => k.hosts.split(',').includes(name));
        if (!hashed && forHost.length === 0)
          throw new InputError(
            'known-hosts',
            `has no key for ${name} (it lists ${[...new Set(pinned.map((k) => k.hosts))].join(', ') || 'nothing'})`,
            `add the output of \`ssh-keyscan -p ${port} ${options.host}\`, taken on a trusted machine`
          );
        writeFileSync(settings.knownHostsFile, knownHostsText + '\n', { mode: 0o600 });
      } else {
        pinned = await scanAndPin(local, options.host, port, connectTimeoutS, fingerprints);
        writeFileSync(
          settings.knownHostsFile,
          pinned.map((k) => `${knownHostsName(options.host, port)} ${k.type} ${k.blob}`).join('\n') + '\n',
          { mode: 0o600 }
        );
        settings.hostKeyAlgorithms = [...new Set(pinned.flatMap((k) => algorithmsFor(k.type)))];
      }
      writeFileSync(settings.configFile, sshConfigText(settings), { mode: 0o600 });
      const dest: SshTarget = { host: options.host, port, user };
      if (options.jumpHost) dest.jumpHost = options.jumpHost;
      const ssh = new SshExecutor(settings, dest, dir, logger, options.connectAttempts ?? 3);
      await ssh.openMaster();
      await ssh.measureNoop();
      return ssh;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The private temp dir holding the key (0600), known_hosts, config and the master socket; gone after close(). */
  get privateDir(): string {
    return this.dir;
  }

  /**
   * Clean up after a process that was killed before close(): end the master of a private dir this class made
   * (`da-ssh-*`) and remove the dir with the key. For a post step; a no-op for anything else.
   */
  static async cleanupLeftover(dir: string): Promise<boolean> {
    if (!/\/da-ssh-[^/]+$/.test(dir) || !existsSync(dir)) return false;
    const socket = join(dir, 'cm');
    if (existsSync(socket))
      await runProcess(
        {
          // RUNNER_TEMP may hold a space: quoted as every other ssh option path.
          argv: ['ssh', '-o', `ControlPath=${sshOptionPath(socket)}`, '-O', 'exit', 'leftover'],
          check: false,
          timeoutMs: 5000
        },
        process.env,
        'local'
      );
    rmSync(dir, { recursive: true, force: true });
    return true;
  }

  /** Start (or restart) the shared master connection. */
  async openMaster(): Promise<void> {
    const argv = sshMasterArgv(this.settings, this.dest);
    let last = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      const { code, stderr } = await spawnDetachedMaster(
        argv,
        join(this.dir, 'master.err'),
        this.timeoutMs()
      );
      if (code === 0) {
        this.logger.debug(`ssh: connected to ${this.target}`);
        return;
      }
      last = stderr;
      const kind = classifySshError(stderr);
      if (kind !== 'unreachable' || attempt === this.attempts) break;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
    throw this.connectionError(last);
  }

  /**
   * Time a no-op (`true`) over the fresh master: the link's round trip plus the remote login shell. Remote
   * timeouts grow with it (linkTimeoutMs); above SLOW_NOOP_MS a notice names the likely cause and the fix.
   */
  async measureNoop(): Promise<number> {
    const started = Date.now();
    await this.run({ argv: ['true'], timeoutMs: (this.settings.connectTimeoutS + 30) * 1000, step: 'no-op' });
    this.noopMs = Date.now() - started;
    this.logger.debug(`ssh: a no-op on ${this.target} takes ${this.noopMs}ms`);
    const notice = slowShellNotice(this.target, this.noopMs);
    if (notice) this.logger.warning(notice);
    return this.noopMs;
  }

  /** The master's pid, or undefined when it is not running. */
  async masterPid(): Promise<number | undefined> {
    const r = await runProcess(
      { argv: sshCheckArgv(this.settings, this.dest), check: false, timeoutMs: 5000 },
      process.env,
      'local'
    );
    const m = /pid=(\d+)/.exec(r.stderr + r.stdout);
    return r.exitCode === 0 && m ? Number(m[1]) : undefined;
  }

  async run(command: Command): Promise<RunResult> {
    if (this.closed) throw new Error(`SshExecutor for ${this.target} is closed`);
    const argv = sshCommandArgv(this.settings, this.dest, command.argv, command.cwd);
    let attempt = 0;
    for (;;) {
      attempt++;
      this.sessions++;
      // No env and no cwd locally: a remote command never sees the runner's environment.
      const result = await runProcess(
        {
          argv,
          stdin: command.stdin,
          timeoutMs: command.timeoutMs,
          step: command.step ?? command.argv.join(' '),
          check: false,
          onOutput: command.onOutput
        },
        process.env,
        this.target
      );
      if (result.exitCode === 255 && classifySshError(result.stderr) !== 'other') {
        // Only a refused/unreachable connect is safe to retry: the command cannot have started.
        if (CONNECT_ERRORS.test(result.stderr) && attempt < this.attempts) {
          this.logger.warning(`ssh ${this.target}: ${firstLine(result.stderr)}; retrying`);
          await new Promise((r) => setTimeout(r, 500 * attempt));
          continue;
        }
        throw this.connectionError(result.stderr, command.step ?? command.argv.join(' '));
      }
      const out: RunResult = { ...result, argv: command.argv };
      if (command.check !== false && out.exitCode !== 0)
        throw new CommandError(command.argv, out.exitCode, out.stdout, out.stderr, { where: this.target });
      return out;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (existsSync(this.settings.controlPath))
        await runProcess(
          { argv: sshExitArgv(this.settings, this.dest), check: false, timeoutMs: 5000 },
          process.env,
          'local'
        );
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private timeoutMs(): number {
    return (this.settings.connectTimeoutS + 10) * 1000;
  }

  private connectionError(stderr: string, step?: string): ConnectionError {
    const kind = classifySshError(stderr);
    const during = step ? ` during '${step}'` : '';
    const detail = firstLine(stderr.replace(/^@+.*$/gm, '').trim()) || 'no error text';
    const name = knownHostsName(this.dest.host, this.dest.port);
    switch (kind) {
      case 'host-key-changed':
        return new ConnectionError(
          `SSH to ${this.target}${during} refused: the host key of ${name} CHANGED: it does not match the pinned key (${offeredType(stderr)})`,
          {
            state: 'nothing was run on the host',
            hint: 'if the host was rebuilt, verify its new key out of band and update known-hosts/host-fingerprint; otherwise treat it as a possible man-in-the-middle'
          }
        );
      case 'host-key-unknown':
        return new ConnectionError(
          `SSH to ${this.target}${during} refused: the host key of ${name} is UNKNOWN: no pinned key of the type it offered (${offeredType(stderr)})`,
          {
            state: 'nothing was run on the host',
            hint: `add the host's key to known-hosts (ssh-keyscan -p ${this.dest.port} ${this.dest.host} on a trusted machine) or pin its fingerprint`
          }
        );
      case 'auth':
        return new ConnectionError(`SSH to ${this.target}${during}: authentication failed: ${detail}`, {
          state: 'nothing was run on the host',
          hint: `check that ssh-key's public key is in ~${this.dest.user}/.ssh/authorized_keys on the host`
        });
      default:
        return new ConnectionError(`SSH to ${this.target}${during} failed: ${detail}`, {
          state: step
            ? `the connection dropped while '${step}' ran; its effect on the host is unknown`
            : 'nothing was run on the host',
          hint: 'check that the host is reachable on that port (firewall, sshd running), then run again'
        });
    }
  }
}

function firstLine(s: string): string {
  return (
    s
      .trim()
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? ''
  );
}

function offeredType(stderr: string): string {
  const m =
    /(\S+) key fingerprint is (SHA256:\S+)/i.exec(stderr) ?? /No (\S+) host key is known/i.exec(stderr);
  if (!m) return 'see ssh output';
  return m[2] ? `server offered ${m[1]} ${m[2]}` : `server offered ${m[1]}`;
}

/** Pin by fingerprint: scan the host's keys and keep those pinned; refuse, listing what was offered, when none is. */
async function scanAndPin(
  local: Executor,
  host: string,
  port: number,
  timeoutS: number,
  fingerprints: readonly string[]
): Promise<HostKey[]> {
  const r = await local.run({
    argv: sshKeyscanArgv(host, port, timeoutS),
    check: false,
    timeoutMs: (timeoutS + 5) * 1000,
    step: 'ssh-keyscan'
  });
  const scanned = parseHostKeys(r.stdout);
  if (scanned.length === 0)
    throw new ConnectionError(
      `ssh-keyscan of ${host}:${port} returned no host key: ${firstLine(r.stderr) || 'no answer'}`,
      {
        state: 'nothing was run on the host',
        hint: 'check that sshd listens on that host and port'
      }
    );
  const { matched, offered } = matchFingerprints(scanned, fingerprints);
  if (matched.length === 0)
    throw new ConnectionError(
      `SSH host key of ${host}:${port} does not match host-fingerprint: the server offered ${offered.map((k) => `${k.type} ${k.fingerprint}`).join(', ')}; pinned ${fingerprints.join(', ')}`,
      {
        state: 'nothing was run on the host',
        hint: 'compare with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on the host; pin the fingerprint of any key type it offers, or use known-hosts'
      }
    );
  return matched;
}

/** Run the `-f` master: it exits once authenticated (the master lives on in the background). */
function spawnDetachedMaster(
  argv: string[],
  errFile: string,
  timeoutMs: number
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    // stderr to a file, not a pipe: the backgrounded master would hold a pipe open forever.
    const fd = openSync(errFile, 'w', 0o600);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', fd] });
    closeSync(fd);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const done = (code: number) => {
      clearTimeout(timer);
      let stderr = '';
      try {
        stderr = readFileSync(errFile, 'utf8');
      } catch {
        /* nothing written */
      }
      resolve({ code, stderr });
    };
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stderr: e.message });
    });
    child.on('exit', (code) => done(code ?? 255));
  });
}

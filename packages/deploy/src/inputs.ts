import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  InputError,
  type Executor,
  type InputReader,
  type Logger,
  type RunContext
} from '../../core/src/index.js';
import { choicesOf, defaultsOf, type Choice, type InputName } from '../../manifest/src/index.js';
import { chooseAccessories } from './accessories.js';
import { composeInfo } from './compose-files.js';
import { readGateInputs } from '../../health/src/index.js';
import { parseFingerprints, SshExecutor } from '../../ssh/src/index.js';
import { checkCanaryPlan, parseCanarySteps, type CanaryPlan } from './canary-proxy.js';
import { parseImagesInput } from './images.js';
import { parseBodySize, parseTrustedProxies, type ProxyOptions } from './proxy.js';
import { NAME } from './layout.js';
import { checkEnvAgainstCompose, checkEnvAgainstTemplate } from './validate.js';
import { checkSwarmSpec } from './swarm.js';
import { userCompose } from './user-files.js';
import { readMigrate } from './migrate-command.js';
import { readReleaseScan } from './scan-record.js';
import type { DeploySpec, RegistryLogin, RollbackSpec, Strategy, TargetSpec } from './types.js';
import { STRATEGIES, usesSlots } from './strategy.js';
import { checkTlsPair, parseFrontDoorPorts, parseHostnames } from '../../frontdoor/src/index.js';

/** Defaults as manifest.yml declares them. The shared groups (ssh, app, release-host) read deploy-compose's:
 * rollback and run-migrations declare the same ones (test/contract/manifest.test.ts). */
/**
 * The inputs this module reads: deploy-compose's and rollback's names (manifest.yml), so a misspelt name fails
 * `tsc`. The shared groups (ssh, app, release-host, events, health) are declared alike by both.
 */
type InputId = InputName<'deploy-compose'> | InputName<'rollback'>;
export type Inputs = InputReader<InputId>;

const DEPLOY = defaultsOf('deploy-compose');
const ROLLBACK = defaultsOf('rollback');

/**
 * Inputs of deploy-compose and rollback into typed specs. Every problem is an InputError naming the input,
 * raised before any connection is made. Takes the InputReader (runner or CLI), never @actions/*.
 */
export interface ConnectionSpec {
  port: number;
  user: string;
  privateKey: string;
  knownHosts?: string;
  hostFingerprints?: string[];
  jumpHost?: string;
}

export function readConnection(inputs: Inputs): ConnectionSpec {
  const privateKey = inputs.string('ssh-key', { required: true });
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey))
    throw new InputError(
      'ssh-key',
      'is not a private key (no BEGIN … PRIVATE KEY line)',
      'paste the whole key file, e.g. from a secret'
    );
  const knownHosts = inputs.optional('known-hosts');
  const fingerprintText = inputs.optional('host-fingerprint');
  const fingerprints = fingerprintText ? parseFingerprints(fingerprintText) : [];
  for (const f of fingerprints)
    if (!/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(f))
      throw new InputError(
        'host-fingerprint',
        `"${f}" is not a SHA256 fingerprint`,
        'use the `SHA256:…` value `ssh-keygen -lf <key.pub>` prints'
      );
  if (!knownHosts && fingerprints.length === 0)
    throw new InputError(
      'known-hosts',
      'neither known-hosts nor host-fingerprint is given, and unknown host keys are always refused',
      'put the output of `ssh-keyscan -p <port> <host>` (taken on a trusted machine) in known-hosts, or pin host-fingerprint'
    );
  const jumpHost = inputs.optional('jump-host');
  if (jumpHost && !/^(\w[\w.-]*@)?\w[\w.-]*(:\d+)?$/.test(jumpHost))
    throw new InputError(
      'jump-host',
      `"${jumpHost}" is not [user@]host[:port]`,
      'write e.g. deploy@bastion.example.com:22'
    );
  const spec: ConnectionSpec = {
    port: inputs.integer('port', { fallback: DEPLOY.number('port'), min: 1, max: 65535 }),
    user: inputs.string('user', { fallback: DEPLOY.text('user') }),
    privateKey
  };
  if (!/^[a-z_][\w.-]*$/i.test(spec.user))
    throw new InputError('user', `"${spec.user}" is not a user name`, 'give the SSH user');
  if (knownHosts) spec.knownHosts = knownHosts;
  if (fingerprints.length) spec.hostFingerprints = fingerprints;
  if (jumpHost) spec.jumpHost = jumpHost;
  return spec;
}

export function readHosts(inputs: Inputs): string[] {
  const hosts = inputs.list('host');
  if (hosts.length === 0)
    throw new InputError('host', 'is required', 'give the host to deploy to, one per line');
  for (const h of hosts)
    if (!/^\w[\w.-]*(:\d+)?$|^\[[0-9a-f:]+\](:\d+)?$/i.test(h))
      throw new InputError(
        'host',
        `"${h}" is not a host name or address${h.startsWith('-') ? ' (it starts with `-`, which ssh would read as an option)' : ''}`,
        'write host or host:port, one per line'
      );
  if (new Set(hosts).size !== hosts.length)
    throw new InputError('host', 'lists a host twice', 'give each host once');
  return hosts;
}

/** Open an SSH executor for a `host` line (`host` or `host:port`). */
export function sshConnector(
  c: ConnectionSpec,
  logger: Logger,
  options: { tempRoot?: string; onOpen?: (privateDir: string) => void } = {}
): (host: string) => Promise<Executor> {
  return (line) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(line);
    const host = (m?.[1] ?? line).replace(/^\[|\]$/g, '');
    return SshExecutor.connect({
      host,
      port: m?.[2] ? Number(m[2]) : c.port,
      user: c.user,
      privateKey: c.privateKey,
      ...(c.knownHosts ? { knownHosts: c.knownHosts } : {}),
      ...(c.hostFingerprints ? { hostFingerprints: c.hostFingerprints } : {}),
      ...(c.jumpHost ? { jumpHost: c.jumpHost } : {}),
      ...(options.tempRoot ? { tempRoot: options.tempRoot } : {}),
      logger
    }).then((ssh) => {
      options.onOpen?.(ssh.privateDir);
      return ssh;
    });
  };
}

function name(inputs: Inputs, input: InputId, fallback?: string): string {
  const v = inputs.string(input, { required: fallback === undefined, fallback });
  if (!NAME.test(v))
    throw new InputError(
      input,
      `"${v}" is not a valid name`,
      'use lowercase letters, digits, `-` and `_` (it names directories and compose projects)'
    );
  return v;
}

/** Environment names as GitHub has them (`Production`, `Staging EU`) and their slug for paths and projects. */
export function environmentSlug(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s.]+/g, '-')
    .replace(/-+/g, '-');
}

function environment(inputs: Inputs): { environment: string; environmentSlug: string } {
  const v = inputs.string('environment', { fallback: DEPLOY.text('environment') }).trim();
  const slug = environmentSlug(v);
  if (!/^[A-Za-z0-9][\w .-]{0,62}$/.test(v) || !NAME.test(slug))
    throw new InputError(
      'environment',
      `"${v}" is not an environment name`,
      'use letters, digits, spaces, `-`, `_` and `.` (GitHub environment names such as `Staging EU` work)'
    );
  return { environment: v, environmentSlug: slug };
}

/** Node's timers overflow past 2^31-1 ms (24.8 days) and fire at once: no deploy duration goes near that. */
export const MAX_DURATION_MS = 24 * 3_600_000;

function duration(inputs: Inputs, input: InputId, options: { fallback: string; positive?: boolean }): number {
  const ms = inputs.duration(input, options);
  if (ms > MAX_DURATION_MS)
    throw new InputError(input, `${inputs.raw(input)} is longer than 24h`, 'give at most 24h');
  return ms;
}

function port(input: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535)
    throw new InputError(input, `"${text}" is not a port`, 'give a number from 1 to 65535');
  return n;
}

/** The proxy-* inputs (release-host group: deploy-compose and rollback declare the same defaults). */
export function readProxy(inputs: Inputs): ProxyOptions {
  return {
    trustedProxies: parseTrustedProxies(inputs.list('proxy-trusted')),
    maxBodySize: parseBodySize(
      inputs.string('proxy-max-body-size', { fallback: DEPLOY.text('proxy-max-body-size') })
    ),
    readTimeoutMs: duration(inputs, 'proxy-read-timeout', {
      fallback: DEPLOY.text('proxy-read-timeout'),
      positive: true
    }),
    buffering: inputs.boolean('proxy-buffering', DEPLOY.flag('proxy-buffering')),
    accessLog: inputs.boolean('proxy-access-log', DEPLOY.flag('proxy-access-log'))
  };
}

export function readTarget(
  inputs: Inputs,
  action: 'deploy-compose' | 'rollback' = 'deploy-compose'
): TargetSpec {
  const publicText = inputs.optional('public-port');
  const publicPort = publicText === undefined ? undefined : port('public-port', publicText);
  const slotsText = inputs.list('slot-ports');
  let slotPorts: [number, number] = publicPort ? [publicPort + 1, publicPort + 2] : [0, 0];
  if (slotsText.length) {
    if (slotsText.length !== 2)
      throw new InputError('slot-ports', 'needs exactly two ports', 'write `blue,green`, e.g. `8081,8082`');
    slotPorts = [port('slot-ports', slotsText[0]!), port('slot-ports', slotsText[1]!)];
    if (slotPorts[0] === slotPorts[1])
      throw new InputError('slot-ports', 'gives the same port twice', 'use two different ports');
  }
  if (publicPort !== undefined && slotPorts.includes(publicPort))
    throw new InputError(
      'slot-ports',
      `includes public-port ${publicPort}`,
      'the proxy owns public-port: pick other slot ports'
    );
  const portVar = inputs.string('port-variable', { fallback: DEPLOY.text('port-variable') });
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(portVar))
    throw new InputError('port-variable', `"${portVar}" is not a variable name`, 'use e.g. PORT');
  const stateDir = inputs.string('state-dir', { fallback: DEPLOY.text('state-dir') });
  if (!stateDir.startsWith('/') || stateDir.split('/').includes('..'))
    throw new InputError(
      'state-dir',
      `"${stateDir}" is not an absolute path`,
      'give an absolute path on the host'
    );
  // It is written into nginx.conf (nothing there may end a directive or quote) and into a crontab line
  // (where `%` is a newline).
  if (/[\s'"`;{}\\$%]/.test(stateDir))
    throw new InputError(
      'state-dir',
      `"${stateDir}" holds whitespace, a quote, \`;\`, \`$\`, \`%\`, a backslash or a brace`,
      'use a plain path such as /home/deploy/deploy-actions'
    );
  const metricsDir = inputs
    .optional('metrics-dir')
    ?.trim()
    .replace(/(.)\/+$/, '$1');
  if (metricsDir !== undefined && (!metricsDir.startsWith('/') || metricsDir.split('/').includes('..')))
    throw new InputError(
      'metrics-dir',
      `"${metricsDir}" is not an absolute path`,
      "give node_exporter's textfile directory on the hosts, e.g. /var/lib/prometheus/node-exporter"
    );
  const proxyBind = inputs.string('proxy-bind', { fallback: DEPLOY.text('proxy-bind') });
  if (isIP(proxyBind) === 0)
    throw new InputError(
      'proxy-bind',
      `"${proxyBind}" is not an IP address`,
      'give the address the proxy listens on, e.g. 0.0.0.0, 127.0.0.1 or ::'
    );
  const gate = readGateInputs(inputs, { prefix: 'health-' });
  const first = gate?.urls[0]?.url;
  const spec: TargetSpec = {
    app: name(inputs, 'app'),
    ...environment(inputs),
    hosts: readHosts(inputs),
    stateDir: stateDir.replace(/\/+$/, '') || '/',
    ...(metricsDir ? { metricsDir } : {}),
    ...(inputs.boolean('critical', DEPLOY.flag('critical')) ? { critical: true } : {}),
    slotPorts,
    proxyBind,
    proxy: readProxy(inputs),
    portVar,
    lockTimeoutMs: duration(inputs, 'lock-timeout', { fallback: DEPLOY.text('lock-timeout') }),
    lockStaleMs: duration(inputs, 'lock-stale-after', {
      fallback: DEPLOY.text('lock-stale-after'),
      positive: true
    }),
    lockPollMs: 1000,
    breakLock: inputs.boolean('break-lock', DEPLOY.flag('break-lock')),
    timeoutMs: duration(inputs, 'timeout', {
      fallback: (action === 'rollback' ? ROLLBACK : DEPLOY).text('timeout'),
      positive: true
    }),
    drainMs: duration(inputs, 'drain-timeout', { fallback: DEPLOY.text('drain-timeout') }),
    startTimeoutMs: duration(inputs, 'start-timeout', {
      fallback: DEPLOY.text('start-timeout'),
      positive: true
    })
  };
  if (publicPort !== undefined) spec.publicPort = publicPort;
  const hostnames = parseHostnames(inputs.list('public-hostnames'));
  if (hostnames.length)
    spec.frontDoor = {
      hostnames,
      ...parseFrontDoorPorts(inputs.string('front-door-ports', { fallback: DEPLOY.text('front-door-ports') }))
    };
  if (gate) spec.gate = gate;
  if (first) {
    const u = new URL(first);
    spec.slotCheckPath = u.pathname + u.search;
  }
  return spec;
}

export interface FileReader {
  /** Workspace the paths are relative to. */
  workspace: string;
}

function readPath(
  inputs: Inputs,
  input: InputId,
  files: FileReader,
  required: boolean,
  fallback?: string
): string | undefined {
  const p = inputs.optional(input) ?? fallback;
  if (!p) {
    if (required) throw new InputError(input, 'is required', `give the path of the file`);
    return undefined;
  }
  return readWorkspaceFile(input, p, files);
}

/** A file the input names, relative to the workspace unless absolute; refused, naming the input, when missing. */
function readWorkspaceFile(input: string, p: string, files: FileReader): string {
  const full = isAbsolute(p) ? p : resolve(files.workspace, p);
  if (!existsSync(full))
    throw new InputError(
      input,
      `${p} does not exist (looked in ${files.workspace})`,
      'check the path (actions/checkout first?)'
    );
  return readFileSync(full, 'utf8');
}

/**
 * compose-file: one path or several (newline- or comma-separated), in the order `docker compose -f a -f b`
 * merges them. Each is read here; the host's compose resolves them together.
 */
function readComposeFiles(inputs: Inputs, files: FileReader): { texts: string[]; dir: string } {
  const paths = inputs.list('compose-file');
  if (paths.length === 0) paths.push(DEPLOY.text('compose-file'));
  if (new Set(paths).size !== paths.length)
    throw new InputError('compose-file', 'lists a file twice', 'give each file once');
  const first = paths[0]!;
  return {
    texts: paths.map((p) => readWorkspaceFile('compose-file', p, files)),
    dir: dirname(isAbsolute(first) ? first : resolve(files.workspace, first))
  };
}

export interface DeployInputs {
  spec: DeploySpec;
  connection: ConnectionSpec;
  imageCheck: Choice<'deploy-compose', 'image-check'>;
  webhook?: { url: string; secret?: string };
}

/** deploy-compose's `strategy`: read here only, with the manifest's default (the doctor reads it here too). */
export function readStrategy(inputs: Inputs): Strategy {
  return inputs.choice('strategy', STRATEGIES, DEPLOY.text('strategy') as Strategy);
}

export function readDeployInputs(
  inputs: Inputs,
  files: FileReader,
  context: Pick<RunContext, 'sha'>
): DeployInputs {
  const connection = readConnection(inputs);
  const target = readTarget(inputs);
  const strategy = readStrategy(inputs);
  const compose = readComposeFiles(inputs, files);
  const [composeText, ...composeMore] = compose.texts;
  const info = composeInfo({ composeText: composeText!, composeMore });
  const envText = readPath(inputs, 'env-file', files, false) ?? '';
  const template = readPath(inputs, 'env-template', files, false);
  if (template !== undefined) checkEnvAgainstTemplate(envText, template);
  checkEnvAgainstCompose(envText, compose.texts, [target.portVar]);
  const images = parseImagesInput(inputs.keyValues('images'), info.services);
  for (const s of info.services)
    if (!images[s] && !info.images[s])
      throw new InputError(
        'images',
        `service "${s}" has no image (only \`build:\`): nothing to pull on the host`,
        `add \`${s}=<registry>/<repo>@sha256:…\``
      );
  const accessories = inputs.list('accessories');
  // Accessories run once, beside the slots: they may name their container and publish host ports.
  const once = strategy === 'swarm' ? [] : chooseAccessories(accessories, info, images).accessories;
  if (target.frontDoor) readFrontDoor(inputs, target, strategy);
  else if (usesSlots(strategy)) {
    if (target.publicPort === undefined)
      throw new InputError(
        'public-port',
        `is required with strategy ${strategy}`,
        'give the port users reach; the proxy listens on it'
      );
  }
  const registry = readRegistry(inputs);
  if (strategy === 'swarm') {
    if (accessories.length && accessories.join() !== 'none')
      throw new InputError(
        'accessories',
        'is not supported with strategy swarm',
        'deploy stateful services as their own stack, or use another strategy'
      );
    if (composeMore.length)
      throw new InputError(
        'compose-file',
        'gives several files, but strategy swarm deploys one stack file',
        'merge them into one file (`docker compose -f a -f b config`) for swarm'
      );
    checkSwarmSpec({ hosts: target.hosts, composeText: composeText!, images });
  }
  const migrate = readMigrate(inputs, info, strategy, MAX_DURATION_MS);
  const firstTag = Object.values(images)[0]?.match(/:([\w][\w.-]*)$/)?.[1];
  const spec: DeploySpec = {
    ...target,
    version:
      inputs.optional('version') ?? (context.sha ? context.sha.slice(0, 7) : (firstTag ?? 'unversioned')),
    strategy,
    composeText: composeText!,
    ...(composeMore.length ? { composeMore } : {}),
    ...(accessories.length ? { accessories } : {}),
    envText,
    images,
    keepReleases: inputs.integer('keep-releases', {
      fallback: DEPLOY.number('keep-releases'),
      min: 1,
      max: 100
    }),
    autoRollback: inputs.boolean('auto-rollback', DEPLOY.flag('auto-rollback')),
    ...(registry ? { registry } : {}),
    ...(migrate ? { migrate } : {}),
    composeDir: compose.dir,
    ...readReleaseScan(inputs, (input, p) => readWorkspaceFile(input, p, files)),
    ...readUserCompose(inputs)
  };
  if (strategy === 'canary') spec.canary = readCanaryPlan(inputs, spec);
  // The compose files as written (web service, ports, relative binds, secrets): refused here, before any host.
  if (strategy !== 'swarm') userCompose(spec, once);
  const url = inputs.optional('webhook-url');
  const secret = inputs.optional('webhook-secret');
  return {
    spec,
    connection,
    imageCheck: inputs.choice(
      'image-check',
      choicesOf('deploy-compose', 'image-check'),
      DEPLOY.text('image-check') as Choice<'deploy-compose', 'image-check'>
    ),
    ...(url ? { webhook: { url, ...(secret ? { secret } : {}) } } : {})
  };
}

/**
 * An app behind the host's front door: blue-green and rolling need their slot ports (there is no public-port
 * to derive them from), recreate needs the port the app listens on, and a user-supplied certificate is
 * checked here, before any host is touched.
 */
function readFrontDoor(inputs: InputReader, target: TargetSpec, strategy: Strategy): void {
  const f = target.frontDoor!;
  if (strategy === 'canary' || strategy === 'swarm')
    throw new InputError(
      'public-hostnames',
      `is not supported with strategy ${strategy} yet`,
      'use blue-green, rolling or recreate behind the front door, or public-port for a per-app proxy'
    );
  if (usesSlots(strategy) && inputs.list('slot-ports').length === 0 && target.publicPort === undefined)
    throw new InputError(
      'slot-ports',
      `is required with public-hostnames and strategy ${strategy}`,
      'give the two ports the slots listen on, `blue,green`, e.g. `8081,8082`'
    );
  if (strategy === 'recreate' && target.publicPort === undefined)
    throw new InputError(
      'public-port',
      'is required with public-hostnames and strategy recreate',
      'give the port the app listens on; the front door routes the host names to it'
    );
  const certificate = inputs.optional('tls-certificate');
  const key = inputs.optional('tls-key');
  if (!!certificate !== !!key)
    throw new InputError(
      certificate ? 'tls-key' : 'tls-certificate',
      'is required with the other',
      'give tls-certificate and tls-key together'
    );
  if (certificate && key) {
    if (f.httpsPort === undefined)
      throw new InputError('front-door-ports', 'has no HTTPS port', 'write `http,https`, e.g. `80,443`');
    f.tlsPair = { certificate, key };
    checkTlsPair(f.tlsPair, f.hostnames);
  }
}

/** web-service, app-port and data-paths: how the compose files as users write them run (user-compose.ts). */
function readUserCompose(inputs: Inputs): Pick<DeploySpec, 'webService' | 'appPort' | 'dataPaths'> {
  const web = inputs.optional('web-service');
  if (web !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(web))
    throw new InputError('web-service', `"${web}" is not a service name`, 'name the service users reach');
  const appPort = inputs.optional('app-port');
  const dataPaths = inputs.list('data-paths');
  for (const p of dataPaths)
    if (!/^\.\.?(\/|$)/.test(p))
      throw new InputError(
        'data-paths',
        `"${p}" is not a relative bind source`,
        'write it as the compose file does, e.g. `./data`'
      );
  return {
    ...(web ? { webService: web } : {}),
    ...(appPort !== undefined ? { appPort: port('app-port', appPort) } : {}),
    ...(dataPaths.length ? { dataPaths } : {})
  };
}

/** canary-steps and canary-step-duration, checked against the gate and the timeout (strategy canary). */
function readCanaryPlan(inputs: Inputs, spec: DeploySpec): CanaryPlan {
  const plan: CanaryPlan = {
    steps: parseCanarySteps(inputs.string('canary-steps', { fallback: DEPLOY.text('canary-steps') })),
    stepMs: inputs.duration('canary-step-duration', {
      fallback: DEPLOY.text('canary-step-duration'),
      positive: true
    })
  };
  checkCanaryPlan(plan, spec.gate, spec.timeoutMs);
  return plan;
}

export interface RollbackInputs {
  spec: RollbackSpec;
  connection: ConnectionSpec;
  webhook?: { url: string; secret?: string };
}

/** registry, username and password (deploy-compose and rollback): all three or none. */
export function readRegistry(inputs: Inputs): RegistryLogin | undefined {
  const registryHost = inputs.optional('registry');
  const username = inputs.optional('username');
  const password = inputs.optional('password');
  if (!registryHost && !username && !password) return undefined;
  if (!registryHost || !username || !password)
    throw new InputError(
      !registryHost ? 'registry' : !username ? 'username' : 'password',
      'is missing: registry, username and password go together',
      'give all three, or none'
    );
  return { registry: registryHost, username, password };
}

export function readRollbackInputs(inputs: Inputs): RollbackInputs {
  const connection = readConnection(inputs);
  const target = readTarget(inputs, 'rollback');
  const to = inputs.optional('to');
  const registry = readRegistry(inputs);
  const spec: RollbackSpec = {
    ...target,
    ...(registry ? { registry } : {}),
    dryRun: inputs.boolean('dry-run', ROLLBACK.flag('dry-run')),
    reason: inputs.string('reason', { fallback: ROLLBACK.text('reason') }),
    ...(inputs.boolean('drill', ROLLBACK.flag('drill')) ? { drill: true } : to ? { to } : {})
  };
  const url = inputs.optional('webhook-url');
  const secret = inputs.optional('webhook-secret');
  return { spec, connection, ...(url ? { webhook: { url, ...(secret ? { secret } : {}) } } : {}) };
}

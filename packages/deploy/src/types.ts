import type {
  DeployActionsError,
  DeployEvent,
  Executor,
  Logger,
  RunContext,
  ScanRecord
} from '../../core/src/index.js';
import type { GateResult, GateSpec, SavedExpectations } from '../../health/src/index.js';
import type { Slot } from './layout.js';
import type { MigrateSpec } from './migrate-command.js';
import type { ProxyOptions } from './proxy.js';
import type { ReleaseScan } from './scan-record.js';

import type { Strategy } from './strategy.js';
import type { FrontDoorSpec, RecordedFrontDoor } from '../../frontdoor/src/index.js';
export type { Strategy } from './strategy.js';

/** release.json: everything needed to re-activate a release with nothing but the host. */
export interface ReleaseRecord {
  id: string;
  app: string;
  environment: string;
  version: string;
  strategy: Strategy;
  /** service → reference as given (tag or digest). */
  images: Record<string, string>;
  /** service → `repo@sha256:…` pulled on the host (or the image id when it has no repo digest). */
  digests: Record<string, string>;
  /** sha256 of the compose file, image references and .env. */
  configHash: string;
  actor: string;
  runUrl: string;
  createdAt: string;
  /** `pending` while deploying, `deployed` once it served, `failed` when it never did. */
  status: 'pending' | 'deployed' | 'failed';
  /** The last time this release started serving. */
  activatedAt?: string;
  /** The release that served before this one was activated (what rollback goes back to). */
  previous?: string;
  reason?: string;
  /**
   * Compose files of the release directory after compose.yml, in order: the further files given in
   * compose-file (compose.2.yml, …), then the deploy's own overrides (default: compose.images.yml).
   */
  overrides?: string[];
  /** migrate-command, when the deploy ran one (migrate.ts). */
  migration?: MigrationRecord;
  /** Services that run as accessories (their own project, not in the slots; accessories.ts). */
  accessories?: string[];
  /** Accessories the slots wait for (healthy) before they start: a `depends_on` with `service_healthy`. */
  awaitHealthy?: string[];
  /** scan-gate's verdict on the report in the release directory (scan-report.json). */
  scan?: ScanRecord;
}

/** What migrate-command did: in the release record, the history line and the `migration.applied` event. */
export interface MigrationRecord {
  /** The command as POSIX-quoted words, the env file's values masked. */
  command: string;
  service: string;
  /** The one host it ran on. */
  host: string;
  /** The compose project it ran in (the new release's). */
  project: string;
  exitCode: number;
  durationMs: number;
  /** When it started. */
  at: string;
  timedOut?: boolean;
}

/** active.json: what serves now and how. */
export interface ActiveRecord {
  release: string;
  strategy: Strategy;
  project: string;
  slot?: Slot;
  port?: number;
  since: string;
  /** How the app is reached, so a rollback with only host, app and environment can switch the same way. */
  publicPort?: number;
  slotPorts?: [number, number];
  proxyBind?: string;
  proxy?: ProxyOptions;
  portVar?: string;
  /** Served through the host's front door (public-hostnames) instead of a per-app proxy. */
  frontDoor?: RecordedFrontDoor;
  /**
   * Set by a switch until its gate passed: what served before it, and the run that switched. A run killed
   * between the switch and the gate leaves it; the next deploy or rollback resolves it (resolve.ts), judging the
   * release by what the switching run expected of its answers (`expect`), not by what the next run expects of
   * its own release (a `health-expect-body` naming its version).
   */
  unverified?: { previous: ActiveRecord | null; runUrl: string; expect?: SavedExpectations };
  /**
   * Set by a canary step while the proxy sends a share of traffic to an unverified release (the canary slot);
   * cleared by the abort (stable upstream) and by the switch at 100%. A run killed part way leaves it; the next
   * deploy or rollback puts all traffic back on `release` first (resolve.ts).
   */
  canary?: { release: string; slot: Slot; port: number; percent: number; runUrl: string };
}

export interface HostState {
  current?: string;
  active?: ActiveRecord;
  releases: ReleaseRecord[];
  /** Ids of pruned releases whose set-aside directory a failed removal left behind (layout.ts prunedDir). */
  leftovers?: string[];
}

export interface HistoryEntry {
  time: string;
  event: string;
  app: string;
  environment: string;
  release?: string;
  version?: string;
  actor: string;
  runUrl: string;
  host: string;
  [field: string]: unknown;
}

/** Enough to release a lock later, from another process: where it is and the holder's token. */
export interface HeldLockRef {
  dir: string;
  token: string;
  release?: string;
  /** What held it, for the post step's `deploy.cancelled` line. */
  operation?: 'deploy' | 'rollback';
  app?: string;
  environment?: string;
}

export interface LockHolder {
  token: string;
  actor: string;
  runUrl: string;
  /** hostname of the machine that runs the deploy (the runner), and its pid, for stale detection. */
  runner: string;
  pid: number;
  /** hostname/boot id/pid-namespace inode (identity.ts): a pid is only judged by a runner with the same. */
  runnerId?: string;
  /** The holder process's start time (identity.ts processStart): a reused pid is not the holder. */
  pidStart?: string;
  /** The GitHub run that holds it (when run by GitHub): checked through the API before a takeover. */
  repository?: string;
  runId?: string;
  runAttempt?: string;
  operation: string;
  release?: string;
  startedAt: string;
  heartbeatAt: string;
}

export interface RegistryLogin {
  registry: string;
  username: string;
  password: string;
}

/** What both deploy and rollback share: where, who, how to reach it. */
export interface TargetSpec {
  app: string;
  /** The environment as GitHub names it (`Production`, `Staging EU`), shown in summaries and history. */
  environment: string;
  /** Its safe form for host paths and compose project names (`production`, `staging-eu`); default: environment. */
  environmentSlug?: string;
  hosts: string[];
  stateDir: string;
  /** node_exporter's textfile directory on each host: the deploy textfile goes there (textfile.ts). */
  metricsDir?: string;
  /**
   * The environment is critical (`critical`): an automatic rollback (a deploy's, or a rollback run the workflows
   * start on a failed soak) also records `incident.opened` in each host's history, as the notifier sends it.
   */
  critical?: boolean;
  /** Port the app listens on under recreate, and the proxy's public port under blue-green/rolling. */
  publicPort?: number;
  /** The two slot ports for blue-green/rolling. */
  slotPorts: [number, number];
  /** The proxy's bind address. */
  proxyBind: string;
  /** How the proxy carries traffic (proxy-* inputs); absent: DEFAULT_PROXY. */
  proxy?: ProxyOptions;
  /** Reached through the host's shared front door by host name (public-hostnames), not a per-app proxy. */
  frontDoor?: FrontDoorSpec;
  /** The variable the app reads its listen port from. */
  portVar: string;
  lockTimeoutMs: number;
  lockStaleMs: number;
  lockPollMs: number;
  breakLock: boolean;
  /** The whole operation's bound; every step's timeout is cut to what is left. */
  timeoutMs: number;
  drainMs: number;
  /** The gate after a switch (HTTP probes from here, container probes over SSH). */
  gate?: GateSpec;
  /** Path probed on the host against a new slot before traffic moves to it (from gate's first URL). */
  slotCheckPath?: string;
  /** Time allowed for a new slot to be running and answer. */
  startTimeoutMs: number;
  registry?: RegistryLogin;
}

export interface DeploySpec extends TargetSpec {
  version: string;
  strategy: Strategy;
  /** The first compose file (compose.yml in the release). */
  composeText: string;
  /** Further compose files, in order (`-f compose.yml -f compose.2.yml …`), resolved by the host's compose. */
  composeMore?: string[];
  /**
   * The `accessories` input: service names, `['none']`, or empty to detect them (accessories.ts).
   */
  accessories?: string[];
  envText: string;
  /** The scanner's report and scan-gate's verdict (scan-report, scan-verdict): scan-report.json and `scan`. */
  scan?: ReleaseScan;
  /** service → reference. */
  images: Record<string, string>;
  keepReleases: number;
  autoRollback: boolean;
  /** strategy canary: the shares and how long each lasts (canary-proxy.ts). */
  canary?: CanaryPlan;
  /** migrate-command: run once, before any traffic moves (migrate.ts). */
  migrate?: MigrateSpec;
  /**
   * The first compose file's directory on the runner: relative bind sources, secrets and configs are looked up
   * there (user-compose.ts). Absent: nothing ships and every relative bind is data.
   */
  composeDir?: string;
  /** The service behind the proxy (`web-service`); default: the only slotted service with `ports:`. */
  webService?: string;
  /** The web service's container port (`app-port`); default: its one TCP mapping. */
  appPort?: number;
  /** Relative bind sources that are data even when they exist on the runner (`data-paths`). */
  dataPaths?: string[];
}

export interface RollbackSpec extends TargetSpec {
  /** A release id or version; default: the previous release. */
  to?: string;
  dryRun: boolean;
  reason: string;
  /** Part of a rollback drill: its history lines say so, and delivery reports do not count it as a failure. */
  drill?: boolean;
}

export interface EngineDeps {
  logger: Logger;
  context: Pick<RunContext, 'actor' | 'runUrl'>;
  /** Open an executor for a host (SSH in the action; tests may wrap it to inject faults). */
  connect(host: string): Promise<Executor>;
  /** Events as they happen (webhook, summary). Errors are the callee's to handle. */
  onEvent?(event: DeployEvent): Promise<void> | void;
  /**
   * A host lock was taken (held) or let go (undefined). The action saves it as step state, so its `post:`
   * step can release a lock a cancelled or killed run left behind.
   */
  onLock?(host: string, held: HeldLockRef | undefined): void;
  /** Runs the gate; default packages/health runGate. */
  runGate?(spec: GateSpec, executor: Executor): Promise<GateResult>;
  now?(): Date;
  /**
   * The runner's hostname and pid, and the GitHub run, recorded in the lock (default os.hostname(),
   * process.pid, no run).
   */
  runner?: {
    name: string;
    pid: number;
    id?: string;
    repository?: string;
    runId?: string;
    runAttempt?: string;
  };
  /**
   * The state of a GitHub workflow run (with a token): proof that a lock's holder is gone when it is
   * completed. Undefined when unknown; never throws.
   */
  workflowRun?(repository: string, runId: string): Promise<WorkflowRunState | undefined>;
  /**
   * What differs on one host (its state dir, ports, gate URL). Labs that run several "hosts" on one dockerd
   * give each its own ports and environment slug this way; default: the spec as it is.
   */
  forHost?<S extends TargetSpec>(host: string, spec: S): S;
}

export interface HostOutcome {
  host: string;
  release?: string;
  previous?: string;
  serving?: string;
  digests: Record<string, string>;
  gate?: GateResult;
  rolledBack: boolean;
  /** SSH sessions this run opened on the host (link plus login shell each), and what a no-op cost there. */
  sessions?: number;
  noopMs?: number;
  /** What ended up serving there. */
  outcome?: string;
}

export interface DeployOutcome {
  ok: boolean;
  releaseId: string;
  previousReleaseId?: string;
  url?: string;
  digests: Record<string, string>;
  rolledBack: boolean;
  durationMs: number;
  events: DeployEvent[];
  hosts: HostOutcome[];
  error?: DeployActionsError;
  gate?: GateResult;
  /** strategy canary: each step below 100% on each host, judged on the canary slot's own probes. */
  canary?: CanaryStepReport[];
  /** migrate-command, when it ran (also when it failed). */
  migration?: MigrationRecord;
  /** What the release's copy of the compose files changed, and the warnings about them (user-compose.ts). */
  compose?: { report: string[]; warnings: string[] };
}

export interface CanaryStepReport {
  step: number;
  percent: number;
  host: string;
  verdict: GateResult['verdict'] | 'error';
  reason: string;
  probes: number;
  failures: number;
  p50Ms: number;
  p95Ms: number;
  durationMs: number;
}

export type { Clock } from './clock.js';

export interface RollbackPlanEntry {
  host: string;
  from?: string;
  to: string;
  changes: string[];
  candidates: { id: string; version: string; status: string; createdAt: string; current: boolean }[];
}

export interface RollbackOutcome {
  ok: boolean;
  releaseId: string;
  fromReleaseId?: string;
  rolledBack: boolean;
  dryRun: boolean;
  plan: RollbackPlanEntry[];
  durationMs: number;
  events: DeployEvent[];
  error?: DeployActionsError;
  gate?: GateResult;
  hosts?: HostOutcome[];
}

/** `strategy: canary`'s plan, read from the inputs (canary-proxy.ts). */
export interface CanaryPlan {
  /** Increasing shares of traffic, in percent, ending at 100. */
  steps: number[];
  /** How long each step below 100 lasts (and is judged). */
  stepMs: number;
}

/** What GitHub says of the holder's workflow run (GET /repos/{owner}/{repo}/actions/runs/{run_id}). */
export interface WorkflowRunState {
  status: string;
  conclusion: string | null;
  /** The run's latest attempt: a newer one means the holder's attempt is over. */
  runAttempt?: number;
}

import { hostname } from 'node:os';
import { join } from 'node:path/posix';
import {
  ConnectionError,
  DeployActionsError,
  DeployError,
  HealthError,
  describeError,
  formatMs,
  makeEvent,
  type DeployEvent,
  type EventType,
  type Executor,
  type Logger
} from '../../core/src/index.js';
import {
  composeConfigArgv,
  composeDownArgv,
  composeUpArgv,
  detectCompose,
  imagesOverride,
  parseComposeFile,
  type ComposeProject,
  type ComposeTool
} from '../../compose/src/index.js';
import { defaultGateSpec, runGate, type GateResult, type GateSpec } from '../../health/src/index.js';
import {
  HISTORY_ADD,
  appendFileArgv,
  lockReleaseIfOursArgv,
  commitArgv,
  dockerImageDigestsArgv,
  dockerImageRemoveArgv,
  dockerLoginArgv,
  dockerLogsArgv,
  dockerProjectContainersArgv,
  dockerPullArgv,
  dockerVersionArgv,
  mkdirArgv,
  pidAliveArgv,
  proxySwitchArgv,
  removeProjectContainersArgv,
  removeTreeArgv,
  slotProbeArgv
} from './commands.js';
import { Deadline, Host, parseContainerStates } from './host.js';
import { newReleaseId, layout, otherSlot, projectName, releaseDir, type Slot } from './layout.js';
import { acquireLock, type HeldLock } from './lock.js';
import { nginxConf, proxyFiles, upstreamConf } from './proxy.js';
import { configHash } from './validate.js';
import { tarball, type TarFile } from './tar.js';
import type {
  ActiveRecord,
  DeployOutcome,
  DeploySpec,
  EngineDeps,
  HeldLockRef,
  HistoryEntry,
  HostState,
  ReleaseRecord,
  RollbackOutcome,
  RollbackSpec,
  Strategy,
  TargetSpec
} from './types.js';

const COMPOSE_FILE = 'compose.yml';
const IMAGES_FILE = 'compose.images.yml';

/** Shared by deploy and rollback: events to the caller and the host's history. */
class Recorder {
  readonly events: DeployEvent[] = [];
  constructor(
    private readonly spec: TargetSpec,
    private readonly deps: EngineDeps
  ) {}

  async emit(type: EventType, version: string, fields: Record<string, unknown> = {}): Promise<void> {
    const event = makeEvent(
      type,
      { app: this.spec.app, environment: this.spec.environment, version },
      this.deps.context,
      fields,
      this.deps.now?.() ?? new Date()
    );
    this.events.push(event);
    try {
      await this.deps.onEvent?.(event);
    } catch (err) {
      this.deps.logger.warning(`event ${type}: ${describeError(err)}`);
    }
  }

  entry(host: string, event: string, fields: Record<string, unknown>): HistoryEntry {
    return {
      time: (this.deps.now?.() ?? new Date()).toISOString(),
      event,
      app: this.spec.app,
      environment: this.spec.environment,
      actor: this.deps.context.actor,
      runUrl: this.deps.context.runUrl,
      host,
      ...fields
    };
  }
}

/** Retry a cleanup step across a short connection outage: cleanup must not give up at the first drop. */
async function persist<T>(what: string, logger: Logger, fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ConnectionError) || i >= attempts) throw err;
      logger.warning(`${what}: ${err.message.split('\n')[0]}; retrying (${i}/${attempts - 1})`);
      await new Promise((r) => setTimeout(r, 1000 * i));
    }
  }
}

/** One host's part of a deploy or rollback. */
class HostRun {
  tool!: ComposeTool;
  lock?: HeldLock;
  state: HostState = { releases: [] };
  /** The release being activated. */
  release!: ReleaseRecord;
  /** What served before (its record and how it ran). */
  before?: { record?: ReleaseRecord; active: ActiveRecord };
  candidate?: ActiveRecord;
  switched = false;
  /** The release directory exists on the host. */
  written = false;
  gate?: GateResult;
  private proxyUp = false;
  /** History lines that ride along with the next commit. */
  private pending: HistoryEntry[] = [];

  constructor(
    readonly host: Host,
    readonly spec: TargetSpec,
    readonly strategy: Strategy,
    readonly rec: Recorder,
    readonly deps: EngineDeps,
    readonly operation: 'deploy' | 'rollback'
  ) {}

  get logger(): Logger {
    return this.host.logger;
  }

  entry(event: string, fields: Record<string, unknown> = {}): HistoryEntry {
    return this.rec.entry(this.host.name, event, {
      release: this.release?.id,
      version: this.release?.version,
      ...fields
    });
  }

  history(event: string, fields: Record<string, unknown> = {}): Promise<void> {
    return this.host.appendHistory(this.entry(event, fields));
  }

  /** Files (relative to the app root) and history lines in one round trip; optionally re-point `current`. */
  async commit(step: string, files: TarFile[], history: HistoryEntry[], link?: string): Promise<void> {
    const all = [...files];
    history = [...this.pending.splice(0), ...history];
    if (history.length)
      all.push({ path: HISTORY_ADD, content: history.map((e) => JSON.stringify(e)).join('\n') + '\n' });
    await this.host.run(commitArgv(this.host.layout.root, link), step, { stdin: tarball(all) });
  }

  releaseFile(id: string, name: string): string {
    return `releases/${id}/${name}`;
  }

  /** Compose, docker, the app's directories and the lock. Nothing changes for the running release. */
  async open(releaseHint?: string, lock = true): Promise<void> {
    const h = this.host;
    this.tool = await detectCompose(h.executor, this.logger);
    const docker = await h.run(dockerVersionArgv(), 'docker version', { check: false });
    if (docker.exitCode !== 0)
      throw new DeployError(
        `Docker does not answer on ${h.name}: ${(docker.stderr || docker.stdout).trim()}`,
        {
          state: 'nothing was changed on the host',
          hint: 'check that dockerd runs and that the SSH user may use it (docker group or root)'
        }
      );
    if (!lock) {
      // A dry run only reads: no directories, no lock, so it answers even while a deploy runs.
      await this.load();
      return;
    }
    await h.run(mkdirArgv(h.layout.releases, h.layout.proxy), 'create state-dir');
    const runner = this.deps.runner ?? { name: hostname(), pid: process.pid };
    this.lock = await acquireLock(h, {
      timeoutMs: this.spec.lockTimeoutMs,
      staleMs: this.spec.lockStaleMs,
      pollMs: this.spec.lockPollMs,
      breakLock: this.spec.breakLock,
      runnerName: runner.name,
      holder: {
        actor: this.deps.context.actor,
        runUrl: this.deps.context.runUrl,
        runner: runner.name,
        pid: runner.pid,
        operation: this.operation,
        ...(releaseHint ? { release: releaseHint } : {})
      },
      history: (e) => h.appendHistory(this.rec.entry(h.name, e.event, e))
    });
    this.deps.onLock?.(h.name, {
      dir: h.layout.lock,
      token: this.lock.holder.token,
      ...(releaseHint ? { release: releaseHint } : {})
    });
    await this.load();
  }

  /** What the host knows: releases, what serves and how. */
  private async load(): Promise<void> {
    this.state = await this.host.readState();
    if (this.state.active) {
      const record = this.state.releases.find((r) => r.id === this.state.active!.release);
      this.before = { active: this.state.active, ...(record ? { record } : {}) };
    }
  }

  private project(release: ReleaseRecord, active: Pick<ActiveRecord, 'project' | 'port'>): ComposeProject {
    const dir = releaseDir(this.host.layout, release.id);
    return {
      project: active.project,
      files: [join(dir, COMPOSE_FILE), join(dir, IMAGES_FILE)],
      ...(active.port !== undefined ? { vars: { [this.spec.portVar]: String(active.port) } } : {})
    };
  }

  /** Write a new release directory, check it with the host's compose, log in, pull, pin digests. */
  async writeRelease(d: DeploySpec, release: ReleaseRecord): Promise<void> {
    const h = this.host;
    this.release = release;
    await this.commit(
      'write the release directory',
      [
        { path: this.releaseFile(release.id, COMPOSE_FILE), content: d.composeText },
        { path: this.releaseFile(release.id, '.env'), content: d.envText },
        { path: this.releaseFile(release.id, IMAGES_FILE), content: imagesOverride(release.images) },
        { path: this.releaseFile(release.id, 'release.json'), content: JSON.stringify(release) + '\n' }
      ],
      [
        this.entry('deploy.started', { strategy: d.strategy }),
        this.entry('release.written', { configHash: release.configHash })
      ]
    );
    this.written = true;
    const probe = this.project(release, {
      project: projectName(d.app, d.environment),
      port: d.publicPort ?? d.slotPorts[0]
    });
    const config = await h.run(composeConfigArgv(this.tool, probe), 'compose config', { check: false });
    if (config.exitCode !== 0)
      throw new DeployError(
        `compose-file is not valid for ${this.tool.generation === 'v2' ? 'docker compose' : 'docker-compose'} ${this.tool.version} on ${h.name}: ${(config.stderr || config.stdout).trim()}`,
        {
          state: 'the release directory was written; nothing was started',
          hint: 'fix the compose file (docker compose config -q shows the same error locally)'
        }
      );
    if (d.registry) {
      await h.run(
        dockerLoginArgv(d.registry.registry, d.registry.username),
        `docker login ${d.registry.registry}`,
        { stdin: d.registry.password }
      );
    }
    for (const [service, ref] of Object.entries(release.images)) {
      try {
        await h.run(dockerPullArgv(ref), `pull ${ref}`, { ownTimeoutMs: 10 * 60_000 });
      } catch (err) {
        if (err instanceof DeployActionsError && err.kind === 'command')
          throw new DeployError(
            `Pulling ${ref} (service ${service}) on ${h.name} failed: ${err.message.split('\n').slice(1).join(' ').trim() || err.message}`,
            {
              state: 'nothing was started; the previous release is untouched',
              hint: 'check that the registry is reachable from the host and that registry/username/password are right'
            }
          );
        throw err;
      }
      const inspect = await h.run(dockerImageDigestsArgv(ref), `inspect ${ref}`);
      release.digests[service] = pickDigest(ref, inspect.stdout);
    }
    await this.commit(
      'pin image digests',
      [
        { path: this.releaseFile(release.id, IMAGES_FILE), content: imagesOverride(release.digests) },
        { path: this.releaseFile(release.id, 'release.json'), content: JSON.stringify(release) + '\n' }
      ],
      [this.entry('images.pulled', { digests: release.digests })]
    );
  }

  recordFile(): TarFile {
    return {
      path: this.releaseFile(this.release.id, 'release.json'),
      content: JSON.stringify(this.release) + '\n'
    };
  }

  async writeRecord(history: HistoryEntry[] = []): Promise<void> {
    await this.commit('write release.json', [this.recordFile()], history);
  }

  /** Check the chosen strategy fits what runs now, and that the ports it needs are free. */
  async preflight(): Promise<void> {
    const before = this.before?.active;
    const slotted = this.strategy !== 'recreate';
    if (before && (before.strategy === 'recreate') !== !slotted)
      throw new DeployError(
        `${this.host.name} runs ${before.release} with strategy ${before.strategy}; switching to ${this.strategy} in place is not supported`,
        {
          state: 'nothing was changed',
          hint: `keep strategy ${before.strategy}, or take the app down (docs/runbooks/failed-deploy.md) and deploy anew`
        }
      );
    if (!slotted) return;
    const slot = otherSlot(before?.slot);
    const port = this.slotPort(slot);
    const users = await this.host.portListeners(port);
    if (users)
      throw new DeployError(
        `Slot port ${port} (${slot}) is already in use on ${this.host.name}: ${users.replace(/\s+/g, ' ')}`,
        {
          state: `nothing was started; ${before ? `release ${before.release} is still serving` : 'nothing was serving'}`,
          hint: 'stop what listens there, or choose other `slot-ports`'
        }
      );
    const files = proxyFiles(this.host.layout.proxy);
    this.proxyUp =
      (await this.host.run(pidAliveArgv(files.pid), 'check the proxy', { check: false })).exitCode === 0;
    if (!this.proxyUp) {
      const pub = await this.host.portListeners(this.spec.publicPort!);
      if (pub)
        throw new DeployError(
          `Public port ${this.spec.publicPort} is already in use on ${this.host.name} and not by this app's proxy: ${pub.replace(/\s+/g, ' ')}`,
          {
            state: `nothing was started; ${before ? `release ${before.release} is still serving` : 'nothing was serving'}`,
            hint: 'free the port or choose another `public-port`'
          }
        );
    }
  }

  slotPort(slot: Slot): number {
    return slot === 'blue' ? this.spec.slotPorts[0] : this.spec.slotPorts[1];
  }

  /** Start the release: beside the old one (slots), or in its place (recreate). Then wait for it to run. */
  async start(): Promise<void> {
    const h = this.host;
    const before = this.before?.active;
    if (this.strategy === 'recreate') {
      this.candidate = {
        release: this.release.id,
        strategy: 'recreate',
        project: projectName(this.spec.app, this.spec.environment),
        ...(this.spec.publicPort !== undefined ? { port: this.spec.publicPort } : {}),
        since: new Date().toISOString()
      };
    } else {
      const slot = otherSlot(before?.slot);
      this.candidate = {
        release: this.release.id,
        strategy: this.strategy,
        project: projectName(this.spec.app, this.spec.environment, slot),
        slot,
        port: this.slotPort(slot),
        since: new Date().toISOString()
      };
      // A leftover of an earlier failed run in this slot is not serving: clear it.
      await h.run(removeProjectContainersArgv(this.candidate.project), 'clear the idle slot', {
        check: false
      });
    }
    if (this.strategy === 'recreate') this.switched = true; // up -d replaces what serves
    await h.run(
      composeUpArgv(this.tool, this.project(this.release, this.candidate), { removeOrphans: true }),
      `compose up ${this.candidate.project}`,
      { ownTimeoutMs: 5 * 60_000 }
    );
    this.pending.push(
      this.entry('release.started', {
        project: this.candidate.project,
        slot: this.candidate.slot ?? null,
        port: this.candidate.port ?? null
      })
    );
    await this.waitReady(this.candidate, this.release);
  }

  async containerIds(active: ActiveRecord): Promise<string[]> {
    const r = await this.host.run(dockerProjectContainersArgv(active.project), 'list containers', {
      check: false
    });
    return r.stdout
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /** Running (and healthy when they have a HEALTHCHECK), and answering on the slot port from the host itself. */
  async waitReady(active: ActiveRecord, release: ReleaseRecord): Promise<void> {
    const h = this.host;
    const until = Date.now() + Math.min(this.spec.startTimeoutMs, h.deadline.remaining());
    const tool = this.spec.slotCheckPath && active.port !== undefined ? await h.http() : null;
    if (this.spec.slotCheckPath && !tool)
      this.logger.warning(
        `neither curl nor wget on ${h.name}: the new containers are checked by their state only before traffic moves`
      );
    const url = tool ? `http://127.0.0.1:${active.port}${this.spec.slotCheckPath}` : undefined;
    let okRounds = 0;
    let last = '';
    for (;;) {
      const r = await h.run(slotProbeArgv(active.project, tool, url), `check ${active.project}`, {
        check: false,
        ownTimeoutMs: 15_000
      });
      const lines = r.stdout.split('\n');
      const httpLine = lines.find((l) => l.startsWith('http '));
      const states = parseContainerStates(lines.filter((l) => !l.startsWith('http ')).join('\n'));
      const crashed = states.find(
        (s) => s.status === 'exited' || s.status === 'dead' || s.status === 'restarting' || s.restarts > 0
      );
      if (crashed) {
        const logs = await h.run(dockerLogsArgv(crashed.id), 'container logs', { check: false });
        throw new DeployError(
          `Container ${crashed.name} of release ${release.id} crashed on start on ${h.name} (${crashed.status}, exit code ${crashed.exitCode}, ${crashed.restarts} restarts). Last log lines:\n${(logs.stdout + logs.stderr).trim().split('\n').slice(-10).join('\n')}`,
          { hint: 'read the log lines above; run the image locally with the same .env to reproduce' }
        );
      }
      const unhealthy = states.find((s) => s.health === 'unhealthy');
      const running =
        states.length > 0 &&
        states.every((s) => s.status === 'running' && (s.health === '-' || s.health === 'healthy'));
      const answered = !url || httpLine === 'http 0';
      if (!running)
        last =
          states.length === 0
            ? 'no containers yet'
            : states.map((s) => `${s.name} ${s.status}/${s.health}`).join(', ');
      else if (!answered) last = `${url} does not answer (${httpLine ?? 'no check'})`;
      okRounds = running && answered ? okRounds + 1 : 0;
      if (okRounds >= 2) return;
      if (unhealthy || Date.now() >= until)
        throw new HealthError(
          `Release ${release.id} did not become ready on ${h.name} within ${formatMs(this.spec.startTimeoutMs)}: ${unhealthy ? `${unhealthy.name} is unhealthy` : last}`,
          {
            hint: 'check the health endpoint and the container logs; raise `start-timeout` if it is slow to start'
          }
        );
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  /** Move traffic: the proxy's upstream and a graceful reload (slots), `current` and active.json. */
  async switchTo(active: ActiveRecord, release: ReleaseRecord, history: HistoryEntry[] = []): Promise<void> {
    const h = this.host;
    const record: ActiveRecord = {
      ...active,
      ...(this.spec.publicPort !== undefined ? { publicPort: this.spec.publicPort } : {}),
      slotPorts: this.spec.slotPorts,
      proxyBind: this.spec.proxyBind,
      portVar: this.spec.portVar
    };
    const files: TarFile[] = [{ path: 'active.json', content: JSON.stringify(record) + '\n' }];
    const proxy = proxyFiles(h.layout.proxy);
    if (active.slot && active.port !== undefined) {
      files.push(
        { path: 'proxy/upstream.conf', content: upstreamConf(active.port, release.id, active.slot) },
        { path: 'proxy/nginx.conf', content: nginxConf(proxy, this.spec.proxyBind, this.spec.publicPort!) }
      );
    }
    await this.commit(
      'record the switch',
      files,
      [
        ...history,
        this.entry('traffic.switched', {
          to: release.id,
          slot: active.slot ?? null,
          port: active.port ?? null
        })
      ],
      `releases/${release.id}`
    );
    if (active.slot && active.port !== undefined) {
      await h.run(proxySwitchArgv(proxy.conf, proxy.prefix), 'switch the proxy (nginx -t, reload)');
      this.proxyUp = true;
      this.switched = true;
    }
  }

  gateSpec(ids: string[]): GateSpec | undefined {
    const base = this.spec.gate;
    if (!base && ids.length === 0) return undefined;
    const spec = base
      ? { ...base }
      : { ...defaultGateSpec(), intervalMs: 1000, successThreshold: 2, timeoutMs: 60_000 };
    spec.containers = [...(base?.containers ?? []), ...ids];
    return spec;
  }

  async runGate(active: ActiveRecord, release: ReleaseRecord): Promise<GateResult | undefined> {
    const spec = this.gateSpec(await this.containerIds(active));
    if (!spec) return undefined;
    const gate =
      this.deps.runGate ??
      ((s: GateSpec, executor: Executor) => runGate(s, { logger: this.logger, executor }));
    const result = await gate(spec, this.host.executor);
    this.pending.push(
      this.entry(result.verdict === 'healthy' ? 'gate.passed' : 'gate.failed', {
        gateRelease: release.id,
        reason: result.reason
      })
    );
    return result;
  }

  /** The new release serves and passed: drain and stop the old slot, record, prune. */
  async finalize(keepReleases: number, history: HistoryEntry[]): Promise<void> {
    const h = this.host;
    const old = this.before?.active;
    const lines: HistoryEntry[] = [];
    if (old && this.candidate && old.project !== this.candidate.project && old.slot) {
      // Drain: nginx's old workers finish the requests they hold while new ones go to the new slot. The stop
      // then honours the services' own stop_grace_period.
      await new Promise((r) =>
        setTimeout(r, Math.min(this.spec.drainMs, Math.max(0, h.deadline.remaining() - 5000)))
      );
      const oldRelease = this.before?.record ?? ({ id: old.release } as ReleaseRecord);
      await h.run(
        composeDownArgv(this.tool, this.project(oldRelease, old), { removeOrphans: true }),
        `stop ${old.project}`,
        { check: false }
      );
      lines.push(this.entry('release.stopped', { stopped: old.release, project: old.project }));
    }
    this.release.status = 'deployed';
    this.release.activatedAt = new Date().toISOString();
    await this.writeRecord([...lines, ...history]);
    const known = new Set([...this.state.releases.map((r) => r.id), this.release.id]);
    if (keepReleases > 0 && known.size > keepReleases) await this.prune(keepReleases);
  }

  /** Keep the newest `keep` releases (and the ones serving or just before); remove the rest and their images. */
  async prune(keep: number): Promise<void> {
    const h = this.host;
    const state = await h.readState();
    const protect = new Set(
      [this.release.id, this.release.previous, state.current].filter(Boolean) as string[]
    );
    for (const r of state.releases.slice(-keep)) protect.add(r.id);
    const drop = state.releases.filter((r) => !protect.has(r.id));
    if (drop.length === 0) return;
    const keptImages = new Set(
      state.releases.filter((r) => protect.has(r.id)).flatMap((r) => Object.values(r.digests))
    );
    const images = [...new Set(drop.flatMap((r) => Object.values(r.digests)))].filter(
      (i) => !keptImages.has(i)
    );
    for (const r of drop) await h.run(removeTreeArgv(releaseDir(h.layout, r.id)), `remove release ${r.id}`);
    // Only images no retained release references; one a container still uses stays (docker refuses).
    if (images.length) await h.run(dockerImageRemoveArgv(images), 'prune old images', { check: false });
    await this.history('releases.pruned', { removed: drop.map((r) => r.id), images });
  }

  /**
   * Undo: traffic back to what served before (its slot still runs), or `up -d` of the previous release
   * (recreate), then stop the candidate. Returns a sentence on what serves now.
   */
  async revert(): Promise<{ serving: string; restored: boolean }> {
    const h = this.host;
    const old = this.before;
    let restored = !old;
    if (this.switched && old?.record) {
      if (old.active.slot)
        await persist('switch traffic back', this.logger, () => this.switchTo(old.active, old.record!));
      else {
        await persist('restart the previous release', this.logger, () =>
          h.run(
            composeUpArgv(this.tool, this.project(old.record!, old.active), { removeOrphans: true }),
            `compose up ${old.active.project} (previous release)`,
            { ownTimeoutMs: 5 * 60_000 }
          )
        );
        await persist('point current back', this.logger, () => this.switchTo(old.active, old.record!));
      }
      restored = true;
    } else if (!this.switched && old?.record) restored = true;
    if (this.candidate && this.candidate.project !== old?.active.project) {
      const cand = this.candidate;
      await persist('stop the failed release', this.logger, () =>
        h.run(
          composeDownArgv(this.tool, this.project(this.release, cand), { removeOrphans: true, timeoutS: 5 }),
          `stop ${cand.project}`,
          { check: false }
        )
      );
    }
    const serving = old
      ? `release ${old.active.release} is serving on ${h.name}`
      : `nothing is serving on ${h.name} (there was no earlier release)`;
    return { serving, restored };
  }

  async close(): Promise<void> {
    try {
      if (this.lock) {
        await persist('release the lock', this.logger, () => this.lock!.release(), 3);
        this.deps.onLock?.(this.host.name, undefined);
      }
    } catch (err) {
      this.logger.warning(
        `could not release the lock on ${this.host.name}: ${describeError(err)}; the next run will report it as stale`
      );
    }
    await this.host.executor.close().catch(() => undefined);
  }
}

function pickDigest(ref: string, inspect: string): string {
  const [json = '[]', id = ''] = inspect.trim().split(' ');
  let digests: string[] = [];
  try {
    digests = JSON.parse(json) as string[];
  } catch {
    /* no digests */
  }
  const repo = ref.split('@')[0]!.replace(/:[^/:]+$/, '');
  return digests.find((d) => d.startsWith(`${repo}@`)) ?? digests[0] ?? (id || ref);
}

function gateFailure(result: GateResult): string {
  return `health gate ${result.verdict}: ${result.reason}`;
}

async function openHosts(
  spec: TargetSpec,
  deps: EngineDeps,
  deadline: Deadline,
  strategy: (h: string) => Strategy,
  rec: Recorder,
  operation: 'deploy' | 'rollback',
  hint?: string,
  lock = true
): Promise<HostRun[]> {
  const runs: HostRun[] = [];
  try {
    for (const name of spec.hosts) {
      const executor = await deps.connect(name);
      const host = new Host(
        name,
        executor,
        layout(spec.stateDir, spec.app, spec.environment),
        deadline,
        deps.logger
      );
      const run = new HostRun(host, spec, strategy(name), rec, deps, operation);
      runs.push(run);
      await run.open(hint, lock);
    }
    return runs;
  } catch (err) {
    for (const r of runs) await r.close();
    throw err;
  }
}

/**
 * Deploy a release to every host with its strategy, gate it, and undo it when the gate fails (auto-rollback).
 * Never throws for a failed deploy: the outcome carries the error, so outputs can still be set.
 */
export async function deploy(d: DeploySpec, deps: EngineDeps): Promise<DeployOutcome> {
  const started = Date.now();
  const logger = deps.logger;
  const rec = new Recorder(d, deps);
  const deadline = new Deadline(d.timeoutMs, 'deploy');
  const now = deps.now?.() ?? new Date();
  const releaseId = newReleaseId(now);
  const outcome: DeployOutcome = {
    ok: false,
    releaseId,
    digests: {},
    rolledBack: false,
    durationMs: 0,
    events: rec.events,
    hosts: []
  };
  const info = parseComposeFile(d.composeText);
  const images: Record<string, string> = {};
  for (const s of info.services) {
    const ref = d.images[s] ?? info.images[s];
    if (ref) images[s] = ref;
  }
  await rec.emit('deploy.started', d.version, { release: releaseId, strategy: d.strategy, hosts: d.hosts });
  let runs: HostRun[] = [];
  try {
    runs = await openHosts(d, deps, deadline, () => d.strategy, rec, 'deploy', releaseId);
  } catch (err) {
    const error = err instanceof DeployActionsError ? err : new DeployError(describeError(err));
    outcome.error = error;
    outcome.durationMs = Date.now() - started;
    await rec.emit('deploy.failed', d.version, { release: releaseId, reason: error.message.split('\n')[0] });
    return outcome;
  }
  const first = runs[0]!;
  outcome.previousReleaseId = first.before?.active.release;
  try {
    for (const r of runs) {
      const record: ReleaseRecord = {
        id: releaseId,
        app: d.app,
        environment: d.environment,
        version: d.version,
        strategy: d.strategy,
        images: { ...images },
        digests: {},
        configHash: configHash(d.composeText, images, d.envText),
        actor: deps.context.actor,
        runUrl: deps.context.runUrl,
        createdAt: now.toISOString(),
        status: 'pending',
        ...(r.before?.active.release ? { previous: r.before.active.release } : {})
      };
      r.release = record;
      await r.preflight();
      await r.writeRelease(d, record);
    }
    outcome.digests = { ...first.release.digests };
    // rolling: one host at a time; blue-green: every host ready before any switches; recreate: one at a time.
    const batches = d.strategy === 'blue-green' ? [runs] : runs.map((r) => [r]);
    for (const batch of batches) {
      for (const r of batch) await r.start();
      for (const r of batch) await r.switchTo(r.candidate!, r.release);
      for (const r of batch) {
        const result = await r.runGate(r.candidate!, r.release);
        r.gate = result;
        if (result) outcome.gate = result;
        if (result && result.verdict !== 'healthy')
          throw new HealthError(`Release ${releaseId} failed its ${gateFailure(result)} on ${r.host.name}`, {
            hint: 'read the gate evidence in the job summary'
          });
      }
    }
    for (const r of runs) {
      await r.finalize(d.keepReleases, [
        r.entry('deploy.completed', { digests: r.release.digests, durationMs: Date.now() - started })
      ]);
    }
    outcome.ok = true;
    await rec.emit('deploy.completed', d.version, {
      release: releaseId,
      digests: outcome.digests,
      durationMs: Date.now() - started
    });
  } catch (err) {
    const error = err instanceof DeployActionsError ? err : new DeployError(describeError(err));
    const what = error.message;
    logger.warning(`deploy of ${releaseId} failed: ${what.split('\n')[0]}; cleaning up`);
    const serving: string[] = [];
    let restoredAll = true;
    let anySwitched = false;
    for (const r of runs) {
      anySwitched ||= r.switched;
      if (!r.release) continue;
      try {
        if (!d.autoRollback && r.switched) {
          serving.push(
            `release ${releaseId} (failed) is still serving on ${r.host.name}: auto-rollback is off`
          );
          restoredAll = false;
          continue;
        }
        const { serving: s, restored } = await r.revert();
        serving.push(s);
        restoredAll &&= restored;
        if (r.switched && r.before?.record) {
          // Gate what serves again: a rollback is only done when it is healthy.
          const result = await r.runGate(r.before.active, r.before.record);
          if (result && result.verdict !== 'healthy') {
            restoredAll = false;
            serving.push(
              `but the previous release ${r.before.active.release} on ${r.host.name} is NOT healthy either (${gateFailure(result)})`
            );
          }
          outcome.rolledBack = true;
          await r.history('rollback.executed', {
            from: releaseId,
            to: r.before.active.release,
            reason: what.split('\n')[0],
            automatic: true
          });
        }
        r.release.status = 'failed';
        r.release.reason = what.split('\n')[0];
        const failed = r.entry('deploy.failed', { reason: what.split('\n')[0] });
        // A release refused in preflight has no directory: only the history says it was tried.
        if (r.written) await persist('record the failure', logger, () => r.writeRecord([failed]));
        else await persist('record the failure', logger, () => r.host.appendHistory(failed));
      } catch (cleanupErr) {
        restoredAll = false;
        serving.push(`cleanup on ${r.host.name} failed: ${describeError(cleanupErr).split('\n')[0]}`);
      }
    }
    if (outcome.rolledBack)
      await rec.emit('rollback.executed', d.version, {
        release: outcome.previousReleaseId ?? '',
        from: releaseId,
        reason: what.split('\n')[0],
        automatic: true
      });
    await rec.emit('deploy.failed', d.version, {
      release: releaseId,
      reason: what.split('\n')[0],
      rolledBack: outcome.rolledBack
    });
    const state =
      serving.join('; ') +
      (anySwitched && d.autoRollback && restoredAll && outcome.rolledBack
        ? ' (rolled back automatically)'
        : '');
    outcome.error = new DeployError(
      `Deploy of ${d.app}/${d.environment} release ${releaseId} failed: ${what}`,
      {
        state,
        hint: restoredAll
          ? `fix the cause above and deploy again; the failed release stays in ${join(d.stateDir, d.app, d.environment, 'releases', releaseId)} for inspection (docs/runbooks/failed-deploy.md)`
          : 'act now: check what serves (docs/runbooks/failed-deploy.md) and roll back by hand with the rollback action or `deploy-actions rollback` (docs/runbooks/manual-rollback.md)',
        cause: err
      }
    );
  } finally {
    for (const r of runs) {
      outcome.hosts.push({
        host: r.host.name,
        release: r.release?.id,
        previous: r.before?.active.release,
        digests: r.release?.digests ?? {},
        ...(r.gate ? { gate: r.gate } : {}),
        rolledBack: outcome.rolledBack
      });
      await r.close();
    }
  }
  outcome.url = d.gate?.urls[0]?.url;
  outcome.durationMs = Date.now() - started;
  return outcome;
}

/**
 * For the action's `post:` step: release locks its main step took and never let go (the run was cancelled
 * or killed), only when they are still held with the same token, and record it in the host history.
 */
export async function releaseLeftLocks(
  locks: Record<string, HeldLockRef>,
  deps: Pick<EngineDeps, 'logger' | 'context' | 'connect'>
): Promise<string[]> {
  const released: string[] = [];
  for (const [host, held] of Object.entries(locks)) {
    let executor: Executor | undefined;
    try {
      executor = await deps.connect(host);
      const r = await executor.run({
        argv: lockReleaseIfOursArgv(held.dir),
        stdin: held.token,
        check: false,
        timeoutMs: 30_000,
        step: 'release the left lock'
      });
      if (!r.stdout.includes('released')) continue;
      released.push(host);
      const entry = {
        time: new Date().toISOString(),
        event: 'lock.released',
        host,
        actor: deps.context.actor,
        runUrl: deps.context.runUrl,
        ...(held.release ? { release: held.release } : {}),
        reason: 'the run ended without releasing its lock (cancelled or killed); released by its post step'
      };
      await executor.run({
        argv: appendFileArgv(join(held.dir, '..', 'history.jsonl')),
        stdin: JSON.stringify(entry) + '\n',
        check: false,
        timeoutMs: 30_000
      });
      deps.logger.warning(
        `${host}: the deploy was interrupted while holding the lock${held.release ? ` (release ${held.release})` : ''}; the lock is released. Check what it left: docs/runbooks/failed-deploy.md`
      );
    } catch (err) {
      deps.logger.warning(
        `${host}: could not release the lock left by this run: ${describeError(err)}; see docs/runbooks/stale-lock.md`
      );
    } finally {
      await executor?.close().catch(() => undefined);
    }
  }
  return released;
}

/** Pick the release to go back to. Pure. */
export function chooseTarget(state: HostState, to: string | undefined): ReleaseRecord | { problem: string } {
  const current = state.active?.release ?? state.current;
  const usable = state.releases.filter((r) => r.status === 'deployed' && r.id !== current);
  if (to) {
    const byId = state.releases.find((r) => r.id === to);
    const found =
      byId ?? [...state.releases].reverse().find((r) => r.version === to && r.status === 'deployed');
    if (!found) return { problem: `no release ${to} on the host` };
    if (found.id === current) return { problem: `release ${to} is already serving` };
    if (found.status !== 'deployed')
      return { problem: `release ${found.id} never served (status ${found.status})` };
    return found;
  }
  const cur = state.releases.find((r) => r.id === current);
  const prev = cur?.previous ? usable.find((r) => r.id === cur.previous) : undefined;
  const target = prev ?? usable[usable.length - 1];
  return (
    target ?? {
      problem: current
        ? `release ${current} serves and no earlier release that served is kept`
        : 'nothing was ever deployed here'
    }
  );
}

function describeChanges(from: ReleaseRecord | undefined, to: ReleaseRecord): string[] {
  const changes: string[] = [];
  const services = new Set([...Object.keys(from?.digests ?? {}), ...Object.keys(to.digests)]);
  for (const s of services) {
    const a = from?.digests[s];
    const b = to.digests[s];
    if (a !== b) changes.push(`${s}: ${a ?? '(none)'} → ${b ?? '(none)'}`);
  }
  if (from && from.configHash !== to.configHash)
    changes.push(
      `configuration (compose file, .env): ${from.configHash.slice(7, 19)} → ${to.configHash.slice(7, 19)}`
    );
  changes.push(`version: ${from?.version ?? '(none)'} → ${to.version}`);
  return changes;
}

/** Re-activate an earlier release from the host's own release directory, gated like a deploy. */
export async function rollback(spec: RollbackSpec, deps: EngineDeps): Promise<RollbackOutcome> {
  const started = Date.now();
  const rec = new Recorder(spec, deps);
  const deadline = new Deadline(spec.timeoutMs, 'rollback');
  const outcome: RollbackOutcome = {
    ok: false,
    releaseId: '',
    rolledBack: false,
    dryRun: spec.dryRun,
    plan: [],
    durationMs: 0,
    events: rec.events
  };
  let runs: HostRun[] = [];
  try {
    runs = await openHosts(spec, deps, deadline, () => 'recreate', rec, 'rollback', undefined, !spec.dryRun);
  } catch (err) {
    outcome.error = err instanceof DeployActionsError ? err : new DeployError(describeError(err));
    outcome.durationMs = Date.now() - started;
    return outcome;
  }
  try {
    const targets: ReleaseRecord[] = [];
    for (const r of runs) {
      const t = chooseTarget(r.state, spec.to);
      if ('problem' in t)
        throw new DeployError(
          `Cannot roll back ${spec.app}/${spec.environment} on ${r.host.name}: ${t.problem}`,
          {
            state: 'nothing was changed',
            hint: `releases there: ${r.state.releases.map((x) => `${x.id} (${x.version}, ${x.status})`).join(', ') || 'none'}; give one as \`to\``
          }
        );
      targets.push(t);
      outcome.plan.push({
        host: r.host.name,
        ...(r.before ? { from: r.before.active.release } : {}),
        to: t.id,
        changes: describeChanges(r.before?.record, t),
        candidates: r.state.releases.map((x) => ({
          id: x.id,
          version: x.version,
          status: x.status,
          createdAt: x.createdAt,
          current: x.id === r.before?.active.release
        }))
      });
    }
    outcome.releaseId = targets[0]!.id;
    outcome.fromReleaseId = runs[0]!.before?.active.release;
    if (spec.dryRun) {
      outcome.ok = true;
      return outcome;
    }
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i]!;
      const target = targets[i]!;
      // The strategy the app runs with now decides how to switch (slots and proxy, or recreate).
      const strategy = r.before?.active.strategy ?? target.strategy;
      // Inputs left empty take what the host recorded at the last switch: host, app and environment suffice.
      const a = r.before?.active;
      const hostSpec: RollbackSpec = {
        ...spec,
        ...(spec.publicPort === undefined && a?.publicPort !== undefined
          ? {
              publicPort: a.publicPort,
              slotPorts: a.slotPorts ?? spec.slotPorts,
              proxyBind: a.proxyBind ?? spec.proxyBind
            }
          : {}),
        ...(a?.portVar && spec.portVar === 'PORT' ? { portVar: a.portVar } : {})
      };
      const run = new HostRun(r.host, hostSpec, strategy, rec, deps, 'rollback');
      Object.assign(run, { tool: r.tool, lock: r.lock, state: r.state, before: r.before, release: target });
      runs[i] = run;
      await run.history('rollback.started', { from: r.before?.active.release ?? null, reason: spec.reason });
      await run.preflight();
      await run.start();
      await run.switchTo(run.candidate!, target);
      const result = await run.runGate(run.candidate!, target);
      if (result) outcome.gate = result;
      if (result && result.verdict !== 'healthy')
        throw new HealthError(
          `Rollback target ${target.id} failed its ${gateFailure(result)} on ${r.host.name}`,
          { hint: 'read the gate evidence' }
        );
      await run.finalize(0, [
        run.entry('rollback.executed', {
          from: r.before?.active.release ?? null,
          to: target.id,
          reason: spec.reason
        })
      ]);
    }
    outcome.ok = true;
    outcome.rolledBack = true;
    await rec.emit('rollback.executed', targets[0]!.version, {
      release: outcome.releaseId,
      from: outcome.fromReleaseId ?? '',
      reason: spec.reason
    });
  } catch (err) {
    const error = err instanceof DeployActionsError ? err : new DeployError(describeError(err));
    const serving: string[] = [];
    for (const r of runs) {
      if (!r.candidate) continue;
      try {
        const { serving: s } = await r.revert();
        serving.push(s);
        await persist('record the failure', deps.logger, () =>
          r.commit(
            'record the failure',
            [],
            [r.entry('rollback.failed', { reason: error.message.split('\n')[0] })]
          )
        );
      } catch (cleanupErr) {
        serving.push(`cleanup on ${r.host.name} failed: ${describeError(cleanupErr).split('\n')[0]}`);
      }
    }
    outcome.error =
      serving.length === 0
        ? error
        : new DeployError(
            `Rollback of ${spec.app}/${spec.environment} to ${outcome.releaseId} failed: ${error.message}`,
            {
              state: serving.join('; '),
              hint: 'the release that served before is back; pick another `to` (dry-run lists them) or fix forward (docs/runbooks/manual-rollback.md)',
              cause: err
            }
          );
  } finally {
    for (const r of runs) await r.close();
  }
  outcome.durationMs = Date.now() - started;
  return outcome;
}

import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import type { ActionRun } from '../../packages/runner/src/index.js';
import { SshExecutor } from '../../packages/ssh/src/index.js';
import { runBundle } from '../support/harness.js';
import { fieldHost, privateLink, type FieldHost } from '../support/infra.js';
import {
  COMPOSE,
  bundleDeploy,
  bundleTarget,
  buildImages,
  cleanup,
  get,
  load,
  type BundleInputs
} from './support.js';

/**
 * The kill matrix (issue 17): the deploy-compose and rollback bundles run as the GitHub runner runs them, each
 * main step a child in a process group of its own, blue-green on field host 1 through a private far link. At
 * a chosen point, seen from outside (the child's log as it streams, files and containers on the host; never a
 * fixed sleep), the whole process group is SIGKILLed (`kill`: a reclaimed runner, no post step), or killed and
 * then its post step run (`cancel`: a cancelled job), or the link is cut (`cut`). Then, under a steady load:
 * the public port answers, history.jsonl holds whole lines, the state files agree with what serves, and a plain
 * deploy and a plain rollback succeed with no manual step. Used by test/deploy/kill-matrix.test.ts (a bounded
 * set of cases) and bench/kill-matrix.ts (all of them, as a table).
 */
export type How = 'kill' | 'cancel' | 'cut';
export type Op = 'deploy' | 'rollback';

export interface Point {
  op: Op;
  name: string;
  /** boundary: between two phases; inside: part way through one. */
  at: 'boundary' | 'inside';
  /** What shows the point was reached. */
  seen: (v: View) => boolean;
}

/** What the watcher sees: the child's output so far, and the host's files and containers. */
export interface View {
  log: string;
  root: string;
  /** Release ids on the host before the operation started. */
  releasesBefore: Set<string>;
  lab: KillLab;
}

const logged = (re: RegExp) => (v: View) => re.test(v.log);
const newReleaseDir = (v: View) => listReleases(v.root).some((id) => !v.releasesBefore.has(id));
const active = (root: string): { release?: string; unverified?: unknown } | undefined => {
  try {
    return JSON.parse(readFileSync(join(root, 'active.json'), 'utf8')) as { release?: string };
  } catch {
    return undefined;
  }
};

export const POINTS: Point[] = [
  { op: 'deploy', name: 'open done (lock taken)', at: 'boundary', seen: logged(/phase open took/) },
  { op: 'deploy', name: 'prepare: release dir written', at: 'inside', seen: newReleaseDir },
  { op: 'deploy', name: 'prepare done (images pulled)', at: 'boundary', seen: logged(/phase prepare took/) },
  {
    op: 'deploy',
    name: 'start: new slot container up',
    at: 'inside',
    seen: (v) => v.lab.containers(v.lab.idleSlot()) > 0
  },
  { op: 'deploy', name: 'start done (new slot ready)', at: 'boundary', seen: logged(/phase start took/) },
  { op: 'deploy', name: 'switch done (unverified)', at: 'boundary', seen: logged(/phase switch took/) },
  { op: 'deploy', name: 'gate: first round passed', at: 'inside', seen: logged(/round 1: pass/) },
  {
    op: 'deploy',
    name: 'finish: switch marked verified',
    at: 'inside',
    seen: (v) => {
      const a = active(v.root);
      return !!a && !v.releasesBefore.has(a.release ?? '') && !a.unverified;
    }
  },
  { op: 'rollback', name: 'open done (lock taken)', at: 'boundary', seen: logged(/phase open took/) },
  {
    op: 'rollback',
    name: 'start: target slot container up',
    at: 'inside',
    seen: (v) => v.lab.containers(v.lab.idleSlot()) > 0
  },
  {
    op: 'rollback',
    name: 'start+switch done (unverified)',
    at: 'boundary',
    seen: logged(/phase start took/)
  },
  { op: 'rollback', name: 'gate: first round passed', at: 'inside', seen: logged(/round 1: pass/) }
];

export interface CaseResult {
  op: Op;
  point: string;
  how: How;
  /** The point was seen and acted on. */
  hit: boolean;
  /** ms from the kill/cut until the public port answered 200 (0: it never stopped). */
  answeredMs: number;
  requests: number;
  failedRequests: number;
  failures: string[];
  /** The slowest answered request (a 2-core machine shared with other jobs answers slowly at times). */
  slowestMs: number;
  historyWhole: boolean;
  stateAgrees: string | true;
  nextDeployOk: boolean;
  /** ms from the kill/cut until a plain next deploy succeeded. */
  recoveredMs: number;
  tookOver: boolean;
  resolved: string;
  cancelledRecorded: boolean;
  rollbackOk: boolean;
  problems: string[];
}

export function listReleases(root: string): string[] {
  try {
    return readdirSync(join(root, 'releases'));
  } catch {
    return [];
  }
}

export class KillLab {
  readonly app: string;
  readonly env = 'test';
  readonly host: FieldHost = fieldHost(0);
  private link!: Awaited<ReturnType<typeof privateLink>>;
  private workspace = '';
  private temp = '';
  private tags = ['v1', 'v2', 'v3'];
  private turn = 0;

  constructor(
    readonly port: number,
    app = 'km-blue'
  ) {
    this.app = app;
  }

  get root(): string {
    return join(this.host.stateDir, this.app, this.env);
  }

  async setup(): Promise<void> {
    buildImages();
    cleanup(this.host.stateDir, this.app);
    this.link = await privateLink(this.host);
    this.workspace = mkdtempSync('/tmp/da-km-ws-');
    this.temp = mkdtempSync('/tmp/da-km-runner-');
    const d = join(this.workspace, 'deploy');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'compose.yml'), COMPOSE);
    writeFileSync(join(d, '.env'), 'GREETING=hello\n');
    for (const tag of ['v1']) {
      const r = await this.run('deploy', tag);
      if (r.exitCode !== 0) throw new Error(`setup deploy ${tag} failed:\n${r.log.slice(-3000)}`);
    }
  }

  async teardown(): Promise<void> {
    this.link?.stop();
    cleanup(this.host.stateDir, this.app);
    rmSync(this.workspace, { recursive: true, force: true });
    rmSync(this.temp, { recursive: true, force: true });
  }

  inputs(op: Op, tag: string): BundleInputs {
    const where = {
      app: this.app,
      port: this.port,
      dir: this.host.stateDir,
      host: this.host,
      via: this.link.port
    };
    const quick = {
      'health-success-threshold': 2,
      'health-failure-threshold': 3,
      'drain-timeout': '300ms',
      'start-timeout': '20s',
      'lock-timeout': '60s'
    };
    if (op === 'rollback') return bundleTarget(where, { ...quick, reason: 'kill matrix' });
    // The gate expects this deploy's own version: a switch it leaves unverified must be judged by that, not
    // by what the next deploy expects of its release.
    return bundleDeploy({ ...where, tag }, { ...quick, 'health-expect-body': tag });
  }

  /** The next tag to deploy (they rotate, so each deploy changes the image). */
  nextTag(): string {
    this.turn++;
    return this.tags[this.turn % this.tags.length]!;
  }

  /** A plain run of a bundle (post step included). */
  run(op: Op, tag = this.nextTag(), extra: Parameters<typeof runBundle>[1] = {}): Promise<ActionRun> {
    return runBundle(op === 'deploy' ? 'deploy-compose' : 'rollback', {
      inputs: this.inputs(op, tag),
      workspace: this.workspace,
      env: { RUNNER_DEBUG: '1' },
      ...extra
    });
  }

  /** Containers of a slot's compose project (running or not). */
  containers(slot: 'blue' | 'green'): number {
    const out = execFileSync(
      'docker',
      ['ps', '-q', '--filter', `label=com.docker.compose.project=${this.app}-${this.env}-${slot}`],
      { encoding: 'utf8' }
    );
    return out.split('\n').filter(Boolean).length;
  }

  idleSlot(): 'blue' | 'green' {
    const a = active(this.root) as { slot?: string } | undefined;
    return a?.slot === 'blue' ? 'green' : 'blue';
  }

  /** Wait until no phase runs for the app on the host (a detached phase a dead runner left finishes first). */
  settle(): void {
    const lockFile = `${this.root}.phase-lock`;
    if (!existsSync(lockFile)) return;
    execFileSync('flock', ['-w', '120', lockFile, 'true'], { stdio: 'ignore' });
  }

  history(): { lines: number; whole: boolean; events: Record<string, unknown>[] } {
    const file = join(this.root, 'history.jsonl');
    if (!existsSync(file)) return { lines: 0, whole: true, events: [] };
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    let whole = text.endsWith('\n');
    const events: Record<string, unknown>[] = [];
    for (const l of lines.filter(Boolean))
      try {
        events.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        whole = false;
      }
    return { lines: events.length, whole, events };
  }

  /** current, active.json and the release record agree with each other and with what the public port serves. */
  async stateAgrees(): Promise<string | true> {
    const a = active(this.root);
    if (!a?.release) return 'no active.json';
    let current = '';
    try {
      current = readlinkSync(join(this.root, 'current'));
    } catch {
      return 'no current link';
    }
    if (current !== `releases/${a.release}`) return `current ${current} but active.json ${a.release}`;
    let rec: { version?: string };
    try {
      rec = JSON.parse(readFileSync(join(this.root, 'releases', a.release, 'release.json'), 'utf8')) as {
        version?: string;
      };
    } catch {
      return `no release.json for ${a.release}`;
    }
    const served = await get(this.port).then(
      (r) => (r.status === 200 ? r.body.trim() : `status ${r.status}`),
      (e: Error) => `error ${e.message}`
    );
    return served === rec.version
      ? true
      : `serves ${served} but active release ${a.release} is ${rec.version}`;
  }

  /** One cell of the matrix. */
  async runCase(point: Point, how: How): Promise<CaseResult> {
    const res: CaseResult = {
      op: point.op,
      point: point.name,
      how,
      hit: false,
      answeredMs: -1,
      requests: 0,
      failedRequests: 0,
      failures: [],
      slowestMs: 0,
      historyWhole: false,
      stateAgrees: 'not checked',
      nextDeployOk: false,
      recoveredMs: -1,
      tookOver: false,
      resolved: '',
      cancelledRecorded: false,
      rollbackOk: false,
      problems: []
    };
    // A rollback needs a release to go back to.
    if (
      point.op === 'rollback' &&
      this.history().events.filter((e) => e.event === 'deploy.completed').length < 2
    ) {
      const d = await this.run('deploy');
      if (d.exitCode !== 0) throw new Error(`deploy before the rollback case failed: ${lastError(d)}`);
    }
    const linesBefore = this.history().lines;
    const view: View = {
      log: '',
      root: this.root,
      releasesBefore: new Set(listReleases(this.root)),
      lab: this
    };
    // A request still waiting after 10 s fails (a loaded 2-core machine exceeds 3 s at times).
    const traffic = load(this.port, 20, { giveUpMs: 10_000 });
    let pid: number | undefined;
    let actedAt = 0;
    const runnerTemp = mkdtempSync(join(this.temp, 'rt-'));
    const running = this.run(point.op, this.nextTag(), {
      processGroup: true,
      runnerTemp,
      runPost: how === 'cancel',
      onSpawn: (p, phase) => {
        if (phase === 'main') pid = p;
      },
      onOutput: (chunk) => {
        view.log += chunk;
      }
    });
    let finished = false;
    void running.finally(() => (finished = true));
    while (!finished && !res.hit) {
      if (point.seen(view)) {
        actedAt = Date.now();
        if (how === 'cut') this.link.cut();
        else if (pid) process.kill(-pid, 'SIGKILL');
        res.hit = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const killed = await running;
    if (!res.hit) res.problems.push(`the point was not reached (the run ended with ${killed.exitCode})`);
    // A reclaimed runner takes its SSH master with it: end the one the killed step left (by its socket).
    if (how === 'kill')
      for (const dir of JSON.parse(killed.state['ssh-dirs'] || '[]') as string[])
        await SshExecutor.cleanupLeftover(dir);
    // The public port answers (old or new release) within 2 s.
    const from = Date.now();
    for (;;) {
      const ok = await get(this.port).then(
        (r) => r.status === 200,
        () => false
      );
      if (ok) {
        res.answeredMs = Date.now() - from;
        break;
      }
      if (Date.now() - from > 2000) {
        res.problems.push('the public port did not answer 200 within 2 s');
        break;
      }
    }
    this.settle();
    const h = this.history();
    res.historyWhole = h.whole;
    if (!h.whole) res.problems.push('history.jsonl holds a torn line');
    res.stateAgrees = await this.stateAgrees();
    if (res.stateAgrees !== true) res.problems.push(`state: ${res.stateAgrees}`);
    res.cancelledRecorded = h.events.slice(linesBefore).some((e) => e.event === 'deploy.cancelled');
    if (how === 'cancel' && !res.cancelledRecorded && killed.post?.exitCode === 0 && res.hit)
      res.problems.push('the post step did not record deploy.cancelled');
    // A plain next deploy, no manual step.
    const linesBeforeNext = h.lines;
    const next = await this.run('deploy');
    res.nextDeployOk = next.exitCode === 0;
    if (process.env.KM_DEBUG) console.error(next.log.slice(-6000));
    res.recoveredMs = Date.now() - (actedAt || from);
    if (!res.nextDeployOk) res.problems.push(`next deploy failed: ${lastError(next)}`);
    const after = this.history().events.slice(linesBeforeNext);
    res.tookOver = after.some((e) => e.event === 'lock.taken-over');
    res.resolved =
      (after.find((e) => e.event === 'switch.verified' || e.event === 'switch.reverted')?.event as string) ??
      '';
    const lr = await traffic.stop();
    res.requests = lr.total;
    res.failedRequests = lr.failed;
    res.failures = lr.failures;
    res.slowestMs = lr.slowestMs;
    if (lr.failed)
      res.problems.push(`${lr.failed} of ${lr.total} requests failed: ${lr.failures.join('; ')}`);
    // A plain rollback.
    const rb = await this.run('rollback');
    res.rollbackOk = rb.exitCode === 0;
    if (!res.rollbackOk) res.problems.push(`rollback failed: ${lastError(rb)}`);
    rmSync(runnerTemp, { recursive: true, force: true });
    return res;
  }
}

function lastError(run: ActionRun): string {
  const errs = run.annotations.filter((a) => a.level === 'error').map((a) => a.message);
  return (errs.at(-1) ?? run.log.slice(-800)).split('\n').slice(0, 3).join(' ');
}

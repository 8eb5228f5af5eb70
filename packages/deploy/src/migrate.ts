import { MigrationError, formatMs } from '../../core/src/index.js';
import { composeRunArgv, parseComposeDocument } from '../../compose/src/index.js';
import { linkTimeoutMs, runPhase, type ScriptStep } from '../../ssh/src/index.js';
import { PhaseResult, stepError } from './host.js';
import { showCommand, type MigrateSpec } from './migrate-command.js';
import { failWith, project, stateAfter, type HostContext, type HostRun, type RunState } from './run.js';
import { candidateFor, deployAccessories } from './start.js';
import type { DeployOutcome, DeploySpec, HistoryEntry, MigrationRecord } from './types.js';
import { envValues } from './validate.js';
import { HOST_SCRIPTS } from './host-scripts.generated.js';

/**
 * migrate-command: the app's own migration tool, run once per deploy, on the first host, under the lock, after
 * the pull and before any traffic moves (before `compose up` of the new release, so also before recreate stops
 * the old one). One session of its own: a one-off container of the new release's image in the compose project
 * the release will run as, with the release's files (compose.yml, pinned images and volumes, .env), so it sees
 * the same env file, networks and named volumes.
 */

export const MIGRATE_STEP = 'migrate-command';

/** Exit code of migrateBoundArgv when the bound was reached and the container was killed. */
export const MIGRATE_TIMED_OUT = 124;
const TIMED_OUT_LINE = 'deploy-actions: migrate-timeout reached';

/**
 * Run `argv` (a compose run) on the host, bounded there: after `timeoutS` a watchdog `docker kill`s the one-off
 * container by its name (again each second until the command returns, for at most a minute), which ends
 * `compose run`; the container is then removed, and the step exits 124 printing why. Otherwise it exits with the command's own
 * code. The script is a constant; the bound, the name and the command are positional arguments.
 */
export function migrateBoundArgv(timeoutS: number, container: string, argv: readonly string[]): string[] {
  return [
    'sh',
    '-c',
    HOST_SCRIPTS['migrate-bound'],
    'sh',
    String(Math.max(1, Math.ceil(timeoutS))),
    container,
    ...argv
  ];
}

/**
 * The bound kept on the host: migrate-timeout, or less when the deploy's own `timeout` leaves less. The host
 * must stop the container before the runner gives up on the session (so it never outlives it): that is the
 * time left, less the login before the script starts (a no-op's cost, twice for slack) and 15 s to kill and
 * remove the container and report. Never below 1 s.
 */
export function migrateBoundMs(timeoutMs: number, remainingMs: number, noopMs: number): number {
  return Math.max(1000, Math.min(timeoutMs, remainingMs - 15_000 - 2 * Math.max(0, noopMs)));
}

/** The one-off container's name: known, so the bound can kill it; unique per release. */
export function migrateContainerName(projectName: string, releaseId: string): string {
  return `${projectName}-migrate-${releaseId}`.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
}

/**
 * The compose project the one-off container runs in: the one the release will run as (so it shares that
 * project's networks), except on the host network, where a project's networks mean nothing and compose v1
 * would link the one-off to its service's running container, which host networking refuses (recreate runs
 * the old release in that very project): there it gets a project of its own.
 */
export function migrateProject(composeText: string, service: string, releaseProject: string): string {
  const svc = parseComposeDocument(composeText).services[service];
  return svc?.network_mode === 'host' ? `${releaseProject}-migrate` : releaseProject;
}

/** Mask the env file's values in what the command line says (a token given as an argument). */
export function maskedCommand(argv: readonly string[], envText: string): string {
  return maskEnv(showCommand(argv), envText);
}

/**
 * The env file's values as *** in a text: the migration's output is masked here already, not only by the
 * runner, so no copy of the raw log (a CLI run, a captured stdout) holds them.
 */
export function maskEnv(text: string, envText: string): string {
  let out = text;
  for (const v of envValues(envText).sort((a, b) => b.length - a.length)) out = out.split(v).join('***');
  return out;
}

/** The longest line the relay holds before it logs it anyway (a migration printing no newline for 40 MB). */
export const MAX_LINE_CHARS = 64 * 1024;

/** Log whole lines as they come, tagged with the host; the logger masks registered secrets. */
export function lineLogger(log: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let buf = '';
  return {
    push(chunk) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        log(buf.slice(0, nl).replace(/\r$/, ''));
        buf = buf.slice(nl + 1);
      }
      // Bounded: a line longer than MAX_LINE_CHARS is logged in pieces.
      while (buf.length >= MAX_LINE_CHARS) {
        log(buf.slice(0, MAX_LINE_CHARS));
        buf = buf.slice(MAX_LINE_CHARS);
      }
    },
    flush() {
      if (buf) log(buf);
      buf = '';
    }
  };
}

/**
 * The migrate phase, one session on one host. On success the release record carries the migration and
 * `migration.applied` rides with the next phase's history; on failure `migration.failed` does, and the error
 * (MigrationError) names the command and its exit code or the bound, with the state: nothing moved.
 */
export async function migratePhase(
  ctx: HostContext,
  s: RunState,
  d: Pick<DeploySpec, 'envText' | 'composeText'>,
  m: MigrateSpec
): Promise<RunState> {
  const { host } = ctx;
  const release = s.release!;
  const logger = host.logger;
  for (const v of envValues(d.envText)) logger.secret(v);
  const command = maskedCommand(m.command, d.envText);
  const candidate = candidateFor(ctx, s, release);
  const where = { ...candidate, project: migrateProject(d.composeText, m.service, candidate.project) };
  const container = migrateContainerName(candidate.project, release.id);
  const boundMs = migrateBoundMs(m.timeoutMs, host.deadline.remaining(), host.noopMs);
  const byDeploy = boundMs < m.timeoutMs;
  // The release's accessories first (a database it brings), so the migration can reach them.
  const acc = deployAccessories(ctx, s, release, s.tools!.compose);
  // Whatever happens from here, a failed deploy starts the serving release's retired copies again.
  if (acc.retired) s = { ...s, retired: acc.retired };
  const steps: ScriptStep[] = [
    ...acc.steps,
    {
      name: MIGRATE_STEP,
      argv: migrateBoundArgv(
        boundMs / 1000,
        container,
        composeRunArgv(s.tools!.compose, project(ctx, release, where), m.service, m.command, {
          name: container
        })
      ),
      stream: true
    }
  ];
  logger.info(`${host.name}: migrate-command ${command} (service ${m.service}, bound ${formatMs(boundMs)})`);
  const lines = lineLogger((line) => logger.info(`${host.name} | ${maskEnv(line, d.envText)}`));
  const started = ctx.rec.clock.ms();
  const timeoutMs = host.deadline.step('migrate', linkTimeoutMs(boundMs + 30_000, host.noopMs));
  const run = await runPhase(host.executor, 'migrate', steps, timeoutMs, { onStream: (c) => lines.push(c) })
    .catch((err: Error) => {
      throw failWith(err, s);
    })
    .finally(() => lines.flush());
  const r = new PhaseResult(run, host);
  // An accessory step that failed stopped the phase before the migration: say so, not "exit -1".
  const before = r.failed(steps);
  if (before && before.name !== MIGRATE_STEP) throw failWith(stepError(before, host.name), s);
  const result = r.get(MIGRATE_STEP);
  const durationMs = ctx.rec.clock.ms() - started;
  const exitCode = result?.exitCode ?? -1;
  const output = maskEnv(result?.stdout ?? '', d.envText);
  const timedOut = exitCode === MIGRATE_TIMED_OUT && output.includes(TIMED_OUT_LINE);
  const migration: MigrationRecord = {
    command,
    service: m.service,
    host: host.name,
    project: where.project,
    exitCode,
    durationMs,
    at: new Date(ctx.rec.clock.now().getTime() - durationMs).toISOString(),
    ...(timedOut ? { timedOut: true } : {})
  };
  const line: HistoryEntry = ctx.rec.entry(
    host.name,
    exitCode === 0 ? 'migration.applied' : 'migration.failed',
    { release: release.id, version: release.version, ...migration }
  );
  // The accessories are up (and said so): the start phase on this host does not run them again.
  const accLines = acc.report(r);
  const next: RunState = {
    ...s,
    release: { ...release, migration },
    ...(accLines.length ? { accessoriesUp: true } : {}),
    pending: [...s.pending, ...accLines, line]
  };
  if (exitCode === 0) {
    logger.info(`${host.name}: migrate-command done in ${formatMs(durationMs)}`);
    await ctx.rec.emit('migration.applied', release.version, { release: release.id, ...migration });
    return next;
  }
  const tail = output.trim().split('\n').slice(-10).join('\n');
  const state = `nothing moved: ${s.before ? `release ${s.before.active.release} is still serving` : 'nothing was serving'}; the new release was never started`;
  if (timedOut)
    throw failWith(
      new MigrationError(
        `migrate-command ${command} ran out of time on ${host.name}: ${
          byDeploy
            ? `the deploy's \`timeout\` left ${formatMs(boundMs)}`
            : `migrate-timeout ${formatMs(m.timeoutMs)}`
        } reached; its container ${container} was killed and removed`,
        {
          state,
          hint: `raise ${byDeploy ? '`timeout`' : '`migrate-timeout`'} if the migration is slow but sound; read its output above. A killed migration may have left partial changes: check them before deploying again`
        }
      ),
      next
    );
  throw failWith(
    new MigrationError(
      `migrate-command ${command} failed on ${host.name} with exit ${exitCode}${tail ? `:\n${tail}` : ''}`,
      {
        state,
        hint: 'fix the migration (its output is above) and deploy again; the old release keeps working only if the migration kept it working (docs/migrations.md: expand, then contract)'
      }
    ),
    next
  );
}

/**
 * Run migrate-command once per deploy, on the first host (every host has pulled the release by now), and put
 * what it did in every host's release record and in the outcome, also when it failed.
 */
export async function migrateOnce(
  runs: HostRun[],
  d: Pick<DeploySpec, 'envText' | 'composeText'>,
  m: MigrateSpec,
  outcome: Pick<DeployOutcome, 'migration'>
): Promise<void> {
  const first = runs[0]!;
  try {
    first.state = await migratePhase(first.ctx, first.state, d, m);
  } catch (err) {
    first.state = stateAfter(err, first.state);
    throw err;
  } finally {
    const migration = first.state.release?.migration;
    if (migration) {
      outcome.migration = migration;
      for (const r of runs.slice(1))
        if (r.state.release) r.state = { ...r.state, release: { ...r.state.release, migration } };
    }
  }
}

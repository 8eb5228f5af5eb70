import { describeError, DeployError, type DeployActionsError } from '../../core/src/index.js';
import { clockFrom } from './clock.js';
import { historyAppendArgv } from './commands.js';
import { environmentSlug } from './inputs.js';
import { layout } from './layout.js';
import { Recorder } from './recorder.js';
import { rollback } from './rollback.js';
import type { EngineDeps, RollbackOutcome, RollbackSpec } from './types.js';

export interface DrillOutcome {
  ok: boolean;
  /** The rollback to the previous release, gated. */
  back: RollbackOutcome;
  /** The roll forward to the release that served before the drill, gated; absent when the way back failed. */
  forward?: RollbackOutcome;
  /** The release that served before the drill (and serves again when the drill passed). */
  servedBefore?: string;
  /** What serves now, in words, for the summary and the error. */
  serving: string;
  backSeconds: number;
  forwardSeconds?: number;
  error?: DeployActionsError;
}

/**
 * A rollback drill: prove the way back on a live environment, then return. It rolls back to the previous
 * release and gates it, rolls forward to the release that served before and gates that, and records
 * `drill.completed` (both times) in each host's history. Both moves are rollbacks marked `drill`, so delivery
 * reports never count them as failed changes. A drill that fails leaves the release that served before
 * serving (a failed rollback returns traffic to it), or says exactly what serves.
 */
export async function drill(spec: RollbackSpec, deps: EngineDeps): Promise<DrillOutcome> {
  const clock = clockFrom(deps.now);
  const started = clock.ms();
  const back = await rollback(
    { ...spec, to: undefined, drill: true, reason: `drill: back (${spec.reason})` },
    deps
  );
  const backSeconds = (clock.ms() - started) / 1000;
  const servedBefore = back.fromReleaseId;
  if (!back.ok || !servedBefore)
    return {
      ok: false,
      back,
      ...(servedBefore ? { servedBefore } : {}),
      serving: servedBefore
        ? `${servedBefore} (the release that served before the drill: the failed rollback returned to it)`
        : 'what served before the drill (nothing to roll back to was found)',
      backSeconds,
      error: back.error ?? new DeployError('rollback drill: the rollback to the previous release did not run')
    };
  const forwardStart = clock.ms();
  const forward = await rollback(
    { ...spec, to: servedBefore, drill: true, reason: `drill: forward (${spec.reason})` },
    deps
  );
  const forwardSeconds = (clock.ms() - forwardStart) / 1000;
  if (!forward.ok)
    return {
      ok: false,
      back,
      forward,
      servedBefore,
      serving: `${back.releaseId} (the drill's rollback target: the roll forward to ${servedBefore} failed and returned to it); deploy or roll back to ${servedBefore} when the cause is fixed`,
      backSeconds,
      forwardSeconds,
      error: forward.error ?? new DeployError(`rollback drill: the roll forward to ${servedBefore} failed`)
    };
  await recordDrill(spec, deps, clock, {
    release: servedBefore,
    via: back.releaseId,
    backSeconds,
    forwardSeconds
  });
  return { ok: true, back, forward, servedBefore, serving: servedBefore, backSeconds, forwardSeconds };
}

/** `drill.completed` on each host: one appended line, outside the lock (as the post step's lines are). */
async function recordDrill(
  spec: RollbackSpec,
  deps: EngineDeps,
  clock: ReturnType<typeof clockFrom>,
  fields: Record<string, unknown>
): Promise<void> {
  const rec = new Recorder(spec, deps, clock);
  await Promise.all(
    spec.hosts.map(async (host) => {
      const own = deps.forHost ? deps.forHost(host, spec) : spec;
      const line = new Recorder(own, deps, clock).entry(host, 'drill.completed', fields);
      try {
        const exec = await deps.connect(host);
        try {
          await exec.run({
            argv: historyAppendArgv(
              layout(own.stateDir, own.app, own.environmentSlug ?? environmentSlug(own.environment)).history
            ),
            stdin: JSON.stringify(line) + '\n',
            timeoutMs: 30_000
          });
        } finally {
          await exec.close();
        }
      } catch (err) {
        deps.logger.warning(
          `${host}: the drill passed but drill.completed was not recorded: ${describeError(err)}`
        );
      }
    })
  );
  await rec.emit('drill.completed', String(fields.release), fields);
}

import { DeployActionsError, DeployError, HealthError, describeError } from '../../core/src/index.js';
import { isIP } from 'node:net';
import { clockFrom } from './clock.js';
import { gateFailure, hostOutcome, openHosts } from './deploy.js';
import { finishPhase, gatePhase } from './finish.js';
import { Deadline } from './host.js';
import { resolveUnverified } from './resolve.js';
import { Recorder } from './recorder.js';
import { closeHost, recordFailure, revertPhase } from './revert.js';
import { entry, newHostRun, stateAfter, type HostRun } from './run.js';
import { startPhase } from './start.js';
import { activateSwarm, finishSwarmRun, revertSwarm } from './swarm.js';
import type {
  ActiveRecord,
  EngineDeps,
  HostState,
  ReleaseRecord,
  RollbackOutcome,
  RollbackSpec
} from './types.js';

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

export function describeChanges(from: ReleaseRecord | undefined, to: ReleaseRecord): string[] {
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

/**
 * Inputs left empty take what the host recorded at the last switch: host, app and environment suffice. What
 * active.json says feeds nginx.conf and compose, so it is checked as the inputs are: a value that is not an IP
 * address, a port or a variable name is refused, naming the input that replaces it.
 */
export function hostSpec(spec: RollbackSpec, r: Pick<HostRun, 'state' | 'ctx'>): RollbackSpec {
  const a = r.state.before?.active;
  if (a)
    checkRecorded(a, r.ctx.host.name, {
      proxy: spec.publicPort === undefined,
      portVar: spec.portVar === 'PORT'
    });
  return {
    ...spec,
    ...(spec.publicPort === undefined && a?.publicPort !== undefined
      ? {
          publicPort: a.publicPort,
          slotPorts: a.slotPorts ?? spec.slotPorts,
          proxyBind: a.proxyBind ?? spec.proxyBind,
          ...(a.proxy ? { proxy: a.proxy } : {})
        }
      : {}),
    ...(spec.frontDoor === undefined && a?.frontDoor !== undefined
      ? {
          frontDoor: a.frontDoor,
          slotPorts: a.slotPorts ?? spec.slotPorts,
          proxyBind: a.proxyBind ?? spec.proxyBind,
          ...(a.proxy ? { proxy: a.proxy } : {})
        }
      : {}),
    ...(a?.portVar && spec.portVar === 'PORT' ? { portVar: a.portVar } : {})
  };
}

function checkRecorded(a: ActiveRecord, host: string, used: { proxy: boolean; portVar: boolean }): void {
  const port = (p: unknown) => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;
  const bad = (what: string, value: unknown, input: string) =>
    new DeployError(`active.json on ${host} records ${what} ${JSON.stringify(value)}, which is not valid`, {
      state: 'nothing was changed on the host',
      hint: `give \`${input}\` (the file may have been edited by hand); the next deploy rewrites active.json`
    });
  if (used.proxy && a.proxyBind !== undefined && (typeof a.proxyBind !== 'string' || isIP(a.proxyBind) === 0))
    throw bad('proxyBind', a.proxyBind, 'proxy-bind');
  if (used.proxy && a.publicPort !== undefined && !port(a.publicPort))
    throw bad('publicPort', a.publicPort, 'public-port');
  // [0, 0] is what a deploy without slots records (recreate without public-port, swarm): no slot ports.
  const noSlots = Array.isArray(a.slotPorts) && a.slotPorts.length === 2 && a.slotPorts.every((p) => p === 0);
  if (
    a.slotPorts !== undefined &&
    !noSlots &&
    !(Array.isArray(a.slotPorts) && a.slotPorts.length === 2 && a.slotPorts.every(port))
  )
    throw bad('slotPorts', a.slotPorts, 'slot-ports');
  if (
    a.portVar !== undefined &&
    !(typeof a.portVar === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(a.portVar))
  )
    throw bad('portVar', a.portVar, 'port-variable');
}

/**
 * Re-activate an earlier release from the host's own release directory, gated like a deploy. Per host:
 * open (lock, releases), start and switch in one session, the gate, finish: four sessions with the no-op.
 */
export async function rollback(spec: RollbackSpec, deps: EngineDeps): Promise<RollbackOutcome> {
  const clock = clockFrom(deps.now);
  const started = clock.ms();
  const rec = new Recorder(spec, deps, clock);
  const deadline = new Deadline(spec.timeoutMs, 'rollback', clock);
  const outcome: RollbackOutcome = {
    ok: false,
    releaseId: '',
    rolledBack: false,
    dryRun: spec.dryRun,
    plan: [],
    durationMs: 0,
    events: rec.events,
    hosts: []
  };
  let runs: HostRun[] = [];
  try {
    runs = await openHosts(spec, deps, rec, deadline, 'recreate', 'rollback', {
      lock: !spec.dryRun,
      needNginx: false
    });
  } catch (err) {
    outcome.error = err instanceof DeployActionsError ? err : new DeployError(describeError(err));
    outcome.durationMs = clock.ms() - started;
    return outcome;
  }
  try {
    // A switch an earlier (killed) run never verified is resolved first: verified, or reverted.
    if (!spec.dryRun)
      for (const r of runs) {
        try {
          const strategy = r.state.before?.active.strategy ?? r.ctx.strategy;
          const ctx = { ...r.ctx, spec: hostSpec(r.ctx.spec as RollbackSpec, r), strategy };
          r.state = await resolveUnverified(ctx, r.state);
        } catch (err) {
          r.state = stateAfter(err, r.state);
          throw err;
        }
      }
    const targets: ReleaseRecord[] = [];
    for (const r of runs) {
      const s = r.state;
      const t = chooseTarget(s.known, spec.to);
      if ('problem' in t)
        throw new DeployError(
          `Cannot roll back ${spec.app}/${spec.environment} on ${r.ctx.host.name}: ${t.problem}`,
          {
            state: 'nothing was changed',
            hint: `releases there: ${s.known.releases.map((x) => `${x.id} (${x.version}, ${x.status})`).join(', ') || 'none'}; give one as \`to\``
          }
        );
      targets.push(t);
      outcome.plan.push({
        host: r.ctx.host.name,
        ...(s.before ? { from: s.before.active.release } : {}),
        to: t.id,
        changes: describeChanges(s.before?.record, t),
        candidates: s.known.releases.map((x) => ({
          id: x.id,
          version: x.version,
          status: x.status,
          createdAt: x.createdAt,
          current: x.id === s.before?.active.release
        }))
      });
    }
    outcome.releaseId = targets[0]!.id;
    outcome.fromReleaseId = runs[0]!.state.before?.active.release;
    if (spec.dryRun) {
      outcome.ok = true;
      return outcome;
    }
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i]!;
      const target = targets[i]!;
      // The strategy the app runs with now decides how to switch (slots and proxy, or recreate).
      const strategy = r.state.before?.active.strategy ?? target.strategy;
      const run = newHostRun(
        { ...r.ctx, spec: hostSpec(r.ctx.spec as RollbackSpec, r), strategy },
        { ...r.state, release: target }
      );
      runs[i] = run;
      const from = run.state.before?.active.release ?? null;
      run.state = {
        ...run.state,
        pending: [
          ...run.state.pending,
          // A rollback run in a critical environment is the workflows' automatic answer to a failed soak: an
          // incident against the release it leaves (as the notifier sends it), kept for delivery reports.
          ...(spec.critical && !spec.drill && from
            ? [
                entry(run.ctx, run.state, 'incident.opened', {
                  release: from,
                  version: run.state.before?.record?.version,
                  failedRelease: from,
                  reason: spec.reason,
                  serving: `release ${target.id}`,
                  severity: 'critical',
                  automatic: true
                })
              ]
            : []),
          entry(run.ctx, run.state, 'rollback.started', {
            from,
            reason: spec.reason,
            ...(spec.drill ? { drill: true } : {})
          })
        ]
      };
      try {
        run.state =
          strategy === 'swarm'
            ? await activateSwarm(run.ctx, run.state, target)
            : await startPhase(run.ctx, run.state, { writeRecord: false, alsoSwitch: true });
      } catch (err) {
        run.state = stateAfter(err, run.state);
        throw err;
      }
      const g = await gatePhase(run.ctx, run.state, target);
      run.state = g.state;
      if (g.result) outcome.gate = g.result;
      if (g.result && g.result.verdict !== 'healthy')
        throw new HealthError(
          `Rollback target ${target.id} failed its ${gateFailure(g.result)} on ${r.ctx.host.name}`,
          {
            hint: 'read the gate evidence'
          }
        );
      try {
        const done = [
          entry(run.ctx, run.state, 'rollback.executed', {
            from,
            to: target.id,
            reason: spec.reason,
            ...(spec.drill ? { drill: true } : {})
          })
        ];
        run.state =
          strategy === 'swarm'
            ? await finishSwarmRun(run.ctx, { ...run.state, release: target }, done)
            : await finishPhase(run.ctx, run.state, 0, done);
      } catch (err) {
        run.state = stateAfter(err, run.state);
        throw err;
      }
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
      if (!r.state.candidate) continue;
      try {
        const rv =
          r.ctx.strategy === 'swarm' ? await revertSwarm(r.ctx, r.state) : await revertPhase(r.ctx, r.state);
        r.state = rv.state;
        serving.push(rv.serving);
        r.state = await recordFailure(r.ctx, r.state, [
          entry(r.ctx, r.state, 'rollback.failed', { reason: error.message.split('\n')[0] })
        ]);
      } catch (cleanupErr) {
        serving.push(`cleanup on ${r.ctx.host.name} failed: ${describeError(cleanupErr).split('\n')[0]}`);
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
    for (const r of runs) {
      outcome.hosts!.push({
        ...hostOutcome(r, outcome.rolledBack)
      });
      await closeHost(r.ctx, r.state);
    }
  }
  outcome.durationMs = clock.ms() - started;
  return outcome;
}

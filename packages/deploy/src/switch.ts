import { saveExpectations } from '../../health/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import { proxySwitchArgv } from './commands.js';
import { recordedFrontDoor } from '../../frontdoor/src/index.js';
import { FRONT_DOOR_SWITCH, frontDoorSwitchSteps } from './front-door.js';
import { stepError } from './host.js';
import { nginxConf, proxyFiles, upstreamConf } from './proxy.js';
import { START_SCRIPT, bootHookArgv } from './proxy-boot.js';
import { commitStep, entry, failWith, type HostContext, type RunState } from './run.js';
import type { ActiveRecord, HistoryEntry, ReleaseRecord } from './types.js';

export const PROXY_SWITCH = 'switch the proxy (nginx -t, reload)';
export const PROXY_BOOT = 'start the proxy at boot (crontab @reboot)';

/**
 * Move traffic: the proxy's upstream and a graceful reload (slots), then `current`, active.json and the
 * history line. The record follows the proxy, so `current` never names a release the proxy does not serve.
 */
export function switchSteps(
  ctx: HostContext,
  s: RunState,
  active: ActiveRecord,
  release: ReleaseRecord,
  history: readonly HistoryEntry[] = [],
  o: { unverified?: boolean } = {}
): ScriptStep[] {
  const { spec, host } = ctx;
  const record: ActiveRecord = {
    ...activeRecord(ctx, active),
    // Until the gate passes (finish clears it): a run killed in between leaves a switch the next run resolves.
    ...(o.unverified
      ? {
          unverified: {
            previous: s.before?.active ?? null,
            runUrl: ctx.deps.context.runUrl,
            ...(spec.gate ? { expect: saveExpectations(spec.gate) } : {})
          }
        }
      : {})
  };
  const steps: ScriptStep[] = [];
  if (spec.frontDoor && active.port !== undefined)
    steps.push(...frontDoorSwitchSteps(spec, active.port, release.id));
  else if (active.slot && active.port !== undefined) {
    const proxy = proxyFiles(host.layout.proxy);
    steps.push(
      commitStep(
        ctx,
        'write the proxy config',
        [
          { path: 'proxy/upstream.conf', content: upstreamConf(active.port, release.id, active.slot) },
          {
            path: 'proxy/nginx.conf',
            content: nginxConf(proxy, spec.proxyBind, spec.publicPort!, spec.proxy)
          },
          { path: 'proxy/start.sh', content: START_SCRIPT }
        ],
        []
      ),
      { name: PROXY_SWITCH, argv: proxySwitchArgv(proxy.conf, proxy.prefix) },
      // Not fatal: a host without cron still serves; doctor reports the missing boot hook.
      { name: PROXY_BOOT, argv: bootHookArgv(proxy.prefix, spec.stateDir), check: false }
    );
  }
  steps.push(
    commitStep(
      ctx,
      'record the switch',
      [{ path: 'active.json', content: JSON.stringify(record) + '\n' }],
      [
        ...history,
        entry(ctx, { ...s, release }, 'traffic.switched', {
          to: release.id,
          slot: active.slot ?? null,
          port: active.port ?? null
        })
      ],
      `releases/${release.id}`
    )
  );
  return steps;
}

/** active.json of `active` as this run serves it (how the app is reached, for a rollback with less input). */
export function activeRecord(ctx: HostContext, active: ActiveRecord): ActiveRecord {
  const { spec } = ctx;
  const { unverified: _drop, ...rest } = active;
  return {
    ...rest,
    ...(spec.publicPort !== undefined ? { publicPort: spec.publicPort } : {}),
    slotPorts: spec.slotPorts,
    proxyBind: spec.proxyBind,
    ...(spec.proxy ? { proxy: spec.proxy } : {}),
    ...(spec.frontDoor ? { frontDoor: recordedFrontDoor(spec.frontDoor) } : {}),
    portVar: spec.portVar
  };
}

/** Switches to a candidate are unverified until the gate passes, when there is a gate. */
export function gated(ctx: HostContext): { unverified: boolean } {
  return { unverified: !!ctx.spec.gate };
}

/** The switch phase, one session (blue-green switches every host in its own session, all before any gate). */
export async function switchPhase(ctx: HostContext, s: RunState): Promise<RunState> {
  const steps = switchSteps(ctx, s, s.candidate!, s.release!, s.pending, gated(ctx));
  // Cut part way, traffic may have moved: revert switches back, which is harmless if it had not.
  const r = await ctx.host.phase('switch', steps, 60_000).catch((err: Error) => {
    throw failWith(err, { ...s, switched: true });
  });
  const failed = r.failed(steps);
  // The proxy reload ran: traffic moved even if the record did not follow.
  const moved =
    r.get(PROXY_SWITCH)?.exitCode === 0 ||
    r.get(FRONT_DOOR_SWITCH)?.exitCode === 0 ||
    r.get('record the switch')?.exitCode === 0;
  const next: RunState = { ...s, switched: s.switched || moved, pending: [] };
  if (failed) throw failWith(stepError(failed, ctx.host.name), { ...next, pending: s.pending });
  return next;
}

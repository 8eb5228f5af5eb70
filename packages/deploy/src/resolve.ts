import { withExpectations } from '../../health/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import { proxySwitchArgv, stillRunningArgv } from './commands.js';
import { gatePhase } from './finish.js';
import { stepError } from './host.js';
import { proxyFiles, upstreamConf } from './proxy.js';
import { revertPhase } from './revert.js';
import { commitStep, recordFile, type HostContext, type RunState } from './run.js';
import type { ActiveRecord, ReleaseRecord } from './types.js';

const CONTAINERS = 'check the unverified release runs';

/**
 * A run killed between its switch and its gate leaves active.json marked `unverified` (switch.ts). The next
 * deploy or rollback, once it holds the lock, resolves it before anything else:
 *   verify  the gate of this run (or, without one, the release's containers still run on the host): the
 *           switch is recorded as verified (`switch.verified`), the release as deployed;
 *   revert  otherwise traffic goes back to what served before the switch (its slot still runs: the old slot
 *           is stopped only after the mark is cleared), recorded as `switch.reverted`.
 * Either way the history says what was found and what was done, and the run goes on from the result.
 */
export async function resolveUnverified(ctx: HostContext, s0: RunState): Promise<RunState> {
  const s = await resolveCanary(ctx, s0);
  const active = s.known.active;
  const mark = active?.unverified;
  if (!active || !mark) return s;
  const { host } = ctx;
  const record = s.known.releases.find((r) => r.id === active.release);
  const previous = mark.previous ? withoutMark(mark.previous) : undefined;
  const prevRecord = previous ? s.known.releases.find((r) => r.id === previous.release) : undefined;
  host.logger.warning(
    `${host.name}: release ${active.release} was switched to by ${mark.runUrl || 'an earlier run'} but never verified (the run ended before its gate); checking it now`
  );
  const verdict = await verify(ctx, s, active, record);
  const clean = withoutMark(active);
  const base = {
    release: active.release,
    switchedBy: mark.runUrl,
    check: verdict.how,
    evidence: verdict.reason
  };
  if (verdict.ok || !previous || !prevRecord) {
    const deployed: ReleaseRecord | undefined = record
      ? { ...record, status: 'deployed', activatedAt: record.activatedAt ?? active.since }
      : undefined;
    const line = ctx.rec.entry(host.name, verdict.ok ? 'switch.verified' : 'switch.kept', {
      ...base,
      ...(verdict.ok ? {} : { reason: 'it failed its check, but nothing served before it to go back to' })
    });
    const steps: ScriptStep[] = [
      commitStep(
        ctx,
        'record the switch verified',
        [
          { path: 'active.json', content: JSON.stringify(clean) + '\n' },
          ...(deployed && verdict.ok ? [recordFile(deployed)] : [])
        ],
        [...s.pending, line]
      )
    ];
    (await host.phase('resolve', steps, 60_000)).expectOk(steps);
    const r = verdict.ok ? (deployed ?? record) : record;
    return {
      ...s,
      pending: [],
      known: { ...s.known, active: clean, releases: replace(s.known.releases, r) },
      before: { active: clean, ...(r ? { record: r } : {}) }
    };
  }
  // Back to what served before: revertPhase with the unverified release as the candidate that had switched.
  const failed: ReleaseRecord | undefined = record
    ? { ...record, status: 'failed', reason: `never verified; ${verdict.reason}` }
    : undefined;
  const reverted = await revertPhase(ctx, {
    ...s,
    before: { active: previous, record: prevRecord },
    candidate: clean,
    ...(failed ? { release: failed } : {}),
    switched: true,
    written: true
  });
  const line = ctx.rec.entry(host.name, 'switch.reverted', {
    ...base,
    from: active.release,
    to: previous.release
  });
  const steps: ScriptStep[] = [
    commitStep(ctx, 'record the switch reverted', failed ? [recordFile(failed)] : [], [...s.pending, line])
  ];
  (await host.phase('resolve', steps, 60_000)).expectOk(steps);
  return {
    ...reverted.state,
    release: undefined,
    candidate: undefined,
    written: false,
    pending: [],
    known: { ...s.known, active: previous, releases: replace(s.known.releases, failed) },
    before: { active: previous, record: prevRecord }
  };
}

async function verify(
  ctx: HostContext,
  s: RunState,
  active: ActiveRecord,
  record: ReleaseRecord | undefined
): Promise<{ ok: boolean; how: string; reason: string }> {
  if (ctx.spec.gate && record) {
    // This run's gate (its URLs, thresholds, metrics), expecting of the answers what the switching run did.
    const expect = active.unverified?.expect;
    const judge = expect
      ? { ...ctx, spec: { ...ctx.spec, gate: withExpectations(ctx.spec.gate, expect) } }
      : ctx;
    const g = await gatePhase(judge, { ...s, pending: [] }, record);
    if (g.result) return { ok: g.result.verdict === 'healthy', how: 'gate', reason: g.result.reason };
  }
  const steps: ScriptStep[] = [
    { name: CONTAINERS, argv: stillRunningArgv(active.project, 2, 1), check: false }
  ];
  const r = (await ctx.host.phase('verify', steps, 30_000)).get(CONTAINERS);
  const ok = r?.exitCode === 0;
  return {
    ok,
    how: 'containers',
    reason: ok ? `the containers of ${active.project} run` : r?.stdout.trim() || 'its containers do not run'
  };
}

const CANARY_BACK = 'all traffic back to the stable release (nginx -t, reload)';

/**
 * A canary run killed part way through a step leaves the proxy weighting traffic between the stable release
 * and an unverified canary (active.json `canary`). Before anything else (a prepare clears the canary's slot), all
 * traffic goes back to the stable release active.json names, with a drain for the requests the canary holds;
 * recorded as `canary.resolved`. The canary release is never verified this way: it passed no gate.
 */
async function resolveCanary(ctx: HostContext, s: RunState): Promise<RunState> {
  const active = s.known.active;
  const mark = active?.canary;
  if (!active || !mark) return s;
  const { host, spec } = ctx;
  host.logger.warning(
    `${host.name}: ${mark.percent}% of traffic still went to canary release ${mark.release} (slot ${mark.slot}), left by ${mark.runUrl || 'an earlier run'} that ended part way through a step; all traffic goes back to release ${active.release} first`
  );
  const clean = withoutCanary(active);
  const steps: ScriptStep[] = [];
  if (active.slot && active.port !== undefined) {
    const proxy = proxyFiles(host.layout.proxy);
    steps.push(
      commitStep(
        ctx,
        'write the stable upstream',
        [{ path: 'proxy/upstream.conf', content: upstreamConf(active.port, active.release, active.slot) }],
        []
      ),
      { name: CANARY_BACK, argv: proxySwitchArgv(proxy.conf, proxy.prefix) },
      ...(spec.drainMs > 0 ? [{ name: 'drain', argv: ['sleep', String(spec.drainMs / 1000)] }] : [])
    );
  }
  steps.push(
    commitStep(
      ctx,
      'record the canary resolved',
      [{ path: 'active.json', content: JSON.stringify(clean) + '\n' }],
      [
        ...s.pending,
        ctx.rec.entry(host.name, 'canary.resolved', {
          release: active.release,
          canary: mark.release,
          percent: mark.percent,
          switchedBy: mark.runUrl
        })
      ]
    )
  );
  const r = await host.phase('resolve canary', steps, 60_000 + spec.drainMs);
  const failed = r.failed(steps);
  if (failed) throw stepError(failed, host.name);
  return {
    ...s,
    pending: [],
    known: { ...s.known, active: clean },
    before: { ...s.before, active: clean }
  };
}

/** active.json without a canary step's mark. */
export function withoutCanary(a: ActiveRecord): ActiveRecord {
  const { canary: _drop, ...rest } = a;
  return rest;
}

function withoutMark(a: ActiveRecord): ActiveRecord {
  const { unverified: _drop, ...rest } = a;
  return rest;
}

function replace(list: ReleaseRecord[], r: ReleaseRecord | undefined): ReleaseRecord[] {
  return r ? list.map((x) => (x.id === r.id ? r : x)) : list;
}

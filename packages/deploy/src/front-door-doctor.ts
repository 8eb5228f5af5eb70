import { certificateFacts, frontDoorLayout } from '../../frontdoor/src/index.js';
import type { PhaseResult } from './host.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import { publicPortArgv } from './commands.js';
import { frontDoorCheckStep, FRONT_DOOR_CHECK } from './front-door.js';
import type { TargetSpec } from './types.js';

/** What doctor asks of a host whose app is served through the front door (public-hostnames). */
interface Row {
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
  blocking: boolean;
}

const PRIVILEGED = 'bind ports below 1024';

/** The fix a non-root deploy user needs for front-door-ports below 1024. */
export const LOW_PORT_FIX =
  "as root, once: `echo 'net.ipv4.ip_unprivileged_port_start=80' > /etc/sysctl.d/50-unprivileged-ports.conf && sysctl --system`, or `setcap cap_net_bind_service=+ep /usr/sbin/nginx`; or use front-door-ports of 1024 and up behind a port forward";

function ports(spec: TargetSpec): number[] {
  const f = spec.frontDoor!;
  return [f.httpPort, ...(f.httpsPort !== undefined ? [f.httpsPort] : [])];
}

export function frontDoorDoctorSteps(spec: TargetSpec): ScriptStep[] {
  const pid = frontDoorLayout(spec.stateDir).pid;
  const low = ports(spec).filter((p) => p < 1024);
  return [
    { ...frontDoorCheckStep(spec), check: false },
    ...ports(spec).map((p) => ({ name: `front door port ${p}`, argv: publicPortArgv(pid, p), check: false })),
    ...(low.length
      ? [
          {
            name: PRIVILEGED,
            // uid, the sysctl, and nginx's file capabilities (getcap lives in /usr/sbin).
            argv: [
              'sh',
              '-c',
              'PATH=$PATH:/usr/sbin:/sbin; id -u; cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024; n=$(command -v nginx || echo /usr/sbin/nginx); getcap "$n" 2>/dev/null || true'
            ],
            check: false
          }
        ]
      : [])
  ];
}

/**
 * Can a non-root user bind `lowest`? From `id -u`, `ip_unprivileged_port_start` and nginx's capabilities.
 * Pure, for the doctor row and its test.
 */
export function canBindLow(out: string, lowest: number): { ok: boolean; detail: string } {
  const [uid = '', start = '1024', ...caps] = out.trim().split('\n');
  const cap = caps.join(' ').includes('cap_net_bind_service');
  if (uid.trim() === '0') return { ok: true, detail: 'the deploy user is root' };
  if (Number(start) <= lowest)
    return { ok: true, detail: `net.ipv4.ip_unprivileged_port_start=${start.trim()}` };
  if (cap) return { ok: true, detail: 'nginx has CAP_NET_BIND_SERVICE' };
  return {
    ok: false,
    detail: `the deploy user (uid ${uid.trim()}) cannot bind port ${lowest}: net.ipv4.ip_unprivileged_port_start=${start.trim()} and nginx has no CAP_NET_BIND_SERVICE`
  };
}

export function frontDoorDoctorRows(spec: TargetSpec, r: PhaseResult, now = new Date()): Row[] {
  const rows: Row[] = [];
  const check = r.get(FRONT_DOOR_CHECK);
  rows.push({
    check: 'front door (owner, listen, host names)',
    ok: check?.exitCode === 0,
    detail:
      check?.exitCode === 0
        ? `free for ${spec.frontDoor!.hostnames.join(', ')}`
        : (check?.stderr || check?.stdout || 'not run').trim(),
    ...(check?.exitCode === 0 ? {} : { fix: 'see docs/front-door.md, "Refusals"' }),
    blocking: true
  });
  for (const p of ports(spec)) {
    const res = r.get(`front door port ${p}`);
    const ok = res?.exitCode === 0;
    rows.push({
      check: `front door port ${p}`,
      ok,
      detail: ok
        ? res!.stdout.includes('proxy-up')
          ? 'held by this front door'
          : 'free'
        : `in use: ${(res?.stdout ?? '').trim().replace(/\s+/g, ' ')}`,
      ...(ok ? {} : { fix: 'stop what listens there, or choose other front-door-ports' }),
      blocking: true
    });
  }
  const low = ports(spec).filter((p) => p < 1024);
  if (low.length) {
    const v = canBindLow(r.get(PRIVILEGED)?.stdout ?? '', Math.min(...low));
    rows.push({
      check: PRIVILEGED,
      ...v,
      ...(v.ok ? {} : { fix: LOW_PORT_FIX }),
      blocking: true
    });
  }
  const pair = spec.frontDoor!.tlsPair;
  if (pair) {
    const f = certificateFacts(pair, spec.frontDoor!.hostnames);
    const problems = [
      ...(f.keyMatches ? [] : ['tls-key is not its key']),
      ...(f.notAfter <= now ? [`expired ${f.notAfter.toISOString()}`] : []),
      ...(f.uncovered.length ? [`does not cover ${f.uncovered.join(', ')}`] : [])
    ];
    rows.push({
      check: 'tls-certificate',
      ok: problems.length === 0,
      detail: problems.length
        ? problems.join('; ')
        : `${f.subject}, not after ${f.notAfter.toISOString().slice(0, 10)}`,
      ...(problems.length ? { fix: 'give a current certificate for every host name, with its key' } : {}),
      blocking: true
    });
  }
  return rows;
}

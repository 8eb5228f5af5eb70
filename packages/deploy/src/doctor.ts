import { describeError, formatMs, table, type DeployActionsError } from '../../core/src/index.js';
import { composeFound, composeTooOld, featuresUsed } from '../../compose/src/index.js';
import { composeInfo } from './compose-files.js';
import { SLOW_NOOP_MS, slowShellNotice, type ScriptStep } from '../../ssh/src/index.js';
import { portFreeArgv, publicPortArgv } from './commands.js';
import { Deadline, Host } from './host.js';
import { layout } from './layout.js';
import { checkSteps, dockerProblem, nginxProblem, stateDirFix, userOf } from './open.js';
import { proxyFiles } from './proxy.js';
import { bootHookCheckArgv, bootLine } from './proxy-boot.js';
import { clockFrom } from './clock.js';
import { frontDoorDoctorRows, frontDoorDoctorSteps } from './front-door-doctor.js';
import { envSlug } from './run.js';
import type { DeploySpec, EngineDeps, Strategy, TargetSpec } from './types.js';
import { usesSlots } from './strategy.js';
import { HOST_SCRIPTS } from './host-scripts.generated.js';

/**
 * `deploy-actions doctor` and deploy-compose's `doctor` input: each host checked as the deploy will use it,
 * in one session after the connect (the open phase's own checks, plus disk, ports and the shell's cost).
 */
export interface DoctorRow {
  check: string;
  ok: boolean;
  detail: string;
  /** What to do when not ok. */
  fix?: string;
  /** A failing row that would make the deploy fail (others are warnings). */
  blocking: boolean;
}

export interface DoctorHost {
  host: string;
  rows: DoctorRow[];
}

export interface DoctorReport {
  ok: boolean;
  hosts: DoctorHost[];
}

/** Free space under which a deploy (release files, pulled layers) is likely to fail. */
const MIN_FREE_KB = 1024 * 1024;

function doctorSteps(spec: TargetSpec, strategy: Strategy, root: string): ScriptStep[] {
  const slotted = usesSlots(strategy);
  const steps: ScriptStep[] = [
    ...checkSteps(slotted).map((s) => ({ ...s, check: false })),
    {
      name: 'shell cost',
      // The login shell as sshd starts it (SHLVL unset): what its rc files cost per command.
      argv: [
        'sh',
        '-c',
        's=$(date +%s%N); env -u SHLVL "${SHELL:-/bin/sh}" -c true </dev/null >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))'
      ],
      check: false
    },
    {
      name: 'state dir',
      // The nearest existing directory on the way to the app's root: writable, and its free space.
      argv: ['sh', '-c', HOST_SCRIPTS['state-dir-space'], 'sh', root],
      check: false
    }
  ];
  steps.push(
    {
      name: 'docker root',
      // The disk pulled images fill (Docker's data root), and what this app's release records hold of it.
      argv: ['sh', '-c', HOST_SCRIPTS['docker-root'], 'sh', root],
      check: false
    },
    // Without flock two runs' phases are not serialized on the host (packages/ssh script.ts).
    { name: 'flock', argv: ['sh', '-c', 'command -v flock'], check: false }
  );
  if (spec.frontDoor) steps.push(...frontDoorDoctorSteps(spec));
  else if (spec.publicPort !== undefined)
    steps.push({
      name: 'public port',
      argv: slotted
        ? publicPortArgv(proxyFiles(`${root}/proxy`).pid, spec.publicPort)
        : portFreeArgv(spec.publicPort),
      check: false
    });
  if (slotted && !spec.frontDoor)
    steps.push({ name: 'boot hook', argv: bootHookCheckArgv(`${root}/proxy`), check: false });
  if (slotted)
    for (const p of spec.slotPorts)
      steps.push({ name: `slot port ${p}`, argv: portFreeArgv(p), check: false });
  return steps;
}

async function checkHost(
  name: string,
  spec: TargetSpec,
  strategy: Strategy,
  deps: Pick<EngineDeps, 'connect' | 'logger'>
): Promise<DoctorHost> {
  const rows: DoctorRow[] = [];
  const l = layout(spec.stateDir, spec.app, envSlug(spec));
  let executor;
  try {
    executor = await deps.connect(name);
  } catch (err) {
    const e = err as DeployActionsError;
    rows.push({
      check: 'ssh and the pinned key',
      ok: false,
      detail: describeError(err).split('\n')[0]!,
      fix: e.hint ?? 'check the host, port, user, ssh-key and known-hosts',
      blocking: true
    });
    return { host: name, rows };
  }
  try {
    const host = new Host(name, executor, l, new Deadline(120_000, 'doctor', clockFrom()), deps.logger);
    rows.push({ check: 'ssh and the pinned key', ok: true, detail: executor.target, blocking: true });
    const noop = host.noopMs;
    rows.push({
      check: 'no-op round trip',
      ok: noop <= SLOW_NOOP_MS,
      detail: formatMs(noop),
      ...(noop > SLOW_NOOP_MS ? { fix: slowShellNotice(name, noop)!.replace(/^.*?Fix: /, '') } : {}),
      blocking: false
    });
    const steps = doctorSteps(spec, strategy, l.root);
    const r = await host.phase('doctor', steps, 60_000);
    const shell = Number(r.get('shell cost')?.stdout.trim());
    if (Number.isFinite(shell))
      rows.push({
        check: 'login shell cost',
        ok: shell <= SLOW_NOOP_MS,
        detail: `${shell}ms per command`,
        ...(shell > SLOW_NOOP_MS ? { fix: 'guard ~/.bashrc for non-interactive shells' } : {}),
        blocking: false
      });
    const docker = dockerProblem(host, r, userOf(executor.target));
    rows.push({
      check: 'docker (permission for the user)',
      ok: !docker,
      detail: docker ? docker.message : `server ${r.get('docker')?.stdout.trim()}`,
      ...(docker ? { fix: docker.hint! } : {}),
      blocking: true
    });
    const compose = r.get('compose');
    try {
      const tool = composeFound((compose?.stdout ?? '') + (compose?.stderr ?? ''), name);
      // With the deploy's files (doctor: true), the features they use must be known to this compose.
      const files = 'composeText' in spec ? (spec as DeploySpec) : undefined;
      const old = files ? composeTooOld(tool, featuresUsed(composeInfo(files))) : undefined;
      rows.push({
        check: 'compose',
        ok: !old,
        detail: old
          ? `${tool.generation} ${tool.version}: compose-file uses ${old.feature.what}, which needs ${old.needed}; found ${old.found}`
          : `${tool.generation} ${tool.version}`,
        ...(old
          ? {
              fix: `install the Compose v2 plugin ${old.feature.since} or later (docker compose) on the host, or give the included files in \`compose-file\``
            }
          : {}),
        blocking: true
      });
    } catch (err) {
      const e = err as DeployActionsError;
      rows.push({ check: 'compose', ok: false, detail: e.message, fix: e.hint ?? '', blocking: true });
    }
    if (usesSlots(strategy)) {
      const nginx = nginxProblem(host, r);
      rows.push({
        check: 'nginx',
        ok: !nginx,
        detail: nginx ? nginx.message : r.get('nginx')!.stdout.trim(),
        ...(nginx ? { fix: nginx.hint! } : {}),
        blocking: true
      });
    }
    if (usesSlots(strategy) && !spec.frontDoor)
      rows.push(bootRow(r.get('boot hook')?.stdout ?? '', `${l.root}/proxy`));
    const [access = '', df = ''] = (r.get('state dir')?.stdout ?? '').trim().split('\n');
    const freeKb = Number(df.trim().split(/\s+/)[3]);
    rows.push({
      check: 'state-dir writable',
      ok: access === 'writable',
      detail: `${l.root} (${access || 'unknown'})`,
      ...(access !== 'writable' ? { fix: stateDirFix(spec.stateDir, userOf(executor.target)) } : {}),
      blocking: true
    });
    rows.push({
      check: 'free disk in state-dir',
      ok: freeKb >= MIN_FREE_KB,
      detail: Number.isFinite(freeKb) ? `${Math.round(freeKb / 1024)} MiB` : 'unknown',
      ...(freeKb >= MIN_FREE_KB
        ? {}
        : {
            fix: `free space on that disk, lower keep-releases (each deploy prunes the releases beyond it, and their images), or move state-dir; at least ${MIN_FREE_KB / 1024} MiB`
          }),
      blocking: freeKb < MIN_FREE_KB / 4
    });
    rows.push(dockerRootRow(r.get('docker root')?.stdout ?? ''));
    const flock = r.get('flock');
    rows.push({
      check: 'flock (one phase at a time)',
      ok: flock?.exitCode === 0,
      detail:
        flock?.exitCode === 0
          ? flock.stdout.trim()
          : 'not found: the phases of two runs (a takeover and a detached phase a dead runner left) are not serialized on this host',
      ...(flock?.exitCode === 0
        ? {}
        : { fix: 'install util-linux (`apt-get install util-linux`), which has flock' }),
      blocking: false
    });
    if (spec.frontDoor) rows.push(...frontDoorDoctorRows(spec, r));
    for (const step of steps.filter((s) => s.name.includes('port') && !s.name.startsWith('front door'))) {
      const res = r.get(step.name);
      const free = res?.exitCode === 0;
      rows.push({
        check: step.name,
        ok: free,
        detail: free
          ? res!.stdout.includes('proxy-up')
            ? "this app's proxy"
            : 'free'
          : `in use: ${res?.stdout.trim().replace(/\s+/g, ' ')}`,
        ...(free ? {} : { fix: 'stop what listens there, or choose other ports (public-port, slot-ports)' }),
        blocking: true
      });
    }
  } catch (err) {
    rows.push({
      check: 'checks',
      ok: false,
      detail: describeError(err).split('\n')[0]!,
      fix: 'see the error above',
      blocking: true
    });
  } finally {
    await executor.close().catch(() => undefined);
  }
  return { host: name, rows };
}

/** Docker's data root: its free space (pulled images fill it) and what this app's release records hold there. */
export function dockerRootRow(out: string): DoctorRow {
  const lines = out.trim().split('\n');
  const dir = lines[0] && !lines[0].startsWith('app-images') ? lines[0] : undefined;
  const df = dir ? (lines[1] ?? '') : '';
  const freeKb = Number(df.trim().split(/\s+/)[3]);
  const app = /^app-images (\d+) (\d+)$/m.exec(out);
  const held = app
    ? `; this app's releases name ${app[1]} image(s), ${Math.round(Number(app[2]) / 1024 / 1024)} MiB`
    : '';
  const check = 'free disk in docker root';
  if (!dir || !Number.isFinite(freeKb))
    return { check, ok: true, detail: `unknown (docker info gave no data root)${held}`, blocking: false };
  const ok = freeKb >= MIN_FREE_KB;
  return {
    check,
    ok,
    detail: `${Math.round(freeKb / 1024)} MiB free in ${dir}${held}`,
    ...(ok
      ? {}
      : {
          fix: `free space in ${dir}: lower keep-releases (each deploy removes the images of the releases it prunes), remove images nothing uses (\`docker image prune\` removes dangling ones), or grow the disk; at least ${MIN_FREE_KB / 1024} MiB`
        }),
    blocking: freeKb < MIN_FREE_KB / 4
  };
}

/** The proxy comes back after a reboot: the @reboot crontab line the switch installs, and a cron to run it. */
function bootRow(out: string, proxyDir: string): DoctorRow {
  const hook = /boot-hook=(\S+)/.exec(out)?.[1] ?? 'unknown';
  const cron = /cron=(\S+)/.exec(out)?.[1];
  const check = 'proxy starts at boot';
  const unit =
    'or run it from a systemd user unit (`ExecStart=/bin/sh ' +
    `${proxyDir}/start.sh\`, Type=forking, then \`loginctl enable-linger <user>\` once as root)`;
  if (hook === 'no-crontab')
    return {
      check,
      ok: false,
      detail: 'no crontab on the host: nothing restarts the proxy after a reboot until the next deploy',
      fix: `install cron (\`apt-get install cron\`), ${unit}`,
      blocking: false
    };
  if (hook === 'missing')
    return {
      check,
      ok: false,
      detail: `no \`${bootLine(proxyDir)}\` line in the user's crontab`,
      fix: 'the next blue-green or rolling deploy adds it (a first deploy too)',
      blocking: false
    };
  if (cron === 'not-running')
    return {
      check,
      ok: false,
      detail: `\`${bootLine(proxyDir)}\` is in the crontab, but no cron daemon runs`,
      fix: `enable cron (\`systemctl enable --now cron\`), ${unit}`,
      blocking: false
    };
  return {
    check,
    ok: hook === 'present',
    detail: `\`${bootLine(proxyDir)}\` in the crontab`,
    blocking: false
  };
}

/** Check every host; `ok` is false when a blocking row fails. Changes nothing on any host. */
export async function doctor(
  spec: TargetSpec,
  strategy: Strategy,
  deps: Pick<EngineDeps, 'connect' | 'logger' | 'forHost'>
): Promise<DoctorReport> {
  const hosts = await Promise.all(
    spec.hosts.map((h) => checkHost(h, deps.forHost ? deps.forHost(h, spec) : spec, strategy, deps))
  );
  return { ok: hosts.every((h) => h.rows.every((r) => r.ok || !r.blocking)), hosts };
}

/** The report as a markdown table per host. */
export function doctorTable(report: DoctorReport): string {
  return report.hosts
    .map(
      (h) =>
        `### ${h.host}\n\n` +
        table(
          ['check', '', 'found', 'fix'],
          h.rows.map((r) => [
            r.check,
            r.ok ? '✅' : r.blocking ? '❌' : '⚠️',
            r.detail,
            r.ok ? '' : (r.fix ?? '')
          ])
        )
    )
    .join('\n');
}

import { describeError, type Executor } from '../../core/src/index.js';
import type { ProbeRecord } from './types.js';

/** `docker inspect` of a container's state as JSON. Pure: tests assert it; any Executor (local, SSH) runs it. */
export function dockerInspectHealthArgv(container: string): string[] {
  return ['docker', 'inspect', '--type', 'container', '--format', '{{json .State}}', container];
}

interface DockerState {
  Status?: string;
  Running?: boolean;
  ExitCode?: number;
  Restarting?: boolean;
  Health?: { Status?: string; FailingStreak?: number; Log?: { ExitCode?: number; Output?: string }[] };
}

/** Judge a container state: `healthy` when its HEALTHCHECK says so, or `running` when it has none. */
export function judgeContainerState(
  container: string,
  state: DockerState
): { ok: boolean; value: string; reason?: string } {
  const status = state.Status ?? 'unknown';
  if (status !== 'running') {
    const extra = status === 'exited' ? ` (exit code ${state.ExitCode})` : '';
    return {
      ok: false,
      value: status,
      reason: `container ${container}: expected running, got ${status}${extra}`
    };
  }
  const health = state.Health?.Status;
  if (!health) return { ok: true, value: 'running (no HEALTHCHECK)' };
  if (health === 'healthy') return { ok: true, value: 'healthy' };
  const last = state.Health?.Log?.at(-1);
  const out = last?.Output
    ? `; last check exited ${last.ExitCode}: ${JSON.stringify(last.Output.trim().slice(0, 200))}`
    : '';
  const streak = state.Health?.FailingStreak ? ` (failing streak ${state.Health.FailingStreak})` : '';
  return {
    ok: false,
    value: health,
    reason: `container ${container}: expected health healthy, got ${health}${streak}${out}`
  };
}

export async function probeContainer(
  container: string,
  options: { executor: Executor; round: number; timeoutMs: number }
): Promise<ProbeRecord> {
  const time = new Date().toISOString();
  const started = performance.now();
  const base = {
    round: options.round,
    target: container,
    kind: 'container' as const,
    time,
    expectation: 'healthy'
  };
  try {
    const r = await options.executor.run({
      argv: dockerInspectHealthArgv(container),
      timeoutMs: options.timeoutMs,
      step: `inspect container ${container}`,
      check: false
    });
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    if (r.exitCode !== 0) {
      const err = (r.stderr || r.stdout).trim().split('\n').at(-1) ?? '';
      return {
        ...base,
        ok: false,
        latencyMs,
        value: 'missing',
        reason: `container ${container} on ${options.executor.target}: docker inspect failed: ${err}`
      };
    }
    const judged = judgeContainerState(container, JSON.parse(r.stdout) as DockerState);
    return { ...base, latencyMs, ...judged };
  } catch (e) {
    return {
      ...base,
      ok: false,
      value: 'error',
      reason: `container ${container} on ${options.executor.target}: ${describeError(e).split('\n')[0]}`
    };
  }
}

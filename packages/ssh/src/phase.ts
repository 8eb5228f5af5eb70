import { ConnectionError, TimeoutError, formatMs, type Executor } from '../../core/src/index.js';
import {
  detachedPhaseArgv,
  parsePhaseOutput,
  phaseScript,
  type ParsedPhase,
  type ScriptStep
} from './script.js';

export interface PhaseRun extends ParsedPhase {
  name: string;
  durationMs: number;
  /** Time from sending the script to its first line: the link plus the remote login shell. */
  beganAfterMs?: number;
}

/**
 * Run a phase (a list of argv steps) as one script in one session of `executor` (`sh -s`, script on stdin).
 * Returns every step's result; the caller decides what a failed step means. When the session dies (the link
 * drops, the phase runs out of time) the error names the step that was running and the steps already done.
 * With `detach`, the script runs on the host in a session of its own (DETACHED_PHASE): a dropped link or a
 * dead runner ends only the relay of its output, never the phase halfway.
 */
export async function runPhase(
  executor: Executor,
  name: string,
  steps: readonly ScriptStep[],
  timeoutMs: number,
  options: {
    detach?: boolean;
    serialize?: string;
    /** The session's stderr as it comes: the output of `stream` steps (and the script's own complaints). */
    onStream?: (chunk: string) => void;
  } = {}
): Promise<PhaseRun> {
  const script = phaseScript(steps);
  const started = Date.now();
  let seen = '';
  let beganAt: number | undefined;
  try {
    const r = await executor.run({
      argv: options.detach ? detachedPhaseArgv(options.serialize) : ['sh', '-s'],
      stdin: script.text,
      check: false,
      timeoutMs,
      step: `phase '${name}'`,
      onOutput: (chunk, stream) => {
        if (stream !== 'stdout') return options.onStream?.(chunk);
        seen += chunk;
        if (beganAt === undefined && seen.includes(`${script.marker} begin`)) beganAt = Date.now();
      }
    });
    const parsed = parsePhaseOutput(r.stdout, script.marker, steps);
    // The script itself exits 0 (or 97); 255 without its end is ssh's: the link dropped under it.
    if (r.exitCode === 255 && !parsed.done)
      throw new ConnectionError(
        `SSH to ${executor.target} dropped during phase '${name}'${where(parsed, steps)}: ${r.stderr.trim().split('\n').slice(-1)[0] || 'connection closed'}`,
        {
          state:
            'the steps named above had finished; the one running was cut (its effect on the host is unknown)',
          hint: 'check the link to the host, then run again'
        }
      );
    if (!parsed.done && !parsed.results.some((x) => x.exitCode !== 0 && steps[x.index]?.check !== false))
      throw new ConnectionError(
        `Phase '${name}' on ${executor.target} ended early (exit ${r.exitCode})${where(parsed, steps)}: ${r.stderr.trim().split('\n').slice(-3).join(' ') || 'no error text'}`,
        {
          state: 'the phase stopped part way; the steps named above had finished',
          hint: 'check that `sh`, `mktemp` and `base64` exist on the host, then run again'
        }
      );
    return {
      ...parsed,
      name,
      durationMs: Date.now() - started,
      ...(beganAt !== undefined ? { beganAfterMs: beganAt - started } : {})
    };
  } catch (err) {
    const parsed = parsePhaseOutput(seen, script.marker, steps);
    const at = where(parsed, steps);
    if (err instanceof TimeoutError)
      throw new TimeoutError(`${name}${at}`, timeoutMs, {
        state: err.state ?? `the phase was stopped on ${executor.target}`,
        hint: err.hint,
        cause: err
      });
    if (err instanceof ConnectionError)
      throw new ConnectionError(`${err.message}${at ? ` (phase '${name}'${at})` : ''}`, {
        state: err.state,
        hint: err.hint,
        cause: err
      });
    throw err;
  }
}

function where(p: ParsedPhase, steps: readonly ScriptStep[]): string {
  const done = p.results.length;
  if (p.running !== undefined)
    return ` at step '${steps[p.running]?.name}' (${done} of ${steps.length} steps done)`;
  if (!p.began) return ' before its first step';
  return done < steps.length ? ` after step '${steps[done - 1]?.name ?? 'none'}'` : '';
}

/** How long a remote step may take: its own bound, plus a floor and a multiple of the link's no-op cost. */
export function linkTimeoutMs(ownMs: number, noopMs: number): number {
  return ownMs + LINK_FLOOR_MS + LINK_MULTIPLE * Math.max(0, noopMs);
}
export const LINK_FLOOR_MS = 5000;
export const LINK_MULTIPLE = 10;

/** Above this, a no-op's cost is the remote login shell's doing more than the link's: say so. */
export const SLOW_NOOP_MS = 300;

export function slowShellNotice(target: string, noopMs: number): string | undefined {
  if (noopMs <= SLOW_NOOP_MS) return undefined;
  return `a no-op command on ${target} takes ${formatMs(noopMs)}: every SSH command pays it. Likely cause: the login shell's rc files (nvm, pyenv, conda, rvm in ~/.bashrc run even for non-interactive shells). Fix: put \`case $- in *i*) ;; *) return;; esac\` at the top of ~/.bashrc (before those lines) on the host`;
}

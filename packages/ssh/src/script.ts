import { randomBytes } from 'node:crypto';
import { shellJoin } from '../../core/src/index.js';
import { HOST_SCRIPTS } from './host-scripts.generated.js';

/**
 * A phase of remote work as one POSIX script: every step is an argv (built by a pure function elsewhere),
 * quoted by core/shell.ts, the only quoting there is. The script travels on stdin to `sh -s`, so the link and
 * the remote login shell are paid once per phase and not once per command. Each step's exit code, stdout and
 * stderr come back framed by a random marker, so a failure still names the exact step.
 */
export interface ScriptStep {
  /** Named in errors and logs: "step 'pull web' failed on deploy@host". */
  name: string;
  argv: readonly string[];
  /** The command's stdin. It travels inside the script (base64 in a here-document), never in argv or env. */
  stdin?: string | Buffer;
  /** Run even after an earlier step failed: cleanup such as removing a private docker config. */
  always?: boolean;
  /** When false, a non-zero exit is reported but does not stop the phase. Default true. */
  check?: boolean;
  /**
   * Also send the output, stdout and stderr merged, to the session's stderr as it comes (a long migration's
   * progress in the log, runPhase's `onStream`); the step's result then has it all as its stdout. No stdin.
   */
  stream?: boolean;
}

export interface PhaseScript {
  text: string;
  marker: string;
}

/**
 * Directories searched after the user's own PATH: a non-root user's non-interactive PATH often lacks the sbin
 * directories where nginx and ss live on Debian.
 */
export const EXTRA_PATH = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function heredoc(data: string | Buffer, end: string): string {
  const b64 = (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
  const lines = b64.match(/.{1,76}/g) ?? [];
  return [...lines, end].join('\n');
}

/**
 * The most of one step's stdout (and of its stderr) a phase relays: 4 MiB, its first and last 2 MiB past that.
 * Far under the executor's 32 MiB capture, so a phase's end markers are never cut off by a long output.
 */
export const STEP_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Build the script. Pure apart from the marker, which may be given (tests) or is random. */
export function phaseScript(
  steps: readonly ScriptStep[],
  marker = `DA${randomBytes(8).toString('hex')}`
): PhaseScript {
  const m = marker;
  const out: string[] = [
    'umask 077',
    `__da_m=${m}`,
    `PATH="$PATH:${EXTRA_PATH.join(':')}"; export PATH`,
    '__da_d=$(mktemp -d 2>/dev/null) || { echo "mktemp failed" >&2; exit 97; }',
    'trap \'rm -rf "$__da_d"\' EXIT',
    '__da_f=0',
    // A step's output is relayed whole up to STEP_OUTPUT_BYTES; past that its head and tail, with the count cut
    // between them: the framing after it (the end markers, the exit code) always reaches the runner.
    `__da_cat() { __da_n=$(wc -c <"$1"); if [ "$__da_n" -le ${STEP_OUTPUT_BYTES} ]; then cat "$1"; else head -c ${STEP_OUTPUT_BYTES / 2} "$1"; printf '\\n[%s bytes of output cut]\\n' "$((__da_n - ${STEP_OUTPUT_BYTES}))"; tail -c ${STEP_OUTPUT_BYTES / 2} "$1"; fi; }`,
    'printf \'%s begin\\n\' "$__da_m"'
  ];
  steps.forEach((s, i) => {
    const cmd = shellJoin(s.argv);
    const end = `${m}_EOF_${i}`;
    const run =
      s.stdin !== undefined
        ? `base64 -d <<'${end}' | ${cmd} >"$__da_d/o" 2>"$__da_d/e"; __da_c=$?\n${heredoc(s.stdin, end)}`
        : s.stream
          ? `rm -f "$__da_d/c"; { ${cmd} </dev/null 2>&1; echo "$?" >"$__da_d/c"; } | tee "$__da_d/o" >&2; __da_c=$(cat "$__da_d/c" 2>/dev/null || echo 1); : >"$__da_d/e"`
          : `${cmd} </dev/null >"$__da_d/o" 2>"$__da_d/e"; __da_c=$?`;
    out.push(
      `${s.always ? 'if true' : 'if [ "$__da_f" = 0 ]'}; then`,
      `printf '%s start ${i}\\n' "$__da_m"`,
      run,
      `printf '%s out ${i}\\n' "$__da_m"; __da_cat "$__da_d/o"`,
      `printf '\\n%s err ${i}\\n' "$__da_m"; __da_cat "$__da_d/e"`,
      `printf '\\n%s end ${i} %s\\n' "$__da_m" "$__da_c"`,
      s.check === false ? 'true' : '[ "$__da_c" = 0 ] || __da_f=1',
      'fi'
    );
  });
  out.push('printf \'%s done\\n\' "$__da_m"', 'exit 0');
  return { text: out.join('\n') + '\n', marker: m };
}

/**
 * The remote command of a DETACHED phase: the script arrives whole on stdin (a truncated one never runs), then
 * runs in a session of its own (`setsid`, SIGHUP and SIGPIPE ignored) with its output in a private file that
 * this command relays as it grows. When the link drops or the runner dies, only the relay dies: the script
 * runs to its end on the host, so a phase is never cut halfway by the link. The script file is unlinked once
 * the shell holds it open, and the private directory goes when both are done. packages/ssh/host/detached-phase.sh.
 */
export const DETACHED_PHASE: string = HOST_SCRIPTS['detached-phase'];

/**
 * argv of a detached phase (its script on stdin). With `serialize` (a file path on the host), phases holding
 * the same file run one after the other (flock): a phase a dead runner left running ends before the next
 * run's phase starts, so a revert can never race the switch it undoes.
 */
export function detachedPhaseArgv(serialize = ''): string[] {
  return ['sh', '-c', DETACHED_PHASE, 'sh', serialize];
}

export interface StepResult {
  index: number;
  name: string;
  argv: readonly string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ParsedPhase {
  /** The script started on the host (the login shell ran it). */
  began: boolean;
  /** Every step that ran to its end, in order. */
  results: StepResult[];
  /** The step that had started but not ended (the link dropped or the phase ran out of time there). */
  running?: number;
  /** The script reached its end. */
  done: boolean;
}

/** Read the framed output of phaseScript. Pure. */
export function parsePhaseOutput(stdout: string, marker: string, steps: readonly ScriptStep[]): ParsedPhase {
  const began = stdout.includes(`${marker} begin\n`);
  const results: StepResult[] = [];
  let running: number | undefined;
  let from = 0;
  for (;;) {
    const startTag = stdout.indexOf(`${marker} start `, from);
    if (startTag < 0) break;
    const nl = stdout.indexOf('\n', startTag);
    if (nl < 0) break;
    const index = Number(stdout.slice(startTag + marker.length + 7, nl));
    running = index;
    const outTag = `${marker} out ${index}\n`;
    const errTag = `\n${marker} err ${index}\n`;
    const endTag = `\n${marker} end ${index} `;
    const o = stdout.indexOf(outTag, nl);
    const e = o < 0 ? -1 : stdout.indexOf(errTag, o);
    const en = e < 0 ? -1 : stdout.indexOf(endTag, e);
    const enNl = en < 0 ? -1 : stdout.indexOf('\n', en + endTag.length);
    if (enNl < 0) break;
    const step = steps[index];
    results.push({
      index,
      name: step?.name ?? `step ${index}`,
      argv: step?.argv ?? [],
      stdout: stdout.slice(o + outTag.length, e),
      stderr: stdout.slice(e + errTag.length, en),
      exitCode: Number(stdout.slice(en + endTag.length, enNl))
    });
    running = undefined;
    from = enNl + 1;
  }
  return {
    began,
    results,
    ...(running !== undefined ? { running } : {}),
    done: stdout.includes(`\n${marker} done\n`) || stdout.startsWith(`${marker} done\n`)
  };
}

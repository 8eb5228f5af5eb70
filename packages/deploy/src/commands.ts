import { CONTAINER_STATE_FORMAT } from '../../docker/src/index.js';
import { HOST_SCRIPTS } from './host-scripts.generated.js';

/**
 * Pure argv builders for what the deploy runs on a host besides compose and docker (packages/docker): files,
 * the lock, the proxy, the waiting loops. Scripts passed to `sh -c` are constants; every variable part is a
 * positional argument ($1, $2), so no input is ever parsed as shell code. Phases join them into one script
 * (packages/ssh/src/script.ts).
 */

const STATE_FORMAT = CONTAINER_STATE_FORMAT;

/** Write stdin to `path` atomically (temp file + rename), readable by the owner only. */
export function writeFileArgv(path: string): string[] {
  return ['sh', '-c', 'umask 077 && cat > "$1.tmp" && mv -f "$1.tmp" "$1"', 'sh', path];
}

/** The name of the history line inside a commit tarball (appended, then removed). */
export const HISTORY_ADD = '.history-add';

/**
 * One round trip for a step's bookkeeping, crash-consistent: the tarball is extracted into a private staging
 * directory, then each file lands by rename (a cut leaves the old file or the new one, never half of one), the
 * history lines it carries are appended in one write (after closing a torn last line, if a killed writer left
 * one), and `current` is re-pointed by renaming a new symlink over it.
 */
export function commitArgv(root: string, link?: string): string[] {
  return ['sh', '-c', HOST_SCRIPTS['commit'], 'sh', root, ...(link ? [link] : [])];
}

/**
 * Move traffic in one round trip: check the nginx config, then reload the running proxy (or start it). The
 * upstream file was written by the commit before; `current` is not touched here (the finish step moves it).
 */
export function proxySwitchArgv(conf: string, prefix: string): string[] {
  // -e: nginx opens its default error log (/var/log/nginx) before reading the config, which a non-root
  // deploy user may not write.
  return [
    'sh',
    '-c',
    'mkdir -p "$2/tmp" && nginx -e "$2/error.log" -t -q -p "$2" -c "$1" && if [ -f "$2/nginx.pid" ] && kill -0 "$(cat "$2/nginx.pid")" 2>/dev/null; then nginx -e "$2/error.log" -p "$2" -c "$1" -s reload; else nginx -e "$2/error.log" -p "$2" -c "$1"; fi',
    'sh',
    conf,
    prefix
  ];
}

/** Stop the app's proxy (a first deploy that failed must not leave it answering 502 on the public port). */
export function proxyStopArgv(conf: string, prefix: string): string[] {
  return ['sh', '-c', HOST_SCRIPTS['proxy-stop'], 'sh', conf, prefix];
}

/**
 * Append stdin (whole JSON lines) to a history file in one write, after closing a torn last line a killed
 * writer may have left (readers skip a line that does not parse).
 */
export function historyAppendArgv(path: string): string[] {
  return [
    'sh',
    '-c',
    'umask 077; l=$(cat); if [ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ]; then l=$(printf "\\n%s" "$l"); fi; printf "%s\\n" "$l" >> "$1"',
    'sh',
    path
  ];
}

export function mkdirArgv(...paths: string[]): string[] {
  return ['mkdir', '-p', ...paths];
}

export function removeTreeArgv(path: string): string[] {
  return ['rm', '-rf', '--', path];
}

/** Rename a directory within its parent (no copy; fails when `to` exists). */
export function setAsideArgv(from: string, to: string): string[] {
  return ['mv', '-T', '--', from, to];
}

/**
 * Remove the images of pruned releases, each by its digest and by the tag its release pulled it by (while that
 * tag still names the same image: a moved tag is left alone). An image that any release record under the
 * state dir still names (a kept release, another environment, another app) is kept, and so is a tag one names;
 * one a container uses,
 * running or stopped, docker refuses. Nothing else is touched: only references this action's records name.
 * Prints `removed <digest>`, `kept <digest> (<why>)` or `gone <digest>` per image; exit 1 when docker refused one.
 */
export function pruneImagesArgv(
  stateDir: string,
  images: readonly string[],
  tags: Record<string, string>
): string[] {
  return [
    'sh',
    '-c',
    HOST_SCRIPTS['prune-images'],
    'sh',
    stateDir,
    ...images.flatMap((d) => [d, tags[d] ?? ''])
  ];
}

/**
 * Remove registry logins (`<root>/.docker-<id>` private docker configs) a run left behind when it was stopped
 * before its `remove the registry login` step. Run under the deploy lock, with phases serialized: no other run
 * uses one then. Prints `removed <dir>` per directory.
 */
export function sweepDockerConfigsArgv(root: string): string[] {
  return ['sh', '-c', HOST_SCRIPTS['sweep-docker-configs'], 'sh', root];
}

/** Exit 0 while the lock still names this token (the run still holds it), 1 otherwise. */
export function lockOursArgv(lockDir: string, token: string): string[] {
  return ['sh', '-c', 'grep -qF "$2" "$1/holder.json" 2>/dev/null', 'sh', lockDir, token];
}

/**
 * Everything the deploy needs to know about an app on a host, in one round trip: the current link, the
 * active slot, and every release.json (one JSON document per line, each prefixed by its file name).
 */
export function readStateArgv(root: string): string[] {
  return ['sh', '-c', HOST_SCRIPTS['read-state'], 'sh', root];
}

/**
 * Take the lock: holder.json (stdin) is written whole into a private directory, which is then renamed to the
 * lock directory. The rename is atomic and fails onto a held lock, so a lock never exists without its holder.
 */
export function lockAcquireArgv(lockDir: string): string[] {
  return [
    'sh',
    '-c',
    [
      '[ -e "$1" ] && exit 75',
      't="$1.take.$$"; umask 077; rm -rf "$t" "$1".released.* "$1".old.*',
      'mkdir "$t" && cat > "$t/holder.json" || { rm -rf "$t"; exit 1; }',
      'mv -T "$t" "$1" 2>/dev/null || { rm -rf "$t"; exit 75; }'
    ].join('\n'),
    'sh',
    lockDir
  ];
}

/**
 * Take a lock over (or break it): only while it still has the holder that was judged (its token; empty: a
 * lock without holder.json), it is renamed aside, then removed. Prints `removed` when it was.
 */
export function lockRemoveIfHolderArgv(lockDir: string, token: string): string[] {
  return [
    'sh',
    '-c',
    [
      'if [ -n "$2" ]; then grep -qF "$2" "$1/holder.json" 2>/dev/null || exit 0; elif [ -f "$1/holder.json" ]; then exit 0; fi',
      'a="$1.old.$$"; mv -T "$1" "$a" 2>/dev/null && rm -rf -- "$a" && echo removed; true'
    ].join('\n'),
    'sh',
    lockDir,
    token
  ];
}

/** Exit code of lockAcquireArgv when someone else holds the lock. */
export const LOCK_HELD = 75;

export function lockReadArgv(lockDir: string): string[] {
  return ['sh', '-c', 'cat "$1/holder.json" 2>/dev/null || true', 'sh', lockDir];
}

/** Refresh the holder (heartbeat), only while the lock is still ours; prints `beat`, or `lost` when it is not. */
export function lockHeartbeatArgv(lockDir: string, token: string): string[] {
  return [
    'sh',
    '-c',
    [
      'grep -qF "$2" "$1/holder.json" 2>/dev/null || { echo lost; exit 0; }',
      'umask 077; cat > "$1/holder.json.new" || exit 0',
      // The beat carries now: a phase's beat is built when the phase is sent and runs at its end, so the host's
      // clock moves it forward (never back). Never backwards either: a beat older than the one there (landing
      // after the timer's) is dropped. ISO times of one format order as strings.
      'at() { sed -n \'s/.*"heartbeatAt":"\\([^"]*\\)".*/\\1/p\' "$1"; }',
      'old=$(at "$1/holder.json"); new=$(at "$1/holder.json.new"); now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)',
      'if [ -n "$new" ] && [ "$(expr "x$new" \\< "x$now")" = 1 ]; then',
      '  sed "s/\\"heartbeatAt\\":\\"[^\\"]*\\"/\\"heartbeatAt\\":\\"$now\\"/" "$1/holder.json.new" >"$1/holder.json.now" && mv -f "$1/holder.json.now" "$1/holder.json.new" && new=$now',
      'fi',
      'if [ -n "$old" ] && [ "$(expr "x$new" \\< "x$old")" = 1 ]; then rm -f "$1/holder.json.new"; echo older; exit 0; fi',
      'mv -f "$1/holder.json.new" "$1/holder.json" && echo beat; true'
    ].join('\n'),
    'sh',
    lockDir,
    token
  ];
}

/**
 * Release the lock, only when it is still ours. The name goes first, by rename, so a heartbeat racing the
 * release can never leave a lock behind (it writes into a directory that no longer has the lock's name).
 */
export function lockReleaseArgv(lockDir: string, token: string): string[] {
  return [
    'sh',
    '-c',
    'grep -qF "$2" "$1/holder.json" 2>/dev/null && mv -T "$1" "$1.released.$$" && rm -rf -- "$1.released.$$"; true',
    'sh',
    lockDir,
    token
  ];
}

/** Release a lock whose token (on stdin) still matches; prints `released` when it did. */
export function lockReleaseIfOursArgv(lockDir: string): string[] {
  return [
    'sh',
    '-c',
    'token=$(cat) && grep -qF "$token" "$1/holder.json" 2>/dev/null && mv -T "$1" "$1.released.$$" && rm -rf -- "$1.released.$$" && echo released; true',
    'sh',
    lockDir
  ];
}

/** Fails, printing who listens, when the TCP port is taken. */
export function portFreeArgv(port: number): string[] {
  return [
    'sh',
    '-c',
    'out=$(ss -Hltnp "sport = :$1" 2>/dev/null); [ -z "$out" ] || { echo "$out"; exit 1; }',
    'sh',
    String(port)
  ];
}

/**
 * The public port: prints `proxy-up` when this app's proxy (its pid file) runs; otherwise fails, printing who
 * listens, when someone else holds the port.
 */
export function publicPortArgv(pidFile: string, port: number): string[] {
  return [
    'sh',
    '-c',
    'if [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; then echo proxy-up; exit 0; fi; out=$(ss -Hltnp "sport = :$2" 2>/dev/null); [ -z "$out" ] || { echo "$out"; exit 1; }',
    'sh',
    pidFile,
    String(port)
  ];
}

/**
 * Fetch an image only when the host lacks it: `pull` (argv, e.g. `docker pull` under the deploy's private
 * login) runs after `docker image inspect <ref>` fails. Prints `present` when it was there. An accessory's image
 * is fetched this way, never refreshed, so a moved tag upstream does not restart a database.
 */
export function pullIfMissingArgv(ref: string, pull: readonly string[]): string[] {
  return [
    'sh',
    '-c',
    'if docker image inspect "$1" >/dev/null 2>&1; then echo present; exit 0; fi; shift; exec "$@"',
    'sh',
    ref,
    ...pull
  ];
}

/** Fails, naming the PATH searched, when a program is missing (the phase PATH includes the sbin dirs). */
export function requireProgramArgv(program: string): string[] {
  return ['sh', '-c', 'command -v "$1" || { echo "$1 not found in PATH=$PATH" >&2; exit 1; }', 'sh', program];
}

export { waitReadyArgv } from './wait-ready.js';

/**
 * After the switch: the containers of `project` still run, `rounds` checks `intervalS` apart (a crash after
 * traffic moved is caught here, on the host, without a round trip per check): packages/deploy/host/still-running.sh.
 * Fails printing `no containers` or the states.
 */
export function stillRunningArgv(project: string, rounds: number, intervalS: number): string[] {
  return [
    'sh',
    '-c',
    HOST_SCRIPTS['still-running'],
    'sh',
    project,
    String(rounds),
    String(intervalS),
    STATE_FORMAT
  ];
}

/** One HTTP check from the host itself (the slot port is not reachable from the runner). */
export function hostHttpCheckArgv(tool: 'curl' | 'wget', url: string, timeoutS: number): string[] {
  return tool === 'curl'
    ? ['curl', '-fsS', '-o', '/dev/null', '-m', String(timeoutS), url]
    : ['wget', '-q', '-O', '/dev/null', '-T', String(timeoutS), url];
}

export function whichArgv(...programs: string[]): string[] {
  return ['sh', '-c', HOST_SCRIPTS['which'], 'sh', ...programs];
}

/**
 * Start a slot's release: when the slot still holds the stopped containers of this very release (a deploy
 * leaves the old slot stopped, not removed), `docker start` them: no compose run (each docker-compose v1 call
 * costs ~1 s of Python start) and no container create. Otherwise clear the slot and run `up` (argv after the
 * release directory). Prints `kept` or the compose output.
 */
export function startSlotArgv(project: string, releaseDir: string, up: readonly string[]): string[] {
  return [
    'sh',
    '-c',
    [
      'p=$1; rel=$2/; shift 2',
      'ids=$(docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$p")',
      'if [ -n "$ids" ]; then',
      '  files=$(docker inspect --format \'{{index .Config.Labels "com.docker.compose.project.config_files"}}\' $ids) || files=',
      '  other=$(printf "%s\\n" "$files" | grep -v -F "$rel")',
      '  if [ -n "$files" ] && [ -z "$other" ]; then docker start $ids >/dev/null && { echo kept; exit 0; }; fi',
      '  docker rm -f $ids >/dev/null',
      'fi',
      'exec "$@"'
    ].join('\n'),
    'sh',
    project,
    releaseDir,
    ...up
  ];
}

/**
 * Stop a project's containers and keep them (each with its own stop timeout, compose's stop_grace_period):
 * a rollback to this release starts them again (startSlotArgv) instead of creating them.
 */
export function stopKeepArgv(project: string): string[] {
  return [
    'sh',
    '-c',
    'ids=$(docker ps -q --no-trunc --filter "label=com.docker.compose.project=$1"); [ -z "$ids" ] || docker stop $ids >/dev/null',
    'sh',
    project
  ];
}

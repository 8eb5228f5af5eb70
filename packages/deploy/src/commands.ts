/**
 * Pure argv builders for everything the deploy runs on a host besides compose: files, the lock, docker,
 * the proxy. Scripts passed to `sh -c` are constants; every variable part is a positional argument ($1, $2),
 * so no input is ever parsed as shell code.
 */

/** Write stdin to `path` atomically (temp file + rename), readable by the owner only. */
export function writeFileArgv(path: string): string[] {
  return ['sh', '-c', 'umask 077 && cat > "$1.tmp" && mv -f "$1.tmp" "$1"', 'sh', path];
}

/** The name of the history line inside a commit tarball (appended, then removed). */
export const HISTORY_ADD = '.history-add';

/**
 * One round trip for a step's bookkeeping: extract a tarball (files 0600 under `root`, directories created)
 * and append the history lines it carries to history.jsonl.
 */
export function commitArgv(root: string, link?: string): string[] {
  return [
    'sh',
    '-c',
    [
      'umask 077 && mkdir -p "$1" && cd "$1" && tar -xf - || exit 1',
      'if [ -f .history-add ]; then cat .history-add >> history.jsonl && rm -f .history-add || exit 1; fi',
      'if [ -n "$2" ]; then ln -sfn "$2" current.new && mv -fT current.new current; fi'
    ].join('\n'),
    'sh',
    root,
    ...(link ? [link] : [])
  ];
}

/**
 * Move traffic in one round trip: check the nginx config, reload the running proxy (or start it), then
 * point `current` at the release. The upstream file was written by the commit before.
 */
export function proxySwitchArgv(conf: string, prefix: string): string[] {
  return [
    'sh',
    '-c',
    'mkdir -p "$2/tmp" && nginx -t -q -p "$2" -c "$1" && if [ -f "$2/nginx.pid" ] && kill -0 "$(cat "$2/nginx.pid")" 2>/dev/null; then nginx -p "$2" -c "$1" -s reload; else nginx -p "$2" -c "$1"; fi',
    'sh',
    conf,
    prefix
  ];
}

/**
 * One readiness round of a compose project, in one round trip: the state of each of its containers, then
 * `http <exit code>` of an HTTP check from the host when a URL is given.
 */
export function slotProbeArgv(
  project: string,
  tool: 'curl' | 'wget' | null,
  url: string | undefined
): string[] {
  const check = tool && url ? hostHttpCheckArgv(tool, url, 3) : [];
  return [
    'sh',
    '-c',
    [
      'ids=$(docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$1")',
      'if [ -n "$ids" ]; then docker inspect --format \'{{.Id}} {{.State.Status}} {{with index .State "Health"}}{{.Status}}{{else}}-{{end}} {{.RestartCount}} {{.State.ExitCode}} {{.Name}}\' $ids; fi',
      'shift',
      'if [ $# -gt 0 ]; then "$@" >/dev/null 2>&1; echo "http $?"; fi',
      'true'
    ].join('\n'),
    'sh',
    project,
    ...check
  ];
}

/** Append stdin to `path` (one JSON line per call: O_APPEND keeps lines whole). */
export function appendFileArgv(path: string): string[] {
  return ['sh', '-c', 'umask 077 && cat >> "$1"', 'sh', path];
}

export function mkdirArgv(...paths: string[]): string[] {
  return ['mkdir', '-p', ...paths];
}

export function removeTreeArgv(path: string): string[] {
  return ['rm', '-rf', '--', path];
}

/** Point `current` at `target` atomically: a new symlink renamed over the old one. */
export function switchLinkArgv(link: string, target: string): string[] {
  return ['sh', '-c', 'ln -sfn "$2" "$1.new" && mv -fT "$1.new" "$1"', 'sh', link, target];
}

/**
 * Everything the deploy needs to know about an app on a host, in one round trip: the current link, the
 * active slot, and every release.json (one JSON document per line, each prefixed by its file name).
 */
export function readStateArgv(root: string): string[] {
  return [
    'sh',
    '-c',
    [
      'cd "$1" 2>/dev/null || exit 0',
      'printf "current\\t%s\\n" "$(readlink current 2>/dev/null)"',
      'if [ -f active.json ]; then printf "active\\t%s\\n" "$(cat active.json)"; fi',
      'for f in releases/*/release.json; do [ -f "$f" ] && printf "release\\t%s\\n" "$(cat "$f")"; done',
      'true'
    ].join('\n'),
    'sh',
    root
  ];
}

/** Take the lock: `mkdir` is atomic; the holder is written inside only by the one who created it. */
export function lockAcquireArgv(lockDir: string): string[] {
  return ['sh', '-c', 'mkdir "$1" 2>/dev/null || exit 75; umask 077; cat > "$1/holder.json"', 'sh', lockDir];
}

/** Exit code of lockAcquireArgv when someone else holds the lock. */
export const LOCK_HELD = 75;

export function lockReadArgv(lockDir: string): string[] {
  return ['sh', '-c', 'cat "$1/holder.json" 2>/dev/null || true', 'sh', lockDir];
}

/** Refresh the holder (heartbeat), only while the lock is still ours. */
export function lockHeartbeatArgv(lockDir: string, token: string): string[] {
  return [
    'sh',
    '-c',
    'grep -qF "$2" "$1/holder.json" 2>/dev/null || exit 75; umask 077; cat > "$1/holder.json.new" && mv -f "$1/holder.json.new" "$1/holder.json"',
    'sh',
    lockDir,
    token
  ];
}

/** Release the lock, only when it is still ours. */
export function lockReleaseArgv(lockDir: string, token: string): string[] {
  return [
    'sh',
    '-c',
    'grep -qF "$2" "$1/holder.json" 2>/dev/null && rm -rf -- "$1"; true',
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
    'token=$(cat) && grep -qF "$token" "$1/holder.json" 2>/dev/null && rm -rf -- "$1" && echo released; true',
    'sh',
    lockDir
  ];
}

export function dockerVersionArgv(): string[] {
  return ['docker', 'version', '--format', '{{.Server.Version}}'];
}

export function dockerLoginArgv(registry: string, username: string): string[] {
  return ['docker', 'login', registry, '--username', username, '--password-stdin'];
}

export function dockerPullArgv(ref: string): string[] {
  return ['docker', 'pull', '--quiet', ref];
}

/** RepoDigests and Id of a local image, as JSON. */
export function dockerImageDigestsArgv(ref: string): string[] {
  return ['docker', 'image', 'inspect', '--format', '{{json .RepoDigests}} {{.Id}}', ref];
}

export function dockerImageRemoveArgv(refs: readonly string[]): string[] {
  return ['docker', 'image', 'rm', ...refs];
}

/** State of containers: `<id> <status> <health|-> <restarts> <exit code> <name>` per line. */
export function dockerContainerStateArgv(ids: readonly string[]): string[] {
  return [
    'docker',
    'inspect',
    '--format',
    // `index` and not `.State.Health`: the key is absent for containers without a HEALTHCHECK.
    '{{.Id}} {{.State.Status}} {{with index .State "Health"}}{{.Status}}{{else}}-{{end}} {{.RestartCount}} {{.State.ExitCode}} {{.Name}}',
    ...ids
  ];
}

/** Remove whatever containers a compose project left (a failed earlier run in an idle slot). */
export function removeProjectContainersArgv(project: string): string[] {
  return [
    'sh',
    '-c',
    'ids=$(docker ps -aq --filter "label=com.docker.compose.project=$1"); [ -z "$ids" ] || docker rm -f $ids',
    'sh',
    project
  ];
}

/** Containers of a compose project, stopped ones included: by compose's own label (v1 and v2 set it), without
 * starting compose (a second per call in v1). */
export function dockerProjectContainersArgv(project: string): string[] {
  return ['docker', 'ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`];
}

export function dockerLogsArgv(id: string, tail = 20): string[] {
  return ['docker', 'logs', '--tail', String(tail), id];
}

/** Who listens on a TCP port (empty output: free). */
export function portListenersArgv(port: number): string[] {
  return ['sh', '-c', 'ss -Hltnp "sport = :$1" 2>/dev/null || true', 'sh', String(port)];
}

/** One HTTP check from the host itself (the slot port is not reachable from the runner). */
export function hostHttpCheckArgv(tool: 'curl' | 'wget', url: string, timeoutS: number): string[] {
  return tool === 'curl'
    ? ['curl', '-fsS', '-o', '/dev/null', '-m', String(timeoutS), url]
    : ['wget', '-q', '-O', '/dev/null', '-T', String(timeoutS), url];
}

export function whichArgv(...programs: string[]): string[] {
  return [
    'sh',
    '-c',
    'for p in "$@"; do command -v "$p" >/dev/null 2>&1 && echo "$p"; done; true',
    'sh',
    ...programs
  ];
}

export function nginxTestArgv(conf: string, prefix: string): string[] {
  return ['nginx', '-t', '-q', '-p', prefix, '-c', conf];
}

export function nginxStartArgv(conf: string, prefix: string): string[] {
  return ['nginx', '-p', prefix, '-c', conf];
}

/** A graceful reload: new workers take new connections, old ones finish what they serve. */
export function nginxReloadArgv(conf: string, prefix: string): string[] {
  return ['nginx', '-p', prefix, '-c', conf, '-s', 'reload'];
}

/** Is the nginx of this pid file alive? */
export function pidAliveArgv(pidFile: string): string[] {
  return ['sh', '-c', '[ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null', 'sh', pidFile];
}

export function sleepArgv(seconds: number): string[] {
  return ['sleep', String(seconds)];
}

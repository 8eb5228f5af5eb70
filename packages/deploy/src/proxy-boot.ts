import { join } from 'node:path/posix';

/**
 * The proxy survives a reboot without root. The app's containers come back with docker's restart policy; the
 * per-app nginx is a process of the deploy user, so the switch leaves two things on the host:
 *
 *   <proxy>/start.sh   starts this proxy unless it runs (a pid file naming another process, as after a
 *                      reboot, does not count), and does nothing for an app with no active release;
 *   an `@reboot` line in the deploy user's crontab running it (cron runs it as that user at boot).
 *
 * No root, no systemd: cron is on every Debian and Ubuntu host. A host without `crontab` keeps deploying;
 * `doctor` says what is missing, and the docs give a systemd user unit as the other way.
 */
export function startScript(guard: string, what: string): string {
  return `#!/bin/sh
# written by deploy-actions: start ${what} unless it runs (the @reboot crontab line runs this at boot)
set -u
d=$(dirname "$0")
${guard}
PATH=$PATH:/usr/sbin:/sbin
pid=$(cat "$d/nginx.pid" 2>/dev/null || true)
if [ -n "$pid" ] && [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = nginx ]; then
  exit 0
fi
rm -f "$d/nginx.pid"
mkdir -p "$d/tmp"
exec nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf"
`;
}

export const START_SCRIPT = startScript('[ -f "$d/../active.json" ] || exit 0', "this app's proxy");

export function startScriptPath(proxyDir: string): string {
  return join(proxyDir, 'start.sh');
}

/** The crontab line that starts the proxy of `proxyDir` at boot. */
export function bootLine(proxyDir: string): string {
  return `@reboot /bin/sh ${startScriptPath(proxyDir)}`;
}

/**
 * Add the @reboot line to the user's crontab unless it is there (idempotent; under flock when the host has it,
 * since apps deploy to one host in parallel). Prints `boot-hook=installed|present|no-crontab`.
 */
export function bootHookArgv(proxyDir: string, stateDir: string): string[] {
  return [
    'sh',
    '-c',
    [
      'command -v crontab >/dev/null 2>&1 || { echo boot-hook=no-crontab; exit 0; }',
      'add() { if crontab -l 2>/dev/null | grep -qxF "$1"; then echo boot-hook=present; else { crontab -l 2>/dev/null; echo "$1"; } | crontab - && echo boot-hook=installed; fi; }',
      'if command -v flock >/dev/null 2>&1; then exec 9>"$2/.crontab.lock" && flock -w 30 9; fi',
      'add "$1"'
    ].join('\n'),
    'sh',
    bootLine(proxyDir),
    stateDir
  ];
}

/** Doctor: is the boot hook of this proxy in the crontab? Prints `boot-hook=present|missing|no-crontab`. */
export function bootHookCheckArgv(proxyDir: string): string[] {
  return [
    'sh',
    '-c',
    'command -v crontab >/dev/null 2>&1 || { echo boot-hook=no-crontab; exit 0; }; if crontab -l 2>/dev/null | grep -qxF "$1"; then echo boot-hook=present; else echo boot-hook=missing; fi; if pgrep -x cron >/dev/null 2>&1 || pgrep -x crond >/dev/null 2>&1; then echo cron=running; else echo cron=not-running; fi',
    'sh',
    bootLine(proxyDir)
  ];
}

/** Take a crontab line out again (`deploy-actions remove`). */
export function bootHookRemoveArgv(proxyDir: string): string[] {
  return [
    'sh',
    '-c',
    'command -v crontab >/dev/null 2>&1 || exit 0; if crontab -l 2>/dev/null | grep -qxF "$1"; then crontab -l 2>/dev/null | grep -vxF "$1" | crontab -; fi; true',
    'sh',
    bootLine(proxyDir)
  ];
}

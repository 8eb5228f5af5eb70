import { OWNER_PATH, listenSignature, probeAddress, type FrontDoorListen } from './conf.js';
import type { FrontDoorLayout } from './layout.js';
import { HOST_SCRIPTS } from './host-scripts.generated.js';

/**
 * The one program that changes a front door on a host: packages/frontdoor/host/apply.sh (`sh -c` with
 * arguments; CI's shellcheck reads it). Under an exclusive flock on `<front-door>/lock`, so two apps deploying to the host at once
 * each see the other's change:
 *
 *   1. refuse when the front door belongs to another user or state dir (its `owner` file, or, when it is not
 *      running from here, the owner a running front door on the port answers with), or the port is held by
 *      something else;
 *   2. refuse when it listens elsewhere than this app asks, or another site holds one of the host names;
 *   3. `check` stops here. The others copy the config into `.next/` and change the copy: `apply` unpacks the
 *      new nginx.conf and site (a tar on stdin), `pause` the app's maintenance file (`maint/<key>.conf`, a tar
 *      on stdin), `resume` deletes that file, `remove` the app's site. `nginx -t` of the copy: a failed test
 *      removes `.next/` and changes nothing. Then this app's files are renamed into place (the others' are
 *      unchanged copies) and nginx reloads (or starts).
 *
 * Exit codes: 3 owner, 4 host name taken, 5 nginx -t failed, 6 port held by another program, 7 listen
 * mismatch, 8 reload or start failed, 9 pause of an app not served here, 75 lock not had in time.
 */
/** packages/frontdoor/host/apply.sh, carried into the bundles by its generated module. */
export const APPLY_SCRIPT = HOST_SCRIPTS.apply;

export type FrontDoorMode = 'check' | 'apply' | 'remove' | 'pause' | 'resume';

/**
 * argv of APPLY_SCRIPT. `apply` reads a tar of `nginx.conf`, `sites/<key>.conf`, `start.sh` and, with a
 * user-supplied certificate, `tls/<key>.crt|.key` (0600, as every file of the tar) on stdin.
 */
export function frontDoorArgv(
  l: FrontDoorLayout,
  mode: FrontDoorMode,
  key: string,
  stateDir: string,
  /** Where it must listen (apply, check, remove); absent for pause and resume, which change no listener. */
  listen: FrontDoorListen | undefined,
  hostnames: readonly string[]
): string[] {
  return [
    'sh',
    '-c',
    APPLY_SCRIPT,
    'sh',
    l.root,
    mode,
    key,
    stateDir,
    listen ? listenSignature(listen) : '',
    listen ? probeAddress(listen) : '',
    OWNER_PATH,
    ...(mode === 'check' || mode === 'apply' ? hostnames : [])
  ];
}

/** The @reboot script's guard: start the front door only when some app has a site in it. */
export const FRONT_DOOR_BOOT_GUARD = 'ls "$d"/sites/*.conf >/dev/null 2>&1 || exit 0';

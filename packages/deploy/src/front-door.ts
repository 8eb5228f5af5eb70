import {
  FRONT_DOOR_BOOT_GUARD,
  frontDoorArgv,
  frontDoorConf,
  frontDoorLayout,
  siteConf,
  siteKey,
  tlsConf,
  type FrontDoorListen,
  type FrontDoorMode
} from '../../frontdoor/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import { DEFAULT_PROXY } from './proxy.js';
import { bootHookArgv, startScript } from './proxy-boot.js';
import { envSlug } from './run.js';
import { tarball, type TarFile } from './tar.js';
import type { TargetSpec } from './types.js';

/**
 * An app served through its host's front door (packages/frontdoor): the steps that check it, point its site at
 * a port, and take the site out again. The front door's own program does the work under its host-wide lock.
 */
export const FRONT_DOOR_CHECK = 'check the front door (owner, port, host names)';
export const FRONT_DOOR_SWITCH = 'switch the front door (nginx -t, reload)';
export const FRONT_DOOR_BOOT = 'start the front door at boot (crontab @reboot)';
export const FRONT_DOOR_REMOVE = 'take the app out of the front door';

type FrontDoorTarget = Pick<
  TargetSpec,
  'app' | 'environment' | 'environmentSlug' | 'stateDir' | 'proxyBind' | 'proxy' | 'frontDoor'
>;

export function frontDoorListen(spec: FrontDoorTarget): FrontDoorListen {
  const f = spec.frontDoor!;
  return {
    bind: spec.proxyBind,
    httpPort: f.httpPort,
    ...(f.httpsPort !== undefined ? { httpsPort: f.httpsPort } : {})
  };
}

function argv(spec: FrontDoorTarget, mode: FrontDoorMode): string[] {
  return frontDoorArgv(
    frontDoorLayout(spec.stateDir),
    mode,
    siteKey(spec.app, envSlug(spec as TargetSpec)),
    spec.stateDir,
    frontDoorListen(spec),
    spec.frontDoor!.hostnames
  );
}

/** Before anything changes: the front door is ours (or free), listens where asked, and no other app holds a name. */
export function frontDoorCheckStep(spec: FrontDoorTarget): ScriptStep {
  return { name: FRONT_DOOR_CHECK, argv: argv(spec, 'check') };
}

/** The site file of the app serving on `port` (`release`), as the front door gets it. */
export function frontDoorFiles(spec: FrontDoorTarget, port: number, release: string): TarFile[] {
  const f = spec.frontDoor!;
  const l = frontDoorLayout(spec.stateDir);
  const key = siteKey(spec.app, envSlug(spec as TargetSpec));
  const listen = frontDoorListen(spec);
  const proxy = spec.proxy ?? DEFAULT_PROXY;
  return [
    { path: 'nginx.conf', content: frontDoorConf(l, listen, proxy.accessLog) },
    {
      path: `sites/${key}.conf`,
      content: siteConf({
        app: `${spec.app}/${spec.environment}`,
        key,
        hostnames: f.hostnames,
        listen,
        port,
        release,
        forwarding: proxy
      })
    },
    { path: 'start.sh', content: startScript(FRONT_DOOR_BOOT_GUARD, "this host's front door") },
    ...(f.tlsPair
      ? [
          { path: `tls/${key}.crt`, content: f.tlsPair.certificate },
          { path: `tls/${key}.key`, content: f.tlsPair.key },
          { path: `tls/${key}.ssl.conf`, content: tlsConf(listen, key) }
        ]
      : [])
  ];
}

/** Point the app's site at `port`: validated by `nginx -t` before it is swapped in and reloaded. */
export function frontDoorSwitchSteps(spec: FrontDoorTarget, port: number, release: string): ScriptStep[] {
  const l = frontDoorLayout(spec.stateDir);
  return [
    {
      name: FRONT_DOOR_SWITCH,
      argv: argv(spec, 'apply'),
      stdin: tarball(frontDoorFiles(spec, port, release))
    },
    // Not fatal: a host without cron still serves; doctor reports the missing boot hook.
    { name: FRONT_DOOR_BOOT, argv: bootHookArgv(l.root, spec.stateDir), check: false }
  ];
}

/** A first release that failed: its host names answer 404 again rather than 502. */
export function frontDoorRemoveStep(spec: FrontDoorTarget): ScriptStep {
  return { name: FRONT_DOOR_REMOVE, argv: argv(spec, 'remove'), check: false };
}

import { describeError, silentLogger } from '../../core/src/index.js';
import { environmentSlug, tarball } from '../../deploy/src/index.js';
import { frontDoorArgv, frontDoorLayout, maintenanceConf, siteKey } from '../../frontdoor/src/index.js';
import { eachHost } from '../../report/src/index.js';
import { parseArgs } from './argv.js';
import { hostFlags } from './host-flags.js';

export const PAUSE_USAGE = `Usage: deploy-actions pause|resume --host [<user>@]<h>[:<port>][,…] --user <u> --app <app>
         [--environment <env, default production>] [--state-dir <dir>] [--port <p>]
         --ssh-key-env <VAR> --known-hosts-env <VAR>

pause: the host's front door answers every request for the app's host names with a 503 maintenance page, at
once (its containers keep running). resume: it routes them to the app again. Other apps of the front door
are untouched. Only for apps deployed with public-hostnames (docs/front-door.md).
`;

/** `deploy-actions pause` and `resume`: one app's maintenance page in its host's front door. */
export async function pauseCommand(args: string[], mode: 'pause' | 'resume'): Promise<number> {
  const { flags } = parseArgs(args, new Set(['help']));
  if (flags.has('help')) {
    process.stdout.write(PAUSE_USAGE);
    return 0;
  }
  try {
    const app = flags.get('app');
    if (!app) throw new Error(`--app is required\n\n${PAUSE_USAGE}`);
    // As deploy-compose names the environment on the host.
    const environment = environmentSlug(flags.get('environment') ?? 'production');
    const { connections, stateDir } = hostFlags(flags, PAUSE_USAGE);
    const key = siteKey(app, environment);
    const argv = frontDoorArgv(frontDoorLayout(stateDir), mode, key, stateDir, undefined, []);
    const stdin =
      mode === 'pause' ? tarball([{ path: `maint/${key}.conf`, content: maintenanceConf() }]) : '';
    const results = await eachHost<{ host: string; error: string | null }>(
      connections,
      silentLogger,
      async (exec, host) => {
        const r = await exec.run({ argv, stdin, check: false, timeoutMs: 90_000 });
        return { host, error: r.exitCode === 0 ? null : (r.stderr || r.stdout).trim() };
      },
      (host, error) => ({ host, error })
    );
    for (const r of results)
      process.stdout.write(
        `${r.host}: ${r.error ? `not changed (${r.error})` : mode === 'pause' ? `${app} paused (503 page)` : `${app} serves again`}\n`
      );
    return results.every((r) => !r.error) ? 0 : 1;
  } catch (err) {
    process.stderr.write(`${mode}: ${describeError(err)}\n`);
    return 2;
  }
}

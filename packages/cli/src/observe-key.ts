import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, silentLogger } from '../../core/src/index.js';
import { AUTHORIZED_KEYS, OBSERVE_SCRIPT_SOURCE, changeObserveKeys } from '../../report/src/index.js';
import { parseArgs } from './argv.js';
import { hostFlags } from './host-flags.js';

export const OBSERVE_KEY_USAGE = `Usage: deploy-actions observe-key --host [<user>@]<h>[:<port>][,…] --user <u> --app <app>
         (--public-key-file <observe.pub> | --remove) --ssh-key-env <VAR> --known-hosts-env <VAR>
         [--port <p>] [--state-dir <dir>] [--authorized-keys <path, default ${AUTHORIZED_KEYS}>]

Let a second, read-only key read the app's release history on every host, for deploy-actions report from a
reviewer-less "<environment>-observe" GitHub environment. Connects with the deploy key (from --ssh-key-env)
and adds to the deploy user's authorized_keys one line for the observe key, with "restrict" and a forced
command (<state-dir>/<app>/observe.sh) that serves only the host's clock and the app's history files. Running
it again replaces the app's observe key; --remove takes it out. Other lines are kept as they are.
`;

export async function observeKeyCommand(args: string[], root: string): Promise<number> {
  const { flags } = parseArgs(args, new Set(['help', 'remove']));
  if (flags.has('help')) {
    process.stdout.write(OBSERVE_KEY_USAGE);
    return 0;
  }
  try {
    const app = flags.get('app');
    if (!app) throw new Error(`--app is required\n\n${OBSERVE_KEY_USAGE}`);
    const remove = flags.get('remove') === 'true';
    const keyFile = flags.get('public-key-file');
    if (remove === Boolean(keyFile))
      throw new Error(`give either --public-key-file or --remove\n\n${OBSERVE_KEY_USAGE}`);
    const { connections, stateDir } = hostFlags(flags, OBSERVE_KEY_USAGE);
    const authorizedKeys = flags.get('authorized-keys');
    const results = await changeObserveKeys(
      connections,
      {
        stateDir,
        app,
        script: readFileSync(join(root, OBSERVE_SCRIPT_SOURCE), 'utf8'),
        ...(keyFile ? { publicKey: readFileSync(keyFile, 'utf8') } : {}),
        ...(authorizedKeys ? { authorizedKeys } : {})
      },
      silentLogger
    );
    for (const r of results)
      process.stdout.write(
        `${r.host}: ${r.error ? `not changed (${r.error})` : remove ? 'observe key removed' : 'observe key installed'}\n`
      );
    return results.every((r) => !r.error) ? 0 : 1;
  } catch (err) {
    process.stderr.write(`observe-key: ${describeError(err)}\n`);
    return 2;
  }
}

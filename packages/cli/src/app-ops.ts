import { describeError, silentLogger, type Executor } from '../../core/src/index.js';
import {
  activeReadArgv,
  appNetworksArgv,
  pickAppNetworks,
  environmentSlug,
  execArgv,
  layout,
  logsArgv,
  parseContainerLines,
  projectContainersArgv,
  projectObjectsArgv,
  removePlan,
  servingProjects,
  type ContainerLine
} from '../../deploy/src/index.js';
import { eachHost } from '../../report/src/index.js';
import { parseArgs } from './argv.js';
import { hostFlags } from './host-flags.js';

/**
 * Day-2 commands on a deployed app: `logs` and `exec` in what serves now (the active release's slot, or an
 * accessory), and `remove`, which tears the app down in one environment. The argv come from
 * packages/deploy (ops.ts); each runs through the SSH executor, one pinned connection per host.
 */

const CONNECTION = `--host [<user>@]<h>[:<port>][,…] --user <u> --app <app> --environment <e>
         --ssh-key-env <VAR> --known-hosts-env <VAR> [--port <p>] [--state-dir <dir>]`;

export const LOGS_USAGE = `Usage: deploy-actions logs ${CONNECTION}
         [--service <s>] [--tail <n>] [--since <10m|time>] [--timestamps]

Print the logs of the containers that serve now (the active release's, and the accessories') on every host,
each line prefixed with its host and service. --service picks one service (an accessory such as db too).
`;

export const EXEC_USAGE = `Usage: deploy-actions exec ${CONNECTION}
         --service <s> [--user-in-container <u>] [--workdir <dir>] -- <command> [args…]

Run a command in the running container of <service> in the active release (or in an accessory), on each host
given (one host is the usual case), and exit with its exit code. No TTY: for an interactive shell, ssh to the
host and run \`docker exec -it <container> sh\` (the container id is printed with --dry-run).
`;

export const REMOVE_USAGE = `Usage: deploy-actions remove ${CONNECTION}
         --confirm <app> [--delete-data]

Tear the app down in one environment on every host: remove its containers (every slot, the accessories and
any one-off migration container) and their compose networks, stop its proxy and take its @reboot line out of
the crontab, and delete its releases and proxy files. Kept unless --delete-data: the named volumes, the
data/ directory (bind-mounted data) and history.jsonl. Without --confirm <app> it only prints what it would do.
`;

interface Target {
  app: string;
  slug: string;
  environment: string;
}

function target(flags: ReadonlyMap<string, string>, usage: string): Target {
  const need = (name: string): string => {
    const v = flags.get(name);
    if (!v) throw new Error(`--${name} is required\n\n${usage}`);
    return v;
  };
  const app = need('app');
  const environment = need('environment');
  return { app, environment, slug: environmentSlug(environment) };
}

async function servingContainers(
  exec: Executor,
  stateDir: string,
  t: Target,
  service: string | undefined
): Promise<ContainerLine[]> {
  const l = layout(stateDir, t.app, t.slug);
  const active = await exec.run({ argv: activeReadArgv(l), check: false, timeoutMs: 30_000 });
  if (active.exitCode !== 0)
    throw new Error(
      `${t.app} serves nothing in ${t.environment} here (no ${l.active}): check --app, --environment and --state-dir`
    );
  const record = JSON.parse(active.stdout) as { project: string };
  const found: ContainerLine[] = [];
  for (const project of servingProjects(t.app, t.slug, record)) {
    const ps = await exec.run({ argv: projectContainersArgv(project), timeoutMs: 30_000 });
    found.push(...parseContainerLines(ps.stdout));
  }
  if (!service) return found;
  const picked = found.filter((c) => c.service === service);
  if (picked.length === 0)
    throw new Error(
      `no running container of service "${service}" (running: ${[...new Set(found.map((c) => c.service))].join(', ') || 'none'})`
    );
  return picked;
}

/** Lines of a stream, each prefixed; the last partial line on flush. */
function prefixed(prefix: string, write: (s: string) => void): { push(chunk: string): void; flush(): void } {
  let buf = '';
  return {
    push(chunk) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        write(`${prefix}${buf.slice(0, nl)}\n`);
        buf = buf.slice(nl + 1);
      }
    },
    flush() {
      if (buf) write(`${prefix}${buf}\n`);
      buf = '';
    }
  };
}

export async function logsCommand(args: string[]): Promise<number> {
  const { flags } = parseArgs(args, new Set(['help', 'timestamps']));
  if (flags.has('help')) {
    process.stdout.write(LOGS_USAGE);
    return 0;
  }
  try {
    const t = target(flags, LOGS_USAGE);
    const { connections, stateDir } = hostFlags(flags, LOGS_USAGE);
    const tail = flags.has('tail') ? Number(flags.get('tail')) : undefined;
    if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0))
      throw new Error(`--tail "${flags.get('tail')}" is not a number of lines`);
    const since = flags.get('since');
    const results = await eachHost(
      connections,
      silentLogger,
      async (exec, host) => {
        for (const c of await servingContainers(exec, stateDir, t, flags.get('service'))) {
          const out = prefixed(`${host} ${c.service} | `, (s) => process.stdout.write(s));
          const err = prefixed(`${host} ${c.service} | `, (s) => process.stdout.write(s));
          await exec.run({
            argv: logsArgv(c.id, {
              ...(tail !== undefined ? { tail } : {}),
              ...(since ? { since } : {}),
              timestamps: flags.has('timestamps')
            }),
            timeoutMs: 300_000,
            onOutput: (chunk, stream) => (stream === 'stdout' ? out : err).push(chunk)
          });
          out.flush();
          err.flush();
        }
        return null;
      },
      (host, error) => `${host}: ${error}`
    );
    const errors = results.filter((r): r is string => r !== null);
    for (const e of errors) process.stderr.write(`logs: ${e}\n`);
    return errors.length ? 1 : 0;
  } catch (err) {
    process.stderr.write(`logs: ${describeError(err)}\n`);
    return 2;
  }
}

export async function execCommand(args: string[]): Promise<number> {
  const { flags, positional } = parseArgs(args, new Set(['help', 'dry-run']));
  if (flags.has('help')) {
    process.stdout.write(EXEC_USAGE);
    return 0;
  }
  try {
    const t = target(flags, EXEC_USAGE);
    const service = flags.get('service');
    if (!service) throw new Error(`--service is required\n\n${EXEC_USAGE}`);
    if (positional.length === 0) throw new Error(`give the command after \`--\`\n\n${EXEC_USAGE}`);
    const { connections, stateDir } = hostFlags(flags, EXEC_USAGE);
    const many = connections.length > 1;
    const results = await eachHost(
      connections,
      silentLogger,
      async (exec, host) => {
        const [c] = await servingContainers(exec, stateDir, t, service);
        const argv = execArgv(c!.id, positional, {
          ...(flags.get('user-in-container') ? { user: flags.get('user-in-container')! } : {}),
          ...(flags.get('workdir') ? { workdir: flags.get('workdir')! } : {})
        });
        if (flags.has('dry-run')) {
          process.stdout.write(`${host}: ${argv.join(' ')}\n`);
          return 0;
        }
        // One host: the command's output as it is, byte for byte; several: each line prefixed with its host.
        const out = many
          ? prefixed(`${host} | `, (s) => process.stdout.write(s))
          : { push: (c: string) => process.stdout.write(c), flush: () => undefined };
        const err = many
          ? prefixed(`${host} | `, (s) => process.stderr.write(s))
          : { push: (c: string) => process.stderr.write(c), flush: () => undefined };
        const r = await exec.run({
          argv,
          check: false,
          timeoutMs: 3_600_000,
          onOutput: (chunk, stream) => (stream === 'stdout' ? out : err).push(chunk)
        });
        out.flush();
        err.flush();
        return r.exitCode;
      },
      (host, error) => {
        process.stderr.write(`exec: ${host}: ${error}\n`);
        return 2;
      }
    );
    return results.find((code) => code !== 0) ?? 0;
  } catch (err) {
    process.stderr.write(`exec: ${describeError(err)}\n`);
    return 2;
  }
}

export async function removeCommand(args: string[]): Promise<number> {
  const { flags } = parseArgs(args, new Set(['help', 'delete-data']));
  if (flags.has('help')) {
    process.stdout.write(REMOVE_USAGE);
    return 0;
  }
  try {
    const t = target(flags, REMOVE_USAGE);
    const { connections, stateDir } = hostFlags(flags, REMOVE_USAGE);
    const deleteData = flags.has('delete-data');
    const plan = removePlan(stateDir, t.app, t.slug, deleteData);
    const confirmed = flags.get('confirm') === t.app;
    if (!confirmed) {
      process.stdout.write(
        [
          `Would remove ${t.app} in ${t.environment} on ${connections.map((c) => c.host).join(', ')}:`,
          `- containers and networks of the compose projects ${plan.projects.join(', ')}`,
          `- ${deleteData ? 'their named volumes' : 'not their named volumes (kept; --delete-data removes them)'}`,
          `- the proxy (stopped), its @reboot crontab line`,
          `- ${layout(stateDir, t.app, t.slug).root}: ${deleteData ? 'all of it' : 'all but data/ and history.jsonl'}`,
          `Nothing was changed. Run again with --confirm ${t.app} to remove it.`,
          ''
        ].join('\n')
      );
      return flags.has('confirm') ? 2 : 0;
    }
    const results = await eachHost(
      connections,
      silentLogger,
      async (exec, host) => {
        const say = (s: string) => process.stdout.write(`${host}: ${s}\n`);
        const volumes: string[] = [];
        for (const project of plan.projects) {
          const ps = await exec.run({
            argv: projectContainersArgv(project, { all: true }),
            timeoutMs: 30_000
          });
          const ids = parseContainerLines(ps.stdout).map((c) => c.id);
          if (ids.length) {
            await exec.run({ argv: ['docker', 'rm', '-f', ...ids], timeoutMs: 120_000 });
            say(`removed ${ids.length} container(s) of ${project}`);
          }
          const nets = await exec.run({ argv: projectObjectsArgv('network', project), timeoutMs: 30_000 });
          const netIds = nets.stdout.split('\n').filter(Boolean);
          if (netIds.length) {
            await exec.run({ argv: ['docker', 'network', 'rm', ...netIds], timeoutMs: 60_000 });
            say(`removed ${netIds.length} network(s) of ${project}`);
          }
          const vols = await exec.run({ argv: projectObjectsArgv('volume', project), timeoutMs: 30_000 });
          volumes.push(...vols.stdout.split('\n').filter(Boolean));
        }
        const shared = await exec.run({ argv: appNetworksArgv(t.app, t.slug), timeoutMs: 30_000 });
        const sharedIds = pickAppNetworks(shared.stdout, t.app, t.slug);
        if (sharedIds.length) {
          await exec.run({ argv: ['docker', 'network', 'rm', ...sharedIds], timeoutMs: 60_000 });
          say(`removed ${sharedIds.length} shared network(s) of ${t.app}-${t.slug}`);
        }
        if (volumes.length && deleteData) {
          await exec.run({ argv: ['docker', 'volume', 'rm', ...volumes], timeoutMs: 120_000 });
          say(`removed volume(s) ${volumes.join(', ')}`);
        } else if (volumes.length) say(`kept volume(s) ${volumes.join(', ')}`);
        await exec.run({ argv: plan.proxy, timeoutMs: 30_000 });
        await exec.run({ argv: plan.bootHook, timeoutMs: 30_000 });
        say('proxy stopped, @reboot line removed');
        await exec.run({ argv: plan.state, timeoutMs: 300_000 });
        say(deleteData ? 'state removed' : 'state removed (kept data/ and history.jsonl)');
        return null;
      },
      (host, error) => `${host}: ${error}`
    );
    const errors = results.filter((r): r is string => r !== null);
    for (const e of errors) process.stderr.write(`remove: ${e}\n`);
    return errors.length ? 1 : 0;
  } catch (err) {
    process.stderr.write(`remove: ${describeError(err)}\n`);
    return 2;
  }
}

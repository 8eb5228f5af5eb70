import type { Entry } from './entry.js';
import { choicesOf, defaultsOf, type Choice } from '../../packages/manifest/src/index.js';
import { headerValues, urlPasswords } from '../../packages/health/src/index.js';
import { createNotifier, type NotifierOptions } from '../../packages/events/src/index.js';
import type { trackDeployment } from '../../packages/github/src/index.js';
import {
  readConnection,
  releaseLeftLocks,
  sshConnector,
  type ConnectionSpec,
  type EngineDeps,
  type HeldLockRef,
  type WorkflowRunState
} from '../../packages/deploy/src/index.js';
import { SshExecutor } from '../../packages/ssh/src/index.js';
import { octokitRequest, splitRepository } from '../../packages/github/src/index.js';
import { hostname } from 'node:os';

/**
 * The runner side that deploy-compose and rollback share: masking their connection secrets, the engine
 * callbacks whose state the post step needs (held locks, SSH master dirs), and that post step itself.
 */

/** Masked before anything is parsed, so not even an input error can show one. */
export function maskHostSecrets(entry: Pick<Entry, 'inputs' | 'secret'>, names: readonly string[]): void {
  const { inputs, secret } = entry;
  for (const name of ['ssh-key', ...names]) secret(inputs.raw(name));
  // The runner masks a multi-line value reliably only line by line: a private key is masked per line too.
  for (const line of inputs.raw('ssh-key').split(/\r?\n/)) if (line.trim().length >= 8) secret(line.trim());
  for (const name of ['health-headers', 'health-prometheus-headers'])
    for (const value of headerValues(inputs.raw(name))) secret(value);
  // `user:pass@` in a gate URL, as health-gate masks it.
  for (const value of urlPasswords(`${inputs.raw('health-url')}\n${inputs.raw('health-prometheus-url')}`))
    secret(value);
}

/**
 * How the webhook is written (`notify-format`) and whether the environment is `critical`; read with the
 * other inputs, before anything changes. A rollback run marked critical is the workflows' automatic one.
 */
export function readNotify(
  inputs: Entry['inputs'],
  action: 'deploy' | 'rollback'
): Pick<NotifierOptions, 'format' | 'critical' | 'automatic'> {
  // The events group: deploy-compose and rollback declare it alike.
  const defaults = defaultsOf('deploy-compose');
  const critical = inputs.boolean('critical', defaults.flag('critical'));
  return {
    format: inputs.choice(
      'notify-format',
      choicesOf('deploy-compose', 'notify-format'),
      defaults.text('notify-format') as Choice<'deploy-compose', 'notify-format'>
    ),
    critical,
    automatic: action === 'rollback' && critical
  };
}

export function hostDeps(
  entry: Pick<Entry, 'logger' | 'saveState'> & Partial<Pick<Entry, 'context' | 'inputs'>>,
  connection: ConnectionSpec,
  webhook: { url: string; secret?: string } | undefined,
  notify: Pick<NotifierOptions, 'format' | 'critical' | 'automatic'> = { format: 'json' }
): Pick<EngineDeps, 'connect' | 'onLock' | 'onEvent' | 'runner' | 'workflowRun'> {
  const { logger, saveState, context } = entry;
  const token = entry.inputs?.raw('token') ?? '';
  const locks: Record<string, HeldLockRef> = {};
  const sshDirs: string[] = [];
  return {
    // Key and master socket under RUNNER_TEMP (emptied by the runner after the job, even if this is killed).
    connect: sshConnector(connection, logger, {
      tempRoot: process.env.RUNNER_TEMP,
      onOpen: (dir) => {
        sshDirs.push(dir);
        saveState('ssh-dirs', JSON.stringify(sshDirs));
      }
    }),
    // The lock names this runner, this process and this GitHub run: proof material for a takeover later.
    runner: {
      name: hostname(),
      pid: process.pid,
      ...(context?.repository && context.runId
        ? { repository: context.repository, runId: context.runId, runAttempt: context.runAttempt }
        : {})
    },
    // With a token, a lock held by a run GitHub reports completed is taken over (takeover.ts).
    ...(token && context
      ? {
          workflowRun: (repository: string, runId: string) =>
            workflowRunState(token, context, repository, runId, logger)
        }
      : {}),
    // Held locks are step state: the post step releases one this run could not (cancelled, killed).
    onLock: (host, held) => {
      if (held) locks[host] = held;
      else delete locks[host];
      saveState('locks', JSON.stringify(locks));
    },
    ...(webhook
      ? (() => {
          const notifier = createNotifier({ ...webhook, ...notify, logger, attempts: 3, timeoutMs: 5000 });
          return { onEvent: (event) => notifier(event).then(() => undefined) };
        })()
      : {})
  };
}

/** GET /repos/{owner}/{repo}/actions/runs/{run_id}: the holder's run as GitHub sees it; undefined when unknown. */
async function workflowRunState(
  token: string,
  context: Entry['context'],
  repository: string,
  runId: string,
  logger: Entry['logger']
): Promise<WorkflowRunState | undefined> {
  const repo = splitRepository(repository);
  if (!repo) return undefined;
  try {
    const request = octokitRequest({ token, baseUrl: context.apiUrl, debug: (m) => logger.debug(m) });
    const { data } = await request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
      ...repo,
      run_id: Number(runId)
    });
    const run = data as { status?: string | null; conclusion?: string | null; run_attempt?: number };
    return {
      status: run.status ?? 'unknown',
      conclusion: run.conclusion ?? null,
      ...(typeof run.run_attempt === 'number' ? { runAttempt: run.run_attempt } : {})
    };
  } catch (err) {
    logger.debug(`could not read GitHub run ${repository}#${runId}: ${(err as Error).message}`);
    return undefined;
  }
}

type Deployment = Awaited<ReturnType<typeof trackDeployment>>;

/** A tooling fault (not a failed release) leaves the deployment record as `error`, never stuck in_progress. */
export function settle<T>(running: Promise<T>, deployment: Deployment, what: string): Promise<T> {
  return running.catch(async (err: unknown) => {
    await deployment?.finish('error', undefined, `deploy-actions could not complete the ${what}`);
    throw err;
  });
}

/**
 * The post step: runs after the main step, always. When the main step was cancelled or killed, it releases
 * the host locks it still held (same token only) and ends the SSH master it left, removing the key with it.
 * Nothing else changes on the hosts.
 */
export async function hostPost(entry: Entry): Promise<void> {
  const { inputs, logger, context, getState } = entry;
  const locks = JSON.parse(getState('locks') || '{}') as Record<string, HeldLockRef>;
  const dirs = JSON.parse(getState('ssh-dirs') || '[]') as string[];
  if (Object.keys(locks).length > 0) {
    maskHostSecrets(entry, []);
    const connect = sshConnector(readConnection(inputs), logger, { tempRoot: process.env.RUNNER_TEMP });
    await releaseLeftLocks(locks, { logger, context, connect });
  }
  for (const dir of dirs)
    if (await SshExecutor.cleanupLeftover(dir))
      logger.info(`ended the SSH connection the main step left open`);
}

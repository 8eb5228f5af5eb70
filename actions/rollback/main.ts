import { runEntry } from '../common/entry.js';
import { headerValues } from '../../packages/health/src/index.js';
import { deliverEvent } from '../../packages/events/src/webhook.js';
import { trackDeployment } from '../../packages/github/src/deployments.js';
import {
  readRollbackInputs,
  rollback,
  rollbackSummary,
  sshConnector,
  type HeldLockRef
} from '../../packages/deploy/src/index.js';

await runEntry(async ({ inputs, logger, context, output, summary, secret, saveState }) => {
  for (const name of ['ssh-key', 'webhook-secret', 'token']) secret(inputs.raw(name));
  // The runner masks a multi-line value reliably only line by line: a private key is masked per line too.
  for (const line of inputs.raw('ssh-key').split(/\r?\n/)) if (line.trim().length >= 8) secret(line.trim());
  for (const name of ['health-headers', 'health-prometheus-headers'])
    for (const value of headerValues(inputs.raw(name))) secret(value);
  const { spec, connection, webhook } = readRollbackInputs(inputs);

  // GitHub Deployments (with `token`; not for a dry run): the rollback is a deployment of the old release.
  const deployment = spec.dryRun
    ? undefined
    : await trackDeployment(
        {
          token: inputs.raw('token'),
          apiUrl: context.apiUrl,
          repository: context.repository,
          sha: context.sha,
          environment: spec.environment,
          description: `rollback of ${spec.app}${spec.to ? ` to ${spec.to}` : ''}: ${spec.reason}`.slice(
            0,
            140
          ),
          logUrl: context.runUrl,
          payload: { app: spec.app, rollback: true, to: spec.to ?? 'previous', reason: spec.reason }
        },
        logger
      );
  const locks: Record<string, HeldLockRef> = {};
  const sshDirs: string[] = [];
  const running = rollback(spec, {
    logger,
    context,
    // Key and master socket under RUNNER_TEMP (emptied by the runner after the job, even if this is killed).
    connect: sshConnector(connection, logger, {
      tempRoot: process.env.RUNNER_TEMP,
      onOpen: (dir) => {
        sshDirs.push(dir);
        saveState('ssh-dirs', JSON.stringify(sshDirs));
      }
    }),
    // Held locks are step state: the post step releases one this run could not (cancelled, killed).
    onLock: (host, held) => {
      if (held) locks[host] = held;
      else delete locks[host];
      saveState('locks', JSON.stringify(locks));
    },
    onEvent: webhook
      ? (event) =>
          deliverEvent(event, { ...webhook, logger, attempts: 3, timeoutMs: 5000 }).then(() => undefined)
      : undefined
  });
  const outcome = await running.catch(async (err: unknown) => {
    await deployment?.finish('error', undefined, 'deploy-actions could not complete the rollback');
    throw err;
  });
  await deployment?.finish(
    outcome.error ? 'failure' : 'success',
    undefined,
    outcome.error ? 'rollback failed' : `${outcome.releaseId} serves again`
  );

  output('release-id', outcome.releaseId);
  output('from-release-id', outcome.fromReleaseId ?? '');
  output('rolled-back', String(outcome.rolledBack));
  await summary(rollbackSummary(outcome, spec));
  if (outcome.error) throw outcome.error;
  if (outcome.dryRun)
    for (const p of outcome.plan)
      logger.info(
        `dry run: ${p.host} would go from ${p.from ?? '(nothing)'} to ${p.to}: ${p.changes.join('; ')}`
      );
  else logger.info(`rolled back ${spec.app}/${spec.environment} to ${outcome.releaseId}`);
});

import { runEntry } from '../common/entry.js';
import { headerValues } from '../../packages/health/src/index.js';
import { deliverEvent } from '../../packages/events/src/webhook.js';
import { trackDeployment } from '../../packages/github/src/deployments.js';
import {
  deploy,
  deploySummary,
  envValues,
  readDeployInputs,
  resolveImage,
  sshConnector,
  type HeldLockRef
} from '../../packages/deploy/src/index.js';

await runEntry(async ({ inputs, logger, context, output, summary, secret, saveState }) => {
  // Masked before anything is parsed, so not even an input error can show one.
  for (const name of ['ssh-key', 'password', 'webhook-secret', 'token']) secret(inputs.raw(name));
  // The runner masks a multi-line value reliably only line by line: a private key is masked per line too.
  for (const line of inputs.raw('ssh-key').split(/\r?\n/)) if (line.trim().length >= 8) secret(line.trim());
  for (const name of ['health-headers', 'health-prometheus-headers'])
    for (const value of headerValues(inputs.raw(name))) secret(value);
  const { spec, connection, imageCheck, webhook } = readDeployInputs(
    inputs,
    { workspace: process.env.GITHUB_WORKSPACE || process.cwd() },
    context
  );
  for (const value of envValues(spec.envText)) secret(value);

  if (imageCheck === 'registry')
    for (const ref of new Set(Object.values(spec.images))) {
      const digest = await resolveImage(ref, spec.registry);
      logger.info(`image ${ref}: found in its registry${digest ? ` (${digest})` : ''}`);
    }
  else logger.info(`image-check: ${imageCheck}: images are resolved by the pull on the host`);

  // GitHub Deployments (with `token`): in_progress now, success or failure with the outcome.
  const deployment = await trackDeployment(
    {
      token: inputs.raw('token'),
      apiUrl: context.apiUrl,
      repository: context.repository,
      sha: context.sha,
      environment: spec.environment,
      description: `${spec.app} ${spec.version}`.slice(0, 140),
      logUrl: context.runUrl,
      payload: { app: spec.app, version: spec.version, images: spec.images }
    },
    logger
  );
  const locks: Record<string, HeldLockRef> = {};
  const sshDirs: string[] = [];
  const running = deploy(spec, {
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
  // A tooling fault (not a failed release) leaves the record as `error`, never stuck in_progress.
  const outcome = await running.catch(async (err: unknown) => {
    await deployment?.finish('error', undefined, 'deploy-actions could not complete the deploy');
    throw err;
  });

  output('release-id', outcome.releaseId);
  output('previous-release-id', outcome.previousReleaseId ?? '');
  output('url', outcome.url ?? '');
  output('digests', outcome.digests);
  output('rolled-back', String(outcome.rolledBack));
  output('duration-ms', String(outcome.durationMs));
  await summary(deploySummary(outcome, spec));
  await deployment?.finish(
    outcome.error ? 'failure' : 'success',
    outcome.url,
    outcome.error
      ? `${outcome.releaseId} failed${outcome.rolledBack ? `; rolled back to ${outcome.previousReleaseId}` : ''}`
      : `${outcome.releaseId} serves`
  );
  if (outcome.error) throw outcome.error;
  logger.info(`release ${outcome.releaseId} (${spec.version}) serves ${spec.app}/${spec.environment}`);
});

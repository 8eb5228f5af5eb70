import { runEntry } from '../common/entry.js';
import { hostDeps, maskHostSecrets, readNotify, settle } from '../common/host.js';
import { trackDeployment } from '../../packages/github/src/deployments.js';
import {
  deploy,
  deploySummary,
  envValues,
  readDeployInputs,
  resolveImage
} from '../../packages/deploy/src/index.js';

await runEntry(async (entry) => {
  const { inputs, logger, context, output, summary, secret } = entry;
  maskHostSecrets(entry, ['password', 'webhook-secret', 'token']);
  const { spec, connection, imageCheck, webhook } = readDeployInputs(
    inputs,
    { workspace: process.env.GITHUB_WORKSPACE || process.cwd() },
    context
  );
  const notify = readNotify(inputs, 'deploy');
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
      context,
      environment: spec.environment,
      description: `${spec.app} ${spec.version}`,
      payload: { app: spec.app, version: spec.version, images: spec.images }
    },
    logger
  );
  const outcome = await settle(
    deploy(spec, { logger, context, ...hostDeps(entry, connection, webhook, notify) }),
    deployment,
    'deploy'
  );

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

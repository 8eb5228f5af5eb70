import { runEntry } from '../common/entry.js';
import { choicesOf, defaultsOf, type Choice } from '../../packages/manifest/src/index.js';
import { hostDeps, maskHostSecrets, readNotify, settle } from '../common/host.js';
import { trackDeployment } from '../../packages/github/src/index.js';
import { DeployError } from '../../packages/core/src/index.js';
import {
  deploy,
  deploySummary,
  doctor,
  doctorTable,
  envValues,
  readConnection,
  readDeployInputs,
  readStrategy,
  readTarget,
  resolveImage,
  type Strategy
} from '../../packages/deploy/src/index.js';

await runEntry('deploy-compose', async (entry) => {
  const { inputs, logger, context, output, summary, secret } = entry;

  async function checkHosts(
    target: Parameters<typeof doctor>[0],
    strategy: Strategy,
    connection: Parameters<typeof hostDeps>[1]
  ): Promise<void> {
    const report = await doctor(target, strategy, {
      logger,
      connect: hostDeps(entry, connection, undefined).connect
    });
    const text = doctorTable(report);
    logger.info(text);
    await summary(`## deploy-compose doctor: ${report.ok ? '✅ ready' : '❌ not ready'}\n\n${text}`);
    output('doctor', report.ok ? 'ok' : 'failed');
    if (!report.ok)
      throw new DeployError('doctor: a host is not ready for this deploy (see the ❌ rows and their fixes)', {
        state: 'nothing was changed on any host'
      });
  }
  maskHostSecrets(entry, ['password', 'webhook-secret', 'token', 'tls-key']);
  // A multi-line key is masked line by line too, as the runner needs.
  for (const line of inputs.raw('tls-key').split(/\r?\n/)) if (line.trim().length >= 8) secret(line.trim());
  // doctor: `only` checks the hosts and stops (the CLI's `deploy-actions doctor`); `true` checks, then deploys.
  const doctorMode = inputs.choice(
    'doctor',
    choicesOf('deploy-compose', 'doctor'),
    defaultsOf('deploy-compose').text('doctor') as Choice<'deploy-compose', 'doctor'>
  );
  if (doctorMode === 'only') {
    const connection = readConnection(inputs);
    const target = readTarget(inputs);
    const strategy = readStrategy(inputs);
    await checkHosts(target, strategy, connection);
    return;
  }
  const { spec, connection, imageCheck, webhook } = readDeployInputs(
    inputs,
    { workspace: process.env.GITHUB_WORKSPACE || process.cwd() },
    context
  );
  const notify = readNotify(inputs, 'deploy');
  for (const value of envValues(spec.envText)) secret(value);
  if (doctorMode === 'true') await checkHosts(spec, spec.strategy, connection);

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

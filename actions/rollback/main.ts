import { runEntry } from '../common/entry.js';
import { hostDeps, maskHostSecrets, readNotify, settle } from '../common/host.js';
import { trackDeployment } from '../../packages/github/src/index.js';
import { drill, readRollbackInputs, rollback, rollbackSummary } from '../../packages/deploy/src/index.js';

await runEntry('rollback', async (entry) => {
  const { inputs, logger, context, output, summary } = entry;
  maskHostSecrets(entry, ['webhook-secret', 'token']);
  const { spec, connection, webhook } = readRollbackInputs(inputs);
  const notify = readNotify(inputs, 'rollback');

  // GitHub Deployments (with `token`; not for a dry run): the rollback is a deployment of the old release.
  const deployment = spec.dryRun
    ? undefined
    : await trackDeployment(
        {
          token: inputs.raw('token'),
          context,
          environment: spec.environment,
          description: `rollback of ${spec.app}${spec.to ? ` to ${spec.to}` : ''}: ${spec.reason}`,
          payload: { app: spec.app, rollback: true, to: spec.to ?? 'previous', reason: spec.reason }
        },
        logger
      );
  const deps = { logger, context, ...hostDeps(entry, connection, webhook, notify) };
  if (spec.drill && !spec.dryRun) {
    const d = await settle(drill(spec, deps), deployment, 'rollback');
    await deployment?.finish(d.ok ? 'success' : 'failure', undefined, d.ok ? 'drill passed' : 'drill failed');
    output('release-id', d.servedBefore ?? d.back.fromReleaseId ?? '');
    output('from-release-id', d.back.fromReleaseId ?? '');
    output('rolled-back', String(d.ok));
    output('drill-seconds', `${d.backSeconds.toFixed(1)},${d.forwardSeconds?.toFixed(1) ?? ''}`);
    await summary(
      `## Rollback drill: ${d.ok ? '✅ passed' : '❌ failed'}\n\n` +
        `| step | release | seconds |\n| --- | --- | ---: |\n` +
        `| back | ${d.back.releaseId} | ${d.backSeconds.toFixed(1)} |\n` +
        (d.forward ? `| forward | ${d.forward.releaseId} | ${d.forwardSeconds!.toFixed(1)} |\n` : '') +
        `\nServing now: ${d.serving}\n`
    );
    if (d.error) throw d.error;
    logger.info(
      `drill passed: back in ${d.backSeconds.toFixed(1)} s, forward in ${d.forwardSeconds!.toFixed(1)} s`
    );
    return;
  }
  const outcome = await settle(rollback(spec, deps), deployment, 'rollback');
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

import { runEntry } from '../common/entry.js';
import { HealthError, InputError, LocalExecutor } from '../../packages/core/src/index.js';
import { gateSummary, readGateInputs, runGate } from '../../packages/health/src/index.js';

/** The output stays well under the runner's per-output limits even for a long soak. */
const MAX_EVIDENCE = 500;

await runEntry(async ({ inputs, logger, output, summary, secret }) => {
  for (const line of inputs.raw('headers').split(/\r?\n/)) {
    const value = /^[^:=]+[:=]\s*(.*)$/.exec(line.trim())?.[1];
    secret(value);
  }
  const failOnUnhealthy = inputs.boolean('fail-on-unhealthy', true);
  const spec = readGateInputs(inputs);
  if (!spec) throw new InputError('url', 'nothing to probe', 'give `url`, `prometheus-query` or `container`');

  const result = await runGate(spec, { logger, executor: new LocalExecutor() });

  output('verdict', result.verdict);
  output('reason', result.reason);
  output('probes', String(result.probes));
  output('failures', String(result.failures));
  output('p50-ms', String(result.p50Ms));
  output('p95-ms', String(result.p95Ms));
  output('evidence', result.evidence.slice(-MAX_EVIDENCE));
  await summary(gateSummary(result, spec));

  if (result.verdict === 'healthy') logger.info(`healthy: ${result.reason}`);
  else if (failOnUnhealthy) {
    throw new HealthError(`Health gate ${result.verdict}: ${result.reason}`, {
      state: 'nothing was changed by the gate; the release it checked is still running',
      hint: 'read the reason and the evidence in the job summary; roll back with the rollback action, or fix and redeploy'
    });
  } else logger.warning(`Health gate ${result.verdict}: ${result.reason} (fail-on-unhealthy is false)`);
});

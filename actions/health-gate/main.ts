import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEntry } from '../common/entry.js';
import { HealthError, InputError, LocalExecutor } from '../../packages/core/src/index.js';
import {
  evidenceForOutput,
  gateSummary,
  headerValues,
  readGateInputs,
  runGate,
  urlPasswords
} from '../../packages/health/src/index.js';
import { INPUTS } from '../../packages/manifest/src/index.js';

await runEntry('health-gate', async ({ inputs, logger, output, summary, secret }) => {
  // Masked before anything is parsed, so not even an input error can show a header value.
  for (const value of headerValues(inputs.raw('headers'))) secret(value);
  for (const value of headerValues(inputs.raw('prometheus-headers'))) secret(value);
  for (const value of urlPasswords(`${inputs.raw('url')}\n${inputs.raw('prometheus-url')}`)) secret(value);
  const failOnUnhealthy = inputs.boolean(
    'fail-on-unhealthy',
    INPUTS['health-gate']['fail-on-unhealthy'].default === 'true'
  );
  const spec = readGateInputs(inputs);
  if (!spec) throw new InputError('url', 'nothing to probe', 'give `url`, `prometheus-query` or `container`');

  const result = await runGate(spec, { logger, executor: new LocalExecutor() });

  const evidence = evidenceForOutput(result.evidence);
  const file = join(mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'health-gate-')), 'evidence.json');
  writeFileSync(file, JSON.stringify(result.evidence, null, 1) + '\n', { mode: 0o600 });
  output('verdict', result.verdict);
  output('reason', result.reason);
  output('probes', String(result.probes));
  output('failures', String(result.failures));
  output('p50-ms', String(result.p50Ms));
  output('p95-ms', String(result.p95Ms));
  output('evidence', evidence.json);
  output('evidence-file', file);
  if (evidence.dropped > 0)
    logger.warning(
      `the evidence output holds the last ${evidence.kept} of ${result.probes} probes; all of them are in ${file}`
    );
  await summary(gateSummary(result, spec));

  if (result.verdict === 'healthy') logger.info(`healthy: ${result.reason}`);
  else if (failOnUnhealthy) {
    throw new HealthError(`Health gate ${result.verdict}: ${result.reason}`, {
      state: 'nothing was changed by the gate; the release it checked is still running',
      hint: 'read the reason and the evidence in the job summary (docs/runbooks/health-gate-failed.md); roll back with the rollback action, or fix and redeploy'
    });
  } else logger.warning(`Health gate ${result.verdict}: ${result.reason} (fail-on-unhealthy is false)`);
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEntry } from '../common/entry.js';
import { ScanError } from '../../packages/core/src/index.js';
import {
  evidenceOf,
  judge,
  outputsOf,
  readScanInputs,
  scanRecordOf,
  scanSummary
} from '../../packages/scan/src/index.js';
import { defaultsOf } from '../../packages/manifest/src/index.js';

await runEntry('scan-gate', async ({ inputs, logger, output, summary, secret }) => {
  secret(inputs.raw('registry-password'));
  const failStep = inputs.boolean('fail-step', defaultsOf('scan-gate').flag('fail-step'));
  const { report, policy, stored, text } = await readScanInputs(inputs, logger);
  if (stored) logger.info(`report ${inputs.raw('report') ? 'stored at' : 'read from'} ${stored}`);

  const verdict = judge(report, policy);

  const dir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'scan-gate-'));
  const file = join(dir, 'evidence.json');
  writeFileSync(file, JSON.stringify(evidenceOf(verdict), null, 1) + '\n', { mode: 0o600 });
  // The judged report's own bytes (read from the registry or given), for deploy-compose's `scan-report`.
  const reportFile = join(dir, 'scan-report.json');
  writeFileSync(reportFile, text, { mode: 0o600 });
  const record = scanRecordOf(verdict, text);
  const outputs = outputsOf(verdict);
  for (const name of Object.keys(outputs) as (keyof typeof outputs)[]) output(name, outputs[name]);
  output('evidence-file', file);
  output('report-file', reportFile);
  output('report-digest', record.report);
  output('record', JSON.stringify(record));
  output('stored', stored ?? '');
  await summary(scanSummary(verdict));
  for (const w of verdict.warnings) logger.warning(w);

  if (verdict.verdict === 'pass') logger.info(`scan-gate pass: ${verdict.reason}; image ${verdict.identity}`);
  else if (failStep)
    throw new ScanError(`scan-gate fail: ${verdict.reason}`, {
      state: 'nothing was deployed or changed by the gate',
      hint: 'read the blocking findings in the job summary: upgrade the packages (rebuild on a fixed base image), or add an exception with a reason, an owner and an expiry date (docs/actions/scan-gate.md)'
    });
  else logger.warning(`scan-gate fail: ${verdict.reason} (fail-step is false)`);
});

import { runEntry } from '../common/entry.js';
import {
  deliveryReports,
  readReportInputs,
  reportJson,
  reportMarkdown
} from '../../packages/report/src/index.js';

await runEntry('delivery-report', async (entry) => {
  const { inputs, logger, output, summary, secret } = entry;
  // Masked before anything can print them: the key and the database URL.
  secret(inputs.raw('ssh-key'));
  secret(inputs.raw('database-url'));
  const options = readReportInputs(inputs, process.env.GITHUB_WORKSPACE || process.cwd());
  const reports = await deliveryReports({ ...options, logger });
  output('report', reportJson(reports).trim());
  output('change-failure-rate', reports[0]?.changeFailureRate?.toString() ?? '');
  await summary(reportMarkdown(reports));
  for (const r of reports) {
    for (const n of r.notes) logger.warning(`${r.environment}: ${n}`);
    logger.info(
      `${r.environment}: ${r.deployments} deploy(s), ${r.failedDeployments} failed, ${r.deploysPerWeek.toFixed(2)} a week`
    );
  }
  if (!reports.every((r) => r.hosts.some((h) => !h.error)))
    throw new Error('an environment had no readable host: see the notes in the summary');
});

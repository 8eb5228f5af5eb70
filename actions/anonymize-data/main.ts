import { runEntry } from '../common/entry.js';
import { LocalExecutor } from '../../packages/core/src/index.js';
import { anonymize, anonymizeSummary, readAnonymizeInputs } from '../../packages/anonymize/src/index.js';

await runEntry('anonymize-data', async (entry) => {
  const { inputs, logger, output, summary, secret } = entry;
  // Masked before anything can print them: both URLs (inputs or env), their passwords, the salt.
  secret(inputs.raw('source-url') || process.env.SOURCE_DATABASE_URL);
  secret(inputs.raw('target-url') || process.env.DATABASE_URL);
  secret(inputs.raw('salt'));
  const options = readAnonymizeInputs(inputs, process.env);
  for (const db of [options.source, options.target]) {
    secret(db.password);
    if (db.password) secret(encodeURIComponent(db.password));
  }
  const result = await anonymize(options, { logger, executor: new LocalExecutor() });
  output('rows', Object.fromEntries(result.tables.map((t) => [t.table, t.rows])));
  output('rules-checksum', result.rulesChecksum);
  output('masked-columns', result.maskedColumns);
  output('evidence', options.evidenceFile ?? '');
  await summary(anonymizeSummary(result));
});

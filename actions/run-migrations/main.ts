import { runEntry } from '../common/entry.js';
import { LocalExecutor } from '../../packages/core/src/index.js';
import {
  evidenceJson,
  migrationSummary,
  readMigrateInputs,
  runMigrations
} from '../../packages/migrate/src/index.js';

await runEntry(async ({ inputs, logger, context, output, summary, secret }) => {
  // Masked before anything can print them: the URL from the input or from env DATABASE_URL.
  secret(inputs.raw('database-url') || process.env.DATABASE_URL);
  secret(inputs.raw('webhook-secret'));
  const options = readMigrateInputs(inputs, process.env);
  secret(options.database?.password);
  if (options.database?.password) secret(encodeURIComponent(options.database.password));

  const result = await runMigrations(options, { logger, context, executor: new LocalExecutor() });

  output(
    'applied',
    result.applied.map((a) => a.version)
  );
  output(
    'reverted',
    result.reverted.map((a) => a.version)
  );
  output(
    'retried',
    result.retried.map((r) => r.version)
  );
  output('pending', result.pending);
  output('current-version', result.currentVersion);
  output('backup-path', result.backup?.path ?? '');
  output('evidence', evidenceJson(result));
  await summary(migrationSummary(result));
  if (result.error) throw result.error;
});

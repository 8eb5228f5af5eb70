import { runEntry } from '../common/entry.js';
import { maskHostSecrets } from '../common/host.js';
import { LocalExecutor } from '../../packages/core/src/index.js';
import {
  evidenceJson,
  migrationSummary,
  readMigrateInputs,
  runMigrations
} from '../../packages/migrate/src/index.js';
import { connectCommandHost, readCommandHost } from './host.js';

await runEntry('run-migrations', async (entry) => {
  const { inputs, logger, context, output, summary, secret } = entry;
  // Masked before anything can print them: the URL from the input or from env DATABASE_URL, the SSH key.
  secret(inputs.raw('database-url') || process.env.DATABASE_URL);
  secret(inputs.raw('webhook-secret'));
  maskHostSecrets(entry, []);
  const options = readMigrateInputs(inputs, process.env);
  secret(options.database?.password);
  if (options.database?.password) secret(encodeURIComponent(options.database.password));
  const host = readCommandHost(inputs, options);

  // The host first: an unreachable host or a refused key fails before the database is touched.
  const ssh = host ? await connectCommandHost(host, logger) : undefined;
  const result = await runMigrations(options, {
    logger,
    context,
    executor: new LocalExecutor(),
    ...(ssh ? { commandExecutor: ssh } : {})
  }).finally(() => ssh?.close());

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

import { runEntry } from '../common/entry.js';
import { LocalExecutor } from '../../packages/core/src/executor.js';
import { publish, publishSummary } from '../../packages/registry/src/index.js';

await runEntry(async ({ inputs, logger, output, summary, secret, saveState }) => {
  const password = inputs.optional('password');
  const sourcePassword = inputs.optional('source-password');
  const githubToken = inputs.optional('github-token');
  secret(password);
  secret(sourcePassword);
  secret(githubToken);
  const result = await publish(
    {
      registry: inputs.string('registry', { fallback: 'ghcr.io' }),
      username: inputs.optional('username'),
      password,
      githubToken,
      sourceUsername: inputs.optional('source-username'),
      sourcePassword,
      source: inputs.string('source'),
      targets: inputs.list('targets'),
      tags: inputs.list('tags'),
      dockerLogin: inputs.boolean('docker-login', true),
      retries: inputs.integer('retries', { fallback: 5, min: 0, max: 20 })
    },
    {
      executor: new LocalExecutor(),
      logger,
      // Logged in before the copy: the post step logs out even when the copy fails.
      onLogin: (registry) => {
        if (inputs.boolean('logout', true)) saveState('logout-registries', registry);
      }
    }
  );
  output('digest', result.digest);
  output('refs', result.refs);
  output('platforms', result.platforms);
  await summary(publishSummary(result));
});

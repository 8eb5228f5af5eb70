import { runEntry } from '../common/entry.js';
import { LocalExecutor } from '../../packages/core/src/index.js';
import { dockerCli } from '../../packages/docker/src/index.js';
import {
  encodeLoginState,
  parseRegistryAuth,
  publish,
  publishSummary,
  type LoginState
} from '../../packages/registry/src/index.js';
import { defaultsOf } from '../../packages/manifest/src/index.js';

/** The defaults publish-registry declares (manifest.yml): the runner applies them, the CLI and tests may not. */
const DEFAULTS = defaultsOf('publish-registry');

await runEntry('publish-registry', async ({ inputs, logger, output, summary, secret, saveState }) => {
  const password = inputs.optional('password');
  const sourcePassword = inputs.optional('source-password');
  const githubToken = inputs.optional('github-token');
  secret(password);
  secret(sourcePassword);
  secret(githubToken);
  const authText = inputs.optional('registry-auth');
  const registryAuth = authText ? parseRegistryAuth(authText, process.env) : undefined;
  for (const a of registryAuth ?? []) secret(a.password);
  const logout = inputs.boolean('logout', DEFAULTS.flag('logout'));
  const loggedIn: LoginState[] = [];
  const result = await publish(
    {
      registry: inputs.string('registry', { fallback: DEFAULTS.text('registry') }),
      username: inputs.optional('username'),
      password,
      githubToken,
      sourceUsername: inputs.optional('source-username'),
      sourcePassword,
      source: inputs.string('source'),
      targets: inputs.list('targets'),
      tags: inputs.list('tags'),
      dockerLogin: inputs.boolean('docker-login', DEFAULTS.flag('docker-login')),
      retries: inputs.integer('retries', { fallback: DEFAULTS.number('retries'), min: 0, max: 20 }),
      registryAuth,
      scope: inputs.optional('scope'),
      ecr: inputs.string('ecr', { fallback: DEFAULTS.text('ecr') }),
      loginEnv: process.env
    },
    {
      executor: new LocalExecutor(),
      logger,
      docker: dockerCli,
      // Saved after each login, before the copy: the post step logs out of every one even when it fails.
      onLogin: (login) => {
        loggedIn.push(login);
        if (logout) saveState('logout-registries', encodeLoginState(loggedIn));
      }
    }
  );
  output('digest', result.digest);
  output('refs', result.refs);
  output('platforms', result.platforms);
  await summary(publishSummary(result));
});

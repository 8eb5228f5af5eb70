import { runEntry } from '../common/entry.js';
import { DeployActionsError, InputError, LocalExecutor } from '../../packages/core/src/index.js';
import { octokitRequest, splitRepository } from '../../packages/github/src/index.js';
import { INPUTS } from '../../packages/manifest/src/index.js';
import {
  planRelease,
  publishRelease,
  releaseSummary,
  type FloatingMode
} from '../../packages/release/src/index.js';

/** The declared defaults (manifest.yml); the runner applies them, the CLI and tests may leave inputs empty. */
const DEFAULTS = INPUTS['tag-release'];
const flag = (name: keyof typeof DEFAULTS) => DEFAULTS[name].default === 'true';

await runEntry(async ({ inputs, logger, context, output, summary, secret }) => {
  const token = inputs.raw('token');
  secret(token);
  const dryRun = inputs.boolean('dry-run', flag('dry-run'));
  const createRelease = inputs.boolean('create-release', flag('create-release'));
  const draft = inputs.boolean('draft', flag('draft'));
  const floatingTags = inputs.choice<FloatingMode>(
    'floating-tags',
    ['major', 'major-minor', 'none'],
    DEFAULTS['floating-tags'].default as FloatingMode
  );
  const repo = splitRepository(context.repository);
  if (!dryRun && !token)
    throw new InputError(
      'token',
      'is empty',
      'pass `token: ${{ github.token }}` (or an App token / PAT), or set `dry-run: true`'
    );
  if (!dryRun && !repo)
    throw new DeployActionsError('input', `GITHUB_REPOSITORY "${context.repository}" is not owner/name`, {
      state: 'nothing was changed',
      hint: 'run on GitHub Actions (or set GITHUB_REPOSITORY=owner/name for the CLI), or use `dry-run: true`'
    });

  const plan = await planRelease(
    {
      cwd: inputs.string('working-directory', { fallback: DEFAULTS['working-directory'].default }),
      target: inputs.string('target', { fallback: DEFAULTS.target.default }),
      tagPrefix: inputs.raw('tag-prefix'),
      initialVersion: inputs.string('initial-version', { fallback: DEFAULTS['initial-version'].default }),
      releaseAs: inputs.optional('release-as'),
      prerelease: inputs.optional('prerelease'),
      floatingTags,
      repoUrl: repo ? `${context.serverUrl}/${context.repository}` : ''
    },
    { executor: new LocalExecutor(), logger }
  );

  logger.info(
    plan.released ? `next version ${plan.version} (${plan.reason})` : `nothing to release: ${plan.reason}`
  );
  let releaseUrl = '';
  if (plan.released && !dryRun) {
    const request = octokitRequest({ token, baseUrl: context.apiUrl, debug: (m) => logger.debug(m) });
    releaseUrl = (await publishRelease(plan, request, { repo: repo!, createRelease, draft }, logger))
      .releaseUrl;
  } else if (plan.released)
    logger.info(
      `dry run: would create ${plan.tag}${plan.floatingTags.length ? ` and move ${plan.floatingTags.join(', ')}` : ''}\n${plan.changelog}`
    );

  output('version', plan.version);
  output('previous-version', plan.previousVersion);
  output('tag', plan.tag);
  output('bump', plan.bump);
  output('released', String(plan.released));
  output('changelog', plan.changelog);
  output('release-url', releaseUrl);
  await summary(releaseSummary(plan, { dryRun, releaseUrl }));
});

import { runEntry } from '../common/entry.js';
import { LocalExecutor } from '../../packages/core/src/index.js';
import { octokitRequest } from '../../packages/github/src/index.js';
import {
  planRelease,
  publishRelease,
  readTagReleaseInputs,
  releaseSummary
} from '../../packages/release/src/index.js';

await runEntry('tag-release', async ({ inputs, logger, context, output, summary, secret }) => {
  secret(inputs.raw('token'));
  const { token, dryRun, createRelease, draft, repo, plan: options } = readTagReleaseInputs(inputs, context);
  const plan = await planRelease(options, { executor: new LocalExecutor(), logger });

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

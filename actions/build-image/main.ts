import { runEntry } from '../common/entry.js';
import { LocalExecutor } from '../../packages/core/src/executor.js';
import { splitList } from '../../packages/core/src/inputs.js';
import {
  buildImage,
  computeMeta,
  knownVersions,
  metaContext,
  parseFlavor,
  buildSummary
} from '../../packages/docker/src/index.js';

await runEntry(async ({ inputs, logger, context, output, summary, secret }) => {
  const secretValues = Object.fromEntries(inputs.keyValues('secrets'));
  for (const v of Object.values(secretValues)) secret(v);
  const executor = new LocalExecutor();
  const contextDir = inputs.string('context', { fallback: '.' });
  const flavor = parseFlavor(splitList(inputs.raw('flavor'), false));
  const meta = computeMeta({
    images: inputs.list('images'),
    tagRules: inputs.list('tags', { commas: false }),
    flavor,
    labels: Object.fromEntries(inputs.keyValues('labels')),
    context: metaContext(context, process.env.GITHUB_EVENT_PATH),
    knownVersions:
      flavor.latest === 'auto' && context.ref.startsWith('refs/tags/')
        ? await knownVersions(executor, contextDir)
        : undefined
  });
  const result = await buildImage(
    {
      context: contextDir,
      file: inputs.optional('file'),
      tags: meta.tags,
      labels: meta.labels,
      buildArgs: Object.fromEntries(inputs.keyValues('build-args')),
      target: inputs.optional('target'),
      platforms: inputs.list('platforms'),
      cacheFrom: inputs.list('cache-from', { commas: false }),
      cacheTo: inputs.list('cache-to', { commas: false }),
      secretValues,
      secretFiles: Object.fromEntries(inputs.keyValues('secret-files')),
      secretEnvs: Object.fromEntries(inputs.keyValues('secret-envs')),
      provenance: inputs.optional('provenance'),
      sbom: inputs.optional('sbom'),
      push: inputs.boolean('push', false),
      noCache: inputs.boolean('no-cache', false),
      pull: inputs.boolean('pull', false),
      builder: inputs.choice('builder', ['auto', 'buildx', 'classic'] as const, 'auto')
    },
    { executor, logger }
  );
  output('image-id', result.imageId);
  output('digest', result.digest);
  output('tags', meta.tags.join('\n'));
  output(
    'labels',
    Object.entries(meta.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')
  );
  output('version', meta.version);
  output('builder', result.builder);
  output('metadata', {
    builder: result.builder,
    imageId: result.imageId,
    digest: result.digest,
    version: meta.version,
    tags: meta.tags,
    labels: meta.labels,
    pushed: result.pushed
  });
  await summary(buildSummary(meta, result));
});

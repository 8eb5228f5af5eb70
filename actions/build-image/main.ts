import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEntry } from '../common/entry.js';
import { LocalExecutor, splitList } from '../../packages/core/src/index.js';
import {
  annotationsAt,
  bakeDefinition,
  buildImage,
  buildSummary,
  commitDate,
  computeMeta,
  knownVersions,
  linesToRecord,
  metaContext,
  metaJson,
  parseFlavor,
  parseLevels,
  splitTagInput,
  type BakeKind
} from '../../packages/docker/src/index.js';
import { defaultsOf } from '../../packages/manifest/src/index.js';

/** The defaults build-image declares (manifest.yml): the runner applies them, the CLI and tests may not. */
const DEFAULTS = defaultsOf('build-image');

/** metadata-action's separators are taken as written (a single space is a valid separator). */
const untrimmed = (name: string) => process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '\n';
const lines = (text: string) => splitList(text, false);

await runEntry('build-image', async ({ inputs, logger, context, output, summary, secret }) => {
  const secretValues = Object.fromEntries(inputs.keyValues('secrets'));
  for (const v of Object.values(secretValues)) secret(v);
  const githubToken = inputs.optional('github-token');
  secret(githubToken);
  const executor = new LocalExecutor();
  const contextDir = inputs.string('context', { fallback: DEFAULTS.text('context') });
  const flavor = parseFlavor(lines(inputs.string('flavor', { fallback: DEFAULTS.text('flavor') })));
  const { rules, refs } = splitTagInput(lines(inputs.raw('tags')));
  const ctx = metaContext(context, process.env.GITHUB_EVENT_PATH, process.env);
  ctx.commitDate ??= await commitDate(executor, contextDir, ctx.sha);
  const meta = computeMeta({
    images: lines(inputs.raw('images')),
    tagRules: rules,
    flavor,
    labels: lines(inputs.raw('labels')),
    annotations: lines(inputs.raw('annotations')),
    context: ctx,
    knownVersions:
      flavor.latest === 'auto' && ctx.ref.startsWith('refs/tags/')
        ? await knownVersions(executor, contextDir)
        : undefined
  });
  const levels = parseLevels(process.env.DOCKER_METADATA_ANNOTATIONS_LEVELS);
  // Without images the tag names are outputs only (as metadata-action's `tags`), not references to build.
  const tags = [...meta.tags, ...refs];
  const builderInput = inputs.string('builder', { fallback: DEFAULTS.text('builder') });
  const known = ['auto', 'buildx', 'classic'].includes(builderInput);
  const result = await buildImage(
    {
      context: contextDir,
      file: inputs.optional('file'),
      tags: meta.images.length > 0 ? tags : refs,
      labels: linesToRecord(meta.labels),
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
      push: inputs.boolean('push', DEFAULTS.flag('push')),
      load: inputs.optional('load') === undefined ? undefined : inputs.boolean('load'),
      noCache: inputs.boolean('no-cache', DEFAULTS.flag('no-cache')),
      pull: inputs.boolean('pull', DEFAULTS.flag('pull')),
      addHosts: inputs.list('add-hosts'),
      allow: inputs.list('allow'),
      annotations: inputs.raw('annotations') ? annotationsAt(meta, levels) : [],
      attests: inputs.list('attests', { commas: false }),
      buildContexts: inputs.list('build-contexts', { commas: false }),
      call: inputs.optional('call'),
      cgroupParent: inputs.optional('cgroup-parent'),
      network: inputs.optional('network'),
      noCacheFilters: inputs.list('no-cache-filters'),
      outputs: inputs.list('outputs', { commas: false }),
      shmSize: inputs.optional('shm-size'),
      ssh: inputs.list('ssh', { commas: false }),
      ulimits: inputs.list('ulimit', { commas: false }),
      githubToken,
      builder: known ? (builderInput as 'auto' | 'buildx' | 'classic') : 'buildx',
      builderName: known ? undefined : builderInput
    },
    { executor, logger }
  );
  output('image-id', result.imageId);
  output('imageid', result.imageId);
  output('digest', result.digest);
  output('version', meta.version);
  output('tags', tags.join(untrimmed('sep-tags')));
  output('tag-names', meta.tagNames.join(untrimmed('sep-tags')));
  output('labels', meta.labels.join(untrimmed('sep-labels')));
  output('annotations', annotationsAt(meta, levels).join(untrimmed('sep-annotations')));
  output('json', metaJson(meta, levels));
  const bakeDir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'build-image-bake-'));
  const target = inputs.string('bake-target', { fallback: DEFAULTS.text('bake-target') });
  for (const kind of ['tags', 'labels', 'annotations', 'all'] as BakeKind[]) {
    const file = join(bakeDir, `docker-metadata-action-bake${kind === 'all' ? '' : `-${kind}`}.json`);
    writeFileSync(file, JSON.stringify(bakeDefinition(meta, kind, levels, target), null, 2));
    output(kind === 'all' ? 'bake-file' : `bake-file-${kind}`, file);
  }
  output('builder', result.builder);
  output('metadata', {
    builder: result.builder,
    imageId: result.imageId,
    digest: result.digest,
    version: meta.version,
    tags,
    labels: linesToRecord(meta.labels),
    pushed: result.pushed
  });
  await summary(buildSummary({ ...meta, tags }, result));
});

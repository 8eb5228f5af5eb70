import { DeployActionsError, InputError, type InputReader, type RunContext } from '../../core/src/index.js';
import { splitRepository, type RepoRef } from '../../github/src/index.js';
import { choicesOf, defaultsOf, type InputName } from '../../manifest/src/index.js';
import type { FloatingMode, ReleaseOptions } from './plan.js';

/** The declared defaults (manifest.yml); the runner applies them, the CLI and tests may leave inputs empty. */
const DEFAULTS = defaultsOf('tag-release');

/** Every input of tag-release, read and checked before git or GitHub is touched. */
export interface TagReleaseInputs {
  token: string;
  dryRun: boolean;
  createRelease: boolean;
  draft: boolean;
  /** The repository releases go to; undefined only in a dry run outside a repository. */
  repo: RepoRef | undefined;
  plan: ReleaseOptions;
}

export function readTagReleaseInputs(
  inputs: InputReader<InputName<'tag-release'>>,
  context: Pick<RunContext, 'repository' | 'serverUrl'>
): TagReleaseInputs {
  const token = inputs.raw('token');
  const dryRun = inputs.boolean('dry-run', DEFAULTS.flag('dry-run'));
  const createRelease = inputs.boolean('create-release', DEFAULTS.flag('create-release'));
  const draft = inputs.boolean('draft', DEFAULTS.flag('draft'));
  const floatingTags = inputs.choice(
    'floating-tags',
    choicesOf('tag-release', 'floating-tags'),
    DEFAULTS.text('floating-tags') as FloatingMode
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
  return {
    token,
    dryRun,
    createRelease,
    draft,
    repo,
    plan: {
      cwd: inputs.string('working-directory', { fallback: DEFAULTS.text('working-directory') }),
      target: inputs.string('target', { fallback: DEFAULTS.text('target') }),
      tagPrefix: inputs.raw('tag-prefix'),
      initialVersion: inputs.string('initial-version', { fallback: DEFAULTS.text('initial-version') }),
      releaseAs: inputs.optional('release-as'),
      prerelease: inputs.optional('prerelease'),
      floatingTags,
      repoUrl: repo ? `${context.serverUrl}/${context.repository}` : ''
    }
  };
}

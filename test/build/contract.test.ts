import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * Users bring their docker/metadata-action, docker/build-push-action and docker/login-action inputs as
 * they are: every input (and output) name of those actions is declared by ours. (metadata-action's own
 * `context: workflow|git` is the one name it cannot share: here `context` is the build context.)
 */
const contract = (name: string) =>
  parse(readFileSync(`${name}/action.yml`, 'utf8')) as {
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
  };

const BUILD_PUSH_INPUTS = [
  'add-hosts',
  'allow',
  'annotations',
  'attests',
  'build-args',
  'build-contexts',
  'builder',
  'cache-from',
  'cache-to',
  'call',
  'cgroup-parent',
  'context',
  'file',
  'labels',
  'load',
  'network',
  'no-cache',
  'no-cache-filters',
  'outputs',
  'platforms',
  'provenance',
  'pull',
  'push',
  'sbom',
  'secrets',
  'secret-envs',
  'secret-files',
  'shm-size',
  'ssh',
  'tags',
  'target',
  'ulimit',
  'github-token'
];
const METADATA_INPUTS = [
  'images',
  'tags',
  'flavor',
  'labels',
  'annotations',
  'sep-tags',
  'sep-labels',
  'sep-annotations',
  'bake-target',
  'github-token'
];
const LOGIN_INPUTS = ['registry', 'username', 'password', 'ecr', 'scope', 'logout', 'registry-auth'];

describe('the peers’ input and output names', () => {
  it('build-image declares every build-push-action and metadata-action input', () => {
    const declared = Object.keys(contract('build-image').inputs);
    expect(BUILD_PUSH_INPUTS.filter((i) => !declared.includes(i))).toEqual([]);
    expect(METADATA_INPUTS.filter((i) => !declared.includes(i))).toEqual([]);
  });
  it('build-image declares every output of both', () => {
    const declared = Object.keys(contract('build-image').outputs);
    const wanted = [
      'imageid',
      'digest',
      'metadata',
      'version',
      'tags',
      'tag-names',
      'labels',
      'annotations',
      'json',
      'bake-file-tags',
      'bake-file-labels',
      'bake-file-annotations',
      'bake-file'
    ];
    expect(wanted.filter((o) => !declared.includes(o))).toEqual([]);
  });
  it('publish-registry declares every login-action input', () => {
    const declared = Object.keys(contract('publish-registry').inputs);
    expect(LOGIN_INPUTS.filter((i) => !declared.includes(i))).toEqual([]);
  });
});

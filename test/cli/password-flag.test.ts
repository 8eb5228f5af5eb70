import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs, secretFlagWarnings } from '../../packages/cli/src/index.js';
import { REPO_ROOT } from '../support/paths.js';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'deploy-actions.js'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    timeout: 60_000
  });

describe('secrets on the command line', () => {
  test('--password warns and points at --password-env; --password-env does not warn', () => {
    const declared = () => true;
    expect(secretFlagWarnings(parseArgs(['--password', 'x', '--app', 'shop']).flags, declared)).toEqual([
      expect.stringMatching(
        /^warning: --password puts the secret on the command line.*use --password-env NAME/
      )
    ]);
    expect(secretFlagWarnings(parseArgs(['--password-env', 'REG_PASS']).flags, declared)).toEqual([]);
    expect(secretFlagWarnings(parseArgs(['--ssh-key=k']).flags, declared)).toEqual([
      expect.stringContaining('--ssh-key-env NAME')
    ]);
    // issue 28: every input that carries a secret, not only passwords and keys.
    for (const name of ['registry-auth', 'secrets', 'headers', 'health-headers', 'webhook-url'])
      expect(secretFlagWarnings(parseArgs([`--${name}`, 'x']).flags, declared)).toEqual([
        expect.stringContaining(`--${name}-env NAME`)
      ]);
    // Not an input of the action: the unknown-input error speaks instead.
    expect(secretFlagWarnings(parseArgs(['--password', 'x']).flags, () => false)).toEqual([]);
  });

  test('the CLI prints the warning before it runs the action, and never the secret itself', () => {
    const r = cli([
      'publish-registry',
      '--registry',
      '127.0.0.1:1',
      '--username',
      'u',
      '--password',
      'pw-on-the-command-line',
      '--source',
      'not a reference',
      '--docker-login',
      'false',
      '--retries',
      '0'
    ]);
    expect(r.stderr).toContain('warning: --password puts the secret on the command line');
    expect(r.stderr).toContain('--password-env NAME');
    expect(r.stderr + r.stdout).not.toContain('pw-on-the-command-line');
  });
});

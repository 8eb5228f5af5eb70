import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from '../../packages/cli/src/index.js';
import { ACTIONS } from '../../packages/runner/src/index.js';
import { GROUPS, INPUTS } from '../../packages/manifest/src/index.js';
import { REPO_ROOT } from '../support/paths.js';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'deploy-actions.js'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    timeout: 60_000
  });

describe('deploy-actions CLI', () => {
  it('lists every action with its description', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    for (const name of ACTIONS) expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  it("lists an action's inputs and outputs, with the defaults manifest.yml declares", () => {
    const r = cli(['health-gate', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--url');
    expect(r.stdout).toContain('--expect-status');
    expect(r.stdout).toContain(`--interval  (default: ${JSON.stringify(GROUPS.health.interval.default)})`);
    expect(r.stdout).toContain('Outputs:');
    expect(r.stdout).toMatch(/verdict: /);
    const deploy = cli(['deploy-compose', '--help']);
    expect(deploy.stdout).toContain('--host  (required)');
    expect(deploy.stdout).toContain(
      `Health gate: time between probe rounds (default ${GROUPS.health.interval.default}).`
    );
    for (const name of Object.keys(INPUTS['deploy-compose'])) expect(deploy.stdout).toContain(`--${name}`);
  });

  it('refuses an unknown input, listing the valid ones, before running anything', () => {
    const r = cli(['health-gate', '--urll', 'http://127.0.0.1:1/']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Unknown input(s) for health-gate: --urll');
    expect(r.stderr).toContain('--url');
  });

  it('check-workflows fails on a workflow that passes an undeclared input, and passes a correct one', () => {
    const fixtures = join(REPO_ROOT, 'test', 'fixtures', 'workflows');
    const bad = cli(['check-workflows', join(fixtures, 'undeclared-input.yml')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(
      "passes input 'urls' that health-gate does not declare; did you mean 'url'?"
    );
    const good = cli(['check-workflows', join(fixtures, 'good.yml')]);
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
  });

  it('refuses an unknown action', () => {
    const r = cli(['deploy-everything']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unknown action 'deploy-everything'");
  });

  it('runs the bundle and fails with the input error an action raises, naming the input', () => {
    const r = cli(['health-gate', '--url', 'not a url', '--json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Input 'url'/);
    expect(JSON.parse(r.stdout).exitCode).toBe(1);
  });
});

describe('parseArgs', () => {
  it('reads --name value, --name=value, repeats and boolean flags', () => {
    const p = parseArgs(
      ['x', '--url', 'a', '--url=b', '--json', '--dry-run', '--to', 'r1'],
      new Set(['json'])
    );
    expect(p.positional).toEqual(['x']);
    expect(Object.fromEntries(p.flags)).toEqual({ url: 'a\nb', json: 'true', 'dry-run': 'true', to: 'r1' });
  });
});

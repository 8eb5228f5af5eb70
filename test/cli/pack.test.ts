import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTIONS } from '../../packages/runner/src/index.js';
import { REPO_ROOT } from '../support/paths.js';

/**
 * Issue 32 item 7: the CLI as a packed tarball. scripts/pack-cli.mjs packs the committed bundles and action.yml
 * files; `npm install -g --prefix <tmp>` installs it with the registry pointed at a closed port and
 * `--offline` (the package has no dependencies to fetch); the installed `deploy-actions` prints its help and
 * runs health-gate against a local server.
 */
/** Run a command without blocking this process (the test's own HTTP server must keep answering). */
function run(
  cmd: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string }
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('the packed CLI', () => {
  const work = mkdtempSync(join(tmpdir(), 'adopt2-pack-'));
  const prefix = join(work, 'prefix');
  let server: Server;
  let port = 0;
  const bin = () => join(prefix, 'bin', 'deploy-actions');
  // Nothing of the repository on the way: a bare PATH with node's directory, HOME in the temp dir.
  const env = () => ({
    PATH: `${join(prefix, 'bin')}:${process.execPath.replace(/\/node$/, '')}:/usr/bin:/bin`,
    HOME: work,
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_cache: join(work, 'npm-cache')
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(req.url === '/up' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(req.url === '/up' ? '{"status":"ok"}' : '{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('npm install -g takes the tarball offline; the installed CLI prints help and runs an action', async () => {
    const tgz = execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'pack-cli.mjs'), '--out', work], {
      encoding: 'utf8'
    }).trim();
    expect(readdirSync(work)).toContain('deploy-actions-0.1.0.tgz');
    const listing = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain('package/bin/deploy-actions.js');
    expect(listing).toContain('package/dist/cli/index.js');
    for (const a of ACTIONS) expect([a, listing.includes(`package/${a}/action.yml`)]).toEqual([a, true]);
    // Only what the CLI runs: no sources, no tests.
    expect(listing.filter((f) => /^package\/(packages|test|scripts)\//.test(f))).toEqual([]);

    const install = spawnSync(
      'npm',
      ['install', '-g', '--prefix', prefix, tgz, '--offline', '--no-audit', '--no-fund'],
      { encoding: 'utf8', env: env(), timeout: 300_000 }
    );
    expect([install.status, install.stderr]).toEqual([0, '']);

    const help = spawnSync(bin(), ['--help'], { encoding: 'utf8', env: env(), cwd: work });
    expect(help.status).toBe(0);
    for (const a of ACTIONS) expect(help.stdout).toMatch(new RegExp(`^  ${a} +\\S`, 'm'));
    expect(help.stdout).toMatch(/deploy-actions remove /);

    const gate = await run(
      bin(),
      ['health-gate', '--url', `http://127.0.0.1:${port}/up`, '--expect-json', '$.status == ok', '--json'],
      { env: env(), cwd: work }
    );
    expect([gate.status, gate.stderr.includes('healthy')]).toEqual([0, true]);
    expect(JSON.parse(gate.stdout)).toMatchObject({ exitCode: 0, outputs: { verdict: 'healthy' } });

    const failing = await run(bin(), ['health-gate', '--url', `http://127.0.0.1:${port}/down`, '--json'], {
      env: env(),
      cwd: work
    });
    expect(failing.status).toBe(1);
    expect(JSON.parse(failing.stdout).outputs.verdict).toBe('unhealthy');
  }, 900_000);
});

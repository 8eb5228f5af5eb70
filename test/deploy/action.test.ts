import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { verifySignature } from '../../packages/events/src/index.js';
import { leakedSecrets, runBundle } from '../support/harness.js';
import { REPO_ROOT } from '../support/paths.js';
import { infra } from '../support/infra.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  COMPOSE,
  bundleDeploy,
  bundleTarget,
  buildImages,
  cleanup,
  history,
  stateDir,
  target,
  version
} from './support.js';

/** The bundles (node scripts/build.mjs deploy-compose rollback) run as the GitHub runner runs them. */
integrationOn('deploy-compose and rollback action bundles', [0], () => {
  const app = 'deploy-act';
  const port = 18370;
  const hookSecret = 'whsec-deploy-4u7';
  let dir: string;
  let workspace: string;
  let hook: Server;
  const events: { type: string; signed: boolean }[] = [];

  const quick = {
    'health-success-threshold': 2,
    'health-failure-threshold': 2,
    'drain-timeout': '500ms',
    'start-timeout': '15s'
  };
  const connection = () => bundleTarget({ app, port, dir }, quick);
  const deployInputs = (tag: string, expectBody = tag) =>
    bundleDeploy(
      { app, port, dir, tag },
      {
        ...quick,
        'env-template': 'deploy/.env.example',
        'health-expect-body': expectBody,
        'webhook-url': `http://127.0.0.1:${port + 3}/hook`,
        'webhook-secret': hookSecret
      }
    );

  beforeAll(async () => {
    buildImages();
    dir = stateDir('act');
    // A run killed part way (a cancelled CI job) leaves the app behind: start from nothing.
    cleanup(dir, app);
    workspace = mkdtempSync('/tmp/deploy-actions-test-deploy-ws-');
    const d = join(workspace, 'deploy');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'compose.yml'), COMPOSE);
    writeFileSync(join(d, '.env'), 'GREETING=hello\nAPI_TOKEN=tok-act-5ecr3t\n');
    writeFileSync(join(d, '.env.example'), 'GREETING=\nAPI_TOKEN=\n');
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const type = (JSON.parse(body) as { type: string }).type;
        events.push({
          type,
          signed: verifySignature(body, hookSecret, req.headers['x-deploy-actions-signature-256'] as string)
        });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(port + 3, '127.0.0.1', r));
  });
  afterAll(async () => {
    cleanup(dir, app);
    rmSync(workspace, { recursive: true, force: true });
    await new Promise((r) => hook.close(r));
  });

  it('refuses bad input before touching anything, naming the input', async () => {
    const { 'public-port': _p, ...noPort } = deployInputs('v1');
    const run = await runBundle('deploy-compose', { inputs: noPort, workspace });
    expect(run.exitCode).toBe(1);
    expect(
      run.annotations.some(
        (a) =>
          a.level === 'error' &&
          a.message.includes("Input 'public-port': is required with strategy blue-green")
      )
    ).toBe(true);
    const noKeys = await runBundle('deploy-compose', {
      inputs: { ...deployInputs('v1'), 'known-hosts': '' },
      workspace
    });
    expect(noKeys.annotations.some((a) => a.message.includes("Input 'known-hosts'"))).toBe(true);
    expect(history(dir, app)).toEqual([]);
  });

  it('deploys, fails a broken release behind the gate and rolls it back, then rolls back from the CLI', async () => {
    const secrets = [
      readFileSync(target().keyPath, 'utf8').split('\n')[1]!,
      infra().registries[0]!.password,
      'tok-act-5ecr3t',
      hookSecret
    ];
    const d1 = await runBundle('deploy-compose', { inputs: deployInputs('v1'), workspace });
    expect(d1.annotations.filter((a) => a.level === 'error')).toEqual([]);
    expect(d1.exitCode).toBe(0);
    expect(d1.outputs['rolled-back']).toBe('false');
    expect(d1.outputs['previous-release-id']).toBe('');
    expect(JSON.parse(d1.outputs.digests!).web).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(Number(d1.outputs['duration-ms'])).toBeGreaterThan(0);
    expect(d1.outputs.url).toBe(`http://127.0.0.1:${port}/`);
    expect(d1.summary).toContain('```mermaid');
    expect(leakedSecrets(d1, secrets)).toEqual([]);
    expect(await version(port)).toBe('v1');

    const d2 = await runBundle('deploy-compose', { inputs: deployInputs('v2'), workspace });
    expect(d2.exitCode).toBe(0);
    expect(d2.outputs['previous-release-id']).toBe(d1.outputs['release-id']);

    // v3 starts and answers on its slot, but the gate behind the proxy expects v2's body: it fails after the switch.
    const d3 = await runBundle('deploy-compose', { inputs: deployInputs('v3', 'v2'), workspace });
    expect(d3.exitCode).toBe(1);
    expect(d3.outputs['rolled-back']).toBe('true');
    expect(d3.outputs['release-id']).not.toBe(d2.outputs['release-id']);
    const error = d3.annotations.filter((a) => a.level === 'error').at(-1)!.message;
    expect(error).toContain('failed its health gate unhealthy');
    expect(error).toContain(
      `State: release ${d2.outputs['release-id']} is serving on 127.0.0.1:${target().port}`
    );
    expect(error).toContain('rolled back automatically');
    expect(await version(port)).toBe('v2');
    expect(d3.summary).toContain('failed and rolled back');
    expect(leakedSecrets(d3, secrets)).toEqual([]);

    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'deploy.completed')).toHaveLength(2);
    expect(types).toContain('rollback.executed');
    expect(types[types.length - 1]).toBe('deploy.failed');
    expect(events.every((e) => e.signed)).toBe(true);

    // Only what is needed to reach the host: the rest comes from the host's own records.
    const dry = await runBundle('rollback', {
      inputs: {
        ...pick(connection(), ['host', 'user', 'ssh-key', 'known-hosts', 'app', 'environment', 'state-dir']),
        'dry-run': true
      }
    });
    expect(dry.exitCode).toBe(0);
    expect(dry.outputs).toMatchObject({
      'release-id': d1.outputs['release-id'],
      'from-release-id': d2.outputs['release-id'],
      'rolled-back': 'false'
    });
    expect(dry.summary).toContain('version: v2 → v1');
    expect(await version(port)).toBe('v2');

    const ssh = target();
    const cli = await promisify(execFile)(
      process.execPath,
      [
        join(REPO_ROOT, 'bin/deploy-actions.js'),
        'rollback',
        '--host',
        `${ssh.host}:${ssh.port}`,
        '--user',
        ssh.user,
        '--app',
        app,
        '--environment',
        'test',
        '--state-dir',
        dir,
        '--ssh-key-env',
        'DEPLOY_KEY',
        '--known-hosts-env',
        'DEPLOY_KNOWN_HOSTS',
        '--reason',
        'v2 is slow',
        '--json'
      ],
      {
        env: {
          ...process.env,
          DEPLOY_KEY: readFileSync(ssh.keyPath, 'utf8'),
          DEPLOY_KNOWN_HOSTS: readFileSync(ssh.knownHostsPath, 'utf8')
        }
      }
    );
    expect(JSON.parse(cli.stdout)).toMatchObject({
      exitCode: 0,
      outputs: { 'release-id': d1.outputs['release-id'], 'rolled-back': 'true' }
    });
    expect(await version(port)).toBe('v1');
    const last = history(dir, app).at(-1)!;
    expect(last).toMatchObject({
      event: 'rollback.executed',
      to: d1.outputs['release-id'],
      reason: 'v2 is slow'
    });
  }, 600_000);

  it('a run killed mid-deploy: its post step releases the lock it held, and nothing else moves', async () => {
    const before = await version(port);
    const runnerTemp = mkdtempSync('/tmp/deploy-actions-test-deploy-rt-');
    // The sick image never answers on its slot, so the deploy is still waiting for it when the runner kills it.
    const run = await runBundle('deploy-compose', {
      inputs: {
        ...deployInputs('sick'),
        'health-url': `http://127.0.0.1:${port}/up`,
        'health-expect-body': '',
        'start-timeout': '2m'
      },
      workspace,
      runnerTemp,
      // Long enough to be inside the start phase's wait (start-timeout 2m) on a slow far host.
      timeoutMs: 60_000
    });
    expect(run.exitCode).not.toBe(0);
    expect(run.post?.exitCode).toBe(0);
    expect(existsSync(join(dir, app, 'test', 'lock'))).toBe(false);
    const last = history(dir, app).at(-1)!;
    expect(last).toMatchObject({ event: 'lock.released' });
    expect(String(last.reason)).toContain('released by its post step');
    expect(await version(port)).toBe(before);
    // The killed step's SSH master and key are gone too.
    expect(readdirSync(runnerTemp).filter((f) => f.startsWith('da-ssh-'))).toEqual([]);
    const ps = await promisify(execFile)('ps', ['-eo', 'args']);
    expect(ps.stdout.split('\n').filter((l) => l.includes(runnerTemp))).toEqual([]);
    expect(run.post!.stdout).toContain('ended the SSH connection the main step left open');
    rmSync(runnerTemp, { recursive: true, force: true });
  }, 180_000);
});

function pick<T extends Record<string, unknown>>(o: T, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k)));
}

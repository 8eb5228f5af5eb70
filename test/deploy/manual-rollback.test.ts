import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploy } from '../../packages/deploy/src/index.js';
import { integration } from '../support/infra.js';
import { REPO_ROOT } from '../support/paths.js';
import {
  COMPOSE,
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  stateDir,
  target,
  version
} from './support.js';

/**
 * Issue 32 item 8: docs/runbooks/manual-rollback.md's last-resort block, run as it is written, as the deploy
 * user, with cron's bare PATH: after v1 then v2 blue-green, the block brings v1 back in the idle slot with the
 * release's own overrides (its pinned named volume), moves the proxy, and records it; a deploy after it
 * starts from what the block left (active.json) and serves v3.
 */

/** The fenced sh block that follows the test's marker in the runbook. */
export function runbookBlock(markdown: string): string {
  const at = markdown.indexOf('<!-- test/deploy/manual-rollback.test.ts runs this block');
  if (at < 0) throw new Error('the runbook lost its tested block marker');
  const m = /```sh\n([\s\S]*?)\n```/.exec(markdown.slice(at));
  if (!m) throw new Error('no sh block after the marker');
  return m[1]!;
}

const WITH_VOLUME = COMPOSE.replace(
  '    env_file: .env\n',
  '    env_file: .env\n    volumes:\n      - appdata:/appdata\n'
).concat('volumes:\n  appdata:\n');

integration('the manual rollback runbook, run as written', () => {
  const app = 'adopt2-manual';
  const port = 18780;
  const h = target();
  const dir = stateDir('manual');
  const root = join(dir, app, 'test');
  beforeAll(() => {
    buildImages();
    cleanup(dir, app);
  });
  afterAll(() => {
    cleanup(dir, app);
    try {
      execFileSync('docker', ['volume', 'rm', `${app}-test_appdata`], { stdio: 'ignore' });
    } catch {
      /* in use or gone */
    }
  });

  it('brings v1 back in the idle slot through the proxy; the next deploy carries on from there', async () => {
    const block = runbookBlock(
      readFileSync(join(REPO_ROOT, 'docs', 'runbooks', 'manual-rollback.md'), 'utf8')
    );
    const v1 = await deploy(deploySpec(app, dir, port, { composeText: WITH_VOLUME }), deps());
    expect(v1.error?.describe()).toBeUndefined();
    const v2 = await deploy(
      deploySpec(app, dir, port, {
        composeText: WITH_VOLUME,
        version: 'v2',
        images: { web: `${IMAGE_REPO}:v2` }
      }),
      deps()
    );
    expect(v2.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');
    const active = JSON.parse(readFileSync(join(root, 'active.json'), 'utf8')) as {
      slot: 'blue' | 'green';
      slotPorts: [number, number];
    };
    const idle = active.slot === 'blue' ? 'green' : 'blue';
    const idlePort = active.slotPorts[idle === 'blue' ? 0 : 1];
    const project = `${app}-test-${idle}`;

    execFileSync(
      'runuser',
      [
        '-u',
        h.user,
        '--',
        'env',
        '-i',
        `HOME=${h.home}`,
        'PATH=/usr/bin:/bin',
        `ID=${v1.releaseId}`,
        'SERVICES=web',
        `PROJECT=${project}`,
        `PORT=${idlePort}`,
        'sh',
        '-ec',
        `cd "$1"\n${block}`,
        'sh',
        root
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }
    );

    // nginx -s reload signals the master and returns; the new workers take over a moment later.
    expect(await servedWithin(port, 'v1', 15_000)).toBe('v1');
    const after = JSON.parse(readFileSync(join(root, 'active.json'), 'utf8')) as Record<string, unknown>;
    expect(after).toMatchObject({ release: v1.releaseId, project, slot: idle, port: idlePort });
    const last = readFileSync(join(root, 'history.jsonl'), 'utf8').trim().split('\n').pop()!;
    expect(JSON.parse(last)).toMatchObject({
      event: 'rollback.executed',
      release: v1.releaseId,
      actor: h.user
    });
    // The release's overrides were used: its pinned image digest and its pinned named volume.
    const id = execFileSync(
      'docker',
      ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`],
      {
        encoding: 'utf8'
      }
    ).trim();
    expect(id).not.toBe('');
    const mounts = execFileSync('docker', ['inspect', '-f', '{{range .Mounts}}{{.Name}} {{end}}', id], {
      encoding: 'utf8'
    });
    expect(mounts).toContain(`${app}-test_appdata`);
    expect(
      execFileSync('docker', ['inspect', '-f', '{{.Config.Image}}', id], { encoding: 'utf8' })
    ).toContain('@sha256:');

    // The next deploy reads what the block recorded: it starts in the other slot and serves v3.
    const v3 = await deploy(
      deploySpec(app, dir, port, {
        composeText: WITH_VOLUME,
        version: 'v3',
        images: { web: `${IMAGE_REPO}:v3` }
      }),
      deps()
    );
    expect(v3.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v3');
    expect(v3.previousReleaseId).toBe(v1.releaseId);
  }, 900_000);
});

/** What the port serves once it serves `want`, or what it served last when `ms` passed first. */
async function servedWithin(port: number, want: string, ms: number): Promise<string> {
  const end = Date.now() + ms;
  let seen = await version(port);
  while (seen !== want && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await version(port);
  }
  return seen;
}

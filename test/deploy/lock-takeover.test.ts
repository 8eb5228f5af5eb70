import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockVerdict, type TakeoverFacts } from '../../packages/deploy/src/index.js';
import type { LockHolder } from '../../packages/deploy/src/index.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin.js';
import { runBundle } from '../support/harness.js';
import { integrationOn } from '../support/compose-hosts.js';
import { COMPOSE, bundleDeploy, buildImages, cleanup, history, target, version } from './support.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const holder = (over: Partial<LockHolder> = {}): LockHolder => ({
  token: 't-1',
  actor: 'octocat',
  runUrl: 'https://github.com/acme/shop/actions/runs/777/attempts/1',
  runner: 'runner-a',
  pid: 4242,
  repository: 'acme/shop',
  runId: '777',
  runAttempt: '1',
  operation: 'deploy',
  startedAt: '2026-12-01T11:59:00Z',
  heartbeatAt: '2026-12-01T11:59:50Z',
  ...over
});
const facts = (over: Partial<TakeoverFacts> = {}): TakeoverFacts => ({
  holder: holder(),
  now: NOW,
  staleMs: 120_000,
  runnerName: 'runner-a',
  pidAlive: () => true,
  ...over
});

describe('lock takeover: only a provably gone holder', () => {
  it('same runner, its process exited: gone, by pid', () => {
    const v = lockVerdict(facts({ pidAlive: (pid) => pid !== 4242 }));
    expect(v).toEqual({
      kind: 'gone',
      proof: { via: 'pid', detail: 'its process 4242 on this runner (runner-a) has exited' }
    });
  });

  it('same runner, its process alive, heartbeat fresh: live', () => {
    expect(lockVerdict(facts())).toEqual({ kind: 'live' });
  });

  it('another runner whose pid means nothing here: the pid is not looked at', () => {
    const seen: number[] = [];
    const v = lockVerdict(facts({ runnerName: 'runner-b', pidAlive: (p) => (seen.push(p), false) }));
    expect(v).toEqual({ kind: 'live' });
    expect(seen).toEqual([]);
  });

  it('its GitHub run completed (cancelled): gone, by the API, from any runner', () => {
    const v = lockVerdict(
      facts({ runnerName: 'runner-b', run: { status: 'completed', conclusion: 'cancelled', runAttempt: 1 } })
    );
    expect(v.kind).toBe('gone');
    expect(v.kind === 'gone' && v.proof).toEqual({
      via: 'github-run',
      detail: 'its GitHub run acme/shop#777 is completed (cancelled)'
    });
  });

  it('its attempt was superseded by a re-run: gone', () => {
    const v = lockVerdict(
      facts({ runnerName: 'runner-b', run: { status: 'in_progress', conclusion: null, runAttempt: 2 } })
    );
    expect(v.kind === 'gone' && v.proof.detail).toMatch(/attempt 1 was superseded by attempt 2/);
  });

  it('its GitHub run still in progress, heartbeat fresh: live', () => {
    expect(
      lockVerdict(
        facts({ runnerName: 'runner-b', run: { status: 'in_progress', conclusion: null, runAttempt: 1 } })
      )
    ).toEqual({ kind: 'live' });
  });

  it('a run state for a holder that names no run is not used', () => {
    const v = lockVerdict(
      facts({
        holder: holder({ runId: undefined, repository: undefined }),
        runnerName: 'runner-b',
        run: { status: 'completed', conclusion: 'success' }
      })
    );
    expect(v).toEqual({ kind: 'live' });
  });

  it('heartbeat older than lock-stale-after on the same runner, no pid to check: gone, by heartbeat', () => {
    // With a pid, the pid decides (a live one wins: lock-identity.test.ts).
    const v = lockVerdict(facts({ staleMs: 5_000, holder: holder({ pid: 0 }) }));
    expect(v.kind === 'gone' && v.proof.via).toBe('heartbeat');
    expect(v.kind === 'gone' && v.proof.detail).toMatch(/last heartbeat was 10s ago \(lock-stale-after 5s\)/);
  });

  it('heartbeat old on another runner, no run to check: stale, not provable (break-lock)', () => {
    const v = lockVerdict(facts({ staleMs: 5_000, runnerName: 'runner-b' }));
    expect(v.kind).toBe('stale');
    expect(v.kind === 'stale' && v.reason).toMatch(
      /it ran on runner-a, not here, and GitHub did not confirm/
    );
  });

  it('no holder.json: stale, not provable', () => {
    expect(lockVerdict(facts({ holder: undefined })).kind).toBe('stale');
  });
});

/** The GitHub proof end to end: the deploy-compose bundle with a token asks the stand-in for the holder's run. */
integrationOn('lock takeover through the GitHub API (deploy-compose bundle)', [0], () => {
  const app = 'km-lock';
  const port = 18760;
  let gh: GitHubStandIn;
  let workspace: string;
  const h = () => target();
  const root = () => join(h().stateDir, app, 'test');

  const inputs = (tag: string) =>
    bundleDeploy(
      { app, port, dir: h().stateDir, tag },
      { 'drain-timeout': '300ms', 'lock-timeout': '3s', token: 'ghs_standin_token_km' }
    );
  /** A lock as a run on another runner left it: alive by its heartbeat, its GitHub run 777. */
  const plantLock = () => {
    mkdirSync(join(root(), 'lock'), { recursive: true });
    const now = new Date().toISOString();
    writeFileSync(
      join(root(), 'lock', 'holder.json'),
      JSON.stringify(holder({ runner: 'some-other-runner', startedAt: now, heartbeatAt: now }))
    );
    execFileSync('chown', ['-R', `${h().user}:`, join(h().stateDir, app)]);
  };

  beforeAll(async () => {
    buildImages();
    cleanup(h().stateDir, app);
    gh = await startGitHubStandIn();
    workspace = mkdtempSync('/tmp/da-km-lock-ws-');
    mkdirSync(join(workspace, 'deploy'));
    writeFileSync(join(workspace, 'deploy', 'compose.yml'), COMPOSE);
    writeFileSync(join(workspace, 'deploy', '.env'), 'GREETING=hi\n');
  });
  afterAll(async () => {
    cleanup(h().stateDir, app);
    rmSync(workspace, { recursive: true, force: true });
    await gh.close();
  });

  const env = () => ({ GITHUB_API_URL: gh.url });

  it('while GitHub says the holder run is in progress: waits, then fails naming the holder', async () => {
    plantLock();
    gh.repo('acme/shop').runs.set(777, { status: 'in_progress', conclusion: null, run_attempt: 1 });
    const run = await runBundle('deploy-compose', { inputs: inputs('v1'), workspace, env: env() });
    expect(run.exitCode).not.toBe(0);
    expect(run.log).toMatch(/Timed out after 3s waiting for the deploy lock .* held by deploy by octocat/);
    expect(readFileSync(join(root(), 'lock', 'holder.json'), 'utf8')).toContain('some-other-runner');
    expect(gh.violations).toEqual([]);
    expect(gh.faults).toEqual([]);
  }, 180_000);

  it('once GitHub says the run was cancelled: taken over, recorded with the holder and the proof', async () => {
    gh.repo('acme/shop').runs.set(777, { status: 'completed', conclusion: 'cancelled', run_attempt: 1 });
    const run = await runBundle('deploy-compose', { inputs: inputs('v1'), workspace, env: env() });
    expect(run.annotations.filter((a) => a.level === 'error')).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(await version(port)).toBe('v1');
    const taken = history(h().stateDir, app).find((e) => e.event === 'lock.taken-over');
    expect(taken).toMatchObject({
      via: 'github-run',
      proof: 'its GitHub run acme/shop#777 is completed (cancelled)',
      holder: { runner: 'some-other-runner', runId: '777', actor: 'octocat' }
    });
    expect(JSON.stringify(taken)).not.toContain('t-1');
    expect(
      gh.requests.some((r) => r.method === 'GET' && r.path.endsWith('/repos/acme/shop/actions/runs/777'))
    ).toBe(true);
    expect(gh.violations).toEqual([]);
    expect(gh.faults).toEqual([]);
  }, 180_000);
});

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  lockHeartbeatArgv,
  lockVerdict,
  processStart,
  runnerIdentity,
  type LockHolder,
  type TakeoverFacts
} from '../../packages/deploy/src/index.js';

/** issue 28 item 2: the heartbeat never goes backwards, a live pid wins, and a pid is judged only at home. */
const NOW = Date.parse('2026-12-01T12:00:00Z');
const holder = (over: Partial<LockHolder> = {}): LockHolder => ({
  token: 't-1',
  actor: 'octocat',
  runUrl: '',
  runner: 'runner-a',
  pid: 4242,
  operation: 'deploy',
  startedAt: '2026-12-01T11:00:00Z',
  heartbeatAt: '2026-12-01T11:00:00Z',
  ...over
});
const facts = (over: Partial<TakeoverFacts> = {}): TakeoverFacts => ({
  holder: holder(),
  now: NOW,
  staleMs: 10_000,
  runnerName: 'runner-a',
  pidAlive: () => true,
  ...over
});

describe('lockVerdict: a live pid wins', () => {
  it('same runner, its process alive, heartbeat an hour old: live (a long phase), not gone', () => {
    expect(lockVerdict(facts())).toEqual({ kind: 'live' });
  });

  it('same runner, the pid now belongs to a later process: gone, by pid', () => {
    const v = lockVerdict(
      facts({
        holder: holder({ runnerId: 'a/boot/1', pidStart: '100' }),
        runnerId: 'a/boot/1',
        pidStart: () => '900'
      })
    );
    expect(v.kind === 'gone' && v.proof).toMatchObject({ via: 'pid' });
    expect(v.kind === 'gone' && v.proof.detail).toMatch(/started later/);
  });

  it('same runner, same process start: live', () => {
    const v = lockVerdict(
      facts({
        holder: holder({ runnerId: 'a/boot/1', pidStart: '100' }),
        runnerId: 'a/boot/1',
        pidStart: () => '100'
      })
    );
    expect(v).toEqual({ kind: 'live' });
  });

  it('same hostname, another pid namespace or boot: the pid is not looked at, the heartbeat is not a proof', () => {
    const seen: number[] = [];
    const v = lockVerdict(
      facts({
        holder: holder({ runnerId: 'runner-a/boot/1' }),
        runnerId: 'runner-a/boot/2',
        pidAlive: (p) => (seen.push(p), false)
      })
    );
    expect(seen).toEqual([]);
    expect(v.kind).toBe('stale');
  });
});

describe('runner identity across pid namespaces', () => {
  it('a process in its own pid namespace (unshare -pf --mount-proc) has the same hostname, another identity', async () => {
    // A holder in a container-like pid namespace: its pid means nothing out here.
    const child = spawn(
      'unshare',
      [
        '-pf',
        '--kill-child',
        '--mount-proc',
        'sh',
        '-c',
        'sleep 60 & echo "$! $(hostname) $(cat /proc/sys/kernel/random/boot_id) $(readlink /proc/self/ns/pid)"; wait'
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] }
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (b: Buffer) => resolve(b.toString().trim()));
        child.once('exit', (c) => reject(new Error(`unshare exited ${c}`)));
      });
      const [pid, host, boot, ns] = line.split(' ');
      expect(host).toBe(hostname());
      const theirs = `${host}/${boot}/${/\[(\d+)\]/.exec(ns!)![1]}`;
      const ours = runnerIdentity();
      expect(ours.startsWith(`${hostname()}/${boot}/`)).toBe(true);
      expect(theirs).not.toBe(ours);
      const judged: number[] = [];
      const v = lockVerdict({
        holder: holder({
          runner: host!,
          runnerId: theirs,
          pid: Number(pid),
          heartbeatAt: new Date().toISOString()
        }),
        now: Date.now(),
        staleMs: 10_000,
        runnerName: hostname(),
        runnerId: ours,
        pidAlive: (p) => (judged.push(p), false),
        pidStart: processStart
      });
      expect(judged).toEqual([]);
      expect(v).toEqual({ kind: 'live' });
    } finally {
      child.kill('SIGKILL');
      child.stdout.destroy();
    }
  });

  it('processStart tells this process from a later one', () => {
    const mine = processStart(process.pid);
    expect(mine).toMatch(/^\d+$/);
    const other = execFileSync('sh', ['-c', 'sleep 0.05; cut -d" " -f22 /proc/self/stat'], {
      encoding: 'utf8'
    }).trim();
    expect(other).not.toBe(mine);
  });
});

describe('the heartbeat never goes backwards and carries now', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'errors-beat-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const beat = (at: string) => {
    const argv = lockHeartbeatArgv(dir, 't-1');
    return execFileSync(argv[0]!, argv.slice(1), {
      input: JSON.stringify(holder({ heartbeatAt: at })) + '\n',
      encoding: 'utf8'
    }).trim();
  };
  const current = () =>
    (JSON.parse(readFileSync(join(dir, 'holder.json'), 'utf8')) as LockHolder).heartbeatAt;

  it('a beat built before a newer one (a phase that started earlier) does not overwrite it', () => {
    const future = '2999-01-01T00:00:00.000Z';
    writeFileSync(join(dir, 'holder.json'), JSON.stringify(holder({ heartbeatAt: future })));
    expect(beat('2026-12-01T11:00:00.000Z')).toBe('older');
    expect(current()).toBe(future);
  });

  it("a beat built at a phase's start lands with the time it runs", () => {
    writeFileSync(join(dir, 'holder.json'), JSON.stringify(holder()));
    const before = Date.now() - 1000;
    expect(beat('2026-12-01T11:00:05.000Z')).toBe('beat');
    expect(Date.parse(current())).toBeGreaterThanOrEqual(before);
    const h = JSON.parse(readFileSync(join(dir, 'holder.json'), 'utf8')) as LockHolder;
    expect(h.token).toBe('t-1');
  });

  it('a lock that is no longer ours is not touched', () => {
    writeFileSync(join(dir, 'holder.json'), JSON.stringify(holder({ token: 'other' })));
    expect(beat('2999-01-01T00:00:00.000Z')).toBe('lost');
    expect(current()).toBe('2026-12-01T11:00:00Z');
  });
});

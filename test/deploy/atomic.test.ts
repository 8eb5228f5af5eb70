import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  mkdirSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor } from '../../packages/core/src/index.js';
import {
  HISTORY_ADD,
  commitArgv,
  historyAppendArgv,
  lockAcquireArgv,
  lockRemoveIfHolderArgv,
  tarball
} from '../../packages/deploy/src/index.js';

/** Host-side writes (issue 17): whole files by rename, whole history lines, a lock never without its holder. */
describe('crash-consistent host writes', () => {
  let root: string;
  const exec = new LocalExecutor();
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'da-atomic-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('a commit lands files by rename, closes a torn history line, re-points current, leaves no staging', async () => {
    writeFileSync(join(root, 'history.jsonl'), '{"event":"a"}\n{"event":"tor');
    writeFileSync(join(root, 'active.json'), '{"release":"old"}\n');
    const stdin = tarball([
      { path: 'active.json', content: '{"release":"r2"}\n' },
      { path: 'releases/r2/release.json', content: '{"id":"r2"}\n' },
      { path: HISTORY_ADD, content: '{"event":"b"}\n{"event":"c"}\n' }
    ]);
    const r = await exec.run({ argv: commitArgv(root, 'releases/r2'), stdin, check: false });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(root, 'active.json'), 'utf8')).toBe('{"release":"r2"}\n');
    expect(readFileSync(join(root, 'releases', 'r2', 'release.json'), 'utf8')).toBe('{"id":"r2"}\n');
    expect(readlinkSync(join(root, 'current'))).toBe('releases/r2');
    const lines = readFileSync(join(root, 'history.jsonl'), 'utf8').split('\n');
    expect(lines).toEqual(['{"event":"a"}', '{"event":"tor', '{"event":"b"}', '{"event":"c"}', '']);
    expect(readdirSync(root).sort()).toEqual(['active.json', 'current', 'history.jsonl', 'releases']);
  });

  it('a commit whose tarball is cut changes no file', async () => {
    writeFileSync(join(root, 'active.json'), '{"release":"old"}\n');
    const whole = tarball([{ path: 'active.json', content: '{"release":"new"}\n'.repeat(200) }]);
    const r = await exec.run({ argv: commitArgv(root), stdin: whole.subarray(0, 700), check: false });
    expect(r.exitCode).not.toBe(0);
    expect(readFileSync(join(root, 'active.json'), 'utf8')).toBe('{"release":"old"}\n');
    expect(readdirSync(root)).toEqual(['active.json']);
  });

  it('the post step appends whole lines after a torn one', async () => {
    const file = join(root, 'history.jsonl');
    writeFileSync(file, '{"event":"x"}\n{"ev');
    await exec.run({
      argv: historyAppendArgv(file),
      stdin: '{"event":"deploy.cancelled"}\n{"event":"lock.released"}\n'
    });
    expect(readFileSync(file, 'utf8')).toBe(
      '{"event":"x"}\n{"ev\n{"event":"deploy.cancelled"}\n{"event":"lock.released"}\n'
    );
  });

  it('the lock appears with its holder in one rename; a second taker gets 75; removal only for the judged holder', async () => {
    const lock = join(root, 'lock');
    const take = (holder: string) => exec.run({ argv: lockAcquireArgv(lock), stdin: holder, check: false });
    expect((await take('{"token":"t1"}')).exitCode).toBe(0);
    expect(readFileSync(join(lock, 'holder.json'), 'utf8')).toBe('{"token":"t1"}');
    expect((await take('{"token":"t2"}')).exitCode).toBe(75);
    expect(readdirSync(root)).toEqual(['lock']);
    const other = await exec.run({ argv: lockRemoveIfHolderArgv(lock, 't9'), check: false });
    expect(other.stdout).toBe('');
    expect(readFileSync(join(lock, 'holder.json'), 'utf8')).toBe('{"token":"t1"}');
    const mine = await exec.run({ argv: lockRemoveIfHolderArgv(lock, 't1'), check: false });
    expect(mine.stdout.trim()).toBe('removed');
    expect(readdirSync(root)).toEqual([]);
    mkdirSync(lock);
    expect((await exec.run({ argv: lockRemoveIfHolderArgv(lock, ''), check: false })).stdout.trim()).toBe(
      'removed'
    );
  });
});

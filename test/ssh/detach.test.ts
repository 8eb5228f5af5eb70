import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor, TimeoutError } from '../../packages/core/src/index.js';
import { detachedPhaseArgv, phaseScript, runPhase, type ScriptStep } from '../../packages/ssh/src/index.js';

/** Detached phases (issue 17): a phase that loses its session still runs to its end on the host. */
describe('detached phases', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'da-detach-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const until = async (what: () => boolean) => {
    for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
    return what();
  };

  it('reports the same step results as an attached phase', async () => {
    const steps: ScriptStep[] = [
      { name: 'out and err', argv: ['sh', '-c', 'echo hi; echo warn >&2'] },
      { name: 'stdin', argv: ['cat'], stdin: 'line one\nline two' },
      { name: 'soft fail', argv: ['sh', '-c', 'exit 4'], check: false },
      { name: 'fail', argv: ['sh', '-c', 'exit 3'] },
      { name: 'skipped', argv: ['true'] }
    ];
    const exec = new LocalExecutor();
    const attached = await runPhase(exec, 'a', steps, 20_000);
    const detached = await runPhase(exec, 'd', steps, 20_000, { detach: true });
    const view = (r: typeof attached) => r.results.map((x) => [x.name, x.exitCode, x.stdout, x.stderr]);
    expect(view(detached)).toEqual(view(attached));
    expect(detached.done).toBe(true);
  });

  it('a relay that dies (time out) does not stop the phase: it runs to its end', async () => {
    const marker = join(dir, 'finished');
    const err = await runPhase(
      new LocalExecutor(),
      'cut',
      [
        { name: 'first', argv: ['true'] },
        { name: 'long', argv: ['sh', '-c', 'sleep 1; touch "$1"', 'sh', marker] }
      ],
      400,
      { detach: true }
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(existsSync(marker)).toBe(false);
    expect(await until(() => existsSync(marker))).toBe(true);
  });

  it('a script that arrives truncated is not run at all', async () => {
    const marker = join(dir, 'ran');
    const script = phaseScript([{ name: 'touch', argv: ['touch', marker] }]).text;
    const cut = script.slice(0, script.lastIndexOf('exit 0'));
    const r = await new LocalExecutor().run({
      argv: detachedPhaseArgv(),
      stdin: cut,
      check: false,
      timeoutMs: 10_000
    });
    expect(r.exitCode).toBe(98);
    expect(r.stderr).toContain('arrived truncated');
    expect(existsSync(marker)).toBe(false);
  });

  it('phases on the same serialize file run one after the other', async () => {
    const log = join(dir, 'log');
    const lock = join(dir, 'app.phase-lock');
    const write = (what: string): ScriptStep => ({
      name: what,
      argv: ['sh', '-c', 'echo "$2" >> "$1"', 'sh', log, what]
    });
    const exec = new LocalExecutor();
    const a = runPhase(
      exec,
      'a',
      [write('a-start'), { name: 'wait', argv: ['sleep', '0.5'] }, write('a-end')],
      20_000,
      {
        detach: true,
        serialize: lock
      }
    );
    expect(await until(() => existsSync(log))).toBe(true);
    const b = runPhase(exec, 'b', [write('b')], 20_000, { detach: true, serialize: lock });
    await Promise.all([a, b]);
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean)).toEqual(['a-start', 'a-end', 'b']);
  });
});

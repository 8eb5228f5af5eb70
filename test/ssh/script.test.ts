import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, LocalExecutor, TimeoutError, type Command } from '../../packages/core/src/index.js';
import {
  linkTimeoutMs,
  parsePhaseOutput,
  phaseScript,
  runPhase,
  slowShellNotice,
  type ScriptStep
} from '../../packages/ssh/src/index.js';
import { infra, integration } from '../support/infra.js';
import { connectInfraHost } from '../support/connect.js';

const steps: ScriptStep[] = [
  { name: 'greet', argv: ['echo', "it's $(not run); `neither`"] },
  { name: 'read stdin', argv: ['cat'], stdin: 'secret-line\nsecond' },
  { name: 'fail softly', argv: ['sh', '-c', 'echo warn >&2; exit 4'], check: false },
  { name: 'fail', argv: ['sh', '-c', 'echo boom >&2; exit 3'] },
  { name: 'skipped', argv: ['echo', 'never'] },
  { name: 'cleanup', argv: ['echo', 'cleaned'], always: true }
];

describe('phase scripts (pure)', () => {
  it('quotes argv through core/shell.ts and carries stdin base64 in a here-document, not in argv', () => {
    const s = phaseScript(steps, 'DAtest');
    expect(s.text).toContain(`echo 'it'\\''s $(not run); \`neither\`'`);
    expect(s.text).not.toContain('secret-line');
    expect(s.text).toContain(Buffer.from('secret-line\nsecond').toString('base64'));
    expect(s.text).toContain("base64 -d <<'DAtest_EOF_1' | cat");
    expect(s.text).toContain('PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"');
  });

  it('parses framed output into per-step results and names the step a cut stopped in', () => {
    const out =
      'DAx begin\nDAx start 0\nDAx out 0\nhello\n\nDAx err 0\n\nDAx end 0 0\nDAx start 1\nDAx out 1\npart';
    const p = parsePhaseOutput(out, 'DAx', steps);
    expect(p.began).toBe(true);
    expect(p.done).toBe(false);
    expect(p.results).toEqual([
      { index: 0, name: 'greet', argv: steps[0]!.argv, exitCode: 0, stdout: 'hello\n', stderr: '' }
    ]);
    expect(p.running).toBe(1);
  });

  it('grows timeouts with the no-op cost and names the rc-file cause above 300 ms', () => {
    expect(linkTimeoutMs(2000, 0)).toBeGreaterThan(2000);
    expect(linkTimeoutMs(2000, 500) - linkTimeoutMs(2000, 0)).toBeGreaterThanOrEqual(2500);
    expect(slowShellNotice('h', 120)).toBeUndefined();
    expect(slowShellNotice('deploy@h:22', 450)).toMatch(/rc files .*nvm, pyenv.*Fix: .*~\/\.bashrc/);
  });
});

describe('phase scripts run by sh', () => {
  it('runs every step in one process, stops at the first checked failure, still runs cleanup', async () => {
    const calls: Command[] = [];
    const local = new LocalExecutor();
    const counting = {
      target: 'local',
      close: async () => {},
      run: (c: Command) => (calls.push(c), local.run(c))
    };
    const r = await runPhase(counting, 'test', steps, 10_000);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.argv).toEqual(['sh', '-s']);
    expect(r.done).toBe(true);
    expect(r.results.map((x) => [x.name, x.exitCode, x.stdout, x.stderr])).toEqual([
      ['greet', 0, "it's $(not run); `neither`\n", ''],
      ['read stdin', 0, 'secret-line\nsecond', ''],
      ['fail softly', 4, '', 'warn\n'],
      ['fail', 3, '', 'boom\n'],
      ['cleanup', 0, 'cleaned\n', '']
    ]);
  });

  it('a phase that runs out of time names the step that was running', async () => {
    const err = await runPhase(
      new LocalExecutor(),
      'wait',
      [
        { name: 'quick', argv: ['true'] },
        { name: 'slow wait', argv: ['sleep', '5'] }
      ],
      800
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(
      /Step 'wait at step 'slow wait' \(1 of 2 steps done\)' ran out of time/
    );
  });
});

integration('phase scripts over SSH', () => {
  it('one session per phase, and the no-op cost is measured at connect', async () => {
    const { ssh } = infra();
    const tmp = mkdtempSync(join(tmpdir(), 'da ssh space-'));
    const exec = await connectInfraHost(ssh, { tempRoot: tmp, connectTimeoutMs: 15_000 });
    try {
      expect(exec.privateDir).toContain(' ');
      expect(exec.noopMs).toBeGreaterThan(0);
      expect(exec.sessions).toBe(1);
      const r = await runPhase(exec, 'remote', steps, 30_000);
      expect(exec.sessions).toBe(2);
      expect(r.results.map((x) => x.exitCode)).toEqual([0, 0, 4, 3, 0]);
      expect(r.results[1]!.stdout).toBe('secret-line\nsecond');
      expect(r.beganAfterMs).toBeGreaterThan(0);
    } finally {
      await exec.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a cut link names the step that was running', async () => {
    const { ssh } = infra();
    const exec = await connectInfraHost(ssh, { connectAttempts: 1, connectTimeoutMs: 15_000 });
    try {
      const marker = join(tmpdir(), `da-cut-${process.pid}-${Date.now()}`);
      const running = runPhase(
        exec,
        'cut',
        [
          { name: 'first', argv: ['true'] },
          { name: 'long', argv: ['sh', '-c', 'touch "$1"; sleep 20', 'sh', marker] }
        ],
        60_000
      ).catch((e: unknown) => e);
      // Cut once the host is inside the long step.
      while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 100));
      rmSync(marker, { force: true });
      const pid = await exec.masterPid();
      if (pid) process.kill(pid, 'SIGKILL');
      const err = await running;
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/phase 'cut' at step 'long' \(1 of 2 steps done\)/);
    } finally {
      await exec.close();
    }
  });
});

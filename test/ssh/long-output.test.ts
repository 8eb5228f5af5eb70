import { LocalExecutor } from '../../packages/core/src/index.js';
import { STEP_OUTPUT_BYTES, runPhase, type ScriptStep } from '../../packages/ssh/src/index.js';
import { MAX_LINE_CHARS, lineLogger } from '../../packages/deploy/src/index.js';

/**
 * issue 28 item 7: a step printing more than the executor captures (32 MiB) cut off the phase's end markers, so
 * a migration that committed was reported as failed. A step's output is now relayed up to STEP_OUTPUT_BYTES
 * (its head and tail past that), and the verdict comes whole.
 */
describe('phase output is bounded; a long output never changes a verdict', () => {
  it('a step printing 40 MB (streamed, as migrate-command is) ends with its exit code, and the next step runs', async () => {
    const steps: ScriptStep[] = [
      {
        name: 'print 40 MB',
        // 40 lines of 1 MB each, then a last line: the head and tail of it come back, and exit 0.
        argv: [
          'sh',
          '-c',
          'i=0; while [ $i -lt 40 ]; do head -c 1048576 /dev/zero | tr "\\0" x; echo; i=$((i+1)); done; echo committed'
        ],
        stream: true
      },
      { name: 'after', argv: ['echo', 'next step ran'] }
    ];
    let streamed = 0;
    const run = await runPhase(new LocalExecutor(), 'migrate', steps, 120_000, {
      onStream: (c) => (streamed += c.length)
    });
    expect(run.done).toBe(true);
    expect(run.results.map((r) => [r.name, r.exitCode])).toEqual([
      ['print 40 MB', 0],
      ['after', 0]
    ]);
    const out = run.results[0]!.stdout;
    expect(out.length).toBeLessThan(STEP_OUTPUT_BYTES + 1000);
    expect(out).toMatch(/\[\d+ bytes of output cut\]/);
    expect(out.trim().endsWith('committed')).toBe(true);
    expect(run.results[1]!.stdout.trim()).toBe('next step ran');
    // The whole output was still streamed as it came (the runner's log).
    expect(streamed).toBeGreaterThan(40 * 1024 * 1024);
  }, 180_000);

  it('the migration log relay holds at most one bounded line', () => {
    const lines: string[] = [];
    const l = lineLogger((x) => lines.push(x));
    l.push('x'.repeat(MAX_LINE_CHARS * 3 + 5));
    expect(lines.map((x) => x.length)).toEqual([MAX_LINE_CHARS, MAX_LINE_CHARS, MAX_LINE_CHARS]);
    l.push('tail\nnext');
    l.flush();
    expect(lines.slice(3)).toEqual(['xxxxxtail', 'next']);
  });
});

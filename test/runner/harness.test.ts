import { join } from 'node:path';
import { runAction, parseFileCommand, parseStdout, inputEnvName } from '../../packages/runner/src/index.js';
import { leakedSecrets } from '../support/harness.js';
import { REPO_ROOT } from '../support/paths.js';

const actionDir = join(REPO_ROOT, 'test', 'fixtures', 'echo-action');

describe('the harness runs a node action the way the GitHub runner does', () => {
  it('names inputs the runner way, applies defaults, evaluates github.token, and reads every file command', async () => {
    const run = await runAction({
      actionDir,
      inputs: { who: 'Ada', 'secret-value': 's3cr3t-value' },
      githubToken: 'ghs_tok'
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.message).toBe('hello, Ada');
    expect(run.outputs.multiline).toBe('line one\nEOF\nline three');
    expect(run.outputs['input-env']).toBe(
      'INPUT_FAIL,INPUT_GREETING,INPUT_SECRET-VALUE,INPUT_TOKEN,INPUT_WHO'
    );
    expect(run.exportedEnv).toEqual({ ECHO_EXPORTED: 'yes' });
    expect(run.addedPath).toEqual(['/opt/echo/bin']);
    expect(run.state).toEqual({ 'token-seen': 'yes' });
    expect(run.summary).toContain('greeted Ada');
    expect(run.annotations).toEqual([
      { level: 'warning', message: 'careful', properties: { file: 'app.ts', line: '3' } }
    ]);
    // The mask applies to the log a person sees; the raw stdout shows the secret only where the action leaked it.
    expect(run.masks).toContain('s3cr3t-value');
    expect(run.log).toContain('secret in the log: ***');
    expect(leakedSecrets(run, ['s3cr3t-value'])).toEqual(['stdout contains a secret']);
  });

  it('runs the post step with STATE_* and the exported environment', async () => {
    const run = await runAction({ actionDir, inputs: { who: 'Ada' } });
    expect(run.post?.exitCode).toBe(0);
    expect(run.post?.log).toContain('post saw state token-seen=no and ECHO_EXPORTED=yes');
  });

  it('reports a failed step with exit code 1 and an error annotation; post still runs (post-if defaults to always())', async () => {
    const run = await runAction({ actionDir, inputs: { who: 'Ada', fail: 'true' } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
      'asked to fail: nothing changed'
    ]);
    expect(run.post).toBeDefined();
  });

  it('refuses an input the action does not declare, listing the valid ones', async () => {
    await expect(runAction({ actionDir, inputs: { who: 'Ada', gretting: 'hi' } })).rejects.toThrow(
      /Unexpected input\(s\) 'gretting'.*valid inputs are \['who', 'greeting'/
    );
  });
});

describe('file and workflow command parsing', () => {
  it('parses name=value and heredoc blocks, and refuses an unterminated block', () => {
    expect(parseFileCommand('a=1\nb<<ghadelimiter_x\nx\ny\nghadelimiter_x\nc=\n')).toEqual({
      a: '1',
      b: 'x\ny',
      c: ''
    });
    expect(() => parseFileCommand('b<<END\nnever closed\n')).toThrow(/no closing delimiter/);
  });

  it('unescapes command data and properties and masks later lines', () => {
    const parsed = parseStdout(
      '::add-mask::pw%25\n::error file=a%2Cb.ts,line=2::bad%0Anews\nlogin with pw%\n'
    );
    expect(parsed.masks).toEqual(['pw%']);
    expect(parsed.annotations[0]).toEqual({
      level: 'error',
      message: 'bad\nnews',
      properties: { file: 'a,b.ts', line: '2' }
    });
    expect(parsed.log).toContain('login with ***');
  });

  it('names input variables as the runner does', () => {
    expect(inputEnvName('expect-status')).toBe('INPUT_EXPECT-STATUS');
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT');
  });
});

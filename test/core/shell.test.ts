import { spawnSync } from 'node:child_process';
import { shellJoin, shellQuote } from '../../packages/core/src/index.js';

describe('shellQuote: what its comment says', () => {
  it('leaves an argument of plain characters bare', () => {
    for (const arg of [
      'docker',
      'compose.yml',
      '/var/lib/deploy-actions',
      'KEY=v1.2',
      'user@host:22',
      'a,b+c%'
    ])
      expect([arg, shellQuote(arg)]).toEqual([arg, arg]);
  });

  it('single-quotes every other argument, the empty one included', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('two words')).toBe("'two words'");
    expect(shellQuote('$(reboot)')).toBe("'$(reboot)'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('a real shell gets back exactly the argv it was given, and runs none of it', () => {
    const argv = ['', 'plain', 'two words', "it's", '$(echo pwned)', '`id`', 'a;b', '*', '\n', '"q"', '\\'];
    // printf prints each argument on its own line between markers, so empty and newline arguments show.
    const r = spawnSync('sh', ['-c', `printf '<%s>\\n' ${shellJoin(argv)}`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(argv.map((a) => `<${a}>\n`).join(''));
  });
});

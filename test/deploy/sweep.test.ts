import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepDockerConfigsArgv } from '../../packages/deploy/src/index.js';

/**
 * issue 28 item 9: a run stopped before its `remove the registry login` step left `<root>/.docker-<id>` (a
 * private docker config holding the registry login) on the host. The next prepare removes every one.
 */
describe('leftover registry logins are swept', () => {
  it('removes every .docker-* directory under the app root and nothing else (run here by sh)', () => {
    const root = mkdtempSync(join(tmpdir(), 'errors2-sweep-'));
    try {
      for (const d of ['.docker-20261207T120000Z-ab12', '.docker-20261207T130000Z-cd34-again']) {
        mkdirSync(join(root, d), { mode: 0o700 });
        writeFileSync(join(root, d, 'config.json'), '{"auths":{"r":{"auth":"c2VjcmV0"}}}');
      }
      mkdirSync(join(root, 'releases'));
      writeFileSync(join(root, '.docker-not-a-dir'), 'x');
      const argv = sweepDockerConfigsArgv(root);
      const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
      expect(out.trim().split('\n').sort()).toEqual([
        `removed ${join(root, '.docker-20261207T120000Z-ab12')}`,
        `removed ${join(root, '.docker-20261207T130000Z-cd34-again')}`
      ]);
      expect(readdirSync(root).sort()).toEqual(['.docker-not-a-dir', 'releases']);
      // Nothing to sweep: silent, exit 0.
      expect(execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' })).toBe('');
      rmSync(root, { recursive: true, force: true });
      expect(execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' })).toBe('');
      expect(existsSync(root)).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

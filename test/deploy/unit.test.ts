import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { GATE_INPUT_NAMES } from '../../packages/health/src/index.js';
import { parseReference } from '../../packages/registry/src/index.js';
import { REPO_ROOT } from '../support/paths.js';
import {
  checkEnvAgainstCompose,
  checkEnvAgainstTemplate,
  composeRequiredKeys,
  chooseTarget,
  commitArgv,
  envKeys,
  lockAcquireArgv,
  newReleaseId,
  nginxConf,
  parseImagesInput,
  parseState,
  proxyFiles,
  tarball,
  upstreamConf,
  writeFileArgv,
  type HostState,
  type ReleaseRecord
} from '../../packages/deploy/src/index.js';

const release = (id: string, over: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  id,
  app: 'shop',
  environment: 'prod',
  version: id.slice(-4),
  strategy: 'blue-green',
  images: {},
  digests: {},
  configHash: 'sha256:x',
  actor: 'a',
  runUrl: '',
  createdAt: '',
  status: 'deployed',
  ...over
});

describe('host commands are data', () => {
  it('passes every variable part as a positional argument, never inside the script', () => {
    const evil = "/srv/$(reboot)/a'b";
    for (const argv of [writeFileArgv(evil), lockAcquireArgv(evil), commitArgv(evil, 'releases/x')]) {
      expect(argv[0]).toBe('sh');
      expect(argv[1]).toBe('-c');
      expect(argv[2]).not.toContain(evil);
      expect(argv.slice(3)).toContain(evil);
    }
  });

  it('writes a tarball GNU tar extracts byte for byte, with 0600 files', () => {
    const dir = mkdtempSync('/tmp/deploy-actions-test-deploy-tar-');
    try {
      const env = 'TOKEN=s3cr3t\nMULTI="a b"\n';
      const big = 'x'.repeat(1500);
      execFileSync('tar', ['-xf', '-', '-C', dir], {
        input: tarball([
          { path: 'releases/r1/.env', content: env },
          { path: 'big.txt', content: big }
        ])
      });
      expect(readFileSync(join(dir, 'releases/r1/.env'), 'utf8')).toBe(env);
      expect(readFileSync(join(dir, 'big.txt'), 'utf8')).toBe(big);
      expect(
        execFileSync('stat', ['-c', '%a', join(dir, 'releases/r1/.env')], { encoding: 'utf8' }).trim()
      ).toBe('600');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => tarball([{ path: '../etc/passwd', content: '' }])).toThrow(/unsupported path/);
  });

  it('renders an nginx config that owns the public port and an upstream per slot', () => {
    const files = proxyFiles('/s/shop/prod/proxy');
    const conf = nginxConf(files, '127.0.0.1', 8080);
    expect(conf).toContain('listen 127.0.0.1:8080;');
    expect(conf).toContain('include /s/shop/prod/proxy/upstream.conf;');
    expect(conf).toContain('pid /s/shop/prod/proxy/nginx.pid;');
    expect(upstreamConf(8082, 'r2', 'green')).toBe('# release r2, slot green\nserver 127.0.0.1:8082;\n');
  });
});

describe('releases', () => {
  it('ids sort in time order', () => {
    const a = newReleaseId(new Date('2026-11-23T09:15:02.123Z'), 'aaaa');
    const b = newReleaseId(new Date('2026-11-23T10:00:00Z'), '0000');
    expect(a).toBe('20261123T091502Z-aaaa');
    expect([b, a].sort()).toEqual([a, b]);
  });

  it('parses the host state, skipping torn files and ids that are not release ids', () => {
    const [r1, r2] = ['20261123T091502Z-aaaa', '20261123T100000Z-0000'];
    const state = parseState(
      [
        `current\treleases/${r2}`,
        `active\t{"release":"${r2}","strategy":"blue-green","project":"p","slot":"green","port":2,"since":""}`,
        `release\t${JSON.stringify(release(r2))}`,
        'release\t{"id":',
        `release\t${JSON.stringify(release(r1))}`,
        // Read back from the host, an id feeds `rm -rf`: anything but a release id is no release.
        `release\t${JSON.stringify(release('../../..'))}`,
        `leftover\t20261101T000000Z-dead`,
        'leftover\t../x',
        ''
      ].join('\n')
    );
    expect(state.current).toBe(r2);
    expect(state.active?.slot).toBe('green');
    expect(state.releases.map((r) => r.id)).toEqual([r1, r2]);
    expect(state.leftovers).toEqual(['20261101T000000Z-dead']);
  });

  it('rolls back to the previous release by default, to an id or a version on request, never to a failed one', () => {
    const state: HostState = {
      active: { release: 'r4', strategy: 'blue-green', project: 'p', since: '' },
      releases: [
        release('r1', { version: '1.0.0' }),
        release('r2', { version: '1.1.0' }),
        release('r3', { status: 'failed' }),
        release('r4', { previous: 'r2' })
      ]
    };
    expect(chooseTarget(state, undefined)).toMatchObject({ id: 'r2' });
    expect(chooseTarget(state, '1.0.0')).toMatchObject({ id: 'r1' });
    expect(chooseTarget(state, 'r1')).toMatchObject({ id: 'r1' });
    expect(chooseTarget(state, 'r3')).toEqual({ problem: 'release r3 never served (status failed)' });
    expect(chooseTarget(state, 'r4')).toEqual({ problem: 'release r4 is already serving' });
    expect(chooseTarget(state, 'nope')).toEqual({ problem: 'no release nope on the host' });
    expect(chooseTarget({ releases: [] }, undefined)).toEqual({ problem: 'nothing was ever deployed here' });
  });
});

describe('inputs checked before the host is touched', () => {
  it('finds env keys missing from the template without showing values', () => {
    expect(envKeys('# c\nexport A=1\nB = 2\n\nC=\n')).toEqual(['A', 'B', 'C']);
    expect(() => checkEnvAgainstTemplate('A=secret-value\n', 'A=\nB=\nC=example\n')).toThrow(
      "Input 'env-file': misses keys B, C listed in env-template"
    );
    try {
      checkEnvAgainstTemplate('A=secret-value\nnot a line\n', 'A=');
    } catch (err) {
      expect((err as Error).message).toContain('line 2 is not KEY=value');
      expect((err as Error).message).not.toContain('secret-value');
    }
  });

  it('issue 32: names the keys the compose file requires (${NAME:?…}) that the env file lacks', () => {
    const compose = 'x: ${A:?set A}\ny: ${B?}\nz: ${C:-d} $${D:?} $$$${E:?} ${F}\np: ${PORT:?}\n';
    expect(composeRequiredKeys(compose)).toEqual(['A', 'B', 'PORT']);
    expect(() => checkEnvAgainstCompose('A=secret-value\n', [compose], ['PORT'])).toThrow(
      "Input 'env-file': misses key B that compose-file requires"
    );
    expect(() => checkEnvAgainstCompose('A=1\nB=2\n', [compose], ['PORT'])).not.toThrow();
    try {
      checkEnvAgainstCompose('A=secret-value\n', ['a: ${B:?}', 'b: ${G:?}'], []);
    } catch (err) {
      expect((err as Error).message).toContain('misses keys B, G');
      expect((err as Error).message).not.toContain('secret-value');
    }
  });

  it('splits image references like docker (through packages/registry, the one reference grammar)', () => {
    expect(parseReference('127.0.0.1:5055/deploy/app:v1')).toMatchObject({
      registry: '127.0.0.1:5055',
      repository: 'deploy/app',
      tag: 'v1'
    });
    expect(parseReference('nginx')).toMatchObject({
      registry: 'docker.io',
      repository: 'library/nginx'
    });
    const d = 'sha256:' + 'a'.repeat(64);
    expect(parseReference(`ghcr.io/o/app:1.2@${d}`)).toMatchObject({
      registry: 'ghcr.io',
      repository: 'o/app',
      digest: d
    });
    expect(() => parseImagesInput(new Map([['web', 'ghcr.io/o/app@sha256:zz']]), ['web'])).toThrow(
      /Input 'images'.*digest/
    );
  });
});

describe('action contracts embed the whole health gate', () => {
  it.each(['deploy-compose', 'rollback'])('%s declares health-<every gate input>', (name) => {
    const meta = parseYaml(readFileSync(join(REPO_ROOT, name, 'action.yml'), 'utf8')) as {
      inputs: Record<string, unknown>;
    };
    const declared = Object.keys(meta.inputs).filter((k) => k.startsWith('health-'));
    expect(declared.sort()).toEqual(GATE_INPUT_NAMES.map((n) => `health-${n}`).sort());
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeployError,
  InputError,
  InputReader,
  LocalExecutor,
  silentLogger
} from '../../packages/core/src/index.js';
import { maskHostSecrets } from '../../actions/common/host.js';
import { parseComposeFile, volumesOverride, composeConfigArgv } from '../../packages/compose/src/index.js';
import {
  PhaseResult,
  checkSteps,
  checkedTools,
  decodeWaitReady,
  pickDigest,
  type Host,
  environmentSlug,
  prunePlan,
  readConnection,
  readTarget,
  stillRunningArgv,
  waitReadyArgv,
  type ReleaseRecord
} from '../../packages/deploy/src/index.js';
import { SshExecutor, runPhase, sshCommandArgv } from '../../packages/ssh/src/index.js';

const reader = (values: Record<string, string>) => new InputReader((n) => values[n] ?? '');
const base = { app: 'shop', host: 'web1.example.com', 'public-port': '8080' };
const refused = (over: Record<string, string>, input: string): void => {
  let err: unknown;
  try {
    readTarget(reader({ ...base, ...over }));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).input).toBe(input);
};

describe('bad input is refused before anything changes', () => {
  it('a host or jump host starting with - (ssh would read it as an option)', async () => {
    refused({ host: '-oProxyCommand=touch /tmp/x' }, 'host');
    refused({ host: 'ok.example.com\n-p2222' }, 'host');
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n';
    const connection = (jump: string) =>
      reader({ 'ssh-key': key, 'host-fingerprint': `SHA256:${'A'.repeat(43)}`, 'jump-host': jump });
    expect(readConnection(connection('deploy@bastion.example.com:22')).jumpHost).toBe(
      'deploy@bastion.example.com:22'
    );
    for (const jump of ['-oProxyCommand=touch /tmp/x', '-J', 'bastion\n-oProxyCommand=x']) {
      expect(() => readConnection(connection(jump))).toThrow(InputError);
      expect(() => readConnection(connection(jump))).toThrow("Input 'jump-host'");
    }
    // The executor refuses it too, for callers that do not come through the inputs (the CLI, tests).
    const connecting = SshExecutor.connect({
      host: 'web1.example.com',
      privateKey: key,
      knownHosts: 'web1.example.com ssh-ed25519 AAAA',
      jumpHost: '-oProxyCommand=touch /tmp/x'
    });
    await expect(connecting).rejects.toThrow(InputError);
    await expect(connecting).rejects.toMatchObject({ input: 'jump-host' });
  });

  it('proxy-bind must be an address; state-dir plain (it is written into nginx.conf)', () => {
    refused({ 'proxy-bind': '127.0.0.1; include /etc/passwd' }, 'proxy-bind');
    refused({ 'proxy-bind': 'localhost' }, 'proxy-bind');
    for (const dir of ['/srv/my apps', "/srv/it's", '/srv/a;b', '/srv/{x}', '/srv/"q"'])
      refused({ 'state-dir': dir }, 'state-dir');
    expect(readTarget(reader({ ...base, 'proxy-bind': '::' })).proxyBind).toBe('::');
  });

  it('durations are capped: 600h would overflow the timer and fire at once', () => {
    refused({ timeout: '600h' }, 'timeout');
    refused({ 'start-timeout': '25h' }, 'start-timeout');
    expect(readTarget(reader({ ...base, timeout: '2h' })).timeoutMs).toBe(7_200_000);
  });

  it('GitHub environment names map to a slug for paths and projects; both are kept', () => {
    expect(environmentSlug('Staging EU')).toBe('staging-eu');
    const t = readTarget(reader({ ...base, environment: 'Production' }));
    expect(t).toMatchObject({ environment: 'Production', environmentSlug: 'production' });
    refused({ environment: 'prod/../x' }, 'environment');
  });
});

describe('argv of the host-side loops', () => {
  it('passes every variable part as a positional argument', () => {
    const evil = "p'; touch /tmp/pwned; '";
    for (const argv of [waitReadyArgv(evil, 5, ['curl', 'http://h/`id`']), stillRunningArgv(evil, 2, 1)]) {
      expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
      expect(argv[2]).not.toContain('pwned');
      expect(argv).toContain(evil);
    }
  });

  it('a wait loop on the host reports a project with no containers as not running when its deadline passes', () => {
    let out = '';
    try {
      execFileSync(
        waitReadyArgv('deploy-none-such-project', 1)[0]!,
        waitReadyArgv('deploy-none-such-project', 1).slice(1),
        {
          encoding: 'utf8'
        }
      );
    } catch (e) {
      out = String((e as { stdout?: string }).stdout);
      expect((e as { status?: number }).status).toBe(5);
    }
    expect(out).toContain('timeout states');
    expect(decodeWaitReady(5, out)).toEqual({ kind: 'states-timeout', containers: [] });
  });

  describe('wait-ready.sh against a stand-in docker, decoded by kind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-wait-ready-'));
    const states = join(dir, 'states');
    writeFileSync(
      join(dir, 'docker'),
      '#!/bin/sh\ncase "$1" in ps) echo c0ffee;; inspect) cat "$STATES";; logs) echo "boom: no config";; esac\n',
      { mode: 0o755 }
    );
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const wait = (state: string, check: string[] = []) => {
      writeFileSync(states, state);
      const argv = waitReadyArgv('engine-wait', 1, check);
      try {
        const stdout = execFileSync(argv[0]!, argv.slice(1), {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, STATES: states }
        });
        return decodeWaitReady(0, stdout);
      } catch (e) {
        const err = e as { status: number; stdout: string };
        return decodeWaitReady(err.status, err.stdout);
      }
    };

    it('ready when every container runs and the check passes twice', () => {
      expect(wait('c0ffee running - 0 0 /shop-web-1\n', ['true'])).toEqual({ kind: 'ready' });
    });

    it('crashed, with the container and its last log lines', () => {
      expect(wait('c0ffee exited - 0 1 /shop-web-1\n')).toEqual({
        kind: 'crashed',
        container: {
          id: 'c0ffee',
          status: 'exited',
          health: '-',
          restarts: 0,
          exitCode: 1,
          name: 'shop-web-1'
        },
        logs: ['boom: no config']
      });
    });

    it('unhealthy, naming the container', () => {
      expect(wait('c0ffee running unhealthy 0 0 /shop-web-1\n')).toEqual({
        kind: 'unhealthy',
        container: '/shop-web-1'
      });
    });

    it('the check still failing at the deadline, with its exit code', () => {
      expect(wait('c0ffee running healthy 0 0 /shop-web-1\n', ['sh', '-c', 'exit 7'])).toEqual({
        kind: 'check-timeout',
        checkExit: '7'
      });
    });

    it('still-running.sh: passes while every container runs, prints the states when one restarted', () => {
      const still = (state: string) => {
        writeFileSync(states, state);
        const argv = stillRunningArgv('engine-wait', 2, 0);
        try {
          execFileSync(argv[0]!, argv.slice(1), {
            encoding: 'utf8',
            env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, STATES: states }
          });
          return 'ok';
        } catch (e) {
          return `exit ${(e as { status: number }).status}: ${(e as { stdout: string }).stdout.trim()}`;
        }
      };
      expect(still('c0ffee running healthy 0 0 /shop-web-1\n')).toBe('ok');
      expect(still('c0ffee running - 1 0 /shop-web-1\n')).toBe('exit 1: c0ffee running - 1 0 /shop-web-1');
    });

    it('containers not running by the deadline, with their states', () => {
      expect(wait('c0ffee created starting 0 0 /shop-web-1\n')).toMatchObject({
        kind: 'states-timeout',
        containers: [{ name: 'shop-web-1', status: 'created', health: 'starting' }]
      });
    });
  });

  it('anything else the wait printed is a failure with its exit code and output', () => {
    expect(decodeWaitReady(127, 'sh: docker: not found\n')).toEqual({
      kind: 'failed',
      exitCode: 127,
      output: 'sh: docker: not found'
    });
  });

  it('every ssh argv puts -- before the host', () => {
    const s = {
      configFile: '/t/c',
      identityFile: '/t/id',
      knownHostsFile: '/t/kh',
      controlPath: '/t/cm',
      connectTimeoutS: 5,
      serverAliveIntervalS: 5,
      serverAliveCountMax: 3,
      controlPersistS: 60
    };
    const argv = sshCommandArgv(s, { host: 'h', port: 22, user: 'u' }, ['true']);
    expect(argv[argv.indexOf('h') - 1]).toBe('--');
  });
});

describe('named volumes and compose config', () => {
  it('pins every named volume shared by both slots, leaving external and named ones alone', () => {
    const info = parseComposeFile(
      'services:\n  web:\n    image: x\nvolumes:\n  data: {}\n  cache:\n  ext:\n    external: true\n  own:\n    name: mine\n'
    );
    expect(info.volumes).toEqual(['data', 'cache']);
    expect(volumesOverride(info, 'shop-production')).toBe(
      '# written by deploy-actions: named volumes shared by every release and slot\nvolumes:\n  "data":\n    name: "shop-production_data"\n  "cache":\n    name: "shop-production_cache"\n'
    );
    expect(volumesOverride(parseComposeFile('services:\n  web:\n    image: x\n'), 'p')).toBeUndefined();
  });

  it('compose config runs on the host with every file, for v1 and v2', () => {
    const p = { project: 'shop-production', files: ['/r/compose.yml', '/r/compose.images.yml'] };
    expect(composeConfigArgv({ generation: 'v2', version: '2.29.1' }, p)).toEqual([
      'docker',
      'compose',
      '-p',
      'shop-production',
      '-f',
      '/r/compose.yml',
      '-f',
      '/r/compose.images.yml',
      'config',
      '-q'
    ]);
    expect(composeConfigArgv({ generation: 'v1', version: '1.29.2' }, p).slice(0, 2)).toEqual([
      'docker-compose',
      '-p'
    ]);
  });
});

describe('retention and digests', () => {
  const rel = (id: string, digest: string, over: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
    id,
    app: 'a',
    environment: 'e',
    version: id,
    strategy: 'blue-green',
    images: {},
    digests: { web: digest },
    configHash: 'sha256:x',
    actor: 'a',
    runUrl: '',
    createdAt: '',
    status: 'deployed',
    ...over
  });

  it('keeps the newest, the activated and the one it replaced; drops images only dropped releases used', () => {
    const known = { releases: [rel('r1', 'i1'), rel('r2', 'i2'), rel('r3', 'i1')] };
    const plan = prunePlan(known, rel('r4', 'i4', { previous: 'r1' }), 1);
    expect(plan).toEqual({ drop: ['r2', 'r3'], images: ['i2'], tags: {} });
    expect(prunePlan(known, rel('r4', 'i4'), 5)).toEqual({ drop: [], images: [], tags: {} });
  });

  it('names the tag a dropped image was pulled by, so that its removal is not a mere untag (issue 28 item 10)', () => {
    const known = {
      releases: [
        rel('r1', 'reg/app@sha256:1', { images: { web: 'reg/app:v1' } }),
        rel('r2', 'reg/app@sha256:2', { images: { web: 'reg/app@sha256:2' } }),
        rel('r3', 'reg/app@sha256:3', { images: { web: 'reg/app:v3' } })
      ]
    };
    const plan = prunePlan(
      known,
      rel('r4', 'reg/app@sha256:3', { images: { web: 'reg/app:v3' }, previous: 'r3' }),
      1
    );
    expect(plan.drop).toEqual(['r1', 'r2']);
    // r3's image is the activated release's: neither it nor its tag goes.
    expect(plan.images).toEqual(['reg/app@sha256:1', 'reg/app@sha256:2']);
    expect(plan.tags).toEqual({ 'reg/app@sha256:1': 'reg/app:v1' });
  });

  it('picks the pulled repository digest through the registry reference grammar', () => {
    const d = 'sha256:' + 'a'.repeat(64);
    const inspect = `["other.example/x@sha256:${'b'.repeat(64)}","127.0.0.1:5055/deploy/app@${d}"] sha256:id`;
    expect(pickDigest('127.0.0.1:5055/deploy/app:v1', inspect)).toBe(`127.0.0.1:5055/deploy/app@${d}`);
    expect(pickDigest('nginx:1.27', `["nginx@${d}"] sha256:id`)).toBe(`nginx@${d}`);
    expect(pickDigest('x:1', '[] sha256:id')).toBe('sha256:id');
  });
});

describe('secrets and permissions', () => {
  it('deploy-compose and rollback mask user:pass@ in health-url and health-prometheus-url', () => {
    const masked: string[] = [];
    maskHostSecrets(
      {
        inputs: reader({
          'ssh-key':
            '-----BEGIN OPENSSH PRIVATE KEY-----\nabcdefgh12345678\n-----END OPENSSH PRIVATE KEY-----',
          'health-url': 'https://probe:s3cr%40t-pw@shop.example.com/up',
          'health-prometheus-url': 'https://prom:prom-pw-9@prom.example.com'
        }),
        secret: (v) => v && masked.push(v)
      },
      []
    );
    expect(masked).toEqual(expect.arrayContaining(['s3cr%40t-pw', 's3cr@t-pw', 'prom-pw-9']));
  });

  it('a user who may not use docker is refused in the open phase, with the fix, before anything changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'da-nodocker-'));
    try {
      // A docker client that answers as the real one does for a user outside the docker group.
      writeFileSync(
        join(dir, 'docker'),
        '#!/bin/sh\necho "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock" >&2\nexit 1\n',
        { mode: 0o755 }
      );
      const local = new LocalExecutor({ env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` } });
      const steps = [
        ...checkSteps(true),
        { name: 'create state-dir', argv: ['mkdir', '-p', join(dir, 'state')] }
      ];
      const run = await runPhase(local, 'open', steps, 30_000);
      expect(run.results.map((r) => r.name)).toEqual(['docker']);
      expect(existsSync(join(dir, 'state'))).toBe(false);
      const host = { name: 'web1', logger: silentLogger } as unknown as Host;
      let err: unknown;
      try {
        checkedTools(host, new PhaseResult(run, host), 'deploy');
      } catch (e) {
        err = e;
      }
      expect((err as Error).message).toContain('Docker does not answer on web1: permission denied');
      expect((err as DeployError).hint).toContain('sudo usermod -aG docker deploy');
      expect((err as DeployError).state).toBe('nothing was changed on the host');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

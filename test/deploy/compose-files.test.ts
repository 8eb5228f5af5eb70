import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, InputReader } from '../../packages/core/src/index.js';
import { composeConfigArgv, parseComposeFiles } from '../../packages/compose/src/index.js';
import {
  deploy,
  includedFiles,
  includedPaths,
  readDeployInputs,
  releaseFiles,
  rollback,
  type DeploySpec
} from '../../packages/deploy/src/index.js';
import { integrationOn } from '../support/compose-hosts.js';
import {
  COMPOSE,
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  rollbackSpec,
  target,
  version
} from './support.js';

const BASE = `services:
  web:
    image: ${IMAGE_REPO}:v1
    network_mode: host
    stop_grace_period: 2s
    environment:
      PORT: \${PORT:-8080}
      MODE: development
      LOG_LEVEL: debug
`;

/** The production override: changes one variable, adds another, adds a label. */
const PRODUCTION = `services:
  web:
    environment:
      MODE: production
      REGION: eu-1
    labels:
      shop.tier: production
`;

describe('several compose files: the runner reads them, the host resolves them', () => {
  it('reads each file in order; a later file sets what it names and adds services', () => {
    const info = parseComposeFiles([
      BASE,
      `services:\n  web:\n    image: r/web:2\n  worker:\n    image: r/worker:1\n    network_mode: host\n`
    ]);
    expect(info.services).toEqual(['web', 'worker']);
    expect(info.images).toEqual({ web: 'r/web:2', worker: 'r/worker:1' });
    expect(info.networkModes).toEqual({ web: 'host', worker: 'host' });
    // An override may hold no services; the first file must define some (or include files that do).
    expect(parseComposeFiles([BASE, 'volumes:\n  data: {}\n']).volumes).toEqual(['data']);
    expect(() => parseComposeFiles(['volumes: {}\n'])).toThrow(/defines no services/);
    expect(parseComposeFiles(['include:\n  - db.yml\n']).include).toBe(true);
  });

  it('compose gets every file with -f, in order, for v2 and v1', () => {
    const p = {
      project: 'shop-production',
      files: ['/r/compose.yml', '/r/compose.2.yml', '/r/compose.images.yml']
    };
    expect(composeConfigArgv({ generation: 'v2', version: '2.29.1' }, p)).toEqual([
      'docker',
      'compose',
      '-p',
      'shop-production',
      '-f',
      '/r/compose.yml',
      '-f',
      '/r/compose.2.yml',
      '-f',
      '/r/compose.images.yml',
      'config',
      '-q'
    ]);
    expect(composeConfigArgv({ generation: 'v1', version: '1.29.2' }, p).slice(0, 6)).toEqual([
      'docker-compose',
      '-p',
      'shop-production',
      '-f',
      '/r/compose.yml',
      '-f'
    ]);
  });

  it('the release keeps the further files after compose.yml, before the deploy’s own overrides', () => {
    const d = deploySpec('fa-cf', '/s', 18860, { composeText: BASE, composeMore: [PRODUCTION] });
    const files = releaseFiles(d, parseComposeFiles([BASE, PRODUCTION]), []);
    expect(files.overrides).toEqual(['compose.2.yml', 'compose.images.yml']);
    expect(files.extra).toEqual([{ name: 'compose.2.yml', content: PRODUCTION }]);
    // One file: the release looks as it always did.
    expect(releaseFiles(deploySpec('fa-cf', '/s', 18860), parseComposeFiles([COMPOSE]), [])).toEqual({
      extra: []
    });
  });

  it('compose-file takes a list (comma or newline); each file must exist', () => {
    const ws = mkdtempSync(join(tmpdir(), 'da-compose-files-'));
    writeFileSync(join(ws, 'compose.yml'), BASE);
    writeFileSync(join(ws, 'compose.production.yml'), PRODUCTION);
    const read = (over: Record<string, string>) => {
      const all: Record<string, string> = {
        host: 'web1.example.com',
        'ssh-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----',
        'known-hosts': 'web1.example.com ssh-ed25519 AAAA',
        app: 'shop',
        ...over
      };
      return readDeployInputs(new InputReader((n) => all[n] ?? ''), { workspace: ws }, { sha: 'abc1234' });
    };
    try {
      const spec = read({ 'compose-file': 'compose.yml, compose.production.yml' }).spec;
      expect(spec.composeText).toBe(BASE);
      expect(spec.composeMore).toEqual([PRODUCTION]);
      expect(read({ 'compose-file': 'compose.yml\ncompose.production.yml' }).spec.composeMore).toEqual([
        PRODUCTION
      ]);
      expect(read({}).spec.composeMore).toBeUndefined();
      expect(() => read({ 'compose-file': 'compose.yml, compose.staging.yml' })).toThrow(
        /Input 'compose-file': compose.staging.yml does not exist/
      );
      expect(() => read({ 'compose-file': 'compose.yml, compose.yml' })).toThrow(InputError);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});

function envOf(project: string): string[] {
  const id = execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`], {
    encoding: 'utf8'
  }).trim();
  return JSON.parse(
    execFileSync('docker', ['inspect', '--format', '{{json .Config.Env}}', id], { encoding: 'utf8' })
  ) as string[];
}

describe('include: the included files ship with the release', () => {
  it('reads every form of `include:` and refuses paths that cannot ship', () => {
    expect(
      includedPaths([
        'include:\n  - db.yml\n  - path: ./cache/compose.cache.yml\n  - path: [a.yml, db.yml]\nservices:\n  web:\n    image: x\n',
        'services:\n  web:\n    image: y\n'
      ])
    ).toEqual(['db.yml', 'cache/compose.cache.yml', 'a.yml']);
    expect(includedPaths(['services:\n  web:\n    image: x\n'])).toEqual([]);
    expect(() => includedPaths(['include:\n  - ../shared/db.yml\n'])).toThrow(
      /Input 'compose-file': `include: \.\.\/shared\/db\.yml` is not a path inside/
    );
    expect(() => includedPaths(['include:\n  - /etc/db.yml\n'])).toThrow(/not a path inside/);
    expect(() => includedPaths(['include:\n  - compose.2.yml\n'])).toThrow(/keeps for its own files/);
    expect(() => includedPaths(['include: db.yml\n'])).toThrow(/is not a list/);
  });

  it('reads them from the compose file’s directory; a missing one is refused before any host is touched', () => {
    const work = mkdtempSync(join(tmpdir(), 'compose-v2-incu-'));
    try {
      writeFileSync(join(work, 'db.yml'), 'services:\n  db:\n    image: x\n');
      const text = 'include:\n  - db.yml\nservices:\n  web:\n    image: y\n';
      expect(includedFiles(work, [text])).toEqual([
        { name: 'db.yml', content: Buffer.from('services:\n  db:\n    image: x\n'), public: false }
      ]);
      expect(includedFiles(undefined, [text])).toEqual([]);
      expect(() => includedFiles(work, ['include:\n  - gone.yml\n'])).toThrow(
        /`include: gone\.yml` names a file that is not in/
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

/** A compose.yml that includes a sidecar from its own directory (Compose v2.20+), next to the web service. */
const INCLUDING = `include:
  - sidecar.yml
${COMPOSE}`;
const SIDECAR = `services:
  sidecar:
    image: ${IMAGE_REPO}:v1
    network_mode: host
    command: ['sleep', '3600']
`;

function services(project: string): string[] {
  return execFileSync(
    'docker',
    [
      'ps',
      '--filter',
      `label=com.docker.compose.project=${project}`,
      '--format',
      '{{.Label "com.docker.compose.service"}}'
    ],
    { encoding: 'utf8' }
  )
    .split('\n')
    .filter(Boolean)
    .sort();
}

integrationOn('several compose files and include on a field host (non-root, far link)', [0, 3], () => {
  const dir = target(0).stateDir;
  const legacy = target(3);
  let work: string;
  beforeAll(() => {
    buildImages();
    work = mkdtempSync(join(tmpdir(), 'compose-v2-inc-'));
    writeFileSync(join(work, 'compose.yml'), INCLUDING);
    writeFileSync(join(work, 'sidecar.yml'), SIDECAR);
  });
  afterAll(() => {
    for (const app of ['fa-cf', 'fa-cfinc2']) cleanup(dir, app);
    cleanup(legacy.stateDir, 'fa-cfinc');
    rmSync(work, { recursive: true, force: true });
  });

  const spec = (app: string, port: number, over: Partial<DeploySpec> = {}) =>
    deploySpec(app, dir, port, { lockStaleMs: 600_000, ...over });

  it('compose.yml + compose.production.yml deploys the merged result, in every slot and on rollback', async () => {
    const app = 'fa-cf';
    const port = 18840;
    const base = spec(app, port, { composeText: BASE, composeMore: [PRODUCTION] });
    const first = await deploy(base, deps());
    expect(first.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
    const env = envOf(`${app}-test-blue`);
    expect(env).toEqual(
      expect.arrayContaining(['MODE=production', 'REGION=eu-1', 'LOG_LEVEL=debug', `PORT=${port + 1}`])
    );
    expect(existsSync(join(dir, app, 'test', 'releases', first.releaseId, 'compose.2.yml'))).toBe(true);

    const second = await deploy({ ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }, deps());
    expect(second.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');
    expect(envOf(`${app}-test-green`)).toEqual(
      expect.arrayContaining(['MODE=production', 'REGION=eu-1', `PORT=${port + 2}`])
    );

    // Rollback re-activates the earlier release with its own files, merged the same way.
    const rb = await rollback(rollbackSpec(base), deps());
    expect(rb.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
    expect(envOf(`${app}-test-blue`)).toEqual(expect.arrayContaining(['MODE=production', 'REGION=eu-1']));
  }, 200_000);

  it('an `include` ships the included file and runs on Compose v2, in every slot and on rollback', async () => {
    const app = 'fa-cfinc2';
    const port = 18860;
    const base = spec(app, port, { composeText: INCLUDING, composeDir: work });
    const first = await deploy(base, deps());
    expect(first.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
    expect(services(`${app}-test-blue`)).toEqual(['sidecar', 'web']);
    const shipped = join(dir, app, 'test', 'releases', first.releaseId, 'sidecar.yml');
    expect(readFileSync(shipped, 'utf8')).toBe(SIDECAR);
    expect(statSync(shipped).mode & 0o777).toBe(0o600);

    const second = await deploy({ ...base, version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }, deps());
    expect(second.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v2');
    expect(services(`${app}-test-green`)).toEqual(['sidecar', 'web']);

    const rb = await rollback(rollbackSpec(base), deps());
    expect(rb.error?.describe()).toBeUndefined();
    expect(await version(port)).toBe('v1');
    expect(services(`${app}-test-blue`)).toEqual(['sidecar', 'web']);
  }, 300_000);

  it('an `include` on docker-compose v1 (the legacy host) is refused with both versions and the fix, before anything changes', async () => {
    const app = 'fa-cfinc';
    const d = deps();
    const out = await deploy(
      deploySpec(app, legacy.stateDir, 18850, {
        hosts: [`127.0.0.1:${legacy.port}`],
        lockStaleMs: 600_000,
        composeText: INCLUDING,
        composeDir: work
      }),
      d
    );
    expect(out.ok).toBe(false);
    const text = out.error!.describe();
    expect(text).toMatch(
      /uses the top-level `include:`, which docker-compose 1\.\d+\.\d+ \(v1\) on .*:2244 cannot resolve: it needs docker compose 2\.20\.0 or later/
    );
    expect(text).toMatch(/nothing was changed on the host/);
    expect(text).toMatch(/Compose v2 plugin 2\.20\.0 or later/);
    expect(existsSync(join(legacy.stateDir, app, 'test', 'releases', out.releaseId))).toBe(false);
    expect(existsSync(join(legacy.stateDir, app, 'test', 'lock'))).toBe(false);
  }, 100_000);
});

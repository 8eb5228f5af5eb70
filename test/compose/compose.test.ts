import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalExecutor } from '../../packages/core/src/index.js';
import {
  COMPOSE_FEATURES,
  compareComposeVersions,
  composeConfigArgv,
  composeDownArgv,
  composeTooOld,
  composeVersion,
  featuresUsed,
  composePsArgv,
  composePullArgv,
  composeUpArgv,
  detectCompose,
  imagesOverride,
  normaliseProjectName,
  parseComposeFile,
  parseDetect,
  type ComposeProject,
  type ComposeTool
} from '../../packages/compose/src/index.js';
import { loginArgv, pullArgv, withDockerConfig } from '../../packages/docker/src/index.js';
import { NAME, projectName } from '../../packages/deploy/src/index.js';
import { integration } from '../support/infra.js';

const v2: ComposeTool = { generation: 'v2', version: '2.29.1' };
const v1: ComposeTool = { generation: 'v1', version: '1.29.2' };
const project: ComposeProject = {
  project: 'shop-prod-blue',
  files: ['/r/compose.yml', '/r/compose.images.yml'],
  vars: { PORT: '8081' }
};

describe('compose argv, both generations', () => {
  it('puts project, files and interpolation vars in front of the subcommand', () => {
    expect(composeUpArgv(v2, project, { noDeps: true, services: ['web'] })).toEqual([
      'env',
      'PORT=8081',
      'docker',
      'compose',
      '-p',
      'shop-prod-blue',
      '-f',
      '/r/compose.yml',
      '-f',
      '/r/compose.images.yml',
      'up',
      '-d',
      '--no-deps',
      'web'
    ]);
    expect(composeUpArgv(v1, { project: 'p', files: ['c.yml'] })).toEqual([
      'docker-compose',
      '-p',
      'p',
      '-f',
      'c.yml',
      'up',
      '-d'
    ]);
  });

  it('--wait only on v2; v1 has none', () => {
    expect(composeUpArgv(v2, { project: 'p', files: ['c.yml'] }, { wait: true })).toEqual([
      'docker',
      'compose',
      '-p',
      'p',
      '-f',
      'c.yml',
      'up',
      '-d',
      '--wait'
    ]);
    expect(() => composeUpArgv(v1, { project: 'p', files: ['c.yml'] }, { wait: true })).toThrow(
      /docker-compose 1\.29\.2 \(v1\) has no --wait/
    );
  });

  it('builds config -q, pull, ps, down', () => {
    const p = { project: 'p', files: ['c.yml'], envFile: '/r/.env' };
    expect(composeConfigArgv(v1, p)).toEqual([
      'docker-compose',
      '-p',
      'p',
      '-f',
      'c.yml',
      '--env-file',
      '/r/.env',
      'config',
      '-q'
    ]);
    expect(composePullArgv(v2, p, ['web'])).toEqual([
      'docker',
      'compose',
      '-p',
      'p',
      '-f',
      'c.yml',
      '--env-file',
      '/r/.env',
      'pull',
      'web'
    ]);
    expect(composePsArgv(v2, { project: 'p', files: ['c.yml'] }, { all: true })).toEqual([
      'docker',
      'compose',
      '-p',
      'p',
      '-f',
      'c.yml',
      'ps',
      '-q',
      '-a'
    ]);
    expect(
      composeDownArgv(v1, { project: 'p', files: ['c.yml'] }, { removeOrphans: true, timeoutS: 5 })
    ).toEqual(['docker-compose', '-p', 'p', '-f', 'c.yml', 'down', '--remove-orphans', '-t', '5']);
  });

  it('reads which generation answered', () => {
    expect(parseDetect('Docker Compose version v2.29.1\ngeneration v2\n')).toEqual({
      generation: 'v2',
      version: '2.29.1'
    });
    expect(
      parseDetect(
        "docker: 'compose' is not a docker command.\ndocker-compose version 1.29.2, build unknown\ndocker-py version: 5.0.3\ngeneration v1"
      )
    ).toEqual({ generation: 'v1', version: '1.29.2' });
    expect(parseDetect('sh: docker-compose: not found\nPATH=/usr/bin\ngeneration none')).toHaveProperty(
      'tried'
    );
  });

  it('reads services, images and what prevents running twice side by side', () => {
    const info = parseComposeFile(
      'services:\n  web:\n    image: app:1\n    container_name: web\n  worker:\n    build: .\n    ports: ["80:80"]\n'
    );
    expect(info).toEqual({
      services: ['web', 'worker'],
      volumes: [],
      images: { web: 'app:1', worker: undefined },
      containerNames: ['web'],
      publishing: ['worker'],
      building: ['worker'],
      networkModes: { web: undefined, worker: undefined },
      include: false,
      dependsOn: {}
    });
    expect(() => parseComposeFile('services: [')).toThrow(/Input 'compose-file': is not valid YAML/);
    expect(() => parseComposeFile('version: "3"\n')).toThrow(/defines no services/);
    expect(imagesOverride({ web: 'r/app@sha256:abc' })).toContain(
      '  "web":\n    image: "r/app@sha256:abc"\n'
    );
  });
});

describe('compose versions: major.minor.patch only', () => {
  it("reads Debian's plugin version as the release it packages, not as a prerelease", () => {
    expect(parseDetect('Docker Compose version 2.26.1-4\ngeneration v2\n')).toEqual({
      generation: 'v2',
      version: '2.26.1-4'
    });
    expect(composeVersion('2.26.1-4')).toEqual([2, 26, 1]);
    expect(composeVersion('v2.29.1')).toEqual([2, 29, 1]);
    expect(composeVersion('1.29.2')).toEqual([1, 29, 2]);
    expect(composeVersion('dev')).toBeUndefined();
    expect(compareComposeVersions('2.26.1-4', '2.26.1')).toBe(0);
    expect(compareComposeVersions('2.26.1-4', '2.20.0')).toBeGreaterThan(0);
    expect(compareComposeVersions('2.9.0', '2.20.0')).toBeLessThan(0);
    expect(compareComposeVersions('2.20.0', '2.19.9-1')).toBeGreaterThan(0);
    expect(compareComposeVersions('dev', '2.0.0')).toBeLessThan(0);
  });

  it('project names the deploy makes are valid for v2 and left alone by v1', () => {
    // v2 refuses a name outside this; v1 quietly strips other characters (normaliseProjectName).
    const V2 = /^[a-z0-9][a-z0-9_-]*$/;
    for (const [app, env] of [
      ['shop', 'production'],
      ['my_app', 'eu-west-1'],
      ['a1', 'x_y']
    ] as const)
      for (const slot of [undefined, 'blue', 'green'] as const) {
        const p = projectName(app, env, slot);
        expect(p).toMatch(V2);
        expect(normaliseProjectName(p)).toBe(p);
      }
    for (const bad of ['My-App', 'shop.eu', '-shop', '_shop']) expect(NAME.test(bad)).toBe(false);
  });

  it('names the version found and the one needed for a feature in use', () => {
    const include = featuresUsed({ include: true });
    expect(include).toEqual([COMPOSE_FEATURES.include]);
    expect(featuresUsed({ include: false })).toEqual([]);
    expect(composeTooOld({ generation: 'v2', version: '2.26.1-4' }, include)).toBeUndefined();
    expect(composeTooOld({ generation: 'v2', version: '2.20.0' }, include)).toBeUndefined();
    expect(composeTooOld({ generation: 'v2', version: '2.19.1' }, include)).toEqual({
      feature: COMPOSE_FEATURES.include,
      found: 'docker compose 2.19.1',
      needed: 'docker compose 2.20.0 or later (the Compose v2 plugin)'
    });
    expect(composeTooOld({ generation: 'v1', version: '1.29.2' }, include)?.found).toBe(
      'docker-compose 1.29.2'
    );
    expect(composeTooOld({ generation: 'v1', version: '1.29.2' }, [])).toBeUndefined();
  });
});

describe('a private DOCKER_CONFIG is for login and pull, never for compose', () => {
  it('refuses to wrap a compose call of either generation', () => {
    expect(withDockerConfig('/s/.docker-r1', pullArgv('reg/app:1'))).toEqual([
      'env',
      'DOCKER_CONFIG=/s/.docker-r1',
      ...pullArgv('reg/app:1')
    ]);
    expect(withDockerConfig('/s/.docker-r1', loginArgv('reg', 'u'))[1]).toBe('DOCKER_CONFIG=/s/.docker-r1');
    expect(() => withDockerConfig('/s/c', composeUpArgv(v2, project))).toThrow(
      /`docker compose -p` would run under a private DOCKER_CONFIG, where the compose plugin is not found/
    );
    expect(() => withDockerConfig('/s/c', composePullArgv(v1, project))).toThrow(/docker-compose/);
  });
});

integration('compose for real (the runner has the Compose v2 plugin and docker-compose 1.29)', () => {
  const local = new LocalExecutor();
  let dir: string;
  let tool: ComposeTool;
  const p = (): ComposeProject => ({
    project: 'deploy-compose-it',
    files: [join(dir, 'compose.yml')],
    vars: { PORT: '18301' }
  });
  beforeAll(async () => {
    dir = mkdtempSync('/tmp/deploy-actions-test-deploy-compose-');
    writeFileSync(
      join(dir, 'compose.yml'),
      'services:\n  web:\n    image: deploy-actions/busybox:latest\n    network_mode: host\n    command: ["sh", "-c", "mkdir -p /w && echo hi > /w/index.html && exec httpd -f -p 127.0.0.1:${PORT} -h /w"]\n'
    );
    tool = await detectCompose(local);
  });
  afterAll(async () => {
    await local.run({ argv: composeDownArgv(tool, p(), { timeoutS: 1 }), check: false });
    rmSync(dir, { recursive: true, force: true });
  });

  it('picks v2 where v1 is installed too, and validates, starts, lists and stops a project', async () => {
    expect((await local.run({ argv: ['docker-compose', 'version', '--short'] })).stdout).toMatch(/^1\.29\./);
    expect(tool.generation).toBe('v2');
    expect(tool.version).toMatch(/^2\.\d+\.\d+/);
    await local.run({ argv: composeConfigArgv(tool, p()) });
    writeFileSync(join(dir, 'bad.yml'), 'services:\n  web:\n    image: [1\n');
    const bad = await local.run({
      argv: composeConfigArgv(tool, { project: 'deploy-x', files: [join(dir, 'bad.yml')] }),
      check: false
    });
    expect(bad.exitCode).not.toBe(0);
    await local.run({ argv: composeUpArgv(tool, p()), timeoutMs: 60_000 });
    const ps = await local.run({ argv: composePsArgv(tool, p()) });
    expect(ps.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    await local.run({ argv: composeDownArgv(tool, p(), { timeoutS: 1 }), timeoutMs: 60_000 });
    expect((await local.run({ argv: composePsArgv(tool, p(), { all: true }) })).stdout.trim()).toBe('');
  });
});

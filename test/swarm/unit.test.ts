import { parse } from 'yaml';
import { InputError } from '../../packages/core/src/index.js';
import {
  judgeService,
  judgeStack,
  registryLoginArgv,
  serviceRollbackArgv,
  stackDeployArgv,
  stackStateArgv,
  swarmStackFile,
  type SwarmService,
  type SwarmTask
} from '../../packages/swarm/src/index.js';

const D1 = 'reg.example/app@sha256:' + '1'.repeat(64);
const D2 = 'reg.example/app@sha256:' + '2'.repeat(64);

describe('swarm argv', () => {
  it('deploys from stdin with registry auth through a private config, stack name after --', () => {
    expect(
      stackDeployArgv('shop-prod', { withRegistryAuth: true, prune: true, dockerConfig: '/tmp/d c' })
    ).toEqual([
      'env',
      'DOCKER_CONFIG=/tmp/d c',
      'docker',
      'stack',
      'deploy',
      '--with-registry-auth',
      '--prune',
      '--compose-file',
      '-',
      '--',
      'shop-prod'
    ]);
    expect(stackDeployArgv('-x', { withRegistryAuth: false })).toEqual([
      'docker',
      'stack',
      'deploy',
      '--compose-file',
      '-',
      '--',
      '-x'
    ]);
  });

  it('reads the whole stack state in one command; the stack name is an argument, never script text', () => {
    const argv = stackStateArgv('$(touch /tmp/pwned)');
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).not.toContain('pwned');
    expect(argv.at(-1)).toBe('$(touch /tmp/pwned)');
  });

  it('logs in with the password on stdin, never in argv', () => {
    const argv = registryLoginArgv('127.0.0.1:5055', 'deploy', '/tmp/cfg');
    expect(argv).toContain('--password-stdin');
    expect(argv.slice(0, 3)).toEqual(['env', 'DOCKER_CONFIG=/tmp/cfg', 'docker']);
    expect(serviceRollbackArgv('s_web')).toEqual([
      'docker',
      'service',
      'rollback',
      '--detach',
      '--quiet',
      '--',
      's_web'
    ]);
  });
});

describe('swarm stack file', () => {
  const base = `services:\n  web:\n    image: app:latest\n    networks: [hostnet]\nnetworks:\n  hostnet: {external: true, name: host}\n`;

  it('pins images by digest and adds a version the stack deploy reads', () => {
    const f = swarmStackFile(base, { web: D1 });
    const doc = parse(f.text) as { version: string; services: { web: { image: string } } };
    expect(doc.version).toBe('3.8');
    expect(doc.services.web.image).toBe(D1);
    expect(f.images).toEqual({ web: D1 });
    expect(f.text.indexOf('version')).toBe(0);
  });

  it('refuses network_mode: host and names the Swarm form', () => {
    const text = `services:\n  web:\n    image: a\n    network_mode: host\n`;
    expect(() => swarmStackFile(text, {})).toThrow(InputError);
    expect(() => swarmStackFile(text, {})).toThrow(
      /Input 'compose-file': service "web" sets network_mode: host, which Swarm ignores.*external: true, name: host/
    );
  });

  it.each([
    ['restart: always', /`restart`.*deploy\.restart_policy/],
    ['container_name: web', /`container_name`.*Swarm names tasks itself/],
    ['depends_on: [db]', /`depends_on`.*any order/],
    ['build: .', /`build`.*build-image/],
    ['privileged: true', /`privileged`/]
  ])('refuses %s, which stack deploy would silently drop', (line, message) => {
    const text = `services:\n  web:\n    image: a\n    ${line}\n`;
    expect(() => swarmStackFile(text, {})).toThrow(message);
  });

  it('refuses a service with no image and an image for an unknown service', () => {
    expect(() => swarmStackFile(`services:\n  web:\n    command: [x]\n`, {})).toThrow(
      /service "web" has no image/
    );
    expect(() => swarmStackFile(base, { api: D1 })).toThrow(/Input 'images': names service "api"/);
  });
});

function service(
  over: Partial<SwarmService> & { image?: string; replicas?: number; update?: string } = {}
): SwarmService {
  return {
    ID: 'svc1',
    Version: { Index: 10 },
    Spec: {
      Name: 'st_web',
      Mode: { Replicated: { Replicas: over.replicas ?? 1 } },
      TaskTemplate: { ContainerSpec: { Image: over.image ?? D2 } }
    },
    ...(over.update ? { UpdateStatus: { State: over.update, Message: `update ${over.update}` } } : {})
  };
}

function task(image: string, state: string, desired = 'running', err?: string): SwarmTask {
  return {
    ID: `t-${Math.random()}`,
    ServiceID: 'svc1',
    DesiredState: desired,
    Status: { State: state, ...(err ? { Err: err } : {}) },
    Spec: { ContainerSpec: { Image: image } }
  };
}

describe('convergence judgement', () => {
  it('is converging while the new task starts and the old one still runs', () => {
    const v = judgeService(service({ update: 'updating' }), [task(D1, 'running'), task(D2, 'starting')]);
    expect(v.state).toBe('converging');
    expect(v.detail).toMatch(/0 of 1 task\(s\) running .*1 old task\(s\) still running, updating/);
  });

  it('is converged when the spec image runs as often as desired and nothing old is meant to run', () => {
    const v = judgeService(service({ update: 'completed' }), [
      task(D1, 'shutdown', 'shutdown'),
      task(D2, 'running')
    ]);
    expect(v).toMatchObject({ state: 'converged', running: 1, desired: 1 });
  });

  it('fails when Swarm gave up on the update, with the task error', () => {
    const v = judgeService(service({ update: 'paused' }), [
      task(D1, 'running'),
      task(D2, 'failed', 'shutdown', 'task: non-zero exit (3)')
    ]);
    expect(v.state).toBe('failed');
    expect(v.detail).toMatch(/Swarm's update paused.*non-zero exit \(3\)/);
  });

  it('fails a crash loop after maxFailedTasks even when Swarm keeps retrying', () => {
    const tasks = [1, 2, 3].map(() => task(D2, 'failed', 'shutdown', 'exit 1'));
    expect(judgeService(service(), tasks, { maxFailedTasks: 3 }).state).toBe('failed');
    expect(judgeService(service(), tasks.slice(0, 2), { maxFailedTasks: 3 }).state).toBe('converging');
  });

  it('a rollback is judged by its own goal, and an old update status is ignored for an unchanged service', () => {
    const rolledBack = service({ image: D1, update: 'rollback_completed' });
    expect(judgeService(rolledBack, [task(D1, 'running')]).state).toBe('failed');
    expect(judgeService(rolledBack, [task(D1, 'running')], { mode: 'rollback' }).state).toBe('converged');
    expect(judgeService(rolledBack, [task(D1, 'running')], { ignoreUpdateStatus: true }).state).toBe(
      'converged'
    );
  });

  it('the stack fails if one service fails, converges when all do', () => {
    const ok = service({ update: 'completed' });
    const bad = { ...service({ update: 'paused' }), ID: 'svc2', Spec: { ...service().Spec, Name: 'st_api' } };
    const tasks = [task(D2, 'running'), { ...task(D2, 'failed', 'shutdown'), ServiceID: 'svc2' }];
    expect(judgeStack([ok], tasks).state).toBe('converged');
    expect(judgeStack([ok, bad], tasks).state).toBe('failed');
    expect(judgeStack([ok, bad], tasks, { unchanged: new Set(['st_api']) }).state).toBe('converging');
  });
});

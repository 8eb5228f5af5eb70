import { randomBytes } from 'node:crypto';
import { LocalExecutor, captureLogger } from '../../packages/core/src/index.js';
import { defaultGateSpec, runGate, type GateSpec } from '../../packages/health/src/index.js';
import { fieldHost, infra, integration } from '../support/infra.js';
import { connectInfraHost } from '../support/connect.js';

/** A container with a HEALTHCHECK built from the local busybox image; health is the presence of a file. */
integration('container gate against real Docker health checks', () => {
  const exec = new LocalExecutor();
  const id = randomBytes(3).toString('hex');
  const image = `health-gate-test:${id}`;
  const healthy = `health-ok-${id}`;
  const sick = `health-sick-${id}`;
  const plain = `health-plain-${id}`;
  const docker = (...argv: string[]) => exec.run({ argv: ['docker', ...argv], timeoutMs: 60_000 });

  beforeAll(async () => {
    const dockerfile = [
      `FROM ${infra().docker.baseImage}`,
      'HEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD test -f /tmp/healthy || (echo "no /tmp/healthy"; exit 1)'
    ].join('\n');
    await exec.run({
      argv: ['docker', 'build', '-q', '-t', image, '-'],
      stdin: dockerfile,
      timeoutMs: 60_000
    });
    // Bounded lifetime: the containers stop by themselves even if afterAll never runs.
    await docker(
      'run',
      '-d',
      '--rm',
      '--network',
      'host',
      '--name',
      healthy,
      image,
      'sh',
      '-c',
      'touch /tmp/healthy; sleep 60'
    );
    await docker('run', '-d', '--rm', '--network', 'host', '--name', sick, image, 'sleep', '60');
    await docker(
      'run',
      '-d',
      '--rm',
      '--network',
      'host',
      '--name',
      plain,
      infra().docker.baseImage,
      'sleep',
      '60'
    );
  }, 90_000);

  afterAll(async () => {
    await exec.run({ argv: ['docker', 'rm', '-f', healthy, sick, plain], check: false, timeoutMs: 30_000 });
    await exec.run({ argv: ['docker', 'rmi', '-f', image], check: false, timeoutMs: 30_000 });
  });

  const spec = (containers: string[], over: Partial<GateSpec> = {}): GateSpec => ({
    ...defaultGateSpec(),
    containers,
    intervalMs: 300,
    successThreshold: 2,
    failureThreshold: 8,
    timeoutMs: 15_000,
    ...over
  });

  it('waits through `starting` until the HEALTHCHECK says healthy', async () => {
    const r = await runGate(spec([healthy, plain]), { logger: captureLogger(), executor: exec });
    expect(r.verdict).toBe('healthy');
    const last = r.evidence.filter((e) => e.target === healthy).at(-1);
    expect(last).toMatchObject({ kind: 'container', ok: true, value: 'healthy' });
    expect(r.evidence.find((e) => e.target === plain)).toMatchObject({
      ok: true,
      value: 'running (no HEALTHCHECK)'
    });
  });

  it('fails an unhealthy container with the health check output', async () => {
    const r = await runGate(spec([sick], { failureThreshold: 1, intervalMs: 200 }), {
      logger: captureLogger(),
      executor: exec
    });
    // The first rounds may see `starting`; keep asking until Docker has judged it.
    const judged = r.reason.includes('got unhealthy')
      ? r
      : await runGate(spec([sick], { initialDelayMs: 2500, failureThreshold: 1 }), {
          logger: captureLogger(),
          executor: exec
        });
    expect(judged.verdict).toBe('unhealthy');
    expect(judged.reason).toMatch(
      new RegExp(
        `^container ${sick}: expected health healthy, got unhealthy \\(failing streak \\d+\\); last check exited 1: "no /tmp/healthy"`
      )
    );
  });

  it('fails a missing container with docker’s answer', async () => {
    const r = await runGate(spec([`health-missing-${id}`], { failureThreshold: 1 }), {
      logger: captureLogger(),
      executor: exec
    });
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toMatch(
      new RegExp(
        `^container health-missing-${id} on local: docker inspect failed: .*[Nn]o such (container|object)`
      )
    );
  });

  it('reads the same health over SSH as a non-root deploy user on a far link: the executor changes, the gate does not', async () => {
    const ssh = fieldHost(0);
    const remote = await connectInfraHost(ssh, { connectTimeoutMs: 5000 });
    try {
      const r = await runGate(spec([healthy, `health-missing-${id}`], { failureThreshold: 1 }), {
        logger: captureLogger(),
        executor: remote
      });
      expect(r.verdict).toBe('unhealthy');
      expect(r.reason).toMatch(
        new RegExp(
          `^container health-missing-${id} on ${ssh.user}@${ssh.host}:${ssh.port}: docker inspect failed: .*[Nn]o such (container|object)`
        )
      );
      expect(r.evidence.find((e) => e.target === healthy)).toMatchObject({ kind: 'container', ok: true });
    } finally {
      await remote.close();
    }
  });
});

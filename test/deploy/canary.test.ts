import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBundle } from '../support/harness.js';
import { ConnectionError, InputReader, type Executor } from '../../packages/core/src/index.js';
import { defaultGateSpec, parseMetricCheck } from '../../packages/health/src/index.js';
import {
  canaryProbeArgv,
  canarySummary,
  curlConfig,
  checkCanaryPlan,
  deploy,
  deploySummary,
  judgeCanary,
  parseCanarySteps,
  parseProbeLines,
  readDeployInputs,
  rollback,
  weightedUpstreamConf,
  type DeployOutcome
} from '../../packages/deploy/src/index.js';
import { infra } from '../support/infra.js';
import { integrationOn } from '../support/compose-hosts.js';
import { BAD_TAG, canarySpec, prepareCanaryHost, recordingLoad, shareDuringStep } from './canary-support.js';
import { refusal } from '../support/refusal.js';
import { cleanup, deps, gate, history, rollbackSpec, sshConnector, version } from './support.js';

describe('canary plan (pure)', () => {
  it('reads increasing percentages that end at 100', () => {
    expect(parseCanarySteps('10,50,100')).toEqual([10, 50, 100]);
    expect(parseCanarySteps(' 5%, 25 , 100% ')).toEqual([5, 25, 100]);
  });

  it.each([
    ['50,10,100', 'must increase'],
    ['10,10,100', 'must increase'],
    ['10,50', 'ends at 50%'],
    ['10,abc,100', '"abc" is not a percentage'],
    ['0,100', '"0" is not a percentage'],
    ['10,150', '"150" is not a percentage'],
    ['100', 'blue-green switch with no canary step'],
    ['', 'is empty']
  ])('refuses canary-steps %j, naming the input', (text, why) => {
    const e = refusal(() => parseCanarySteps(text));
    expect(e.message).toContain("Input 'canary-steps'");
    expect(e.message).toContain(why);
  });

  it('refuses a step shorter than the gate can judge, a canary with no gate, and steps the timeout cannot hold', () => {
    const g = { ...defaultGateSpec(), urls: [{ url: 'http://x/up' }], intervalMs: 2000, successThreshold: 3 };
    expect(() => checkCanaryPlan({ steps: [50, 100], stepMs: 6000 }, g, 600_000)).not.toThrow();
    const short = refusal(() => checkCanaryPlan({ steps: [50, 100], stepMs: 5000 }, g, 600_000));
    expect(short.message).toContain("Input 'canary-step-duration'");
    expect(short.message).toContain('at least 6s');
    const none = refusal(() => checkCanaryPlan({ steps: [50, 100], stepMs: 60_000 }, undefined, 600_000));
    expect(none.message).toContain("Input 'health-url'");
    expect(none.message).toContain('strategy canary');
    const onlyContainers = refusal(() =>
      checkCanaryPlan({ steps: [50, 100], stepMs: 60_000 }, { ...g, urls: [] }, 600_000)
    );
    expect(onlyContainers.message).toContain("Input 'health-url'");
    const long = refusal(() => checkCanaryPlan({ steps: [10, 50, 100], stepMs: 300_000 }, g, 600_000));
    expect(long.message).toContain("Input 'timeout'");
  });

  it('refuses bad canary input through the deploy-compose reader before anything is contacted', () => {
    const ws = mkdtempSync('/tmp/deploy-actions-canary-inputs-');
    writeFileSync(
      join(ws, 'compose.yml'),
      'services:\n  web:\n    image: r.example/app:1\n    network_mode: host\n'
    );
    const base: Record<string, string> = {
      host: 'web1.example.com',
      'ssh-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----',
      'known-hosts': 'web1.example.com ssh-ed25519 AAAA',
      app: 'shop',
      strategy: 'canary',
      'public-port': '8080',
      'health-url': 'https://shop.example.com/up',
      'health-interval': '1s',
      'health-success-threshold': '3',
      'canary-steps': '10,50,100',
      'canary-step-duration': '30s'
    };
    const read = (over: Record<string, string>) => {
      const all = { ...base, ...over };
      return readDeployInputs(new InputReader((n) => all[n] ?? ''), { workspace: ws }, { sha: 'abc1234' });
    };
    try {
      expect(read({}).spec.canary).toEqual({ steps: [10, 50, 100], stepMs: 30_000 });
      expect(read({}).spec.strategy).toBe('canary');
      expect(refusal(() => read({ 'canary-steps': '10,5,100' })).message).toContain("Input 'canary-steps'");
      expect(refusal(() => read({ 'canary-step-duration': '2s' })).message).toContain(
        "Input 'canary-step-duration'"
      );
      expect(refusal(() => read({ 'health-url': '' })).message).toContain("Input 'health-url'");
      expect(refusal(() => read({ 'public-port': '' })).message).toContain("Input 'public-port'");
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it('weights the upstreams by the step share', () => {
    const conf = weightedUpstreamConf(
      { port: 8081, release: 'r1', slot: 'blue' },
      { port: 8082, release: 'r2', slot: 'green' },
      10
    );
    expect(conf).toContain('server 127.0.0.1:8081 weight=9;');
    expect(conf).toContain('server 127.0.0.1:8082 weight=1;');
    const half = weightedUpstreamConf(
      { port: 8081, release: 'r1', slot: 'blue' },
      { port: 8082, release: 'r2', slot: 'green' },
      50
    );
    expect(half).toMatch(/8081 weight=1;[\s\S]*8082 weight=1;/);
  });

  it('the probe loop (run here by sh and curl) sends the headers from stdin and stops early on plain failures', async () => {
    const seenAuth: string[] = [];
    let status = 200;
    const server = createServer((q, res) => {
      seenAuth.push(String(q.headers.authorization ?? ''));
      res.statusCode = status;
      res.end(status === 200 ? 'ok' : 'boom');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const run = (stopAfter: number, durationS: number) => {
      const argv = canaryProbeArgv(`http://127.0.0.1:${port}/up`, {
        intervalS: 0.1,
        durationS,
        timeoutS: 2,
        bodyBytes: 64,
        stopAfter,
        statuses: [{ min: 200, max: 299 }]
      });
      return new Promise<string>((resolve, reject) => {
        const c = execFile(argv[0]!, argv.slice(1), (err, stdout) => (err ? reject(err) : resolve(stdout)));
        c.stdin!.end(curlConfig({ Authorization: 'Bearer s3cr"et' }));
      });
    };
    try {
      const good = parseProbeLines(await run(3, 1));
      expect(good.length).toBeGreaterThanOrEqual(1);
      expect(good.every((p) => p.curlExit === 0 && p.status === 200 && p.body === 'ok')).toBe(true);
      expect(seenAuth[0]).toBe('Bearer s3cr"et');
      expect(
        canaryProbeArgv('http://x/', { intervalS: 1, durationS: 1, timeoutS: 1, bodyBytes: 0 }).join(' ')
      ).not.toContain('Bearer');
      status = 500;
      // A 60 s window: only the early stop ends it after three probes.
      const out = await run(3, 60);
      expect(parseProbeLines(out).map((p) => p.status)).toEqual([500, 500, 500]);
      expect(out).toContain('stopped 3');
    } finally {
      server.close();
    }
  }, 30_000);

  it('a HEAD check answers at once: the probe loop asks with --head, not -X HEAD (issue 28 item 9)', async () => {
    const methods: string[] = [];
    const server = createServer((q, res) => {
      methods.push(String(q.method));
      // A HEAD answer announces the body a GET would get; `curl -X HEAD` waits for it until its timeout.
      res.writeHead(200, { 'Content-Length': '100' });
      res.end(q.method === 'HEAD' ? undefined : 'x'.repeat(100));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const argv = canaryProbeArgv(`http://127.0.0.1:${port}/up`, {
      intervalS: 0.1,
      durationS: 1,
      timeoutS: 3,
      bodyBytes: 0,
      method: 'HEAD'
    });
    try {
      const out = await new Promise<string>((resolve, reject) => {
        const c = execFile(argv[0]!, argv.slice(1), (err, stdout) => (err ? reject(err) : resolve(stdout)));
        c.stdin!.end('');
      });
      const probes = parseProbeLines(out);
      expect(probes.length).toBeGreaterThanOrEqual(1);
      expect(probes.map((p) => [p.curlExit, p.status])).toEqual(probes.map(() => [0, 200]));
      expect(new Set(methods)).toEqual(new Set(['HEAD']));
    } finally {
      server.close();
    }
  }, 30_000);

  it('judges a step on the canary slot probes with the gate expectations', () => {
    const g = {
      ...defaultGateSpec(),
      urls: [{ url: 'https://shop.example.com/up' }],
      expectBody: 'ok',
      successThreshold: 2,
      failureThreshold: 2
    };
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const good = parseProbeLines(
      [`probe 0 200 0.004 ${b64('ok\n')}`, `probe 0 200 0.006 ${b64('ok\n')}`, 'noise'].join('\n')
    );
    expect(good).toHaveLength(2);
    expect(good[0]).toMatchObject({ curlExit: 0, status: 200, latencyMs: 4, body: 'ok\n' });
    expect(judgeCanary(g, g.urls[0]!.url, good, [], 1000).verdict).toBe('healthy');

    const bad = parseProbeLines(
      [`probe 0 200 0.004 ${b64('degraded')}`, 'probe 7 000 0.001 ', `probe 0 200 0.004 ${b64('ok')}`].join(
        '\n'
      )
    );
    const r = judgeCanary(g, g.urls[0]!.url, bad, [], 1000);
    expect(r.verdict).toBe('unhealthy');
    expect(r.reason).toContain('2 of 3 probes of the canary slot failed');
    expect(r.reason).toContain('"degraded"');
    expect(r.evidence[1]!.reason).toContain('connection refused');
    expect(judgeCanary(g, g.urls[0]!.url, [], [], 1000).verdict).toBe('unhealthy');
  });

  it('shows the steps with share, verdict and latency in the summary', () => {
    const rows = canarySummary(
      [
        {
          step: 1,
          percent: 50,
          host: 'web1',
          verdict: 'unhealthy',
          reason: 'body "degraded"',
          probes: 10,
          failures: 4,
          p50Ms: 3,
          p95Ms: 9,
          durationMs: 5000
        }
      ],
      { steps: [50, 100], stepMs: 5000 },
      undefined
    ).join('\n');
    expect(rows).toContain(
      '| 1 | 50% | web1 | ❌ unhealthy | 10 (4 failed) | p50 3 ms, p95 9 ms | body "degraded" |'
    );
    expect(rows).toContain('| 2 | 100% |  | not reached |');
  });
});

describe('deploy-compose bundle: bad canary input', () => {
  it('is refused by the action before anything is contacted, naming the input', async () => {
    const workspace = mkdtempSync('/tmp/deploy-actions-canary-bundle-');
    writeFileSync(join(workspace, 'compose.yml'), 'services:\n  web:\n    image: r.example/app:1\n');
    const inputs = {
      host: 'web1.example.invalid',
      'ssh-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----',
      'known-hosts': 'web1.example.invalid ssh-ed25519 AAAA',
      app: 'shop',
      strategy: 'canary',
      'public-port': '8080',
      'health-url': 'http://web1.example.invalid/up',
      'image-check': 'none'
    };
    try {
      const cases: [Record<string, string>, string][] = [
        [{ 'canary-steps': '10,50' }, "Input 'canary-steps'"],
        [{ 'canary-step-duration': '1s' }, "Input 'canary-step-duration'"],
        [{ 'health-url': '' }, "Input 'health-url'"]
      ];
      for (const [over, named] of cases) {
        const run = await runBundle('deploy-compose', { inputs: { ...inputs, ...over }, workspace });
        expect(run.exitCode).toBe(1);
        expect(
          run.annotations
            .filter((a) => a.level === 'error')
            .map((a) => a.message)
            .join('\n')
        ).toContain(named);
      }
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  }, 60_000);
});

integrationOn(
  'strategy canary over SSH to a field host (non-root, slow shell, far link, real nginx)',
  [0],
  () => {
    const app = 'canary-t';
    const port = 18650;
    let dir: string;
    const spec = (tag: string, stepMs = 6000) =>
      canarySpec(app, dir, port, tag, {
        stepMs,
        // Probes wait up to 5 s: this machine is shared by parallel suites and stalls for seconds at times.
        gate: { probeTimeoutMs: 5000, failureThreshold: 4, timeoutMs: 30_000 }
      });
    const root = () => join(dir, app, 'test');
    let first: DeployOutcome;
    let second: DeployOutcome;

    beforeAll(() => {
      dir = prepareCanaryHost('canary', app);
    });
    afterAll(() => cleanup(dir, app));

    it('a first canary has nothing to compare with and switches like blue-green', async () => {
      first = await deploy(spec('v1'), deps());
      expect(first.error?.describe()).toBeUndefined();
      expect(first.ok).toBe(true);
      expect(first.canary).toEqual([]);
      expect(await version(port)).toBe('v1');
    }, 180_000);

    it('under 20 req/s the 50% step sends half the traffic to the new release, judged on its own slot; then only the new one answers', async () => {
      const l = recordingLoad(port);
      const d = deps();
      second = await deploy(spec('v2', 8000), d);
      const r = await l.stop();
      expect(second.error?.describe()).toBeUndefined();
      expect(second.ok).toBe(true);
      expect(r.failures).toEqual([]);
      // Both answered during the deploy, in the order v1 → both → v2.
      const bodies = new Set(r.seen.map((x) => x.body));
      expect(bodies).toEqual(new Set(['v1', 'v2']));
      const { share, n } = shareDuringStep(r.seen, 'v2', 'v1');
      expect(n).toBeGreaterThan(60);
      expect(Math.abs(share - 50)).toBeLessThanOrEqual(10);
      // Only the new one after.
      for (let i = 0; i < 10; i++) expect(await version(port)).toBe('v2');

      // The step was judged on probes of the canary slot (not the public port).
      const step = second.canary![0]!;
      expect(step).toMatchObject({ step: 1, percent: 50, verdict: 'healthy' });
      expect(step.probes).toBeGreaterThanOrEqual(2);
      const summary = deploySummary(second, spec('v2', 8000));
      expect(summary).toContain('### Canary steps');
      expect(summary).toMatch(/\| 1 \| 50% \| 127\.0\.0\.1 \| ✅ healthy \|/);
      expect(summary).toMatch(/\| 2 \| 100% \| all \(switch \+ gate\) \| ✅ healthy \|/);

      // As after a blue-green switch: current, active.json, release.json, no lock, history.
      expect(readlinkSync(join(root(), 'current'))).toBe(`releases/${second.releaseId}`);
      const active = JSON.parse(readFileSync(join(root(), 'active.json'), 'utf8'));
      expect(active).toMatchObject({
        release: second.releaseId,
        strategy: 'canary',
        slot: 'green',
        port: port + 2
      });
      const rel = JSON.parse(
        readFileSync(join(root(), 'releases', second.releaseId, 'release.json'), 'utf8')
      );
      expect(rel).toMatchObject({ status: 'deployed', previous: first.releaseId, strategy: 'canary' });
      expect(existsSync(join(root(), 'lock'))).toBe(false);
      const mine = history(dir, app)
        .filter((e) => e.release === second.releaseId)
        .map((e) => e.event);
      expect(mine).toEqual(
        expect.arrayContaining([
          'deploy.started',
          'canary.step',
          'canary.passed',
          'traffic.switched',
          'deploy.completed'
        ])
      );
      expect(mine.indexOf('canary.passed')).toBeLessThan(mine.indexOf('traffic.switched'));
      expect(second.events.map((e) => e.type)).toEqual(['deploy.started', 'deploy.completed']);
      // The old slot was stopped after the last step.
      const blue = execFileSync(
        'docker',
        ['ps', '-q', '--filter', `label=com.docker.compose.project=${app}-test-blue`],
        {
          encoding: 'utf8'
        }
      ).trim();
      expect(blue).toBe('');
    }, 240_000);

    it('a canary that fails its step is reverted with 0 failed requests, and the step and reason are recorded', async () => {
      const l = recordingLoad(port);
      const bad = await deploy(spec(BAD_TAG, 5000), deps());
      const r = await l.stop();
      expect(bad.ok).toBe(false);
      expect(r.failures).toEqual([]);
      // It did take its share before it was judged, and the stable release serves alone again.
      expect(r.seen.some((x) => x.body === 'bad')).toBe(true);
      for (let i = 0; i < 10; i++) expect(await version(port)).toBe('v2');
      expect(bad.error!.message).toContain('failed step 1 of 2 (50% of traffic)');
      expect(bad.error!.message).toContain('degraded');
      expect(bad.canary![0]).toMatchObject({ percent: 50, verdict: 'unhealthy' });
      expect(bad.rolledBack).toBe(true);
      const summary = deploySummary(bad, spec(BAD_TAG, 5000));
      expect(summary).toMatch(/\| 1 \| 50% \| 127\.0\.0\.1 \| ❌ unhealthy \|/);
      expect(summary).toContain('| 2 | 100% |  | not reached |');

      expect(readlinkSync(join(root(), 'current'))).toBe(`releases/${second.releaseId}`);
      const rel = JSON.parse(readFileSync(join(root(), 'releases', bad.releaseId, 'release.json'), 'utf8'));
      expect(rel).toMatchObject({ status: 'failed' });
      expect(existsSync(join(root(), 'lock'))).toBe(false);
      const lines = history(dir, app).filter((e) => e.release === bad.releaseId);
      const aborted = lines.find((e) => e.event === 'canary.aborted');
      expect(aborted).toMatchObject({ step: 1, percent: 50, back: second.releaseId });
      expect(String(aborted!.reason)).toContain('degraded');
      expect(lines.map((e) => e.event)).toEqual(expect.arrayContaining(['canary.failed', 'deploy.failed']));
      const failed = bad.events.find((e) => e.type === 'deploy.failed');
      expect(JSON.stringify(failed)).toContain('failed step 1 of 2');
      // The canary slot was stopped.
      const canarySlot = execFileSync(
        'docker',
        ['ps', '-q', '--filter', `label=com.docker.compose.project=${app}-test-blue`],
        { encoding: 'utf8' }
      ).trim();
      expect(canarySlot).toBe('');
    }, 240_000);

    it('a canary step also answers to the Prometheus rules: a broken rule aborts it, naming the rule', async () => {
      const l = recordingLoad(port);
      const s = {
        ...spec('v3', 3000),
        gate: gate(port, {
          expectBody: 'ok',
          probeTimeoutMs: 5000,
          failureThreshold: 4,
          timeoutMs: 30_000,
          prometheusUrl: infra().prometheus.url,
          metrics: [parseMetricCheck('vector(1) > 2', 'health-prometheus-query')]
        })
      };
      const bad = await deploy(s, deps());
      const r = await l.stop();
      expect(bad.ok).toBe(false);
      expect(r.failures).toEqual([]);
      expect(bad.canary![0]).toMatchObject({ percent: 50, verdict: 'unhealthy' });
      // The canary's own probes passed; the rule did not.
      expect(bad.canary![0]!.reason).toContain('rounds of Prometheus rules failed');
      expect(bad.canary![0]!.reason).toContain('query `vector(1)`: expected > 2, got 1');
      for (let i = 0; i < 5; i++) expect(await version(port)).toBe('v2');
      expect(readlinkSync(join(root(), 'current'))).toBe(`releases/${second.releaseId}`);
    }, 240_000);

    it('a link cut in the middle of a step puts all traffic back on the stable release with 0 failed requests', async () => {
      let cut: (() => void) | undefined;
      let cutDone = false;
      const base = sshConnector();
      // The step's session (the probe loop) dies part way, as when the link drops; later sessions connect anew.
      const connect = async (h: string): Promise<Executor> => {
        const e = await base(h);
        return {
          target: e.target,
          close: () => e.close(),
          run: (command) => {
            if (cutDone || !String(command.stdin ?? '').includes('curl -s -K')) return e.run(command);
            return Promise.race([
              e.run(command),
              new Promise<never>((_, reject) => {
                cut = () => {
                  cutDone = true;
                  reject(new ConnectionError(`SSH connection to ${e.target} was lost (test cut)`));
                };
              })
            ]);
          }
        };
      };
      const l = recordingLoad(port);
      const running = deploy(spec('v3', 30_000), deps({ connect }));
      await l.until('v3');
      cut!();
      const d = await running;
      const r = await l.stop();
      expect(cutDone).toBe(true);
      expect(d.ok).toBe(false);
      expect(d.error!.message).toContain('failed step 1 of 2');
      expect(d.error!.message).toContain('test cut');
      expect(r.failures).toEqual([]);
      for (let i = 0; i < 5; i++) expect(await version(port)).toBe('v2');
      expect(readlinkSync(join(root(), 'current'))).toBe(`releases/${second.releaseId}`);
      expect(existsSync(join(root(), 'lock'))).toBe(false);
      expect(
        history(dir, app).find((e) => e.release === d.releaseId && e.event === 'canary.aborted')
      ).toBeDefined();
    }, 240_000);

    it('rollback after a canary works like after blue-green', async () => {
      const l = recordingLoad(port);
      const rb = await rollback(rollbackSpec(spec('v2'), { reason: 'back from the canary' }), deps());
      const r = await l.stop();
      expect(rb.error?.describe()).toBeUndefined();
      expect(rb).toMatchObject({ ok: true, releaseId: first.releaseId, fromReleaseId: second.releaseId });
      expect(r.failures).toEqual([]);
      expect(await version(port)).toBe('v1');
      expect(readlinkSync(join(root(), 'current'))).toBe(`releases/${first.releaseId}`);
      expect(history(dir, app).at(-1)).toMatchObject({ event: 'rollback.executed', to: first.releaseId });
    }, 180_000);
  }
);

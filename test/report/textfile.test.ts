import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, InputReader } from '../../packages/core/src/index.js';
import {
  counterLabels,
  deploy,
  readTarget,
  rollback,
  textfileArgv,
  textfileGauges,
  textfilePath
} from '../../packages/deploy/src/index.js';
import { infra, integration } from '../support/infra.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  history,
  rollbackSpec,
  stateDir,
  target
} from '../deploy/support.js';

/** A textfile's samples, `name{labels}` → value, as Prometheus reads them (promtool checks the syntax). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

const promtool = (text: string) =>
  spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });

describe('metrics-dir input', () => {
  const read = (dir: string) =>
    readTarget(
      new InputReader((n) => ({ app: 'shop', host: 'web1.example.com', 'metrics-dir': dir })[n] ?? '')
    );
  it('is absolute, without `..`; empty writes no textfile', () => {
    for (const dir of ['var/lib/node-exporter', '/var/lib/../../etc']) {
      const err = (() => {
        try {
          read(dir);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).input).toBe('metrics-dir');
    }
    expect(read('/var/lib/prometheus/node-exporter/').metricsDir).toBe('/var/lib/prometheus/node-exporter');
    expect(read('').metricsDir).toBeUndefined();
  });
});

describe('the deploy textfile, written by its own argv', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'da-textfile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const facts = {
    app: 'shop',
    environment: 'Staging "EU"',
    serving: {
      id: '20261207T100000Z-ab12',
      version: 'v1.2.0',
      digests: {
        web: '127.0.0.1:5055/shop@sha256:' + 'a'.repeat(64),
        worker: '127.0.0.1:5055/shop-worker@sha256:' + 'b'.repeat(64)
      },
      activatedAt: '2026-12-07T10:00:30.500Z'
    },
    operation: 'deploy' as const,
    endedAt: new Date('2026-12-07T10:00:31Z'),
    durationSeconds: 42.5,
    succeeded: true
  };

  /** Run the argv as the host's phase script runs a step: sh, the gauges on stdin, a private umask. */
  const write = (file: string, historyFile: string) => {
    const [cmd, ...args] = textfileArgv(file, historyFile, counterLabels(facts.app, facts.environment));
    // With umask 077, as the host's phase script runs its steps: node_exporter must still read the file.
    return spawnSync('sh', ['-c', 'umask 077 && exec "$@"', 'sh', cmd!, ...args], {
      input: textfileGauges(facts),
      encoding: 'utf8',
      env: { PATH: process.env.PATH }
    });
  };

  it('counts rollbacks (drills left out) and failures in the history, and promtool accepts the file', () => {
    const historyFile = join(dir, 'history.jsonl');
    const line = (o: Record<string, unknown>) => JSON.stringify({ time: '2026-12-07T09:00:00Z', ...o });
    writeFileSync(
      historyFile,
      [
        line({ event: 'deploy.started', release: 'a' }),
        line({ event: 'rollback.executed', from: 'a', to: 'b', automatic: true }),
        line({ event: 'rollback.executed', from: 'b', to: 'a', drill: true }),
        line({ event: 'rollback.executed', from: 'a', to: 'b', reason: 'by hand' }),
        // The event's text inside a value is escaped by JSON.stringify, so it is not counted.
        line({ event: 'incident.opened', reason: '"event":"rollback.executed" and "event":"deploy.failed"' }),
        line({ event: 'deploy.failed', release: 'c' }),
        '{"time":"2026-12-07T09:0' // a torn last line
      ].join('\n')
    );
    const file = textfilePath(dir, facts.app, 'staging-eu');
    expect(file).toBe(join(dir, 'deploy-actions_shop_staging-eu.prom'));
    const r = write(file, historyFile);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir).sort()).toEqual(['deploy-actions_shop_staging-eu.prom', 'history.jsonl']);
    const text = readFileSync(file, 'utf8');
    const check = promtool(text);
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
    const l = 'app="shop",environment="Staging \\"EU\\""';
    const s = samples(text);
    expect(s.get(`deploy_rollbacks_total{${l}}`)).toBe(2);
    expect(s.get(`deploy_failures_total{${l}}`)).toBe(1);
    expect(s.get(`deploy_last_success_timestamp_seconds{${l}}`)).toBe(
      Date.UTC(2026, 11, 7, 10, 0, 30, 500) / 1000
    );
    expect(s.get(`deploy_duration_seconds{${l}}`)).toBe(42.5);
    expect(s.get(`deploy_last_run_success{${l}}`)).toBe(1);
    expect(
      s.get(
        `deploy_info{${l},release="20261207T100000Z-ab12",version="v1.2.0",service="web",digest="sha256:${'a'.repeat(64)}"}`
      )
    ).toBe(1);
    expect([...s.keys()].filter((k) => k.startsWith('deploy_info'))).toHaveLength(2);
  });

  it('with no history yet, counts zero; with no directory, fails and leaves nothing', () => {
    const file = textfilePath(dir, 'shop', 'prod');
    expect(write(file, join(dir, 'none.jsonl')).status).toBe(0);
    const s = samples(readFileSync(file, 'utf8'));
    expect(s.get(`deploy_rollbacks_total{app="shop",environment="Staging \\"EU\\""}`)).toBe(0);
    const missing = textfilePath(join(dir, 'absent'), 'shop', 'prod');
    const r = write(missing, join(dir, 'none.jsonl'));
    expect(r.status).not.toBe(0);
    expect(existsSync(join(dir, 'absent'))).toBe(false);
  });
});

/**
 * On field host 1 (non-root, slow login shell, far link): real deploys and a rollback with `metrics-dir` set to
 * a directory the deploy user owns. After each run the file is read on the host side (not through our code),
 * checked with promtool, compared with what the history and release records say, and finally scraped by
 * Prometheus through Debian's prometheus-node-exporter textfile collector.
 */
integration('the deploy textfile on a field host (metrics-dir)', () => {
  const app = 'metrics-textfile';
  const port = 18940;
  const h = target();
  let dir: string;
  let metricsDir: string;
  const file = () => join(metricsDir, `deploy-actions_${app}_test.prom`);
  const read = () => {
    const text = readFileSync(file(), 'utf8');
    const check = promtool(text);
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
    return samples(text);
  };
  const l = `app="${app}",environment="test"`;
  const record = (id: string) =>
    JSON.parse(readFileSync(join(dir, app, 'test', 'releases', id, 'release.json'), 'utf8')) as {
      activatedAt: string;
      digests: Record<string, string>;
    };

  beforeAll(() => {
    buildImages();
    dir = stateDir('metrics');
    cleanup(dir, app);
    metricsDir = join(h.home, 'metrics-textfile');
    rmSync(metricsDir, { recursive: true, force: true });
    execFileSync('runuser', ['-u', h.user, '--', 'mkdir', '-p', metricsDir]);
  });
  afterAll(() => {
    cleanup(dir, app);
    rmSync(metricsDir, { recursive: true, force: true });
  });

  it('each deploy and rollback rewrites it: what serves, the last run, and the counters from the history', async () => {
    const spec = (over = {}) => ({ ...deploySpec(app, dir, port, over), metricsDir });
    const v1 = await deploy(spec(), deps());
    expect(v1.error?.describe()).toBeUndefined();
    const st = statSync(file());
    expect(st.mode & 0o777).toBe(0o644);
    expect(st.uid).toBe(Number(execFileSync('id', ['-u', h.user], { encoding: 'utf8' }).trim()));
    expect(readdirSync(metricsDir)).toEqual([`deploy-actions_${app}_test.prom`]);
    let s = read();
    const r1 = record(v1.releaseId);
    const completed = history(dir, app).find((x) => x.event === 'deploy.completed')!;
    expect(s.get(`deploy_last_success_timestamp_seconds{${l}}`)).toBe(Date.parse(r1.activatedAt) / 1000);
    expect(s.get(`deploy_duration_seconds{${l}}`)).toBeGreaterThanOrEqual(
      (completed.durationMs as number) / 1000
    );
    expect(s.get(`deploy_last_run_success{${l}}`)).toBe(1);
    expect(s.get(`deploy_rollbacks_total{${l}}`)).toBe(0);
    expect(s.get(`deploy_failures_total{${l}}`)).toBe(0);
    const digest = r1.digests.web!.slice(r1.digests.web!.indexOf('@') + 1);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(
      s.get(`deploy_info{${l},release="${v1.releaseId}",version="v1",service="web",digest="${digest}"}`)
    ).toBe(1);

    // A release that fails before it serves: the failure counts, v1 still serves and is still its last success.
    const sick = await deploy(
      spec({ version: 'sick', images: { web: `${IMAGE_REPO}:sick` }, startTimeoutMs: 4000 }),
      deps()
    );
    expect(sick.ok).toBe(false);
    s = read();
    expect(s.get(`deploy_failures_total{${l}}`)).toBe(1);
    expect(s.get(`deploy_last_run_success{${l}}`)).toBe(0);
    expect(s.get(`deploy_last_success_timestamp_seconds{${l}}`)).toBe(Date.parse(r1.activatedAt) / 1000);
    expect([...s.keys()].filter((k) => k.startsWith('deploy_info'))).toEqual([
      `deploy_info{${l},release="${v1.releaseId}",version="v1",service="web",digest="${digest}"}`
    ]);

    // v2 serves, then a rollback by hand: one rollback, and v1 serves again, activated by the rollback.
    const v2 = await deploy(spec({ version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }), deps());
    expect(v2.error?.describe()).toBeUndefined();
    expect([...read().keys()].some((k) => k.includes(`version="v2"`))).toBe(true);
    const back = await rollback(
      { ...rollbackSpec(deploySpec(app, dir, port), { reason: 'v2 is slow' }), metricsDir },
      deps()
    );
    expect(back.ok).toBe(true);
    s = read();
    const rolled = history(dir, app).filter((x) => x.event === 'rollback.executed');
    expect(rolled).toHaveLength(1);
    expect(s.get(`deploy_rollbacks_total{${l}}`)).toBe(1);
    expect(s.get(`deploy_failures_total{${l}}`)).toBe(1);
    expect(s.get(`deploy_last_run_success{${l}}`)).toBe(1);
    expect(s.get(`deploy_last_success_timestamp_seconds{${l}}`)).toBe(
      Date.parse(record(v1.releaseId).activatedAt) / 1000
    );
    expect(Date.parse(record(v1.releaseId).activatedAt)).toBeGreaterThan(Date.parse(r1.activatedAt));
    expect([...s.keys()].filter((k) => k.startsWith('deploy_info'))).toEqual([
      `deploy_info{${l},release="${v1.releaseId}",version="v1",service="web",digest="${digest}"}`
    ]);
  }, 400_000);

  it("Prometheus scrapes it through node_exporter's textfile collector", async () => {
    const exporterPort = 18949; // not a slot port of the app (18941, 18942)
    const exporter = spawn(
      'prometheus-node-exporter',
      [
        `--web.listen-address=127.0.0.1:${exporterPort}`,
        '--collector.disable-defaults',
        '--collector.textfile',
        `--collector.textfile.directory=${metricsDir}`
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    );
    let exporterLog = '';
    exporter.stderr.on('data', (d: Buffer) => (exporterLog += d.toString()));
    const targets = join(infra().prometheus.targetsDir, 'metrics-textfile.json');
    try {
      writeFileSync(
        targets,
        JSON.stringify([{ targets: [`127.0.0.1:${exporterPort}`], labels: { suite: 'metrics-textfile' } }])
      );
      const until = Date.now() + 45_000;
      let result: { metric: Record<string, string>; value: [number, string] }[] = [];
      while (!result.length) {
        const q = new URL('/api/v1/query', infra().prometheus.url);
        q.searchParams.set('query', `deploy_info{app="${app}",suite="metrics-textfile"}`);
        const res = await fetch(q).catch(() => undefined);
        if (res?.ok) result = ((await res.json()) as { data: { result: typeof result } }).data.result;
        if (!result.length && Date.now() > until) {
          const t = await fetch(new URL('/api/v1/targets', infra().prometheus.url)).then((r) => r.text());
          throw new Error(
            `Prometheus did not scrape the deploy textfile within 45 s\ntargets: ${t}\nexporter: ${exporterLog}\nfiles: ${readdirSync(metricsDir).join(', ')}`
          );
        }
        if (!result.length) await new Promise((r) => setTimeout(r, 500));
      }
      const s = samples(readFileSync(file(), 'utf8'));
      const [info] = [...s.keys()].filter((k) => k.startsWith('deploy_info'));
      expect(result).toHaveLength(1);
      expect(info).toContain(`version="${result[0]!.metric.version}"`);
      expect(info).toContain(`digest="${result[0]!.metric.digest}"`);
      const q = new URL('/api/v1/query', infra().prometheus.url);
      q.searchParams.set('query', `deploy_rollbacks_total{app="${app}",suite="metrics-textfile"}`);
      const rb = (await (await fetch(q)).json()) as { data: { result: { value: [number, string] }[] } };
      expect(Number(rb.data.result[0]?.value[1])).toBe(
        s.get(`deploy_rollbacks_total{app="${app}",environment="test"}`)
      );
    } finally {
      rmSync(targets, { force: true });
      exporter.kill('SIGTERM');
    }
  }, 120_000);
});

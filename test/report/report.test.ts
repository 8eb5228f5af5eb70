import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploy, drill, rollback } from '../../packages/deploy/src/index.js';
import { infra, integration } from '../support/infra.js';
import { hostCli } from '../support/host-cli.js';
import {
  IMAGE_REPO,
  buildImages,
  cleanup,
  deploySpec,
  deps,
  history,
  rollbackSpec,
  stateDir,
  target,
  version
} from '../deploy/support.js';

/**
 * `deploy-actions report` over the history real deploys left on a field host (non-root, slow login shell,
 * far link): v1 serves, `sick` fails before it serves, v2 serves, then v2 is rolled back by hand. The expected
 * figures are worked out here from the recorded lines and the commits' own times, not by the report's code.
 */
integration('delivery report from real deploys on a field host', () => {
  const app = 'report-dora';
  const port = 18900;
  let dir: string;
  let repo: string;
  const t = (l: Record<string, unknown>) => Date.parse(String(l.time));

  beforeAll(() => {
    buildImages();
    dir = stateDir('report');
    cleanup(dir, app);
    // The app's repository: a commit per version, tagged as tag-release tags them, at known times.
    repo = mkdtempSync(join(tmpdir(), 'da-report-repo-'));
    const git = (args: string[], when?: number) =>
      execFileSync('git', ['-C', repo, ...args], {
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@example.com',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@example.com',
          ...(when ? { GIT_COMMITTER_DATE: `@${when} +0000`, GIT_AUTHOR_DATE: `@${when} +0000` } : {})
        },
        encoding: 'utf8'
      });
    git(['init', '-q']);
    const now = Math.floor(Date.now() / 1000);
    const commit = (msg: string, ago: number, tag: string) => {
      writeFileSync(join(repo, 'f'), msg);
      git(['add', 'f']);
      git(['commit', '-qm', msg], now - ago);
      git(['tag', tag]);
    };
    commit('feat: one', 7200, 'v1');
    commit('fix: sick', 3600, 'sick');
    commit('feat: two', 1800, 'v2');
  });
  afterAll(() => cleanup(dir, app));

  /** `deploy-actions report` against field host 1, the key and known_hosts through the environment. */
  const runReport = (name: string, extra: string[] = ['--format', 'json']) =>
    hostCli(target(), ['report', '--app', name, '--environment', 'test', '--state-dir', dir, ...extra]);

  it('computes the four keys, per environment and per week, as the recorded history says', async () => {
    const v1 = await deploy(deploySpec(app, dir, port), deps());
    expect(v1.error?.describe()).toBeUndefined();
    const sick = await deploy(
      deploySpec(app, dir, port, {
        version: 'sick',
        images: { web: `${IMAGE_REPO}:sick` },
        startTimeoutMs: 4000
      }),
      deps()
    );
    expect(sick.ok).toBe(false);
    const v2 = await deploy(
      deploySpec(app, dir, port, { version: 'v2', images: { web: `${IMAGE_REPO}:v2` } }),
      deps()
    );
    expect(v2.error?.describe()).toBeUndefined();
    const back = await rollback(rollbackSpec(deploySpec(app, dir, port), { reason: 'v2 is slow' }), deps());
    expect(back.ok).toBe(true);

    const r = runReport(app, ['--repo', repo, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = (JSON.parse(r.stdout) as Record<string, unknown>[])[0]!;

    // By hand, from the lines the deploys wrote.
    const lines = history(dir, app);
    const of = (release: string, event: string) =>
      lines.find((l) => l.release === release && l.event === event);
    const servedAt = (release: string) =>
      Math.min(
        ...['traffic.switched', 'deploy.completed']
          .map((e) => of(release, e))
          .filter(Boolean)
          .map((l) => t(l!))
      );
    const manual = lines.find((l) => l.event === 'rollback.executed' && l.from === v2.releaseId)!;
    expect(manual).toBeDefined();
    expect(of(sick.releaseId, 'traffic.switched')).toBeUndefined(); // it never served
    const commitTime = (ref: string) =>
      Number(
        execFileSync('git', ['-C', repo, 'log', '-1', '--format=%ct', ref], { encoding: 'utf8' }).trim()
      ) * 1000;
    const leads = [
      servedAt(v1.releaseId) - commitTime('v1'),
      servedAt(v2.releaseId) - commitTime('sick'), // v2 is the first served release containing it
      servedAt(v2.releaseId) - commitTime('v2')
    ]
      .map((ms) => ms / 1000)
      .sort((a, b) => a - b);

    expect(report).toMatchObject({
      environment: 'test',
      app,
      deployments: 3,
      successfulDeployments: 2,
      failedDeployments: 2, // sick failed its start; v2 was rolled back
      timeToRestoreWorstSeconds: (t(manual) - servedAt(v2.releaseId)) / 1000
    });
    expect(report.changeFailureRate).toBeCloseTo(2 / 3);
    expect(report.timeToRestoreMedianSeconds).toBe((t(manual) - servedAt(v2.releaseId)) / 1000);
    expect(report.leadTimeMedianSeconds).toBeCloseTo(leads[1]!, 3);
    expect(report.leadTimeP90Seconds).toBeCloseTo(leads[2]!, 3);
    const weeks = report.weeks as { deployments: number }[];
    expect(weeks.reduce((n, w) => n + w.deployments, 0)).toBe(3);
    // One host, read once; its clock is this machine's.
    const hosts = report.hosts as { torn: number; skewSeconds: number; error: string | null }[];
    expect(hosts).toHaveLength(1);
    expect(hosts[0]!.error).toBeNull();
    expect(Math.abs(hosts[0]!.skewSeconds)).toBeLessThan(2);
    expect(report.skew).toEqual([]);
  }, 300_000);

  it('a rollback drill goes back and forward through the gate, and the report lists it without counting it', async () => {
    const before = await version(port);
    const d = await drill(rollbackSpec(deploySpec(app, dir, port), { reason: 'weekly drill' }), deps());
    expect(d.error?.describe()).toBeUndefined();
    expect(d.ok).toBe(true);
    expect(d.back.releaseId).not.toBe(d.servedBefore);
    expect(await version(port)).toBe(before);
    const lines = history(dir, app);
    const drilled = lines.filter((l) => l.event === 'rollback.executed' && l.drill === true);
    expect(drilled.map((l) => [l.from, l.to])).toEqual([
      [d.servedBefore, d.back.releaseId],
      [d.back.releaseId, d.servedBefore]
    ]);
    const done = lines.filter((l) => l.event === 'drill.completed');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ release: d.servedBefore, via: d.back.releaseId });

    const r = runReport(app);
    expect(r.status).toBe(0);
    const json = (JSON.parse(r.stdout) as Record<string, unknown>[])[0]!;
    expect(json).toMatchObject({
      lastDrill: done[0]!.time,
      drillOlderThanMigration: false,
      deployments: 3,
      failedDeployments: 2
    });
  }, 300_000);

  it('an incident recorded through the CLI makes the release serving then a failed change', () => {
    const before = (JSON.parse(runReport(app).stdout) as Record<string, unknown>[])[0]!;
    const serving = JSON.parse(readFileSync(join(dir, app, 'test', 'active.json'), 'utf8')) as {
      release: string;
    };
    const r = hostCli(target(), [
      'incident',
      '--app',
      app,
      '--environment',
      'test',
      '--state-dir',
      dir,
      '--reason',
      'checkout errors at 3 a.m.'
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const line = history(dir, app).at(-1)!;
    expect(line).toMatchObject({ event: 'incident.opened', reason: 'checkout errors at 3 a.m.', app });
    const after = (JSON.parse(runReport(app).stdout) as Record<string, unknown>[])[0]!;
    // The release serving (v1's, back after the drill) served within the incident window: now a failed change.
    expect(serving.release).toBeTruthy();
    expect(after.failedDeployments).toBe((before.failedDeployments as number) + 1);
    expect(after.deployments).toBe(before.deployments);
  }, 120_000);

  it("the textfile is scraped by Prometheus through node_exporter's textfile collector", async () => {
    const textDir = mkdtempSync(join(tmpdir(), 'da-report-textfile-'));
    const r = runReport(app, ['--format', 'prometheus', '--output', join(textDir, 'deploy.prom')]);
    expect(r.status).toBe(0);
    const exporterPort = 18931;
    const exporter = spawn(
      'prometheus-node-exporter',
      [
        `--web.listen-address=127.0.0.1:${exporterPort}`,
        '--collector.disable-defaults',
        '--collector.textfile',
        `--collector.textfile.directory=${textDir}`
      ],
      { stdio: 'ignore' }
    );
    const targets = join(infra().prometheus.targetsDir, 'report-textfile.json');
    try {
      writeFileSync(
        targets,
        JSON.stringify([{ targets: [`127.0.0.1:${exporterPort}`], labels: { suite: 'report' } }])
      );
      const until = Date.now() + 45_000;
      let value: string | undefined;
      while (!value) {
        const q = new URL('/api/v1/query', infra().prometheus.url);
        q.searchParams.set('query', `deploy_actions_deployments{app="${app}",suite="report"}`);
        const res = await fetch(q).catch(() => undefined);
        const body = res?.ok
          ? ((await res.json()) as { data: { result: { value: [number, string] }[] } })
          : undefined;
        value = body?.data.result[0]?.value[1];
        if (!value && Date.now() > until)
          throw new Error('Prometheus did not scrape the textfile within 45 s');
        if (!value) await new Promise((res) => setTimeout(res, 500));
      }
      const json = (JSON.parse(runReport(app).stdout) as Record<string, unknown>[])[0]!;
      expect(Number(value)).toBe(json.deployments);
    } finally {
      rmSync(targets, { force: true });
      exporter.kill('SIGTERM');
    }
  }, 120_000);

  it('writes the Prometheus textfile by rename, and names a host it could not read', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'da-report-prom-')), 'deploy.prom');
    const r = runReport('report-no-such-app', ['--format', 'prometheus', '--output', out]);
    // No host had a history for that app: exit 1, and the file still says what was measured.
    expect(r.status).toBe(1);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('deploy_actions_deployments{app="report-no-such-app",environment="test"} 0');
    expect(spawnSync('promtool', ['check', 'metrics'], { input: text }).status).toBe(0);
  });
});

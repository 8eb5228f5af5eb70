import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  environmentReport,
  isoWeek,
  parseHistory,
  reportExposition,
  reportJson,
  reportMarkdown,
  type Commit,
  type HostReading
} from '../../packages/report/src/index.js';

/**
 * A production history on two hosts, written as the deploy engine writes it, with every figure worked out
 * by hand below from the timestamps:
 *   R1 v1.0.0  switched 10:00:30, completed                                     → ok, served after 30 s
 *   R2 v1.1.0  switched 10:00:20, failed its gate at 10:00:50, rolled back then → failed, restored in 30 s
 *   R3 v1.2.0  completed; an incident 6 h later; a manual rollback 20 min later → failed, restored in 1200 s
 *   R4 v1.3.0  failed before it switched                                         → failed, nothing to restore
 *   R5 v1.4.0  completed                                                         → ok
 */
const line = (time: string, event: string, fields: Record<string, unknown> = {}) =>
  JSON.stringify({ time, event, app: 'shop', environment: 'production', actor: 'octocat', ...fields });

function host(name: string, durationMs: number): string {
  const h = { host: name };
  return [
    line('2026-11-02T10:00:00Z', 'deploy.started', { ...h, release: 'R1', version: 'v1.0.0' }),
    line('2026-11-02T10:00:30Z', 'traffic.switched', { ...h, release: 'R1' }),
    line(name === 'h1' ? '2026-11-02T10:01:00Z' : '2026-11-02T10:01:10Z', 'deploy.completed', {
      ...h,
      release: 'R1',
      version: 'v1.0.0',
      durationMs
    }),
    line('2026-11-03T10:00:00Z', 'deploy.started', { ...h, release: 'R2', version: 'v1.1.0' }),
    line('2026-11-03T10:00:20Z', 'traffic.switched', { ...h, release: 'R2' }),
    line('2026-11-03T10:00:50Z', 'rollback.executed', {
      ...h,
      release: 'R2',
      from: 'R2',
      to: 'R1',
      automatic: true
    }),
    line('2026-11-03T10:00:50Z', 'deploy.failed', { ...h, release: 'R2', version: 'v1.1.0', reason: 'gate' }),
    line('2026-11-05T12:00:00Z', 'drill.completed', { ...h, release: 'R1' }),
    line('2026-11-10T09:00:00Z', 'deploy.started', { ...h, release: 'R3', version: 'v1.2.0' }),
    line('2026-11-10T09:00:40Z', 'traffic.switched', { ...h, release: 'R3' }),
    line('2026-11-10T09:01:00Z', 'deploy.completed', {
      ...h,
      release: 'R3',
      version: 'v1.2.0',
      durationMs: 60_000
    }),
    line('2026-11-10T15:00:00Z', 'incident.opened', { ...h, reason: 'error rate' }),
    line('2026-11-10T15:20:00Z', 'rollback.executed', { ...h, release: 'R1', from: 'R3', to: 'R1' }),
    line('2026-11-11T09:00:00Z', 'deploy.started', { ...h, release: 'R4', version: 'v1.3.0' }),
    line('2026-11-11T09:00:30Z', 'deploy.failed', { ...h, release: 'R4', version: 'v1.3.0', reason: 'pull' }),
    line('2026-11-12T08:59:00Z', 'migration.applied', { ...h, release: 'R5' }),
    line('2026-11-12T09:00:00Z', 'deploy.started', { ...h, release: 'R5', version: 'v1.4.0' }),
    line('2026-11-12T09:00:10Z', 'traffic.switched', { ...h, release: 'R5' }),
    line('2026-11-12T09:00:20Z', 'deploy.completed', {
      ...h,
      release: 'R5',
      version: 'v1.4.0',
      durationMs: 20_000
    }),
    // Another environment's line in the same file is not this report's.
    JSON.stringify({
      time: '2026-11-12T09:00:00Z',
      event: 'deploy.started',
      app: 'shop',
      environment: 'staging',
      release: 'S1',
      host: name
    })
  ].join('\n');
}

const at = (iso: string) => Date.parse(iso);
const commits = new Map<string, Commit[]>([
  ['v1.0.0', [{ sha: 'c1', time: at('2026-11-01T10:01:00Z') }]],
  [
    'v1.2.0',
    [
      { sha: 'c2', time: at('2026-11-10T08:00:00Z') },
      { sha: 'c3', time: at('2026-11-09T09:00:40Z') }
    ]
  ],
  ['v1.4.0', [{ sha: 'c4', time: at('2026-11-12T08:00:10Z') }]]
]);

function readings(): HostReading[] {
  const h1 = { ...parseHistory('h1', host('h1', 60_000)), skewSeconds: 0.3 };
  // h2 was killed mid-append once: a torn line the next writer closed.
  const h2 = {
    ...parseHistory('h2', host('h2', 70_000) + '\n{"time":"2026-11-12T09:00:2\n'),
    skewSeconds: 5
  };
  return [h1, h2];
}

const options = { app: 'shop', incidentWindowMs: 24 * 3_600_000, until: at('2026-11-16T10:00:00Z'), commits };

describe('delivery report: the four keys from the hosts’ history', () => {
  const r = environmentReport('production', readings(), options);

  it('counts deploys, failed changes and the change failure rate', () => {
    expect(r.deployments).toBe(5);
    expect(r.attempts.map((a) => [a.release, a.failed])).toEqual([
      ['R1', false],
      ['R2', true],
      ['R3', true],
      ['R4', true],
      ['R5', false]
    ]);
    expect(r.attempts.map((a) => a.failure?.kind)).toEqual([
      undefined,
      'deploy.failed',
      'incident',
      'deploy.failed',
      undefined
    ]);
    expect(r.failedDeployments).toBe(3);
    expect(r.changeFailureRate).toBeCloseTo(3 / 5);
    // R1, R3 and R5 ended serving: 3 over the 14 days reported.
    expect(r.successfulDeployments).toBe(3);
    expect(r.deploysPerWeek).toBeCloseTo(3 / 2);
  });

  it('times restores from the bad change serving (or the incident) to the next healthy release', () => {
    // R2: switched 10:00:20, rolled back 10:00:50 → 30 s. R3: incident 15:00, rollback 15:20 → 1200 s.
    expect(r.attempts.map((a) => a.restoreSeconds)).toEqual([undefined, 30, 1200, undefined, undefined]);
    expect(r.timeToRestoreMedianSeconds).toBe(30);
    expect(r.timeToRestoreWorstSeconds).toBe(1200);
  });

  it('measures lead time from each commit to the first release containing it serving', () => {
    // c1: 86370 s, c2: 3640 s, c3: 86400 s, c4: 3600 s → median (nearest rank) 3640, p90 86400.
    expect(r.leadTimeMedianSeconds).toBe(3640);
    expect(r.leadTimeP90Seconds).toBe(86_400);
  });

  it('labels each figure with its DORA band from one report year', () => {
    expect(r.bands).toEqual({
      year: 2023,
      deploymentFrequency: 'high',
      leadTime: 'elite',
      changeFailureRate: 'low',
      timeToRestore: 'elite'
    });
  });

  it('gives durations, time to serve, weeks, drills, torn lines and clock skew', () => {
    expect(r.deployDurationMedianSeconds).toBe(60); // R1 70 s (its slowest host), R3 60 s, R5 20 s
    expect(r.timeToServeMedianSeconds).toBe(20); // 30, 20, 40, 10
    expect(r.weeks.map((w) => [w.week, w.deployments, w.failedDeployments, w.successfulDeployments])).toEqual(
      [
        ['2026-W45', 2, 1, 1],
        ['2026-W46', 3, 2, 2]
      ]
    );
    expect(r.lastDrill).toBe('2026-11-05T12:00:00Z');
    expect(r.lastMigration).toBe('2026-11-12T08:59:00Z');
    expect(r.drillOlderThanMigration).toBe(true);
    expect(r.hosts.map((h) => [h.host, h.torn])).toEqual([
      ['h1', 0],
      ['h2', 1]
    ]);
    expect(r.skew).toEqual([{ host: 'h2', seconds: 5 }]);
  });

  it('counts nothing it cannot know: no commits, no lead time; an unreadable host is named', () => {
    const { commits: _c, ...noRepo } = options;
    const missing: HostReading = { host: 'h3', lines: [], torn: 0, error: 'Connection refused' };
    const r2 = environmentReport('production', [...readings(), missing], noRepo);
    expect(r2.leadTimeMedianSeconds).toBeNull();
    expect(r2.bands.leadTime).toBeNull();
    expect(r2.deployments).toBe(5);
    expect(r2.notes.join('\n')).toContain('lead time not computed');
    expect(r2.notes.join('\n')).toContain('h3: history not read (Connection refused)');
  });

  it('writes JSON with the documented fields and a weeks array', () => {
    const [json] = JSON.parse(reportJson([r])) as Record<string, unknown>[];
    for (const k of [
      'environment',
      'deployments',
      'failedDeployments',
      'changeFailureRate',
      'leadTimeMedianSeconds',
      'timeToRestoreMedianSeconds',
      'deploysPerWeek',
      'weeks'
    ])
      expect(json).toHaveProperty(k);
    expect(json).not.toHaveProperty('attempts');
    expect(reportMarkdown([r])).toContain('xychart-beta');
  });

  it('writes a Prometheus textfile that promtool accepts', () => {
    const text = reportExposition([r]);
    expect(text).toContain('deploy_actions_change_failure_rate{app="shop",environment="production"} 0.6');
    const dir = mkdtempSync(join(tmpdir(), 'da-report-'));
    writeFileSync(join(dir, 'report.prom'), text);
    // promtool (Debian's prometheus package) reads the file on stdin and exits non-zero on a bad one.
    const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(out).not.toMatch(/error/i);
  });

  it('numbers ISO weeks across a year boundary', () => {
    expect(isoWeek(at('2026-01-01T00:00:00Z'))).toBe('2026-W01');
    expect(isoWeek(at('2027-01-01T12:00:00Z'))).toBe('2026-W53');
    expect(isoWeek(at('2024-12-30T00:00:00Z'))).toBe('2025-W01');
  });
});

import { codeBlock, formatMs, table, type DeployEvent } from '../../core/src/index.js';
import { eventsTable, timelineMermaid } from '../../events/src/index.js';
import { canarySummary } from './canary-proxy.js';
import type {
  DeployOutcome,
  DeploySpec,
  HostOutcome,
  MigrationRecord,
  RollbackOutcome,
  RollbackSpec,
  TargetSpec
} from './types.js';

/** `Staging EU (staging-eu)`: the environment as named, and its slug on the hosts when that differs. */
function envLabel(spec: TargetSpec): string {
  return spec.environmentSlug && spec.environmentSlug !== spec.environment
    ? `${spec.environment} (${spec.environmentSlug})`
    : spec.environment;
}

/** One row per host: what it serves now, how the run went there, what its link cost. */
function hostsTable(hosts: readonly HostOutcome[] | undefined): string[] {
  if (!hosts?.length) return [];
  return [
    '### Hosts\n',
    table(
      ['host', 'release', 'previous', 'now', 'gate', 'SSH sessions', 'no-op'],
      hosts.map((h) => [
        h.host,
        h.release ?? '',
        h.previous ?? '(none)',
        h.outcome ?? '',
        h.gate?.verdict ?? '',
        h.sessions === undefined ? '' : String(h.sessions),
        h.noopMs === undefined ? '' : formatMs(h.noopMs)
      ])
    )
  ];
}

/** `bin/migrate` on host1 (service web): exit 0 in 2.1s. */
function migrationCell(m: MigrationRecord): string {
  const end = m.timedOut ? 'killed at its timeout' : `exit ${m.exitCode}`;
  return `\`${m.command}\` on ${m.host} (service ${m.service}): ${end} after ${formatMs(m.durationMs)}`;
}

/** The job summary of a deploy: what was shipped where, how it ended, and a timeline of what happened. */
export function deploySummary(o: DeployOutcome, spec: DeploySpec): string {
  const status = o.ok ? '✅ deployed' : o.rolledBack ? '↩️ failed and rolled back' : '❌ failed';
  const parts = [
    `## deploy-compose: ${spec.app}/${envLabel(spec)} ${spec.version} ${status}\n`,
    table(
      ['', ''],
      [
        ['release', o.releaseId],
        ['previous release', o.previousReleaseId ?? '(none)'],
        ['strategy', spec.strategy],
        ['hosts', spec.hosts.join(', ')],
        ['duration', formatMs(o.durationMs)],
        ['url', o.url ?? ''],
        ...(o.migration ? [['migrate-command', migrationCell(o.migration)]] : [])
      ]
    ),
    table(
      ['service', 'image pinned in the release'],
      Object.entries(o.digests).map(([s, d]) => [s, d])
    )
  ];
  parts.push(...hostsTable(o.hosts));
  if (o.compose)
    parts.push(
      '### Compose files as written\n',
      [...o.compose.warnings.map((w) => `- ⚠️ ${w}`), ...o.compose.report.map((l) => `- ${l}`)].join('\n') +
        '\n'
    );
  parts.push(...canarySummary(o.canary, spec.canary, o.gate));
  if (o.error) parts.push('### What failed\n', codeBlock(o.error.describe()));
  if (o.gate)
    parts.push(
      `### Health gate: ${o.gate.verdict}\n\n${o.gate.reason} (${o.gate.probes} probes, p95 ${o.gate.p95Ms} ms)\n`
    );
  parts.push(...timeline(o.events, spec));
  return parts.join('\n');
}

export function rollbackSummary(o: RollbackOutcome, spec: RollbackSpec): string {
  const status = o.dryRun ? '🔍 dry run' : o.ok ? '✅ rolled back' : '❌ failed';
  const parts = [`## rollback: ${spec.app}/${envLabel(spec)} ${status}\n`, ...hostsTable(o.hosts)];
  for (const p of o.plan) {
    parts.push(
      `### ${p.host}: ${p.from ?? '(nothing)'} → ${p.to}\n`,
      p.changes.map((c) => `- ${c}`).join('\n') + '\n',
      table(
        ['release', 'version', 'status', 'created', ''],
        p.candidates.map((c) => [
          c.id,
          c.version,
          c.status,
          c.createdAt,
          c.current ? 'serving' : c.id === p.to ? 'target' : ''
        ])
      )
    );
  }
  if (o.error) parts.push('### What failed\n', codeBlock(o.error.describe()));
  if (o.gate) parts.push(`### Health gate: ${o.gate.verdict}\n\n${o.gate.reason}\n`);
  parts.push(...timeline(o.events, spec));
  return parts.join('\n');
}

/** The run's events as a mermaid timeline and a table; nothing when there were none. */
function timeline(events: DeployEvent[], spec: { app: string; environment: string }): string[] {
  if (!events.length) return [];
  return ['### Timeline\n', timelineMermaid(events, `${spec.app} ${spec.environment}`), eventsTable(events)];
}

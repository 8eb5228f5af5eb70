import { codeBlock, details, formatMs, table } from '../../core/src/index.js';
import type { MigrateResult } from './types.js';

const MAX_EVENTS = 50;

/** The `evidence` output: the result as plain JSON, the error as its person-facing text. */
export function evidenceJson(result: MigrateResult): Record<string, unknown> {
  const { error, ...rest } = result;
  return {
    ...rest,
    // Each event repeats the file's facts; past a few dozen only their count is worth the output's size.
    events: result.events.length > MAX_EVENTS ? result.events.slice(-MAX_EVENTS) : result.events,
    ...(result.events.length > MAX_EVENTS ? { eventsTotal: result.events.length } : {}),
    // The SQL of a plan can be long; the summary shows it, the evidence keeps what and how.
    plan: result.plan.map((p) => ({ ...p, sql: p.sql.length > 2000 ? `${p.sql.slice(0, 2000)}…` : p.sql })),
    ...(error
      ? { error: { kind: error.kind, message: error.message, state: error.state, hint: error.hint } }
      : {})
  };
}

/** A titled table, or nothing when there are no rows. */
function section(title: string, headers: string[], rows: string[][]): string[] {
  return rows.length ? [`${title}\n`, table(headers, rows)] : [];
}

/** The job summary: outcome, server, a table of what ran (or would run, or the status), the failure. */
export function migrationSummary(result: MigrateResult): string {
  const out: string[] = [];
  const icon = result.outcome === 'success' ? '✅' : '❌';
  out.push(`### ${icon} run-migrations ${result.mode}: ${result.outcome}\n`);
  const facts: [string, string][] = [];
  if (result.database) facts.push(['database', result.database.display]);
  if (result.server) facts.push(['server', `PostgreSQL ${result.server.version}`]);
  if (result.historyTable) facts.push(['history table', result.historyTable]);
  if (result.lock) {
    facts.push([
      'lock',
      `advisory ${result.lock.key}${result.lock.attempts > 1 ? `, waited ${formatMs(result.lock.waitedMs)}` : ''}`
    ]);
  }
  facts.push(['current version', result.currentVersion || '(none)']);
  facts.push(['pending', result.pending.length ? result.pending.join(', ') : 'none']);
  if (result.backup) facts.push(['backup', `${result.backup.path} (${result.backup.bytes} bytes)`]);
  if (result.command) {
    facts.push([
      'command',
      `\`${result.command.argv.join(' ')}\` on ${result.command.target}: exit ${result.command.exitCode}`
    ]);
  }
  facts.push(['duration', formatMs(result.durationMs)]);
  out.push(table(['', ''], facts));

  out.push(
    ...section(
      '**Applied**',
      ['version', 'file', 'execution', 'duration', 'sha256'],
      result.applied.map((a) => [
        a.version,
        a.file,
        a.execution,
        formatMs(a.durationMs),
        a.checksum.slice(0, 12)
      ])
    ),
    ...section(
      '**Retried after a failed attempt** (each rolled back and left nothing, so no repair was needed)',
      ['version', 'file', 'earlier failed attempts', 'last failure'],
      result.retried.map((r) => {
        const last = r.earlierFailures[r.earlierFailures.length - 1]!;
        return [
          r.version,
          r.direction === 'up' ? r.file : `${r.file} (down)`,
          String(r.earlierFailures.length),
          `${last.at} by ${last.by}${last.line ? `, line ${last.line}` : ''}: ${last.error}`
        ];
      })
    ),
    ...section(
      '**Reverted**',
      ['version', 'down file', 'execution', 'duration'],
      result.reverted.map((a) => [a.version, a.file, a.execution, formatMs(a.durationMs)])
    ),
    ...section(
      '**Repaired**',
      ['version', 'file', 'action'],
      result.repaired.map((r) => [r.version, r.file, r.action])
    )
  );
  if (result.baselined.length) {
    out.push(`**Baseline**: recorded as applied without running: ${result.baselined.join(', ')}\n`);
  }
  if (result.mode === 'plan') {
    out.push(result.plan.length ? `**Would apply ${result.plan.length}**\n` : 'Nothing to apply.\n');
    for (const p of result.plan) out.push(details(`${p.file} (${p.execution})`, codeBlock(p.sql, 'sql')));
  }
  out.push(
    ...section(
      '**Status**',
      ['version', 'file', 'state', 'applied at', 'by', 'note'],
      result.status.map((s) => [
        s.version,
        s.file,
        s.state,
        s.appliedAt ?? '',
        s.appliedBy ?? '',
        [
          s.drifted ? 'checksum drift' : '',
          s.outOfOrder ? 'out of order' : '',
          s.fileMissing ? 'file missing' : '',
          s.failedAttempts ? `${s.failedAttempts} failed attempt(s) rolled back` : '',
          s.error ? (s.error.split('\n')[0] ?? '') : ''
        ]
          .filter(Boolean)
          .join('; ')
      ])
    )
  );
  if (result.error) {
    out.push(`**Error**\n`);
    out.push(codeBlock(result.error.describe()));
  }
  for (const w of result.warnings) out.push(`> ⚠️ ${w}\n`);
  return out.join('\n');
}

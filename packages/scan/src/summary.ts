import { escapeCell, table } from '../../core/src/index.js';
import { ALL_SEVERITIES, type ScanVerdict } from './types.js';

const BAR_WIDTH = 30;

/** The job summary: the verdict, the blocking findings where reviewers look, then counts as a chart. */
export function scanSummary(v: ScanVerdict): string {
  const out: string[] = [];
  out.push(`### scan-gate: ${v.verdict === 'pass' ? '✅ pass' : '❌ fail'}\n`);
  out.push(`${escapeCell(v.reason)}\n`);
  out.push(
    `Report: \`${v.report.file}\` (${v.report.format}, ${escapeCell(v.report.target)}). Image: ${escapeCell(v.identity)}.\n`
  );
  if (v.blocking.length) {
    out.push(`#### Blocking findings (${v.blocking.length})\n`);
    out.push(
      table(
        ['id', 'package', 'installed → fixed', 'severity', 'link'],
        v.blocking.map((f) => [
          f.id +
            (f.status === 'expired-exception' && f.exception
              ? ` (exception of ${f.exception.owner} expired after ${f.exception.expires})`
              : ''),
          f.package,
          `${f.installed || '?'} → ${f.fixed || 'no fix yet'}`,
          f.severity,
          f.link ? `[${f.id}](${f.link})` : ''
        ])
      )
    );
  }
  const max = Math.max(1, ...Object.values(v.counts));
  out.push(`#### Findings by severity (${v.findings.length})\n`);
  out.push(
    table(
      ['severity', 'count', ''],
      ALL_SEVERITIES.filter((s) => s !== 'NEGLIGIBLE' || v.counts[s] > 0).map((s) => [
        s,
        v.counts[s],
        '█'.repeat(Math.round((v.counts[s] / max) * BAR_WIDTH)) || (v.counts[s] ? '▏' : '')
      ])
    )
  );
  const excepted = v.findings.filter((f) => f.status === 'excepted');
  if (v.exceptionsUsed.length || v.exceptionsExpired.length || v.exceptionsUnused.length) {
    out.push(`#### Exceptions\n`);
    const rows = [
      ...v.exceptionsUsed.map((e) => [
        e.id,
        e.package ?? '(any)',
        e.owner,
        e.expires,
        `used (${excepted.filter((f) => f.exception === e).length} finding(s))`,
        e.reason
      ]),
      ...v.exceptionsExpired.map((e) => [
        e.id,
        e.package ?? '(any)',
        e.owner,
        e.expires,
        'expired',
        e.reason
      ]),
      ...v.exceptionsUnused
        .filter((e) => !v.exceptionsExpired.includes(e))
        .map((e) => [e.id, e.package ?? '(any)', e.owner, e.expires, 'matched nothing', e.reason])
    ];
    out.push(table(['id', 'package', 'owner', 'expires', 'state', 'reason'], rows));
  }
  for (const w of v.warnings) out.push(`> ⚠️ ${escapeCell(w)}\n`);
  return out.join('\n');
}

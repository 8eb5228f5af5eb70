import { formatMs, table } from '../../core/src/index.js';
import type { AnonymizeResult } from './run.js';

/** The job summary: a row per table, the leak check, the time taken. */
export function anonymizeSummary(result: AnonymizeResult): string {
  const rows = result.tables.map((t) => [
    `\`${t.table}\``,
    t.truncated ? 'truncated' : String(t.rows) + (t.subset ? ' (subset)' : ''),
    t.masked.map((m) => `\`${m}\``).join(', ') || '-'
  ]);
  return [
    '### anonymize-data',
    '',
    table(['Table', 'Rows', 'Masked columns'], rows),
    '',
    `Leak check: ${result.leak.sampled} source value(s) sampled over ${result.leak.columns} column(s), ${result.leak.findings.length} found in the copy.`,
    `Rules checksum \`${result.rulesChecksum.slice(0, 12)}\`; ${result.sequences} sequence(s) set; took ${formatMs(result.durationMs)}.`,
    ''
  ].join('\n');
}

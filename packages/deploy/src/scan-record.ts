import { createHash } from 'node:crypto';
import { InputError, asScanRecord, type InputReader, type ScanRecord } from '../../core/src/index.js';

/** The release directory's copy of the report its image was judged on (the rescan and operators read it). */
export const SCAN_REPORT_FILE = 'scan-report.json';

/** The scan a release ships with: the report's text, copied as scan-report.json, and scan-gate's verdict. */
export interface ReleaseScan {
  report: string;
  record: ScanRecord;
}

const FIX = "pass scan-gate's `report-file` and `record` outputs of the same step";

/**
 * `scan-report` and `scan-verdict`, together or not at all: the verdict must name the sha256 of the report
 * given, so the release record never describes another file than the one in its directory.
 */
export function readReleaseScan(
  inputs: InputReader,
  readFile: (input: string, path: string) => string
): { scan?: ReleaseScan } {
  const path = inputs.optional('scan-report');
  const verdict = inputs.optional('scan-verdict');
  if (!path && !verdict) return {};
  if (!path) throw new InputError('scan-report', 'scan-verdict is given without the report it judged', FIX);
  if (!verdict)
    throw new InputError('scan-verdict', `scan-report (${path}) is given without its verdict`, FIX);
  let parsed: unknown;
  try {
    parsed = JSON.parse(verdict);
  } catch {
    parsed = undefined;
  }
  const record = asScanRecord(parsed);
  if (!record)
    throw new InputError(
      'scan-verdict',
      'is not a scan verdict (a JSON object with verdict pass|fail, counts and the report sha256)',
      FIX
    );
  const report = readFile('scan-report', path);
  const digest = `sha256:${createHash('sha256').update(report).digest('hex')}`;
  if (digest !== record.report)
    throw new InputError(
      'scan-report',
      `${path} (sha256 ${digest}) is not the report scan-verdict judged (${record.report})`,
      FIX
    );
  return { scan: { report, record } };
}

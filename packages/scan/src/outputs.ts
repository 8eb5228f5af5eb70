import { createHash } from 'node:crypto';
import type { ScanRecord } from '../../core/src/index.js';
import type { JudgedFinding, ScanException, ScanVerdict } from './types.js';
import type { OutputName } from '../../manifest/src/index.js';

const brief = (f: JudgedFinding) => ({ id: f.id, package: f.package, severity: f.severity, fixed: f.fixed });
const exception = (e: ScanException) => ({
  id: e.id,
  ...(e.package ? { package: e.package } : {}),
  owner: e.owner,
  expires: e.expires,
  reason: e.reason
});

/**
 * The outputs a verdict sets, as strings; lists are JSON arrays so a workflow can `fromJSON` them. The files,
 * the stored report and the record (which needs the report's bytes) are the entry's.
 */
type VerdictOutput = Exclude<
  OutputName<'scan-gate'>,
  'evidence-file' | 'stored' | 'report-file' | 'report-digest' | 'record'
>;

export function outputsOf(v: ScanVerdict): Record<VerdictOutput, string> {
  return {
    verdict: v.verdict,
    reason: v.reason,
    counts: JSON.stringify(v.counts),
    'blocking-count': String(v.blocking.length),
    'new-findings': JSON.stringify(v.newFindings.map(brief)),
    'exceptions-used': JSON.stringify(v.exceptionsUsed.map(exception)),
    'exceptions-expired': JSON.stringify(v.exceptionsExpired.map(exception)),
    'exceptions-unused': JSON.stringify(v.exceptionsUnused.map(exception))
  };
}

/** Everything judged, for the evidence file: each finding with its status and the exception that covers it. */
export function evidenceOf(v: ScanVerdict): unknown {
  return {
    verdict: v.verdict,
    reason: v.reason,
    identity: v.identity,
    report: v.report,
    counts: v.counts,
    findings: v.findings.map((f) => ({
      ...brief(f),
      installed: f.installed,
      link: f.link,
      status: f.status,
      new: f.isNew,
      ...(f.exception ? { exception: exception(f.exception) } : {})
    })),
    warnings: v.warnings
  };
}

/** sha256 of the report's bytes: what the release record names, so its copies can be checked against it. */
export function reportDigest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** The verdict as deploy-compose records it (`scan-verdict`) and notifications show it. */
export function scanRecordOf(v: ScanVerdict, text: string): ScanRecord {
  return {
    verdict: v.verdict,
    counts: { ...v.counts },
    report: reportDigest(text),
    blocking: v.blocking.length
  };
}

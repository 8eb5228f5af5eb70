/** Severities from least to most severe; UNKNOWN sits apart and blocks only when `fail-on` names it. */
export const SEVERITIES = ['NEGLIGIBLE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number] | 'UNKNOWN';
export const ALL_SEVERITIES: readonly Severity[] = [
  'CRITICAL',
  'HIGH',
  'MEDIUM',
  'LOW',
  'NEGLIGIBLE',
  'UNKNOWN'
];

export type Scanner = 'trivy' | 'grype';
export type ReportFormat = 'trivy-json' | 'trivy-sarif' | 'grype-json' | 'grype-sarif';

/** One vulnerability in one package, as a scanner reported it, in the same shape whatever the format. */
export interface Finding {
  /** CVE-…, GHSA-…: the vulnerability id without a scanner's suffix. */
  id: string;
  package: string;
  installed: string;
  /** Empty when the scanner knows no fixed version. */
  fixed: string;
  severity: Severity;
  /** Where a reviewer reads about it. */
  link: string;
}

/** A finding's identity: a new installed version of the same package does not make a finding new. */
export function findingKey(f: Pick<Finding, 'id' | 'package'>): string {
  return `${f.id}\u0000${f.package}`;
}

export interface ScanReport {
  /** The file it was read from, as given. */
  file: string;
  format: ReportFormat;
  scanner: Scanner;
  /**
   * The image the report describes, as every digest it names (`sha256:…`: image id, manifest digest,
   * repo digests). Empty when it names no image (Grype SARIF, a directory scan, Grype's empty report).
   */
  imageDigests: string[];
  /** What was scanned, for the summary (an image name, a directory, `unknown`). */
  target: string;
  findings: Finding[];
}

export interface ScanException {
  id: string;
  /** Absent: every package with this vulnerability. */
  package?: string;
  reason: string;
  owner: string;
  /** YYYY-MM-DD, valid through that day (UTC). */
  expires: string;
  /** Line in the exceptions file, for messages. */
  line: number;
}

export interface ScanPolicy {
  /** Severities that block (the lowest listed and everything above it; UNKNOWN only when listed). */
  failOn: Severity[];
  onlyFixable: boolean;
  exceptions: ScanException[];
  /** The report of the release serving in the target environment; with newOnly only findings it lacks block. */
  baseline?: ScanReport;
  newOnly: boolean;
  /** A digest or image id the report must describe. */
  digest?: string;
  allowUnidentified: boolean;
}

/** Why a finding does or does not block. */
export type FindingStatus =
  'blocking' | 'below-threshold' | 'unfixed' | 'excepted' | 'in-baseline' | 'expired-exception';

export interface JudgedFinding extends Finding {
  status: FindingStatus;
  /** Not in the baseline (true when there is no baseline). */
  isNew: boolean;
  /** The exception that covers it (or covered it until it expired). */
  exception?: ScanException;
}

export interface ScanVerdict {
  verdict: 'pass' | 'fail';
  /** One line: why. */
  reason: string;
  report: { file: string; format: ReportFormat; target: string; imageDigests: string[] };
  /** What the digest check found: matched, not checked (no digest given), or unidentified and allowed. */
  identity: string;
  counts: Record<Severity, number>;
  findings: JudgedFinding[];
  blocking: JudgedFinding[];
  /** Findings at or above fail-on that the baseline lacks (all of them without a baseline). */
  newFindings: JudgedFinding[];
  exceptionsUsed: ScanException[];
  exceptionsExpired: ScanException[];
  exceptionsUnused: ScanException[];
  warnings: string[];
}

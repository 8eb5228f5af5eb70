import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';

/**
 * The scanners' own golden reports (../shared/scan-reports beside the repository, unmodified; see its README).
 * They are read in place, never copied into the repository. A checkout elsewhere points
 * DEPLOY_ACTIONS_SCAN_REPORTS at the folder.
 */
export const REPORTS =
  process.env.DEPLOY_ACTIONS_SCAN_REPORTS ?? join(REPO_ROOT, '..', 'shared', 'scan-reports');

export function reportPath(name: string): string {
  if (!existsSync(join(REPORTS, 'README.md')))
    throw new Error(
      `The scanner reports are missing: expected ${REPORTS} (the shared folder beside the repository). Clone the repository next to a copy of shared/, or point DEPLOY_ACTIONS_SCAN_REPORTS at shared/scan-reports.`
    );
  return join(REPORTS, name);
}

export function reportText(name: string): string {
  return readFileSync(reportPath(name), 'utf8');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = any;

/**
 * Severity counts read straight from each file's own fields, by a path other than the engine's: Trivy JSON's
 * `Severity`, Grype JSON's `vulnerability.severity`, Trivy SARIF's result message (`Severity:` line; the
 * engine reads the rule's tags), Grype SARIF's result message ("A low vulnerability …"; the engine reads the
 * rule's help text).
 */
export function rawSeverities(name: string): string[] {
  const doc: Raw = JSON.parse(reportText(name));
  if (name.endsWith('.sarif'))
    return doc.runs.flatMap((run: Raw) =>
      run.results.map((r: Raw) => {
        const text: string = r.message.text;
        return (
          /^Severity: (\w+)/m.exec(text)?.[1] ??
          /^An? (\w+) vulnerability/.exec(text)?.[1] ??
          '?'
        ).toUpperCase();
      })
    );
  if (name.startsWith('trivy-'))
    return doc.Results.flatMap((r: Raw) =>
      (r.Vulnerabilities ?? []).map((v: Raw) => String(v.Severity).toUpperCase())
    );
  return doc.matches.map((m: Raw) => String(m.vulnerability.severity).toUpperCase());
}

export function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** The (id, package) pairs of a Trivy JSON report, read from its own fields. */
export function trivyPairs(name: string): string[] {
  const doc: Raw = JSON.parse(reportText(name));
  return doc.Results.flatMap((r: Raw) =>
    (r.Vulnerabilities ?? []).map((v: Raw) => `${v.VulnerabilityID} ${v.PkgName}`)
  ).sort();
}

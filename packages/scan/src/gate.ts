import { atOrAbove } from './severity.js';
import { isExpired } from './exceptions.js';
import { digestOf } from './parse.js';
import {
  ALL_SEVERITIES,
  findingKey,
  type Finding,
  type JudgedFinding,
  type ScanException,
  type ScanPolicy,
  type ScanReport,
  type ScanVerdict,
  type Severity
} from './types.js';

function covers(e: ScanException, f: Finding): boolean {
  return e.id === f.id && (e.package === undefined || e.package === f.package);
}

function describeException(e: ScanException): string {
  return `${e.id}${e.package ? ` (${e.package})` : ''}`;
}

/** Whether the report describes the image `digest` names; a reason for the summary, or why it is refused. */
export function checkIdentity(
  report: ScanReport,
  policy: Pick<ScanPolicy, 'digest' | 'allowUnidentified'>
): { ok: true; identity: string } | { ok: false; reason: string } {
  if (!policy.digest)
    return {
      ok: true,
      identity: `not checked: no digest was given, so nothing ties this report to the image that ships${report.imageDigests.length ? ` (it names ${report.imageDigests.join(', ')})` : ''}`
    };
  const wanted = digestOf(policy.digest) ?? policy.digest;
  if (report.imageDigests.length === 0) {
    if (policy.allowUnidentified)
      return {
        ok: true,
        identity: `unidentified: ${report.file} names no image (${report.target}); allowed by allow-unidentified`
      };
    return {
      ok: false,
      reason: `${report.file} names no image (${report.target}), so it cannot be shown to describe ${wanted}`
    };
  }
  if (report.imageDigests.includes(wanted))
    return { ok: true, identity: `matched: ${report.file} describes ${wanted}` };
  return {
    ok: false,
    reason: `${report.file} describes another image: it names ${report.imageDigests.join(', ')}, not ${wanted}`
  };
}

/**
 * Judge a report against a policy. Never throws for findings: the verdict says pass or fail and why. A finding
 * blocks when it is at or above fail-on, fixable (with only-fixable), new (with new-only) and not covered by
 * an exception that still holds. An expired exception does not cover it, and the reason names its owner.
 */
export function judge(report: ScanReport, policy: ScanPolicy, now: Date = new Date()): ScanVerdict {
  const baseline = policy.baseline ? new Set(policy.baseline.findings.map(findingKey)) : undefined;
  const used = new Set<ScanException>();
  const expiredBlocking = new Set<ScanException>();
  const matchedAny = new Set<ScanException>();
  const findings: JudgedFinding[] = report.findings.map((f) => {
    const isNew = baseline ? !baseline.has(findingKey(f)) : true;
    const matching = policy.exceptions.filter((e) => covers(e, f));
    for (const e of matching) matchedAny.add(e);
    const active = matching.find((e) => !isExpired(e, now));
    const expired = matching.find((e) => isExpired(e, now));
    const eligible = atOrAbove(f.severity, policy.failOn);
    if (active) {
      used.add(active);
      return { ...f, status: 'excepted', isNew, exception: active };
    }
    if (!eligible)
      return { ...f, status: 'below-threshold', isNew, ...(expired ? { exception: expired } : {}) };
    if (policy.onlyFixable && !f.fixed) return { ...f, status: 'unfixed', isNew };
    if (policy.newOnly && !isNew) return { ...f, status: 'in-baseline', isNew };
    if (expired) {
      expiredBlocking.add(expired);
      return { ...f, status: 'expired-exception', isNew, exception: expired };
    }
    return { ...f, status: 'blocking', isNew };
  });

  const counts = Object.fromEntries(ALL_SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of report.findings) counts[f.severity]++;
  const blocking = findings.filter((f) => f.status === 'blocking' || f.status === 'expired-exception');
  const newFindings = findings.filter((f) => f.isNew && atOrAbove(f.severity, policy.failOn));
  const exceptionsExpired = policy.exceptions.filter((e) => isExpired(e, now));
  const warnings: string[] = [];
  for (const e of exceptionsExpired)
    if (!expiredBlocking.has(e))
      warnings.push(
        `exception ${describeException(e)} (line ${e.line}, owner ${e.owner}) expired after ${e.expires}; it matches nothing that blocks now, so remove or renew it`
      );
  const exceptionsUnused = policy.exceptions.filter((e) => !matchedAny.has(e));
  for (const e of exceptionsUnused)
    warnings.push(
      `exception ${describeException(e)} (line ${e.line}, owner ${e.owner}) matched no finding in ${report.file}`
    );

  const identity = checkIdentity(report, policy);
  const base = {
    report: {
      file: report.file,
      format: report.format,
      target: report.target,
      imageDigests: report.imageDigests
    },
    counts,
    findings,
    blocking,
    newFindings,
    exceptionsUsed: policy.exceptions.filter((e) => used.has(e)),
    exceptionsExpired,
    exceptionsUnused,
    warnings
  };
  if (!identity.ok)
    return { ...base, verdict: 'fail', reason: identity.reason, identity: `refused: ${identity.reason}` };

  let reason: string;
  if (blocking.length === 0) {
    const total = report.findings.length;
    reason = total === 0 ? 'no findings' : `none of ${total} finding(s) blocks (${policySentence(policy)})`;
  } else {
    const expired = [...expiredBlocking].map(
      (e) => `exception ${describeException(e)} of ${e.owner} expired after ${e.expires} (line ${e.line})`
    );
    const list = blocking
      .slice(0, 5)
      .map((f) => `${f.id} in ${f.package} (${f.severity})`)
      .join(', ');
    reason = `${blocking.length} blocking finding(s) (${policySentence(policy)}): ${list}${blocking.length > 5 ? ', …' : ''}${expired.length ? `; ${expired.join('; ')}` : ''}`;
  }
  return { ...base, verdict: blocking.length ? 'fail' : 'pass', reason, identity: identity.identity };
}

export function policySentence(policy: ScanPolicy): string {
  const parts = [`fail-on ${policy.failOn.join(',')}`];
  if (policy.onlyFixable) parts.push('only fixable');
  if (policy.newOnly)
    parts.push(
      policy.baseline
        ? `only new since ${policy.baseline.file}`
        : 'only new (no baseline: every finding is new)'
    );
  return parts.join(', ');
}

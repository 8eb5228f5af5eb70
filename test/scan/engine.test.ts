import { readdirSync } from 'node:fs';
import { InputError } from '../../packages/core/src/index.js';
import {
  ALL_SEVERITIES,
  judge,
  parseExceptions,
  parseReport,
  scanSummary,
  type ScanPolicy,
  type ScanReport,
  type Severity
} from '../../packages/scan/src/index.js';
import { REPORTS, countBy, rawSeverities, reportPath, reportText, trivyPairs } from './reports.js';

const load = (name: string): ScanReport => parseReport(reportText(name), reportPath(name));
const EVERY: Severity[] = [...ALL_SEVERITIES];
const policy = (p: Partial<ScanPolicy> = {}): ScanPolicy => ({
  failOn: ['HIGH', 'CRITICAL'],
  onlyFixable: false,
  exceptions: [],
  newOnly: false,
  allowUnidentified: false,
  ...p
});
const pairs = (v: { blocking: { id: string; package: string }[] }) =>
  v.blocking.map((f) => `${f.id} ${f.package}`).sort();
const NOW = new Date('2026-12-07T13:00:00Z');

const FILES = () => readdirSync(REPORTS).filter((f) => f.endsWith('.json') || f.endsWith('.sarif'));

describe('every golden report', () => {
  it('is found beside the repository (all eleven)', () => {
    reportPath('README.md');
    expect(FILES()).toHaveLength(11);
  });

  it.each(FILES())('%s: counts by severity agree with the file itself, and the verdict with them', (name) => {
    const raw = rawSeverities(name);
    const v = judge(load(name), policy(), NOW);
    const nonZero = Object.fromEntries(Object.entries(v.counts).filter(([, n]) => n > 0));
    expect(nonZero).toEqual(countBy(raw));
    expect(v.findings).toHaveLength(raw.length);
    const blocks = raw.some((s) => s === 'HIGH' || s === 'CRITICAL');
    expect(v.verdict).toBe(blocks ? 'fail' : 'pass');
    expect(v.blocking).toHaveLength(raw.filter((s) => s === 'HIGH' || s === 'CRITICAL').length);
  });

  it('Grype SARIF severity comes from the rule help, never from security-severity (8.2 on a rule labelled low)', () => {
    const r = load('grype-TestSarifPresenter_image.sarif');
    expect(r.findings.map((f) => [f.id, f.package, f.severity, f.installed, f.fixed])).toEqual([
      ['CVE-1999-0001', 'package-1', 'LOW', '1.1.1', '1.2.1,2.1.3,3.4.0'],
      ['CVE-1999-0002', 'package-2', 'CRITICAL', '2.2.2', '']
    ]);
  });

  it('Trivy SARIF gives the same findings as the Trivy JSON of the same scan', () => {
    const sarif = load('trivy-alpine-310.sarif');
    const json = load('trivy-alpine-310.json');
    const strip = (r: ScanReport) =>
      r.findings.map((f) => [f.id, f.package, f.installed, f.fixed, f.severity].join(' ')).sort();
    expect(strip(sarif)).toEqual(strip(json));
    expect(sarif.imageDigests).toEqual(json.imageDigests);
  });
});

describe("the gate agrees with Trivy's own answers to the same policy", () => {
  it('fail-on HIGH,CRITICAL with only-fixable on alpine-39 = trivy --severity HIGH,CRITICAL --ignore-unfixed', () => {
    const v = judge(
      load('trivy-alpine-39.json'),
      policy({ failOn: ['HIGH', 'CRITICAL'], onlyFixable: true }),
      NOW
    );
    expect(pairs(v)).toEqual(trivyPairs('trivy-alpine-39-high-critical.json'));
    expect(v.verdict).toBe('fail');
  });

  it('exceptions for CVE-2019-1549 and CVE-2019-14697 on alpine-39 = .trivyignore with those ids', () => {
    const exceptions = parseExceptions(
      [
        '- id: CVE-2019-1549',
        '  reason: no fork after seeding',
        "  owner: '@crypto-team'",
        '  expires: 2027-01-31',
        '- id: CVE-2019-14697',
        '  reason: musl fixed upstream in the next base image',
        '  owner: alice',
        '  expires: 2026-12-07'
      ].join('\n'),
      'exceptions.yml'
    );
    const v = judge(load('trivy-alpine-39.json'), policy({ failOn: EVERY, exceptions }), NOW);
    expect(pairs(v)).toEqual(trivyPairs('trivy-alpine-39-ignore-cveids.json'));
    expect(v.exceptionsUsed.map((e) => e.id)).toEqual(['CVE-2019-1549', 'CVE-2019-14697']);
    expect(v.exceptionsExpired).toEqual([]);
  });

  it('only-fixable on debian-buster = trivy --ignore-unfixed', () => {
    const v = judge(load('trivy-debian-buster.json'), policy({ failOn: EVERY, onlyFixable: true }), NOW);
    expect(pairs(v)).toEqual(trivyPairs('trivy-debian-buster-ignore-unfixed.json'));
  });
});

describe('new-only against the report of the release that serves', () => {
  it('alpine-310 after alpine-39: nothing new (same ids and packages at newer versions)', () => {
    const v = judge(
      load('trivy-alpine-310.json'),
      policy({ failOn: EVERY, newOnly: true, baseline: load('trivy-alpine-39.json') }),
      NOW
    );
    expect(v.newFindings).toEqual([]);
    expect(v.blocking).toEqual([]);
    expect(v.verdict).toBe('pass');
    expect(v.findings.every((f) => f.status === 'in-baseline')).toBe(true);
  });

  it('alpine-39 after alpine-310: the musl CRITICALs are new and block', () => {
    const v = judge(
      load('trivy-alpine-39.json'),
      policy({ newOnly: true, baseline: load('trivy-alpine-310.json') }),
      NOW
    );
    expect(v.newFindings.map((f) => `${f.id} ${f.package} ${f.severity}`)).toEqual([
      'CVE-2019-14697 musl CRITICAL',
      'CVE-2019-14697 musl-utils CRITICAL'
    ]);
    expect(pairs(v)).toEqual(['CVE-2019-14697 musl', 'CVE-2019-14697 musl-utils']);
  });
});

describe('the image the report describes', () => {
  const trivyId = () => JSON.parse(reportText('trivy-alpine-310.json')).Metadata.ImageID as string;
  const grype = () => JSON.parse(reportText('grype-TestJsonImgsPresenter.json')).source.target;

  it("accepts Trivy's ImageID, as build-image reports the image id", () => {
    const v = judge(load('trivy-alpine-310.json'), policy({ digest: trivyId() }), NOW);
    expect(v.verdict).toBe('pass');
    expect(v.identity).toContain(`matched`);
  });

  it("accepts Grype's manifest digest and its image id", () => {
    for (const digest of [grype().manifestDigest, grype().imageID]) {
      const v = judge(
        load('grype-TestJsonImgsPresenter.json'),
        policy({ digest, failOn: ['CRITICAL'], exceptions: [] }),
        NOW
      );
      expect(v.identity).toMatch(/^matched/);
    }
  });

  it('refuses a report of another image, naming both', () => {
    const other = `sha256:${'ab'.repeat(32)}`;
    const v = judge(load('trivy-alpine-310.json'), policy({ digest: other }), NOW);
    expect(v.verdict).toBe('fail');
    expect(v.reason).toContain(other);
    expect(v.reason).toContain(trivyId());
  });

  it('refuses a Grype directory scan, the empty Grype report and Grype SARIF where a digest is required', () => {
    const digest = `sha256:${'cd'.repeat(32)}`;
    for (const name of [
      'grype-TestJsonDirsPresenter.json',
      'grype-TestEmptyJsonPresenter.json',
      'grype-TestSarifPresenter_image.sarif'
    ]) {
      const v = judge(load(name), policy({ digest, failOn: ['CRITICAL'] }), NOW);
      expect([name, v.verdict, v.reason]).toEqual([name, 'fail', expect.stringContaining('names no image')]);
      const allowed = judge(
        load(name),
        policy({ digest, failOn: ['CRITICAL'], allowUnidentified: true }),
        NOW
      );
      expect(allowed.identity).toMatch(/^unidentified/);
    }
  });

  it('without a digest checks nothing and says so', () => {
    const v = judge(load('grype-TestEmptyJsonPresenter.json'), policy(), NOW);
    expect(v.verdict).toBe('pass');
    expect(v.reason).toBe('no findings');
    expect(v.identity).toMatch(/^not checked/);
    expect(scanSummary(v)).toContain('not checked');
  });
});

describe('exceptions', () => {
  const file = (expires: string, extra = '') =>
    parseExceptions(
      `- id: CVE-2019-14697\n  reason: base image bump pending\n  owner: bob\n  expires: ${expires}\n${extra}`,
      'x.yml'
    );

  it('hold through the day they name (UTC), and fail the gate the day after, naming owner and date', () => {
    const report = load('trivy-alpine-39.json');
    expect(
      judge(report, policy({ exceptions: file('2026-12-07') }), new Date('2026-12-07T23:59:59Z')).verdict
    ).toBe('pass');
    const v = judge(report, policy({ exceptions: file('2026-12-07') }), new Date('2026-12-08T00:00:00Z'));
    expect(v.verdict).toBe('fail');
    expect(v.reason).toContain('bob');
    expect(v.reason).toContain('expired after 2026-12-07');
    expect(v.exceptionsExpired.map((e) => e.owner)).toEqual(['bob']);
  });

  it('an expired one matching nothing that blocks is a warning; one matching nothing is reported unused', () => {
    const exceptions = parseExceptions(
      '- id: CVE-2019-1549\n  reason: r\n  owner: carol\n  expires: 2020-01-01\n- id: CVE-2000-0001\n  reason: r\n  owner: dave\n  expires: 2030-01-01\n',
      'x.yml'
    );
    const v = judge(load('trivy-alpine-310.json'), policy({ exceptions }), NOW);
    expect(v.verdict).toBe('pass');
    expect(v.warnings.join('\n')).toMatch(/CVE-2019-1549.*carol.*expired after 2020-01-01/);
    expect(v.exceptionsUnused.map((e) => e.owner)).toEqual(['dave']);
    expect(v.warnings.join('\n')).toMatch(/CVE-2000-0001.*matched no finding/);
  });

  it('with a package, cover only that package', () => {
    const exceptions = parseExceptions(
      '- id: CVE-2019-14697\n  package: musl\n  reason: r\n  owner: o\n  expires: 2030-01-01',
      'x.yml'
    );
    const v = judge(load('trivy-alpine-39.json'), policy({ exceptions }), NOW);
    expect(pairs(v)).toEqual(['CVE-2019-14697 musl-utils']);
  });
});

describe('the summary', () => {
  it('tables the blocking findings with installed → fixed and a link, then counts as a chart', () => {
    const text = scanSummary(judge(load('trivy-alpine-39.json'), policy(), NOW));
    expect(text).toContain(
      '| CVE-2019-14697 | musl | 1.1.20-r4 → 1.1.20-r5 | CRITICAL | [CVE-2019-14697](https://avd.aquasec.com/nvd/cve-2019-14697) |'
    );
    expect(text).toMatch(/\| MEDIUM \| 4 \| █+ \|/);
  });
});

describe('bad input is an error naming the input, the file and the line', () => {
  const expectInputError = (fn: () => unknown, input: string, ...parts: RegExp[]) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const message = (err as Error).message;
    expect(message).toContain(`Input '${input}'`);
    for (const p of parts) expect(message).toMatch(p);
  };

  it('a truncated report, with the line it ends on', () => {
    const text = reportText('trivy-alpine-39.json');
    const cut = text.slice(0, Math.floor(text.length / 2));
    const lines = cut.trimEnd().split('\n').length;
    expectInputError(
      () => parseReport(cut, 'cut.json'),
      'report',
      /cut\.json/,
      new RegExp(`line ${lines}\\b`),
      /truncated/,
      /never passes/
    );
  });

  it('an empty file', () => {
    expectInputError(() => parseReport('\n', 'empty.json'), 'report', /empty\.json is empty/);
  });

  it('an unknown format, naming what it found', () => {
    expectInputError(
      () => parseReport('{"foo": 1, "bar": []}', 'x.json'),
      'report',
      /unknown format/,
      /foo, bar/,
      /Trivy/
    );
    expectInputError(() => parseReport('[]', 'x.json'), 'report', /array/);
  });

  it('SARIF from another tool', () => {
    const doc = JSON.parse(reportText('trivy-alpine-310.sarif'));
    doc.runs[0].tool.driver.name = 'CodeQL';
    expectInputError(
      () => parseReport(JSON.stringify(doc), 'codeql.sarif'),
      'report',
      /codeql\.sarif is SARIF from 'CodeQL'/,
      /not from Trivy or Grype/
    );
  });

  it('an exceptions file with a bad date, with its line', () => {
    expectInputError(
      () => parseExceptions('- id: CVE-1\n  reason: r\n  owner: o\n  expires: 2027-02-30\n', 'exc.yml'),
      'exceptions',
      /exc\.yml line 4: expires '2027-02-30' is not a date/
    );
    expectInputError(
      () =>
        parseExceptions(
          '- id: CVE-1\n  reason: r\n  owner: o\n  expires: 2027-01-01\n- id: CVE-2\n  owner: o\n  expires: 2027-01-01\n',
          'exc.yml'
        ),
      'exceptions',
      /exc\.yml line 5: the exception for CVE-2 has no reason/
    );
    expectInputError(
      () => parseExceptions('- id: [unclosed\n', 'exc.yml'),
      'exceptions',
      /exc\.yml line \d+: not valid YAML/
    );
    expectInputError(
      () => parseExceptions('id: CVE-1\n', 'exc.yml'),
      'exceptions',
      /line 1: expected a list/
    );
  });
});

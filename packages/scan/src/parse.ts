import { InputError } from '../../core/src/index.js';
import { arr, isObject, parseJsonFile, str, type Json } from './json.js';
import { normalizeSeverity } from './severity.js';
import type { Finding, ReportFormat, ScanReport } from './types.js';

const FORMATS_HINT =
  'give a report from Trivy (`--format json` or `--format sarif`) or Grype (`-o json` or `-o sarif`), unmodified';

/** `sha256:<hex>` from a digest, an image id or `repo@sha256:<hex>`; undefined for anything else. */
export function digestOf(value: string): string | undefined {
  const m = /(?:^|@)(sha256:[0-9a-f]{64})$/.exec(value.trim().toLowerCase());
  return m ? m[1] : undefined;
}

function digests(values: unknown[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const d = digestOf(str(v));
    if (d && !out.includes(d)) out.push(d);
  }
  return out;
}

/** A link a reviewer can open: the scanner's own, else the advisory database the id belongs to. */
function linkFor(id: string, given: string): string {
  if (/^https?:\/\//.test(given)) return given;
  if (/^CVE-\d+-\d+$/i.test(id)) return `https://nvd.nist.gov/vuln/detail/${id.toUpperCase()}`;
  if (/^GHSA-/i.test(id)) return `https://github.com/advisories/${id}`;
  return '';
}

/** Read a scanner report from its text; the format is detected from the content, not the file name. */
export function parseReport(text: string, file: string, input = 'report'): ScanReport {
  const doc = parseJsonFile(text, file, input);
  const format = detectFormat(doc, file, input);
  const json = doc as Json;
  switch (format) {
    case 'trivy-json':
      return { file, format, scanner: 'trivy', ...trivyJson(json, file, input) };
    case 'grype-json':
      return { file, format, scanner: 'grype', ...grypeJson(json, file, input) };
    case 'trivy-sarif':
      return { file, format, scanner: 'trivy', ...trivySarif(json) };
    case 'grype-sarif':
      return { file, format, scanner: 'grype', ...grypeSarif(json, file, input) };
  }
}

export function detectFormat(doc: unknown, file: string, input: string): ReportFormat {
  if (!isObject(doc))
    throw new InputError(
      input,
      `${file} is JSON but not a scanner report (its top level is ${Array.isArray(doc) ? 'an array' : typeof doc}; Trivy's old schema 1 was an array)`,
      FORMATS_HINT
    );
  if (Array.isArray(doc.runs) && (str(doc.version).startsWith('2.') || str(doc.$schema).includes('sarif'))) {
    const names = doc.runs.map((r) =>
      isObject(r) && isObject(r.tool) && isObject(r.tool.driver) ? str(r.tool.driver.name) : ''
    );
    const tools = [...new Set(names)];
    if (tools.length === 1 && /^trivy$/i.test(tools[0]!)) return 'trivy-sarif';
    if (tools.length === 1 && /^grype$/i.test(tools[0]!)) return 'grype-sarif';
    throw new InputError(
      input,
      `${file} is SARIF from ${tools.map((t) => `'${t || 'an unnamed tool'}'`).join(', ') || 'no tool'} (runs[].tool.driver.name), not from Trivy or Grype: scan-gate reads severities and packages where those two scanners write them, and cannot judge another tool's findings`,
      FORMATS_HINT
    );
  }
  if ('SchemaVersion' in doc && ('Results' in doc || 'ArtifactName' in doc)) {
    if (doc.SchemaVersion !== 2)
      throw new InputError(
        input,
        `${file} is Trivy JSON of schema ${str(doc.SchemaVersion)}; scan-gate reads schema 2`,
        'scan with Trivy 0.20 or later'
      );
    return 'trivy-json';
  }
  if (Array.isArray(doc.matches) && (isObject(doc.source) || isObject(doc.descriptor))) return 'grype-json';
  const keys = Object.keys(doc).slice(0, 6);
  throw new InputError(
    input,
    `${file} is JSON in an unknown format (top-level keys: ${keys.length ? keys.join(', ') : 'none'}); expected Trivy JSON (SchemaVersion, Results), Grype JSON (matches, source) or SARIF 2.1.0 (runs)`,
    FORMATS_HINT
  );
}

function trivyJson(doc: Json, file: string, input: string): Omit<ScanReport, 'file' | 'format' | 'scanner'> {
  const meta = isObject(doc.Metadata) ? doc.Metadata : {};
  const findings: Finding[] = [];
  for (const [r, result] of arr(doc.Results).entries()) {
    if (!isObject(result))
      throw new InputError(input, `${file}: Results[${r}] is not an object`, FORMATS_HINT);
    for (const v of arr(result.Vulnerabilities)) {
      if (!isObject(v) || !str(v.VulnerabilityID) || !str(v.PkgName))
        throw new InputError(
          input,
          `${file}: a vulnerability in Results[${r}] has no VulnerabilityID or PkgName`,
          FORMATS_HINT
        );
      const id = str(v.VulnerabilityID);
      findings.push({
        id,
        package: str(v.PkgName),
        installed: str(v.InstalledVersion),
        fixed: str(v.FixedVersion),
        severity: normalizeSeverity(v.Severity),
        link: linkFor(id, str(v.PrimaryURL))
      });
    }
  }
  return {
    imageDigests: digests([meta.ImageID, ...arr(meta.RepoDigests)]),
    target: str(doc.ArtifactName) || 'unknown',
    findings
  };
}

function grypeJson(doc: Json, file: string, input: string): Omit<ScanReport, 'file' | 'format' | 'scanner'> {
  const source = isObject(doc.source) ? doc.source : {};
  const target = isObject(source.target) ? source.target : undefined;
  const findings: Finding[] = [];
  for (const [i, m] of arr(doc.matches).entries()) {
    const vuln = isObject(m) && isObject(m.vulnerability) ? m.vulnerability : undefined;
    const artifact = isObject(m) && isObject(m.artifact) ? m.artifact : undefined;
    if (!vuln || !artifact || !str(vuln.id) || !str(artifact.name))
      throw new InputError(
        input,
        `${file}: matches[${i}] has no vulnerability.id or artifact.name`,
        FORMATS_HINT
      );
    const fix = isObject(vuln.fix) ? vuln.fix : {};
    const versions = arr(fix.versions).map(str).filter(Boolean);
    const id = str(vuln.id);
    findings.push({
      id,
      package: str(artifact.name),
      installed: str(artifact.version),
      fixed: str(fix.state) === 'not-fixed' || str(fix.state) === 'wont-fix' ? '' : versions.join(', '),
      severity: normalizeSeverity(vuln.severity),
      link: linkFor(id, str(arr(vuln.urls)[0]) || str(vuln.dataSource))
    });
  }
  const imageDigests =
    str(source.type) === 'image' && target
      ? digests([target.imageID, target.manifestDigest, ...arr(target.repoDigests)])
      : [];
  const name = target ? str(target.userInput) : str(source.target);
  return { imageDigests, target: `${str(source.type) || 'unknown'} ${name || 'unknown'}`.trim(), findings };
}

/** A `Name: value` line from a SARIF text (Trivy's result message, Grype's rule help). */
function field(text: string, name: string): string {
  const m = new RegExp(`^${name}: ?(.*)$`, 'm').exec(text);
  return m ? m[1]!.trim() : '';
}

function rulesOf(run: Json): Map<string, Json> {
  const tool = isObject(run.tool) ? run.tool : {};
  const driver = isObject(tool.driver) ? tool.driver : {};
  const rules = new Map<string, Json>();
  for (const rule of arr(driver.rules)) if (isObject(rule) && str(rule.id)) rules.set(str(rule.id), rule);
  return rules;
}

function helpText(rule: Json | undefined): string {
  return rule && isObject(rule.help) ? str(rule.help.text) : '';
}

/** Trivy SARIF: severity from the rule's tags (never `level` or `security-severity`), package from the message. */
function trivySarif(doc: Json): Omit<ScanReport, 'file' | 'format' | 'scanner'> {
  const findings: Finding[] = [];
  const imageDigests: string[] = [];
  let target = '';
  for (const run of arr(doc.runs).filter(isObject)) {
    const props = isObject(run.properties) ? run.properties : {};
    for (const d of digests([props.imageID, ...arr(props.repoDigests)]))
      if (!imageDigests.includes(d)) imageDigests.push(d);
    target ||= str(props.imageName);
    const rules = rulesOf(run);
    for (const result of arr(run.results).filter(isObject)) {
      const id = str(result.ruleId);
      const rule = rules.get(id);
      const message = isObject(result.message) ? str(result.message.text) : '';
      const tags = rule && isObject(rule.properties) ? arr(rule.properties.tags).map(str) : [];
      const severity = normalizeSeverity(
        tags.find((t) => normalizeSeverity(t) !== 'UNKNOWN') ?? field(helpText(rule), 'Severity')
      );
      findings.push({
        id,
        package: field(message, 'Package') || field(helpText(rule), 'Package'),
        installed: field(message, 'Installed Version'),
        fixed: field(message, 'Fixed Version'),
        severity,
        link: linkFor(id, rule ? str(rule.helpUri) : '')
      });
    }
  }
  return { imageDigests, target: target || 'unknown', findings };
}

/** Grype SARIF: one rule per vulnerability and package; everything from the rule's help text. */
function grypeSarif(doc: Json, file: string, input: string): Omit<ScanReport, 'file' | 'format' | 'scanner'> {
  const findings: Finding[] = [];
  for (const run of arr(doc.runs).filter(isObject)) {
    const rules = rulesOf(run);
    for (const result of arr(run.results).filter(isObject)) {
      const ruleId = str(result.ruleId);
      const help = helpText(rules.get(ruleId));
      const id = /^Vulnerability (\S+)/m.exec(help)?.[1] ?? '';
      if (!id)
        throw new InputError(
          input,
          `${file}: rule ${ruleId} has no "Vulnerability <id>" line in help.text`,
          FORMATS_HINT
        );
      findings.push({
        id,
        package: field(help, 'Package'),
        installed: field(help, 'Version'),
        fixed: field(help, 'Fix Version'),
        severity: normalizeSeverity(field(help, 'Severity')),
        link: linkFor(id, '')
      });
    }
  }
  // Grype's SARIF names the image only by the user's input (`image user-input`), never by a digest.
  return { imageDigests: [], target: 'unknown (Grype SARIF names no image digest)', findings };
}

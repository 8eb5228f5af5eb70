import { existsSync, readFileSync } from 'node:fs';
import { InputError, type InputReader, type Logger } from '../../core/src/index.js';
import { RegistryClient, getScanReport, parseReference, putScanReport } from '../../registry/src/index.js';
import { defaultsOf } from '../../manifest/src/index.js';
import { parseExceptions } from './exceptions.js';
import { digestOf, parseReport } from './parse.js';
import { parseSeverityList } from './severity.js';
import type { ScanPolicy, ScanReport } from './types.js';

const DEFAULTS = defaultsOf('scan-gate');

function readFileInput(input: string, path: string, what: string): string {
  if (!existsSync(path))
    throw new InputError(
      input,
      `${path} does not exist`,
      `give the path of ${what} (relative to the working directory)`
    );
  return readFileSync(path, 'utf8');
}

/**
 * Every scan-gate input read and checked, the files parsed, before anything is judged. With `registry-image`,
 * a `report` given is stored beside `digest` there, and without one the stored report is read.
 */
export async function readScanInputs(
  inputs: InputReader,
  logger?: Logger
): Promise<{ report: ScanReport; policy: ScanPolicy; stored?: string; text: string }> {
  const reportPath = inputs.optional('report');
  const registryImage = inputs.optional('registry-image');
  const digestText = inputs.optional('digest');
  if (digestText !== undefined && !digestOf(digestText))
    throw new InputError(
      'digest',
      `'${digestText}' is not a digest`,
      "give `sha256:<64 hex>` (build-image's image-id or digest output) or `repo@sha256:<64 hex>`"
    );
  const digest = digestText ? digestOf(digestText)! : undefined;

  let report: ScanReport;
  let text: string;
  let stored: string | undefined;
  let baselineStored: ScanReport | undefined;
  const baselineDigestText = inputs.optional('baseline-digest');
  if (baselineDigestText !== undefined && !digestOf(baselineDigestText))
    throw new InputError(
      'baseline-digest',
      `'${baselineDigestText}' is not a digest`,
      'give the digest serving in the target environment (`sha256:<64 hex>`), or leave it empty'
    );
  if (baselineDigestText && !registryImage)
    throw new InputError(
      'baseline-digest',
      'the baseline stored beside a digest is read from registry-image, which is empty',
      'give `registry-image`, or the baseline as a file in `baseline-report`'
    );
  if (registryImage) {
    if (!digest)
      throw new InputError(
        'digest',
        'registry-image needs the digest the report is stored beside',
        "give `digest` (build-image's digest output)"
      );
    const ref = parseReference(registryImage, { input: 'registry-image' });
    const username = inputs.optional('registry-username');
    const password = inputs.optional('registry-password');
    const client = new RegistryClient({
      registry: ref.registry,
      credentials: username && password ? { username, password } : undefined,
      ...(logger ? { logger } : {})
    });
    const where = `${ref.registry}/${ref.repository}`;
    if (reportPath) {
      text = readFileInput('report', reportPath, "the scanner's report");
      report = parseReport(text, reportPath, 'report');
      const put = await putScanReport(client, ref.repository, digest, Buffer.from(text));
      stored = `${where}:${put.tag}`;
    } else {
      const body = await getScanReport(client, ref.repository, digest);
      if (!body)
        throw new InputError(
          'report',
          `no report is stored beside ${digest} in ${where}`,
          'run the scan job for this digest first (deploy.yml scans each built digest), or give `report`'
        );
      stored = `${where}:sha256-${digest.slice(7)}.scan`;
      text = body.toString('utf8');
      report = parseReport(text, stored, 'report');
    }
    if (baselineDigestText) {
      const serving = digestOf(baselineDigestText)!;
      const body = await getScanReport(client, ref.repository, serving);
      // A serving release that was never scanned has no baseline: every finding is new (the strict reading).
      if (!body)
        logger?.warning(
          `no report is stored beside the serving digest ${serving} in ${where}: every finding counts as new`
        );
      else
        baselineStored = parseReport(
          body.toString('utf8'),
          `${where}:sha256-${serving.slice(7)}.scan`,
          'baseline-digest'
        );
    }
  } else {
    if (!reportPath)
      throw new InputError(
        'report',
        'no report given',
        "give the scanner's report file, or `registry-image` and `digest` to read the stored one"
      );
    text = readFileInput('report', reportPath, "the scanner's report");
    report = parseReport(text, reportPath, 'report');
  }

  const failOn = parseSeverityList(
    inputs.string('fail-on', { fallback: DEFAULTS.text('fail-on') }),
    'fail-on'
  );
  const exceptionsPath = inputs.optional('exceptions');
  const exceptions = exceptionsPath
    ? parseExceptions(
        readFileInput('exceptions', exceptionsPath, 'the exceptions file'),
        exceptionsPath,
        'exceptions'
      )
    : [];
  const newOnly = inputs.boolean('new-only', DEFAULTS.flag('new-only'));
  const baselinePath = inputs.optional('baseline-report');
  if (baselinePath && baselineDigestText)
    throw new InputError(
      'baseline-report',
      'both baseline-report and baseline-digest are given',
      'give one: the file, or the serving digest whose stored report is the baseline'
    );
  const baseline = baselinePath
    ? parseReport(
        readFileInput(
          'baseline-report',
          baselinePath,
          'the report of the release serving in the target environment'
        ),
        baselinePath,
        'baseline-report'
      )
    : baselineStored;
  return {
    report,
    text,
    ...(stored ? { stored } : {}),
    policy: {
      failOn,
      onlyFixable: inputs.boolean('only-fixable', DEFAULTS.flag('only-fixable')),
      exceptions,
      ...(baseline ? { baseline } : {}),
      newOnly,
      ...(digest ? { digest } : {}),
      allowUnidentified: inputs.boolean('allow-unidentified', DEFAULTS.flag('allow-unidentified'))
    }
  };
}

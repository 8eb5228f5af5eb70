import { existsSync, readFileSync } from 'node:fs';
import { InputError, type InputReader } from '../../core/src/index.js';
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

/** Every scan-gate input read and checked, the files parsed, before anything is judged. */
export function readScanInputs(inputs: InputReader): { report: ScanReport; policy: ScanPolicy } {
  const reportPath = inputs.string('report', { required: true });
  const report = parseReport(
    readFileInput('report', reportPath, "the scanner's report"),
    reportPath,
    'report'
  );
  const digestText = inputs.optional('digest');
  if (digestText !== undefined && !digestOf(digestText))
    throw new InputError(
      'digest',
      `'${digestText}' is not a digest`,
      "give `sha256:<64 hex>` (build-image's image-id or digest output) or `repo@sha256:<64 hex>`"
    );
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
    : undefined;
  return {
    report,
    policy: {
      failOn,
      onlyFixable: inputs.boolean('only-fixable', DEFAULTS.flag('only-fixable')),
      exceptions,
      ...(baseline ? { baseline } : {}),
      newOnly,
      ...(digestText ? { digest: digestOf(digestText)! } : {}),
      allowUnidentified: inputs.boolean('allow-unidentified', DEFAULTS.flag('allow-unidentified'))
    }
  };
}

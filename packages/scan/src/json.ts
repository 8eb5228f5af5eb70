import { InputError } from '../../core/src/index.js';

/** The line (1-based) of a character offset in a text. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * JSON.parse with an error that names the input, the file and the line: a truncated upload or a scanner that
 * died half-way is told apart from a report with no findings (which passes); a file that does not parse never
 * does.
 */
export function parseJsonFile(text: string, file: string, input: string): unknown {
  if (text.trim() === '')
    throw new InputError(input, `${file} is empty`, 'point it at the JSON or SARIF report the scanner wrote');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(message);
    const atEnd =
      /end of (JSON )?input/i.test(message) || (pos !== null && Number(pos[1]) >= text.trimEnd().length);
    const line = atEnd ? lineAt(text, text.trimEnd().length) : pos ? lineAt(text, Number(pos[1])) : undefined;
    const where = line === undefined ? '' : ` at line ${line}`;
    throw new InputError(
      input,
      `${file} is not valid JSON${where}${atEnd ? ': it ends early (truncated?)' : ''} (${message})`,
      'give the complete report as the scanner wrote it (Trivy `--format json` or `--format sarif`, Grype `-o json` or `-o sarif`); a report that does not parse never passes'
    );
  }
}

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

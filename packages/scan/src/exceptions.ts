import { LineCounter, isMap, isSeq, parseDocument, type Node } from 'yaml';
import { InputError } from '../../core/src/index.js';
import type { ScanException } from './types.js';

const EXAMPLE = `- id: CVE-2019-1549\n  package: libssl1.1   # optional: every package when absent\n  reason: not reachable: we never fork after seeding\n  owner: '@platform-team'\n  expires: 2027-03-31   # valid through that day, UTC`;
const FIX = `write a YAML list of entries, each with id, optional package, reason, owner and expires (YYYY-MM-DD), e.g.\n${EXAMPLE}`;

/** Read the exceptions file. Every error names the input, the file and the line. */
export function parseExceptions(text: string, file: string, input = 'exceptions'): ScanException[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (node: Node | null | undefined, fallback = 1) =>
    node?.range ? lines.linePos(node.range[0]).line : fallback;
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new InputError(
      input,
      `${file} line ${lines.linePos(e.pos[0]).line}: not valid YAML (${e.message.split('\n')[0]})`,
      FIX
    );
  }
  if (doc.contents === null) return [];
  if (!isSeq(doc.contents))
    throw new InputError(input, `${file} line ${lineOf(doc.contents)}: expected a list of exceptions`, FIX);
  const out: ScanException[] = [];
  for (const item of doc.contents.items) {
    const line = lineOf(item as Node);
    if (!isMap(item))
      throw new InputError(input, `${file} line ${line}: an exception must be a mapping`, FIX);
    const values = new Map<string, { value: string; line: number }>();
    for (const pair of item.items) {
      const key = String((pair.key as { value?: unknown } | null)?.value ?? '');
      const node = pair.value as Node | null;
      const raw = (node as { value?: unknown } | null)?.value;
      if (!['id', 'package', 'reason', 'owner', 'expires'].includes(key))
        throw new InputError(
          input,
          `${file} line ${lineOf(pair.key as Node, line)}: unknown key '${key}'`,
          FIX
        );
      if (raw !== undefined && raw !== null && typeof raw === 'object')
        throw new InputError(
          input,
          `${file} line ${lineOf(node, line)}: '${key}' must be a single value`,
          FIX
        );
      values.set(key, {
        value: raw === undefined || raw === null ? '' : String(raw).trim(),
        line: lineOf(node, line)
      });
    }
    for (const key of ['id', 'reason', 'owner', 'expires'])
      if (!values.get(key)?.value)
        throw new InputError(
          input,
          `${file} line ${line}: the exception${values.get('id')?.value ? ` for ${values.get('id')!.value}` : ''} has no ${key}`,
          FIX
        );
    const expires = values.get('expires')!;
    if (!validDate(expires.value))
      throw new InputError(
        input,
        `${file} line ${expires.line}: expires '${expires.value}' is not a date (YYYY-MM-DD, e.g. 2027-03-31)`,
        'write the last day the exception holds as YYYY-MM-DD; it is valid through that day, UTC'
      );
    out.push({
      id: values.get('id')!.value,
      ...(values.get('package')?.value ? { package: values.get('package')!.value } : {}),
      reason: values.get('reason')!.value,
      owner: values.get('owner')!.value,
      expires: expires.value,
      line
    });
  }
  return out;
}

function validDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return (
    d.getUTCFullYear() === Number(m[1]) &&
    d.getUTCMonth() === Number(m[2]) - 1 &&
    d.getUTCDate() === Number(m[3])
  );
}

/** Expired once the day it names is over in UTC. */
export function isExpired(e: Pick<ScanException, 'expires'>, now: Date): boolean {
  const [y, m, d] = e.expires.split('-').map(Number) as [number, number, number];
  return now.getTime() >= Date.UTC(y, m - 1, d + 1);
}

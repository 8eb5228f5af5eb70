/**
 * PostgreSQL's COPY text format: one row per line, fields separated by tab, NULL as \N, and backslash
 * escapes for backslash, newline, carriage return, tab and the rest. A raw newline only ends a row.
 */
const ESC: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

export function decodeField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = field[i + 1];
    if (n === undefined) break;
    if (n in ESC) {
      out += ESC[n];
      i++;
    } else if (n === 'x' && /[0-9a-fA-F]/.test(field[i + 2] ?? '')) {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(field.slice(i + 2))![0];
      out += String.fromCharCode(parseInt(hex, 16));
      i += 1 + hex.length;
    } else if (/[0-7]/.test(n)) {
      const oct = /^[0-7]{1,3}/.exec(field.slice(i + 1))![0];
      out += String.fromCharCode(parseInt(oct, 8));
      i += oct.length;
    } else {
      out += n;
      i++;
    }
  }
  return out;
}

export function encodeField(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\n\r\t\b\f\v]/.test(value)
    ? value.replace(/[\\\n\r\t\b\f\v]/g, (c) =>
        c === '\\'
          ? '\\\\'
          : c === '\n'
            ? '\\n'
            : c === '\r'
              ? '\\r'
              : c === '\t'
                ? '\\t'
                : c === '\b'
                  ? '\\b'
                  : c === '\f'
                    ? '\\f'
                    : '\\v'
      )
    : value;
}

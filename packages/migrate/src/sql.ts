/**
 * Just enough SQL lexing to (1) split a non-transactional file into statements, which PostgreSQL needs
 * because a multi-statement query string runs as one implicit transaction, and `CREATE INDEX
 * CONCURRENTLY` refuses that; and (2) turn the character `position` of a server error into a line.
 * It knows quotes, E'' strings, quoted identifiers, dollar quotes, line and nested block comments, and
 * (as psql does) `BEGIN … END` bodies of `CREATE FUNCTION/PROCEDURE … BEGIN ATOMIC`.
 */
export interface Statement {
  /** The statement text, without its terminating semicolon. */
  text: string;
  /** 0-based character offset of `text` in the file. */
  offset: number;
  /** 1-based line where the statement starts (its first non-blank character). */
  line: number;
}

export function splitStatements(sql: string): Statement[] {
  const out: Statement[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  // Word tracking for BEGIN ATOMIC bodies: only inside CREATE … FUNCTION/PROCEDURE statements.
  let words: string[] = [];
  let depth = 0;
  let parens = 0;
  let line = 1;
  let lineOffset = 0;

  const push = (end: number) => {
    const raw = sql.slice(start, end);
    if (stripComments(raw).trim() !== '') {
      const lead = leadingNoise(raw);
      const offset = start + lead;
      // Counted on from the previous statement: a large seed file must not cost lines × statements.
      line += countNewlines(sql, lineOffset, offset);
      lineOffset = offset;
      out.push({ text: raw.slice(lead).trimEnd(), offset, line });
    }
    start = end + 1;
    words = [];
    depth = 0;
    parens = 0;
  };

  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? n : eol + 1;
    } else if (c === '/' && next === '*') {
      let level = 1;
      i += 2;
      while (i < n && level > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          level++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          level--;
          i += 2;
        } else i++;
      }
    } else if (c === "'") {
      const escapes = /[eE]/.test(sql[i - 1] ?? '') && !/[\w$]/.test(sql[i - 2] ?? '');
      i++;
      while (i < n) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") break;
        else i++;
      }
      i++;
    } else if (c === '"') {
      i++;
      while (i < n) {
        if (sql[i] === '"' && sql[i + 1] === '"') i += 2;
        else if (sql[i] === '"') break;
        else i++;
      }
      i++;
    } else if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? n : close + tag[0].length;
      } else i++;
    } else if (/[A-Za-z_]/.test(c) && !/[\w$]/.test(sql[i - 1] ?? '')) {
      const m = /^[A-Za-z_][\w$]*/.exec(sql.slice(i, i + 64))!;
      const word = m[0].toLowerCase();
      i += m[0].length;
      if (words.length < 8) words.push(word);
      const routine = words[0] === 'create' && (words.includes('function') || words.includes('procedure'));
      if (routine) {
        if (word === 'begin' || word === 'case') depth++;
        else if (word === 'end' && depth > 0) depth--;
      }
    } else if (c === '(') {
      parens++;
      i++;
    } else if (c === ')') {
      if (parens > 0) parens--;
      i++;
    } else if (c === ';') {
      // As psql: not inside parentheses (CREATE RULE … DO ALSO (a; b)) nor a BEGIN ATOMIC body.
      if (depth === 0 && parens === 0) push(i);
      i++;
    } else i++;
  }
  push(n);
  return out;
}

/** Length of the whitespace and comments before a statement's first token. */
function leadingNoise(text: string): number {
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('--', i)) {
      const eol = text.indexOf('\n', i);
      i = eol === -1 ? text.length : eol + 1;
    } else if (text.startsWith('/*', i)) {
      let level = 1;
      i += 2;
      while (i < text.length && level > 0) {
        if (text.startsWith('/*', i)) {
          level++;
          i += 2;
        } else if (text.startsWith('*/', i)) {
          level--;
          i += 2;
        } else i++;
      }
    } else return i;
  }
}

function stripComments(text: string): string {
  return text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** 1-based line of a 0-based character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * PostgreSQL reports `position` as a 1-based count of characters (code points) into the query it was
 * sent. Returns the 1-based line and column in `text`, and the line's text.
 */
export function positionToLine(
  text: string,
  position: number
): { line: number; column: number; lineText: string } {
  const chars = Array.from(text);
  const index = Math.max(0, Math.min(position - 1, chars.length));
  const before = chars.slice(0, index).join('');
  const lines = before.split('\n');
  const line = lines.length;
  const column = Array.from(lines[lines.length - 1] ?? '').length + 1;
  const lineText = text.split('\n')[line - 1] ?? '';
  return { line, column, lineText };
}

/** UTF-16 offset of a code-point offset (statement offsets are UTF-16, server positions code points). */
export function codePointsBefore(text: string, utf16Offset: number): number {
  return Array.from(text.slice(0, utf16Offset)).length;
}

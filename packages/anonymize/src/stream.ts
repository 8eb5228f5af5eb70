import { Transform, type TransformCallback } from 'node:stream';
import { decodeField } from './copytext.js';
import { makeValueFn, type ValueFn } from './transform.js';
import type { TablePlan } from './plan.js';

const TAB = 0x09;
const LF = 0x0a;
const BACKSLASH = 0x5c;
/** Output leaves in pieces of about this size: one COPY message each, whatever the rows' sizes. */
const PIECE = 128 * 1024;

/**
 * COPY text rows in, masked COPY text rows out, on bytes. A row is found by its raw newline (the only
 * unescaped one), its fields by raw tabs, and only up to the last column that needs reading; every byte
 * between masked fields is copied as it is, never decoded. A masked field is decoded to a string, given
 * to its transformer and written back escaped. Rows are written into one output buffer that leaves when
 * full, so nothing is allocated per row but the masked values. Memory holds one chunk, one partial row
 * and one output piece, whatever the table's size.
 */
export class MaskStream extends Transform {
  rows = 0;
  private rest: Buffer | null = null;
  private out = Buffer.allocUnsafe(PIECE);
  private pos = 0;
  /** Per column: its transformer, or null when kept. */
  private readonly fns: (ValueFn | null)[];
  private readonly pkIndexes: number[];
  /** Columns read per row: up to the last masked one (and the primary key when a row key is needed). */
  private readonly needed: number;
  private readonly columns: number;
  private readonly passthrough: boolean;
  /** The row being masked: its buffer and each needed field's [start, end). */
  private row: Buffer = Buffer.alloc(0);
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly escaped: Uint8Array;
  private readonly rowKey = () => this.pkIndexes.map((i) => this.field(i) ?? '').join('\t');

  constructor(plan: TablePlan, salt: string) {
    super();
    this.fns = plan.columns.map((c) =>
      c.transformer.kind === 'keep'
        ? null
        : makeValueFn(c.transformer, salt, plan.info.name, c.info.maxLength)
    );
    this.columns = this.fns.length;
    this.passthrough = this.fns.every((f) => f === null);
    this.pkIndexes = plan.info.primaryKey
      .map((k) => plan.columns.findIndex((c) => c.info.name === k))
      .filter((i) => i >= 0);
    const lastMasked = this.fns.reduce((m, f, i) => (f ? i : m), -1);
    const usesKey = plan.columns.some((c) => c.transformer.kind === 'shift-date');
    this.needed = Math.max(lastMasked, ...(usesKey ? this.pkIndexes : [])) + 1;
    this.starts = new Int32Array(this.needed);
    this.ends = new Int32Array(this.needed);
    this.escaped = new Uint8Array(this.needed);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    const last = buf.lastIndexOf(LF);
    if (last < 0) {
      this.rest = buf;
      return done();
    }
    if (last + 1 < buf.length) this.rest = Buffer.from(buf.subarray(last + 1));
    try {
      if (this.passthrough) {
        for (let i = buf.indexOf(LF); i >= 0 && i <= last; i = buf.indexOf(LF, i + 1)) this.rows++;
        this.flushOut();
        this.push(buf.subarray(0, last + 1));
      } else {
        for (let start = 0; start <= last;) {
          const end = this.maskRow(buf, start);
          start = end + 1;
          this.rows++;
        }
        if (this.pos >= PIECE / 2) this.flushOut();
      }
    } catch (e) {
      return done(e as Error);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.rest?.length) return done(new Error('COPY stream ended inside a row'));
    this.flushOut();
    done();
  }

  private flushOut(): void {
    if (this.pos === 0) return;
    this.push(this.out.subarray(0, this.pos));
    this.out = Buffer.allocUnsafe(PIECE);
    this.pos = 0;
  }

  private room(n: number): void {
    if (this.pos + n <= this.out.length) return;
    this.flushOut();
    if (n > this.out.length) this.out = Buffer.allocUnsafe(n);
  }

  private copyBytes(buf: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.room(to - from);
    if (to - from < 48) {
      // A native copy costs more than a short loop: most segments between masked fields are short.
      const out = this.out;
      let p = this.pos;
      for (let i = from; i < to; i++) out[p++] = buf[i]!;
      this.pos = p;
      return;
    }
    buf.copy(this.out, this.pos, from, to);
    this.pos += to - from;
  }

  /** The row starting at `start`: fields located, masked ones rewritten. Returns its newline's index. */
  private maskRow(buf: Buffer, start: number): number {
    this.row = buf;
    let p = start;
    for (let i = 0; i < this.needed; i++) {
      this.starts[i] = p;
      let escaped = 0;
      for (;;) {
        const c = buf[p];
        if (c === TAB || c === LF) break;
        if (c === BACKSLASH) escaped = 1;
        p++;
      }
      this.ends[i] = p;
      this.escaped[i] = escaped;
      if (buf[p] === LF ? i !== this.columns - 1 : i === this.columns - 1)
        throw new Error(`COPY row has a different number of fields than the ${this.columns} columns copied`);
      if (i < this.needed - 1) p++;
    }
    const end = buf[p] === LF ? p : buf.indexOf(LF, p);
    let from = start;
    for (let i = 0; i < this.needed; i++) {
      const fn = this.fns[i];
      if (!fn) continue;
      this.copyBytes(buf, from, this.starts[i]!);
      this.writeValue(fn(this.field(i), this.rowKey));
      from = this.ends[i]!;
    }
    this.copyBytes(buf, from, end + 1);
    return end;
  }

  /** Field `i` of the current row, decoded; null for \N. */
  private field(i: number): string | null {
    const s = this.starts[i]!;
    const e = this.ends[i]!;
    const buf = this.row;
    if (e - s === 2 && buf[s] === BACKSLASH && buf[s + 1] === 0x4e) return null;
    const text = buf.toString('utf8', s, e);
    return this.escaped[i] ? decodeField(text) : text;
  }

  /** A value in COPY text form: \N for NULL, backslash escapes for the characters that need them. */
  private writeValue(value: string | null): void {
    if (value === null) {
      this.room(2);
      this.out[this.pos++] = BACKSLASH;
      this.out[this.pos++] = 0x4e;
      return;
    }
    // Two bytes per escaped character, three per UTF-16 unit otherwise: never more than this.
    this.room(value.length * 3);
    const out = this.out;
    let p = this.pos;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) {
        // Past ASCII: the rest goes through the encoder, which handles surrogate pairs.
        p += out.write(escapeRest(value.slice(i)), p, 'utf8');
        break;
      }
      if (c === BACKSLASH || c < 0x20) {
        const esc = ESCAPES[c];
        if (esc !== undefined) {
          out[p++] = BACKSLASH;
          out[p++] = esc;
          continue;
        }
      }
      out[p++] = c;
    }
    this.pos = p;
  }
}

/** The escape letter after the backslash, by character code: what COPY text writes for them. */
const ESCAPES: (number | undefined)[] = [];
ESCAPES[0x08] = 0x62; // \b
ESCAPES[0x09] = 0x74; // \t
ESCAPES[0x0a] = 0x6e; // \n
ESCAPES[0x0b] = 0x76; // \v
ESCAPES[0x0c] = 0x66; // \f
ESCAPES[0x0d] = 0x72; // \r
ESCAPES[BACKSLASH] = BACKSLASH;

function escapeRest(s: string): string {
  return s.replace(/[\\\n\r\t\b\f\v]/g, (c) => `\\${String.fromCharCode(ESCAPES[c.charCodeAt(0)]!)}`);
}

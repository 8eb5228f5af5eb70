import { Transform, type TransformCallback } from 'node:stream';
import { decodeField, encodeField } from './copytext.js';
import { makeValueFn, type ValueFn } from './transform.js';
import type { TablePlan } from './plan.js';

/**
 * COPY text rows in, masked COPY text rows out. Chunks are split on raw newlines (the only unescaped ones
 * end a row), so memory holds one chunk and one partial row, whatever the table's size. Columns kept as
 * they are never get decoded; a table with nothing to mask passes its bytes through untouched.
 */
export class MaskStream extends Transform {
  rows = 0;
  private rest: Buffer | null = null;
  /** Rows leave in batches of about 64 KiB: COPY delivers one row per chunk, and a write per row costs. */
  private pending: (Buffer | string)[] = [];
  private pendingBytes = 0;
  private readonly fns: (ValueFn | null)[];
  private readonly pkIndexes: number[];
  private readonly passthrough: boolean;

  constructor(plan: TablePlan, salt: string) {
    super();
    this.fns = plan.columns.map((c) =>
      c.transformer.kind === 'keep'
        ? null
        : makeValueFn(c.transformer, salt, plan.info.name, c.info.maxLength)
    );
    this.passthrough = this.fns.every((f) => f === null);
    this.pkIndexes = plan.info.primaryKey.map((k) => plan.columns.findIndex((c) => c.info.name === k));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const last = buf.lastIndexOf(0x0a);
    if (last < 0) {
      this.rest = buf;
      return done();
    }
    this.rest = last + 1 < buf.length ? Buffer.from(buf.subarray(last + 1)) : null;
    const whole = buf.subarray(0, last + 1);
    if (this.passthrough) {
      for (let i = whole.indexOf(0x0a); i >= 0; i = whole.indexOf(0x0a, i + 1)) this.rows++;
      return done(null, this.batch(whole, whole.length));
    }
    const lines = whole.toString('utf8').split('\n');
    lines.pop();
    let out = '';
    for (const line of lines) out += this.maskRow(line) + '\n';
    this.rows += lines.length;
    done(null, this.batch(out, out.length));
  }

  override _flush(done: TransformCallback): void {
    if (this.rest?.length) return done(new Error('COPY stream ended inside a row'));
    done(null, this.batch('', Infinity));
  }

  /** Hold small pieces until about 64 KiB are ready; undefined pushes nothing yet. */
  private batch(piece: Buffer | string, size: number): Buffer | undefined {
    if (size > 0 && size !== Infinity) {
      this.pending.push(piece);
      this.pendingBytes += size;
    }
    if (this.pendingBytes < 65_536 && size !== Infinity) return undefined;
    if (!this.pending.length) return undefined;
    const out = Buffer.concat(this.pending.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    this.pending = [];
    this.pendingBytes = 0;
    return out;
  }

  private maskRow(line: string): string {
    const fields = line.split('\t');
    const rowKey = () => this.pkIndexes.map((i) => decodeField(fields[i]!) ?? '').join('\t');
    const out = fields.slice();
    for (let i = 0; i < fields.length; i++) {
      const fn = this.fns[i];
      if (fn) out[i] = encodeField(fn(decodeField(fields[i]!), rowKey));
    }
    return out.join('\t');
  }
}

// COPY ... FROM STDIN for the import: rows encoded in COPY's text format straight into Buffers,
// and those Buffers sent as one COPY. Building each line as a string (value + '\t' + ..., then
// the lines of a write concatenated) cost more than the server's work on some tables: 100,000
// contacts made 2.7 s of garbage collection and 2 s of string joins in the import thread's
// profile (7 Dec 2026, loaded machine); writing UTF-8 bytes into a few large Buffers makes
// almost no garbage.
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';

/** Bytes per Buffer: large enough that a write of 2,000 contacts is a few socket writes. */
const CHUNK_BYTES = 256 * 1024;

/** Values up to this many characters are tried as plain ASCII first (CopyRows.ascii). */
const SHORT = 64;
const TAB = 0x09;
const NEWLINE = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;

/**
 * Rows of one COPY in its text format: fields separated by tabs, rows ended by newlines,
 * backslash escapes for the four bytes the format gives meaning to, \N for NULL. The bytes
 * are UTF-8 (the client encoding node-postgres sets). A byte below 0x80 never occurs inside a
 * multi-byte UTF-8 sequence, so the value is written as is and scanned for those four bytes;
 * only a value that holds one is written again, escaped (rare: prepareContact cleans tabs
 * and line breaks away, but the store does not rely on it).
 */
export class CopyRows {
  private readonly done: Buffer[] = [];
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private pos = 0;
  private first = true;
  rows = 0;

  /** One field of the current row. */
  field(v: string | number | null): void {
    if (this.first) this.first = false;
    else this.byte(TAB);
    if (v === null) {
      this.room(2);
      this.buf[this.pos++] = BACKSLASH;
      this.buf[this.pos++] = 0x4e; // N
      return;
    }
    const s = typeof v === 'string' ? v : String(v);
    // at most 3 bytes per UTF-16 unit, doubled if every byte needed a backslash
    this.room(s.length * 6);
    if (s.length <= SHORT && this.ascii(s)) return;
    const start = this.pos;
    const end = start + this.buf.write(s, start, 'utf8');
    const b = this.buf;
    for (let i = start; i < end; i++) {
      const c = b[i];
      if (c === BACKSLASH || c === TAB || c === NEWLINE || c === CR) {
        this.pos = this.escaped(b.subarray(start, end), start);
        return;
      }
    }
    this.pos = end;
  }

  /**
   * A short value of plain ASCII with none of the four bytes, copied a character at a time:
   * most values are (ids, names, numbers, times), and for them this is half the cost of
   * Buffer.write's call into C++. false (and nothing kept) for any other value.
   */
  private ascii(s: string): boolean {
    const b = this.buf;
    const at = this.pos;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80 || c === BACKSLASH || c === TAB || c === NEWLINE || c === CR) return false;
      b[at + i] = c;
    }
    this.pos = at + s.length;
    return true;
  }

  /** Ends the current row. */
  endRow(): void {
    this.byte(NEWLINE);
    this.first = true;
    this.rows++;
  }

  /** The encoded rows (the writer is spent afterwards). */
  buffers(): Buffer[] {
    if (this.pos > 0) this.done.push(this.buf.subarray(0, this.pos));
    this.pos = 0;
    this.buf = Buffer.alloc(0);
    return this.done;
  }

  /** Rewrites the raw value held at `at` with escapes (the room for it was made by field()). */
  private escaped(raw: Buffer, at: number): number {
    const copy = Buffer.from(raw);
    let p = at;
    for (let i = 0; i < copy.length; i++) {
      const c = copy[i];
      if (c === BACKSLASH) { this.buf[p++] = BACKSLASH; this.buf[p++] = BACKSLASH; }
      else if (c === TAB) { this.buf[p++] = BACKSLASH; this.buf[p++] = 0x74; } // \t
      else if (c === NEWLINE) { this.buf[p++] = BACKSLASH; this.buf[p++] = 0x6e; } // \n
      else if (c === CR) { this.buf[p++] = BACKSLASH; this.buf[p++] = 0x72; } // \r
      else this.buf[p++] = c;
    }
    return p;
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) this.done.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, n));
    this.pos = 0;
  }
}

/** Sends encoded rows as one COPY into table (columns in the rows' order); nothing to send, no statement. */
export async function copyRows(client: pg.ClientBase, table: string, columns: readonly string[], rows: CopyRows): Promise<void> {
  if (rows.rows === 0) return;
  const parts = rows.buffers();
  const stream = client.query(copyStreams.from(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
    // Every part is written at once: they are already in memory, and the socket queues them.
    for (const part of parts) stream.write(part);
    stream.end();
  });
}

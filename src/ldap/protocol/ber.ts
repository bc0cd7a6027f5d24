// A small BER codec for the subset LDAP uses (RFC 4511 5.1: definite lengths, single-byte tags).
// Every length is checked against what remains before it is used, so no input can make a read
// run past its element, loop without advancing, or allocate more than the message holds.

/** The bytes do not form the BER the protocol allows (answered protocolError or a disconnect). */
export class BerError extends Error {}

/** Reads one element's content; sub-readers cover exactly the content of one element. */
export class BerReader {
  private pos: number;

  constructor(private readonly buf: Buffer, start = 0, private readonly end = buf.length) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** The tag of the next element, or -1 at the end. */
  peek(): number {
    return this.pos < this.end ? this.buf[this.pos] : -1;
  }

  /** Reads tag and length; returns the content's bounds and moves past the whole element. */
  private element(expected: number | null): { tag: number; start: number; end: number } {
    if (this.pos >= this.end) throw new BerError('element expected, none left');
    const tag = this.buf[this.pos];
    if ((tag & 0x1f) === 0x1f) throw new BerError('multi-byte tags are not used by LDAP');
    if (expected !== null && tag !== expected) throw new BerError(`tag 0x${expected.toString(16)} expected, got 0x${tag.toString(16)}`);
    let p = this.pos + 1;
    if (p >= this.end) throw new BerError('length missing');
    let len = this.buf[p++];
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) throw new BerError('indefinite lengths are not allowed');
      if (n > 4) throw new BerError('length of length too large');
      if (p + n > this.end) throw new BerError('length truncated');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + this.buf[p++];
    }
    if (len > this.end - p) throw new BerError(`length ${len} exceeds the ${this.end - p} bytes left`);
    this.pos = p + len;
    return { tag, start: p, end: p + len };
  }

  /** A constructed element (SEQUENCE, SET, context tag): a reader over its content. */
  sequence(tag = 0x30): BerReader {
    const e = this.element(tag);
    return new BerReader(this.buf, e.start, e.end);
  }

  /** Any next element, with its tag and a reader over its content. */
  any(): { tag: number; content: BerReader } {
    const e = this.element(null);
    return { tag: e.tag, content: new BerReader(this.buf, e.start, e.end) };
  }

  octets(tag = 0x04): Buffer {
    const e = this.element(tag);
    return this.buf.subarray(e.start, e.end);
  }

  string(tag = 0x04): string {
    return this.octets(tag).toString('utf8');
  }

  /** INTEGER / ENUMERATED, two's complement, at most 6 bytes (every LDAP integer fits in 4). */
  int(tag = 0x02): number {
    const e = this.element(tag);
    const n = e.end - e.start;
    if (n === 0 || n > 6) throw new BerError(`integer of ${n} bytes`);
    let v = this.buf[e.start] & 0x80 ? -1 : 0; // the -1 seed makes the result negative
    for (let i = e.start; i < e.end; i++) v = v * 256 + this.buf[i];
    return v;
  }

  bool(tag = 0x01): boolean {
    const e = this.element(tag);
    if (e.end - e.start !== 1) throw new BerError('boolean must be one byte');
    return this.buf[e.start] !== 0;
  }

  /** The rest of this reader's content. */
  rest(): Buffer {
    const b = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return b;
  }

  skip(): void {
    this.element(null);
  }
}

// ---- writing: plain functions returning Buffers; responses are small (entries are cached) ----

export function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer | Buffer[]): Buffer {
  const body = Array.isArray(content) ? Buffer.concat(content) : content;
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

export function int(n: number, tag = 0x02): Buffer {
  const bytes: number[] = [];
  let v = n;
  // two's complement, shortest form
  for (;;) {
    bytes.unshift(((v % 256) + 256) % 256);
    v = Math.floor(v / 256);
    if ((v === 0 && !(bytes[0] & 0x80)) || (v === -1 && bytes[0] & 0x80)) break;
  }
  return Buffer.from([tag, bytes.length, ...bytes]);
}

export const enumerated = (n: number): Buffer => int(n, 0x0a);
export const octets = (v: string | Buffer, tag = 0x04): Buffer => tlv(tag, typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
export const bool = (v: boolean, tag = 0x01): Buffer => Buffer.from([tag, 1, v ? 0xff : 0]);

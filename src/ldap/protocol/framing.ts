// Cuts a TCP byte stream into whole LDAPMessages, whatever the read boundaries: a message split
// over many reads and many messages in one read come out the same. A message declaring more
// than the cap is refused from its first bytes; the buffer grows by doubling, so a message
// arriving one byte at a time costs linear copying, and never holds more than the cap.

export class FrameError extends Error {}

export class MessageFramer {
  private buf = Buffer.alloc(0);
  private used = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes of an incomplete message held (0 between messages). */
  get pending(): number {
    return this.used;
  }

  /** Adds bytes; returns the messages completed by them (each a copy safe to keep). */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let data = chunk;
    // Fast path: nothing pending, whole messages in the chunk are cut out without copying.
    while (this.used === 0 && data.length > 0) {
      const total = this.messageLength(data, data.length);
      if (total === null || total > data.length) break;
      out.push(data.subarray(0, total));
      data = data.subarray(total);
    }
    if (data.length === 0) return out;
    this.append(data);
    for (;;) {
      const total = this.messageLength(this.buf, this.used);
      if (total === null || total > this.used) break;
      out.push(Buffer.from(this.buf.subarray(0, total)));
      this.buf.copy(this.buf, 0, total, this.used);
      this.used -= total;
    }
    if (this.used === 0 && this.buf.length > 4096) this.buf = Buffer.alloc(0);
    return out;
  }

  private append(data: Buffer): void {
    const need = this.used + data.length;
    if (need > this.buf.length) {
      let size = Math.max(256, this.buf.length);
      while (size < need) size *= 2;
      // never more than one whole message plus the read that completed it
      const grown = Buffer.allocUnsafe(Math.min(size, this.maxMessageBytes + data.length + 6));
      this.buf.copy(grown, 0, 0, this.used);
      this.buf = grown;
    }
    data.copy(this.buf, this.used);
    this.used = need;
  }

  /** The full length of the message starting at buf[0], null if the header is not complete. */
  private messageLength(buf: Buffer, len: number): number | null {
    if (len < 1) return null;
    if (buf[0] !== 0x30) throw new FrameError('an LDAPMessage starts with a SEQUENCE');
    if (len < 2) return null;
    const first = buf[1];
    let header = 2;
    let body = first;
    if (first & 0x80) {
      const n = first & 0x7f;
      if (n === 0 || n > 4) throw new FrameError('invalid message length');
      if (len < 2 + n) return null;
      body = 0;
      for (let i = 0; i < n; i++) body = body * 256 + buf[2 + i];
      header += n;
    }
    const total = header + body;
    if (total > this.maxMessageBytes) throw new FrameError(`message of ${total} bytes exceeds the ${this.maxMessageBytes}-byte limit`);
    return total;
  }
}

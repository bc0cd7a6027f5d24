// A raw LDAP client for protocol tests: sends bytes exactly as given (any split, any garbage)
// over a real socket, and parses what comes back. Requests are encoded with @ldapjs/messages and
// responses parsed with @ldapjs/asn1, not with the server's own codec.
import { connect, type Socket } from 'node:net';
import asn1 from '@ldapjs/asn1';
import messages from '@ldapjs/messages';
import controlsPackage from '@ldapjs/controls';

const { BerReader } = asn1;
const { AbandonRequest, BindRequest, ExtensionRequest, SearchRequest, UnbindRequest } = messages;
export const { PagedResultsControl, ServerSideSortingRequestControl, Control } = controlsPackage;

export interface Reply {
  id: number;
  tag: number;
  code?: number;
  message?: string;
  /** SearchResultEntry */
  dn?: string;
  attrs?: Record<string, string[]>;
  /** ExtendedResponse responseName */
  name?: string;
  controls: { type: string; value: Buffer | null }[];
}

export const bindReq = (id: number, name: string, password: string): Buffer =>
  new BindRequest({ messageId: id, name, credentials: password }).toBer().buffer;

export const searchReq = (id: number, opts: { base: string; filter: string; attributes?: string[]; scope?: 'base' | 'one' | 'sub'; sizeLimit?: number; controls?: unknown[] }): Buffer =>
  new SearchRequest({ messageId: id, baseObject: opts.base, scope: opts.scope ?? 'sub', filter: opts.filter, attributes: opts.attributes ?? [], sizeLimit: opts.sizeLimit ?? 0, controls: opts.controls ?? [] }).toBer().buffer;

export const abandonReq = (id: number, target: number): Buffer => new AbandonRequest({ messageId: id, abandonId: target }).toBer().buffer;
export const unbindReq = (id: number): Buffer => new UnbindRequest({ messageId: id }).toBer().buffer;
export const startTlsReq = (id: number): Buffer => new ExtensionRequest({ messageId: id, requestName: '1.3.6.1.4.1.1466.20037' }).toBer().buffer;

/** A control with an already-encoded value (e.g. a VLV request, or a hostile one). */
export function rawControl(type: string, value: Buffer, criticality = false): unknown {
  class Raw extends Control {
    constructor() { super({ type, criticality }); }
    _toBer(ber: { writeBuffer(b: Buffer, tag: number): void }) { ber.writeBuffer(value, 0x04); }
  }
  return new Raw();
}

/** Minimal DER pieces for hand-made values. */
export const der = {
  int(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    let i = 0;
    while (i < 3 && ((b[i] === 0 && !(b[i + 1] & 0x80)) || (b[i] === 0xff && b[i + 1] & 0x80))) i++;
    return Buffer.concat([Buffer.from([0x02, 4 - i]), b.subarray(i)]);
  },
  tlv(tag: number, ...parts: Buffer[]): Buffer {
    const body = Buffer.concat(parts);
    const len = body.length < 0x80 ? Buffer.from([body.length])
      : body.length < 0x100 ? Buffer.from([0x81, body.length])
        : body.length < 0x10000 ? Buffer.from([0x82, body.length >> 8, body.length & 0xff])
          : Buffer.from([0x83, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]);
    return Buffer.concat([Buffer.from([tag]), len, body]);
  },
  str(s: string, tag = 0x04): Buffer { return der.tlv(tag, Buffer.from(s, 'utf8')); },
};

export const vlvValue = (before: number, after: number, offset: number, count: number): Buffer =>
  der.tlv(0x30, der.int(before), der.int(after), der.tlv(0xa0, der.int(offset), der.int(count)));

export class RawLdap {
  readonly replies: Reply[] = [];
  private readonly chunks: Buffer[] = [];
  closed = false;
  private pending: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.pending = this.pending.length === 0 ? d : Buffer.concat([this.pending, d]);
      for (;;) {
        const total = frameLength(this.pending);
        if (total === null || total > this.pending.length) break;
        this.replies.push(parseReply(this.pending.subarray(0, total)));
        this.pending = this.pending.subarray(total);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => { this.closed = true; this.wake(); });
  }

  static open(port: number, localAddress = '127.0.0.1'): Promise<RawLdap> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(new RawLdap(s)));
      s.once('error', reject);
    });
  }

  /** Every byte received, for byte-exact comparisons. */
  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  write(data: Buffer): void {
    this.socket.write(data);
  }

  /** Resolves once `done` holds, or rejects after ms (a hang is a failure, not a slow pass). */
  until(done: (r: RawLdap) => boolean, ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (done(this)) return resolve();
      const t = setTimeout(() => reject(new Error(`condition not met within ${ms} ms; replies: ${JSON.stringify(this.replies.map((r) => [r.id, r.tag, r.code]))}, closed: ${this.closed}`)), ms);
      const check = () => {
        if (done(this)) {
          clearTimeout(t);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  /** Waits for the result (not entries) of message `id`. */
  async result(id: number, ms = 5000): Promise<Reply> {
    await this.until((r) => r.replies.some((x) => x.id === id && x.tag !== 0x64) || r.closed, ms);
    const reply = this.replies.find((x) => x.id === id && x.tag !== 0x64);
    if (!reply) throw new Error(`connection closed before the result of message ${id}`);
    return reply;
  }

  entries(id: number): Reply[] {
    return this.replies.filter((x) => x.id === id && x.tag === 0x64);
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

function frameLength(b: Buffer): number | null {
  if (b.length < 2) return null;
  if (b[1] < 0x80) return 2 + b[1];
  const n = b[1] & 0x7f;
  if (b.length < 2 + n) return null;
  return 2 + n + b.readUIntBE(2, n);
}

function parseReply(frame: Buffer): Reply {
  const ber = new BerReader(frame);
  ber.readSequence();
  const id = ber.readInt();
  const tag = ber.peek();
  const end = (() => { ber.readSequence(tag); return ber.offset + ber.length; })();
  const reply: Reply = { id, tag, controls: [] };
  if (tag === 0x64) {
    reply.dn = ber.readString();
    ber.readSequence();
    const listEnd = ber.offset + ber.length;
    reply.attrs = {};
    while (ber.offset < listEnd) {
      ber.readSequence();
      const type = ber.readString();
      ber.readSequence(0x31);
      const setEnd = ber.offset + ber.length;
      const values: string[] = [];
      while (ber.offset < setEnd) values.push(ber.readString());
      reply.attrs[type] = values;
    }
  } else {
    reply.code = ber.readEnumeration();
    ber.readString();
    reply.message = ber.readString() ?? '';
    if (ber.offset < end && ber.peek() === 0x8a) reply.name = ber.readString(0x8a);
  }
  ber.setOffset(end);
  if (ber.remain > 0 && ber.peek() === 0xa0) {
    ber.readSequence(0xa0);
    const ctrlEnd = ber.offset + ber.length;
    while (ber.offset < ctrlEnd) {
      ber.readSequence();
      const cEnd = ber.offset + ber.length;
      const type = ber.readString();
      let value: Buffer | null = null;
      if (ber.offset < cEnd && ber.peek() === 0x01) ber.readBoolean();
      if (ber.offset < cEnd) value = ber.readString(0x04, true);
      reply.controls.push({ type, value });
    }
  }
  return reply;
}

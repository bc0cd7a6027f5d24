// Malformed and random LDAP PDUs for fuzzing the LDAP front end (npm run fuzz, and a smaller
// vitest run): valid requests of every kind, then byte flips, wrong inner lengths, truncations,
// random bytes, deeply nested and very wide filters, random controls, and the two packets from
// issue #8. Encoded here with a tiny DER writer of its own, not the server's codec.
import { rng } from './fake-contacts.ts';

export const ISSUE_8_PACKETS = [
  '3029020101632404000a01000a0100020100020100010100870b6f626a656374436c61737330040434636e',
  '3023020101631e04000a01000a0100020100020100010100a4090402636e30038024613000',
].map((h) => Buffer.from(h, 'hex'));

export function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
export const str = (s: string, tag = 0x04): Buffer => tlv(tag, Buffer.from(s, 'utf8'));
export function int(v: number, tag = 0x02): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v | 0);
  let i = 0;
  while (i < 3 && ((b[i] === 0 && !(b[i + 1] & 0x80)) || (b[i] === 0xff && b[i + 1] & 0x80))) i++;
  return tlv(tag, b.subarray(i));
}
const bool = (v: boolean): Buffer => Buffer.from([0x01, 0x01, v ? 0xff : 0]);
export const message = (id: number, op: Buffer, controls?: Buffer): Buffer => tlv(0x30, int(id), op, ...(controls ? [controls] : []));

export interface Pdu {
  kind: string;
  bytes: Buffer;
}

const ATTRS = ['cn', 'sn', 'givenName', 'telephoneNumber', 'mobile', 'homePhone', 'mail', 'o', 'objectClass', 'uid', 'ou', 'displayName', 'ipPhone', 'x-unknown', '*', '+', '1.1'];
const OIDS = ['1.2.840.113556.1.4.319', '1.2.840.113556.1.4.473', '2.16.840.1.113730.3.4.9', '1.3.6.1.4.1.4203.1.10.1', '1.2.3.4.5', '2.16.840.1.113730.3.4.2', ''];

export class PduGenerator {
  private readonly rand: () => number;
  private id = 1;

  constructor(seed: number, private readonly base = 'o=fuzz,dc=dialbook') {
    this.rand = rng(seed);
  }

  private n(max: number): number { return Math.floor(this.rand() * max); }
  private pick<T>(xs: T[]): T { return xs[this.n(xs.length)]; }
  private chance(p: number): boolean { return this.rand() < p; }
  private text(): string {
    return this.pick(['jo', 'smi', 'Ál', '4292500', '*', '', 'a'.repeat(1 + this.n(40)), '\\', 'é', String(this.n(1e6))]);
  }

  filter(depth = 0): Buffer {
    const k = depth > 3 ? this.n(6) + 3 : this.n(10);
    const av = (tag: number) => tlv(tag, str(this.pick(ATTRS)), str(this.text()));
    switch (k) {
      case 0: case 1: return tlv(0xa0 + k, ...Array.from({ length: this.n(5) }, () => this.filter(depth + 1)));
      case 2: return tlv(0xa2, this.filter(depth + 1));
      case 3: return av(0xa3);
      case 4: {
        const parts: Buffer[] = [];
        if (this.chance(0.5)) parts.push(str(this.text(), 0x80));
        for (let i = this.n(3); i > 0; i--) parts.push(str(this.text(), 0x81));
        if (this.chance(0.5) || parts.length === 0) parts.push(str(this.text(), 0x82));
        return tlv(0xa4, str(this.pick(ATTRS)), tlv(0x30, ...parts));
      }
      case 5: return av(0xa5);
      case 6: return av(0xa6);
      case 7: return str(this.pick(ATTRS), 0x87);
      case 8: return av(0xa8);
      default: return tlv(0xa9, str('caseIgnoreMatch', 0x81), str('cn', 0x82), str(this.text(), 0x83), Buffer.from([0x84, 1, 0xff]));
    }
  }

  control(): Buffer {
    const oid = this.pick(OIDS);
    let value: Buffer | null;
    switch (oid) {
      case '1.2.840.113556.1.4.319': value = tlv(0x30, int(this.n(120) - 10), str(this.pick(['', '3', '-1', '99999999999', 'zz']))); break;
      case '1.2.840.113556.1.4.473': value = tlv(0x30, ...Array.from({ length: this.n(3) }, () => tlv(0x30, str(this.pick(ATTRS)), ...(this.chance(0.3) ? [Buffer.from([0x81, 1, 0xff])] : [])))); break;
      case '2.16.840.1.113730.3.4.9': value = tlv(0x30, int(this.n(60) - 10), int(this.n(60) - 10),
        this.chance(0.5) ? tlv(0xa0, int(this.n(30) - 5), int(this.n(30) - 5)) : str(this.text(), 0x81)); break;
      default: value = this.chance(0.5) ? Buffer.from(Array.from({ length: this.n(20) }, () => this.n(256))) : null;
    }
    return tlv(0x30, str(oid), ...(this.chance(0.5) ? [bool(this.chance(0.5))] : []), ...(value ? [tlv(0x04, value)] : []));
  }

  /** A well-formed request of a random kind. */
  valid(): Pdu {
    const id = this.id++ % 0x7fffffff || 1;
    const controls = this.chance(0.4) ? tlv(0xa0, ...Array.from({ length: 1 + this.n(3) }, () => this.control())) : undefined;
    const k = this.n(20);
    if (k < 3) {
      const name = this.pick(['', 'guess@fuzz', `cn=guess,${this.base}`, 'not a dn', 'x@y@z']);
      const auth = this.chance(0.85) ? str(this.pick(['', 'wrong-password', 'x'.repeat(this.n(200))]), 0x80) : tlv(0xa3, str('PLAIN'), str('\0u\0p'));
      return { kind: 'bind', bytes: message(id, tlv(0x60, int(this.pick([3, 3, 3, 2, -1])), str(name), auth), controls) };
    }
    if (k < 14) {
      const base = this.pick([this.base, this.base, '', 'dc=dialbook', `uid=1,${this.base}`, 'o=other,dc=dialbook', ',,=']);
      const attrs = Array.from({ length: this.n(8) }, () => str(this.pick(ATTRS)));
      const body = [str(base), int(this.pick([0, 1, 2, 2, 2, 5, -1]), 0x0a), int(this.n(4), 0x0a), int(this.pick([0, 1, 50, 1000, -1])), int(this.pick([0, 5, -3])),
        bool(this.chance(0.1)), this.filter(), tlv(0x30, ...attrs)];
      return { kind: 'search', bytes: message(id, tlv(0x63, ...body), controls) };
    }
    switch (k) {
      case 14: return { kind: 'abandon', bytes: message(id, tlv(0x50, Buffer.from([this.n(128)]))) };
      case 15: return { kind: 'extended', bytes: message(id, tlv(0x77, str(this.pick(['1.3.6.1.4.1.1466.20037', '1.3.6.1.4.1.4203.1.11.3', '']), 0x80), ...(this.chance(0.3) ? [str(this.text(), 0x81)] : []))) };
      case 16: return { kind: 'unbind', bytes: message(id, Buffer.from([0x42, 0x00])) };
      case 17: return { kind: 'delete', bytes: message(id, str(`uid=1,${this.base}`, 0x4a)) };
      case 18: return { kind: 'modify', bytes: message(id, tlv(0x66, str(`uid=1,${this.base}`), tlv(0x30, tlv(0x30, int(2, 0x0a), tlv(0x30, str('cn'), tlv(0x31, str('x'))))))) };
      default: return { kind: this.pick(['add', 'compare', 'moddn']), bytes: message(id, this.pick([
        tlv(0x68, str(`uid=9,${this.base}`), tlv(0x30, tlv(0x30, str('cn'), tlv(0x31, str('x'))))),
        tlv(0x6e, str(`uid=1,${this.base}`), tlv(0x30, str('cn'), str('x'))),
        tlv(0x6c, str(`uid=1,${this.base}`), str('uid=2'), bool(true)),
      ])) };
    }
  }

  /** One PDU: valid, or a mutation of a valid one, or something built to hurt. */
  next(): Pdu {
    const r = this.rand();
    if (r < 0.15) return this.valid();
    const v = this.valid();
    if (r < 0.45) return { kind: `flip:${v.kind}`, bytes: this.flip(v.bytes) };
    if (r < 0.65) return { kind: `inner-length:${v.kind}`, bytes: this.reframe(this.innerLength(v.bytes)) };
    if (r < 0.75) return { kind: `truncate:${v.kind}`, bytes: this.reframe(v.bytes.subarray(0, 2 + this.n(v.bytes.length - 2))) };
    if (r < 0.80) return { kind: 'random', bytes: this.reframe(Buffer.concat([Buffer.from([0x30, 0]), Buffer.from(Array.from({ length: this.n(200) }, () => this.n(256)))])) };
    if (r < 0.90) {
      const controls = tlv(0xa0, ...Array.from({ length: 1 + this.n(20) }, () => this.control()));
      return { kind: 'random-controls', bytes: message(7, tlv(0x63, str(this.base), int(2, 0x0a), int(0, 0x0a), int(0), int(0), bool(false), this.filter(), tlv(0x30)), controls) };
    }
    // the big ones are built a few times and then reused: building them costs more than sending
    if (r < 0.93) return { kind: 'nested-10000', bytes: this.reuse('nested', () => this.search(this.nested(10_000))) };
    if (r < 0.96) return { kind: 'wide-or', bytes: this.reuse('wide', () => this.search(tlv(0xa1, ...Array.from({ length: 1000 + this.n(4000) }, () => tlv(0xa3, str('cn'), str(String(this.n(10))))))) ) };
    if (r < 0.98) return { kind: 'oversized-length', bytes: Buffer.concat([Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), Buffer.from(Array.from({ length: 50 }, () => this.n(256)))]) };
    return { kind: 'issue-8', bytes: this.pick(ISSUE_8_PACKETS) };
  }

  private readonly built = new Map<string, Buffer[]>();
  private reuse(what: string, make: () => Buffer): Buffer {
    const list = this.built.get(what) ?? [];
    this.built.set(what, list);
    if (list.length < 4) list.push(make());
    return this.pick(list);
  }

  private search(filter: Buffer): Buffer {
    return message(this.id++, tlv(0x63, str(this.base), int(2, 0x0a), int(0, 0x0a), int(0), int(0), bool(false), filter, tlv(0x30, str('cn'))));
  }

  /** depth nested AND/OR/NOT around (cn=*), written into one buffer (no copy per level). */
  private nested(depth: number): Buffer {
    const inner = str('cn', 0x87);
    const headers: number[][] = [];
    let len = inner.length;
    for (let i = 0; i < depth; i++) {
      const l = len < 0x80 ? [len] : len < 0x100 ? [0x81, len] : len < 0x10000 ? [0x82, len >> 8, len & 0xff] : [0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
      headers.push([this.pick([0xa0, 0xa1, 0xa2]), ...l]);
      len += 1 + l.length;
    }
    const out = Buffer.alloc(len);
    let p = 0;
    for (let i = headers.length - 1; i >= 0; i--) for (const byte of headers[i]) out[p++] = byte;
    inner.copy(out, p);
    return out;
  }

  private flip(b: Buffer): Buffer {
    const out = Buffer.from(b);
    for (let i = 1 + this.n(4); i > 0; i--) out[this.n(out.length)] = this.n(256);
    return out;
  }

  /** Sets one inner length (found by walking the TLV tree) to something wrong. */
  private innerLength(b: Buffer): Buffer {
    const offsets: number[] = [];
    const walk = (start: number, end: number, depth: number) => {
      let p = start;
      while (p + 1 < end && depth < 64) {
        const tag = b[p];
        const lenAt = p + 1;
        let len = b[lenAt];
        let hdr = 2;
        if (len & 0x80) {
          const k = len & 0x7f;
          len = 0;
          for (let i = 0; i < k; i++) len = len * 256 + b[lenAt + 1 + i];
          hdr = 2 + k;
        }
        if (p > 0) offsets.push(lenAt);
        if (tag & 0x20) walk(p + hdr, Math.min(end, p + hdr + len), depth + 1);
        p += hdr + len;
      }
    };
    walk(0, b.length, 0);
    if (offsets.length === 0) return b;
    const at = this.pick(offsets);
    const out = Buffer.from(b);
    out[at] = this.pick([0x7f, 0x00, 0x80, 0x84, 0xff, (out[at] + 1) & 0xff, (out[at] - 1) & 0xff, 0x81]);
    if (out[at] === 0x84 && at + 4 < out.length) out.fill(0xff, at + 1, at + 5);
    return out;
  }

  /** Sets the outer SEQUENCE length to what follows, so the framer sees one whole message. */
  private reframe(b: Buffer): Buffer {
    let body = 0;
    if (b.length >= 2) body = b[1] & 0x80 ? 2 + (b[1] & 0x7f) : 2;
    return tlv(0x30, b.subarray(Math.min(body, b.length)));
  }
}

export interface FuzzTally {
  sent: number;
  /** Connections the server answered something on. */
  answered: number;
  /** Connections not closed within 10 s of the client's FIN: a hang. */
  hung: number;
}

/**
 * Sends each PDU on its own connection (a malformed one usually ends it), then half-closes;
 * counts connections the server did not close in time.
 */
export async function sendPdus(port: number, pdus: Iterable<Pdu>, opts: { concurrency?: number; localAddress?: string } = {}): Promise<FuzzTally> {
  const { connect } = await import('node:net');
  const tally: FuzzTally = { sent: 0, answered: 0, hung: 0 };
  const it = pdus[Symbol.iterator]();
  const worker = async () => {
    for (let n = it.next(); !n.done; n = it.next()) {
      const pdu = n.value;
      await new Promise<void>((resolve) => {
        let answered = false;
        const s = connect({ port, host: '127.0.0.1', localAddress: opts.localAddress }, () => {
          tally.sent++;
          s.end(pdu.bytes);
        });
        const t = setTimeout(() => { tally.hung++; s.destroy(); }, 10_000);
        s.on('data', () => { answered = true; });
        s.on('error', () => undefined);
        s.on('close', () => {
          clearTimeout(t);
          if (answered) tally.answered++;
          resolve();
        });
      });
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
  return tally;
}

/** count PDUs from a generator. */
export function* take(gen: PduGenerator, count: number): Generator<Pdu> {
  for (let i = 0; i < count; i++) yield gen.next();
}

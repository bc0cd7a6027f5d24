// The protocol layer's codec on its own: framing over any split, BER bounds, and filters decoded
// into the shape ldap-filter.ts translates (requests encoded by @ldapjs/messages, not by us).
import { describe, expect, it } from 'vitest';
import { BerError, BerReader } from '../../src/ldap/protocol/ber.ts';
import { FrameError, MessageFramer } from '../../src/ldap/protocol/framing.ts';
import { decodeMessage } from '../../src/ldap/protocol/messages.ts';
import { translateFilter } from '../../src/ldap/ldap-filter.ts';
import { encodeEntry, frame, frameAll } from '../../src/ldap/ldap-entry-cache.ts';
import { bindReq, der, searchReq } from './raw-ldap.ts';

describe('framing', () => {
  const stream = Buffer.concat([bindReq(1, 'phones@acme', 'x'), searchReq(2, { base: 'o=acme,dc=dialbook', filter: '(cn=a*)', attributes: ['cn'] }), bindReq(3, '', '')]);

  it('cuts the same messages out of any split of the stream', () => {
    const whole = new MessageFramer(65536).push(stream);
    expect(whole).toHaveLength(3);
    for (let k = 1; k < stream.length; k++) {
      const f = new MessageFramer(65536);
      const got = [...f.push(stream.subarray(0, k)), ...f.push(stream.subarray(k))];
      expect(got.map((m) => m.toString('hex')), `split at ${k}`).toEqual(whole.map((m) => m.toString('hex')));
      expect(f.pending).toBe(0);
    }
  });

  it('refuses a message declaring more than the cap from its header alone, and non-LDAP bytes', () => {
    expect(() => new MessageFramer(1024).push(Buffer.from([0x30, 0x82, 0x04, 0x01]))).toThrow(FrameError);
    expect(() => new MessageFramer(1024).push(Buffer.from([0x30, 0x80]))).toThrow(FrameError); // indefinite
    expect(() => new MessageFramer(1024).push(Buffer.from('GET / HTTP/1.1'))).toThrow(FrameError);
    const f = new MessageFramer(1024);
    expect(f.push(Buffer.from([0x30, 0x82, 0x03]))).toEqual([]); // header incomplete: wait
    expect(f.pending).toBe(3);
  });
});

describe('BER reader', () => {
  it('checks every length against what remains', () => {
    expect(() => new BerReader(Buffer.from([0x04, 0x05, 0x61])).octets()).toThrow(BerError);
    expect(() => new BerReader(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])).sequence()).toThrow(BerError);
    expect(() => new BerReader(Buffer.from([0x1f, 0x01, 0x00])).any()).toThrow(BerError); // multi-byte tag
    expect(() => new BerReader(Buffer.from([0x02, 0x07, 1, 2, 3, 4, 5, 6, 7])).int()).toThrow(BerError);
    expect(new BerReader(Buffer.from([0x02, 0x02, 0xff, 0x7f])).int()).toBe(-129);
    expect(new BerReader(Buffer.from([0x02, 0x02, 0x00, 0x80])).int()).toBe(128);
  });
});

describe('request decoding', () => {
  it('decodes a search into the filter shape translateFilter reads', () => {
    const req = decodeMessage(searchReq(7, {
      base: 'o=acme,dc=dialbook', scope: 'one', sizeLimit: 50, attributes: ['cn', 'telephoneNumber'],
      filter: '(&(|(cn=Jos\\c3\\a9*)(sn=*al*var*ez))(!(mail=a\\5cb))(telephoneNumber>=1)(o~=acme)(uid=*))',
    }));
    expect(req).toMatchObject({ op: 'search', id: 7, base: 'o=acme,dc=dialbook', scope: 1, sizeLimit: 50, typesOnly: false, attributes: ['cn', 'telephoneNumber'] });
    if (req.op !== 'search') throw new Error('not a search');
    expect(req.filter).toEqual({ type: 'AndFilter', clauses: [
      { type: 'OrFilter', clauses: [
        // the ldapjs client sends RFC 4515 escapes as text (see filter-decoder.ts)
        { type: 'SubstringFilter', attribute: 'cn', initial: 'Jos\\c3\\a9', any: [] },
        { type: 'SubstringFilter', attribute: 'sn', any: ['al', 'var'], final: 'ez' },
      ] },
      { type: 'NotFilter', filter: { type: 'EqualityFilter', attribute: 'mail', value: 'a\\5cb' } },
      { type: 'GreaterThanEqualsFilter', attribute: 'telephoneNumber', value: '1' },
      { type: 'ApproximateFilter', attribute: 'o', value: 'acme' },
      { type: 'PresenceFilter', attribute: 'uid' },
    ] });
    // which the translation reads as the bytes they stand for
    const c = JSON.stringify(translateFilter(req.filter, 7));
    expect(c).toContain('"José"');
    expect(c).toContain('"a\\\\b"');
  });

  it('refuses a search with a negative size limit or an unknown scope (protocolError), keeping the connection', () => {
    const body = (scope: number, size: number) => der.tlv(0x30, der.int(3), der.tlv(0x63, der.str('o=acme,dc=dialbook'), der.tlv(0x0a, Buffer.from([scope])),
      der.tlv(0x0a, Buffer.from([0])), der.int(size), der.int(0), der.tlv(0x01, Buffer.from([0])), der.str('cn', 0x87), der.tlv(0x30)));
    expect(decodeMessage(body(2, -1)).refused).toMatchObject({ code: 2 });
    expect(decodeMessage(body(7, 0)).refused).toMatchObject({ code: 2 });
    expect(decodeMessage(body(2, 0)).refused).toBeUndefined();
  });
});

describe('response framing', () => {
  it('frames many entries into one buffer exactly as one by one, for every length form', () => {
    const bodies = [10, 100, 200, 300, 70_000].map((n) => encodeEntry('uid=1,o=acme,dc=dialbook', { cn: ['x'.repeat(n)] }, false));
    for (const id of [1, 127, 128, 255, 256, 65_536, 2_147_483_647]) {
      expect(frameAll(id, bodies).equals(Buffer.concat(bodies.map((b) => frame(id, b)))), `message id ${id}`).toBe(true);
    }
  });
});

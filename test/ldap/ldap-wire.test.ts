// The protocol layer over a raw socket: any split of the byte stream gives the same answers,
// hostile packets (the two from issue #8 among them) never take the server down, and limits on
// filters, controls and attribute lists answer with the right LDAP codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { ldapsearch } from './ldap-helpers.ts';
import {
  abandonReq, bindReq, der, PagedResultsControl, RawLdap, rawControl, searchReq, ServerSideSortingRequestControl, unbindReq, vlvValue,
} from './raw-ldap.ts';

let srv: TestServer;
let port: number;
const BASE = 'o=acme,dc=dialbook';
const BIND = `cn=phones,${BASE}`;
const PASSWORD = 'phone-secret-1';
const SURNAMES = ['Adams', 'Baker', 'Clark', 'Davis', 'Evans', 'Fox', 'Green', 'Hill', 'Irwin', 'Jones'];
const VLV = '2.16.840.1.113730.3.4.9';

beforeAll(async () => {
  srv = await startTestServer();
  port = srv.ldapPort!;
  await seedAccount(srv.ctx, {
    id: 'acme',
    phoneCredentials: { username: 'phones', password: PASSWORD },
    contacts: SURNAMES.map((sn, i) => ({ firstName: 'Pat', lastName: sn, workNumber: `21455501${String(i).padStart(2, '0')}` })),
  });
});
afterAll(async () => { await srv.close(); });

/** The server still answers a normal client correctly. */
async function stillServes(): Promise<void> {
  const r = await ldapsearch(port, ['-D', BIND, '-w', PASSWORD, '-b', BASE, '(sn=baker)', 'sn']);
  expect(r.code).toBe(0);
  expect(r.entries.map((e) => e.attrs.sn)).toEqual([['Baker']]);
}

// bind, a VLV search (sort + VLV controls: the VLV OID is where ldapjs broke on a split), a
// paged search, a plain one, then unbind
const conversation = Buffer.concat([
  bindReq(1, BIND, PASSWORD),
  searchReq(2, { base: BASE, filter: '(objectClass=person)', attributes: ['sn'], controls: [
    new ServerSideSortingRequestControl({ value: [{ attributeType: 'sn' }] }), rawControl(VLV, vlvValue(1, 2, 4, 0), true)] }),
  searchReq(3, { base: BASE, filter: '(|(cn=pat*)(sn=pat*))', attributes: ['cn', 'telephoneNumber'], controls: [new PagedResultsControl({ value: { size: 3 } })] }),
  searchReq(4, { base: BASE, filter: '(&(sn>=c)(sn<=f))', attributes: ['sn'] }),
  unbindReq(5),
]);

async function converse(parts: Buffer[]): Promise<Buffer> {
  const c = await RawLdap.open(port);
  for (const [i, p] of parts.entries()) {
    c.write(p);
    // a pause between parts, so the server gets them in separate reads
    if (i < parts.length - 1) await new Promise((r) => setTimeout(r, 1));
  }
  await c.until((x) => x.closed, 10_000);
  return c.received;
}

describe('framing', () => {
  it('answers a whole conversation in one TCP read, byte by byte, and split at every boundary, identically', async () => {
    const whole = await converse([conversation]);
    const c = await RawLdap.open(port); // decode the reference once to check it is the right answer
    c.write(conversation);
    await c.until((x) => x.closed);
    expect(c.replies.find((r) => r.id === 1)?.code).toBe(0);
    expect(c.entries(2).map((e) => e.attrs!.sn[0])).toEqual(['Clark', 'Davis', 'Evans', 'Fox']);
    expect(c.entries(3)).toHaveLength(3);
    expect(c.entries(4).map((e) => e.attrs!.sn[0])).toEqual(['Clark', 'Davis', 'Evans']);
    expect(c.replies.filter((r) => r.tag === 0x65).map((r) => r.code)).toEqual([0, 0, 0]);

    const byteByByte = await converse([...conversation].map((b) => Buffer.from([b])));
    expect(byteByByte.equals(whole)).toBe(true);
    for (let k = 1; k < conversation.length; k++) {
      const split = await converse([conversation.subarray(0, k), conversation.subarray(k)]);
      expect(split.equals(whole), `split at byte ${k}`).toBe(true);
    }
  }, 120_000);
});

describe('hostile packets (issue #8)', () => {
  const packets = {
    'attribute list whose inner length exceeds the list (43 bytes, grew memory to 2.5 GB)': '3029020101632404000a01000a0100020100020100010100870b6f626a656374436c61737330040434636e',
    'substring filter whose inner length exceeds the filter (37 bytes, spun a core forever)': '3023020101631e04000a01000a0100020100020100010100a4090402636e30038024613000',
  };
  for (const [what, hex] of Object.entries(packets)) {
    it(`closes the connection on the ${what}, before any bind, and keeps serving`, async () => {
      const rss = process.memoryUsage().rss;
      const c = await RawLdap.open(port);
      c.write(Buffer.from(hex, 'hex'));
      await c.until((x) => x.closed);
      // a Notice of Disconnection (message id 0) naming a protocol error
      expect(c.replies).toEqual([expect.objectContaining({ id: 0, tag: 0x78, code: 2, name: '1.3.6.1.4.1.1466.20036' })]);
      expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
      await stillServes();
    });
  }

  it('answers a 10,000-deep nested filter and an OR of 5,000 clauses with adminLimitExceeded (11)', async () => {
    let deep = der.tlv(0x87, Buffer.from('cn'));
    for (let i = 0; i < 10_000; i++) deep = der.tlv(0xa2, deep);
    const wide = der.tlv(0xa1, ...Array.from({ length: 5000 }, (_v, i) => der.tlv(0xa3, der.str("cn"), der.str(String(i % 10)))));
    const c = await RawLdap.open(port);
    c.write(bindReq(1, BIND, PASSWORD));
    for (const [id, filter] of [[2, deep], [3, wide]] as const) {
      const body = Buffer.concat([der.str(BASE), der.tlv(0x0a, Buffer.from([2])), der.tlv(0x0a, Buffer.from([0])), der.int(0), der.int(0), der.tlv(0x01, Buffer.from([0])), filter, der.tlv(0x30)]);
      c.write(der.tlv(0x30, der.int(id), der.tlv(0x63, body)));
    }
    expect((await c.result(2)).code).toBe(11);
    expect((await c.result(3)).code).toBe(11);
    // the connection stays usable
    c.write(searchReq(4, { base: BASE, filter: '(sn=hill)', attributes: ['sn'] }));
    expect((await c.result(4)).code).toBe(0);
    expect(c.entries(4)).toHaveLength(1);
    c.close();
  });

  it('refuses negative VLV counts and page sizes with protocolError, never "no limit"', async () => {
    const c = await RawLdap.open(port);
    c.write(bindReq(1, BIND, PASSWORD));
    const sort = new ServerSideSortingRequestControl({ value: [{ attributeType: 'sn' }] });
    c.write(searchReq(2, { base: BASE, filter: '(objectClass=*)', attributes: ['sn'], controls: [sort, rawControl(VLV, vlvValue(-1, -1, 1, 0), true)] }));
    c.write(searchReq(3, { base: BASE, filter: '(objectClass=*)', attributes: ['sn'], controls: [sort, rawControl(VLV, vlvValue(0, -5, 1, 0))] }));
    c.write(searchReq(4, { base: BASE, filter: '(objectClass=*)', attributes: ['sn'], controls: [rawControl('1.2.840.113556.1.4.319', der.tlv(0x30, der.int(-1), der.str('')))] }));
    for (const id of [2, 3, 4]) {
      expect((await c.result(id)).code, `message ${id}`).toBe(2);
      expect(c.entries(id)).toEqual([]);
    }
    c.close();
  });

  it('drops an abandoned request, answers the rest, and closes on unbind', async () => {
    const c = await RawLdap.open(port);
    c.write(Buffer.concat([
      bindReq(1, BIND, PASSWORD),
      searchReq(2, { base: BASE, filter: '(objectClass=*)', attributes: ['sn'] }),
      abandonReq(3, 2),
      searchReq(4, { base: BASE, filter: '(sn=jones)', attributes: ['sn'] }),
      unbindReq(5),
    ]));
    await c.until((x) => x.closed);
    expect(c.replies.filter((r) => r.id === 2)).toEqual([]);
    expect(c.entries(4).map((e) => e.attrs!.sn)).toEqual([['Jones']]);
    expect(c.replies.find((r) => r.id === 4 && r.tag === 0x65)?.code).toBe(0);
  });

  it('answers unknown extended operations with protocolError and writes with unwillingToPerform', async () => {
    const c = await RawLdap.open(port);
    c.write(der.tlv(0x30, der.int(1), der.tlv(0x77, der.str('1.3.6.1.4.1.4203.1.11.3', 0x80))));
    c.write(der.tlv(0x30, der.int(2), der.tlv(0x4a, Buffer.from(BASE))));
    expect((await c.result(1)).code).toBe(2);
    expect((await c.result(2))).toMatchObject({ tag: 0x6b, code: 53 });
    c.close();
  });
});

async function cacheBytes(): Promise<number> {
  const m = srv.ctx.metrics.getSingleMetric('dialbook_ldap_entry_cache_bytes');
  return (await m!.get()).values[0].value;
}

describe('attribute lists', () => {
  it('serves 42 searches with different 5,000-name attribute lists without growing (issue #8 flood)', async () => {
    const c = await RawLdap.open(port);
    c.write(bindReq(1, BIND, PASSWORD));
    expect((await c.result(1)).code).toBe(0);
    // a normal search fills the cache with the entries
    c.write(searchReq(2, { base: BASE, filter: '(objectClass=*)', attributes: ['sn'] }));
    expect((await c.result(2)).code).toBe(0);
    const cached = await cacheBytes();
    expect(cached).toBeGreaterThan(0);
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 42; i++) {
      const attributes = ['sn', ...Array.from({ length: 5000 }, (_v, j) => `x${i}a${j}`)];
      c.write(searchReq(10 + i, { base: BASE, filter: '(objectClass=*)', attributes }));
      const done = await c.result(10 + i);
      expect(done.code).toBe(0);
      expect(c.entries(10 + i)).toHaveLength(10);
      expect(Object.keys(c.entries(10 + i)[0].attrs!)).toEqual(['sn']);
    }
    // the key held the whole list before the fix (~95 MB per 20,000-name search): such lists are
    // not cached now
    expect(await cacheBytes()).toBe(cached);
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024);
    c.close();
  }, 60_000);

  it('closes a connection sending a request over ldap.maxMessageBytes (a 20,000-name list)', async () => {
    const c = await RawLdap.open(port);
    c.write(bindReq(1, BIND, PASSWORD));
    c.write(searchReq(2, { base: BASE, filter: '(objectClass=*)', attributes: Array.from({ length: 20_000 }, (_v, j) => `attr${j}`) }));
    await c.until((x) => x.closed);
    expect(c.replies.filter((r) => r.id === 2)).toEqual([]);
    await stillServes();
  });
});

// Issue #10 items 3 and 4 over the real HTTP server: junk query parameters never add cache
// entries and the cache stays within its byte bound whatever the URLs; paged views render and
// read only their page. Observed through the server's own metrics, never through timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';

const AUTH = 'Basic ' + Buffer.from('phones:phone-secret-1').toString('base64');
const MAX_BYTES = 512 * 1024;
let srv: TestServer;

async function metric(name: string): Promise<number> {
  const m = srv.ctx.metrics.getSingleMetric(name);
  if (!m) throw new Error(`no metric ${name}`);
  const v = await m.get();
  return v.values.reduce((sum, x) => sum + x.value, 0);
}

async function fetchAll(paths: string[], parallel = 16): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < paths.length) {
      const path = paths[next++];
      const res = await fetch(srv.httpUrl + path, { headers: { authorization: AUTH } });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
  }));
  return statuses;
}

beforeAll(async () => {
  srv = await startTestServer({ phonebook: { cacheMaxBytes: MAX_BYTES, cacheEntries: 2000 } });
  await seedAccount(srv.ctx, {
    id: 'big', phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    contacts: Array.from({ length: 3000 }, (_, i) => ({
      firstName: `First${i}`, lastName: `Last${String(i).padStart(4, '0')}`,
      workNumber: `+1 214 55${String(i).padStart(5, '0')}`, ...(i % 3 === 0 ? { mobileNumber: `+1 972 55${String(i).padStart(5, '0')}` } : {}),
    })),
  });
}, 60_000);
afterAll(async () => { await srv.close(); });

describe('phonebook cache', () => {
  it('keeps 10,000 distinct junk URLs to one entry, and any URLs within its byte bound', async () => {
    const before = await metric('dialbook_phonebook_cache_entries');
    const junk = Array.from({ length: 10_000 }, (_, i) => `/phonebook/big/gigaset.xml?command=get_list&type=pb&first=1&count=5&junk=${i}&mac=${i.toString(16)}`);
    const statuses = await fetchAll(junk);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Every junk URL is the same question: one cache entry, 9,999 hits
    expect(await metric('dialbook_phonebook_cache_entries')).toBe(before + 1);
    // Distinct real questions (each q a different search) fill the cache only up to its bound
    const searches = Array.from({ length: 600 }, (_, i) => `/phonebook/big/yealink.xml?q=Last${String(i).padStart(3, '0')}`);
    await fetchAll(searches);
    const bytes = await metric('dialbook_phonebook_cache_bytes');
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(MAX_BYTES);
    // Big answers are bounded too: the whole directory (about 400 KB + gzip) does not fit, so it is not kept
    const whole = await fetchAll(['/phonebook/big/yealink.xml', '/phonebook/big/yealink.xml?x=1']);
    expect(whole).toEqual([200, 200]);
    expect(await metric('dialbook_phonebook_cache_bytes')).toBeLessThanOrEqual(MAX_BYTES);
  }, 300_000);

  it('unknown view names are refused naming the parameter (no 500, no cache entry)', async () => {
    const [a, b, c] = await Promise.all(['__proto__', 'constructor', 'toString'].map((v) =>
      fetch(`${srv.httpUrl}/phonebook/big/cisco.xml?view=${v}`, { headers: { authorization: AUTH } })));
    for (const r of [a, b, c]) {
      expect(r.status).toBe(400);
      expect((await r.json()).error.details[0].field).toBe('view');
    }
  });
});

describe('paged views render only their page', () => {
  it('Cisco page 7 of 4,000 entries renders 32 entries, and the next page reads only its own contacts', async () => {
    const rendered0 = await metric('dialbook_phonebook_entries_rendered_total');
    const r = await fetch(`${srv.httpUrl}/phonebook/big/cisco.xml?page=7`, { headers: { authorization: AUTH } });
    const xml = await r.text();
    expect((xml.match(/<DirectoryEntry>/g) ?? []).length).toBe(32);
    expect(xml).toContain('193-224 of 4000');
    expect(await metric('dialbook_phonebook_entries_rendered_total') - rendered0).toBe(32);

    const read0 = await metric('dialbook_phonebook_contacts_read_total');
    const p8 = await (await fetch(`${srv.httpUrl}/phonebook/big/cisco.xml?page=8`, { headers: { authorization: AUTH } })).text();
    expect(p8).toContain('225-256 of 4000');
    // at most the page's contacts (none when the sorted list read for the index is still in memory)
    const read = await metric('dialbook_phonebook_contacts_read_total') - read0;
    expect(read).toBeLessThanOrEqual(32);
    expect(await metric('dialbook_phonebook_entries_rendered_total') - rendered0).toBe(64);
  });

  it('Gigaset first/count reads exactly the contacts it shows', async () => {
    const read0 = await metric('dialbook_phonebook_contacts_read_total');
    const xml = await (await fetch(`${srv.httpUrl}/phonebook/big/gigaset.xml?command=get_list&type=pb&first=2001&count=7`, { headers: { authorization: AUTH } })).text();
    expect((xml.match(/<entry /g) ?? []).length).toBe(7);
    expect(xml).toContain('total="3000" first="2001" last="2007"');
    expect(xml).toContain('<ln>Last2000</ln>');
    expect(await metric('dialbook_phonebook_contacts_read_total') - read0).toBe(7);
  });

  it('a change shows on the next page fetched, in the sorted place', async () => {
    await seedAccount(srv.ctx, { id: 'small', phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
      contacts: Array.from({ length: 40 }, (_, i) => ({ lastName: `B${String(i).padStart(2, '0')}`, workNumber: `+1 214 555 ${1000 + i}` })) });
    const p2 = await (await fetch(`${srv.httpUrl}/phonebook/small/cisco.xml?page=2`, { headers: { authorization: AUTH } })).text();
    expect(p2).toContain('<Name>B32</Name>');
    const { prepareContact } = await import('../../src/domain/prepare-contact.ts');
    await srv.ctx.db.createContact('small', { source: 'shared' }, prepareContact({ lastName: 'A00', workNumber: '+1 214 555 0999' }, 'US'), { id: 'test' });
    const after = await (await fetch(`${srv.httpUrl}/phonebook/small/cisco.xml?page=2`, { headers: { authorization: AUTH } })).text();
    expect(after).toContain('<Name>B31</Name>');
    expect(after).toContain('33-41 of 41');
  });
});

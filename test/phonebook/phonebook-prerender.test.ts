// After a restart, each vendor's whole-directory answer is rendered before /readyz turns 200
// (phonebook-prerender.ts): the first phone asking for it is a cache hit, under any URL; paged
// views (whose links carry the URL) are made as page books with a stand-in for the URL, which
// the request's URL replaces: the same bytes as a render, under any Host. A change renders them again.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
const AUTH: [string, string] = ['phones', 'phone-secret-1'];

async function metric(name: string, on: TestServer = srv): Promise<number> {
  const v = await on.ctx.metrics.getSingleMetric(name)!.get();
  return v.values.reduce((sum, x) => sum + x.value, 0);
}

/** As a load balancer does: phones only once /readyz says 200. */
async function ready(on: TestServer): Promise<void> {
  for (let i = 0; i < 100 && (await request(on.httpUrl).get('/readyz')).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
}

/** Another server over the same data with other phonebook settings, ready, stopped after `fn`. */
async function withServer(phonebook: Record<string, number>, fn: (other: TestServer) => Promise<void>): Promise<void> {
  const other = await startTestServer({ dataDir: srv.dataDir, phonebook });
  try {
    await ready(other);
    await fn(other);
  } finally {
    await other.stop();
  }
}

beforeAll(async () => {
  const first = await startTestServer();
  await seedAccount(first.ctx, {
    id: 'acme', phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    contacts: Array.from({ length: 50 }, (_, i) => ({ lastName: `Person${i}`, workNumber: `21455501${String(i).padStart(2, '0')}` })),
  });
  await first.stop();
  srv = await startTestServer({ dataDir: first.dataDir });
  await ready(srv);
});
afterAll(async () => { await srv.close(); });

describe('pre-rendered phonebooks', () => {
  it('answers the first whole-directory fetches after a restart from the cache, under any URL', async () => {
    const entries = await metric('dialbook_phonebook_cache_entries');
    expect(entries).toBeGreaterThanOrEqual(3);
    const rendered = await metric('dialbook_phonebook_entries_rendered_total');
    for (const path of ['/phonebook/acme/yealink.xml', '/phonebook/acme/grandstream/phonebook.xml', '/PhoneBook/acme/yealink.xml?junk=1']) {
      const r = await request(srv.httpUrl).get(path).auth(...AUTH);
      expect(r.status, path).toBe(200);
      expect(r.text).toContain('Person49');
    }
    // nothing rendered for these phones: the answers were made at start
    expect(await metric('dialbook_phonebook_entries_rendered_total')).toBe(rendered);
  });

  it('answers paged views from the page books made at start, byte for byte what a render gives, under any Host', async () => {
    // a server over the same data without a cache renders every answer: the reference
    const plain = await startTestServer({ dataDir: srv.dataDir, phonebook: { cacheEntries: 0 } });
    try {
      const rendered = await metric('dialbook_phonebook_entries_rendered_total');
      const paths = ['/phonebook/acme/cisco.xml', '/phonebook/acme/cisco.xml?page=2', '/phonebook/acme/cisco.xml?view=directory',
        '/phonebook/acme/aastra.xml', '/phonebook/acme/aastra.xml?page=4', '/phonebook/acme/cisco.xml?view=search', '/phonebook/acme/yealink.xml?view=groups'];
      for (const host of [null, 'phones.example.com:8080']) {
        for (const path of paths) {
          const ask = (url: string) => {
            const r = request(url).get(path).auth(...AUTH);
            return host ? r.set('Host', host) : r;
          };
          const [ours, ref] = await Promise.all([ask(srv.httpUrl), ask(plain.httpUrl)]);
          expect(ours.status, path).toBe(200);
          expect(ours.headers.etag, path).toBe(ref.headers.etag);
          // supertest asks for gzip and unzips: the gzip answer put together from the book is checked too
          expect(ours.headers['content-encoding'], path).toBe('gzip');
          expect(ours.headers['content-type'], path).toBe(ref.headers['content-type']);
          const origin = host ? `http://${host}` : srv.httpUrl;
          expect(ours.text, path).toContain(`${origin}/phonebook/acme/`);
          expect(ours.text, path).toBe(host ? ref.text : ref.text.split(plain.httpUrl).join(srv.httpUrl));
        }
      }
      // nothing rendered: every page came from a book
      expect(await metric('dialbook_phonebook_entries_rendered_total')).toBe(rendered);
      // a URL not in the form links are built in (host in capitals) is rendered, as before
      const odd = await request(srv.httpUrl).get('/phonebook/acme/cisco.xml?page=2').auth(...AUTH).set('Host', 'PHONES.example.com');
      expect(odd.status).toBe(200);
      expect(odd.text).toMatch(/http:\/\/phones\.example\.com\/phonebook\/acme\/cisco\.xml/i);
      expect(await metric('dialbook_phonebook_entries_rendered_total')).toBeGreaterThan(rendered);
    } finally {
      await plain.stop();
    }
  });

  it('keeps a flood of distinct Hosts within the cache\'s entry bound, the page book staying in', async () => {
    await withServer({ cacheEntries: 40 }, async (small) => {
      const rendered = await metric('dialbook_phonebook_entries_rendered_total', small);
      for (let i = 0; i < 200; i++) {
        const r = await request(small.httpUrl).get('/phonebook/acme/aastra.xml?page=2').auth(...AUTH).set('Host', `h${i}.example`);
        expect(r.status).toBe(200);
        expect(r.text).toContain(`http://h${i}.example/phonebook/acme/aastra.xml?page=3`);
      }
      expect(await metric('dialbook_phonebook_cache_entries', small)).toBeLessThanOrEqual(40);
      expect(await metric('dialbook_phonebook_entries_rendered_total', small)).toBe(rendered);
    });
  });

  it('makes nothing ahead for an account too large for half the cache: its phones\' first fetches render', async () => {
    // 50 contacts at ~2 KB each made ahead need ~100 KB: a 150 KB cache has room for half of that
    await withServer({ cacheMaxBytes: 150_000 }, async (tight) => {
      expect((await request(tight.httpUrl).get('/readyz')).status).toBe(200);
      expect(await metric('dialbook_phonebook_cache_entries', tight)).toBe(0);
      expect(await metric('dialbook_phonebook_entries_rendered_total', tight)).toBe(0);
      const r = await request(tight.httpUrl).get('/phonebook/acme/yealink.xml').auth(...AUTH);
      expect(r.status).toBe(200);
      expect(r.text).toContain('Person49');
      expect(await metric('dialbook_phonebook_entries_rendered_total', tight)).toBeGreaterThan(0);
    });
  });

  it('renders them again after a change, and phones get the new answer', async () => {
    const { prepareContact } = await import('../../src/domain/prepare-contact.ts');
    await srv.ctx.db.createContact('acme', { source: 'shared' }, prepareContact({ lastName: 'Newcomer', workNumber: '2145559999' }, 'US'), { id: 'test' });
    const r = await request(srv.httpUrl).get('/phonebook/acme/yealink.xml').auth(...AUTH);
    expect(r.text).toContain('Newcomer');
  });
});

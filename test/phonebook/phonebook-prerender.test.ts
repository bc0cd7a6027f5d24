// After a restart, each vendor's whole-directory answer is rendered before /readyz turns 200
// (phonebook-prerender.ts): the first phone asking for it is a cache hit, under any URL; paged
// views (whose links carry the URL) wait for a phone. A change renders them again.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
const AUTH: [string, string] = ['phones', 'phone-secret-1'];

async function metric(name: string): Promise<number> {
  const v = await srv.ctx.metrics.getSingleMetric(name)!.get();
  return v.values.reduce((sum, x) => sum + x.value, 0);
}

beforeAll(async () => {
  const first = await startTestServer();
  await seedAccount(first.ctx, {
    id: 'acme', phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    contacts: Array.from({ length: 50 }, (_, i) => ({ lastName: `Person${i}`, workNumber: `21455501${String(i).padStart(2, '0')}` })),
  });
  await first.stop();
  srv = await startTestServer({ dataDir: first.dataDir });
  // as a load balancer does: phones only once /readyz says 200
  for (let i = 0; i < 100 && (await request(srv.httpUrl).get('/readyz')).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
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
    // a paged view shows links built from the asked URL: rendered when asked
    expect((await request(srv.httpUrl).get('/phonebook/acme/cisco.xml').auth(...AUTH)).status).toBe(200);
    expect(await metric('dialbook_phonebook_entries_rendered_total')).toBeGreaterThan(rendered);
  });

  it('renders them again after a change, and phones get the new answer', async () => {
    const { prepareContact } = await import('../../src/domain/prepare-contact.ts');
    await srv.ctx.db.createContact('acme', { source: 'shared' }, prepareContact({ lastName: 'Newcomer', workNumber: '2145559999' }, 'US'), { id: 'test' });
    const r = await request(srv.httpUrl).get('/phonebook/acme/yealink.xml').auth(...AUTH);
    expect(r.text).toContain('Newcomer');
  });
});

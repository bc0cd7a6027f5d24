// Deep pages of the admin contact list: ?after=<next of the previous page> walks the list by its
// sort key (no OFFSET), giving exactly the order offset paging gives, for every sort.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { bearer } from './helpers.ts';

let srv: TestServer;
let token: string;
const N = 230;
const list = (query: string) => request(srv.httpUrl).get(`/api/v1/accounts/acme/contacts?${query}`).set(bearer(token));

beforeAll(async () => {
  srv = await startTestServer();
  // repeated names and companies, so ties are broken by the cursor's rowid
  const contacts = Array.from({ length: N }, (_, i) => ({
    firstName: ['Ann', 'Bob', 'Émile', 'zoe'][i % 4], lastName: `Name${i % 37}`, company: i % 5 ? `Co ${i % 7}` : '',
    workNumber: `214-555-${String(1000 + i)}`, groups: i % 3 ? [] : ['Third'],
  }));
  token = (await seedAccount(srv.ctx, { id: 'acme', users: [{ username: 'olivia', scope: 'office_manager' }], contacts })).tokens.olivia;
});
afterAll(async () => { await srv.close(); });

async function walk(params: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const res = await list(`${params}&limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    ids.push(...res.body.items.map((c: { id: string }) => c.id));
    after = res.body.next;
    if (!after) return ids;
  }
  throw new Error('paging did not end');
}

describe('keyset paging (?after=)', () => {
  it.each(['name', '-name', 'lastName', '-firstName', 'company', '-company', 'updatedAt', '-updatedAt'])('walks every contact once, in offset order, sorted by %s', async (sort) => {
    const byOffset = await list(`sort=${sort}&limit=1000`);
    const expected = byOffset.body.items.map((c: { id: string }) => c.id);
    expect(expected).toHaveLength(N);
    expect(await walk(`sort=${sort}`, 40)).toEqual(expected);
  });

  it('works with a search and a group filter, and the last page has next: null', async () => {
    const all = (await list('group=Third&q=ann&limit=1000')).body.items.map((c: { id: string }) => c.id);
    expect(all.length).toBeGreaterThan(5);
    expect(await walk('group=Third&q=ann', 4)).toEqual(all);
    const last = await list('limit=1000');
    expect(last.body.next).toBeNull();
  });

  it('refuses a cursor that is not ours, one from another sort, and after with offset', async () => {
    const first = await list('sort=name&limit=10');
    expect((await list('after=not-a-cursor')).status).toBe(400);
    const other = await list(`sort=company&after=${encodeURIComponent(first.body.next)}`);
    expect(other.status).toBe(400);
    expect(other.body.error.details[0]).toMatchObject({ field: 'after' });
    expect((await list(`offset=10&after=${encodeURIComponent(first.body.next)}`)).status).toBe(400);
  });
});

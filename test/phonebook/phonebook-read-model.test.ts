// XML phonebooks are answered from the in-memory read model, like LDAP, and never render an
// older model under a newer ETag: the ETag is the revision of the model that rendered the list,
// so a write by another process over the same database shows as a new list under a new ETag, or
// not yet (the old list under the old ETag), never the old list under the new version (it would
// then stay on phones until the next change). Phone requests read neither the account nor its
// revision from the database (issue 19: a right phone credential costs no round trip), so another
// process's write arrives through the change feed: by notification on PostgreSQL
// (test/cluster/), by the safety poll within revisionCheckMs on SQLite (200 ms here).
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';

let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  a = await startTestServer({ directory: { revisionCheckMs: 200 } });
  b = await startTestServer({ dataDir: a.dataDir, directory: { revisionCheckMs: 200 } });
  await seedAccount(a.ctx, {
    id: 'acme', phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    contacts: [{ firstName: 'John', lastName: 'Smith', workNumber: '+1 972 555 0110' }],
  });
});
afterAll(async () => {
  await b?.stop();
  await a?.close();
});

const book = (srv: TestServer) => request(srv.httpUrl).get('/phonebook/acme/yealink.xml').auth('phones', 'phone-secret-1');

describe('phonebooks from the read model', () => {
  it('shows another process\'s write within revisionCheckMs, under a new ETag, and never the old list under a new ETag', async () => {
    const before = await book(a);
    expect(before.status).toBe(200);
    expect(before.text).toContain('Smith');
    const builds = a.ctx.directory.counts.builds;

    const created = await request(b.httpUrl).post('/api/v1/accounts/acme/contacts').set('authorization', `Bearer ${ADMIN_TOKEN}`)
      .send({ firstName: 'Ada', lastName: 'Crossinstance', workNumber: '+1 972 555 0111' });
    expect(created.status).toBe(201);

    let after = await book(a);
    for (let i = 0; i < 100 && !after.text.includes('Crossinstance'); i++) {
      // not there yet: then the answer is the old list under the old ETag
      expect(after.headers.etag).toBe(before.headers.etag);
      await new Promise((r) => setTimeout(r, 20));
      after = await book(a);
    }
    expect(after.status).toBe(200);
    expect(after.text).toContain('Crossinstance');
    expect(after.headers.etag).not.toBe(before.headers.etag);
    // the model was brought up to date through the change feed, not rebuilt or bypassed
    expect(a.ctx.directory.counts.builds).toBe(builds);
    expect(a.ctx.directory.counts.updates).toBeGreaterThanOrEqual(1);
    // and a conditional GET with the new ETag is answered 304 from then on
    expect((await book(a).set('if-none-match', after.headers.etag as string)).status).toBe(304);
  });
});

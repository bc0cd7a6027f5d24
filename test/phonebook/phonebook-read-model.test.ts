// XML phonebooks are answered from the in-memory read model, like LDAP, and never render an
// older model under a newer ETag: a write by another instance over the same database moves the
// account revision at once, and the phonebook must not cache the old list under the new version
// (it would then stay on phones until the next change). The read model is checked against the
// store at most every revisionCheckMs (1 s here), so only the version handed down by the
// phonebook can make it catch up in time.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';

let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  a = await startTestServer({ directory: { revisionCheckMs: 1000 } });
  b = await startTestServer({ dataDir: a.dataDir, directory: { revisionCheckMs: 1000 } });
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
  it('shows another instance\'s write in the very next answer, under a new ETag', async () => {
    const before = await book(a);
    expect(before.status).toBe(200);
    expect(before.text).toContain('Smith');
    const builds = a.ctx.directory.counts.builds;

    const created = await request(b.httpUrl).post('/api/v1/accounts/acme/contacts').set('authorization', `Bearer ${ADMIN_TOKEN}`)
      .send({ firstName: 'Ada', lastName: 'Crossinstance', workNumber: '+1 972 555 0111' });
    expect(created.status).toBe(201);

    const after = await book(a);
    expect(after.status).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.text).toContain('Crossinstance');
    // the model was brought up to date through the change feed, not rebuilt or bypassed
    expect(a.ctx.directory.counts.builds).toBe(builds);
    expect(a.ctx.directory.counts.updates).toBeGreaterThanOrEqual(1);
    // and a conditional GET with the new ETag is answered 304 from then on
    expect((await book(a).set('if-none-match', after.headers.etag as string)).status).toBe(304);
  });
});

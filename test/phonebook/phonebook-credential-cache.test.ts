// A right phone credential is remembered (verified-phones.ts) so that the next request with the
// same header skips the limiter and the check; these tests hold what must not change with it: a
// changed password or rotated token stops working at the next request, a wrong credential is
// counted every time (never remembered), and the answers still come from the node:http handler
// in front of express with the phonebook metric counted.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
let acme: SeededAccount;
const book = (user: string, password: string) => request(srv.httpUrl).get('/phonebook/acme/yealink.xml').auth(user, password);

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = srv.ctx.metrics.getSingleMetric(name);
  if (!m) return 0;
  const v = await m.get();
  return v.values.filter((x) => Object.entries(labels).every(([k, l]) => String(x.labels[k]) === l)).reduce((sum, x) => sum + x.value, 0);
}

beforeAll(async () => {
  srv = await startTestServer();
  acme = await seedAccount(srv.ctx, {
    id: 'acme', phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    users: [{ username: 'olivia', scope: 'office_manager' }],
    contacts: [{ lastName: 'Known', workNumber: '2145550100' }],
  });
});
afterAll(async () => { await srv.close(); });

describe('remembered phone credentials', () => {
  it('stops accepting the old password at the next request after it is changed, and accepts the new one', async () => {
    for (let i = 0; i < 3; i++) expect((await book('phones', 'phone-secret-1')).status).toBe(200);
    await request(srv.httpUrl).patch('/api/v1/accounts/acme/phone-credentials').set('Authorization', `Bearer ${acme.tokens.olivia}`)
      .send({ password: 'phone-secret-2' }).expect(200);
    expect((await book('phones', 'phone-secret-1')).status).toBe(401);
    expect((await book('phones', 'phone-secret-2')).status).toBe(200);
  });

  it('stops accepting a rotated path token at once', async () => {
    const creds = (await request(srv.httpUrl).get('/api/v1/accounts/acme/phone-credentials').set('Authorization', `Bearer ${acme.tokens.olivia}`)).body as { pathToken: string };
    const byToken = (t: string) => request(srv.httpUrl).get(`/phonebook/t/${t}/yealink.xml`);
    expect((await byToken(creds.pathToken)).status).toBe(200);
    expect((await byToken(creds.pathToken)).status).toBe(200);
    await request(srv.httpUrl).post('/api/v1/accounts/acme/phone-credentials/rotate-path-token').set('Authorization', `Bearer ${acme.tokens.olivia}`).expect(200);
    expect((await byToken(creds.pathToken)).status).toBe(401);
  });

  it('counts a wrong password every time it is presented, right ones in between or not', async () => {
    const failures = () => metric('dialbook_signin_failures_total', { kind: 'phonebook' });
    const before = await failures();
    for (let i = 0; i < 3; i++) {
      expect((await book('phones', 'phone-secret-2')).status).toBe(200);
      expect((await book('phones', `wrong-${i}`)).status).toBe(401);
      expect((await book('phones', 'wrong-again')).status).toBe(401);
    }
    // 3 different wrong passwords and one wrong password 3 times: 6 failures seen by the limiter
    expect(await failures() - before).toBe(6);
  });

  it('answers phonebook paths before express, counted by status, with the same error shape', async () => {
    const ok0 = await metric('dialbook_phonebook_requests_total', { status: '200' });
    const nf0 = await metric('dialbook_phonebook_requests_total', { status: '404' });
    const ok = await book('phones', 'phone-secret-2');
    // express's per-request logger stamps X-Request-Id on what it answers; phonebooks skip it
    expect(ok.headers['x-request-id']).toBeUndefined();
    // sent with a length, not chunked (phones read the length)
    expect(Number(ok.headers['content-length'])).toBeGreaterThan(0);
    const missing = await request(srv.httpUrl).get('/phonebook/acme').auth('phones', 'phone-secret-2');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'not_found', message: expect.stringContaining('/phonebook/acme'), details: [] } });
    const upper = await request(srv.httpUrl).get('/PhoneBook/acme/Yealink.xml/').auth('phones', 'phone-secret-2');
    expect(upper.status).toBe(200);
    expect(await metric('dialbook_phonebook_requests_total', { status: '200' }) - ok0).toBe(2);
    expect(await metric('dialbook_phonebook_requests_total', { status: '404' }) - nf0).toBe(1);
  });
});

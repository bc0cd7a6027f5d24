// The admin API end to end: real server, real SQLite file, bearer tokens.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_TOKEN, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
let acme: SeededAccount;
let globex: SeededAccount;
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

beforeAll(async () => {
  srv = await startTestServer();
  acme = await seedAccount(srv.ctx, {
    id: 'acme', users: [
      { username: 'olivia', scope: 'office_manager', extension: '1001', name: 'Olivia Office' },
      { username: 'bob', scope: 'basic', extension: '1002', name: 'Bob Basic' },
      { username: 'sam', scope: 'site_manager', name: 'Sam Site' },
    ],
  });
  globex = await seedAccount(srv.ctx, { id: 'globex', region: 'GB', users: [{ username: 'gina', scope: 'office_manager' }] });
});
afterAll(async () => { await srv.close(); });

describe('accounts', () => {
  it('lets the platform admin create and list accounts, and nobody else', async () => {
    const created = await request(srv.httpUrl).post('/api/v1/accounts').set(bearer(srv.adminToken))
      .send({ id: 'initech', name: 'Initech', region: 'us' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'initech', region: 'US', settings: { managerScopes: ['office_manager', 'call_center_supervisor'] } });
    const dup = await request(srv.httpUrl).post('/api/v1/accounts').set(bearer(srv.adminToken)).send({ id: 'initech', name: 'x' });
    expect(dup.status).toBe(409);
    const bad = await request(srv.httpUrl).post('/api/v1/accounts').set(bearer(srv.adminToken)).send({ id: 'Bad Slug!', name: 'x', region: 'XX' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['id', 'region']);
    const asUser = await request(srv.httpUrl).get('/api/v1/accounts').set(bearer(acme.tokens.olivia));
    expect(asUser.status).toBe(403);
  });

  it('answers 401 without a token and 404 for another account', async () => {
    const none = await request(srv.httpUrl).get('/api/v1/accounts/acme/contacts');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/Bearer/);
    const wrong = await request(srv.httpUrl).get('/api/v1/accounts/acme/contacts').set(bearer('dbk_nope'));
    expect(wrong.status).toBe(401);
    const other = await request(srv.httpUrl).get('/api/v1/accounts/globex/contacts').set(bearer(acme.tokens.olivia));
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('not_found');
  });
});

describe('shared contacts', () => {
  let id: string;
  let etag: string;

  it('creates a contact with normalised numbers and an ETag', async () => {
    const res = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.olivia))
      .send({ firstName: 'Ana', lastName: 'Pérez', company: 'Supplies & Co', workNumber: '(469) 429-2500', groups: ['Suppliers'] });
    expect(res.status).toBe(201);
    expect(res.body.numbers).toEqual([{ kind: 'work', number: '(469) 429-2500', e164: '+14694292500' }]);
    expect(res.headers.etag).toBe('"r1"');
    id = res.body.id;
    etag = res.headers.etag;
  });

  it('rejects bad input naming each field, and writes nothing', async () => {
    const res = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.olivia))
      .send({ firstName: 'X', workNumber: 'call me maybe', email: 'not-an-email' });
    expect(res.status).toBe(400);
    const fields = res.body.error.details.map((d: { field: string }) => d.field).sort();
    expect(fields).toEqual(['email']);
    const res2 = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.olivia))
      .send({ firstName: 'X', workNumber: 'call me maybe' });
    expect(res2.status).toBe(400);
    expect(res2.body.error.details[0]).toMatchObject({ field: 'workNumber', value: 'call me maybe' });
    const missing = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.olivia)).send({ title: 'CEO' });
    // a name is required; a number is not (apps keep e-mail-only contacts; phones skip them)
    expect(missing.body.error.details.map((d: { reason: string }) => d.reason)).toEqual(['a contact needs a first name, last name or company']);
    const list = await request(srv.httpUrl).get('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.olivia));
    expect(list.body.total).toBe(1);
  });

  it('lets basic users read but not write, and site managers only when the account allows', async () => {
    const read = await request(srv.httpUrl).get('/api/v1/accounts/acme/contacts?q=supp').set(bearer(acme.tokens.bob));
    expect(read.status).toBe(200);
    expect(read.body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    const write = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.bob)).send({ firstName: 'Z', workNumber: '1234' });
    expect(write.status).toBe(403);
    expect((await request(srv.httpUrl).delete(`/api/v1/accounts/acme/contacts/${id}`).set(bearer(acme.tokens.sam))).status).toBe(403);
    await request(srv.httpUrl).patch('/api/v1/accounts/acme').set(bearer(srv.adminToken))
      .send({ settings: { managerScopes: ['office_manager', 'site_manager'] } }).expect(200);
    const allowed = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.sam)).send({ company: 'Site Co', workNumber: '2125550100' });
    expect(allowed.status).toBe(201);
  });

  it('honours If-Match: a stale tag gets 412 and changes nothing', async () => {
    const ok = await request(srv.httpUrl).patch(`/api/v1/accounts/acme/contacts/${id}`).set(bearer(acme.tokens.olivia))
      .set('If-Match', etag).send({ title: 'Buyer' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ title: 'Buyer', lastName: 'Pérez', revision: 2 });
    const stale = await request(srv.httpUrl).put(`/api/v1/accounts/acme/contacts/${id}`).set(bearer(acme.tokens.olivia))
      .set('If-Match', etag).send({ firstName: 'Changed', workNumber: '1000' });
    expect(stale.status).toBe(412);
    const now = await request(srv.httpUrl).get(`/api/v1/accounts/acme/contacts/${id}`).set(bearer(acme.tokens.olivia));
    expect(now.body.firstName).toBe('Ana');
    expect(now.headers.etag).toBe('"r2"');
  });

  it('searches by number digits and filters by group; the search never crosses accounts', async () => {
    const byNumber = await request(srv.httpUrl).get('/api/v1/accounts/acme/contacts?q=4292500').set(bearer(acme.tokens.olivia));
    expect(byNumber.body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    const byGroup = await request(srv.httpUrl).get('/api/v1/accounts/acme/contacts?group=suppliers').set(bearer(acme.tokens.olivia));
    expect(byGroup.body.total).toBe(1);
    const viaGlobex = await request(srv.httpUrl).get(`/api/v1/accounts/globex/contacts/${id}`).set(bearer(globex.tokens.gina));
    expect(viaGlobex.status).toBe(404);
    const del = await request(srv.httpUrl).delete(`/api/v1/accounts/globex/contacts/${id}`).set(bearer(globex.tokens.gina));
    expect(del.status).toBe(404);
  });

  it('keeps contacts when their group is deleted, and records everything in the audit log', async () => {
    const groups = await request(srv.httpUrl).get('/api/v1/accounts/acme/groups').set(bearer(acme.tokens.bob));
    const g = groups.body.items.find((x: { name: string }) => x.name === 'Suppliers');
    expect(g.contactCount).toBe(1);
    await request(srv.httpUrl).patch(`/api/v1/accounts/acme/groups/${g.id}`).set(bearer(acme.tokens.olivia)).send({ name: 'Vendors' }).expect(200);
    const dup = await request(srv.httpUrl).post('/api/v1/accounts/acme/groups').set(bearer(acme.tokens.olivia)).send({ name: 'vendors' });
    expect(dup.status).toBe(409);
    await request(srv.httpUrl).delete(`/api/v1/accounts/acme/groups/${g.id}`).set(bearer(acme.tokens.olivia)).expect(204);
    const c = await request(srv.httpUrl).get(`/api/v1/accounts/acme/contacts/${id}`).set(bearer(acme.tokens.olivia));
    expect(c.status).toBe(200);
    expect(c.body.groups).toEqual([]);
    const audit = await request(srv.httpUrl).get('/api/v1/accounts/acme/audit?limit=3').set(bearer(acme.tokens.olivia));
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['group.delete', 'group.rename', 'contact.update']);
    expect(audit.body.items[0]).toMatchObject({ action: 'group.delete', before: { name: 'Vendors' } });
    expect((await request(srv.httpUrl).get('/api/v1/accounts/acme/audit').set(bearer(acme.tokens.bob))).status).toBe(403);
  });
});

describe('me', () => {
  it('gives each user private personal contacts and a combined directory', async () => {
    const me = await request(srv.httpUrl).get('/api/v1/me').set(bearer(acme.tokens.bob));
    expect(me.body).toMatchObject({ user: { username: 'bob' }, account: { id: 'acme' }, canManageShared: false });
    const mine = await request(srv.httpUrl).post('/api/v1/me/contacts').set(bearer(acme.tokens.bob)).send({ firstName: 'Mum', mobileNumber: '214 555 0199' });
    expect(mine.status).toBe(201);
    const theirs = await request(srv.httpUrl).get(`/api/v1/me/contacts/${mine.body.id}`).set(bearer(acme.tokens.olivia));
    expect(theirs.status).toBe(404);
    const all = await request(srv.httpUrl).get('/api/v1/me/directory?source=all').set(bearer(acme.tokens.bob));
    const sources = new Set(all.body.items.map((c: { source: string }) => c.source));
    expect([...sources].sort()).toEqual(['personal', 'shared', 'user']);
    const personal = await request(srv.httpUrl).get('/api/v1/me/directory?source=personal').set(bearer(acme.tokens.bob));
    expect(personal.body.items.map((c: { firstName: string }) => c.firstName)).toEqual(['Mum']);
    const users = await request(srv.httpUrl).get('/api/v1/me/directory?source=users&q=olivia').set(bearer(acme.tokens.bob));
    expect(users.body.items[0].numbers).toEqual([{ kind: 'extension', number: '1001', e164: null }]);
  });

  it('lists tokens without their secret, mints none for a token or a manager (credentials: test/api/credentials.test.ts), and a revoked token stops working', async () => {
    const bobId = acme.users.bob.id;
    const list = await request(srv.httpUrl).get(`/api/v1/accounts/acme/users/${bobId}/tokens`).set(bearer(acme.tokens.bob));
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ kind: 'api', userId: bobId });
    expect(JSON.stringify(list.body)).not.toContain(acme.tokens.bob);
    expect(Object.keys(list.body.items[0])).not.toContain('tokenHash');
    // a token cannot mint another (that takes a portal session), and nobody mints for someone else
    expect((await request(srv.httpUrl).post(`/api/v1/accounts/acme/users/${bobId}/tokens`).set(bearer(acme.tokens.bob)).send({ label: 'laptop' })).status).toBe(403);
    expect((await request(srv.httpUrl).post(`/api/v1/accounts/acme/users/${acme.users.olivia.id}/tokens`).set(bearer(acme.tokens.bob)).send({})).status).toBe(403);
    expect((await request(srv.httpUrl).post(`/api/v1/accounts/acme/users/${bobId}/tokens`).set(bearer(acme.tokens.olivia)).send({})).status).toBe(403);
    expect((await request(srv.httpUrl).get('/api/v1/me').set(bearer(acme.tokens.bob))).status).toBe(200);
    await request(srv.httpUrl).delete(`/api/v1/accounts/acme/tokens/${list.body.items[0].id}`).set(bearer(acme.tokens.bob)).expect(204);
    expect((await request(srv.httpUrl).get('/api/v1/me').set(bearer(acme.tokens.bob))).status).toBe(401);
  });
});

describe('operations', () => {
  it('serves health, metrics and the OpenAPI document', async () => {
    expect((await request(srv.httpUrl).get('/healthz')).body).toEqual({ status: 'ok' });
    const metrics = await request(srv.httpUrl).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(metrics.text).toContain('dialbook_http_request_duration_seconds');
    const doc = await request(srv.httpUrl).get('/api/v1/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.paths['/api/v1/accounts/{account}/contacts/{id}'].put.requestBody).toBeDefined();
    expect(doc.body.paths['/api/v1/me/directory'].get.parameters.map((p: { name: string }) => p.name)).toContain('source');
  });

  it('answers malformed JSON with 400 and a reason', async () => {
    const res = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.olivia))
      .set('Content-Type', 'application/json').send('{"firstName":');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });
});

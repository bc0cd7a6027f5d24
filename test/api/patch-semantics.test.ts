// PATCH means "change what I sent": each PATCH route gets a body with one field, and every other
// stored field must come back unchanged (zod defaults used to fill in what was not sent).
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
let acme: SeededAccount;
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const api = () => request(srv.httpUrl);

beforeAll(async () => {
  srv = await startTestServer();
  acme = await seedAccount(srv.ctx, {
    id: 'acme',
    settings: {
      phoneAllowList: ['10.0.0.0/8'], managerScopes: ['office_manager', 'site_manager'],
      showUsersInDirectory: false, ldapAnonymous: true, nameFormat: 'first_last',
      dialNumberForm: 'national', phoneAccountIndex: 2,
    },
    users: [
      { username: 'olivia', scope: 'office_manager', name: 'Olivia Office', password: 'olivia-password-1' },
      { username: 'carla', scope: 'call_center_supervisor', name: 'Carla Nunes', extension: '1003', email: 'carla@acme.test' },
      { username: 'bob', scope: 'basic', name: 'Bob Basic', extension: '1002', directNumber: '2125550102', password: 'bob-password-1' },
    ],
    phoneCredentials: { username: 'phones', password: 'phone-password-1' },
  });
});
afterAll(async () => { await srv.close(); });

describe('PATCH /accounts/{account}', () => {
  it('changes one setting and keeps every other setting', async () => {
    const res = await api().patch('/api/v1/accounts/acme').set(bearer(srv.adminToken)).send({ settings: { nameFormat: 'last_first' } });
    expect(res.status).toBe(200);
    expect(res.body.settings).toEqual({
      nameFormat: 'last_first', phoneAllowList: ['10.0.0.0/8'], managerScopes: ['office_manager', 'site_manager'],
      showUsersInDirectory: false, ldapAnonymous: true, dialNumberForm: 'national', phoneAccountIndex: 2,
    });
    expect((await srv.ctx.db.getAccount('acme'))!.settings.phoneAllowList).toEqual(['10.0.0.0/8']);
  });

  it('changes the name and leaves region and settings alone', async () => {
    const res = await api().patch('/api/v1/accounts/acme').set(bearer(srv.adminToken)).send({ name: 'Acme Corp' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Acme Corp', region: 'US', settings: { nameFormat: 'last_first', phoneAllowList: ['10.0.0.0/8'] } });
  });

  it('rejects an allow-list entry that is no address or range, naming it, and changes nothing', async () => {
    const res = await api().patch('/api/v1/accounts/acme').set(bearer(srv.adminToken)).send({ settings: { phoneAllowList: ['10.0.0.0/8', '10.0.0.0/33'] } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'settings.phoneAllowList.1', value: '10.0.0.0/33' })]);
    expect((await srv.ctx.db.getAccount('acme'))!.settings.phoneAllowList).toEqual(['10.0.0.0/8']);
    const ok = await api().patch('/api/v1/accounts/acme').set(bearer(srv.adminToken)).send({ settings: { phoneAllowList: ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'] } });
    expect(ok.status).toBe(200);
    await api().patch('/api/v1/accounts/acme').set(bearer(srv.adminToken)).send({ settings: { phoneAllowList: ['10.0.0.0/8'] } }).expect(200);
  });

  it('still rejects an unknown setting, naming it', async () => {
    const res = await api().patch('/api/v1/accounts/acme').set(bearer(srv.adminToken)).send({ settings: { colour: 'red' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('colour');
  });
});

describe('PATCH /accounts/{account}/users/{id}', () => {
  it('changes the name a manager sent and keeps the scope', async () => {
    const res = await api().patch(`/api/v1/accounts/acme/users/${acme.users.carla.id}`).set(bearer(acme.tokens.olivia)).send({ name: 'Carla Nunez' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Carla Nunez', scope: 'call_center_supervisor', extension: '1003', email: 'carla@acme.test' });
    expect((await srv.ctx.db.getUser('acme', acme.users.carla.id))!.scope).toBe('call_center_supervisor');
  });

  it('lets a basic user change their own name, and keeps their numbers', async () => {
    const res = await api().patch(`/api/v1/accounts/acme/users/${acme.users.bob.id}`).set(bearer(acme.tokens.bob)).send({ name: 'Robert Basic' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Robert Basic', scope: 'basic', extension: '1002', directNumber: '2125550102', hasPassword: true });
  });

  it('lets a basic user change their own password and sign in with it', async () => {
    // the current password is required (test/api/credentials.test.ts); keep the token later tests use
    const res = await api().patch(`/api/v1/accounts/acme/users/${acme.users.bob.id}`).set(bearer(acme.tokens.bob))
      .send({ password: 'bob-password-2', currentPassword: 'bob-password-1', keepAppPasswords: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Robert Basic', scope: 'basic' });
    const signIn = await api().post('/api/v1/session').send({ account: 'acme', login: 'bob', password: 'bob-password-2' });
    expect(signIn.status).toBe(201);
  });

  it('never lets a basic user change their own scope, and changes nothing then', async () => {
    const res = await api().patch(`/api/v1/accounts/acme/users/${acme.users.bob.id}`).set(bearer(acme.tokens.bob))
      .send({ name: 'Boss Bob', scope: 'office_manager' });
    expect(res.status).toBe(403);
    expect(await srv.ctx.db.getUser('acme', acme.users.bob.id)).toMatchObject({ name: 'Robert Basic', scope: 'basic' });
  });

  it('still keeps basic users off other users', async () => {
    const res = await api().patch(`/api/v1/accounts/acme/users/${acme.users.carla.id}`).set(bearer(acme.tokens.bob)).send({ name: 'x' });
    expect(res.status).toBe(403);
  });
});

describe('PATCH contacts (shared and personal)', () => {
  it('changes one field of a shared contact and keeps the rest', async () => {
    const created = await api().post('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.olivia))
      .send({ firstName: 'Ana', lastName: 'Pérez', company: 'Supplies & Co', title: 'Buyer', workNumber: '(469) 429-2500',
        mobileNumber: '214 555 0199', email: 'ana@supplies.test', groups: ['Suppliers'] });
    expect(created.status).toBe(201);
    const res = await api().patch(`/api/v1/accounts/acme/contacts/${created.body.id}`).set(bearer(acme.tokens.olivia)).send({ title: 'Head buyer' });
    expect(res.status).toBe(200);
    const { revision: _r, updatedAt: _u, updatedBy: _b, ...rest } = res.body;
    const { revision: _r0, updatedAt: _u0, updatedBy: _b0, ...before } = created.body;
    expect(rest).toEqual({ ...before, title: 'Head buyer' });
  });

  it('changes one field of a personal contact and keeps the rest', async () => {
    const created = await api().post('/api/v1/me/contacts').set(bearer(acme.tokens.bob))
      .send({ firstName: 'Mum', lastName: 'Basic', mobileNumber: '214 555 0198', homeNumber: '214 555 0197' });
    expect(created.status).toBe(201);
    const res = await api().patch(`/api/v1/me/contacts/${created.body.id}`).set(bearer(acme.tokens.bob)).send({ homeNumber: '' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ firstName: 'Mum', lastName: 'Basic', mobileNumber: '214 555 0198', homeNumber: '' });
  });
});

describe('PATCH groups', () => {
  it('renames a group and keeps its contacts', async () => {
    const g = await api().post('/api/v1/accounts/acme/groups').set(bearer(acme.tokens.olivia)).send({ name: 'Couriers' });
    await api().post('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.olivia)).send({ company: 'Fast Post', workNumber: '2125550111', groups: ['Couriers'] }).expect(201);
    const res = await api().patch(`/api/v1/accounts/acme/groups/${g.body.id}`).set(bearer(acme.tokens.olivia)).send({ name: 'Carriers' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Carriers', contactCount: 1 });
  });
});

describe('PATCH phone credentials', () => {
  it('changes the password alone: username and path token stay', async () => {
    const before = await api().get('/api/v1/accounts/acme/phone-credentials').set(bearer(acme.tokens.olivia));
    const res = await api().patch('/api/v1/accounts/acme/phone-credentials').set(bearer(acme.tokens.olivia)).send({ password: 'phone-password-2' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ username: 'phones', password: 'phone-password-2', pathToken: before.body.pathToken });
    expect(await srv.ctx.phoneCredentials.verify('acme', 'phones', 'phone-password-2')).toBe(true);
  });

  it('changes the username alone: password stays', async () => {
    const res = await api().patch('/api/v1/accounts/acme/phone-credentials').set(bearer(acme.tokens.olivia)).send({ username: 'deskphones' });
    expect(res.status).toBe(200);
    expect(await srv.ctx.phoneCredentials.verify('acme', 'deskphones', 'phone-password-2')).toBe(true);
  });

  it('answers 404 when the account has none yet, and 400 for an empty body', async () => {
    const empty = await api().patch('/api/v1/accounts/acme/phone-credentials').set(bearer(acme.tokens.olivia)).send({});
    expect(empty.status).toBe(400);
    await srv.ctx.db.createAccount({ id: 'bare', name: 'Bare', region: 'US' }, { id: 'test' });
    const none = await api().patch('/api/v1/accounts/bare/phone-credentials').set(bearer(srv.adminToken)).send({ password: 'phone-password-3' });
    expect(none.status).toBe(404);
  });
});

// A user binds as themselves with an app password (issue 20), as with their own password: the
// search then shows their personal contacts too. An API token is no LDAP password, and a revoked
// app password binds no more.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';
import { bindReq, RawLdap, searchReq } from './raw-ldap.ts';

let srv: TestServer;
let acme: SeededAccount;
const BASE = 'o=acme,dc=dialbook';
const PW = { bob: 'bob-password-1', olivia: 'olivia-password-1' };

beforeAll(async () => {
  srv = await startTestServer();
  acme = await seedAccount(srv.ctx, {
    id: 'acme',
    users: [{ username: 'bob', password: PW.bob }, { username: 'olivia', scope: 'office_manager', password: PW.olivia }],
    contacts: [{ lastName: 'Shared', workNumber: '+1 415 555 0100' }],
  });
  await srv.ctx.db.createContact('acme', { source: 'personal', userId: acme.users.bob.id },
    prepareContact({ lastName: 'Bobsfriend', mobileNumber: '+1 415 555 0199' }, 'US'), { id: 'test' });
}, 30_000);
afterAll(async () => { await srv.close(); });

/** Binds, and when that worked searches everything; the bind's code and the surnames seen. */
async function bindAndSearch(name: string, password: string): Promise<{ code: number; names: string[] }> {
  const c = await RawLdap.open(srv.ldapPort!);
  try {
    c.write(bindReq(1, name, password));
    const code = (await c.result(1)).code!;
    if (code !== 0) return { code, names: [] };
    c.write(searchReq(2, { base: BASE, filter: '(objectClass=*)', attributes: ['sn'] }));
    expect((await c.result(2)).code).toBe(0);
    return { code, names: c.entries(2).map((e) => e.attrs!.sn?.[0]).filter(Boolean).sort() };
  } finally {
    c.close();
  }
}

async function appPassword(): Promise<{ id: string; token: string }> {
  const portal = request.agent(srv.httpUrl);
  const { csrf } = (await portal.post('/api/v1/session').send({ account: 'acme', login: 'bob', password: PW.bob }).expect(201)).body;
  return (await portal.post(`/api/v1/accounts/acme/users/${acme.users.bob.id}/app-passwords`).set('X-CSRF-Token', csrf).send({ label: 'Desk phone' }).expect(201)).body;
}

describe('LDAP binds with app passwords', { timeout: 60_000 }, () => {
  it('binds as the user with an app password, like their own password, in every name form', async () => {
    const app = await appPassword();
    const own = await bindAndSearch('bob@acme', PW.bob);
    expect(own.code).toBe(0);
    expect(own.names).toContain('Bobsfriend');
    for (const name of ['bob@acme', `uid=bob,${BASE}`, 'acme\\bob']) {
      const r = await bindAndSearch(name, app.token);
      expect(r, name).toEqual(own);
    }
    // only as its own user
    expect((await bindAndSearch('olivia@acme', app.token)).code).toBe(49);
  });

  it('does not bind with an API token', async () => {
    expect((await bindAndSearch('bob@acme', acme.tokens.bob)).code).toBe(49);
    expect((await bindAndSearch('olivia@acme', acme.tokens.olivia)).code).toBe(49);
  });

  it('does not bind with a revoked app password', async () => {
    const app = await appPassword();
    expect((await bindAndSearch('bob@acme', app.token)).code).toBe(0);
    await request(srv.httpUrl).delete(`/api/v1/accounts/acme/users/${acme.users.bob.id}/app-passwords/${app.id}`)
      .set('Authorization', `Bearer ${acme.tokens.olivia}`).expect(204);
    expect((await bindAndSearch('bob@acme', app.token)).code).toBe(49);
  });
});

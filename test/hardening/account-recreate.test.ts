// An account deleted and created again under the same id is a new tenant: nothing of the old
// one may show through any front end, from the instance that did it or from another instance
// over the same database. Reproduces the finding of the tenants issue: the new account's LDAP
// answer listed the old account's contact and user (the in-memory read model of the old account
// was "refreshed" from the new one's change feed, which never reported the old entries gone).
// Every cache keyed by the account is filled before the delete: the LDAP read model and entry
// cache, the rendered phonebook and its ETag, a CardDAV sync token, a bound LDAP connection.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { hasLdapUtils, ldapsearch } from '../ldap/ldap-helpers.ts';
import { bindReq, RawLdap, searchReq } from '../ldap/raw-ldap.ts';
import { dav, multistatus } from '../carddav/carddav-helpers.ts';

const BASE = 'o=reuse,dc=dialbook';
const OLD_PW = 'reuse-old-pw-1';
const NEW_PW = 'reuse-new-pw-1';
const USER_PW = 'same-user-password-1';
const syncBody = (token: string) => `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;

let a: TestServer;
/** Another instance over the same database file: its own store connection, read model and caches. */
let b: TestServer;

const api = (srv: TestServer) => ({
  post: (path: string, body: object) => request(srv.httpUrl).post(`/api/v1${path}`).set('authorization', `Bearer ${ADMIN_TOKEN}`).send(body),
  put: (path: string, body: object) => request(srv.httpUrl).put(`/api/v1${path}`).set('authorization', `Bearer ${ADMIN_TOKEN}`).send(body),
  del: (path: string) => request(srv.httpUrl).delete(`/api/v1${path}`).set('authorization', `Bearer ${ADMIN_TOKEN}`),
});

async function makeTenant(name: string, phonePassword: string, contact: object, user: object): Promise<void> {
  const x = api(a);
  expect((await x.post('/accounts', { id: 'reuse', name })).status).toBe(201);
  expect((await x.put('/accounts/reuse/phone-credentials', { username: 'phones', password: phonePassword })).status).toBe(200);
  expect((await x.post('/accounts/reuse/contacts', contact)).status).toBe(201);
  expect((await x.post('/accounts/reuse/users', user)).status).toBe(201);
}

/** Names in the whole directory, as a phone bound with the phone credentials sees them. */
async function ldapNames(srv: TestServer, password: string, filter = '(objectClass=*)'): Promise<string[]> {
  const r = await ldapsearch(srv.ldapPort!, ['-D', 'phones@reuse', '-w', password, '-b', BASE, filter, 'cn']);
  expect(r.code).toBe(0);
  return r.entries.flatMap((e) => e.attrs.cn ?? []).sort();
}

/** Both instances check the account at most every 250 ms: poll a bounded number of times. */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await read();
  for (let i = 0; i < 40 && !done(v); i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = await read();
  }
  return v;
}

beforeAll(async () => {
  a = await startTestServer();
  b = await startTestServer({ dataDir: a.dataDir });
});
afterAll(async () => {
  await b?.stop();
  await a?.close();
});

describe.skipIf(!hasLdapUtils)('an account deleted and created again under its id', () => {
  it('shows only its own entries in LDAP, XML phonebooks and CardDAV, on both instances', async () => {
    await makeTenant('Old tenant', OLD_PW,
      { firstName: 'OldTenantSecret', lastName: 'Zed', workNumber: '+1 469 429 2444' },
      { username: 'olduser', name: 'OldTenantUser', extension: '777', password: USER_PW });

    // Fill every cache of the old incarnation, on both instances.
    for (const srv of [a, b]) {
      expect(await eventually(() => ldapNames(srv, OLD_PW), (n) => n.length === 2)).toEqual(['OldTenantSecret Zed', 'OldTenantUser']);
      expect((await ldapNames(srv, OLD_PW, '(telephoneNumber=*4694292444)'))).toEqual(['OldTenantSecret Zed']);
    }
    const oldBook = await request(a.httpUrl).get('/phonebook/reuse/yealink.xml').auth('phones', OLD_PW);
    expect(oldBook.status).toBe(200);
    expect(oldBook.text).toContain('OldTenantSecret');
    const oldEtag = oldBook.headers.etag as string;
    const oldSync = await dav(a, 'REPORT', '/carddav/reuse/olduser/shared/', { login: 'olduser@reuse', password: USER_PW, body: syncBody('') });
    expect(oldSync.status).toBe(207);
    const oldToken = multistatus(oldSync.text).syncToken!;
    // a phone that stays bound over the delete
    const held = await RawLdap.open(b.ldapPort!);
    held.write(bindReq(1, 'phones@reuse', OLD_PW));
    expect((await held.result(1)).code).toBe(0);

    expect((await api(a).del('/accounts/reuse')).status).toBe(204);
    // the same user name and password as before: only the incarnation tells them apart
    await makeTenant('New tenant', NEW_PW,
      { firstName: 'NewTenantContact', lastName: 'Ay', workNumber: '+1 469 429 2555' },
      { username: 'olduser', name: 'NewTenantUser', extension: '778', password: USER_PW });

    for (const srv of [a, b]) {
      expect(await eventually(() => ldapNames(srv, NEW_PW), (n) => !n.includes('OldTenantUser'))).toEqual(['NewTenantContact Ay', 'NewTenantUser']);
      expect(await ldapNames(srv, NEW_PW, '(telephoneNumber=*4694292444)')).toEqual([]);
      expect(await ldapNames(srv, NEW_PW, '(cn=old*)')).toEqual([]);
      expect((await ldapsearch(srv.ldapPort!, ['-D', 'phones@reuse', '-w', OLD_PW, '-b', BASE, '(objectClass=*)'])).code).toBe(49);

      // the old ETag must not match: a 304 would keep the old tenant's list on the phone
      const book = await request(srv.httpUrl).get('/phonebook/reuse/yealink.xml').auth('phones', NEW_PW).set('if-none-match', oldEtag);
      expect(book.status).toBe(200);
      expect(book.headers.etag).not.toBe(oldEtag);
      expect(book.text).toContain('NewTenantContact');
      expect(book.text).not.toContain('OldTenantSecret');
      expect(book.text).not.toContain('OldTenantUser');

      // the old sync token names another incarnation's change log: start over
      const stale = await dav(srv, 'REPORT', '/carddav/reuse/olduser/shared/', { login: 'olduser@reuse', password: USER_PW, body: syncBody(oldToken) });
      expect(stale.status).toBe(400);
      expect(stale.text).toContain('valid-sync-token');
      const fresh = await dav(srv, 'REPORT', '/carddav/reuse/olduser/shared/', { login: 'olduser@reuse', password: USER_PW, body: syncBody('') });
      expect(fresh.status).toBe(207);
      const all = multistatus(fresh.text);
      expect(all.responses).toHaveLength(1);
      expect(all.syncToken).not.toBe(oldToken);
    }

    // The connection bound to the old tenant sees nothing of the new one.
    held.write(searchReq(2, { base: BASE, filter: '(objectClass=*)', attributes: ['cn'] }));
    const r = await held.result(2);
    expect(r.code).toBe(32); // noSuchObject
    expect(held.entries(2)).toEqual([]);
    held.close();
  }, 120_000);
});

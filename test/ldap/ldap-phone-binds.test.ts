// Binds and filters as phones are really set up (issue 21): the bind name forms phone admins type
// (cn= and uid= DNs, user@account, account\user), LDAPv2 binds (Grandstream falls back to v2
// after a reset), and the README's per-vendor name filter, which must find the same entries
// whether or not the phone adds the trailing * itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { ldapsearch } from './ldap-helpers.ts';
import { bindReq, RawLdap, searchReq } from './raw-ldap.ts';

let srv: TestServer;
let port: number;
const BASE = 'o=acme,dc=dialbook';

beforeAll(async () => {
  srv = await startTestServer();
  port = srv.ldapPort!;
  await seedAccount(srv.ctx, {
    id: 'acme',
    phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    contacts: [
      { firstName: 'José', lastName: 'Álvarez', workNumber: '+1 (469) 429-2500' },
      { firstName: 'John', lastName: 'Smith', workNumber: '972 555 0110' },
      { firstName: 'Ana', lastName: 'Joss', workNumber: '972 555 0111' },
    ],
  });
});
afterAll(async () => { await srv.close(); });

async function cns(bindName: string, filter: string, extra: string[] = []): Promise<{ code: number; cns: string[]; stderr: string }> {
  const r = await ldapsearch(port, [...extra, '-D', bindName, '-w', 'phone-secret-1', '-b', BASE, filter, 'cn']);
  return { code: r.code, cns: r.entries.map((e) => e.attrs.cn[0]).sort(), stderr: r.stderr };
}

describe('bind names as phones are set up', () => {
  it.each([
    `cn=phones,${BASE}`,
    `uid=phones,${BASE}`,
    `UID=phones, O=acme, DC=dialbook`,
    'phones@acme',
    'acme\\phones',
  ])('%s binds with the phone credentials and sees the account', async (name) => {
    const r = await cns(name, '(sn=smith)');
    expect(r.code, r.stderr).toBe(0);
    expect(r.cns).toEqual(['John Smith']);
  });

  it('still refuses a wrong password and another account in every form', async () => {
    for (const name of [`uid=phones,${BASE}`, 'acme\\phones']) {
      const r = await ldapsearch(port, ['-D', name, '-w', 'wrong-password', '-b', BASE, '(sn=smith)', 'cn']);
      expect(r.code, name).toBe(49);
    }
    const other = await ldapsearch(port, ['-D', 'globex\\phones', '-w', 'phone-secret-1', '-b', BASE, '(sn=smith)', 'cn']);
    expect(other.code).toBe(49);
  });
});

describe('LDAP version 2', () => {
  it('accepts a v2 bind and answers the search that follows (Grandstream after a reset)', async () => {
    const r = await cns(`cn=phones,${BASE}`, '(sn=smith)', ['-P', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.cns).toEqual(['John Smith']);
  });
});

describe("README's name filter works whether or not the phone adds the star", () => {
  // README: (|(cn=%)(cn=%*)(sn=%)(sn=%*)) with % = the typed text
  const filter = (typed: string) => `(|(cn=${typed})(cn=${typed}*)(sn=${typed})(sn=${typed}*))`;
  it.each([
    ['jos', ['Ana Joss', 'José Álvarez']],
    ['joss', ['Ana Joss']],
    ['álv', ['José Álvarez']],
    ['smith', ['John Smith']],
  ])('the phone sends %% as typed: %s', async (typed, expected) => {
    const r = await cns(`cn=phones,${BASE}`, filter(typed));
    expect(r.code, r.stderr).toBe(0);
    expect(r.cns).toEqual(expected);
  });

  it('the phone adds the star itself (%% = "jos*", so "jos**" arrives as initial + an empty any part)', async () => {
    // OpenLDAP's ldapsearch refuses to encode "jos**"; a phone's encoder, like ldapjs's, sends it.
    const c = await RawLdap.open(port);
    try {
      c.write(bindReq(1, `cn=phones,${BASE}`, 'phone-secret-1'));
      expect((await c.result(1)).code).toBe(0);
      c.write(searchReq(2, { base: BASE, filter: filter('jos*'), attributes: ['cn'] }));
      expect((await c.result(2)).code).toBe(0);
      expect(c.entries(2).map((e) => e.attrs!.cn[0]).sort()).toEqual(['Ana Joss', 'José Álvarez']);
    } finally {
      c.close();
    }
  });

  it('the old (cn=%) finds nothing for a prefix unless the phone adds the star', async () => {
    expect((await cns(`cn=phones,${BASE}`, '(|(cn=jos)(sn=jos))')).cns).toEqual([]);
  });
});

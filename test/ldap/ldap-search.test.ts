// The LDAP front end against OpenLDAP's ldapsearch (what phones' LDAP stacks behave like), with
// the filters each vendor sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { hasLdapUtils, ldapsearch } from './ldap-helpers.ts';

let srv: TestServer;
let port: number;
const BASE = 'o=acme,dc=dialbook';
const PHONE = ['-D', `cn=phones,${BASE}`, '-w', 'phone-secret-1'];

beforeAll(async () => {
  srv = await startTestServer();
  port = srv.ldapPort!;
  await seedAccount(srv.ctx, {
    id: 'acme',
    phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    users: [{ username: 'ann', name: 'Ann Lee', extension: '1001', password: 'ann-password-1', scope: 'basic' }],
    contacts: [
      { firstName: 'José', lastName: 'Álvarez', company: 'Plumbing & Co', workNumber: '+1 (469) 429-2500', mobileNumber: '214-555-0101', groups: ['Suppliers'] },
      { firstName: 'John', lastName: 'Smith', workNumber: '972 555 0110', email: 'john@smith.example' },
      { company: 'Henry Schein', workNumber: '1-800-372-4346' },
      { firstName: 'Zoë', lastName: 'Zimmer', homeNumber: '4694292501' },
    ],
  });
  await seedAccount(srv.ctx, {
    id: 'globex',
    phoneCredentials: { username: 'phones', password: 'globex-secret-1' },
    contacts: [{ firstName: 'Secret', lastName: 'Smith', workNumber: '+1 469 429 2500' }],
  });
});
afterAll(async () => { await srv.close(); });

const names = (r: { entries: { attrs: Record<string, string[]> }[] }) => r.entries.map((e) => e.attrs.cn?.[0]).sort();

describe.skipIf(!hasLdapUtils)('LDAP search with ldapsearch', () => {
  it('serves a root DSE', async () => {
    const r = await ldapsearch(port, ['-b', '', '-s', 'base', '(objectClass=*)', '+']);
    expect(r.code).toBe(0);
    const dse = r.entries[0].attrs;
    expect(dse.namingContexts).toEqual(['dc=dialbook']);
    expect(dse.supportedLDAPVersion).toEqual(['3']);
    expect(dse.vendorName).toEqual(['dialbook']);
    expect(dse.supportedControl).toContain('1.2.840.113556.1.4.319');
  });

  it('finds names case- and accent-insensitively (Yealink name filter)', async () => {
    const r = await ldapsearch(port, [...PHONE, '-b', BASE, '(|(cn=jose*)(sn=jose*)(telephoneNumber=jose*)(mobile=jose*))', 'cn', 'telephoneNumber', 'mobile']);
    expect(r.code).toBe(0);
    expect(r.entries).toHaveLength(1);
    expect(r.entries[0].attrs).toEqual({ cn: ['José Álvarez'], telephoneNumber: ['+14694292500'], mobile: ['+12145550101'] });
    const accented = await ldapsearch(port, [...PHONE, '-b', BASE, '(sn=ÁLV*)', 'cn']);
    expect(names(accented)).toEqual(['José Álvarez']);
  });

  it('looks callers up by number in every format (caller ID)', async () => {
    for (const filter of ['(telephoneNumber=4694292500)', '(telephoneNumber=+14694292500)', '(telephoneNumber=1-469-429-2500)', '(|(telephoneNumber=*4292500)(mobile=*4292500))']) {
      const r = await ldapsearch(port, [...PHONE, '-b', BASE, filter, 'cn']);
      expect(r.code, filter).toBe(0);
      expect(names(r), filter).toEqual(['José Álvarez']);
    }
    // too few digits never matches a longer number by its tail
    const short = await ldapsearch(port, [...PHONE, '-b', BASE, '(telephoneNumber=*2500)', 'cn']);
    expect(short.entries).toEqual([]);
    // extensions of internal users match exactly
    const ext = await ldapsearch(port, [...PHONE, '-b', BASE, '(telephoneNumber=1001)', 'cn']);
    expect(names(ext)).toEqual(['Ann Lee']);
  });

  it('answers the Snom name and number filters, and Grandstream/Fanvil-style ones', async () => {
    const snomName = await ldapsearch(port, [...PHONE, '-b', BASE, '(&(telephoneNumber=*)(sn=smi*))', 'cn']);
    expect(names(snomName)).toEqual(['John Smith']);
    const snomNumber = await ldapsearch(port, [...PHONE, '-b', BASE, '(&(telephoneNumber=9725550110)(sn=*))', 'cn']);
    expect(names(snomNumber)).toEqual(['John Smith']);
    const gs = await ldapsearch(port, [...PHONE, '-b', BASE, '(|(cn=zo*)(sn=zo*))', 'cn']);
    expect(names(gs)).toEqual(['Zoë Zimmer']);
    const homeOnly = await ldapsearch(port, [...PHONE, '-b', BASE, '(|(telephoneNumber=4694292501)(mobile=4694292501)(homePhone=4694292501))', 'cn', 'homePhone']);
    expect(homeOnly.entries.map((e) => e.attrs)).toEqual([{ cn: ['Zoë Zimmer'], homePhone: ['+14694292501'] }]);
  });

  it('returns attribute names only with typesOnly', async () => {
    const r = await ldapsearch(port, [...PHONE, '-A', '-b', BASE, '(sn=smith)', 'cn', 'mail']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cn:\s*$/m);
    expect(r.stdout).not.toContain('John Smith');
  });

  it('shows company-only contacts with cn and sn', async () => {
    const r = await ldapsearch(port, [...PHONE, '-b', BASE, '(o=henry*)']);
    expect(r.entries[0].attrs).toMatchObject({ cn: ['Henry Schein'], sn: ['Henry Schein'], o: ['Henry Schein'], objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'] });
  });

  it('returns attributes asked for in any case, and none for 1.1', async () => {
    const r = await ldapsearch(port, [...PHONE, '-b', BASE, '(sn=smith)', 'TELEPHONENUMBER', 'Mail']);
    expect(r.entries[0].attrs).toEqual({ telephoneNumber: ['+19725550110'], mail: ['john@smith.example'] });
    const none = await ldapsearch(port, [...PHONE, '-b', BASE, '(sn=smith)', '1.1']);
    expect(none.entries[0].attrs).toEqual({});
    expect(none.entries[0].dn).toMatch(/^uid=.+,o=acme,dc=dialbook$/);
  });

  it('answers a base-object lookup of an entry (Gigaset)', async () => {
    const found = await ldapsearch(port, [...PHONE, '-b', BASE, '(sn=smith)', '1.1']);
    const dn = found.entries[0].dn;
    const r = await ldapsearch(port, [...PHONE, '-b', dn, '-s', 'base', '(objectClass=*)', 'cn', 'telephoneNumber']);
    expect(r.entries).toEqual([{ dn, attrs: { cn: ['John Smith'], telephoneNumber: ['+19725550110'] } }]);
  });

  it('browses with Polycom range filters', async () => {
    const r = await ldapsearch(port, [...PHONE, '-b', BASE, '(&(sn>=a)(sn<=m))', 'sn']);
    expect(r.entries.map((e) => e.attrs.sn[0]).sort()).toEqual(['Álvarez', 'Henry Schein', 'Lee'].sort());
  });

  it('stops at the size limit with sizeLimitExceeded and the entries so far', async () => {
    const r = await ldapsearch(port, [...PHONE, '-b', BASE, '-z', '2', '(objectClass=*)', 'cn']);
    expect(r.code).toBe(4);
    expect(r.entries).toHaveLength(2);
  });

  it('pages with working cookies', async () => {
    const r = await ldapsearch(port, [...PHONE, '-b', BASE, '-E', 'pr=2/noprompt', '(objectClass=inetOrgPerson)', 'cn']);
    expect(r.code).toBe(0);
    expect(r.entries).toHaveLength(5);
    expect(new Set(names(r)).size).toBe(5);
  });

  it('sorts on the server', async () => {
    const r = await ldapsearch(port, [...PHONE, '-b', BASE, '-E', 'sss=-sn', '(objectClass=*)', 'sn']);
    expect(r.entries.map((e) => e.attrs.sn[0])).toEqual(['Zimmer', 'Smith', 'Lee', 'Henry Schein', 'Álvarez']);
  });

  it('refuses an unsupported critical control and ignores a non-critical one', async () => {
    const critical = await ldapsearch(port, [...PHONE, '-b', BASE, '-E', '!1.2.3.4.5', '(sn=smith)', 'cn']);
    expect(critical.code).toBe(12);
    const optional = await ldapsearch(port, [...PHONE, '-b', BASE, '-E', '1.2.3.4.5', '(sn=smith)', 'cn']);
    expect(optional.code).toBe(0);
    expect(names(optional)).toEqual(['John Smith']);
  });
});

describe.skipIf(!hasLdapUtils)('LDAP binds and isolation', () => {
  it('accepts user@account bind names and the user\'s own password', async () => {
    const r = await ldapsearch(port, ['-D', 'phones@acme', '-w', 'phone-secret-1', '-b', BASE, '(sn=smith)', 'cn']);
    expect(r.code).toBe(0);
    expect(names(r)).toEqual(['John Smith']);
    const user = await ldapsearch(port, ['-D', 'ann@acme', '-w', 'ann-password-1', '-b', BASE, '(sn=smith)', 'cn']);
    expect(names(user)).toEqual(['John Smith']);
  });

  it('answers a wrong password with invalidCredentials (49)', async () => {
    const r = await ldapsearch(port, ['-D', `cn=phones,${BASE}`, '-w', 'wrong', '-b', BASE, '(sn=smith)']);
    expect(r.code).toBe(49);
    const other = await ldapsearch(port, ['-D', 'phones@acme', '-w', 'globex-secret-1', '-b', BASE, '(sn=smith)']);
    expect(other.code).toBe(49);
  });

  it('never shows another account, whatever the base', async () => {
    const r = await ldapsearch(port, [...PHONE, '-b', 'o=globex,dc=dialbook', '(sn=smith)', 'cn']);
    expect(r.code).toBe(32);
    expect(r.entries).toEqual([]);
    const fromSuffix = await ldapsearch(port, [...PHONE, '-b', 'dc=dialbook', '(sn=smith)', 'cn']);
    expect(names(fromSuffix)).toEqual(['John Smith']);
  });

  it('shows nothing to anonymous binds unless the account allows it', async () => {
    const r = await ldapsearch(port, ['-b', BASE, '(sn=smith)', 'cn']);
    expect(r.code).toBe(32);
    await srv.ctx.db.updateAccount('acme', { settings: { ldapAnonymous: true } }, { id: 'test' });
    const allowed = await ldapsearch(port, ['-b', BASE, '(sn=smith)', 'cn']);
    expect(names(allowed)).toEqual(['John Smith']);
    await srv.ctx.db.updateAccount('acme', { settings: { ldapAnonymous: false } }, { id: 'test' });
  });
});

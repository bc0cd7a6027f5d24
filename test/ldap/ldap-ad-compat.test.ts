// Phones configured for Active Directory: AD object classes and categories, ipPhone and
// otherTelephone, Polycom's "extension" attribute, and RFC 4511's Undefined for attributes we do
// not know (it empties an AND, not an OR around it, and a NOT of it is Undefined too).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { ldapsearch } from './ldap-helpers.ts';

let srv: TestServer;
let port: number;
const BASE = 'o=acme,dc=dialbook';
const PHONE = ['-D', `cn=phones,${BASE}`, '-w', 'phone-secret-1'];
const EVERYONE = ['Ann Lee', 'Henry Schein', 'John Smith', 'José Álvarez', 'Raj Lee'];

beforeAll(async () => {
  srv = await startTestServer();
  port = srv.ldapPort!;
  await seedAccount(srv.ctx, {
    id: 'acme',
    phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    users: [
      { username: 'ann', name: 'Ann Lee', extension: '1001', directNumber: '+1 469 555 0001' },
      { username: 'raj', name: 'Raj Lee', extension: '110' },
    ],
    contacts: [
      { firstName: 'José', lastName: 'Álvarez', workNumber: '+1 (469) 429-2500', mobileNumber: '214-555-0101', homeNumber: '214-555-0102' },
      { firstName: 'John', lastName: 'Smith', workNumber: '972 555 0110' },
      { company: 'Henry Schein', workNumber: '1-800-372-4346' },
    ],
  });
});
afterAll(async () => { await srv.close(); });

async function cns(filter: string): Promise<string[]> {
  const r = await ldapsearch(port, [...PHONE, '-b', BASE, filter, 'cn']);
  expect(r.code, `${filter}: ${r.stderr}`).toBe(0);
  return r.entries.map((e) => e.attrs.cn[0]).sort();
}

describe('Active Directory filters', () => {
  it('match every entry on AD object classes and categories', async () => {
    for (const f of ['(objectClass=user)', '(objectClass=contact)', '(objectCategory=person)', '(objectCategory=CN=Person,CN=Schema,CN=Configuration,DC=corp,DC=example)', '(objectCategory=*)']) {
      expect(await cns(f), f).toEqual(EVERYONE);
    }
    expect(await cns('(objectClass=computer)')).toEqual([]);
    expect(await cns('(objectCategory=computer)')).toEqual([]);
    // the shape AD-configured phones send
    expect(await cns('(&(objectCategory=person)(objectClass=user)(|(cn=jo*)(sn=jo*)))')).toEqual(['John Smith', 'José Álvarez']);
  });

  it('serve ipPhone (extension) and otherTelephone (the numbers besides the main one)', async () => {
    const r = await ldapsearch(port, [...PHONE, '-b', BASE, '(|(sn=lee)(sn=alvarez))', 'cn', 'telephoneNumber', 'ipPhone', 'otherTelephone', 'mobile']);
    const byCn = Object.fromEntries(r.entries.map((e) => [e.attrs.cn[0], e.attrs]));
    expect(byCn['Ann Lee']).toEqual({ cn: ['Ann Lee'], telephoneNumber: ['1001', '+14695550001'], ipPhone: ['1001'], otherTelephone: ['+14695550001'] });
    expect(byCn['Raj Lee']).toEqual({ cn: ['Raj Lee'], telephoneNumber: ['110'], ipPhone: ['110'] });
    expect(byCn['José Álvarez']).toEqual({ cn: ['José Álvarez'], telephoneNumber: ['+14694292500'], mobile: ['+12145550101'], otherTelephone: ['+12145550101', '+12145550102'] });
  });

  it('find callers by ipPhone and otherTelephone', async () => {
    expect(await cns('(ipPhone=1001)')).toEqual(['Ann Lee']);
    expect(await cns('(|(telephoneNumber=2145550102)(otherTelephone=2145550102))')).toEqual(['José Álvarez']);
    expect(await cns('(otherTelephone=*5550102)')).toEqual(['José Álvarez']);
  });
});

describe('Polycom extension and unknown attributes', () => {
  it('reads Polycom\'s "extension" as the internal extension', async () => {
    expect(await cns('(&(sn=Le*)(extension=110))')).toEqual(['Raj Lee']);
    expect(await cns('(&(objectClass=*)(givenName>=Raj)(givenName<=zz)(givenName=Ra*)(extension=110))')).toEqual(['Raj Lee']);
    expect(await cns('(&(sn=Le*)(extension=999))')).toEqual([]);
  });

  it('treats an unknown attribute as Undefined (RFC 4511): AND never true, OR through its other parts', async () => {
    expect(await cns('(&(sn=smith)(department=Sales))')).toEqual([]);
    expect(await cns('(|(sn=smith)(department=Sales))')).toEqual(['John Smith']);
    expect(await cns('(&(sn=smith)(|(cn=john*)(department=Sales)))')).toEqual(['John Smith']);
    // NOT of Undefined is Undefined: nothing, not everything
    expect(await cns('(!(department=Sales))')).toEqual([]);
    expect(await cns('(&(sn=smith)(!(department=Sales)))')).toEqual([]);
    // NOT (smith AND Undefined) is TRUE exactly where "smith" is FALSE
    expect(await cns('(!(&(sn=smith)(department=Sales)))')).toEqual(EVERYONE.filter((n) => n !== 'John Smith'));
  });

  it('treats a standard attribute no entry has as FALSE, as slapd does', async () => {
    expect(await cns('(l=Paris)')).toEqual([]);
    expect(await cns('(!(l=Paris))')).toEqual(EVERYONE);
    expect(await cns('(&(sn=smith)(!(description=x)))')).toEqual(['John Smith']);
  });
});

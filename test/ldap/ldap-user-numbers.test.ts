// Caller ID finds a colleague (a user's directory entry) by a number typed any way, like a
// contact: users' extensions and direct numbers are normalised by the contacts' rule
// (src/domain/user-entry.ts), so a ten-digit extension matches the E.164 caller ID a call brings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { ldapsearch } from './ldap-helpers.ts';

let srv: TestServer;
const BASE = 'o=acme,dc=dialbook';
const PHONE = ['-D', `cn=phones,${BASE}`, '-w', 'phone-secret-1'];

beforeAll(async () => {
  srv = await startTestServer();
  await seedAccount(srv.ctx, {
    id: 'acme',
    phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    users: [
      // the office's DID used as the extension, and a direct number typed with brackets
      { username: 'dee', name: 'Dee Jones', extension: '4695550142', directNumber: '(214)  555-0177' },
      { username: 'raj', name: 'Raj Lee', extension: '110' },
    ],
    contacts: [{ firstName: 'José', lastName: 'Álvarez', workNumber: '+1 (469) 429-2500' }],
  });
});
afterAll(async () => { await srv.close(); });

async function cns(filter: string): Promise<string[]> {
  const r = await ldapsearch(srv.ldapPort!, [...PHONE, '-b', BASE, filter, 'cn']);
  expect(r.code, `${filter}: ${r.stderr}`).toBe(0);
  return r.entries.map((e) => e.attrs.cn[0]).sort();
}

describe('caller ID for users', () => {
  it('finds a user by their extension and direct number typed with spaces, brackets, dashes or +1, as it finds a contact', async () => {
    for (const typed of ['\\28469\\29 555-0142', '+1 469 555 0142', '4695550142', '1-469-555-0142']) {
      expect(await cns(`(telephoneNumber=${typed})`), typed).toEqual(['Dee Jones']);
    }
    for (const typed of ['\\28214\\29 555-0177', '+1 214 555 0177', '214.555.0177']) {
      expect(await cns(`(telephoneNumber=${typed})`), typed).toEqual(['Dee Jones']);
    }
    expect(await cns('(telephoneNumber=\\28469\\29 429-2500)')).toEqual(['José Álvarez']);
    // a short extension stays an internal number: equal digits only
    expect(await cns('(telephoneNumber=110)')).toEqual(['Raj Lee']);
    expect(await cns('(telephoneNumber=10)')).toEqual([]);
  });

  it('serves the numbers in the form a contact\'s are served', async () => {
    const r = await ldapsearch(srv.ldapPort!, [...PHONE, '-b', BASE, '(sn=jones)', 'telephoneNumber', 'ipPhone']);
    expect(r.entries[0].attrs).toEqual({ telephoneNumber: ['+14695550142', '+12145550177'], ipPhone: ['+14695550142'] });
  });
});

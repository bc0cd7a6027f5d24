// A US account importing a file where 15% of the numbers are foreign numbers written in their
// national form: every row is imported, one warning per such number names row and column, the
// numbers are kept as entered (no E.164), and phones find those contacts by caller ID over LDAP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasLdapUtils, ldapsearch } from '../ldap/ldap-helpers.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { upload } from './helpers.ts';

let srv: TestServer;
let token: string;
const ROWS = 2000;
const BASE = 'o=acme,dc=dialbook';
const PHONE = ['-D', `cn=phones,${BASE}`, '-w', 'phone-secret-1'];

/** Row i: a foreign national number on every row where i % 20 < 3 (15%), else a US number. */
function foreign(i: number): string | null {
  if (i % 20 >= 3) return null;
  const n = String(10_000_000 + i).slice(-8);
  return i % 2 === 0 ? `030 ${n}` : `020 ${n.slice(0, 4)} ${n.slice(4)}`;
}

beforeAll(async () => {
  srv = await startTestServer();
  token = (await seedAccount(srv.ctx, {
    id: 'acme', region: 'US', users: [{ username: 'olivia', scope: 'office_manager' }],
    phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
  })).tokens.olivia;
});
afterAll(async () => { await srv.close(); });

describe.skipIf(!hasLdapUtils)('foreign national numbers in a US account', () => {
  it('imports every row, one warning per foreign number, caller ID finds them', async () => {
    const lines = ['First Name,Last Name,Work Number,Mobile Number'];
    for (let i = 0; i < ROWS; i++) {
      const us = `214-555-${String(i % 10_000).padStart(4, '0')}`;
      lines.push(`P${i},Row${i},${foreign(i) ?? us},${i % 5 === 0 ? `972-555-${String(i % 10_000).padStart(4, '0')}` : ''}`);
    }
    const res = await upload(srv.httpUrl, 'acme', token, Buffer.from(lines.join('\r\n')), 'mixed.csv');
    expect(res.status).toBe(200);
    const expected = Array.from({ length: ROWS }, (_, i) => i).filter((i) => foreign(i) !== null);
    expect(expected).toHaveLength(ROWS * 0.15);
    expect(res.body).toMatchObject({ written: true, rows: ROWS, errorCount: 0, warningCount: expected.length, counts: { created: ROWS, skipped: 0 } });
    expect(res.body.warnings.map((w: { row: number }) => w.row)).toEqual(expected.map((i) => i + 2));
    expect(res.body.warnings[0]).toEqual({
      row: 2, field: 'Work Number', value: '030 10000000', code: 'number_not_valid_for_region',
      reason: expect.stringMatching(/not a valid number for region US/),
    });
    const stored = await srv.ctx.db.allContacts('acme', { source: 'shared' });
    expect(stored).toHaveLength(ROWS);
    expect(stored.find((c) => c.lastName === 'Row1')?.numbers[0]).toEqual({ kind: 'work', raw: '020 1000 0001', e164: null, digits: '02010000001' });

    // caller ID, the way phones ask: the number as dialled, its bare digits, or its last digits
    for (const filter of ['(telephoneNumber=030 10000040)', '(telephoneNumber=03010000040)', '(telephoneNumber=*10000040)']) {
      const r = await ldapsearch(srv.ldapPort!, [...PHONE, '-b', BASE, filter, 'cn', 'telephoneNumber']);
      expect(r.code, filter).toBe(0);
      expect(r.entries.map((e) => e.attrs.cn?.[0]), filter).toEqual(['P40 Row40']);
      // served dialable: the digits as entered (no E.164 form for a number foreign to the region)
      expect(r.entries[0].attrs.telephoneNumber).toEqual(['03010000040']);
    }
  }, 60_000);
});

// Awkward text end to end: written through the API (cleaned, with warnings), exported as CSV,
// XLSX and vCard, and imported back with mode=upsert: every row must come back "unchanged".
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { bearer, download, upload } from './helpers.ts';

let srv: TestServer;
let token: string;

/** Every kind of text people (and other programs) put into contact fields. */
const AWKWARD = [
  { firstName: 'Line\nBreak', lastName: 'Tab\there', company: 'Acme\r\nNorth Division', workNumber: '214-555-0101' },
  { firstName: 'Quote "Q"', lastName: 'Comma, Jr.', company: 'Semi; colon "Ltd", Inc', title: ' spaced  inside ', workNumber: '214-555-0102' },
  { firstName: '\uFEFFBom', lastName: 'Zero\u200Bwidth', company: 'Replacement \uFFFD char', title: 'Word\u2060joiner', workNumber: '214-555-0103' },
  { firstName: 'Emoji 😀', lastName: 'Family 👨‍👩‍👧', company: 'Flag 🇩🇪 & 💼', workNumber: '+49 30 52037728' },
  { firstName: 'مرحبا', lastName: 'שלום', company: '\u202Eevil\u202C RTL override', title: 'עברית, العربية', workNumber: '214-555-0105' },
  { firstName: '=CMD|calc', lastName: "'=quoted", company: '@home', title: '-minus', workNumber: '+1 214 555 0106', groups: ['+plus', 'Ümlaut'] },
  { firstName: 'Nul\u0000Bel\u0007', lastName: 'Non\uFFFEchar\uFFFF', company: 'Lone \uD800 surrogate', title: 'Esc\u001B[31m', workNumber: '214-555-0107' },
  { firstName: '_x0041_ literal', lastName: 'Back\\slash', company: 'Amp & <lt> "gt"', title: '&amp; entity', workNumber: '030 52037728', email: 'o.brien@example.com' },
  { company: 'Only Company', workNumber: '214-555-0109 x123', groups: ['Line\nGroup'] },
];

beforeAll(async () => {
  srv = await startTestServer();
  token = (await seedAccount(srv.ctx, { id: 'acme', users: [{ username: 'olivia', scope: 'office_manager' }] })).tokens.olivia;
});
afterAll(async () => { await srv.close(); });

describe('text clean-up on the API', () => {
  it('accepts awkward text, cleans single-line fields and warns', async () => {
    for (const c of AWKWARD) {
      const res = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set(bearer(token)).send(c);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const all = await srv.ctx.db.allContacts('acme', { source: 'shared' });
    expect(all).toHaveLength(AWKWARD.length);
    for (const c of all) {
      for (const v of [c.firstName, c.lastName, c.company, c.title, ...c.groups]) {
        expect(v).not.toMatch(/[\u0000-\u001F\u007F\uFFFE\uFFFF]/);
      }
    }
    const acme = all.find((c) => c.lastName === 'Tab here')!;
    expect(acme).toMatchObject({ firstName: 'Line Break', company: 'Acme North Division' });
    const nul = all.find((c) => c.firstName === 'NulBel')!;
    expect(nul).toMatchObject({ lastName: 'Nonchar', company: 'Lone  surrogate', title: 'Esc[31m' });
    expect(all.find((c) => c.company === 'Only Company')?.groups).toEqual(['Line Group']);
  });

  it('reports what it cleaned and numbers it could not place, as warnings', async () => {
    const res = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set(bearer(token))
      .send({ firstName: 'War\u0000ed', company: 'Two\nLines', workNumber: '020 4090 5415', mobileNumber: '214-555-0199' });
    expect(res.status).toBe(201);
    expect(res.body.warnings).toEqual([
      { field: 'firstName', value: 'War\u0000ed', code: 'text_cleaned', reason: expect.stringMatching(/1 control or non-character\(s\) removed/) },
      { field: 'company', value: 'Two\nLines', code: 'text_cleaned', reason: expect.stringMatching(/line break/) },
      { field: 'workNumber', value: '020 4090 5415', code: 'number_not_valid_for_region', reason: expect.stringMatching(/not a valid number for region US/) },
    ]);
    expect(res.body).toMatchObject({ firstName: 'Wared', company: 'Two Lines', workNumber: '020 4090 5415' });
    expect(res.body.numbers).toEqual([
      { kind: 'work', number: '020 4090 5415', e164: null },
      { kind: 'mobile', number: '214-555-0199', e164: '+12145550199' },
    ]);
    const patched = await request(srv.httpUrl).patch(`/api/v1/accounts/acme/contacts/${res.body.id}`).set(bearer(token)).send({ title: 'A\tB', workNumber: '214-555-0198' });
    expect(patched.status).toBe(200);
    expect(patched.body.title).toBe('A B');
    expect(patched.body.warnings.map((w: { code: string; field: string }) => `${w.code}:${w.field}`)).toEqual(['text_cleaned:title']);
    await request(srv.httpUrl).delete(`/api/v1/accounts/acme/contacts/${res.body.id}`).set(bearer(token)).expect(204);
  });

  it('still refuses letters that are no vanity number and garbage in numbers', async () => {
    for (const workNumber of ['call me', '+12', 'CALL-555', '+1 23 ++', '1234567890123456789012']) {
      const res = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set(bearer(token)).send({ firstName: 'Bad', workNumber });
      expect(res.status, workNumber).toBe(400);
      expect(res.body.error.details[0]).toMatchObject({ field: 'workNumber', value: workNumber });
    }
  });
});

describe('export -> import (upsert) reports every row unchanged', () => {
  it.each(['csv', 'xlsx', 'vcf'])('%s', async (format) => {
    const before = (await srv.ctx.db.getAccountVersion('acme'))?.revision;
    const file = await download(srv.httpUrl, `/api/v1/accounts/acme/contacts/export?format=${format}`, token);
    expect(file.status).toBe(200);
    const res = await upload(srv.httpUrl, 'acme', token, file.body, `export.${format}`, { mode: 'upsert' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body, JSON.stringify(res.body.warnings)).toMatchObject({ written: false, errorCount: 0, warningCount: 0 });
    expect(res.body.counts).toEqual({ created: 0, updated: 0, unchanged: AWKWARD.length, deleted: 0, skipped: 0 });
    expect((await srv.ctx.db.getAccountVersion('acme'))?.revision).toBe(before);
  });

  it('CSV export quotes what needs quoting and ends records with CRLF', async () => {
    const file = await download(srv.httpUrl, '/api/v1/accounts/acme/contacts/export?format=csv', token);
    const text = file.body.toString('utf8');
    expect(text).toContain('"Quote ""Q""","Comma, Jr.","Semi; colon ""Ltd"", Inc"');
    expect(text.split('\r\n')).toHaveLength(AWKWARD.length + 2); // header, rows, final empty
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n\u0000]/);
  });
});

// Address-book exports imported as they come: Google Contacts CSV, Outlook CSV, vCard 2.1 (quoted-
// printable), 3.0 (iPhone, folded lines, many cards) and 4.0 (the RFC 6350 example), through the
// same upload the portal uses (multipart, mode=upsert, onError=skip), with the detected source,
// the mapping and the warnings in the report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contact } from '../../src/domain/contact-schemas.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { fixture, upload } from './helpers.ts';

let srv: TestServer;
let n = 0;
beforeAll(async () => { srv = await startTestServer(); });
afterAll(async () => { await srv.close(); });

async function importFixture(name: string, fields: Record<string, string> = { mode: 'upsert', onError: 'skip' }) {
  const id = `book${++n}`;
  const token = (await seedAccount(srv.ctx, { id, users: [{ username: 'mgr', scope: 'office_manager' }] })).tokens.mgr;
  const res = await upload(srv.httpUrl, id, token, fixture(name), name, fields);
  const all = await srv.ctx.db.allContacts(id, { source: 'shared' });
  const find = (pred: (c: Contact) => boolean) => all.find(pred);
  return { res, all, find, id, token };
}
const codes = (warnings: { row: number; field: string; code: string }[]) => warnings.map((w) => `${w.row}:${w.field}:${w.code}`);

describe('Google Contacts CSV', () => {
  it('maps names, organisation, labels and labelled phone pairs', async () => {
    const { res, all, find } = await importFixture('google-contacts.csv');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: 'csv', source: 'google', rows: 4, counts: { created: 4, skipped: 0 }, errorCount: 0 });
    expect(res.body.mapping).toEqual(expect.arrayContaining([
      { column: 'First Name', field: 'firstName' }, { column: 'Organization Name', field: 'company' },
      { column: 'Labels', field: 'groups' }, { column: 'Phone 1 - Label / Phone 1 - Value', field: 'number, by its label' },
    ]));
    expect(all).toHaveLength(4);
    expect(find((c) => c.lastName === 'Pérez')).toMatchObject({
      firstName: 'Ana', company: 'Supplies & Co', title: 'Buyer', email: 'ana@supplies.example', groups: ['Suppliers', 'VIP'],
      mobileNumber: '+1 214-555-0100', workNumber: '+1 (469) 429-2500', faxNumber: '+1 469 429 2501',
    });
    // " ::: " multiple values: the second mobile fills the free work field, the second address is reported
    expect(find((c) => c.lastName === 'Nguyen')).toMatchObject({ mobileNumber: '+1 214-555-0110', workNumber: '+1 214-555-0111', homeNumber: '(972) 555-0112', email: 'bao@home.example', groups: [] });
    expect(find((c) => c.company === 'Bäckerei Müller GmbH')?.numbers).toEqual([{ kind: 'work', raw: '030 52037728', e164: null, digits: '03052037728' }]);
    expect(find((c) => c.lastName === 'Durand')).toMatchObject({ workNumber: '214-555-0120', faxNumber: '214-555-0121' });
    expect(codes(res.body.warnings)).toEqual(['3:E-mail 1 - Value:value_not_imported', '4:Phone 1 - Value:number_not_valid_for_region']);
  });
});

describe('Outlook CSV', () => {
  it('maps the Outlook columns, never its honorific "Title", and fills empty fields from the second columns', async () => {
    const { res, find } = await importFixture('outlook-contacts.csv');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ source: 'outlook', rows: 3, counts: { created: 3 }, errorCount: 0 });
    expect(res.body.mapping).toEqual(expect.arrayContaining([{ column: 'Job Title', field: 'title' }, { column: 'Business Phone 2', field: 'workNumber (when empty)' }]));
    expect(res.body.ignoredColumns).toContain('Title');
    expect(find((c) => c.lastName === 'Smith')).toMatchObject({
      firstName: 'John', company: 'Contoso Ltd.', title: 'Account Manager', workNumber: '+1 (425) 555-0100', mobileNumber: '+1 (425) 555-0102',
      faxNumber: '+1 (425) 555-0199', email: 'john.smith@contoso.example', groups: ['Customers', 'VIP'],
    });
    expect(find((c) => c.lastName === 'García')).toMatchObject({ title: 'Director', workNumber: '+34 91 123 45 67', homeNumber: '020 7946 0018' });
    expect(find((c) => c.lastName === 'Lee')).toMatchObject({ title: '', workNumber: '214-555-0130', mobileNumber: '214-555-0132', faxNumber: '214-555-0131' });
    expect(codes(res.body.warnings)).toEqual(['2:workNumber:value_not_imported', '3:Home Phone:number_not_valid_for_region']);
  });
});

describe('vCard', () => {
  it('reads vCard 4.0 (RFC 6350 example): tel: URIs with extensions, structured name, types', async () => {
    const { res, find } = await importFixture('vcard-4.0-rfc6350.vcf');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: 'vcard', source: 'vcard', rows: 1, counts: { created: 1 } });
    expect(res.body.mapping).toContainEqual({ column: 'ORG', field: 'company' });
    const simon = find((c) => c.lastName === 'Perreault')!;
    expect(simon).toMatchObject({ firstName: 'Simon', company: 'Viagenie', workNumber: '+1-418-656-9254 x102', mobileNumber: '+1-418-262-6501', email: 'simon.perreault@viagenie.ca' });
    expect(simon.numbers[0]).toMatchObject({ e164: '+14186569254' });
  });

  it('reads many vCard 3.0 cards with folded lines, item groups, escapes and categories', async () => {
    const { res, all, find } = await importFixture('vcard-3.0-iphone.vcf');
    expect(res.body).toMatchObject({ rows: 3, counts: { created: 3 }, errorCount: 0 });
    expect(all).toHaveLength(3);
    expect(find((c) => c.lastName === 'Doe')).toMatchObject({
      firstName: 'Jane', title: 'Head of R&D', email: 'jane.doe@globex.example', mobileNumber: '+1 (214) 555-0140',
      workNumber: '214-555-0141', homeNumber: '214-555-0142', groups: ['Partners', 'Science, Research'],
    });
    expect(find((c) => c.company === 'Initech')).toMatchObject({ firstName: '', lastName: '', workNumber: '+44 20 7946 0018', faxNumber: '+44 20 7946 0019' });
    expect(find((c) => c.lastName === 'Featherstonehaugh-Cholmondeley')?.company).toBe('The Very Long Company Name Incorporated Holdings International Limited');
    expect(codes(res.body.warnings)).toEqual(['2:TEL:value_not_imported']);
  });

  it('reads vCard 2.1 quoted-printable values in UTF-8 and ISO-8859-1, soft line breaks and bare types', async () => {
    const { res, find } = await importFixture('vcard-2.1-quoted-printable.vcf');
    expect(res.body).toMatchObject({ rows: 2, counts: { created: 2 }, errorCount: 0 });
    expect(find((c) => c.lastName === 'Müller')).toMatchObject({
      firstName: 'Jürgen', company: 'Bäckerei Müller GmbH & Co. KG', title: 'Inhaber, Meister',
      workNumber: '+49 30 1234567', mobileNumber: '+49 151 23456789', faxNumber: '+49 30 7654321', email: 'juergen@baeckerei.example',
    });
    expect(find((c) => c.lastName === 'Lefèvre')).toMatchObject({ firstName: 'Françoise', workNumber: '+33 1 23 45 67 89' });
  });

  it('reports an unreadable card by its number and imports the others', async () => {
    const id = `book${++n}`;
    const token = (await seedAccount(srv.ctx, { id, users: [{ username: 'mgr', scope: 'office_manager' }] })).tokens.mgr;
    const text = 'BEGIN:VCARD\r\nVERSION:3.0\r\nN:Good;One\r\nTEL:214-555-0160\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nN;X="unterminated:Bad;Two\r\nEND:VCARD\r\n';
    const res = await upload(srv.httpUrl, id, token, Buffer.from(text), 'two.vcf', { onError: 'skip' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 2, counts: { created: 1, skipped: 1 }, errorCount: 1 });
    expect(res.body.errors[0]).toMatchObject({ row: 3, reason: expect.stringMatching(/^card 2 could not be read/) });
  });
});

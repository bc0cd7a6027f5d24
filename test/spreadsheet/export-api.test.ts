// Spreadsheet export end to end, and the round trip: export, import the file unchanged with
// mode=upsert, nothing changes.
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { download, upload } from './helpers.ts';

let srv: TestServer;
let olivia: string;
let bob: string;
const HEADER = 'ID,First Name,Last Name,Company,Title,Work Number,Mobile Number,Home Number,Fax Number,Email,Groups';

const CONTACTS = [
  { firstName: 'Ana', lastName: 'Pérez', company: 'Supplies & Co', title: 'Buyer', workNumber: '+1 (469) 429-2500', mobileNumber: '214-555-0100', email: 'ana@example.com', groups: ['Suppliers', 'VIP'] },
  { firstName: '=CMD()', lastName: '-Minus', company: '@Home', workNumber: '1001' },
  { company: 'Quote "Inc", Ltd', workNumber: '+44 20 7946 0018', faxNumber: '+44 20 7946 0019', title: 'Line\nbreak' },
  { firstName: 'Twin', workNumber: '1002' },
  { firstName: 'Twin', workNumber: '1002' },
];

beforeAll(async () => {
  srv = await startTestServer();
  const acme = await seedAccount(srv.ctx, { id: 'acme', users: [{ username: 'olivia', scope: 'office_manager' }, { username: 'bob', scope: 'basic' }], contacts: CONTACTS });
  olivia = acme.tokens.olivia;
  bob = acme.tokens.bob;
  await seedAccount(srv.ctx, { id: 'empty', users: [{ username: 'e', scope: 'office_manager' }] });
});
afterAll(async () => { await srv.close(); });

describe('export', () => {
  it('exports the template (BOM + header row) for an account with no contacts', async () => {
    const res = await download(srv.httpUrl, '/api/v1/accounts/empty/contacts/export', srv.adminToken);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="empty-contacts.csv"/);
    expect(res.body.toString('utf8')).toBe(`\uFEFF${HEADER}\r\n`);
  });

  it('writes one column per field, groups joined by ";", and neutralises formula-looking cells', async () => {
    const res = await download(srv.httpUrl, '/api/v1/accounts/acme/contacts/export?format=csv', bob);
    expect(res.status).toBe(200);
    const text = res.body.toString('utf8');
    expect(text.startsWith('\uFEFF' + HEADER + '\r\n')).toBe(true);
    expect(text).toContain(',Ana,Pérez,Supplies & Co,Buyer,\'+1 (469) 429-2500,214-555-0100,,,ana@example.com,Suppliers; VIP\r\n');
    expect(text).toContain(",'=CMD(),'-Minus,'@Home,,1001,");
    expect(text).toContain('"Quote ""Inc"", Ltd"');
    expect(text).not.toMatch(/,=|,\+|,-|,@/);
  });

  it('exports XLSX with string cells and a group filter, and vCards', async () => {
    const x = await download(srv.httpUrl, '/api/v1/accounts/acme/contacts/export?format=xlsx&group=vip', olivia);
    expect(x.status).toBe(200);
    expect(x.headers['content-disposition']).toMatch(/filename="acme-contacts-VIP.xlsx"/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.body as unknown as Parameters<typeof wb.xlsx.load>[0]);
    const ws = wb.worksheets[0];
    expect(ws.rowCount).toBe(2);
    expect((ws.getRow(1).values as unknown[]).slice(1).join(',')).toBe(HEADER);
    expect(ws.getRow(2).getCell(6).value).toBe('+1 (469) 429-2500');
    expect(ws.getRow(2).getCell(11).value).toBe('Suppliers; VIP');

    const v = await download(srv.httpUrl, '/api/v1/accounts/acme/contacts/export?format=vcf', olivia);
    expect(v.headers['content-type']).toMatch(/^text\/vcard/);
    const cards = v.body.toString('utf8');
    expect(cards.match(/BEGIN:VCARD\r\n/g)).toHaveLength(5);
    // the CardDAV writer (src/vcard/card-writer.ts), numbers as entered so that a re-import changes nothing
    expect(cards).toContain('FN:Ana Pérez\r\nN:Pérez;Ana;;;\r\nORG:Supplies & Co\r\nTITLE:Buyer\r\nTEL;TYPE=WORK,VOICE:+1 (469) 429-2500\r\nTEL;TYPE=CELL,VOICE:214-555-0100\r\nEMAIL;TYPE=INTERNET,WORK:ana@example.com\r\nCATEGORIES:Suppliers,VIP\r\n');
    // line breaks never reach the store: the title was cleaned to one line when written
    expect(cards).toContain('ORG:Quote "Inc"\\, Ltd\r\nTITLE:Line break\r\n');
  });

  it('answers 404 for an unknown group and 400 for an unknown format', async () => {
    expect((await download(srv.httpUrl, '/api/v1/accounts/acme/contacts/export?group=nope', olivia)).status).toBe(404);
    expect((await download(srv.httpUrl, '/api/v1/accounts/acme/contacts/export?format=pdf', olivia)).status).toBe(400);
  });
});

describe('round trip', () => {
  it.each(['csv', 'xlsx'])('export as %s, then import unchanged with mode=upsert: every row unchanged', async (format) => {
    const before = (await srv.ctx.db.getAccountVersion('acme'))?.revision;
    const file = await download(srv.httpUrl, `/api/v1/accounts/acme/contacts/export?format=${format}`, olivia);
    const res = await upload(srv.httpUrl, 'acme', olivia, file.body, `acme.${format}`, { mode: 'upsert' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 5, written: false, counts: { created: 0, updated: 0, unchanged: 5, deleted: 0, skipped: 0 }, errors: [], duplicates: [] });
    expect((await srv.ctx.db.getAccountVersion('acme'))?.revision).toBe(before);
  });

  it('the exported file replaces nothing and adds nothing in the other modes either', async () => {
    const file = await download(srv.httpUrl, '/api/v1/accounts/acme/contacts/export', olivia);
    const replace = await upload(srv.httpUrl, 'acme', olivia, file.body, 'acme.csv', { mode: 'replace' });
    expect(replace.body.counts).toEqual({ created: 0, updated: 0, unchanged: 5, deleted: 0, skipped: 0 });
    const add = await upload(srv.httpUrl, 'acme', olivia, file.body, 'acme.csv', { mode: 'add' });
    expect(add.body.counts).toMatchObject({ created: 0, unchanged: 4, skipped: 1 });
    expect(await srv.ctx.db.allContacts('acme', { source: 'shared' })).toHaveLength(5);
  });

  it('the exported template imports into another account', async () => {
    const file = await download(srv.httpUrl, '/api/v1/accounts/acme/contacts/export', olivia);
    const res = await upload(srv.httpUrl, 'empty', srv.adminToken, file.body, 'acme.csv', { mode: 'upsert' });
    expect(res.body.counts).toEqual({ created: 4, updated: 0, unchanged: 0, deleted: 0, skipped: 1 });
    const ana = (await srv.ctx.db.allContacts('empty', { source: 'shared' })).find((c) => c.firstName === 'Ana');
    expect(ana).toMatchObject({ workNumber: '+1 (469) 429-2500', groups: ['Suppliers', 'VIP'] });
  });
});

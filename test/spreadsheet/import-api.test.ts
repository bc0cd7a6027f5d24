// Spreadsheet import end to end: real server, real SQLite file, multipart and raw uploads.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { bearer, fixture, upload } from './helpers.ts';

let srv: TestServer;
let olivia: string;
let bob: string;
const shared = (account: string) => srv.ctx.db.allContacts(account, { source: 'shared' });
const byLast = async (account: string, last: string) => (await shared(account)).find((c) => c.lastName === last);

beforeAll(async () => {
  srv = await startTestServer();
  const acme = await seedAccount(srv.ctx, {
    id: 'acme', users: [{ username: 'olivia', scope: 'office_manager' }, { username: 'bob', scope: 'basic' }],
  });
  olivia = acme.tokens.olivia;
  bob = acme.tokens.bob;
  await seedAccount(srv.ctx, { id: 'globex' });
});
afterAll(async () => { await srv.close(); });

/** A fresh account per test, so counts do not depend on test order. */
let n = 0;
async function freshAccount(contacts: object[] = []): Promise<{ id: string; token: string }> {
  const id = `imp${++n}`;
  const s = await seedAccount(srv.ctx, { id, users: [{ username: 'mgr', scope: 'office_manager' }], contacts });
  return { id, token: s.tokens.mgr };
}

describe('what people produce by hand', () => {
  it('imports the Excel-style semicolon file with a BOM', async () => {
    const a = await freshAccount();
    const res = await upload(srv.httpUrl, a.id, a.token, fixture('excel-semicolon-bom.csv'), 'contacts.csv');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ written: true, format: 'csv', delimiter: ';', rows: 3, counts: { created: 3, updated: 0, unchanged: 0, deleted: 0, skipped: 0 } });
    expect(await byLast(a.id, 'Müller')).toMatchObject({ firstName: 'Zoë', company: 'Bäckerei Müller GmbH', title: 'Inhaberin', mobileNumber: '+49 151 23456789', email: 'zoe@baeckerei.example', groups: ['Suppliers'] });
    expect(await byLast(a.id, 'Álvarez')).toMatchObject({ company: 'Acme; Inc.', groups: ['Customers', 'VIP'] });
    expect((await byLast(a.id, 'Li'))?.numbers[0]).toMatchObject({ raw: '1001', e164: null });
  });

  it('imports Windows-1252 text with its accents intact', async () => {
    const a = await freshAccount();
    const res = await upload(srv.httpUrl, a.id, a.token, fixture('windows-1252-accents.csv'), 'contacts.csv');
    expect(res.status).toBe(200);
    expect(res.body.encoding).toBe('windows-1252');
    expect(await byLast(a.id, 'Lefèvre')).toMatchObject({ firstName: 'Françoise', company: 'Société Générale' });
    expect((await byLast(a.id, 'Größ'))?.numbers[0].e164).toBe('+4989123456');
    expect((await byLast(a.id, 'Cañas'))?.company).toBe('Café Olé');
  });

  it('imports tab-delimited text, header aliases, quoted line breaks and blank lines', async () => {
    const a = await freshAccount();
    const tab = await upload(srv.httpUrl, a.id, a.token, fixture('tab-delimited.tsv'), 'contacts.tsv');
    expect(tab.body.counts.created).toBe(2);
    const aliases = await upload(srv.httpUrl, a.id, a.token, fixture('header-aliases.csv'), 'contacts.csv');
    expect(aliases.body).toMatchObject({ counts: { created: 1 }, ignoredColumns: ['Notes'] });
    expect(await byLast(a.id, 'Hopper')).toMatchObject({
      firstName: 'Grace', company: 'US Navy', title: 'Rear Admiral', workNumber: '202-555-0102', mobileNumber: '202-555-0103',
      homeNumber: '202-555-0104', faxNumber: '202-555-0105', email: 'grace@navy.example', groups: ['Legends'],
    });
    const quoted = await upload(srv.httpUrl, a.id, a.token, fixture('quoted-newlines.csv'), 'contacts.csv');
    expect(quoted.body.counts.created).toBe(2);
    // single-line fields: quoted line breaks become one space, with a warning per cell
    expect(await byLast(a.id, "O'Brien")).toMatchObject({ company: 'Smith "&" Sons Logistics', title: 'Head of Support' });
    expect(quoted.body.warnings.map((w: { row: number; field: string; code: string }) => `${w.row}:${w.field}:${w.code}`)).toEqual(['2:Company:text_cleaned', '2:Title:text_cleaned']);
    const blank = await upload(srv.httpUrl, a.id, a.token, fixture('blank-lines.csv'), 'contacts.csv');
    expect(blank.body).toMatchObject({ rows: 2, counts: { created: 2, skipped: 0 } });
    expect(await shared(a.id)).toHaveLength(7);
  });

  it('reads an XLSX workbook with numeric, rich-text and hyperlink cells', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('People');
    ws.addRow(['First Name', 'Last Name', 'Mobile Phone', 'Email', 'Groups']);
    ws.addRow([{ richText: [{ text: 'Ha' }, { text: 'nna', font: { bold: true } }] }, 'Xu', 4155550177, { text: 'hx@example.com', hyperlink: 'mailto:hx@example.com' }, 'A;B']);
    ws.addRow([]);
    ws.addRow(['Ivo', 'Yan', '+1 415 555 0178', '', '']);
    const a = await freshAccount();
    const res = await upload(srv.httpUrl, a.id, a.token, Buffer.from(await wb.xlsx.writeBuffer()), 'people.xlsx');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: 'xlsx', rows: 2, counts: { created: 2 } });
    expect(await byLast(a.id, 'Xu')).toMatchObject({ firstName: 'Hanna', mobileNumber: '4155550177', email: 'hx@example.com', groups: ['A', 'B'] });
  });

  it('reads XLSX cells as Excel shows them: dates as dates, zero-formatted numbers with their zeros', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('People');
    ws.addRow(['First Name', 'Last Name', 'Work Phone', 'Mobile Phone', 'Title']);
    const row = ws.addRow(['Una', 'Zed', 2079460000, 4155550179, new Date(Date.UTC(2024, 0, 5))]);
    row.getCell(3).numFmt = '00000000000'; // a London number typed as a number, shown as 02079460000
    row.getCell(5).numFmt = 'yyyy-mm-dd';
    const a = await freshAccount();
    const res = await upload(srv.httpUrl, a.id, a.token, Buffer.from(await wb.xlsx.writeBuffer()), 'dated.xlsx');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: 'xlsx', counts: { created: 1 } });
    expect(await byLast(a.id, 'Zed')).toMatchObject({ workNumber: '02079460000', mobileNumber: '4155550179', title: '2024-01-05' });
  });

  it('takes a raw text/csv body with options in the query', async () => {
    const a = await freshAccount();
    const csv = 'First Name,Work Number\nRaw,303-555-0150\n';
    const res = await request(srv.httpUrl).post(`/api/v1/accounts/${a.id}/contacts/import?mode=upsert&onError=skip`)
      .set(bearer(a.token)).set('Content-Type', 'text/csv').send(csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ mode: 'upsert', onError: 'skip', counts: { created: 1 } });
  });

  it('keeps formula-looking cells as plain text', async () => {
    const a = await freshAccount();
    const res = await upload(srv.httpUrl, a.id, a.token, fixture('formula-cells.csv'), 'f.csv');
    expect(res.status).toBe(200);
    expect(await byLast(a.id, 'Evil')).toMatchObject({ firstName: '=HYPERLINK("http://evil.example")', company: '@SUM(A1)' });
  });
});

describe('bad rows and duplicates', () => {
  it('aborts by default: 400 naming row, column, value and reason, and writes nothing', async () => {
    const a = await freshAccount();
    const before = (await srv.ctx.db.getAccountVersion(a.id))?.revision;
    const res = await upload(srv.httpUrl, a.id, a.token, fixture('bad-rows.csv'), 'bad.csv');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toMatch(/2 of 5 rows/);
    // row 3 (no number) is valid: apps show such contacts, phones skip them
    expect(res.body.error.details).toEqual([
      { row: 4, field: 'Email', value: 'not-an-email', reason: 'is not a valid email address' },
      // the shared contact schema reports the missing name before it looks at the numbers
      { row: 5, field: 'First Name', value: '', reason: 'a contact needs a first name, last name or company' },
    ]);
    expect(await shared(a.id)).toHaveLength(0);
    expect((await srv.ctx.db.getAccountVersion(a.id))?.revision).toBe(before);
  });

  it('with onError=skip writes the valid rows and reports the bad ones', async () => {
    const a = await freshAccount();
    const res = await upload(srv.httpUrl, a.id, a.token, fixture('bad-rows.csv'), 'bad.csv', { onError: 'skip' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ written: true, aborted: false, counts: { created: 3, skipped: 2 }, errorCount: 2 });
    expect(res.body.errors.map((e: { row: number }) => e.row)).toEqual([4, 5]);
    expect(res.body.warnings).toContainEqual(expect.objectContaining({ row: 3, code: 'no_phone_number' }));
    expect((await shared(a.id)).map((c) => c.lastName).sort()).toEqual(['Number', 'One', 'Two']);
    expect((await byLast(a.id, 'Two'))?.groups).toEqual(['Team A', 'Team B']);
  });

  it('reports duplicates within the file and rows already stored, and never adds them twice', async () => {
    const a = await freshAccount();
    const first = await upload(srv.httpUrl, a.id, a.token, fixture('duplicates.csv'), 'dup.csv');
    expect(first.body.counts).toEqual({ created: 3, updated: 0, unchanged: 0, deleted: 0, skipped: 2 });
    expect(first.body.duplicates).toEqual([
      { row: 4, sameAsRow: 2, reason: 'same contact as row 2' },
      { row: 5, sameAsRow: 3, reason: 'same contact as row 3' },
    ]);
    const again = await upload(srv.httpUrl, a.id, a.token, fixture('duplicates.csv'), 'dup.csv');
    expect(again.body.counts).toEqual({ created: 0, updated: 0, unchanged: 3, deleted: 0, skipped: 2 });
    expect(again.body.written).toBe(false);
    expect(await shared(a.id)).toHaveLength(3);
  });

  it('dryRun reports what would happen and changes nothing', async () => {
    const a = await freshAccount([{ firstName: 'Keep', workNumber: '1001' }]);
    const before = (await srv.ctx.db.getAccountVersion(a.id))?.revision;
    const res = await upload(srv.httpUrl, a.id, a.token, fixture('bad-rows.csv'), 'bad.csv', { dryRun: 'true', mode: 'replace' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dryRun: true, written: false, aborted: true, counts: { created: 3, deleted: 1, skipped: 2 }, errorCount: 2 });
    const skip = await upload(srv.httpUrl, a.id, a.token, fixture('excel-semicolon-bom.csv'), 'x.csv', { dryRun: '1' });
    expect(skip.body).toMatchObject({ aborted: false, written: false, batchId: null, counts: { created: 3 } });
    expect((await srv.ctx.db.getAccountVersion(a.id))?.revision).toBe(before);
    expect(await shared(a.id)).toHaveLength(1);
  });
});

describe('modes', () => {
  it('upsert updates rows with a known ID and adds the others, in one audited batch', async () => {
    const a = await freshAccount([{ firstName: 'Old', lastName: 'Name', workNumber: '1001' }, { firstName: 'Same', workNumber: '1002' }]);
    const [old, same] = (await shared(a.id)).sort((x, y) => x.workNumber.localeCompare(y.workNumber));
    const csv = `ID,First Name,Last Name,Work Number\n${old.id},New,Name,1001\n${same.id},Same,,1002\n,Added,,1003\n`;
    const res = await upload(srv.httpUrl, a.id, a.token, Buffer.from(csv), 'u.csv', { mode: 'upsert' });
    expect(res.body.counts).toEqual({ created: 1, updated: 1, unchanged: 1, deleted: 0, skipped: 0 });
    expect((await srv.ctx.db.getContact(a.id, old.id, { shared: true, users: false, personalOf: null }))?.firstName).toBe('New');
    const audit = (await srv.ctx.db.listAudit(a.id, { limit: 10 })).filter((e) => e.batchId === res.body.batchId);
    expect(audit.map((e) => e.action).sort()).toEqual(['contact.create', 'contact.update']);
  });

  it('upsert can give a contact the exact fields of another stored contact', async () => {
    const a = await freshAccount([{ firstName: 'Xavier', workNumber: '1001' }, { firstName: 'Yara', workNumber: '1002', groups: ['G'] }]);
    const x = (await shared(a.id)).find((c) => c.firstName === 'Xavier')!;
    const csv = `ID,First Name,Work Number,Groups\n${x.id},Yara,1002,G\n`;
    const res = await upload(srv.httpUrl, a.id, a.token, Buffer.from(csv), 'u.csv', { mode: 'upsert' });
    expect(res.body.counts).toEqual({ created: 0, updated: 1, unchanged: 0, deleted: 0, skipped: 0 });
    expect((await shared(a.id)).map((c) => `${c.firstName}:${c.workNumber}:${c.groups.join()}`)).toEqual(['Yara:1002:G', 'Yara:1002:G']);
  });

  it('upsert refuses the same ID on two rows', async () => {
    const a = await freshAccount([{ firstName: 'One', workNumber: '1001' }]);
    const [c] = await shared(a.id);
    const csv = `ID,First Name,Work Number\n${c.id},One,1001\n${c.id},Two,1002\n`;
    const res = await upload(srv.httpUrl, a.id, a.token, Buffer.from(csv), 'u.csv', { mode: 'upsert' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ row: 3, field: 'ID', value: c.id, reason: 'the same ID is already on row 2' }]);
  });

  it('replace makes the file the whole shared list, keeping contacts it matches', async () => {
    const a = await freshAccount([
      { firstName: 'Kept', workNumber: '1001' }, { firstName: 'Gone', workNumber: '1002' }, { firstName: 'Matched', workNumber: '1003' },
    ]);
    const kept = (await shared(a.id)).find((c) => c.firstName === 'Kept')!;
    const matched = (await shared(a.id)).find((c) => c.firstName === 'Matched')!;
    const csv = `ID,First Name,Work Number\n${kept.id},Kept,1001\n,Matched,1003\n,Fresh,1004\n`;
    const res = await upload(srv.httpUrl, a.id, a.token, Buffer.from(csv), 'r.csv', { mode: 'replace' });
    expect(res.body.counts).toEqual({ created: 1, updated: 0, unchanged: 2, deleted: 1, skipped: 0 });
    expect((await shared(a.id)).map((c) => c.firstName).sort()).toEqual(['Fresh', 'Kept', 'Matched']);
    expect((await shared(a.id)).find((c) => c.firstName === 'Matched')?.id).toBe(matched.id);
  });

  it('replace with onError=skip does not delete a contact whose row was bad', async () => {
    const a = await freshAccount([{ firstName: 'Typo', workNumber: '1001' }, { firstName: 'Other', workNumber: '1002' }]);
    const typo = (await shared(a.id)).find((c) => c.firstName === 'Typo')!;
    const csv = `ID,First Name,Work Number\n${typo.id},Typo,not a number\n`;
    const res = await upload(srv.httpUrl, a.id, a.token, Buffer.from(csv), 'r.csv', { mode: 'replace', onError: 'skip' });
    expect(res.body.counts).toEqual({ created: 0, updated: 0, unchanged: 0, deleted: 1, skipped: 1 });
    expect((await shared(a.id)).map((c) => c.firstName)).toEqual(['Typo']);
  });
});

describe('permissions and refusals', () => {
  it('lets only managers import, and hides other accounts', async () => {
    const file = fixture('tab-delimited.tsv');
    expect((await upload(srv.httpUrl, 'acme', bob, file, 't.tsv')).status).toBe(403);
    expect((await upload(srv.httpUrl, 'globex', olivia, file, 't.tsv')).status).toBe(404);
    expect((await upload(srv.httpUrl, 'acme', olivia, file, 't.tsv')).status).toBe(200);
    expect((await upload(srv.httpUrl, 'acme', srv.adminToken, file, 't.tsv', { dryRun: 'true' })).status).toBe(200);
  });

  it('refuses what is not a spreadsheet with 415 or 400 and a reason', async () => {
    const png = await upload(srv.httpUrl, 'acme', olivia, fixture('not-a-spreadsheet.png'), 'photo.csv');
    expect(png.status).toBe(415);
    expect(png.body.error.message).toMatch(/PNG image/);
    const text = await upload(srv.httpUrl, 'acme', olivia, fixture('plain-text.txt'), 'letter.txt');
    expect(text.status).toBe(400);
    expect(text.body.error.message).toMatch(/header/);
    const json = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts/import').set(bearer(olivia)).send({ firstName: 'x' });
    expect(json.status).toBe(415);
    const empty = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts/import').set(bearer(olivia)).set('Content-Type', 'text/csv').send('');
    expect(empty.status).toBe(400);
    const noFile = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts/import').set(bearer(olivia)).field('mode', 'add');
    expect(noFile.status).toBe(400);
    expect(noFile.body.error.details[0].field).toBe('file');
    const badOption = await upload(srv.httpUrl, 'acme', olivia, fixture('tab-delimited.tsv'), 't.tsv', { mode: 'merge' });
    expect(badOption.status).toBe(400);
    expect(badOption.body.error.details[0].field).toBe('mode');
  });
});

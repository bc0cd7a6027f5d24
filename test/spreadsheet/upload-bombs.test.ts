// Hostile uploads: every reader stops at the limits while it reads, so a zip bomb of 2.5 million
// rows, or of one row of 20 million cells, answers 413 without being parsed whole (memory stays
// bounded) and the server keeps answering meanwhile. What a library fails on answers 415 in
// plain words, never with the library's internal error text.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { upload } from './helpers.ts';
import { xlsxBomb, xlsxFromSheetData, xlsxWideRow } from './xlsx-bomb.ts';

let srv: TestServer;
let token: string;

beforeAll(async () => {
  srv = await startTestServer({ import: { maxUploadBytes: 30 << 20, maxRows: 1000, maxColumns: 20, maxCellChars: 500 } });
  token = (await seedAccount(srv.ctx, { id: 'acme', users: [{ username: 'olivia', scope: 'office_manager' }] })).tokens.olivia;
});
afterAll(async () => { await srv.close(); });

describe('bounded reading', () => {
  it('refuses a 2.5M-row XLSX bomb with 413 while reading, with bounded memory, and stays responsive', async () => {
    const bomb = xlsxBomb(2_500_000);
    expect(bomb.length).toBeLessThan(1 << 20); // ~150 MB of XML in well under 1 MB
    const rss = process.memoryUsage().rss;
    const pending = upload(srv.httpUrl, 'acme', token, bomb, 'bomb.xlsx').then((r) => r);
    const health = await request(srv.httpUrl).get('/healthz');
    expect(health.status).toBe(200);
    const res = await pending;
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/more than \d+ rows/);
    // parsing the whole sheet took gigabytes before; reading stops after ~1,100 rows now
    expect(process.memoryUsage().rss - rss).toBeLessThan(400 << 20);
    expect(await srv.ctx.db.allContacts('acme', { source: 'shared' })).toHaveLength(0);
  }, 60_000);

  it('refuses a one-row XLSX of 20 million cells with 413 naming the row and the limit, while streaming', async () => {
    const bomb = xlsxWideRow(20_000_000);
    expect(bomb.length).toBeLessThan(1 << 20); // 300 MB of XML
    const rss = process.memoryUsage().rss;
    const res = await upload(srv.httpUrl, 'acme', token, bomb, 'wide.xlsx');
    expect(res.status).toBe(413);
    expect(res.body.error.message).toBe('The file is too large to import: row 1 has more than 20 cells; the limit is 20 (import.maxColumns)');
    // exceljs built the whole row before: 20 million cell objects
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 << 20);
    // formatting-only cells (<c r="C1" s="1"/>) are no data, but no row holds more than Excel's 16,384 columns
    const styled = xlsxFromSheetData('<row r="7">' + '<c r="A7" s="1"/>'.repeat(16_385) + '</row>');
    const tooMany = await upload(srv.httpUrl, 'acme', token, styled, 'styled.xlsx', { dryRun: 'true' });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error.message).toMatch(/row 7 has more than 16384 cells/);
  }, 60_000);

  it('answers what the XLSX reader cannot read with 415 in plain words, logging the internal error', async () => {
    const warnings: unknown[][] = [];
    const logger = srv.ctx.logger;
    const warn = logger.warn.bind(logger);
    logger.warn = ((...args: unknown[]) => { warnings.push(args); return warn(...(args as [object, string])); }) as typeof logger.warn;
    try {
      // a cell reference without a column: exceljs fails inside ("A Cell needs a Row"); read in
      // the request (small file) and in the import and check threads (over import.threadMinBytes)
      for (const padding of [0, 100_000]) {
        warnings.length = 0;
        const file = xlsxFromSheetData('<row r="1"><c r="1"><v>1</v></c></row>', padding);
        const broken = await upload(srv.httpUrl, 'acme', token, file, 'broken.xlsx', { dryRun: 'true' });
        expect(broken.status).toBe(415);
        expect(broken.body.error.message).toMatch(/^Not a readable XLSX file: the XLSX workbook could not be read: it is damaged, or written in a way/);
        expect(JSON.stringify(broken.body)).not.toMatch(/Cell needs a Row|undefined|TypeError/);
        expect(warnings.some(([o]) => String((o as { err?: Error }).err?.stack).includes('A Cell needs a Row'))).toBe(true);
      }
    } finally {
      logger.warn = warn;
    }
    // cells without a reference (r is optional in the standard; exceljs needs it): said so
    const unreferenced = await upload(srv.httpUrl, 'acme', token, xlsxFromSheetData('<row r="1"><c><v>1</v></c><c><v>2</v></c></row>'), 'no-refs.xlsx', { dryRun: 'true' });
    expect(unreferenced.status).toBe(415);
    expect(unreferenced.body.error.message).toMatch(/2 rows or cells without a reference \(the r attribute/);
    // broken XML: where it breaks, in the parser's words
    const xml = await upload(srv.httpUrl, 'acme', token, xlsxFromSheetData('<row r="1"><c r="A1"><v>1</v></c>'), 'bad-xml.xlsx', { dryRun: 'true' });
    expect(xml.status).toBe(415);
    expect(xml.body.error.message).toMatch(/worksheet XML is broken at \d+:\d+ \(unexpected close tag/);
  });

  it('reads an XLSX at the row limit and refuses one row more', async () => {
    const ok = await upload(srv.httpUrl, 'acme', token, xlsxBomb(1000, true), 'ok.xlsx', { dryRun: 'true' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ format: 'xlsx', rows: 1000 });
    const over = await upload(srv.httpUrl, 'acme', token, xlsxBomb(1001, true), 'over.xlsx', { dryRun: 'true' });
    expect(over.status).toBe(413);
    expect(over.body.error.message).toMatch(/more than 1000 rows; the limit is 1000/);
  });

  it('refuses a workbook whose styles inflate past their cap, before parsing them', async () => {
    const bomb = xlsxBomb(10, true, 64 << 20);
    expect(bomb.length).toBeLessThan(1 << 20);
    const res = await upload(srv.httpUrl, 'acme', token, bomb, 'styles-bomb.xlsx', { dryRun: 'true' });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/styles of the workbook are larger than/);
  });

  it('refuses CSV rows over the row, column and cell limits with 413', async () => {
    const many = 'First Name,Work Number\n' + 'P,1001\n'.repeat(1_000_000);
    const rows = await upload(srv.httpUrl, 'acme', token, Buffer.from(many), 'many.csv');
    expect(rows.status).toBe(413);
    expect(rows.body.error.message).toMatch(/more than 1000 rows/);
    const wide = await upload(srv.httpUrl, 'acme', token, Buffer.from('First Name,Work Number' + ',x'.repeat(30) + '\nP,1001\n'), 'wide.csv');
    expect(wide.status).toBe(413);
    expect(wide.body.error.message).toMatch(/columns; the limit is 20/);
    const long = await upload(srv.httpUrl, 'acme', token, Buffer.from(`First Name,Work Number\n${'P'.repeat(600)},1001\n`), 'long.csv');
    expect(long.status).toBe(413);
    expect(long.body.error.message).toMatch(/more than 500 characters/);
  });
});

describe('bounded vCard reading', () => {
  it('refuses more cards than maxRows, and endless folded or quoted-printable lines, with 413', async () => {
    const cards = 'BEGIN:VCARD\r\nVERSION:3.0\r\nN:A;B\r\nTEL:1001\r\nEND:VCARD\r\n'.repeat(1001);
    const many = await upload(srv.httpUrl, 'acme', token, Buffer.from(cards), 'many.vcf');
    expect(many.status).toBe(413);
    expect(many.body.error.message).toMatch(/more than 1000 cards/);
    const folded = 'BEGIN:VCARD\r\nVERSION:3.0\r\nN:A' + '\r\n x'.repeat(5000) + '\r\nEND:VCARD\r\n';
    expect((await upload(srv.httpUrl, 'acme', token, Buffer.from(folded), 'folded.vcf')).status).toBe(413);
    const qp = 'BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE;ENCODING=QUOTED-PRINTABLE:a=' + '\r\nb='.repeat(5000) + '\r\nc\r\nEND:VCARD\r\n';
    expect((await upload(srv.httpUrl, 'acme', token, Buffer.from(qp), 'qp.vcf')).status).toBe(413);
    expect(await srv.ctx.db.allContacts('acme', { source: 'shared' })).toHaveLength(0);
  }, 30_000);
});

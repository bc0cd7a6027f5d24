// CSV dialect handling (encodings, delimiters, quoting, blank lines) and header mapping, on the
// fixture files in fixtures/import/ and on small inline cases.
import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { csvSlices, detectDelimiter, parseCsv } from '../../src/spreadsheet/csv-dialect.ts';
import { neutralizeCell, restoreCell } from '../../src/spreadsheet/formula-guard.ts';
import { columnFor, mapHeader } from '../../src/spreadsheet/header-aliases.ts';
import { readSheet } from '../../src/spreadsheet/sheet-reader.ts';
import { decodeText, openText } from '../../src/spreadsheet/text-decoding.ts';
import { UnsupportedMediaTypeError } from '../../src/errors.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/import/${name}`, import.meta.url));

describe('text decoding', () => {
  it('strips a UTF-8 BOM and keeps UTF-8 without one', () => {
    expect(decodeText(Buffer.from('\uFEFFZoë', 'utf8'))).toEqual({ text: 'Zoë', encoding: 'utf-8', bom: true });
    expect(decodeText(Buffer.from('Zoë', 'utf8'))).toEqual({ text: 'Zoë', encoding: 'utf-8', bom: false });
  });
  it('reads bytes that are not UTF-8 as Windows-1252', () => {
    expect(decodeText(iconv.encode('Françoise “Größ” €', 'win1252'))).toEqual({ text: 'Françoise “Größ” €', encoding: 'windows-1252', bom: false });
  });
  it('reads UTF-16 with a BOM (Excel "Unicode text")', () => {
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode('First Name\tWork\r\nZoë\t1001\r\n', 'utf-16le')]);
    expect(decodeText(buf).text).toBe('First Name\tWork\r\nZoë\t1001\r\n');
  });
});

describe('delimiters and quoting', () => {
  it('detects , ; and tab from the header line, ignoring quoted ones', () => {
    expect(detectDelimiter('a,b,c\n1;2;3;4;5')).toBe(',');
    expect(detectDelimiter('First Name;Last Name;"Work, Phone"\n')).toBe(';');
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
    expect(detectDelimiter('"a;b;c",d\n')).toBe(',');
    expect(detectDelimiter('single column\n')).toBe(',');
  });
  it('keeps line breaks and doubled quotes inside quoted fields', () => {
    const rows = parseCsv('a,b\r\n"one\r\ntwo","say ""hi"""\r\n');
    expect(rows).toEqual([{ row: 1, cells: ['a', 'b'] }, { row: 2, cells: ['one\r\ntwo', 'say "hi"'] }]);
  });
  it('drops blank lines but numbers rows as a spreadsheet shows them', () => {
    const rows = parseCsv('\na,b\n\n1,2\n,\n  \n3,4');
    expect(rows.map((r) => r.row)).toEqual([2, 4, 7]);
  });
  it('accepts ragged rows', () => {
    expect(parseCsv('a,b,c\n1\n1,2,3,4').map((r) => r.cells.length)).toEqual([3, 1, 4]);
  });
  // An import parses a step of text at a time: wherever a step ends (inside a quoted line
  // break, a doubled quote, an emoji's surrogate pair, a CRLF), the rows are the same.
  it('gives the same rows whatever the step of text parsed at a time', () => {
    const text = '\uFEFFName,Note\r\n"Zoë 😀","a ""quoted""\r\nline"\r\n\r\nשלום,x😀y\r\n"","😀"\r\n=1+2,last';
    const whole = [...csvSlices(text, ',', undefined, text.length)].flat();
    expect(whole.map((r) => r.cells)).toEqual([['Name', 'Note'], ['Zoë 😀', 'a "quoted"\r\nline'], ['שלום', 'x😀y'], ['', '😀'], ['=1+2', 'last']]);
    for (const step of [1, 2, 3, 5, 7, 11]) {
      const slices = [...csvSlices(text, ',', undefined, step)];
      expect(slices.flat(), `step ${step}`).toEqual(whole);
      expect(slices.length, `step ${step}`).toBeGreaterThan(1);
    }
  });
  // An upload in UTF-8 is parsed from its bytes, a piece at a time, never decoded whole: a
  // piece may end inside a character (ë is 2 bytes, 😀 and the Hebrew letters 4 and 2).
  it('gives the same rows from UTF-8 bytes cut anywhere, and from other encodings decoded piece by piece', () => {
    const text = 'Name,Note\r\n"Zoë 😀","a ""quoted""\r\nline"\r\n\r\nשלום,x😀y\r\n"","😀"\r\n=1+2,last';
    const whole = [...csvSlices(text, ',', undefined, text.length)].flat();
    for (const bom of [true, false]) {
      const bytes = Buffer.from((bom ? '\uFEFF' : '') + text, 'utf8');
      for (const step of [1, 2, 3, 5, 7, 4096]) {
        const source = openText(bytes);
        expect(source).toMatchObject({ encoding: 'utf-8', bom });
        const pieces = [...source.pieces(step)];
        expect(pieces.every((p) => Buffer.isBuffer(p)), 'UTF-8 stays bytes').toBe(true);
        expect([...csvSlices(pieces, ',')].flat(), `step ${step}`).toEqual(whole);
      }
    }
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]);
    for (const step of [1, 3, 4096]) expect([...csvSlices(openText(utf16).pieces(step), ',')].flat()).toEqual(whole);
    const latin = 'Name,Note\r\nFrançoise,“Größ” €\r\n';
    const win = openText(iconv.encode(latin, 'win1252'));
    expect(win.encoding).toBe('windows-1252');
    expect([...csvSlices(win.pieces(2), ',')].flat()).toEqual([...csvSlices(latin, ',')].flat());
    expect(openText(Buffer.from('\uFEFFa,b\r\nZoë,1\r\n', 'utf8')).head(8)).toBe('a,b\r\nZo'); // a cut character is left out
  });
});

describe('fixture files', () => {
  it('reads the Excel-style semicolon file with a BOM', async () => {
    const s = await readSheet(fixture('excel-semicolon-bom.csv'), 'text/csv');
    expect(s).toMatchObject({ format: 'csv', encoding: 'utf-8', delimiter: ';' });
    expect(s.rows[0].cells[0]).toBe('First Name');
    expect(s.rows[2].cells).toContain('Acme; Inc.');
    expect(s.rows[2].cells).toContain('Customers; VIP');
  });
  it('reads the Windows-1252 file with its accents', async () => {
    const s = await readSheet(fixture('windows-1252-accents.csv'), 'text/csv');
    expect(s.encoding).toBe('windows-1252');
    expect(s.rows[1].cells.slice(0, 3)).toEqual(['Françoise', 'Lefèvre', 'Société Générale']);
    expect(s.rows[2].cells[1]).toBe('Größ');
  });
  it('reads the tab-delimited file', async () => {
    const s = await readSheet(fixture('tab-delimited.tsv'), null);
    expect(s.delimiter).toBe('\t');
    expect(s.rows[1].cells).toEqual(['Ada', 'Lovelace', 'Analytical Engines', '(212) 555-0100', 'ada@example.com']);
  });
  it('refuses a PNG with 415 whatever the Content-Type says', async () => {
    await expect(readSheet(fixture('not-a-spreadsheet.png'), 'text/csv')).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
    await expect(readSheet(Buffer.from('a,b'), 'image/png')).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
    await expect(readSheet(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), null)).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
  });
});

describe('header mapping', () => {
  it.each([
    ['First Name', 'firstName'], ['first_name', 'firstName'], ['FIRSTNAME', 'firstName'], ['Given Name', 'firstName'], ['  first   name ', 'firstName'],
    ['Surname', 'lastName'], ['Last-Name', 'lastName'], ['Family name', 'lastName'],
    ['Mobile Phone', 'mobileNumber'], ['Cell', 'mobileNumber'], ['Business Phone', 'workNumber'], ['Phone', 'workNumber'],
    ['E-mail', 'email'], ['E-Mail Address', 'email'], ['Organisation', 'company'], ['Job Title', 'title'],
    ['Fax', 'faxNumber'], ['Home Phone', 'homeNumber'], ['Categories', 'groups'], ['ID', 'id'], ['Prénom', 'firstName'],
  ])('maps "%s" to %s', (title, key) => {
    expect(columnFor(title)).toBe(key);
  });
  it('ignores unknown columns and reports them', () => {
    const r = mapHeader(['Name?', 'First Name', 'Work Number', 'Notes']);
    expect(r).toMatchObject({ ok: true, map: { columns: [null, 'firstName', 'workNumber', null], ignored: ['Name?', 'Notes'] } });
  });
  it('rejects a header that names the same field twice', () => {
    const r = mapHeader(['First Name', 'Given Name', 'Phone']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('"First Name" and "Given Name"');
  });
  it('rejects a first row with no contact column (a file without a header)', () => {
    const r = mapHeader(['Ann', 'Lee', '415-555-0111']);
    expect(r.ok).toBe(false);
  });
});

describe('formula guard', () => {
  it('prefixes cells a spreadsheet would run, and import removes exactly that prefix', () => {
    for (const v of ['=1+1', '+1 469 429 2500', '-5', '@SUM(A1)']) {
      expect(neutralizeCell(v)).toBe(`'${v}`);
      expect(restoreCell(neutralizeCell(v))).toBe(v);
    }
    expect(neutralizeCell("O'Brien")).toBe("O'Brien");
    expect(restoreCell("'quoted")).toBe("'quoted");
  });
});

describe('declared charset', () => {
  it('honours a charset the upload declares, unless a BOM says otherwise', async () => {
    const latin9 = iconv.encode('First Name,Work Number\nCé€,1001\n', 'iso-8859-15');
    const s = await readSheet(latin9, 'text/csv; charset=ISO-8859-15');
    expect(s.encoding).toBe('iso-8859-15');
    expect(s.rows[1].cells[0]).toBe('Cé€');
    const utf16 = iconv.encode('First Name\tWork Number\nZoë\t1001\n', 'utf-16le');
    expect((await readSheet(utf16, 'text/csv; charset=utf-16le')).rows[1].cells).toEqual(['Zoë', '1001']);
    const bom = Buffer.from('\uFEFFFirst Name,Work Number\nZoë,1001\n', 'utf8');
    expect((await readSheet(bom, 'text/csv; charset=windows-1252')).rows[1].cells[0]).toBe('Zoë');
  });
});

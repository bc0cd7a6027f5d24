// Reading the first worksheet of an XLSX workbook into the same rows as CSV gives, as a stream:
// a first pass (xlsx-sheet-scan.ts) counts rows and cells while only inflating, so a zip bomb of
// millions of rows or of one row of millions of cells stops at the limit; then exceljs' streaming
// WorkbookReader parses the sheet row by row, the limits checked again on every row. Cells typed by Excel (numbers, dates, links, rich text, formulas) come back as
// the text a person sees: dates as YYYY-MM-DD, numbers in a format of zeros with their zeros.
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { SheetRow } from './csv-dialect.ts';
import { SheetLimitError, type SheetLimits } from './sheet-limits.ts';
import { XlsxReadError, xlsxReadFailure } from './xlsx-errors.ts';
import { scanSheet } from './xlsx-sheet-scan.ts';
import { listZip, readEntry, relayZip, type ZipEntry } from './zip-entries.ts';

export { XlsxReadError };

const SHEET = /^xl\/worksheets\/sheet(\d+)\.xml$/;
const EMPTY_SST = Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>');

/**
 * The entries exceljs needs, in the order its stream reader wants them: relations, workbook,
 * shared strings (an empty table when the file has none), then the first worksheet only.
 * Shared strings are held in memory by the reader, so their inflated size is capped first.
 */
function streamableZip(buf: Buffer, limits: SheetLimits): { sheet: ZipEntry; zip: Buffer } {
  let entries: ZipEntry[];
  try {
    entries = listZip(buf);
  } catch (err) {
    throw xlsxReadFailure(err);
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  const sheets = entries.filter((e) => SHEET.test(e.name)).sort((a, b) => Number(SHEET.exec(a.name)![1]) - Number(SHEET.exec(b.name)![1]));
  const rels = byName.get('xl/_rels/workbook.xml.rels');
  const workbook = byName.get('xl/workbook.xml');
  if (!rels || !workbook) throw new XlsxReadError('the XLSX workbook could not be read (no xl/workbook.xml)');
  if (sheets.length === 0) throw new XlsxReadError('the XLSX workbook has no worksheet');
  const sst = byName.get('xl/sharedStrings.xml');
  const sstBudget = Math.max(1 << 20, limits.maxRows * Math.min(limits.maxColumns, 16) * 64);
  if (sst) {
    try {
      readEntry(buf, sst, sstBudget);
    } catch (err) {
      if (err instanceof RangeError) throw new SheetLimitError(`the shared strings of the workbook are larger than ${sstBudget} bytes`);
      throw xlsxReadFailure(err);
    }
  }
  // Styles tell which numbers are dates (a date cell holds a day count); without them a date
  // would import as "45296". They are parsed whole too, so they get a cap of their own.
  const styles = byName.get('xl/styles.xml');
  if (styles) {
    try {
      readEntry(buf, styles, STYLES_BUDGET);
    } catch (err) {
      if (err instanceof RangeError) throw new SheetLimitError(`the styles of the workbook are larger than ${STYLES_BUDGET} bytes`);
      throw xlsxReadFailure(err);
    }
  }
  const parts = [rels, workbook, sst ?? { name: 'xl/sharedStrings.xml', content: EMPTY_SST }, ...(styles ? [styles] : []), sheets[0]];
  return { sheet: sheets[0], zip: relayZip(buf, parts) };
}

/** Real workbooks' styles are a few KB to a few hundred; 8 MiB leaves room and bounds a bomb. */
const STYLES_BUDGET = 8 << 20;

export async function readXlsx(buf: Buffer, limits: SheetLimits): Promise<SheetRow[]> {
  const { sheet: sheetEntry, zip } = streamableZip(buf, limits);
  // a sheet may hold some blank (formatting-only) rows beyond the limit; the exact check on
  // rows with content happens while parsing
  const maxRowTags = Math.ceil(limits.maxRows * 1.1) + 1000;
  const maxBytes = Math.max(64 << 20, Math.min(limits.maxRows, 1e7) * Math.min(limits.maxColumns, 64) * 100);
  try {
    await scanSheet(buf, sheetEntry, { maxRowTags, maxBytes, maxColumns: limits.maxColumns });
  } catch (err) {
    if (err instanceof SheetLimitError) throw err;
    throw xlsxReadFailure(err);
  }
  const input = Readable.from([zip]);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', worksheets: 'emit', entries: 'ignore',
  });
  const rows: SheetRow[] = [];
  try {
    for await (const sheet of reader) {
      for await (const r of sheet as AsyncIterable<ExcelJS.Row>) {
        const values = r.values as unknown[];
        if (values.length - 1 > limits.maxColumns) {
          throw new SheetLimitError(`row ${r.number} has ${values.length - 1} columns; the limit is ${limits.maxColumns} (import.maxColumns)`);
        }
        const cells: string[] = [];
        for (let i = 1; i < values.length; i++) {
          const value = values[i];
          const text = typeof value === 'number' ? zeroPadded(cellText(value), r.getCell(i).numFmt) : cellText(value);
          if (text.length > limits.maxCellChars) {
            throw new SheetLimitError(`a cell of row ${r.number} has ${text.length} characters; the limit is ${limits.maxCellChars} (import.maxCellChars)`);
          }
          cells.push(text);
        }
        if (!cells.some((c) => c.trim() !== '')) continue;
        // the header row plus maxRows data rows
        if (rows.length > limits.maxRows) throw new SheetLimitError(`the file has more than ${limits.maxRows} rows; the limit is ${limits.maxRows} (import.maxRows)`);
        rows.push({ row: r.number, cells });
      }
      break; // first worksheet only
    }
  } catch (err) {
    if (err instanceof SheetLimitError) throw err;
    throw xlsxReadFailure(err);
  } finally {
    input.destroy();
  }
  return rows;
}

/**
 * A number shown through a format of zeros ("00000000000") is shown with its leading zeros: the
 * way spreadsheets keep a phone number such as 02079460000 that was typed as a number.
 */
function zeroPadded(text: string, numFmt: string | undefined): string {
  return numFmt && /^0+$/.test(numFmt) && /^\d+$/.test(text) ? text.padStart(numFmt.length, '0') : text;
}

/** ECMA-376 ST_Xstring escapes ("_x000D_" is a CR, "_x005F_" a literal "_"). */
function unescapeXstring(s: string): string {
  return s.includes('_x') ? s.replace(/_x([0-9A-Fa-f]{4})_/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))) : s;
}

export function cellText(v: ExcelJS.CellValue | { richText: { text: string }[] } | unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return unescapeXstring(v);
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.richText)) return unescapeXstring((o.richText as { text: string }[]).map((t) => t.text ?? '').join(''));
    if ('text' in o) return cellText(o.text);
    if ('result' in o) return cellText(o.result);
    if ('error' in o) return '';
    if ('sharedString' in o) return '';
  }
  return String(v);
}

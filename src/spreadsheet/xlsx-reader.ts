// Reading the first worksheet of an XLSX workbook into the same rows as CSV gives. Cells typed
// by Excel (numbers, dates, links, rich text, formulas) come back as the text a person sees.
import ExcelJS from 'exceljs';
import type { SheetRow } from './csv-dialect.ts';

export class XlsxReadError extends Error {}

export async function readXlsx(buf: Buffer): Promise<SheetRow[]> {
  const wb = new ExcelJS.Workbook();
  try {
    // exceljs' typings predate Node's generic Buffer
    await wb.xlsx.load(buf as unknown as Parameters<typeof wb.xlsx.load>[0]);
  } catch (err) {
    throw new XlsxReadError(`the XLSX workbook could not be read (${(err as Error).message})`);
  }
  const sheet = wb.worksheets[0];
  if (!sheet) throw new XlsxReadError('the XLSX workbook has no worksheet');
  const rows: SheetRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (r, rowNumber) => {
    const cells: string[] = [];
    r.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cellText(cell.value);
    });
    for (let i = 0; i < cells.length; i++) cells[i] ??= '';
    if (cells.some((c) => c.trim() !== '')) rows.push({ row: rowNumber, cells });
  });
  return rows;
}

export function cellText(v: ExcelJS.CellValue | { richText: { text: string }[] } | unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.richText)) return (o.richText as { text: string }[]).map((t) => t.text).join('');
    if ('text' in o) return cellText(o.text);
    if ('result' in o) return cellText(o.result);
    if ('error' in o) return '';
  }
  return String(v);
}

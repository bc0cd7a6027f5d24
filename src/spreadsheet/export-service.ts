// Export of an account's shared contacts as CSV, XLSX or vCard. The CSV and XLSX layout (ID,
// then one column per field, Groups joined by "; ") is exactly what import reads back, so an
// export with no contacts is the import template.
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import type { AppContext } from '../app-context.ts';
import type { Account } from '../domain/account-schemas.ts';
import type { Contact } from '../domain/contact-schemas.ts';
import { cleanLine } from '../domain/clean-text.ts';
import { groupKey } from '../domain/text-fold.ts';
import { NotFoundError } from '../errors.ts';
import type { ThreadStore } from '../store/open-store.ts';
import type { ExportFile, ExportOptions } from './export-file.ts';
import { runExportThread } from './export-thread.ts';
import { EXPORT_COLUMNS, EXPORT_HEADERS, type ColumnKey } from './header-aliases.ts';
import { neutralizeCell } from './formula-guard.ts';
import { joinGroups } from './row-input.ts';
import { XLSX_TYPE } from './sheet-reader.ts';
import { contactToCard } from '../vcard/card-writer.ts';

const BOM = '\uFEFF';

/**
 * GET /export: the file is made in the export worker thread (export-thread.ts) from its own
 * read-only store. Making it here would keep the event loop from phones for as long as it
 * takes: for 100,000 contacts 2.6 s (CSV), 4.0 s (vCard) and 8.8 s (XLSX) on an idle server.
 */
export function exportContacts(ctx: AppContext, account: Account, opts: ExportOptions): Promise<ExportFile> {
  return runExportThread(ctx.db.locator, account.id, opts);
}

/** The export file of an account's shared contacts, read from `db` (the export thread; `dialbook export`). */
export async function buildExport(db: Pick<ThreadStore, 'allContacts' | 'listGroups'>, account: Account, opts: ExportOptions): Promise<ExportFile> {
  let contacts = await db.allContacts(account.id, { source: 'shared' });
  let suffix = '';
  if (opts.group) {
    const wanted = groupKey(opts.group);
    const group = (await db.listGroups(account.id)).find((g) => groupKey(g.name) === wanted);
    if (!group) throw new NotFoundError(`Group "${opts.group}"`);
    contacts = contacts.filter((c) => c.groups.some((g) => groupKey(g) === wanted));
    suffix = '-' + group.name.replace(/[^\p{L}\p{N}_-]+/gu, '_');
  }
  const base = `${account.id}-contacts${suffix}`;
  if (opts.format === 'vcf') {
    return { filename: `${base}.vcf`, contentType: 'text/vcard; charset=utf-8', body: Buffer.from(contacts.map((c) => contactToCard(c, { version: '3.0', uid: c.id, nameFormat: account.settings.nameFormat, numbers: 'as-entered' })).join(''), 'utf8'), count: contacts.length };
  }
  if (opts.format === 'xlsx') {
    return { filename: `${base}.xlsx`, contentType: XLSX_TYPE, body: await toXlsx(contacts), count: contacts.length };
  }
  return { filename: `${base}.csv`, contentType: 'text/csv; charset=utf-8', body: Buffer.from(BOM + toCsv(contacts), 'utf8'), count: contacts.length };
}

/**
 * A cell's text. Stored text is clean already (every write path runs cleanLine); cleaning again
 * here keeps the export readable (no NUL, valid XML) even for rows written before that rule.
 */
export function cellOf(c: Contact, key: ColumnKey): string {
  const v = key === 'id' ? c.id : key === 'groups' ? joinGroups(c.groups) : c[key];
  return cleanLine(v).text;
}

/** RFC 4180: a field is quoted when it holds a quote, the comma, a tab or line break or edge spaces. */
const NEEDS_QUOTES = /[",\t\r\n]|^\s|\s$/;
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** CSV with CRLF record ends (RFC 4180), cells formula-guarded. */
export function toCsv(contacts: Contact[]): string {
  const out: string[] = [EXPORT_COLUMNS.map((k) => csvField(EXPORT_HEADERS[k])).join(',')];
  for (const c of contacts) out.push(EXPORT_COLUMNS.map((k) => csvField(neutralizeCell(cellOf(c, k)))).join(','));
  return out.join('\r\n') + '\r\n';
}

/**
 * XLSX readers turn "_xHHHH_" in a string into the character U+HHHH (ECMA-376 ST_Xstring); a
 * literal one is written with its "_" escaped as "_x005F_" so that it reads back as typed.
 */
export function xlsxText(value: string): string {
  return value.includes('_x') ? value.replace(/_(?=x[0-9A-Fa-f]{4}_)/g, '_x005F_') : value;
}

/**
 * Written with ExcelJS's streaming writer: each row goes into the sheet's XML as it is added,
 * instead of the whole workbook being built as objects first (100,000 contacts: 6.6-9.8 s
 * against 14.0-14.5 s on the same loaded machine; bench/README.md). Shared strings, not inline
 * ones: ExcelJS's reader undoes the _xHHHH_ escape (xlsxText) only in shared strings.
 */
async function toXlsx(contacts: Contact[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true, useStyles: true });
  wb.creator = 'dialbook';
  const ws = wb.addWorksheet('Contacts', { views: [{ state: 'frozen', ySplit: 1 }] });
  // Every cell is a text cell ('@'): XLSX never runs a string as a formula, and numbers keep
  // their leading + and zeros.
  ws.columns = EXPORT_COLUMNS.map((k) => ({ header: EXPORT_HEADERS[k], key: k, width: k === 'id' ? 28 : 20, style: { numFmt: '@' } }));
  ws.getRow(1).font = { bold: true, name: 'Calibri', size: 11 };
  for (const c of contacts) ws.addRow(EXPORT_COLUMNS.map((k) => xlsxText(cellOf(c, k)))).commit();
  await wb.commit();
  return Buffer.concat(chunks);
}

// Recognises what was uploaded (XLSX by its zip signature, vCards by BEGIN:VCARD, otherwise text CSV) and reads it into
// rows. Anything that is neither is refused with a reason (415), never parsed blindly.
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError, type ErrorDetail } from '../errors.ts';
import { CsvSyntaxError, detectDelimiter, parseCsv, type Delimiter, type SheetRow } from './csv-dialect.ts';
import { decodeText, looksBinary, type TextEncodingName } from './text-decoding.ts';
import { NO_LIMITS, SheetLimitError, type SheetLimits } from './sheet-limits.ts';
import { looksLikeVcard, readVcards, type VcardSheet } from './vcard-reader.ts';
import { readXlsx, XlsxReadError } from './xlsx-reader.ts';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export interface Sheet {
  format: 'csv' | 'xlsx' | 'vcard';
  /** vCard only: cards that could not be read at all. */
  rowErrors?: ErrorDetail[];
  /** vCard only: numbers and addresses that fit no field of the contact. */
  dropped?: VcardSheet['dropped'];
  /** CSV only. */
  encoding?: TextEncodingName;
  delimiter?: Delimiter;
  rows: SheetRow[];
}

/** Media types we never try to read as a spreadsheet, whatever the bytes look like. */
const REFUSED_TYPES = /^(image|audio|video|font)\/|^application\/(pdf|json|xml|zip|gzip|x-tar|msword|x-msdownload)|^text\/(html|xml)/i;

const SIGNATURES: { magic: number[]; what: string }[] = [
  { magic: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { magic: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { magic: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { magic: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
  { magic: [0x1f, 0x8b], what: 'a gzip archive' },
  { magic: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old binary Excel (.xls) or Word file: save it as .xlsx or .csv' },
];

const startsWith = (buf: Buffer, magic: number[]) => magic.every((b, i) => buf[i] === b);

/** Reads an upload; a limit passed while reading answers 413 at once. */
export async function readSheet(buf: Buffer, contentType?: string | null, limits: SheetLimits = NO_LIMITS): Promise<Sheet> {
  try {
    return await readAnySheet(buf, contentType, limits);
  } catch (err) {
    if (err instanceof SheetLimitError) throw new PayloadTooLargeError(`The file is too large to import: ${err.message}`);
    throw err;
  }
}

async function readAnySheet(buf: Buffer, contentType: string | null | undefined, limits: SheetLimits): Promise<Sheet> {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type && REFUSED_TYPES.test(type)) {
    throw new UnsupportedMediaTypeError(`${type} is not a spreadsheet: send CSV (text/csv) or XLSX (${XLSX_TYPE})`);
  }
  if (buf.length === 0) throw new ValidationError('The file is empty', [{ reason: 'the file is empty' }]);
  if (startsWith(buf, [0x50, 0x4b, 0x03, 0x04])) {
    try {
      return { format: 'xlsx', rows: await readXlsx(buf, limits) };
    } catch (err) {
      if (err instanceof XlsxReadError) throw new UnsupportedMediaTypeError(`Not a readable XLSX file: ${err.message}`);
      throw err;
    }
  }
  const known = SIGNATURES.find((s) => startsWith(buf, s.magic));
  if (known) throw new UnsupportedMediaTypeError(`The file is ${known.what}, not a spreadsheet: send CSV or XLSX`);
  const charset = /;\s*charset="?([\w.:-]+)"?/i.exec(contentType ?? '')?.[1] ?? null;
  const utf16 = (buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff) || /^utf-?16/i.test(charset ?? '');
  if (!utf16 && looksBinary(buf)) {
    throw new UnsupportedMediaTypeError('The file is binary, not a spreadsheet: send CSV (UTF-8 or Windows-1252 text) or XLSX');
  }
  const decoded = decodeText(buf, charset);
  if (looksLikeVcard(decoded.text)) {
    const v = readVcards(decoded.text, limits);
    return { format: 'vcard', encoding: decoded.encoding, rows: v.rows, rowErrors: v.rowErrors, dropped: v.dropped };
  }
  const delimiter = detectDelimiter(decoded.text);
  try {
    return { format: 'csv', encoding: decoded.encoding, delimiter, rows: parseCsv(decoded.text, delimiter, limits) };
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new ValidationError(`The CSV file could not be read: ${err.message}`, [{ reason: err.message }]);
    throw err;
  }
}

/** Media type for a file name (the CLI has no Content-Type). */
export function contentTypeForFile(name: string): string | null {
  if (/\.xlsx$/i.test(name)) return XLSX_TYPE;
  if (/\.(csv|txt|tsv)$/i.test(name)) return 'text/csv';
  if (/\.(vcf|vcard)$/i.test(name)) return 'text/vcard';
  return null;
}

// Recognises what was uploaded (XLSX by its zip signature, vCards by BEGIN:VCARD, otherwise text CSV) and reads it into
// rows. Anything that is neither is refused with a reason (415), never parsed blindly.
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError, type ErrorDetail } from '../errors.ts';
import { csvSlices, CsvSyntaxError, CSV_STEP_CHARS, detectDelimiter, type Delimiter, type SheetRow } from './csv-dialect.ts';
import { decodeText, looksBinary, openText, type TextEncodingName } from './text-decoding.ts';
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

/** Bytes decoded to tell vCard from CSV and find the delimiter (detectDelimiter reads the first line, up to 64K characters). */
const CSV_HEAD_BYTES = 4 * 65536;
/** Bytes of CSV parsed per step (CSV_STEP_CHARS of mostly ASCII text). */
const CSV_STEP_BYTES = CSV_STEP_CHARS;

const startsWith = (buf: Buffer, magic: number[]) => magic.every((b, i) => buf[i] === b);

/** What an upload is, known before its rows are read. */
export type SheetInfo = Omit<Sheet, 'rows'>;

/** An upload being read: what it is, then its rows a slice at a time (CSV is parsed as they are taken). */
export interface SheetSlices {
  info: SheetInfo;
  slices: Iterable<SheetRow[]>;
}

/** Reads an upload whole; a limit passed while reading answers 413 at once. */
export async function readSheet(buf: Buffer, contentType?: string | null, limits: SheetLimits = NO_LIMITS): Promise<Sheet> {
  const { info, slices } = await openSheet(buf, contentType, limits);
  const rows: SheetRow[] = [];
  for (const slice of slices) for (const row of slice) rows.push(row); // not push(...slice): a large slice overflows the stack
  return { ...info, rows };
}

/**
 * Opens an upload for reading in slices: XLSX and vCard are read whole here (their readers
 * check the limits as they go), CSV is decoded here and parsed slice by slice as the slices are
 * taken, so an import works on the first rows while the rest is still text. Errors, here or
 * while taking slices, are the API's: 413 past a limit, 415 for what is no spreadsheet, 400
 * for broken CSV.
 */
export async function openSheet(buf: Buffer, contentType?: string | null, limits: SheetLimits = NO_LIMITS): Promise<SheetSlices> {
  try {
    const opened = await openAnySheet(buf, contentType, limits);
    return { info: opened.info, slices: apiErrors(opened.slices) };
  } catch (err) {
    throw apiError(err);
  }
}

function apiError(err: unknown): unknown {
  if (err instanceof SheetLimitError) return new PayloadTooLargeError(`The file is too large to import: ${err.message}`);
  if (err instanceof CsvSyntaxError) return new ValidationError(`The CSV file could not be read: ${err.message}`, [{ reason: err.message }]);
  return err;
}

function* apiErrors(slices: Iterable<SheetRow[]>): Generator<SheetRow[]> {
  try {
    yield* slices;
  } catch (err) {
    throw apiError(err);
  }
}

async function openAnySheet(buf: Buffer, contentType: string | null | undefined, limits: SheetLimits): Promise<SheetSlices> {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type && REFUSED_TYPES.test(type)) {
    throw new UnsupportedMediaTypeError(`${type} is not a spreadsheet: send CSV (text/csv) or XLSX (${XLSX_TYPE})`);
  }
  if (buf.length === 0) throw new ValidationError('The file is empty', [{ reason: 'the file is empty' }]);
  if (startsWith(buf, [0x50, 0x4b, 0x03, 0x04])) {
    try {
      return { info: { format: 'xlsx' }, slices: [await readXlsx(buf, limits)] };
    } catch (err) {
      if (err instanceof XlsxReadError) {
        const refused = new UnsupportedMediaTypeError(`Not a readable XLSX file: ${err.message}`);
        refused.cause = err.cause; // an internal failure behind it: logged, never shown (xlsx-errors.ts)
        throw refused;
      }
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
  // CSV is read from the bytes a piece at a time, never as one string (text-decoding.ts)
  const source = openText(buf, charset);
  const head = source.head(CSV_HEAD_BYTES);
  if (looksLikeVcard(head)) {
    const decoded = decodeText(buf, charset);
    const v = readVcards(decoded.text, limits);
    return { info: { format: 'vcard', encoding: decoded.encoding, rowErrors: v.rowErrors, dropped: v.dropped }, slices: [v.rows] };
  }
  const delimiter = detectDelimiter(head);
  return { info: { format: 'csv', encoding: source.encoding, delimiter }, slices: csvSlices(source.pieces(CSV_STEP_BYTES), delimiter, limits) };
}

/** Media type for a file name (the CLI has no Content-Type). */
export function contentTypeForFile(name: string): string | null {
  if (/\.xlsx$/i.test(name)) return XLSX_TYPE;
  if (/\.(csv|txt|tsv)$/i.test(name)) return 'text/csv';
  if (/\.(vcf|vcard)$/i.test(name)) return 'text/vcard';
  return null;
}

// Reading an upload and checking its rows, as a stream of messages: first what the file is
// (format, header, mapping), then its rows checked in slices. The same generator runs in the
// import thread itself (small files, CLI) or in the check thread (check-thread.ts), where it
// works while the import thread writes the slices before.
import type { Config } from '../config/config-schema.ts';
import { PayloadTooLargeError, ValidationError, type ErrorDetail } from '../errors.ts';
import { detectAddressBook } from './address-book-formats.ts';
import { describeMapping, mapHeader, type HeaderMap, type SourceFormat } from './header-aliases.ts';
import { checkRow, type CheckedRow, type ImportMode } from './import-plan.ts';
import { readSheet, type Sheet } from './sheet-reader.ts';
import { VCARD_MAPPING } from './vcard-reader.ts';

/** Rows per message: large enough that messaging costs little, small enough to start writing soon. */
export const SLICE_ROWS = 2000;

export interface CheckJob {
  file: Buffer;
  contentType: string | null | undefined;
  limits: Config['import'];
  region: string;
  mode: ImportMode;
  /** Content keys of the stored contacts: rows equal to one are not validated (see import-plan.ts). */
  storedKeys: string[];
}

/** What the file is, known once it is read. */
export interface SheetHead {
  format: Sheet['format'];
  source: SourceFormat;
  header: HeaderMap;
  mapping: { column: string; field: string }[];
  encoding?: string;
  delimiter?: string;
  /** Data rows read, the unreadable ones (vCard) included. */
  rows: number;
  rowErrors: ErrorDetail[];
  dropped: NonNullable<Sheet['dropped']>;
}

export type CheckMessage = { kind: 'head'; head: SheetHead } | { kind: 'rows'; rows: CheckedRow[] };

export async function* checkSheet(job: CheckJob): AsyncGenerator<CheckMessage> {
  const { limits } = job;
  const sheet = await readSheet(job.file, job.contentType, limits);
  const [headerRow, ...rows] = sheet.rows;
  if (!headerRow) throw new ValidationError('The file has no rows: the first row must be a header', [{ row: 1, reason: 'no header row' }]);
  if (rows.length > limits.maxRows) {
    throw new PayloadTooLargeError(`The file has ${rows.length} rows; the limit is ${limits.maxRows} (import.maxRows)`);
  }
  const book = sheet.format === 'vcard' ? null : detectAddressBook(headerRow.cells);
  const found = book ? { ok: true as const, map: book } : mapHeader(headerRow.cells);
  if (!found.ok) throw new ValidationError(`Unrecognised header: ${found.reason}`, [{ row: headerRow.row, reason: found.reason }]);
  const header = found.map;
  const source: SourceFormat = sheet.format === 'vcard' ? 'vcard' : header.source ?? 'columns';
  yield {
    kind: 'head',
    head: {
      format: sheet.format, source, header,
      mapping: source === 'vcard' ? VCARD_MAPPING : describeMapping(headerRow.cells, header),
      encoding: sheet.encoding, delimiter: sheet.delimiter,
      rows: rows.length + (sheet.rowErrors?.length ?? 0), rowErrors: sheet.rowErrors ?? [], dropped: sheet.dropped ?? [],
    },
  };
  const storedKeys = new Set(job.storedKeys);
  for (let i = 0; i < rows.length; i += SLICE_ROWS) {
    yield { kind: 'rows', rows: rows.slice(i, i + SLICE_ROWS).map((r) => checkRow(r, header, job.region, job.mode, storedKeys)) };
  }
}

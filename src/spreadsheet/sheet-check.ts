// Reading an upload and checking its rows, as a stream of messages: first what the file is
// (format, header, mapping), then its rows checked in slices. The same generator runs in the
// import thread itself (small files, CLI) or in the check thread (check-thread.ts), where it
// works while the import thread writes the slices before.
import type { Config } from '../config/config-schema.ts';
import { PayloadTooLargeError, ValidationError, type ErrorDetail } from '../errors.ts';
import { detectAddressBook } from './address-book-formats.ts';
import { describeMapping, mapHeader, type HeaderMap, type SourceFormat } from './header-aliases.ts';
import { checkRow, type CheckedRow, type ImportMode } from './import-plan.ts';
import { openSheet, type Sheet } from './sheet-reader.ts';
import { VCARD_MAPPING } from './vcard-reader.ts';

/** Rows per message: large enough that messaging costs little, small enough to start writing soon. */
export const SLICE_ROWS = 2000;
/** Rows of the first message: the import thread waits for it with nothing else to do. */
export const FIRST_SLICE_ROWS = 250;

export interface CheckJob {
  file: Buffer;
  contentType: string | null | undefined;
  limits: Config['import'];
  region: string;
  mode: ImportMode;
  /** Content keys of the stored contacts: rows equal to one are not validated (see import-plan.ts). */
  storedKeys: string[];
}

/** What the file is, known once its header row is read. */
export interface SheetHead {
  format: Sheet['format'];
  source: SourceFormat;
  header: HeaderMap;
  mapping: { column: string; field: string }[];
  encoding?: string;
  delimiter?: string;
  /** vCard: cards that could not be read at all (counted as rows read). */
  rowErrors: ErrorDetail[];
  dropped: NonNullable<Sheet['dropped']>;
}

export type CheckMessage = { kind: 'head'; head: SheetHead } | { kind: 'rows'; rows: CheckedRow[] };

/** The head, then the data rows checked, SLICE_ROWS at a time, as the file is parsed. */
export async function* checkSheet(job: CheckJob): AsyncGenerator<CheckMessage> {
  const { limits } = job;
  const { info, slices } = await openSheet(job.file, job.contentType, limits);
  const storedKeys = new Set(job.storedKeys);
  let header: HeaderMap | null = null;
  let count = 0;
  let sent = 0;
  for (const slice of slices) {
    let rows = slice;
    if (!header) {
      const headerRow = rows[0];
      if (!headerRow) continue;
      const book = info.format === 'vcard' ? null : detectAddressBook(headerRow.cells);
      const found = book ? { ok: true as const, map: book } : mapHeader(headerRow.cells);
      if (!found.ok) throw new ValidationError(`Unrecognised header: ${found.reason}`, [{ row: headerRow.row, reason: found.reason }]);
      header = found.map;
      const source: SourceFormat = info.format === 'vcard' ? 'vcard' : header.source ?? 'columns';
      yield {
        kind: 'head',
        head: {
          format: info.format, source, header,
          mapping: source === 'vcard' ? VCARD_MAPPING : describeMapping(headerRow.cells, header),
          encoding: info.encoding, delimiter: info.delimiter, rowErrors: info.rowErrors ?? [], dropped: info.dropped ?? [],
        },
      };
      rows = rows.slice(1);
    }
    count += rows.length;
    if (count > limits.maxRows) {
      throw new PayloadTooLargeError(`The file has more than ${limits.maxRows} rows; the limit is ${limits.maxRows} (import.maxRows)`);
    }
    for (let i = 0; i < rows.length;) {
      const h = header;
      const end = i + (sent === 0 ? FIRST_SLICE_ROWS : SLICE_ROWS);
      yield { kind: 'rows', rows: rows.slice(i, end).map((r) => checkRow(r, h, job.region, job.mode, storedKeys)) };
      sent += Math.min(end, rows.length) - i;
      i = end;
    }
  }
  if (!header) throw new ValidationError('The file has no rows: the first row must be a header', [{ row: 1, reason: 'no header row' }]);
}

// Reading CSV as people produce it: `,` `;` or tab delimiters (Excel in many European locales
// writes `;`), quoted fields with line breaks, blank lines, ragged rows.
import { parse as parseStream, type Options as CsvOptions } from 'csv-parse';
import type { TransformOptions } from 'node:stream';
import { restoreCell } from './formula-guard.ts';
import { NO_LIMITS, SheetLimitError, type SheetLimits } from './sheet-limits.ts';

export type Delimiter = ',' | ';' | '\t';
const CANDIDATES: Delimiter[] = [',', ';', '\t'];

/**
 * Picks the delimiter by counting candidates outside quotes in the first line (a header line
 * may itself contain quoted line breaks, so the scan stops at the first unquoted line break).
 * Ties go to `,`; no delimiter at all (a one-column file) also gives `,`.
 */
export function detectDelimiter(text: string): Delimiter {
  const counts = new Map<Delimiter, number>(CANDIDATES.map((d) => [d, 0]));
  let quoted = false;
  for (let i = 0; i < text.length && i < 65536; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch as Delimiter)) counts.set(ch as Delimiter, counts.get(ch as Delimiter)! + 1);
  }
  let best: Delimiter = ',';
  for (const d of CANDIDATES) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

export interface SheetRow {
  /** Row number as a spreadsheet shows it: the header is row 1, blank lines count. */
  row: number;
  cells: string[];
}

export class CsvSyntaxError extends Error {}

/**
 * Parses CSV text into rows; blank rows are dropped but keep their place in the numbering.
 * The limits are checked record by record while parsing (the parser stops at the first row
 * past them), so a huge file costs no more than the limit.
 */
export function parseCsv(text: string, delimiter: Delimiter = detectDelimiter(text), limits: SheetLimits = NO_LIMITS): SheetRow[] {
  const rows: SheetRow[] = [];
  // one row at a time: push(...slice) of a few hundred thousand rows overflows the stack
  for (const slice of csvSlices(text, delimiter, limits, text.length)) for (const row of slice) rows.push(row);
  return rows;
}

/** Characters of text parsed per step of csvSlices (about 2,000 rows of a typical export). */
export const CSV_STEP_CHARS = 1 << 17;

/**
 * The same rows as parseCsv, handed out a step of text at a time: an import starts checking
 * and writing the first rows while the rest of the file is still to be parsed. (csv-parse's
 * stream parser handles each write synchronously; records that span two steps are joined.)
 */
export function* csvSlices(text: string | Iterable<Buffer | string>, delimiter: Delimiter, limits: SheetLimits = NO_LIMITS, stepChars = CSV_STEP_CHARS): Generator<SheetRow[]> {
  let rows: SheetRow[] = [];
  let read = 0;
  let line = 0;
  let limitError: SheetLimitError | null = null;
  let parseError: Error | null = null;
  // Records are read from the stream after each write (drain), not taken with on_record: an
  // on_record callback makes csv-parse build an info object per record, a third of its parsing
  // time. The readable side's high-water mark is out of reach so that the parser never holds a
  // write back for a reader: every record of a step is there when write() returns.
  const options: CsvOptions & Pick<TransformOptions, 'readableHighWaterMark'> = {
    delimiter,
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: limits.maxCellChars * 4,
    readableHighWaterMark: 2 ** 30,
  };
  const parser = parseStream(options);
  const take = (cells: string[]) => {
    line++;
    if (cells.every((c) => c.trim() === '')) return;
    if (cells.length > limits.maxColumns) {
      limitError = new SheetLimitError(`row ${line} has ${cells.length} columns; the limit is ${limits.maxColumns} (import.maxColumns)`);
    } else if (cells.some((c) => c.length > limits.maxCellChars)) {
      limitError = new SheetLimitError(`a cell of row ${line} has more than ${limits.maxCellChars} characters (import.maxCellChars)`);
    } else if (read + rows.length > limits.maxRows) {
      limitError = new SheetLimitError(`the file has more than ${limits.maxRows} rows; the limit is ${limits.maxRows} (import.maxRows)`);
    }
    if (limitError) throw limitError;
    // undo the export's formula guard (CSV only: XLSX cells are typed strings, never guarded)
    rows.push({ row: line, cells: cells.map(restoreCell) });
  };
  const drain = () => {
    for (let cells: string[] | null; (cells = parser.read() as string[] | null) !== null;) take(cells);
  };
  // errors are emitted on a later tick; the synchronous cause is kept here as it happens
  parser.on('error', (err) => { parseError ??= err; });
  const failure = (err: unknown): Error => {
    if (limitError) return limitError;
    if ((err as { code?: string }).code === 'CSV_MAX_RECORD_SIZE') {
      return new SheetLimitError(`a row near line ${line + 1} is longer than ${limits.maxCellChars * 4} characters (import.maxCellChars)`);
    }
    return new CsvSyntaxError((err as Error).message);
  };
  const step = (write: () => void): SheetRow[] => {
    try {
      write();
      drain();
    } catch (err) {
      throw failure(err);
    }
    const err = parser.errored ?? parseError;
    if (limitError || err) throw failure(err);
    const out = rows;
    read += out.length;
    rows = [];
    return out;
  };
  // UTF-8 bytes go to the parser as they are (it joins a character cut between two pieces)
  for (const piece of typeof text === 'string' ? textSteps(text, stepChars) : text) {
    const out = step(() => parser.write(piece));
    if (out.length) yield out;
  }
  const last = step(() => parser.end());
  if (last.length) yield last;
}

/** A string in steps of about `stepChars` characters. */
function* textSteps(text: string, stepChars: number): Generator<string> {
  for (let at = 0; at < text.length;) {
    let end = Math.min(text.length, at + Math.max(1, stepChars));
    // never cut a surrogate pair: the stream encodes each step to UTF-8 on its own
    if (end < text.length && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) end++;
    yield text.slice(at, end);
    at = end;
  }
}

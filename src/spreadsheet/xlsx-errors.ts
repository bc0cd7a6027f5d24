// What went wrong reading an XLSX file, in words for the person who uploaded it. A failure inside
// a library (exceljs, its XML parser, zlib) is described by its kind only: its own message can be
// an internal JavaScript error ("Cannot read properties of undefined") that says nothing about
// the file, so it rides along as the error's cause, for the log, and is never shown.
import { ZipError } from './zip-entries.ts';

/** The upload is no XLSX this reader can read (the API answers 415). `cause`: the internal failure, if any. */
export class XlsxReadError extends Error {}

const GENERIC = 'the XLSX workbook could not be read: it is damaged, or written in a way this importer does not read (save it again from Excel or LibreOffice, or as CSV)';

/** Any failure while reading the workbook, as an XlsxReadError whose message is safe to show. */
export function xlsxReadFailure(err: unknown): XlsxReadError {
  if (err instanceof XlsxReadError) return err;
  if (err instanceof ZipError) return new XlsxReadError(`the XLSX workbook could not be read (${err.message})`);
  const code = (err as { code?: unknown })?.code;
  // zlib's errors name the damage in the compressed data (Z_DATA_ERROR: "invalid distance too far back")
  if (typeof code === 'string' && code.startsWith('Z_')) return new XlsxReadError('the XLSX workbook could not be read: its compressed data is damaged', { cause: err });
  // the XML parser's errors start with the line and column of the broken XML ("3:17: unclosed tag: row")
  const message = err instanceof Error ? err.message : '';
  const xml = /^(\d+:\d+): ([\w .,:'"<>/-]{1,120})$/.exec(message.split('\n')[0]);
  if (xml) return new XlsxReadError(`the XLSX workbook could not be read: its worksheet XML is broken at ${xml[1]} (${xml[2]})`, { cause: err });
  return new XlsxReadError(GENERIC, { cause: err });
}

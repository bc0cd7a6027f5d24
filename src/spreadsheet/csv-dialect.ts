// Reading CSV as people produce it: `,` `;` or tab delimiters (Excel in many European locales
// writes `;`), quoted fields with line breaks, blank lines, ragged rows.
import { parse } from 'csv-parse/sync';
import { restoreCell } from './formula-guard.ts';

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

/** Parses CSV text into rows; blank rows are dropped but keep their place in the numbering. */
export function parseCsv(text: string, delimiter: Delimiter = detectDelimiter(text)): SheetRow[] {
  let records: string[][];
  try {
    records = parse(text, {
      delimiter,
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
    }) as string[][];
  } catch (err) {
    throw new CsvSyntaxError((err as Error).message);
  }
  const rows: SheetRow[] = [];
  records.forEach((cells, i) => {
    if (cells.every((c) => c.trim() === '')) return;
    // undo the export's formula guard (CSV only: XLSX cells are typed strings, never guarded)
    rows.push({ row: i + 1, cells: cells.map(restoreCell) });
  });
  return rows;
}

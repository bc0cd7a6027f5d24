// A first pass over an XLSX worksheet that only inflates it (native zlib) and counts, as the XML
// streams by, its rows and the cells of each row: a bomb of millions of rows, or of one row with
// millions of cells, is refused after inflating about the limit's worth of XML, before exceljs
// (which builds each row whole before handing it over) has built anything. Nothing is parsed
// beyond the start tags of <row> and <c>.
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { SheetLimitError } from './sheet-limits.ts';
import { XlsxReadError } from './xlsx-errors.ts';
import type { ZipEntry } from './zip-entries.ts';

/** Excel's last column is XFD: a row with more cells than this repeats a column or is not Excel's. */
export const MAX_ROW_CELLS = 16_384;
/** A start tag of <row> or <c> is a few dozen bytes; one this long is not a worksheet. */
const MAX_TAG_BYTES = 64 * 1024;

export interface SheetScanLimits {
  /** <row> elements, blank ones included. */
  maxRowTags: number;
  /** Bytes of XML. */
  maxBytes: number;
  /** Cells with content in one row (import.maxColumns). */
  maxColumns: number;
}

export async function scanSheet(buf: Buffer, e: ZipEntry, limits: SheetScanLimits): Promise<void> {
  if (e.method !== 0 && e.method !== 8) throw new XlsxReadError(`the worksheet uses compression method ${e.method}`);
  const data = buf.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
  const source = e.method === 0 ? Readable.from([data]) : Readable.from([data]).pipe(createInflateRaw());
  const scanner = new SheetScanner(limits);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) scanner.push(chunk);
  } finally {
    source.destroy();
  }
  scanner.end();
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const isDelimiter = (b: number) => b === 0x20 || b === GT || b === SLASH || b === 0x09 || b === 0x0a || b === 0x0d;

/** Counts rows and cells chunk by chunk; a tag cut in two by a chunk boundary is kept for the next. */
export class SheetScanner {
  private bytes = 0;
  private rows = 0;
  /** The current row's number (its r attribute, else its position) and its cells. */
  private row = 0;
  private cells = 0;
  private filled = 0;
  private unreferenced = 0;
  private tail: Buffer = Buffer.alloc(0);

  constructor(private readonly limits: SheetScanLimits) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limits.maxBytes) throw new SheetLimitError(`the worksheet is larger than ${this.limits.maxBytes} bytes of XML`);
    const buf = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    let i = buf.indexOf(LT);
    while (i >= 0) {
      // enough bytes to tell <row from <c and from anything else?
      if (i + 5 > buf.length) break;
      const isRow = buf[i + 1] === 0x72 && buf[i + 2] === 0x6f && buf[i + 3] === 0x77 && isDelimiter(buf[i + 4]);
      const isCell = buf[i + 1] === 0x63 && isDelimiter(buf[i + 2]);
      if (!isRow && !isCell) {
        i = buf.indexOf(LT, i + 1);
        continue;
      }
      const end = buf.indexOf(GT, i);
      if (end < 0) break; // the tag goes on in the next chunk
      if (isRow) this.startRow(buf, i + 4, end);
      else this.cell(buf, i + 2, end);
      i = buf.indexOf(LT, end);
    }
    this.tail = i >= 0 ? Buffer.from(buf.subarray(i)) : Buffer.alloc(0);
    if (this.tail.length > MAX_TAG_BYTES) throw new XlsxReadError(`the worksheet has a tag longer than ${MAX_TAG_BYTES} bytes`);
  }

  /** After the last chunk: problems that are not limits come after every limit was checked. */
  end(): void {
    if (this.unreferenced > 0) {
      throw new XlsxReadError(`the worksheet has ${this.unreferenced} rows or cells without a reference (the r attribute, as in <row r="2"> and <c r="B2">), which this reader needs: save the workbook again from Excel or LibreOffice`);
    }
  }

  private startRow(buf: Buffer, from: number, end: number): void {
    this.rows++;
    if (this.rows > this.limits.maxRowTags) throw new SheetLimitError(`the worksheet has more than ${this.limits.maxRowTags} rows`);
    const r = attributeNumber(buf, from, end);
    if (r === null) this.unreferenced++;
    this.row = r ?? this.rows;
    this.cells = 0;
    this.filled = 0;
  }

  private cell(buf: Buffer, from: number, end: number): void {
    this.cells++;
    // an empty cell (<c r="C1" s="2"/>, formatting only) is no column of data, but exceljs
    // still makes an object of it
    if (this.cells > MAX_ROW_CELLS) throw new SheetLimitError(`row ${this.row} has more than ${MAX_ROW_CELLS} cells, the most a worksheet row can hold`);
    if (buf[end - 1] === SLASH) return;
    this.filled++;
    if (this.filled > this.limits.maxColumns) {
      throw new SheetLimitError(`row ${this.row} has more than ${this.limits.maxColumns} cells; the limit is ${this.limits.maxColumns} (import.maxColumns)`);
    }
    if (!hasAttribute(buf, from, end, 0x72)) this.unreferenced++;
  }
}

/** Where the value of the one-letter attribute `name` (a byte) starts in a start tag, or -1. */
function attributeValue(buf: Buffer, from: number, end: number, name: number): number {
  for (let j = from; j < end - 1; j++) {
    if (buf[j] !== name || !isSpace(buf[j - 1])) continue;
    let k = j + 1;
    while (k < end && isSpace(buf[k])) k++; // XML allows r = "1"
    if (buf[k] !== 0x3d) continue;
    k++;
    while (k < end && isSpace(buf[k])) k++;
    return buf[k] === 0x22 || buf[k] === 0x27 ? k + 1 : -1;
  }
  return -1;
}

const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

function hasAttribute(buf: Buffer, from: number, end: number, name: number): boolean {
  return attributeValue(buf, from, end, name) >= 0;
}

/** The number in r="…" of a start tag, if it has one. */
function attributeNumber(buf: Buffer, from: number, end: number): number | null {
  const start = attributeValue(buf, from, end, 0x72);
  if (start < 0) return null;
  let n = 0;
  let k = start;
  for (; k < end && buf[k] >= 0x30 && buf[k] <= 0x39 && n < 1e9; k++) n = n * 10 + buf[k] - 0x30;
  return k > start ? n : null;
}

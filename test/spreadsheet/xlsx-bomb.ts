// Builds XLSX zip bombs for the limit tests: a valid workbook whose one worksheet holds millions
// of small rows (deflate shrinks them ~30:1), with the worksheet stored BEFORE the workbook
// parts, the order that makes a naive stream reader buffer the whole sheet.
import { randomBytes } from 'node:crypto';
import { constants, crc32 as zlibCrc32, deflateRawSync } from 'node:zlib';

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(crc: number, data: Buffer): number {
  crc = ~crc;
  for (let i = 0; i < data.length; i++) crc = CRC[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

interface Part { name: string; data: Buffer; crc: number; size: number }

function part(name: string, text: string | Buffer): Part {
  const raw = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return { name, data: deflateRawSync(raw, { level: 9 }), crc: crc32(0, raw), size: raw.length };
}

function zip(parts: Part[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const name = Buffer.from(p.name);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0); h.writeUInt16LE(20, 4); h.writeUInt16LE(8, 8);
    h.writeUInt32LE(p.crc, 14); h.writeUInt32LE(p.data.length, 18); h.writeUInt32LE(p.size, 22); h.writeUInt16LE(name.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0); c.writeUInt16LE(20, 4); c.writeUInt16LE(20, 6); c.writeUInt16LE(8, 10);
    c.writeUInt32LE(p.crc, 16); c.writeUInt32LE(p.data.length, 20); c.writeUInt32LE(p.size, 24); c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    locals.push(h, name, p.data);
    central.push(c, name);
    offset += 30 + name.length + p.data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(parts.length, 8); end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';

/**
 * A workbook whose first sheet has a header row and `rows` data rows (inline strings). The data
 * rows are one row repeated (so the file builds in a moment and deflates ~1000:1, a true bomb);
 * with `distinct`, each row has its own number, as a real sheet would (slower to build).
 */
export function xlsxBomb(rows: number, distinct = false, stylesBytes = 0): Buffer {
  return workbook(rows, distinct, stylesBytes);
}

/**
 * A workbook whose only row holds `cells` cells (no cell references, as in the attack that found
 * it): the shape a row-by-row reader builds whole before checking it. 20 million cells are
 * 300 MB of XML; deflating that takes half a minute, so the worksheet is deflated as pieces that
 * each end in a full flush (no reference back into an earlier piece) and one piece of a million
 * cells is repeated: the same bytes a single deflate of the whole could have produced.
 */
export function xlsxWideRow(cells: number): Buffer {
  const cell = Buffer.from('<c><v>1</v></c>');
  const perPiece = Math.min(cells, 1_000_000);
  const piece = Buffer.alloc(cell.length * perPiece, cell);
  const repeats = Math.floor(cells / perPiece);
  const rest = Buffer.alloc(cell.length * (cells - repeats * perPiece), cell);
  const head = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<worksheet ' + NS + '><sheetData><row r="1">');
  const end = Buffer.from('</row></sheetData></worksheet>');
  const flushed = (b: Buffer) => deflateRawSync(b, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const pieceDeflated = flushed(piece);
  let crc = zlibCrc32(head);
  for (let i = 0; i < repeats; i++) crc = zlibCrc32(piece, crc);
  crc = zlibCrc32(end, zlibCrc32(rest, crc));
  const data = Buffer.concat([flushed(head), ...Array<Buffer>(repeats).fill(pieceDeflated), flushed(rest), deflateRawSync(end, { level: 9 })]);
  const sheet: Part = { name: 'xl/worksheets/sheet1.xml', data, crc, size: head.length + piece.length * repeats + rest.length + end.length };
  return zip([sheet, ...workbookParts()]);
}

/**
 * A workbook whose worksheet's <sheetData> holds exactly `sheetData` (hand-made rows and cells);
 * with paddingBytes, plus a part of that many random bytes that no reader looks at (a picture,
 * say), so that the file is large enough for the import worker thread.
 */
export function xlsxFromSheetData(sheetData: string, paddingBytes = 0): Buffer {
  const sheet = part('xl/worksheets/sheet1.xml', `<?xml version="1.0" encoding="UTF-8"?>\n<worksheet ${NS}><sheetData>${sheetData}</sheetData></worksheet>`);
  return zip([sheet, ...workbookParts(), ...(paddingBytes > 0 ? [part('xl/media/image1.bin', randomBytes(paddingBytes))] : [])]);
}

/**
 * A workbook with a header row and one data row whose shared-string table inflates to about
 * `bytes` of one-letter strings (<si><t>a</t></si>, 17 bytes each): millions of strings that
 * a reader caching the table keeps in memory.
 */
export function xlsxSharedStringsBomb(bytes: number): Buffer {
  const item = '<si><t>a</t></si>';
  const count = Math.floor(bytes / item.length);
  const sst = Buffer.concat([
    Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${count}" uniqueCount="${count}">`),
    Buffer.alloc(item.length * count, item), Buffer.from('</sst>'),
  ]);
  const sheet = part('xl/worksheets/sheet1.xml', `<?xml version="1.0" encoding="UTF-8"?>\n<worksheet ${NS}><sheetData>`
    + '<row r="1"><c r="A1" t="inlineStr"><is><t>First Name</t></is></c><c r="B1" t="inlineStr"><is><t>Work Number</t></is></c></row>'
    + '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><v>1001</v></c></row></sheetData></worksheet>');
  return zip([sheet, part('xl/sharedStrings.xml', sst), ...workbookParts()]);
}

function workbook(rows: number, distinct: boolean, stylesBytes: number): Buffer {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n<worksheet ' + NS + '><sheetData>'
    + '<row r="1"><c r="A1" t="inlineStr"><is><t>First Name</t></is></c><c r="B1" t="inlineStr"><is><t>Work Number</t></is></c></row>';
  let body: Buffer;
  if (distinct) {
    const chunks: string[] = [];
    for (let r = 2; r <= rows + 1; r++) chunks.push(`<row r="${r}"><c r="A${r}" t="inlineStr"><is><t>P</t></is></c><c r="B${r}"><v>1001</v></c></row>`);
    body = Buffer.from(chunks.join(''));
  } else {
    const row = '<row r="2"><c r="A2" t="inlineStr"><is><t>P</t></is></c><c r="B2"><v>1001</v></c></row>';
    body = Buffer.alloc(row.length * rows, row);
  }
  const sheet = part('xl/worksheets/sheet1.xml', Buffer.concat([Buffer.from(head), body, Buffer.from('</sheetData></worksheet>')]));
  // with stylesBytes, a styles part that inflates to that many bytes (a bomb in the styles)
  const styles = stylesBytes > 0
    ? [part('xl/styles.xml', Buffer.concat([Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><styleSheet ${NS}><!--`), Buffer.alloc(stylesBytes, 'x'), Buffer.from('--></styleSheet>')]))]
    : [];
  return zip([sheet, ...styles, ...workbookParts()]);
}

/** The parts besides the worksheet: content types, relations, the workbook. */
function workbookParts(): Part[] {
  return [
    part('[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    part('_rels/.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    part('xl/workbook.xml', `<?xml version="1.0" encoding="UTF-8"?><workbook ${NS}><sheets><sheet name="Bomb" sheetId="1" r:id="rId1"/></sheets></workbook>`),
    part('xl/_rels/workbook.xml.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
  ];
}

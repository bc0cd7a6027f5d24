// Just enough of the ZIP format (PKWARE APPNOTE 6.3.x, sections 4.3.7, 4.3.12, 4.3.16) to list
// an uploaded XLSX's entries from its central directory and lay out chosen entries again, in the
// order a streaming reader needs, without inflating anything. An XLSX reader that meets the
// first worksheet before the shared strings would otherwise buffer the whole sheet.
import { inflateRawSync } from 'node:zlib';

export class ZipError extends Error {}

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  time: number;
  date: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Where the compressed bytes start. */
  dataOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** A central directory larger than this many entries is not a spreadsheet. */
const MAX_ENTRIES = 10_000;

export function listZip(buf: Buffer): ZipEntry[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === EOCD) { eocd = i; break; }
  }
  if (eocd < 0) throw new ZipError('no end of central directory (truncated or not a zip file)');
  const count = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError('ZIP64 archives are not supported');
  if (count > MAX_ENTRIES) throw new ZipError(`${count} entries`);
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw new ZipError('broken central directory');
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL) throw new ZipError(`broken local header for ${name}`);
    const dataOffset = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const compressedSize = buf.readUInt32LE(p + 20);
    if (dataOffset + compressedSize > buf.length) throw new ZipError(`${name} runs past the end of the file`);
    entries.push({
      name, flags: buf.readUInt16LE(p + 8), method: buf.readUInt16LE(p + 10), time: buf.readUInt16LE(p + 12),
      date: buf.readUInt16LE(p + 14), crc: buf.readUInt32LE(p + 16), compressedSize, size: buf.readUInt32LE(p + 24), dataOffset,
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** An entry's content, inflated, refusing to produce more than maxBytes (a zip bomb stops there). */
export function readEntry(buf: Buffer, e: ZipEntry, maxBytes: number): Buffer {
  const data = buf.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
  if (e.method === 0) {
    if (data.length > maxBytes) throw new RangeError(`${e.name} is larger than ${maxBytes} bytes`);
    return data;
  }
  if (e.method !== 8) throw new ZipError(`${e.name} uses compression method ${e.method}`);
  try {
    return inflateRawSync(data, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new RangeError(`${e.name} inflates to more than ${maxBytes} bytes`);
    throw new ZipError(`${e.name} could not be inflated (${(err as Error).message})`);
  }
}

/**
 * A zip stream holding the given entries in this order: local headers carrying the sizes from
 * the central directory (no data descriptors), compressed bytes copied as they are. Extra
 * entries given as content are stored uncompressed.
 */
export function relayZip(buf: Buffer, entries: (ZipEntry | { name: string; content: Buffer })[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const h = Buffer.alloc(30);
    h.writeUInt32LE(LOCAL, 0);
    h.writeUInt16LE(20, 4);
    if ('content' in e) {
      h.writeUInt16LE(0x0800, 6);
      h.writeUInt32LE(crc32(e.content), 14);
      h.writeUInt32LE(e.content.length, 18);
      h.writeUInt32LE(e.content.length, 22);
      h.writeUInt16LE(name.length, 26);
      parts.push(h, name, e.content);
      continue;
    }
    h.writeUInt16LE(e.flags & ~0x0008, 6);
    h.writeUInt16LE(e.method, 8);
    h.writeUInt16LE(e.time, 10);
    h.writeUInt16LE(e.date, 12);
    h.writeUInt32LE(e.crc, 14);
    h.writeUInt32LE(e.compressedSize, 18);
    h.writeUInt32LE(e.size, 22);
    h.writeUInt16LE(name.length, 26);
    parts.push(h, name, buf.subarray(e.dataOffset, e.dataOffset + e.compressedSize));
  }
  return Buffer.concat(parts);
}

let CRC_TABLE: Int32Array | null = null;
function crc32(data: Buffer): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c;
    }
  }
  let crc = -1;
  for (const b of data) crc = CRC_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

// Turns an uploaded text file into a string: a UTF-8 or UTF-16 byte-order mark wins; otherwise
// valid UTF-8 is UTF-8, and anything else is read as Windows-1252 (what Excel on Windows writes
// for "CSV" without "UTF-8" in the name).
import iconv from 'iconv-lite';

/** 'utf-8', 'utf-16le', 'utf-16be', 'windows-1252', or a charset the upload declared. */
export type TextEncodingName = string;

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
  bom: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * declaredCharset: the charset parameter of the upload's Content-Type, honoured when it names an
 * encoding other than UTF-8/ASCII that we can decode (a BOM still wins).
 */
export function decodeText(buf: Buffer, declaredCharset?: string | null): DecodedText {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
    return { text: buf.subarray(3).toString('utf8'), encoding: 'utf-8', bom: true };
  }
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) {
    return { text: iconv.decode(buf.subarray(2), 'utf-16le'), encoding: 'utf-16le', bom: true };
  }
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    return { text: iconv.decode(buf.subarray(2), 'utf-16be'), encoding: 'utf-16be', bom: true };
  }
  const declared = declaredCharset?.trim().toLowerCase();
  if (declared && !['utf-8', 'utf8', 'us-ascii', 'ascii'].includes(declared) && iconv.encodingExists(declared)) {
    return { text: iconv.decode(buf, declared), encoding: declared, bom: false };
  }
  try {
    return { text: utf8.decode(buf), encoding: 'utf-8', bom: false };
  } catch {
    return { text: iconv.decode(buf, 'win1252'), encoding: 'windows-1252', bom: false };
  }
}

/**
 * True when the bytes look like a binary file rather than text: NUL bytes (outside a UTF-16
 * file) or many control characters in the first few kilobytes.
 */
export function looksBinary(buf: Buffer): boolean {
  const head = buf.subarray(0, 8192);
  let control = 0;
  for (const b of head) {
    if (b === 0) return true;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
  }
  return control > head.length / 100;
}

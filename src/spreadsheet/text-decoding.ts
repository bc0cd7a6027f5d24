// Turns an uploaded text file into a string: a UTF-8 or UTF-16 byte-order mark wins; otherwise
// valid UTF-8 is UTF-8, and anything else is read as Windows-1252 (what Excel on Windows writes
// for "CSV" without "UTF-8" in the name).
import { isUtf8 } from 'node:buffer';
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

/** An upload's text, to be read a piece at a time (textPieces). */
export interface TextSource {
  encoding: TextEncodingName;
  bom: boolean;
  /** The decoded text of the first `bytes` bytes at most (a character cut at the end is dropped). */
  head(bytes: number): string;
  /**
   * The whole text in order, a piece of about `stepBytes` bytes at a time: UTF-8 as the file's
   * own bytes (a character may be cut between two pieces; a byte-level reader joins them),
   * any other encoding as decoded strings.
   */
  pieces(stepBytes: number): Generator<Buffer | string>;
}

/**
 * The same decision as decodeText, without decoding the whole file into one string: a
 * million-row CSV is 52 MB of UTF-8 and twice that as a JavaScript string with any accented
 * name in it, held as long as the import runs.
 */
export function openText(buf: Buffer, declaredCharset?: string | null): TextSource {
  const declared = declaredCharset?.trim().toLowerCase();
  let body = buf;
  let encoding: TextEncodingName;
  let bom = true;
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) [body, encoding] = [buf.subarray(3), 'utf-8'];
  else if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) [body, encoding] = [buf.subarray(2), 'utf-16le'];
  else if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) [body, encoding] = [buf.subarray(2), 'utf-16be'];
  else {
    bom = false;
    if (declared && !['utf-8', 'utf8', 'us-ascii', 'ascii'].includes(declared) && iconv.encodingExists(declared)) encoding = declared;
    else encoding = isUtf8(buf) ? 'utf-8' : 'windows-1252';
  }
  const iconvName = encoding === 'windows-1252' ? 'win1252' : encoding;
  function* pieces(stepBytes: number): Generator<Buffer | string> {
    const step = Math.max(4, stepBytes);
    if (encoding === 'utf-8') {
      for (let at = 0; at < body.length; at += step) yield body.subarray(at, at + step);
      return;
    }
    const decoder = iconv.getDecoder(iconvName);
    for (let at = 0; at < body.length; at += step) {
      const text = decoder.write(body.subarray(at, at + step));
      if (text) yield text;
    }
    const rest = decoder.end();
    if (rest) yield rest;
  }
  const head = (bytes: number) => {
    if (encoding === 'utf-8') return new TextDecoder('utf-8', { ignoreBOM: true }).decode(body.subarray(0, bytes), { stream: true });
    const decoder = iconv.getDecoder(iconvName);
    return decoder.write(body.subarray(0, bytes));
  };
  return { encoding, bom, head, pieces };
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

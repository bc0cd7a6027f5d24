// vCard import (.vcf: RFC 2426 vCard 3.0, RFC 6350 vCard 4.0, and the vCard 2.1 that phones and
// older Outlook still export): the file is cut into cards (counted against the row limit while
// cutting), vCard 2.1 quirks are rewritten into 3.0 syntax (bare TYPE parameters,
// quoted-printable values with soft line breaks and a CHARSET), and each card is parsed by
// ical.js. A card becomes one row in the export layout, so import treats it like a CSV row.
import ICAL from 'ical.js';
import iconv from 'iconv-lite';
import type { ErrorDetail } from '../errors.ts';
import type { SheetRow } from './csv-dialect.ts';
import { EXPORT_COLUMNS, EXPORT_HEADERS, type ColumnKey } from './header-aliases.ts';
import { readCard } from '../vcard/card-fields.ts';
import { joinGroups } from './row-input.ts';
import { SheetLimitError, type SheetLimits } from './sheet-limits.ts';

export interface VcardSheet {
  /** Header row (the export layout) followed by one row per readable card; row = card number + 1. */
  rows: SheetRow[];
  /** Cards that could not be read at all, by row (card number + 1). */
  rowErrors: ErrorDetail[];
  /** Numbers and e-mail addresses that did not fit the contact's fields, per row. */
  dropped: { row: number; field: string; value: string; reason: string }[];
}

/** True when the text looks like vCards (after optional blank lines). */
export function looksLikeVcard(text: string): boolean {
  return /^\s*BEGIN:VCARD\s*$/im.test(text.slice(0, 4096)) && /^\s*BEGIN:VCARD/i.test(text.replace(/^\uFEFF/, ''));
}

/** Splits the text into cards, unfolding continuation lines; stops past the row limit. */
function splitCards(text: string, limits: SheetLimits): string[][] {
  const cards: string[][] = [];
  let card: string[] | null = null;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    // RFC 6350 3.2 folding: a line starting with a space or tab continues the previous one
    if (card && card.length > 0 && (line.startsWith(' ') || line.startsWith('\t'))) {
      card[card.length - 1] += line.slice(1);
      if (card[card.length - 1].length > limits.maxCellChars * 4) throw new SheetLimitError(`a line of card ${cards.length + 1} is longer than ${limits.maxCellChars * 4} characters (import.maxCellChars)`);
      continue;
    }
    if (/^BEGIN:VCARD\s*$/i.test(line)) {
      if (cards.length >= limits.maxRows) throw new SheetLimitError(`the file has more than ${limits.maxRows} cards; the limit is ${limits.maxRows} (import.maxRows)`);
      card = [line];
      continue;
    }
    if (!card) continue;
    // vCard 2.1 quoted-printable soft line breaks: "=" at the end of a line continues it
    while (/^[^:]*QUOTED-PRINTABLE[^:]*:/i.test(line) && line.endsWith('=') && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i];
      if (line.length > limits.maxCellChars * 4) throw new SheetLimitError(`a line of card ${cards.length + 1} is longer than ${limits.maxCellChars * 4} characters (import.maxCellChars)`);
    }
    card.push(line);
    if (card.length > limits.maxColumns * 4) throw new SheetLimitError(`card ${cards.length + 1} has more than ${limits.maxColumns * 4} lines`);
    if (/^END:VCARD\s*$/i.test(line)) {
      cards.push(card);
      card = null;
    }
  }
  if (card) cards.push([...card, 'END:VCARD']); // a last card without END: read what it has
  return cards;
}

/** vCard 2.1 lines in 3.0 syntax: "TEL;WORK;VOICE:" -> "TEL;TYPE=WORK;TYPE=VOICE:", QP decoded. */
function modernize(line: string): string {
  const colon = indexOfValue(line);
  if (colon < 0) return line;
  const head = line.slice(0, colon);
  let value = line.slice(colon + 1);
  const parts = head.split(';');
  let qp = false;
  let charset = 'utf-8';
  const params: string[] = [];
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toUpperCase();
    const val = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (eq < 0 && name === 'QUOTED-PRINTABLE') { qp = true; continue; }
    if (name === 'ENCODING' && val.toUpperCase() === 'QUOTED-PRINTABLE') { qp = true; continue; }
    if (name === 'ENCODING' && /^(8BIT|7BIT)$/i.test(val)) continue;
    if (name === 'CHARSET') { charset = val.replace(/"/g, ''); continue; }
    params.push(eq < 0 ? `TYPE=${p.trim()}` : p);
  }
  if (qp) {
    const bytes = Buffer.from(value.replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    const decoded = iconv.encodingExists(charset) ? iconv.decode(bytes, charset) : bytes.toString('utf8');
    // the decoded text is a 3.0 value now: escape what 3.0 escapes (structured values keep ";")
    value = decoded.replace(/\\/g, '\\\\').replace(/\r\n|\r|\n/g, '\\n').replace(/,/g, '\\,');
  }
  return [parts[0], ...params].join(';') + ':' + value;
}

/** Index of the ':' that ends the property name and parameters (quoted parameter values may hold ':'). */
function indexOfValue(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === ':' && !quoted) return i;
  }
  return -1;
}

/** What the preview shows for vCards: which property feeds which field. */
export const VCARD_MAPPING = [
  { column: 'UID', field: 'id' }, { column: 'N (given name)', field: 'firstName' }, { column: 'N (family name)', field: 'lastName' },
  { column: 'FN', field: 'firstName (when N has no name)' }, { column: 'ORG', field: 'company' }, { column: 'TITLE', field: 'title' },
  { column: 'TEL;TYPE=WORK/VOICE', field: 'workNumber' }, { column: 'TEL;TYPE=CELL', field: 'mobileNumber' },
  { column: 'TEL;TYPE=HOME', field: 'homeNumber' }, { column: 'TEL;TYPE=FAX', field: 'faxNumber' },
  { column: 'EMAIL (first)', field: 'email' }, { column: 'CATEGORIES', field: 'groups' },
];

export function readVcards(text: string, limits: SheetLimits): VcardSheet {
  const cards = splitCards(text, limits);
  const header: SheetRow = { row: 1, cells: EXPORT_COLUMNS.map((k) => EXPORT_HEADERS[k]) };
  const out: VcardSheet = { rows: [header], rowErrors: [], dropped: [] };
  cards.forEach((lines, i) => {
    const row = i + 2;
    let comp: ICAL.Component;
    try {
      comp = new ICAL.Component(ICAL.parse(lines.map(modernize).join('\r\n')) as unknown[]);
    } catch (err) {
      out.rowErrors.push({ row, reason: `card ${i + 1} could not be read: ${(err as Error).message}` });
      return;
    }
    // the same reading as CardDAV's (src/vcard/card-fields.ts); what has no field is reported
    const card = readCard(comp);
    const cells: Partial<Record<ColumnKey, string>> = { id: card.uid, ...card.fields, groups: joinGroups(card.fields.groups) };
    for (const l of card.leftOver) out.dropped.push({ row, ...l, reason: `${l.reason}: not imported` });
    out.rows.push({ row, cells: EXPORT_COLUMNS.map((k) => cells[k] ?? '') });
  });
  return out;
}

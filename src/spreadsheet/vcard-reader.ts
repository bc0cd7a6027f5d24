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
    while (/^[^:]*QUOTED-PRINTABLE[^:]*:/i.test(line) && line.endsWith('=') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i];
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

type Slot = 'workNumber' | 'mobileNumber' | 'homeNumber' | 'faxNumber';

/** The field a TEL's types ask for (fax wins over home/work; cell over voice). */
function telSlot(types: string[]): Slot {
  if (types.some((t) => t.includes('fax'))) return 'faxNumber';
  if (types.some((t) => t === 'cell' || t === 'mobile' || t === 'iphone')) return 'mobileNumber';
  if (types.includes('home')) return 'homeNumber';
  return 'workNumber';
}

function paramList(v: unknown): string[] {
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.flatMap((x) => String(x).split(',')).map((x) => x.trim().toLowerCase()).filter(Boolean);
}

/**
 * A value as text. RFC 2426 escapes ";" in every text value, but ical.js unescapes it only in
 * structured ones (N, ORG), so a "\;" left in a plain value is undone here.
 */
function textOf(v: unknown): string {
  if (Array.isArray(v)) return v.map(textOf).filter((s) => s !== '').join(', ');
  return v === null || v === undefined ? '' : String(v).replace(/\\;/g, ';');
}

/** A vCard 4 "tel:" URI as people write numbers: "tel:+1-555-0100;ext=12" -> "+1-555-0100 x12". */
function telText(v: string): string {
  if (!/^tel:/i.test(v)) return v;
  const [num, ...params] = v.slice(4).split(';');
  const ext = params.find((p) => /^ext=/i.test(p));
  return ext ? `${num} x${ext.slice(4)}` : num;
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
    const cells: Partial<Record<ColumnKey, string>> = {};
    const props = comp.getAllProperties();
    const named = (name: string) => props.filter((p) => p.name.replace(/^.*\./, '') === name);
    const first = (name: string) => named(name)[0];
    cells.id = textOf(first('uid')?.getFirstValue());
    const n = first('n')?.getFirstValue() as unknown;
    const nParts = Array.isArray(n) ? n.map(textOf) : typeof n === 'string' ? n.split(';') : [];
    cells.lastName = nParts[0] ?? '';
    cells.firstName = nParts[1] ?? '';
    const org = first('org');
    // ORG is structured (organisation;unit;...): the parts are joined
    cells.company = org ? org.getValues().flatMap((v) => (Array.isArray(v) ? v.map(textOf) : [textOf(v)])).filter((s) => s !== '').join(', ') : '';
    const fn = textOf(first('fn')?.getFirstValue()).trim();
    // no structured name: the formatted name is the name, unless it only repeats the company
    if (!cells.firstName && !cells.lastName && fn && fn !== cells.company) cells.firstName = fn;
    cells.title = textOf(first('title')?.getFirstValue());
    for (const tel of named('tel')) {
      const value = telText(textOf(tel.getFirstValue())).trim();
      if (!value) continue;
      const wanted = telSlot(paramList(tel.getParameter('type')));
      const slot = (wanted === 'faxNumber' ? [wanted] : [wanted, 'workNumber', 'mobileNumber', 'homeNumber']).find((s) => !cells[s as Slot]) as Slot | undefined;
      if (slot) cells[slot] = value;
      else out.dropped.push({ row, field: 'TEL', value, reason: 'more numbers than the contact has fields (work, mobile, home, fax): not imported' });
    }
    const emails = named('email').map((e) => textOf(e.getFirstValue()).replace(/^mailto:/i, '').trim()).filter(Boolean);
    cells.email = emails[0] ?? '';
    for (const extra of emails.slice(1)) out.dropped.push({ row, field: 'EMAIL', value: extra, reason: 'only the first e-mail address is imported' });
    const cats = named('categories').flatMap((c) => c.getValues().map(textOf));
    cells.groups = joinGroups(cats.map((c) => c.trim()).filter(Boolean));
    out.rows.push({ row, cells: EXPORT_COLUMNS.map((k) => cells[k] ?? '') });
  });
  return out;
}

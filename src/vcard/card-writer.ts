// Contact -> vCard, 3.0 (RFC 2426, what iOS expects; the default) or 4.0 (RFC 6350, on request),
// for CardDAV and the vCard export.
// Numbers are written dialable: the number as entered when it is already international
// ("+1 415 555-0100", display kept), else its E.164 form, else (extensions) its digits. In 4.0
// they are tel: URIs whose visual separators (RFC 3966) keep the display grouping.
import type { AccountSettings } from '../domain/account-schemas.ts';
import type { Contact, NumberKind, PhoneNumber } from '../domain/contact-schemas.ts';
import { displayName } from '../domain/display-name.ts';
import { escapeVcard, foldLine } from './vcard-text.ts';

export type VcardVersion = '3.0' | '4.0';

export const VCARD_CONTENT_TYPE = 'text/vcard; charset=utf-8';

const TYPES_3: Record<NumberKind, string> = {
  work: 'WORK,VOICE', extension: 'WORK,VOICE', mobile: 'CELL,VOICE', home: 'HOME,VOICE', fax: 'WORK,FAX',
};
const TYPES_4: Record<NumberKind, string> = {
  work: '"work,voice"', extension: '"work,voice"', mobile: '"cell,voice"', home: '"home,voice"', fax: '"work,fax"',
};

export interface CardOptions {
  version: VcardVersion;
  uid: string;
  nameFormat: AccountSettings['nameFormat'];
  /**
   * 'dialable' (apps: a number to dial from anywhere, the default) or 'as-entered' (the export,
   * so that importing it again changes nothing).
   */
  numbers?: 'dialable' | 'as-entered';
}

export function contactToCard(c: Contact, o: CardOptions): string {
  const v4 = o.version === '4.0';
  const lines = [
    'BEGIN:VCARD',
    `VERSION:${o.version}`,
    'PRODID:-//dialbook//CardDAV//EN',
    `UID:${escapeVcard(o.uid)}`,
    `FN:${escapeVcard(displayName(c, o.nameFormat))}`,
    `N:${escapeVcard(c.lastName)};${escapeVcard(c.firstName)};;;`,
  ];
  if (c.company) lines.push(`ORG:${escapeVcard(c.company)}`);
  if (c.title) lines.push(`TITLE:${escapeVcard(c.title)}`);
  const shown = o.numbers === 'as-entered' ? (n: PhoneNumber) => n.raw : dialable;
  for (const n of c.numbers) lines.push(v4 ? tel4(n) : `TEL;TYPE=${TYPES_3[n.kind]}:${escapeVcard(shown(n))}`);
  if (c.email) lines.push(v4 ? `EMAIL;TYPE=work:${escapeVcard(c.email)}` : `EMAIL;TYPE=INTERNET,WORK:${escapeVcard(c.email)}`);
  if (c.groups.length > 0) lines.push(`CATEGORIES:${c.groups.map(escapeVcard).join(',')}`);
  lines.push(`REV:${basicTimestamp(c.updatedAt)}`, 'END:VCARD');
  let out = '';
  for (const l of lines) out += (l.length <= 37 || Buffer.byteLength(l) <= 75 ? l : foldLine(l)) + '\r\n';
  return out;
}

/** What a phone can dial from anywhere, keeping the entered form when it already is that. */
function dialable(n: PhoneNumber): string {
  if (n.raw.startsWith('+')) return n.raw;
  return n.e164 ?? n.raw;
}

function tel4(n: PhoneNumber): string {
  const d = dialable(n);
  if (!d.startsWith('+')) return `TEL;VALUE=text;TYPE=${TYPES_4[n.kind]}:${escapeVcard(d)}`;
  // RFC 3966 global number: "+" then digits and visual separators - . ( ); an extension as ;ext=
  const m = /^(.*?)(?:\s*(?:x|ext\.?|#)\s*([0-9]{1,6}))?$/i.exec(d)!;
  const main = m[1].replace(/[^0-9+\-.()]+/g, '-').replace(/-{2,}/g, '-').replace(/-$/, '');
  return `TEL;VALUE=uri;TYPE=${TYPES_4[n.kind]}:tel:${main}${m[2] ? `;ext=${m[2]}` : ''}`;
}

/** 2026-11-28T09:04:05.123Z -> 20261128T090405Z (valid in both versions). */
function basicTimestamp(iso: string): string {
  return iso.replace(/\.\d+/, '').replace(/[-:]/g, '');
}

// vCard 3.0 (RFC 2426) export: one card per contact, CRLF lines folded at 75 octets, values
// escaped. Phones and address books import it directly.
import { cleanLine } from '../domain/clean-text.ts';
import type { Contact } from '../domain/contact-schemas.ts';

const TEL_TYPES = [
  ['workNumber', 'WORK,VOICE'], ['mobileNumber', 'CELL,VOICE'], ['homeNumber', 'HOME,VOICE'], ['faxNumber', 'WORK,FAX'],
] as const;

export function escapeVcard(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\r\n|\r|\n/g, '\\n').replace(/,/g, '\\,').replace(/;/g, '\\;');
}

/** Folds a content line at 75 octets without splitting a UTF-8 character. */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let cur = '';
  let bytes = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    const limit = parts.length === 0 ? 75 : 74; // continuation lines start with a space
    if (bytes + n > limit) {
      parts.push(cur);
      cur = '';
      bytes = 0;
    }
    cur += ch;
    bytes += n;
  }
  parts.push(cur);
  return parts.join('\r\n ');
}

export function contactToVcard(stored: Contact): string {
  // the same clean-up as writes and the other exports (a no-op for rows written since it exists)
  const t = (v: string) => cleanLine(v).text;
  const c = {
    ...stored, firstName: t(stored.firstName), lastName: t(stored.lastName), company: t(stored.company), title: t(stored.title),
    workNumber: t(stored.workNumber), mobileNumber: t(stored.mobileNumber), homeNumber: t(stored.homeNumber),
    faxNumber: t(stored.faxNumber), email: t(stored.email), groups: stored.groups.map(t),
  };
  const displayName = [c.firstName, c.lastName].filter(Boolean).join(' ') || c.company;
  const lines = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `UID:${escapeVcard(c.id)}`,
    `N:${escapeVcard(c.lastName)};${escapeVcard(c.firstName)};;;`,
    `FN:${escapeVcard(displayName)}`,
  ];
  if (c.company) lines.push(`ORG:${escapeVcard(c.company)}`);
  if (c.title) lines.push(`TITLE:${escapeVcard(c.title)}`);
  for (const [field, type] of TEL_TYPES) if (c[field]) lines.push(`TEL;TYPE=${type}:${escapeVcard(c[field])}`);
  if (c.email) lines.push(`EMAIL;TYPE=INTERNET:${escapeVcard(c.email)}`);
  if (c.groups.length) lines.push(`CATEGORIES:${c.groups.map(escapeVcard).join(',')}`);
  lines.push(`REV:${c.updatedAt}`, 'END:VCARD');
  return lines.map(foldLine).join('\r\n') + '\r\n';
}

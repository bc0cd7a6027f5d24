// vCard (3.0 or 4.0, parsed by ical.js) -> the admin API's contact input. What dialbook models is
// kept: N (or FN), ORG, TITLE, one TEL per kind (work, cell, home, fax), the first EMAIL and
// CATEGORIES (groups). Everything else (ADR, NOTE, PHOTO, BDAY, URL, further numbers of a kind
// already filled ...) is dropped, and the card the server returns afterwards shows exactly what
// was kept. The result goes through prepareContact like any other write.
import ICAL from 'ical.js';
import type { ContactInput } from '../domain/contact-schemas.ts';
import { ValidationError } from '../errors.ts';

export interface ParsedCard {
  uid: string | null;
  input: ContactInput;
}

type Slot = 'workNumber' | 'mobileNumber' | 'homeNumber' | 'faxNumber';

export function cardToContactInput(text: string): ParsedCard {
  let comp: ICAL.Component;
  try {
    const parsed = ICAL.parse(text) as unknown[];
    if (!Array.isArray(parsed) || parsed[0] !== 'vcard') throw new Error('expected exactly one BEGIN:VCARD ... END:VCARD');
    comp = new ICAL.Component(parsed as [string, unknown[], unknown[]]);
  } catch (err) {
    throw new ValidationError(`The body is not a vCard: ${(err as Error).message}`, [{ field: 'vcard', reason: (err as Error).message }]);
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? v.map(String).join(' ') : v == null ? '' : String(v)).trim();
  const first = (name: string) => comp.getFirstProperty(name)?.getFirstValue();

  const input: ContactInput = {};
  const n = first('n');
  if (Array.isArray(n)) {
    input.lastName = str(n[0]);
    input.firstName = [str(n[1]), str(n[2])].filter(Boolean).join(' ');
  }
  const org = first('org');
  if (org !== undefined) input.company = str(Array.isArray(org) ? org[0] : org);
  const title = first('title');
  if (title !== undefined) input.title = str(title);
  if (!input.firstName && !input.lastName) {
    // No usable N: take FN unless it only repeats the company (a company card).
    const fn = str(first('fn'));
    if (fn && fn !== input.company) {
      const parts = fn.split(/\s+/);
      input.lastName = parts.length > 1 ? parts.pop()! : fn;
      input.firstName = parts.length > 0 && parts[0] !== input.lastName ? parts.join(' ') : '';
    }
  }

  for (const p of comp.getAllProperties('tel')) {
    const value = telValue(str(p.getFirstValue()));
    if (!value) continue;
    const slot = slotFor(typesOf(p));
    if (!input[slot]) input[slot] = value;
  }
  const email = comp.getFirstProperty('email');
  if (email) input.email = str(email.getFirstValue());
  const groups: string[] = [];
  for (const p of comp.getAllProperties('categories')) for (const v of p.getValues()) if (str(v)) groups.push(str(v));
  if (groups.length > 0) input.groups = groups;

  const uid = str(first('uid')) || null;
  return { uid, input };
}

function typesOf(p: ICAL.Property): string[] {
  const t = p.getParameter('type');
  const list = Array.isArray(t) ? t : typeof t === 'string' ? [t] : [];
  return list.flatMap((x) => String(x).toLowerCase().split(',')).map((x) => x.trim());
}

function slotFor(types: string[]): Slot {
  if (types.includes('fax')) return 'faxNumber';
  if (types.includes('cell') || types.includes('iphone') || types.includes('mobile')) return 'mobileNumber';
  if (types.includes('home')) return 'homeNumber';
  return 'workNumber';
}

/** "tel:+1-415-555-0100;ext=12" -> "+1-415-555-0100 x12"; plain text values as they are. */
function telValue(v: string): string {
  if (!/^tel:/i.test(v)) return v;
  const [num, ...params] = v.slice(4).split(';');
  const ext = params.find((p) => p.toLowerCase().startsWith('ext='));
  return ext ? `${num} x${ext.slice(4)}` : num;
}

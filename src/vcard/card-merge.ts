// The card an app gets for a contact whose card it wrote: the kept card, with the fields dialbook
// models laid over it where they changed since (a manager's edit, an import). Nothing else of the
// card is touched, so what an app stored (photo, addresses, notes, further numbers, labels, the
// name as written) comes back as it was; unchanged, the kept bytes come back exactly, and a changed
// card keeps every line it did not change as the app wrote it (ical.js would write names upper-case
// and dates in another form: harmless to the protocol, but not the card the app stored).
import ICAL from 'ical.js';
import type { AccountSettings } from '../domain/account-schemas.ts';
import { contactFields, NUMBER_FIELDS, NUMBER_KIND, type Contact, type ContactFields, type NumberField } from '../domain/contact-schemas.ts';
import { displayName } from '../domain/display-name.ts';
import { cardToContact } from './card-contact.ts';
import { foldLine } from './vcard-text.ts';

export interface MergeOptions {
  region: string;
  nameFormat: AccountSettings['nameFormat'];
}

/** Whether the card's own fields are the contact's: then the kept card is served as it is. */
export function cardShowsContact(cardFields: ContactFields, contact: Contact): boolean {
  const now = contactFields(contact);
  return (Object.keys(now) as (keyof ContactFields)[]).every((f) => !fieldChanged(cardFields, now, f));
}

const fieldChanged = (was: ContactFields, now: ContactFields, f: keyof ContactFields) =>
  (f === 'groups' ? was.groups.join('\n') !== now.groups.join('\n') : was[f] !== now[f]);

export function mergeCard(kept: string, contact: Contact, o: MergeOptions): string {
  const base = cardToContact(kept, o.region);
  const was = base.contact.fields;
  if (cardShowsContact(was, contact)) return kept;
  const now = contactFields(contact);
  const changed = (f: keyof ContactFields) => fieldChanged(was, now, f);

  const comp = base.comp;
  // each property as ical.js writes it before the changes: what is written the same after them is unchanged
  const original = comp.getAllProperties().map((p) => ({ p, was: p.toICALString() }));
  const v4 = String(comp.getFirstPropertyValue('version')) === '4.0';
  const setText = (name: string, value: string) => {
    const p = comp.getFirstProperty(name);
    if (!value) { if (p) comp.removeProperty(p); return; }
    if (p) p.setValue(value); else comp.addPropertyWithValue(name, value);
  };
  if (changed('firstName') || changed('lastName')) {
    const p = comp.getFirstProperty('n');
    const rest = (p?.getFirstValue() as unknown as string[] | undefined)?.slice(2) ?? ['', '', ''];
    const value = [now.lastName, now.firstName, ...rest];
    if (p) p.setValue(value as unknown as string); else comp.addPropertyWithValue('n', value as unknown as string);
  }
  if (changed('firstName') || changed('lastName') || changed('company')) {
    setText('fn', renamedFn(String(comp.getFirstPropertyValue('fn') ?? ''), was, now, o.nameFormat));
  }
  if (changed('company')) {
    const p = comp.getFirstProperty('org');
    if (!now.company) { if (p) comp.removeProperty(p); } else if (p) p.setValue([now.company] as unknown as string);
    else comp.addPropertyWithValue('org', [now.company] as unknown as string);
  }
  if (changed('title')) setText('title', now.title);
  for (const f of NUMBER_FIELDS) if (changed(f)) setNumber(comp, base.reading.sources[f], f, contact, v4);
  if (changed('email')) {
    const p = base.reading.sources.email;
    if (!now.email) { if (p) comp.removeProperty(p); } else if (p) p.setValue(p.getFirstValue()?.toString().toLowerCase().startsWith('mailto:') ? `mailto:${now.email}` : now.email);
    else addTyped(comp, 'email', now.email, v4 ? ['work'] : ['INTERNET', 'WORK']);
  }
  if (changed('groups')) {
    for (const p of comp.getAllProperties('categories')) comp.removeProperty(p);
    if (now.groups.length > 0) {
      const p = new ICAL.Property('categories', comp);
      p.setValues(now.groups);
      comp.addProperty(p);
    }
  }
  const rev = comp.getFirstProperty('rev');
  if (rev) {
    // ical.js takes a time in its extended form ("2026-12-07T15:33:28Z") and writes it as the card's
    // version does; a vCard 4 REV (a timestamp) refuses the basic form, and a REV written as a bare
    // date would take the time as a date.
    if (rev.type === 'date') rev.resetType(v4 ? 'timestamp' : 'date-time');
    rev.setValue(contact.updatedAt.replace(/\.\d+/, ''));
  }
  return writeKeepingLines(kept, original, comp);
}

/**
 * The changed card: each property still there and unchanged as its line in the kept card, the
 * changed and added ones written by ical.js. ical.js reads one property per content line, in
 * order; should the count ever differ, the whole card is written by ical.js.
 */
function writeKeepingLines(kept: string, original: { p: ICAL.Property; was: string }[], comp: ICAL.Component): string {
  const lines: string[] = [];
  for (const line of kept.split(/\r\n|\r|\n/)) {
    if (/^[ \t]/.test(line) && lines.length > 0) lines[lines.length - 1] += '\r\n' + line;
    else if (line !== '') lines.push(line);
  }
  const body = lines.slice(1, -1); // BEGIN:VCARD ... END:VCARD
  if (body.length !== original.length) return comp.toString() + '\r\n';
  const rawOf = new Map(original.map(({ p, was }, i) => [p, { raw: body[i], was }]));
  const out = comp.getAllProperties().map((p) => {
    const kept = rawOf.get(p);
    const now = p.toICALString();
    if (!kept) return foldLine(now);
    if (kept.was === now) return kept.raw;
    // a changed property keeps its name as the app wrote it ("item1.TEL": Apple pairs it with "item1.X-ABLabel")
    const name = /^[^;:]+/.exec(kept.raw)![0];
    return foldLine(name.toUpperCase() === /^[^;:]+/.exec(now)![0] ? name + now.slice(name.length) : now);
  });
  return [lines[0], ...out, lines[lines.length - 1]].join('\r\n') + '\r\n';
}

const TYPES: Record<'work' | 'mobile' | 'home' | 'fax', string[]> = {
  work: ['WORK', 'VOICE'], mobile: ['CELL', 'VOICE'], home: ['HOME', 'VOICE'], fax: ['WORK', 'FAX'],
};

/** A number field changed: its TEL takes the new number (in the form it had), goes, or is added. */
function setNumber(comp: ICAL.Component, p: ICAL.Property | undefined, f: NumberField, contact: Contact, v4: boolean): void {
  const kind = NUMBER_KIND[f];
  const n = contact.numbers.find((x) => x.kind === kind);
  if (!n) { if (p) comp.removeProperty(p); return; }
  const uri = `tel:${n.e164 ?? n.digits}`;
  // the form the app wrote: a "tel:" URI, or text (a vCard 4 TEL without VALUE=text is still text
  // when it does not start with "tel:"; DAVx5 writes them so)
  if (p) p.setValue(String(p.getFirstValue()).toLowerCase().startsWith('tel:') ? uri : n.raw);
  else addTyped(comp, 'tel', v4 ? uri : n.raw, v4 ? TYPES[kind].map((t) => t.toLowerCase()) : TYPES[kind]);
}

function addTyped(comp: ICAL.Component, name: string, value: string, types: string[]): void {
  const p = new ICAL.Property(name, comp);
  p.setParameter('type', types);
  p.setValue(value);
  comp.addProperty(p);
}

/**
 * FN after a name change: the app's own FN with the old name parts replaced by the new ones, so
 * "Dr. María Elena Sánchez" becomes "Dr. María Elena García", not the short display name. When
 * a changed first or last name is not found in it, the account's display name.
 */
function renamedFn(fn: string, was: ContactFields, now: ContactFields, nameFormat: MergeOptions['nameFormat']): string {
  let out = fn;
  for (const f of ['lastName', 'firstName', 'company'] as const) {
    if (was[f] === now[f]) continue;
    if (was[f] && out.includes(was[f])) out = out.replace(was[f], now[f]);
    else if (f !== 'company') return displayName(now, nameFormat); // a company is often not in a person's FN
  }
  out = out.replace(/\s{2,}/g, ' ').replace(/^[\s,]+|[\s,]+$/g, '');
  return out || displayName(now, nameFormat);
}

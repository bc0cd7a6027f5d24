// The card an app gets for a contact whose card it wrote: the kept card, with the fields dialbook
// models laid over it where they changed since (a manager's edit, an import). Nothing else of the
// card is touched, so what an app stored (photo, addresses, notes, further numbers, labels, the
// name as written) comes back as it was; unchanged, the kept bytes come back exactly.
import ICAL from 'ical.js';
import type { AccountSettings } from '../domain/account-schemas.ts';
import { contactFields, NUMBER_FIELDS, NUMBER_KIND, type Contact, type ContactFields, type NumberField } from '../domain/contact-schemas.ts';
import { displayName } from '../domain/display-name.ts';
import { cardToContact } from './card-contact.ts';

export interface MergeOptions {
  region: string;
  nameFormat: AccountSettings['nameFormat'];
}

export function mergeCard(kept: string, contact: Contact, o: MergeOptions): string {
  const base = cardToContact(kept, o.region);
  const was = base.contact.fields;
  const now = contactFields(contact);
  const changed = (f: keyof ContactFields) => (f === 'groups' ? was.groups.join('\n') !== now.groups.join('\n') : was[f] !== now[f]);
  const fields = Object.keys(now) as (keyof ContactFields)[];
  if (!fields.some(changed)) return kept;

  const comp = base.comp;
  const v4 = String(comp.getFirstPropertyValue('version')) === '4.0';
  const edit = new CardEdit(comp);
  const setText = (name: string, value: string) => {
    const p = comp.getFirstProperty(name);
    if (!value) { if (p) edit.remove(p); return; }
    if (p) edit.set(p, value); else edit.add(name, value);
  };
  if (changed('firstName') || changed('lastName')) {
    const p = comp.getFirstProperty('n');
    const rest = (p?.getFirstValue() as unknown as string[] | undefined)?.slice(2) ?? ['', '', ''];
    const value = [now.lastName, now.firstName, ...rest];
    if (p) edit.set(p, value); else edit.add('n', value);
  }
  if (changed('firstName') || changed('lastName') || changed('company')) setText('fn', displayName(now, o.nameFormat));
  if (changed('company')) {
    const p = comp.getFirstProperty('org');
    if (!now.company) { if (p) edit.remove(p); } else if (p) edit.set(p, [now.company]); else edit.add('org', [now.company]);
  }
  if (changed('title')) setText('title', now.title);
  for (const f of NUMBER_FIELDS) if (changed(f)) setNumber(edit, base.reading.sources[f], f, contact, v4);
  if (changed('email')) {
    const p = base.reading.sources.email;
    if (!now.email) { if (p) edit.remove(p); } else if (p) edit.set(p, String(p.getFirstValue()).toLowerCase().startsWith('mailto:') ? `mailto:${now.email}` : now.email);
    else edit.add('email', now.email, v4 ? ['work'] : ['INTERNET', 'WORK']);
  }
  if (changed('groups')) {
    for (const p of comp.getAllProperties('categories')) edit.remove(p);
    if (now.groups.length > 0) edit.add('categories', now.groups);
  }
  const rev = comp.getFirstProperty('rev');
  if (rev) edit.set(rev, contact.updatedAt.replace(/\.\d+/, '')); // ical.js writes it in the card's own form
  return edit.text(kept, v4);
}

/**
 * Changes to a kept card, written back line by line: a property not touched keeps its original
 * text (its case, parameter spelling, folding, date form), so an app sees only what changed.
 * ical.js keeps a card's properties in the order of its content lines, which ties each to its line.
 */
class CardEdit {
  private readonly before: ICAL.Property[];
  private readonly touched = new Set<ICAL.Property>();
  private readonly removed = new Set<ICAL.Property>();
  private readonly added: ICAL.Property[] = [];

  constructor(private readonly comp: ICAL.Component) {
    this.before = comp.getAllProperties().slice();
  }

  set(p: ICAL.Property, value: string | string[]): void {
    if (Array.isArray(value) && p.name !== 'categories') p.setValue(value as unknown as string);
    else if (Array.isArray(value)) p.setValues(value);
    else p.setValue(value);
    this.touched.add(p);
  }

  remove(p: ICAL.Property): void {
    this.comp.removeProperty(p);
    this.removed.add(p);
  }

  add(name: string, value: string | string[], types?: string[]): void {
    const p = new ICAL.Property(name, this.comp);
    if (types) p.setParameter('type', types);
    if (Array.isArray(value) && name === 'categories') p.setValues(value);
    else p.setValue(value as string);
    this.comp.addProperty(p);
    this.added.push(p);
  }

  text(kept: string, v4: boolean): string {
    const design = v4 ? ICAL.design.vcard : ICAL.design.vcard3;
    const line = (p: ICAL.Property) => ICAL.stringify.property(p.toJSON(), design, false);
    const raw = contentLines(kept);
    // BEGIN, one line per property, END: anything else (a card ical.js read differently) is
    // written whole by ical.js instead.
    if (raw.length !== this.before.length + 2) return this.comp.toString() + '\r\n';
    const out = [raw[0]];
    this.before.forEach((p, i) => {
      if (this.removed.has(p)) return;
      out.push(this.touched.has(p) ? line(p) : raw[i + 1]);
    });
    for (const p of this.added) out.push(line(p));
    out.push(raw[raw.length - 1]);
    return out.join('\r\n') + '\r\n';
  }
}

/** The card's content lines as written (a folded line with its continuations), blank lines left out. */
function contentLines(text: string): string[] {
  const out: string[] = [];
  for (const l of text.split(/\r\n|\r|\n/)) {
    if ((l.startsWith(' ') || l.startsWith('\t')) && out.length > 0) out[out.length - 1] += '\r\n' + l;
    else if (l !== '') out.push(l);
  }
  return out;
}

const TYPES: Record<'work' | 'mobile' | 'home' | 'fax', string[]> = {
  work: ['WORK', 'VOICE'], mobile: ['CELL', 'VOICE'], home: ['HOME', 'VOICE'], fax: ['WORK', 'FAX'],
};

/** A number field changed: its TEL takes the new number (in the form it had), goes, or is added. */
function setNumber(edit: CardEdit, p: ICAL.Property | undefined, f: NumberField, contact: Contact, v4: boolean): void {
  const kind = NUMBER_KIND[f];
  const n = contact.numbers.find((x) => x.kind === kind);
  if (!n) { if (p) edit.remove(p); return; }
  const uri = `tel:${n.e164 ?? n.digits}`;
  if (p) edit.set(p, p.type === 'uri' || String(p.getFirstValue()).startsWith('tel:') ? uri : n.raw);
  else edit.add('tel', v4 ? uri : n.raw, v4 ? TYPES[kind].map((t) => t.toLowerCase()) : TYPES[kind]);
}

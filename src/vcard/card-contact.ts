// A card as the contact it gives, the same way for a CardDAV write and for reading a kept card
// back (card-merge.ts): readCard's fields through prepareContact. An app's card is never refused
// for a number phones cannot use (a note typed into a phone field, a number with letters beyond
// a dial string): the number stays in the card the app gets back, phones do not get it, and the
// writer gets a warning.
import type ICAL from 'ical.js';
import { NUMBER_FIELDS, type NumberField } from '../domain/contact-schemas.ts';
import { tryPrepareContact, type ContactWarning, type PreparedContact } from '../domain/prepare-contact.ts';
import { invalidInput } from '../errors.ts';
import { parseVcard, readCard, type CardReading } from './card-fields.ts';

export interface CardContact {
  comp: ICAL.Component;
  reading: CardReading;
  /** The fields as stored (without the card itself). */
  contact: PreparedContact;
  warnings: ContactWarning[];
}

export function cardToContact(text: string, region: string): CardContact {
  const comp = parseVcard(text);
  const reading = readCard(comp);
  const input = { ...reading.fields, groups: [...reading.fields.groups] };
  // A card with neither name nor company (vCard requires FN, but some send it empty): its address names it.
  if (!input.firstName && !input.lastName && !input.company && input.email) input.firstName = input.email;
  const warnings: ContactWarning[] = [];
  let result = tryPrepareContact(input, region);
  if (!result.ok) {
    const bad = result.errors.filter((e) => (NUMBER_FIELDS as readonly string[]).includes(e.field ?? ''));
    for (const e of bad) {
      const field = e.field as NumberField;
      warnings.push({ field, value: input[field], code: 'value_not_imported', reason: `${e.reason}: kept in the card, phones do not get it` });
      input[field] = '';
      delete reading.sources[field]; // a number set later gets a TEL of its own
    }
    if (bad.length > 0) result = tryPrepareContact(input, region);
  }
  if (!result.ok) {
    throw invalidInput('card', result.errors);
  }
  return { comp, reading, contact: result.contact, warnings: [...warnings, ...result.warnings] };
}

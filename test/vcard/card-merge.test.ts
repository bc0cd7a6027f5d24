// The kept card with the modelled fields laid over it (src/vcard/card-merge.ts), on its own: what
// did not change keeps its exact text, what changed is rewritten in place, in the card's version.
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../src/domain/contact-schemas.ts';
import { cardToContact } from '../../src/vcard/card-contact.ts';
import { mergeCard } from '../../src/vcard/card-merge.ts';

const O = { region: 'US', nameFormat: 'first_last' } as const;

/** The contact a card gives, as the store would hold it, with `patch` applied (numbers: pass them with the fields). */
function stored(card: string, patch: Partial<Contact> = {}): Contact {
  const { contact } = cardToContact(card, 'US');
  const base: Contact = {
    id: 'c1', accountId: 'acme', source: 'personal', userId: 'u1', ...contact.fields, numbers: contact.numbers,
    createdAt: '2026-12-01T10:00:00.000Z', createdBy: null, updatedAt: '2026-12-07T09:30:15.000Z', updatedBy: null, revision: 2,
  };
  return { ...base, ...patch };
}

const V3 = [
  'BEGIN:VCARD', 'VERSION:3.0', 'N:Doe;Jane;Q.;Ms.;', 'FN:Ms. Jane Q. Doe', 'ORG:Acme;Sales', 'TITLE:Buyer',
  'item1.EMAIL;type=INTERNET;type=pref:jane@acme.example', 'item1.X-ABLabel:work',
  'TEL;type=WORK;type=VOICE:+1 415 555 0100', 'TEL;type=HOME;type=FAX:+1 415 555 0199',
  'NOTE:Line one\\nline two', 'BDAY;value=date:1980-02-29', 'CATEGORIES:Suppliers', 'REV:2026-12-01T10:00:00Z', 'END:VCARD', '',
].join('\r\n');

describe('mergeCard', () => {
  it('gives the kept bytes back while nothing modelled changed', () => {
    expect(mergeCard(V3, stored(V3), O)).toBe(V3);
  });

  it('rewrites only the changed property, in its place; every other line keeps its text', () => {
    const out = mergeCard(V3, stored(V3, { title: 'Head Buyer' }), O).split('\r\n');
    const before = V3.split('\r\n');
    const diff = out.map((l, i) => [before[i], l]).filter(([a, b]) => a !== b);
    expect(diff).toEqual([['TITLE:Buyer', 'TITLE:Head Buyer'], ['REV:2026-12-01T10:00:00Z', 'REV:20261207T093015Z']]);
  });

  it('keeps the middle name, prefix and the grouped e-mail\'s label when the name and address change', () => {
    const out = mergeCard(V3, stored(V3, { lastName: 'Smith', email: 'jane.smith@acme.example' }), O);
    expect(out).toContain('\r\nN:Smith;Jane;Q.;Ms.;\r\n');
    expect(out).toContain('\r\nFN:Ms. Jane Q. Smith\r\n');
    expect(out).toMatch(/\r\nITEM1\.EMAIL;TYPE=INTERNET,pref:jane\.smith@acme\.example\r\n|\r\nitem1\.EMAIL[^\r]*:jane\.smith@acme\.example\r\n/i);
    expect(out).toContain('\r\nitem1.X-ABLabel:work\r\n');
    expect(out).toContain('\r\nBDAY;value=date:1980-02-29\r\n');
  });

  it('drops the TEL of a cleared number, keeps the home fax as a home fax, adds a TEL for a new number', () => {
    const { contact } = cardToContact(V3.replace('TEL;type=WORK;type=VOICE:+1 415 555 0100\r\n', 'TEL;type=CELL:+1 415 555 0177\r\n'), 'US');
    const c = stored(V3, { workNumber: '', mobileNumber: '+1 415 555 0177', numbers: contact.numbers });
    const out = mergeCard(V3, c, O);
    expect(out).not.toContain('555 0100');
    expect(out).toContain('\r\nTEL;type=HOME;type=FAX:+1 415 555 0199\r\n');
    expect(out).toContain('\r\nTEL;TYPE=CELL,VOICE:+1 415 555 0177\r\n');
  });

  it('rewrites CATEGORIES after a group rename and ORG when the company is cleared', () => {
    const out = mergeCard(V3, stored(V3, { groups: ['Vendors'], company: '' }), O);
    expect(out).toContain('\r\nCATEGORIES:Vendors\r\n');
    expect(out).not.toContain('ORG:');
  });

  it('writes a vCard 4 tel: URI back as a URI', () => {
    const v4 = 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Vera Four\r\nN:Four;Vera;;;\r\nTEL;VALUE=uri;TYPE="work,voice":tel:+1-415-555-0100\r\nEND:VCARD\r\n';
    const { contact } = cardToContact(v4.replace('tel:+1-415-555-0100', 'tel:+1-415-555-0111'), 'US');
    const out = mergeCard(v4, stored(v4, { workNumber: contact.fields.workNumber, numbers: contact.numbers }), O);
    expect(out).toMatch(/\r\nTEL;[^\r]*:tel:\+14155550111\r\n/);
    expect(out.startsWith('BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Vera Four\r\nN:Four;Vera;;;\r\n')).toBe(true);
  });
});

describe('FN after a name change', () => {
  const card = 'BEGIN:VCARD\r\nVERSION:3.0\r\nN:Sánchez;María;Elena;Dr.;\r\nFN:Dr. María Elena Sánchez\r\nTEL:+1 415 555 0100\r\nEND:VCARD\r\n';
  it('replaces the changed part in the app\'s own FN, keeping title and middle name', () => {
    const out = mergeCard(card, stored(card, { lastName: 'García' }), O);
    expect(out).toContain('\r\nFN:Dr. María Elena García\r\n');
    expect(out).toContain('\r\nN:García;María;Elena;Dr.;\r\n');
  });
  it('falls back to the display name when the old name is not in FN', () => {
    const odd = card.replace('FN:Dr. María Elena Sánchez', 'FN:The Doctor');
    expect(mergeCard(odd, stored(odd, { firstName: 'Marta' }), O)).toContain('\r\nFN:Marta Sánchez\r\n');
  });
});

// The vCard mapping on its own (pure functions): contact -> 3.0/4.0 card, card -> contact fields.
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../src/domain/contact-schemas.ts';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { parseVcard, readCard } from '../../src/vcard/card-fields.ts';
import { contactToCard } from '../../src/vcard/card-writer.ts';
import { mergeCard } from '../../src/vcard/card-merge.ts';
import { cardLines } from '../carddav/carddav-helpers.ts';

function cardToContactInput(text: string) {
  const r = readCard(parseVcard(text));
  // only the fields the card fills, as the API would receive them
  const input = Object.fromEntries(Object.entries(r.fields).filter(([, v]) => (Array.isArray(v) ? v.length > 0 : v !== '')));
  return { uid: r.uid || null, input, leftOver: r.leftOver, kind: r.kind };
}

function contact(input: object): Contact {
  const p = prepareContact(input, 'US');
  return {
    id: '01a22177-4d3f-7000-9dcb-28bc5184b31a', accountId: 'acme', source: 'shared', userId: null, ...p.fields, numbers: p.numbers,
    createdAt: '2026-11-28T09:00:00.000Z', createdBy: null, updatedAt: '2026-11-28T09:04:05.123Z', updatedBy: null, revision: 3,
  };
}

describe('contact -> vCard', () => {
  const c = contact({ firstName: 'Ann', lastName: 'Lee; Jr', company: 'A, B & C', workNumber: '+1 415 555 0100 x12', mobileNumber: '(415) 555-0101', faxNumber: '301', groups: ['Sales', 'VIP'] });
  it('writes 3.0 with escaped values, typed dialable numbers and categories', () => {
    const l = cardLines(contactToCard(c, { version: '3.0', uid: c.id, nameFormat: 'last_first' }));
    expect(l).toEqual([
      'BEGIN:VCARD', 'VERSION:3.0', 'PRODID:-//dialbook//CardDAV//EN', `UID:${c.id}`, 'FN:Lee\\; Jr\\, Ann', 'N:Lee\\; Jr;Ann;;;', 'ORG:A\\, B & C',
      'TEL;TYPE=WORK,VOICE:+1 415 555 0100 x12', 'TEL;TYPE=CELL,VOICE:+14155550101', 'TEL;TYPE=WORK,FAX:301',
      'CATEGORIES:Sales,VIP', 'REV:20261128T090405Z', 'END:VCARD',
    ]);
  });
  it('writes 4.0 numbers as tel: URIs keeping the grouping, extensions as text', () => {
    const l = cardLines(contactToCard(c, { version: '4.0', uid: c.id, nameFormat: 'first_last' }));
    expect(l).toContain('VERSION:4.0');
    expect(l).toContain('FN:Ann Lee\\; Jr');
    expect(l).toContain('TEL;VALUE=uri;TYPE="work,voice":tel:+1-415-555-0100;ext=12');
    expect(l).toContain('TEL;VALUE=uri;TYPE="cell,voice":tel:+14155550101');
    expect(l).toContain('TEL;VALUE=text;TYPE="work,fax":301');
  });
  it('folds long lines at 75 octets without splitting characters', () => {
    const long = contact({ company: 'Ü'.repeat(120), workNumber: '201' });
    const raw = contactToCard(long, { version: '3.0', uid: long.id, nameFormat: 'first_last' });
    for (const line of raw.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    expect(cardLines(raw)).toContain(`ORG:${'Ü'.repeat(120)}`);
  });
});

describe('vCard -> contact input', () => {
  it('reads 3.0: N, ORG (parts joined), TITLE, typed numbers (a taken kind to a free voice field), first email, categories', () => {
    const r = cardToContactInput('BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nN:Doe;John;Q;;\r\nFN:John Doe\r\nORG:Acme\\, Inc;Sales\r\nTITLE:Boss\r\n'
      + 'TEL;TYPE=WORK,VOICE:+1 415 555 0100\r\nTEL;TYPE=CELL:555-0101\r\nTEL;TYPE=CELL:555-0199\r\nTEL;TYPE=HOME:555-0102\r\nTEL;TYPE=WORK,FAX:555-0103\r\n'
      + 'item1.EMAIL;TYPE=INTERNET:j@doe.test\r\nEMAIL:second@doe.test\r\nCATEGORIES:A,B\\,C\r\nNOTE:not kept\r\nEND:VCARD\r\n');
    expect(r.uid).toBe('u1');
    expect(r.input).toEqual({ lastName: 'Doe', firstName: 'John', company: 'Acme, Inc, Sales', title: 'Boss', workNumber: '+1 415 555 0100', mobileNumber: '555-0101', homeNumber: '555-0102', faxNumber: '555-0103', email: 'j@doe.test', groups: ['A', 'B,C'] });
    // the second cell number found no free field; the second address none either
    expect(r.leftOver.map((l) => l.value)).toEqual(['555-0199', 'second@doe.test']);
  });
  it('reads 4.0 tel: URIs with extensions, and FN whole when there is no N (never split: 山田 太郎 has the family name first)', () => {
    const r = cardToContactInput('BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:x\r\nFN:Mary Ann Smith\r\nTEL;VALUE=uri;TYPE="work,voice":tel:+1-415-555-0100;ext=7\r\nEND:VCARD\r\n');
    expect(r.input).toMatchObject({ firstName: 'Mary Ann Smith', workNumber: '+1-415-555-0100 x7' });
    expect(r.input).not.toHaveProperty('lastName');
    expect(r.uid).toBe('urn:uuid:x');
    expect(prepareContact(r.input, 'US').numbers[0].e164).toBe('+14155550100');
  });
  it('treats a card whose FN is its ORG as a company card', () => {
    const r = cardToContactInput('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Acme Plumbing\r\nORG:Acme Plumbing\r\nTEL:415 555 0199\r\nEND:VCARD\r\n');
    expect(r.input).toEqual({ company: 'Acme Plumbing', workNumber: '415 555 0199' });
    expect(r.uid).toBeNull();
    expect(r.kind).toBe('individual');
  });
  it('tells group cards of both styles', () => {
    expect(cardToContactInput('BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:Team\r\nMEMBER:urn:uuid:a\r\nEND:VCARD\r\n').kind).toBe('group');
    expect(cardToContactInput('BEGIN:VCARD\r\nVERSION:3.0\r\nN:Team;;;;\r\nFN:Team\r\nX-ADDRESSBOOKSERVER-KIND:group\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:a\r\nEND:VCARD\r\n').kind).toBe('group');
  });
  it('refuses what is not exactly one vCard', () => {
    expect(() => cardToContactInput('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n')).toThrow(/not a vCard/);
    expect(() => cardToContactInput('garbage')).toThrow(/not a vCard/);
  });
});

describe('kept card with a changed number', () => {
  // DAVx5 writes vCard 4 with REV and text TELs; a manager then changes the work number
  const kept = (version: string, rev: string) => `BEGIN:VCARD\r\nVERSION:${version}\r\nUID:k1\r\nFN:Dr. Ann Lee\r\nN:Lee;Ann;;Dr.;\r\n`
    + `TEL;TYPE=work:+1 415 555 0100\r\nTEL;TYPE=cell:tel:+14155550101\r\nNOTE:kept\r\nREV:${rev}\r\nEND:VCARD\r\n`;
  for (const [version, rev] of [['4.0', '20261207T101500Z'], ['3.0', '2026-12-07T10:15:00Z'], ['3.0', '2026-12-07']]) {
    it(`vCard ${version} with REV:${rev}: only that TEL (in the form it had) and REV change`, () => {
      const changed = contact({ firstName: 'Ann', lastName: 'Lee', workNumber: '+1 415 555 0199', mobileNumber: '+1 415 555 0101' });
      const before = cardLines(kept(version, rev));
      const after = cardLines(mergeCard(kept(version, rev), changed, { region: 'US', nameFormat: 'first_last' }));
      expect(after.filter((l) => !before.includes(l))).toEqual(['TEL;TYPE=work:+1 415 555 0199', 'REV:20261128T090405Z']);
      expect(before.filter((l) => !after.includes(l))).toEqual(['TEL;TYPE=work:+1 415 555 0100', `REV:${rev}`]);
    });
  }
});

describe('kept vCard 4 card with a data: URI photo', () => {
  it('keeps the photo URI unescaped when a change rewrites the card', () => {
    const kept = 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:k2\r\nFN:Ann Lee\r\nN:Lee;Ann;;;\r\nTEL;TYPE=work:+1 415 555 0100\r\n'
      + 'PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRg==\r\nURL:https://example.test/a,b\r\nEND:VCARD\r\n';
    const changed = contact({ firstName: 'Ann', lastName: 'Lee', workNumber: '+1 415 555 0199' });
    const after = cardLines(mergeCard(kept, changed, { region: 'US', nameFormat: 'first_last' }));
    expect(after).toContain('PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRg==');
    expect(after).toContain('URL:https://example.test/a,b');
  });
});

describe('kept card rewritten for a change', () => {
  it('keeps every line it did not change as the app wrote it, and the changed line\'s name', () => {
    const kept = 'BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.1//EN\r\nN:Lee;Ann;;;\r\nFN:Ann Lee\r\n'
      + 'item1.TEL;type=pref:+1 415 555 0100\r\nitem1.X-ABLabel:_$!<Work>!$_\r\nBDAY;value=date:1979-03-14\r\nNOTE:a\\, b\r\nEND:VCARD\r\n';
    const changed = contact({ firstName: 'Ann', lastName: 'Lee', workNumber: '+1 415 555 0199' });
    const after = mergeCard(kept, changed, { region: 'US', nameFormat: 'first_last' });
    expect(after).toBe(kept.replace('item1.TEL;type=pref:+1 415 555 0100', 'item1.TEL;TYPE=pref:+1 415 555 0199'));
  });
});

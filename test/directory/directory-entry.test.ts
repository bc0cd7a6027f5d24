// The compact entry (issue 24) gives back exactly the contact the store returned: LDAP entries,
// phonebooks and CardDAV are made from entry.contact, so any difference would change an answer.
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../src/domain/contact-schemas.ts';
import { type DirEntry, entryVisible, isVisible, StringPool, toEntry } from '../../src/directory/directory-entry.ts';
import { ColumnReader, ColumnWriter } from '../../src/directory/entry-columns.ts';

const base: Contact = {
  id: 'c-1', accountId: 'acme', source: 'shared', userId: null,
  firstName: 'José', lastName: 'Álvarez', company: 'Acme', title: 'Buyer',
  workNumber: '+1 (212) 555-0100', mobileNumber: '', homeNumber: '', faxNumber: '212-555-0199',
  email: 'jose@example.com', groups: ['Suppliers', 'Équipe'],
  numbers: [
    { kind: 'work', raw: '+1 (212) 555-0100', e164: '+12125550100', digits: '12125550100' },
    { kind: 'fax', raw: '212-555-0199', e164: '+12125550199', digits: '12125550199' },
  ],
  createdAt: '2026-01-02T03:04:05.678Z', createdBy: 'admin', updatedAt: '2026-02-03T04:05:06.789Z', updatedBy: null,
  revision: 7,
};

const variants: Record<string, Contact> = {
  'a usual contact': base,
  'no number, no group': { ...base, workNumber: '', faxNumber: '', numbers: [], groups: [] },
  'an extension without e164 (internal user)': {
    ...base, source: 'user', userId: 'u-1', workNumber: '', faxNumber: '', groups: [],
    numbers: [{ kind: 'extension', raw: '4711', e164: null, digits: '4711' }],
  },
  'a number field that differs from its number': { ...base, workNumber: '(212) 555-0100' },
  'an e164 that is not +digits': { ...base, numbers: [{ ...base.numbers[0], e164: '+442071234567' }, base.numbers[1]] },
  'two numbers of one kind': {
    ...base, faxNumber: '', numbers: [base.numbers[0], { kind: 'work', raw: '555 0101', e164: null, digits: '5550101' }],
  },
};

describe('directory entry', () => {
  for (const [name, c] of Object.entries(variants)) {
    it(`gives back ${name} as stored`, () => {
      const e = toEntry(c, 3);
      expect(e.contact).toEqual(c);
      expect(e.numberCount).toBe(c.numbers.length);
      c.numbers.forEach((n, i) => {
        expect(e.numberKind(i)).toBe(n.kind);
        expect(e.numberDigits(i)).toBe(n.digits);
      });
      for (const v of [{ shared: true, users: true, personalOf: null, dialable: true }, { shared: false, users: true, personalOf: 'u-1' }]) {
        expect(entryVisible(e, v)).toBe(isVisible(c, v));
      }
    });
  }

  it('shares repeated strings and group lists between entries, and hands out copies', () => {
    const pool = new StringPool();
    // as the store returns rows: a fresh string per row
    const fresh = (s: string) => [...s].join('');
    const a = toEntry({ ...base, company: fresh('Acme'), groups: [fresh('Suppliers')] }, 1, pool);
    const b = toEntry({ ...base, id: 'c-2', company: fresh('Acme'), groups: [fresh('Suppliers')] }, 2, pool);
    expect(a.owner).toBe(b.owner);
    expect(a.groups).toBe(b.groups);
    const got = a.contact;
    got.groups.push('Changed');
    got.numbers[0].digits = '0';
    expect(a.contact.groups).toEqual(['Suppliers']);
    expect(a.contact.numbers[0].digits).toBe('12125550100');
  });

  it('crosses to another thread as columns unchanged: every field, shared strings and owners shared again', () => {
    const pool = new StringPool();
    const made = [...Object.values(variants), ...Object.values(variants).map((c) => ({ ...c, id: `${c.id}-again` }))].map((c, i) => toEntry(c, 10 + i, pool));
    made.forEach((e, i) => { e.pos = i; });
    const writer = new ColumnWriter();
    const readPool = new StringPool();
    const reader = new ColumnReader(readPool);
    const got: DirEntry[] = [];
    // two chunks, as two messages (structuredClone is what postMessage does to them)
    for (const [from, to] of [[0, 5], [5, made.length]]) reader.read(structuredClone(writer.chunk(made, from, to).chunk), got);
    expect(got).toHaveLength(made.length);
    got.forEach((e, i) => {
      expect({ ...e }).toEqual({ ...made[i] });
      expect(e.contact).toEqual(made[i].contact);
    });
    // the second half repeats the first's owners: one record each, as a build here makes them
    expect(got[0].owner).toBe(got[Object.keys(variants).length].owner);
    expect(new Set(got.map((e) => e.owner)).size).toBe(new Set(made.map((e) => e.owner)).size);
    // entries made later (a change applied in place) share what the reader put in the pool
    expect(toEntry(base, 99, readPool).owner).toBe(got[0].owner);
  });
});

// The contact schema as every write path meets it (API, import, CardDAV): cleaning before
// limits, null as "no value", and the messages that name the field.
import { describe, expect, it } from 'vitest';
import { tryPrepareContact } from '../../src/domain/prepare-contact.ts';

const NUMBER = '214 555 0142';

function errorsOf(input: unknown): { field?: string; reason: string }[] {
  const r = tryPrepareContact(input, 'US');
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(r.contact.fields)}`);
  return r.errors.map((e) => ({ field: e.field, reason: e.reason }));
}

describe('tryPrepareContact', () => {
  it('cleans and trims text before checking its length, and reports the cleaning', () => {
    const long = `${'a'.repeat(50)}\n${'b'.repeat(49)}  `;
    const r = tryPrepareContact({ firstName: `  ${long}`, workNumber: NUMBER }, 'US');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.contact.fields.firstName).toBe(`${'a'.repeat(50)} ${'b'.repeat(49)}`);
    expect(r.warnings.map((w) => [w.field, w.code])).toEqual([['firstName', 'text_cleaned']]);
    expect(errorsOf({ firstName: 'x'.repeat(101), workNumber: NUMBER })).toEqual([
      { field: 'firstName', reason: 'must be at most 100 characters' },
    ]);
  });

  it('takes null as an empty field, and refuses other types by field', () => {
    const r = tryPrepareContact({ firstName: 'Ann', lastName: null, title: null, email: null, workNumber: NUMBER, mobileNumber: null }, 'US');
    expect(r.ok && r.contact.fields).toMatchObject({ firstName: 'Ann', lastName: '', title: '', email: '', mobileNumber: '' });
    expect(r.ok && r.contact.numbers.map((n) => n.kind)).toEqual(['work']);
    expect(errorsOf({ firstName: 5, workNumber: NUMBER }).map((e) => e.field)).toEqual(['firstName']);
    // null in every name is no name at all
    expect(errorsOf({ firstName: null, lastName: null, company: null, workNumber: NUMBER })[0].reason).toMatch(/needs a first name, last name or company/);
  });

  it('checks email after cleaning: blank is empty, anything else must be an address', () => {
    const blank = tryPrepareContact({ firstName: 'Ann', workNumber: NUMBER, email: ' \t ' }, 'US');
    expect(blank.ok && blank.contact.fields.email).toBe('');
    const ok = tryPrepareContact({ firstName: 'Ann', workNumber: NUMBER, email: ' ann@example.com ' }, 'US');
    expect(ok.ok && ok.contact.fields.email).toBe('ann@example.com');
    expect(errorsOf({ firstName: 'Ann', workNumber: NUMBER, email: 'ann at example' })).toEqual([
      { field: 'email', reason: 'is not a valid email address' },
    ]);
  });

  it('cleans group names, keeps the first spelling of each, and refuses empty or ";" names', () => {
    const r = tryPrepareContact({ firstName: 'Ann', workNumber: NUMBER, groups: [' Suppliers ', 'suppliers', 'Key\naccounts'] }, 'US');
    expect(r.ok && r.contact.fields.groups).toEqual(['Suppliers', 'Key accounts']);
    expect(errorsOf({ firstName: 'Ann', workNumber: NUMBER, groups: ['a;b'] })[0]).toMatchObject({ field: 'groups.0' });
    expect(errorsOf({ firstName: 'Ann', workNumber: NUMBER, groups: ['  '] })[0].reason).toMatch(/must not be empty/);
  });
});

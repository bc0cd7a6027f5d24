// One contact as the in-memory directory holds it, compactly (issue 24: 1,447 heap bytes per
// contact made a million-contact account cost 2 GB): the folded keys every search compares, the
// contact's own fields with repeated strings shared through the account's StringPool, numbers
// packed one string each, and who/when in one shared record. `contact` makes the whole Contact
// again (LDAP entries, phonebooks, CardDAV read that), identical to what the store returned.
// Also the two rules every front end must apply the same way: directory (name) order and who
// may see an entry.
import type { Contact, ContactSource, NumberField, NumberKind, PhoneNumber } from '../domain/contact-schemas.ts';
import { NUMBER_FIELDS, NUMBER_KIND } from '../domain/contact-schemas.ts';
import { searchNames, SORT_KEY_SEPARATOR } from '../domain/search-forms.ts';
import type { Visibility } from '../store/store.ts';
import { StringPool } from './string-pool.ts';

/** Separates the parts of a sort key: lower than any character a folded name can hold. */
export const SORT_SEP = SORT_KEY_SEPARATOR;
/** Just above SORT_SEP: "<name>\u0002" bounds every sort key whose sort name is exactly <name>. */
export const AFTER_SEP = '\u0002';
/** Above every character of a folded name: "<prefix>\uffff" bounds every key starting with prefix. */
export const UPPER = '\uffff';

/** Who a contact belongs to and who wrote it, with its groups: the same for thousands of contacts. */
export interface Owner {
  accountId: string;
  source: ContactSource;
  userId: string | null;
  createdBy: string | null;
  updatedBy: string | null;
  groups: readonly string[];
}

/** What a contact holds that the packed form does not say (never for contacts written by prepareContact). */
export interface Unusual {
  /** For matching: kind and digits, no raw text. */
  packed: readonly string[];
  numberFields: Record<NumberField, string>;
  numbers: PhoneNumber[];
}

// A packed number: kind letter, e164 mark, digits, U+0001, raw. The mark says e164 is "+digits"
// ('+') or null ('-'); a contact with any other e164 keeps its exact numbers in an Unusual record.
const KIND_LETTER: Record<NumberKind, string> = { work: 'w', mobile: 'm', home: 'h', fax: 'f', extension: 'x' };
const LETTER_KIND: Record<string, NumberKind> = { w: 'work', m: 'mobile', h: 'home', f: 'fax', x: 'extension' };
export const NUMBER_SEP = '\u0001';
/** Where a packed number's digits start (they end at NUMBER_SEP). */
export const DIGITS_FROM = 2;

/** An entry's numbers, packed: null (none), one string, several, or (rarely) what the packed form cannot say. */
export type PackedNumbers = string | readonly string[] | Unusual | null;

/**
 * Everything an entry holds: what toEntry works out from a Contact, or what a build thread sent
 * (entry-columns.ts) for an entry it made the same way.
 */
export interface EntryFields {
  seq: number;
  id: string;
  first: string;
  last: string;
  company: string;
  display: string;
  sortKey: string;
  firstName: string;
  lastName: string;
  rawCompany: string;
  rawTitle: string;
  rawEmail: string;
  owner: Owner;
  createdAt: string;
  updatedAt: string;
  revision: number;
  nums: PackedNumbers;
}

export class DirEntry {
  /** Tie-break for equal sort keys: insertion order (the store's rowid), new contacts last. */
  seq: number;
  /** Index in directory order; renumbered after every change. */
  pos = -1;
  readonly id: string;
  // folded names (searchNames): what filters compare and the name indexes sort
  readonly first: string;
  readonly last: string;
  readonly company: string;
  /** Folded "first last", or the company when there is no name: what cn/displayName filters compare. */
  readonly display: string;
  /** Directory order: last name, else first name, else company; then first name; then company. */
  readonly sortKey: string;
  // the contact's own text
  readonly firstName: string;
  readonly lastName: string;
  readonly rawCompany: string;
  readonly rawTitle: string;
  readonly rawEmail: string;
  readonly owner: Owner;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly revision: number;
  /** Packed numbers: null (none), one string, several, or (rarely) what the packed form cannot say. */
  readonly nums: PackedNumbers;

  constructor(f: EntryFields) {
    this.seq = f.seq;
    this.id = f.id;
    this.first = f.first;
    this.last = f.last;
    this.company = f.company;
    this.display = f.display;
    this.sortKey = f.sortKey;
    this.firstName = f.firstName;
    this.lastName = f.lastName;
    this.rawCompany = f.rawCompany;
    this.rawTitle = f.rawTitle;
    this.rawEmail = f.rawEmail;
    this.owner = f.owner;
    this.createdAt = f.createdAt;
    this.updatedAt = f.updatedAt;
    this.revision = f.revision;
    this.nums = f.nums;
  }

  get source(): ContactSource {
    return this.owner.source;
  }

  get groups(): readonly string[] {
    return this.owner.groups;
  }

  get numberCount(): number {
    const n = this.nums;
    return n === null ? 0 : typeof n === 'string' ? 1 : isList(n) ? n.length : n.packed.length;
  }

  /** The i-th number's kind. */
  numberKind(i: number): NumberKind {
    return LETTER_KIND[this.packed(i)[0]];
  }

  /** The i-th number's digits. */
  numberDigits(i: number): string {
    const p = this.packed(i);
    return p.slice(DIGITS_FROM, p.indexOf(NUMBER_SEP));
  }

  /** The contact as the store returned it (a new object each time: callers may keep or change it). */
  get contact(): Contact {
    const o = this.owner;
    const n = this.nums;
    const unusual = n !== null && typeof n !== 'string' && !isList(n) ? n : null;
    const numbers = unusual ? unusual.numbers.map((x) => ({ ...x })) : this.unpackNumbers();
    const fields = unusual?.numberFields ?? numberFieldsOf(numbers);
    return {
      id: this.id, accountId: o.accountId, source: o.source, userId: o.userId,
      firstName: this.firstName, lastName: this.lastName, company: this.rawCompany, title: this.rawTitle,
      workNumber: fields.workNumber, mobileNumber: fields.mobileNumber, homeNumber: fields.homeNumber, faxNumber: fields.faxNumber,
      email: this.rawEmail, groups: [...o.groups], numbers,
      createdAt: this.createdAt, createdBy: o.createdBy, updatedAt: this.updatedAt, updatedBy: o.updatedBy,
      revision: this.revision,
    };
  }

  /** The i-th number packed (kind, e164 mark, digits from DIGITS_FROM up to NUMBER_SEP, raw). */
  packed(i: number): string {
    const n = this.nums!;
    return typeof n === 'string' ? n : isList(n) ? n[i] : n.packed[i];
  }

  private unpackNumbers(): PhoneNumber[] {
    const out: PhoneNumber[] = [];
    for (let i = 0; i < this.numberCount; i++) {
      const p = this.packed(i);
      const sep = p.indexOf(NUMBER_SEP);
      const digits = p.slice(DIGITS_FROM, sep);
      out.push({ kind: LETTER_KIND[p[0]], raw: p.slice(sep + 1), e164: p[1] === '+' ? '+' + digits : null, digits });
    }
    return out;
  }
}

function isList(n: readonly string[] | Unusual): n is readonly string[] {
  return Array.isArray(n);
}

/** Number fields as prepareContact writes them: each field the raw text of the first number of its kind. */
function numberFieldsOf(numbers: readonly PhoneNumber[]): Record<NumberField, string> {
  const out = { workNumber: '', mobileNumber: '', homeNumber: '', faxNumber: '' };
  for (const f of NUMBER_FIELDS) out[f] = numbers.find((n) => n.kind === NUMBER_KIND[f])?.raw ?? '';
  return out;
}

/** Whether the packed form says everything about the contact's numbers. */
function isUsual(c: Contact): boolean {
  for (const n of c.numbers) {
    if (!(n.kind in KIND_LETTER) || (n.e164 !== null && n.e164 !== '+' + n.digits) || n.digits.includes(NUMBER_SEP)) return false;
  }
  const fields = numberFieldsOf(c.numbers);
  return NUMBER_FIELDS.every((f) => fields[f] === c[f]);
}

/** A stored contact as an entry: folded names and sort key by the store's own rule (search-forms.ts). */
export function toEntry(contact: Contact, seq: number, pool = new StringPool()): DirEntry {
  return new DirEntry(entryFields(contact, seq, pool));
}

/** What an entry of the contact holds (its repeated strings and owner record shared through pool). */
function entryFields(c: Contact, seq: number, pool: StringPool): EntryFields {
  const names = searchNames(c);
  let nums: PackedNumbers;
  if (isUsual(c)) {
    const packed = c.numbers.map((n) => KIND_LETTER[n.kind] + (n.e164 === null ? '-' : '+') + n.digits + NUMBER_SEP + n.raw);
    nums = packed.length === 0 ? null : packed.length === 1 ? packed[0] : packed;
  } else {
    nums = {
      packed: c.numbers.map((n) => (KIND_LETTER[n.kind] ?? 'w') + '-' + n.digits + NUMBER_SEP),
      numberFields: { workNumber: c.workNumber, mobileNumber: c.mobileNumber, homeNumber: c.homeNumber, faxNumber: c.faxNumber },
      numbers: c.numbers.map((n) => ({ ...n })),
    };
  }
  return {
    seq,
    id: c.id,
    first: pool.of(names.first),
    last: pool.of(names.last),
    company: pool.of(names.company),
    display: names.display,
    sortKey: names.sortKey,
    firstName: pool.of(c.firstName),
    lastName: pool.of(c.lastName),
    rawCompany: pool.of(c.company),
    rawTitle: pool.of(c.title),
    rawEmail: c.email,
    owner: poolOwner(pool, { accountId: c.accountId, source: c.source, userId: c.userId, createdBy: c.createdBy, updatedBy: c.updatedBy, groups: c.groups }),
    // an import writes one timestamp for all its rows
    createdAt: pool.of(c.createdAt),
    updatedAt: pool.of(c.updatedAt),
    revision: c.revision,
    nums,
  };
}

/** The pool's shared copy of an owner record (its strings and group list shared too). */
export function poolOwner(pool: StringPool, o: Owner): Owner {
  return pool.record(ownerKey(o), () => ({
    accountId: pool.of(o.accountId), source: pool.of(o.source) as ContactSource, userId: o.userId === null ? null : pool.of(o.userId),
    createdBy: o.createdBy === null ? null : pool.of(o.createdBy), updatedBy: o.updatedBy === null ? null : pool.of(o.updatedBy),
    groups: pool.list(o.groups),
  }));
}

function ownerKey(o: Owner): string {
  return JSON.stringify([o.accountId, o.source, o.userId, o.createdBy, o.updatedBy, o.groups]);
}

/** The folded sort name (last, else first, else company): what `sn` compares. */
export function sortName(e: DirEntry): string {
  return e.sortKey.slice(0, e.sortKey.indexOf(SORT_SEP));
}

/** Directory order: sort key, then store order. */
export function compareEntries(a: DirEntry, b: DirEntry): number {
  if (a.sortKey !== b.sortKey) return a.sortKey < b.sortKey ? -1 : 1;
  return a.seq - b.seq;
}

/**
 * Who sees an entry: shared contacts when the reader may see shared ones, internal users'
 * entries when the account shows users in its directory, personal contacts only to their owner;
 * for phones (dialable), only those with a number.
 */
function visible(source: ContactSource, userId: string | null, numbers: number, v: Visibility): boolean {
  if (v.dialable && numbers === 0) return false;
  if (source === 'shared') return v.shared;
  if (source === 'user') return v.users;
  return v.personalOf !== null && userId === v.personalOf;
}

/** Whether the reader sees this contact (the rule above, for a Contact). */
export function isVisible(c: Contact, v: Visibility): boolean {
  return visible(c.source, c.userId, c.numbers.length, v);
}

/** Whether the reader sees this entry (the rule above, without making its Contact). */
export function entryVisible(e: DirEntry, v: Visibility): boolean {
  return visible(e.owner.source, e.owner.userId, e.numberCount, v);
}

export { StringPool };

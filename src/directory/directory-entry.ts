// One contact as the in-memory directory holds it: the whole Contact (so an LDAP entry can be
// encoded without SQLite) plus the folded keys every search compares. Also the two rules every
// front end must apply the same way: directory (name) order and who may see an entry.
import type { Contact } from '../domain/contact-schemas.ts';
import { SORT_KEY_SEPARATOR } from '../domain/search-forms.ts';
import { fold } from '../domain/text-fold.ts';
import type { Visibility } from '../store/store.ts';

/** Separates the parts of a sort key: lower than any character a folded name can hold. */
export const SORT_SEP = SORT_KEY_SEPARATOR;
/** Just above SORT_SEP: "<name>\u0002" bounds every sort key whose sort name is exactly <name>. */
export const AFTER_SEP = '\u0002';
/** Above every character of a folded name: "<prefix>\uffff" bounds every key starting with prefix. */
export const UPPER = '\uffff';

export interface DirEntry {
  contact: Contact;
  /** Tie-break for equal sort keys: insertion order (the store's rowid), new contacts last. */
  seq: number;
  /** Index in directory order; renumbered after every change. */
  pos: number;
  /** "<sort name>\u0001<first>\u0001<company>", folded: directory order. */
  sortKey: string;
  first: string;
  last: string;
  company: string;
  title: string;
  email: string;
  /** Folded "first last" (or the company): what cn/displayName filters compare. */
  display: string;
}

/**
 * Directory order and the folded forms, the same rule the store's sort_key and *_f columns
 * follow (src/domain/search-forms.ts): sort name = last name, else first name,
 * else company; then first name; then company.
 */
export function toEntry(contact: Contact, seq: number): DirEntry {
  const first = fold(contact.firstName);
  const last = fold(contact.lastName);
  const company = fold(contact.company);
  return {
    contact,
    seq,
    pos: -1,
    sortKey: (last || first || company) + SORT_SEP + first + SORT_SEP + company,
    first,
    last,
    company,
    title: contact.title === '' ? '' : fold(contact.title),
    email: contact.email === '' ? '' : fold(contact.email),
    display: fold([contact.firstName, contact.lastName].filter(Boolean).join(' ') || contact.company),
  };
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
 * entries when the account shows users in its directory, personal contacts only to their owner.
 */
export function isVisible(c: Contact, v: Visibility): boolean {
  if (c.source === 'shared') return v.shared;
  if (c.source === 'user') return v.users;
  return v.personalOf !== null && c.userId === v.personalOf;
}

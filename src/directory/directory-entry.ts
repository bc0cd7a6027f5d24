// One contact as the in-memory directory holds it: the whole Contact (so an LDAP entry can be
// encoded without SQLite) plus the folded keys every search compares. Also the two rules every
// front end must apply the same way: directory (name) order and who may see an entry.
import type { Contact } from '../domain/contact-schemas.ts';
import { searchNames, SORT_KEY_SEPARATOR, type SearchNames } from '../domain/search-forms.ts';
import type { Visibility } from '../store/store.ts';

/** Separates the parts of a sort key: lower than any character a folded name can hold. */
export const SORT_SEP = SORT_KEY_SEPARATOR;
/** Just above SORT_SEP: "<name>\u0002" bounds every sort key whose sort name is exactly <name>. */
export const AFTER_SEP = '\u0002';
/** Above every character of a folded name: "<prefix>\uffff" bounds every key starting with prefix. */
export const UPPER = '\uffff';

export interface DirEntry extends SearchNames {
  contact: Contact;
  /** Tie-break for equal sort keys: insertion order (the store's rowid), new contacts last. */
  seq: number;
  /** Index in directory order; renumbered after every change. */
  pos: number;
}

/** A stored contact as an entry: folded names and sort key by the store's own rule (search-forms.ts). */
export function toEntry(contact: Contact, seq: number): DirEntry {
  return { contact, seq, pos: -1, ...searchNames(contact) };
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
export function isVisible(c: Contact, v: Visibility): boolean {
  if (v.dialable && c.numbers.length === 0) return false;
  if (c.source === 'shared') return v.shared;
  if (c.source === 'user') return v.users;
  return v.personalOf !== null && c.userId === v.personalOf;
}

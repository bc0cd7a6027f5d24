// The folded forms a contact is searched and ordered by: computed once when a contact is
// prepared (prepare-contact.ts), so an import computes them in its check thread, not in the
// thread that writes. The store keeps them as its *_f, sort_key and words columns; the LDAP read
// model (src/directory/directory-entry.ts) keeps the same searchNames for stored contacts.
import { fold, foldedWords } from './text-fold.ts';

/** The folded names of a contact, and its place in directory order. */
export interface SearchNames {
  first: string;
  last: string;
  company: string;
  title: string;
  email: string;
  /** Folded "first last", or the company when there is no name: what cn/displayName filters compare. */
  display: string;
  /** Directory order: last name, else first name, else company; then first name; then company. */
  sortKey: string;
}

export interface SearchForms extends SearchNames {
  /** Later words of first name, last name and company (the first word of each is found through its field). */
  words: string[];
}

export const SORT_KEY_SEPARATOR = '\u0001';

type NameFields = { firstName: string; lastName: string; company: string; title: string; email: string };

/** The folded names alone (the LDAP read model keeps these for each entry). */
export function searchNames(f: NameFields): SearchNames {
  const first = fold(f.firstName);
  const last = fold(f.lastName);
  const company = fold(f.company);
  return {
    first, last, company, title: fold(f.title), email: fold(f.email),
    display: fold([f.firstName, f.lastName].filter(Boolean).join(' ') || f.company),
    sortKey: [last || first || company, first, company].join(SORT_KEY_SEPARATOR),
  };
}

export function searchForms(f: NameFields): SearchForms {
  const names = searchNames(f);
  // Only the later words ("Sons" in "Álvarez & Sons") need the words table: fewer rows make imports faster.
  const later = new Set([...foldedWords(names.first).slice(1), ...foldedWords(names.last).slice(1), ...foldedWords(names.company).slice(1)]);
  return { ...names, words: [...later] };
}

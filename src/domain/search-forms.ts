// The folded forms a contact is searched and ordered by: computed once when a contact is
// prepared (prepare-contact.ts), so an import computes them in its check thread, not in the
// thread that writes. The store keeps them as its *_f, sort_key and words columns; the LDAP read
// model (src/directory/directory-entry.ts) follows the same rule for stored contacts.
import { fold, foldedWords } from './text-fold.ts';

export interface SearchForms {
  first: string;
  last: string;
  company: string;
  title: string;
  email: string;
  /** Folded "first last", or the company when there is no name. */
  display: string;
  /** Directory order: last name, else first name, else company; then first name; then company. */
  sortKey: string;
  /** Later words of first name, last name and company (the first word of each is found through its field). */
  words: string[];
}

export const SORT_KEY_SEPARATOR = '\u0001';

export function searchForms(f: { firstName: string; lastName: string; company: string; title: string; email: string }): SearchForms {
  const first = fold(f.firstName);
  const last = fold(f.lastName);
  const company = fold(f.company);
  const display = fold([f.firstName, f.lastName].filter(Boolean).join(' ') || f.company);
  // Only the later words ("Sons" in "Álvarez & Sons") need the words table: fewer rows make imports faster.
  const later = new Set([...foldedWords(first).slice(1), ...foldedWords(last).slice(1), ...foldedWords(company).slice(1)]);
  return {
    first, last, company, title: fold(f.title), email: fold(f.email), display,
    sortKey: [last || first || company, first, company].join(SORT_KEY_SEPARATOR), words: [...later],
  };
}

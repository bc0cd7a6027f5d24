// The address books a signed-in user sees: what each holds (as a Visibility) and who may write
// it. Every CardDAV method asks this file, never the store's visibility directly. Whether a
// contact is visible is the directory's one rule (directory-entry.ts), not restated here.
import type { Account } from '../domain/account-schemas.ts';
import type { Contact } from '../domain/contact-schemas.ts';
import type { User } from '../domain/user-schemas.ts';
import { isVisible } from '../directory/directory-entry.ts';
import type { Visibility, WriteScope } from '../store/store.ts';
import { personalBook, SHARED_BOOK, USERS_BOOK, type FeedBook } from '../store/feed-books.ts';

export const BOOK_KINDS = ['shared', 'personal', 'colleagues'] as const;
export type BookKind = typeof BOOK_KINDS[number];

export interface AddressBook {
  kind: BookKind;
  displayName: string;
  description: string;
  visibility: Visibility;
  /** Where writes go, or null for a read-only book. */
  writeScope: WriteScope | null;
  /** The book in the change feed: its sync token and ctag move with its changes only. */
  feedBook: FeedBook;
}

/** Who is asking: the user and their account (set by carddav-auth). */
export interface DavUser {
  account: Account;
  user: User;
  /** Set when the sign-in asked for one book ("ann+personal@acme", one-book-logins.ts): the
   *  home then lists that book alone, for macOS Contacts, which syncs only the first one. */
  only?: BookKind;
}

export function booksOf(u: DavUser): AddressBook[] {
  const { account, user } = u;
  const books: AddressBook[] = [
    {
      kind: 'shared', displayName: 'Shared contacts', description: `${account.name}: contacts shared by the whole account`,
      visibility: { shared: true, users: false, personalOf: null },
      writeScope: account.settings.managerScopes.includes(user.scope) ? { source: 'shared' } : null,
      feedBook: SHARED_BOOK,
    },
    {
      kind: 'personal', displayName: 'Personal', description: 'Your own contacts',
      visibility: { shared: false, users: false, personalOf: user.id },
      writeScope: { source: 'personal', userId: user.id },
      feedBook: personalBook(user.id),
    },
  ];
  if (account.settings.showUsersInDirectory) {
    books.push({
      kind: 'colleagues', displayName: 'Colleagues', description: `${account.name}: the account's users and their extensions`,
      visibility: { shared: false, users: true, personalOf: null },
      writeScope: null,
      feedBook: USERS_BOOK,
    });
  }
  return u.only ? books.filter((b) => b.kind === u.only) : books;
}

export function findBook(u: DavUser, kind: string): AddressBook | null {
  return booksOf(u).find((b) => b.kind === kind) ?? null;
}

/** Whether a contact (read by id, e.g. from the change feed) belongs in a book. */
export function inBook(book: AddressBook, c: Contact): boolean {
  return isVisible(c, book.visibility);
}

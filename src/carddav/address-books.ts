// The address books a signed-in user sees, and the one rule for what each holds and who may
// write it. Every CardDAV method asks this file, never the store's visibility directly.
import type { Account } from '../domain/account-schemas.ts';
import type { Contact } from '../domain/contact-schemas.ts';
import type { User } from '../domain/user-schemas.ts';
import type { Visibility, WriteScope } from '../store/store.ts';

export type BookKind = 'shared' | 'personal' | 'colleagues';

export interface AddressBook {
  kind: BookKind;
  displayName: string;
  description: string;
  visibility: Visibility;
  /** Where writes go, or null for a read-only book. */
  writeScope: WriteScope | null;
}

/** Who is asking: the user and their account (set by carddav-auth). */
export interface DavUser {
  account: Account;
  user: User;
}

export function booksOf(u: DavUser): AddressBook[] {
  const { account, user } = u;
  const books: AddressBook[] = [
    {
      kind: 'shared', displayName: 'Shared contacts', description: `${account.name}: contacts shared by the whole account`,
      visibility: { shared: true, users: false, personalOf: null },
      writeScope: account.settings.managerScopes.includes(user.scope) ? { source: 'shared' } : null,
    },
    {
      kind: 'personal', displayName: 'Personal', description: 'Your own contacts',
      visibility: { shared: false, users: false, personalOf: user.id },
      writeScope: { source: 'personal', userId: user.id },
    },
  ];
  if (account.settings.showUsersInDirectory) {
    books.push({
      kind: 'colleagues', displayName: 'Colleagues', description: `${account.name}: the account's users and their extensions`,
      visibility: { shared: false, users: true, personalOf: null },
      writeScope: null,
    });
  }
  return books;
}

export function findBook(u: DavUser, kind: string): AddressBook | null {
  return booksOf(u).find((b) => b.kind === kind) ?? null;
}

/** Whether a contact (read by id, e.g. from the change feed) belongs in a book. */
export function inBook(book: AddressBook, c: Contact): boolean {
  const v = book.visibility;
  if (c.source === 'shared') return v.shared;
  if (c.source === 'user') return v.users;
  return v.personalOf !== null && c.userId === v.personalOf;
}

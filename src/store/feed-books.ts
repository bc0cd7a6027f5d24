// Which address book a change-feed entry touched, so that a CardDAV sync token and ctag can move
// per book (issue 20): a 10,000-row import into Shared must not make Personal look changed. One
// key per book: the account's shared contacts, the users' directory entries (Colleagues), and
// each user's personal contacts. The SQLite triggers of migration 12 compute the same keys in SQL
// (a migration is frozen text); every other writer asks this file.
import type { ContactSource } from '../domain/contact-schemas.ts';
import type { WriteScope } from './store.ts';

/** A book of the change feed: 'shared', 'users' or 'personal:<user id>'. */
export type FeedBook = string;

/** Stored for a change that touched every book (a settings change), and the floor key of such changes. */
export const EVERY_BOOK = '*';

export const SHARED_BOOK: FeedBook = 'shared';
export const USERS_BOOK: FeedBook = 'users';
export const personalBook = (userId: string): FeedBook => `personal:${userId}`;

export function bookOfContact(source: ContactSource, userId: string | null): FeedBook {
  if (source === 'personal') return personalBook(userId ?? '');
  return source === 'user' ? USERS_BOOK : SHARED_BOOK;
}

export const bookOfScope = (scope: WriteScope): FeedBook => (scope.source === 'personal' ? personalBook(scope.userId) : SHARED_BOOK);

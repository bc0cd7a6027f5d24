// Sign-ins that show one address book. macOS Contacts syncs only the first book of a home
// (sabre-io/dav#846, nextcloud/server#20860), so a Mac user adds one account per book, each
// signing in as "<user>+<book>@<account>" (e.g. ann+personal@acme). Such a sign-in is the same
// user at the same URLs; only the home listing and the books it may reach shrink to that book.
// A user name never holds "+" (user-schemas.ts) and an email login ends in its domain, so the
// suffix cannot be part of a real login.
import { BOOK_KINDS, type BookKind } from './address-books.ts';

const SUFFIX = new RegExp(`^(.+)\\+(${BOOK_KINDS.join('|')})$`, 'i');

/** The login before "@account" without a trailing "+<book>", and that book if there was one. */
export function splitBookLogin(login: string): { login: string; only?: BookKind } {
  const m = SUFFIX.exec(login);
  return m ? { login: m[1], only: m[2].toLowerCase() as BookKind } : { login };
}

/** A whole login ("ann+personal@acme") as the sign-in limiter counts it ("ann@acme"): the book
 *  suffixes must not give a password guesser four logins per user. */
export function loginWithoutBook(login: string): string {
  const at = login.lastIndexOf('@');
  return at > 0 ? `${splitBookLogin(login.slice(0, at)).login}${login.slice(at)}` : login;
}

// The CardDAV URL layout, in one place:
//   /carddav/                                   service root (answers current-user-principal)
//   /carddav/<account>/<user>/                  the user's principal and address-book home
//   /carddav/<account>/<user>/<book>/           an address book: shared, personal or colleagues
//   /carddav/<account>/<user>/<book>/<name>     one card (<contact id>.vcf, or the client's name)
import type { BookKind } from './address-books.ts';

export const ROOT = '/carddav/';

export type DavTarget =
  | { kind: 'root' }
  | { kind: 'home'; accountId: string; username: string }
  | { kind: 'book'; accountId: string; username: string; book: string }
  | { kind: 'card'; accountId: string; username: string; book: string; name: string }
  | { kind: 'unknown' };

/** Parses a path below /carddav (as express gives it to the router: "/acme/ann/shared/x.vcf"). */
export function parseDavPath(path: string): DavTarget {
  let parts: string[];
  try {
    parts = path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  } catch {
    return { kind: 'unknown' };
  }
  if (parts.some((p) => p === '.' || p === '..' || p.includes('/'))) return { kind: 'unknown' };
  const [accountId, username, book, name] = parts;
  if (parts.length === 0) return { kind: 'root' };
  if (parts.length === 2) return { kind: 'home', accountId, username };
  if (parts.length === 3) return { kind: 'book', accountId, username, book };
  if (parts.length === 4) return { kind: 'card', accountId, username, book, name };
  return { kind: 'unknown' };
}

/** Turns an href from a request body (absolute URL or path) into a path below /carddav, or null. */
export function hrefToDavPath(href: string): string | null {
  let path = href.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
  if (scheme) path = path.slice(scheme[0].length);
  if (!path.startsWith(ROOT)) return null;
  return path.slice(ROOT.length - 1);
}

const seg = (s: string) => encodeURIComponent(s);
export const homeHref = (accountId: string, username: string) => `${ROOT}${seg(accountId)}/${seg(username)}/`;
export const bookHref = (accountId: string, username: string, book: BookKind) => `${homeHref(accountId, username)}${book}/`;
export const cardHref = (bookUrl: string, name: string) => `${bookUrl}${seg(name)}`;

// Edits of a read-only book (a basic user's Shared book). The book's privileges say read-only,
// and DAVx5, Thunderbird and Evolution honour them; an edit that still arrives gets 403
// DAV:need-privileges, the one refusal DAVx5 skips without stopping the sync (SyncManager.kt).
//
// Apple's Contacts on iPhone and Mac ignore the privileges and let the user edit or delete
// anyway (Kozea/Radicale#1034, owncloud-archive/contacts#890). A refusal then sticks: the Mac
// shows a warning triangle until the user undoes the change (owncloud-archive/apps#607), and an
// iPhone stops taking the server's updates (Kozea/Radicale#1112). So an Apple client's change to
// an existing card is answered with success and not stored:
// - an edit: 204 without an ETag, which tells the app the server did not keep its bytes (RFC
//   7231 4.3.4), so it reads the card back and shows the unchanged shared card;
// - a delete: 204; the card leaves that device and comes back at its next full listing.
// A new card is still refused (Radicale#1034: iOS drops the refused new contact), as is any
// change from another app. Nothing shared changes in any case.
import { NotFoundError } from '../errors.ts';
import type { AddressBook } from './address-books.ts';
import { forbidReadOnly, type DavCall } from './dav-call.ts';

/** Apple's contacts daemons: "iOS/12.1.4 (16D57) dataaccessd/1.0" (and accountsd while an account
 *  is added), "Mac OS X/10.13.1 (17B48) AddressBook/1806", "macOS/11.1 (20C69)
 *  AddressBookCore/2452.2"; "Mac+OS+X/…" is how some macOS versions spell the system
 *  (fixtures/carddav/apple/user-agents.json cites where each was seen). Browsers and the
 *  calendar agent on the same systems do not match. */
const APPLE_AGENT = /^(?:iOS|iPadOS|macOS|Mac[ +_]OS[ +_]X)\/[0-9.]+ .*\b(?:dataaccessd|accountsd|AddressBook|AddressBookCore|AddressBookSourceSync)\//;

export function isAppleContacts(userAgent: string | undefined): boolean {
  return !!userAgent && APPLE_AGENT.test(userAgent);
}

/** The 403 DAV:need-privileges of dav-call.ts (this book has no write scope, so it throws). */
function refuse(book: AddressBook): never {
  forbidReadOnly(book);
  throw new Error('unreachable: forbidReadOnly passed a read-only book');
}

/**
 * For PUT and DELETE of a card: nothing to do (false) when the book is writable; otherwise
 * either the request has been answered (true: an Apple app's change, not stored) or this throws
 * the 403 every other client gets.
 */
export async function answerReadOnlyEdit(call: DavCall): Promise<boolean> {
  const book = call.book!;
  if (book.writeScope) return false;
  const { req, res, target, ctx } = call;
  if (!isAppleContacts(req.headers['user-agent']) || target.kind !== 'card') return refuse(book);
  const card = await call.cards.find(call.user, book, target.name);
  if (!card) {
    if (req.method === 'DELETE') throw new NotFoundError('Card');
    return refuse(book);
  }
  ctx.logger.info({ reqId: req.id, method: req.method, book: book.kind, card: target.name, user: call.user.user.username, account: call.user.account.id },
    'carddav: an Apple app changed a card of a read-only book; answered as done, nothing stored');
  res.status(204).end();
  return true;
}

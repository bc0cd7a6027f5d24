// GET/HEAD, PUT and DELETE of one card. Writes take the admin API's path: the card becomes the
// API's contact input, prepareContact validates and normalises it, and the store writes it with
// the expected revision, audit entry and revision bump. The server stores what it models, not
// the client's bytes, so a PUT answers without an ETag (RFC 7231 4.3.4) and the client reads the
// card back to see what was kept.
import { DavConditionError, NotFoundError, PayloadTooLargeError, PreconditionFailedError, UnsupportedMediaTypeError } from '../errors.ts';
import { prepareContact } from '../domain/prepare-contact.ts';
import { CardTakenError } from '../store/card-taken.ts';
import { actorOf, versionFrom, type DavCall } from './dav-call.ts';
import type { Card } from './dav-resources.ts';
import { bookHref, cardHref } from './dav-paths.ts';
import { answerReadOnlyEdit } from './read-only-edits.ts';
import { cardToContactInput } from './vcard-reader.ts';
import { VCARD_CONTENT_TYPE } from './vcard-writer.ts';

const NAME = /^[A-Za-z0-9@._~+=-]{1,200}$/;

function cardOf(call: DavCall): Promise<Card | null> {
  if (call.target.kind !== 'card' || !call.book) throw new NotFoundError('Card');
  return call.cards.find(call.user, call.book, call.target.name);
}

export async function getCard(call: DavCall): Promise<void> {
  const card = await cardOf(call);
  if (!card) throw new NotFoundError('Card');
  const { res, req } = call;
  res.setHeader('ETag', card.etag);
  res.setHeader('Last-Modified', new Date(card.contact.updatedAt).toUTCString());
  if (req.headers['if-none-match'] === card.etag) return void res.status(304).end();
  res.status(200).setHeader('Content-Type', VCARD_CONTENT_TYPE);
  res.send(call.cards.body(call.user, card, versionFrom(req.headers.accept)));
}

/** If-Match / If-None-Match against the card as it is now (null: no such card). */
function checkPreconditions(call: DavCall, card: Card | null): void {
  const ifMatch = call.req.headers['if-match'];
  const ifNoneMatch = call.req.headers['if-none-match'];
  if (ifNoneMatch !== undefined && card && (ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').map((s) => s.trim()).includes(card.etag))) {
    throw new PreconditionFailedError('The card already exists (If-None-Match)');
  }
  if (ifMatch !== undefined) {
    const tags = ifMatch.split(',').map((s) => s.trim());
    if (!card || !(tags.includes('*') || tags.includes(card.etag))) {
      throw new PreconditionFailedError(card ? 'The card changed since you read it (If-Match does not match its ETag)' : 'The card does not exist (If-Match)');
    }
  }
}

/**
 * The store refused a UID a card of the book has (CARDDAV:no-uid-conflict, RFC 6352 6.3.2.1):
 * the DAV:error names that card's URL in a DAV:href, so the client can fetch it instead.
 */
export class UidConflictError extends DavConditionError {
  constructor(readonly href: string, message: string) {
    super(409, '{urn:ietf:params:xml:ns:carddav}no-uid-conflict', message);
  }
}

export async function putCard(call: DavCall): Promise<void> {
  const { req, ctx } = call;
  const book = call.book!;
  if (call.target.kind !== 'card') throw new NotFoundError('Card');
  const name = call.target.name;
  if (!NAME.test(name)) throw new DavConditionError(403, '{DAV:}valid-resource-name', 'A card name may hold letters, digits and @ . _ ~ + = - only (at most 200)');
  if (await answerReadOnlyEdit(call)) return;
  const type = String(req.headers['content-type'] ?? 'text/vcard').toLowerCase();
  if (!/^text\/(x-)?vcard\b/.test(type)) throw new UnsupportedMediaTypeError('A card must be sent as text/vcard');
  if (call.body.length > ctx.config.carddav.maxCardBytes) {
    throw new PayloadTooLargeError(`A card may be at most ${ctx.config.carddav.maxCardBytes} bytes`);
  }
  try {
    await putOnce(call, name);
  } catch (err) {
    // Another PUT (on this instance or another) created a card of this name between our read and
    // our create, and the store refused ours: answer as if this PUT had come second, i.e. against
    // that card (412 for If-None-Match: *, otherwise an update, with If-Match checked).
    if (!(err instanceof CardTakenError && err.taken === 'name')) throw err;
    await putOnce(call, name);
  }
}

/**
 * One try: read the card of this name, check the preconditions against it, then update it (the
 * expected revision makes that atomic) or create it. The create is atomic too: the store refuses
 * a name or UID a card of the book has, whoever wrote it meanwhile (createContactWithCard).
 */
async function putOnce(call: DavCall, name: string): Promise<void> {
  const { user, res, ctx } = call;
  const book = call.book!;
  const current = await cardOf(call);
  checkPreconditions(call, current);
  const parsed = cardToContactInput(call.body.toString('utf8'));
  const contact = prepareContact(parsed.input, user.account.region);
  const scope = book.writeScope!;
  if (current) {
    // The expected revision makes this one atomic in the store (412 if the card changed meanwhile).
    await ctx.db.updateContact(user.account.id, scope, current.contact.id, contact, actorOf(call), current.contact.revision);
    return void res.status(204).end();
  }
  const uid = parsed.uid ?? name.replace(/\.vcf$/i, '');
  const bookUrl = bookHref(user.account.id, user.user.username, book.kind);
  try {
    await ctx.db.createContactWithCard(user.account.id, scope, contact, actorOf(call), { name, uid });
  } catch (err) {
    if (err instanceof CardTakenError && err.taken === 'uid') {
      throw new UidConflictError(cardHref(bookUrl, err.existing.name), `A card with UID ${uid} already exists in this address book: ${err.existing.name}`);
    }
    throw err;
  }
  res.setHeader('Location', cardHref(bookUrl, name));
  res.status(201).end();
}

export async function deleteCard(call: DavCall): Promise<void> {
  const { user, ctx, res } = call;
  const book = call.book!;
  if (await answerReadOnlyEdit(call)) return;
  const current = await cardOf(call);
  if (!current) throw new NotFoundError('Card');
  checkPreconditions(call, current);
  // The expected revision makes the check and the delete one step in the store (412 otherwise).
  await ctx.db.deleteContact(user.account.id, book.writeScope!, current.contact.id, actorOf(call), current.contact.revision);
  res.status(204).end();
}

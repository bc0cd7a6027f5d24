// GET/HEAD, PUT and DELETE of one card. Writes take the admin API's path: the card's fields
// (src/vcard/card-contact.ts) go through prepareContact, and the store writes them with the
// expected revision, audit entry and revision bump, and keeps the card itself beside them, so the
// app gets back everything it wrote (src/vcard/card-merge.ts). When the card served back is the
// card sent, byte for byte, the PUT answers with its ETag and the app need not read it back
// (RFC 7231 4.3.4 allows an ETag only then).
import { DavConditionError, NotFoundError, PayloadTooLargeError, PreconditionFailedError, UnsupportedMediaTypeError } from '../errors.ts';
import type { Contact, ContactFields } from '../domain/contact-schemas.ts';
import { CardTakenError } from '../store/card-taken.ts';
import { cardToContact } from '../vcard/card-contact.ts';
import { cardShowsContact } from '../vcard/card-merge.ts';
import { VCARD_CONTENT_TYPE } from '../vcard/card-writer.ts';
import { actorOf, versionFrom, type DavCall } from './dav-call.ts';
import { etagOf, type Card } from './dav-resources.ts';
import { bookHref, cardHref } from './dav-paths.ts';
import { groupOf, groupOfCard, memberIds } from './group-cards.ts';
import { answerReadOnlyEdit } from './read-only-edits.ts';

/**
 * RFC 6352 leaves resource names to the client, and apps use that: DAVx5 names cards after their
 * UID ("urn:uuid:….vcf", keeping ":" ";" "&", DavUtils.kt fileNameFromUid). Any name is taken
 * but those no path can hold or no store should: control characters, and more than 255 bytes.
 */
function validName(name: string): boolean {
  return name !== '.' && name !== '..' && Buffer.byteLength(name) <= 255 && !/[\u0000-\u001f\u007f/\\]/.test(name);
}

function cardOf(call: DavCall, bodies = false): Promise<Card | null> {
  if (call.target.kind !== 'card' || !call.book) throw new NotFoundError('Card');
  return call.cards.find(call.user, call.book, call.target.name, bodies);
}

export async function getCard(call: DavCall): Promise<void> {
  const card = await cardOf(call, true);
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
  if (!validName(name)) throw new DavConditionError(403, '{DAV:}valid-resource-name', 'A card name may not hold control characters, "/" or a backslash, and is at most 255 bytes');
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
  const current = await cardOf(call, true);
  checkPreconditions(call, current);
  const text = call.body.toString('utf8');
  const parsed = cardToContact(text, user.account.region);
  const contact = { ...parsed.contact, vcard: text };
  const scope = book.writeScope!;
  const accountId = user.account.id;
  // A group card writes its group's membership in the same transaction (group-cards.ts).
  const group = groupOf(parsed.reading);
  const previous = groupOfCard(current);
  const membership = group || previous
    ? { group: group?.name ?? null, previous, members: group ? await memberIds(call, group.members) : [] }
    : null;
  if (current) {
    // The expected revision makes this one atomic in the store (412 if the card changed meanwhile).
    const target = { update: current.contact.id, expectedRevision: current.contact.revision };
    const stored = membership
      ? (await ctx.db.writeGroupCard(accountId, scope, { target, card: contact, ...membership }, actorOf(call)))!
      : await ctx.db.updateContact(accountId, scope, current.contact.id, contact, actorOf(call), current.contact.revision);
    sendEtagIfAsSent(call, stored, parsed.contact.fields);
    return void res.status(204).end();
  }
  const uid = parsed.reading.uid || name.replace(/\.vcf$/i, '');
  const bookUrl = bookHref(accountId, user.user.username, book.kind);
  let stored: Contact;
  try {
    stored = membership
      ? (await ctx.db.writeGroupCard(accountId, scope, { target: { create: { name, uid } }, card: contact, ...membership }, actorOf(call)))!
      : await ctx.db.createContactWithCard(accountId, scope, contact, actorOf(call), { name, uid });
  } catch (err) {
    if (err instanceof CardTakenError && err.taken === 'uid') {
      throw new UidConflictError(cardHref(bookUrl, err.existing.name), `A card with UID ${uid} already exists in this address book: ${err.existing.name}`);
    }
    throw err;
  }
  sendEtagIfAsSent(call, stored, parsed.contact.fields);
  res.setHeader('Location', cardHref(bookUrl, name));
  res.status(201).end();
}

/**
 * The ETag, when what a GET now serves is exactly the card sent (nothing cleaned, normalised or
 * merged); else none, and the app reads the card back (Evolution and DAVx5 do, Thunderbird reads
 * it with a multiget anyway).
 */
function sendEtagIfAsSent(call: DavCall, stored: Contact, sentFields: ContactFields): void {
  // the merge serves the kept card byte for byte exactly when its fields are the stored ones
  if (cardShowsContact(sentFields, stored)) call.res.setHeader('ETag', etagOf(stored, call.user.account.settings.nameFormat));
}

export async function deleteCard(call: DavCall): Promise<void> {
  const { user, ctx, res } = call;
  const book = call.book!;
  if (await answerReadOnlyEdit(call)) return;
  const current = await cardOf(call, true);
  if (!current) throw new NotFoundError('Card');
  checkPreconditions(call, current);
  // The expected revision makes the check and the delete one step in the store (412 otherwise);
  // a group card's members leave its group in the same transaction.
  const previous = groupOfCard(current);
  const target = { delete: current.contact.id, expectedRevision: current.contact.revision };
  if (previous) await ctx.db.writeGroupCard(user.account.id, book.writeScope!, { target, group: null, previous, members: [] }, actorOf(call));
  else await ctx.db.deleteContact(user.account.id, book.writeScope!, current.contact.id, actorOf(call), current.contact.revision);
  res.status(204).end();
}

// REPORT on an address book: addressbook-multiget and addressbook-query (RFC 6352 8.6, 8.7) and
// sync-collection (RFC 6578). A sync token names a revision of the book (the newest change to
// it: changes to other books do not move it); changes after it come from the store's book feed,
// so an app that synced once gets only what changed in that book, deletions included. A change
// to every card (settings, a big import) reports the whole book, deletions included, and keeps
// the token valid. Only a token older than the book's kept log (store.changeLogDays), from
// elsewhere or from before revisions (dav-properties.ts) gets DAV:valid-sync-token (400).
import { DavConditionError, ValidationError } from '../errors.ts';
import { inBook, type AddressBook } from './address-books.ts';
import { accountVersion, bookVersion, sendXml, xmlBody, type DavCall } from './dav-call.ts';
import type { AccountVersion } from '../domain/account-schemas.ts';
import { cardResource, parseSyncToken, syncToken } from './dav-properties.ts';
import { bookHref, cardHref, hrefToDavPath, parseDavPath } from './dav-paths.ts';
import { idOfName, type Card } from './dav-resources.ts';
import { child, childrenOf, is, NS, type XmlElement } from './dav-xml.ts';
import { Multistatus, slicer, wantsBody, type PropRequest } from './multistatus.ts';
import { propRequest } from './propfind.ts';
import { filterToCriterion } from './query-filter.ts';
import type { VcardVersion } from '../vcard/card-writer.ts';

export async function report(call: DavCall): Promise<void> {
  const body = xmlBody(call);
  if (!body) throw new ValidationError('REPORT needs a body');
  if (call.target.kind !== 'book' || !call.book) {
    throw new DavConditionError(403, '{DAV:}supported-report', 'Reports are answered on an address book URL');
  }
  if (is(body, NS.card, 'addressbook-multiget')) return multiget(call, call.book, body);
  if (is(body, NS.card, 'addressbook-query')) return query(call, call.book, body);
  if (is(body, NS.dav, 'sync-collection')) return syncCollection(call, call.book, body);
  throw new DavConditionError(403, '{DAV:}supported-report', `Unsupported report ${body.name}`);
}

/** The vCard version an address-data element in <prop> asks for. */
function versionOf(body: XmlElement): VcardVersion {
  const prop = child(body, NS.dav, 'prop');
  const ad = prop && child(prop, NS.card, 'address-data');
  return ad?.attrs.version === '4.0' ? '4.0' : '3.0';
}

/** Contacts read from the store in one piece (a few ms), between chances of a turn. */
const IDS_PER_TURN = 250;

async function multiget(call: DavCall, book: AddressBook, body: XmlElement): Promise<void> {
  const { user, cards, ctx } = call;
  const hrefs = childrenOf(body, NS.dav, 'href').map((h) => h.text.trim());
  const max = ctx.config.carddav.maxMultigetHrefs;
  if (hrefs.length > max) {
    throw new DavConditionError(403, '{DAV:}number-of-matches-within-limits', `A multiget may ask for at most ${max} cards; this one asked for ${hrefs.length}`);
  }
  const want = propRequest(body);
  const version = versionOf(body);
  const here = call.target;
  const slice = slicer();
  // Names of cards in this book, per href (null: the href points elsewhere); in slices too:
  // 10,000 hrefs decoded and matched in one piece held the loop for tens of milliseconds.
  const names: (string | null)[] = [];
  for (const h of hrefs) {
    const path = hrefToDavPath(h);
    const t = path ? parseDavPath(path) : null;
    names.push(t?.kind === 'card' && here.kind === 'book' && t.accountId === here.accountId && t.username === here.username && t.book === here.book ? t.name : null);
    await slice();
  }
  // Cards named by id are read IDS_PER_TURN to a query; client-named ones one by one.
  const ids = names.map((n) => (n ? idOfName(n) : undefined)).filter((x): x is string => !!x);
  const byId = new Map<string, Card>();
  // At least as new as the account is now: never older than a listing the app read before.
  const seen = ids.length > 0 ? await accountVersion(call) : null;
  for (let i = 0; i < ids.length; i += IDS_PER_TURN) {
    const some = (await cards.reads.byIds(user.account.id, ids.slice(i, i + IDS_PER_TURN), seen!)).filter((c) => inBook(book, c));
    for (const c of await cards.cards(user, some, wantsBody(want))) byId.set(c.contact.id, c);
    await slice();
  }
  // Names the app chose (urn:uuid:….vcf): looked up IDS_PER_TURN at a time, then read from the
  // read model like the others (one round trip per slice, not two per card).
  const byName = new Map<string, Card>();
  const chosen = [...new Set(names.filter((n): n is string => !!n && !byId.has(idOfName(n) ?? '')))];
  const seenNamed = chosen.length > 0 ? seen ?? await accountVersion(call) : null;
  for (let i = 0; i < chosen.length; i += IDS_PER_TURN) {
    for (const card of await cards.findByNames(user, book, chosen.slice(i, i + IDS_PER_TURN), seenNamed!, wantsBody(want))) byName.set(card.name, card);
    await slice();
  }
  const out = new Multistatus();
  for (let i = 0; i < hrefs.length; i++) {
    const h = hrefs[i];
    const name = names[i];
    const id = name ? idOfName(name) : undefined;
    const card = name ? (id && byId.get(id)) || byName.get(name) || null : null;
    const href = hrefToDavPath(h) ? `/carddav${hrefToDavPath(h)}` : h;
    if (!card) out.status(href, 'HTTP/1.1 404 Not Found');
    else out.resource({ ...cardResource(user, book, card, cards, version), href }, want);
    await slice();
  }
  await sendXml(call, 207, out.end());
}

async function query(call: DavCall, book: AddressBook, body: XmlElement): Promise<void> {
  const { user, cards } = call;
  const f = filterToCriterion(child(body, NS.card, 'filter'));
  const limitEl = child(body, NS.card, 'limit');
  const nresults = limitEl && child(limitEl, NS.card, 'nresults');
  const limit = nresults ? Number.parseInt(nresults.text, 10) : NaN;
  const want = propRequest(body);
  let list = await cards.list(user, book, await accountVersion(call), f.where);
  for (const p of f.telPrefixes) {
    list = list.filter((c) => c.contact.numbers.some((n) => n.digits.startsWith(p.digits) || n.raw.replace(/\D/g, '').startsWith(p.digits)) !== p.negate);
  }
  const truncated = Number.isFinite(limit) && limit >= 0 && list.length > limit;
  if (truncated) list = list.slice(0, limit);
  if (wantsBody(want)) await cards.withKeptCards(user, list);
  const version = versionOf(body);
  const out = new Multistatus();
  const slice = slicer();
  for (const card of list) {
    out.resource(cardResource(user, book, card, cards, version), want);
    await slice();
  }
  // RFC 6352 8.6.1: a truncated result says so with 507 on the collection itself.
  if (truncated) out.status(bookHref(user.account.id, user.user.username, book.kind), 'HTTP/1.1 507 Insufficient Storage');
  await sendXml(call, 207, out.end());
}

async function syncCollection(call: DavCall, book: AddressBook, body: XmlElement): Promise<void> {
  const { user, cards, ctx } = call;
  const accountId = user.account.id;
  const want: PropRequest = propRequest(body);
  const version = versionOf(body);
  const tokenText = child(body, NS.dav, 'sync-token')?.text.trim() ?? '';
  const incarnation = user.account.incarnation;
  const out = new Multistatus();
  const slice = slicer();
  const reportAll = async (seen: AccountVersion) => {
    for (const card of await cards.list(user, book, seen, undefined, undefined, wantsBody(want))) {
      out.resource(cardResource(user, book, card, cards, version), want);
      await slice();
    }
  };
  if (tokenText === '') {
    const { revision, seen } = await bookVersion(call, book);
    await reportAll(seen);
    out.syncToken(syncToken(incarnation, revision));
    return sendXml(call, 207, out.end());
  }
  const from = parseSyncToken(tokenText, incarnation);
  if (from === null) throw invalidToken();
  // Read before the cards: a write in between is reported now and again next time.
  const changes = await ctx.db.bookChangesSince(accountId, book.feedBook, from);
  if (!changes) throw invalidToken();
  const seen = { incarnation, revision: changes.accountRevision };
  if (changes.all) {
    // A settings change or a big import changed every card of the book: all are reported as
    // changed (RFC 6578 3.8 lets a server report more than changed), the token stays valid.
    await reportAll(seen);
  } else {
    const changed = await cards.cards(user, (await cards.reads.byIds(accountId, changes.changed, seen)).filter((c) => inBook(book, c)), wantsBody(want));
    for (const card of changed) {
      out.resource(cardResource(user, book, card, cards, version), want);
      await slice();
    }
  }
  // Deletions always, also with `all` (an import that replaces deletes). A card an app created is
  // reported under the name it chose, in its own book only (its name row says where); any other by
  // its id: apps ignore deletions of cards they never had (RFC 6578 3.5.2).
  const names = await ctx.db.cardNames(accountId, changes.deleted);
  const url = bookHref(accountId, user.user.username, book.kind);
  for (const id of changes.deleted) {
    const n = names.get(id);
    const here = book.kind === 'shared' ? n?.ownerId === null : book.kind === 'personal' && n?.ownerId === user.user.id;
    if (n && !here) continue;
    out.status(cardHref(url, n?.name ?? `${id}.vcf`), 'HTTP/1.1 404 Not Found');
  }
  out.syncToken(syncToken(incarnation, changes.revision));
  await sendXml(call, 207, out.end());
}

/**
 * A token this server cannot answer from (too old for the kept log, of another incarnation, from
 * before revisions, or never handed out): 400 with the DAV:valid-sync-token precondition
 * (RFC 6578 3.2) in an application/xml DAV:error body. 400, not the usual 403, because it is the
 * one answer every app we checked starts over from (docs/carddav.md, "Sync tokens"):
 * - Thunderbird (mozilla/releases-comm-central mailnews/addrbook/modules/CardDAVDirectory.sys.mjs,
 *   updateAllFromServerV2): expectedStatuses [207, 400]; on 400 it runs fetchAllFromServer (a full
 *   listing that also drops cards gone from the server); any other status is an error and the
 *   dead token is kept for every later sync.
 * - DAVx5 (bitfireAT/davx5-ose core/.../sync/SyncManager.kt, syncCollectionSync): on any
 *   HttpException whose errors contain DAV:valid-sync-token it runs an initial sync; dav4jvm
 *   (ktor/exception/HttpResponseInfo.kt) reads those errors from any status, when the body is XML
 *   (application/xml or text/xml) with DAV:error at its root.
 * - Evolution (GNOME/evolution-data-server src/addressbook/backends/carddav/e-book-backend-carddav.c,
 *   ebb_carddav_get_changes_sync): a 403 naming valid-sync-token or a 412 restarts the
 *   sync-collection without a token; any other failure falls back to getctag and a PROPFIND
 *   Depth 1 of every ETag with removed cards detected: also a full recovery.
 * - iOS/macOS: closed source. owncloud/core#30820 shows macOS Contacts repeating a sync-collection
 *   that got 403 valid-sync-token; Apple clients also poll with PROPFIND (emersion/go-webdav#213),
 *   which this server always answers in full. [inferred, not captured: that 400 makes them list.]
 */
const invalidToken = () => new DavConditionError(400, '{DAV:}valid-sync-token', 'The sync token is unknown or too old: sync again without a token');

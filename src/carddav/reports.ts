// REPORT on an address book: addressbook-multiget and addressbook-query (RFC 6352 8.6, 8.7) and
// sync-collection (RFC 6578). A sync token names a revision of the account; changes after it come
// from the store's change feed, so an app that synced once gets only what changed, deletions
// included. A token older than the kept log (store.changeLogDays), from elsewhere or from before
// revisions (dav-properties.ts) gets DAV:valid-sync-token, and the app starts over.
import { DavConditionError, ValidationError } from '../errors.ts';
import { inBook, type AddressBook } from './address-books.ts';
import { accountVersion, sendXml, xmlBody, type DavCall } from './dav-call.ts';
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
  // Names of cards in this book, per href (null: the href points elsewhere).
  const names = hrefs.map((h) => {
    const path = hrefToDavPath(h);
    const t = path ? parseDavPath(path) : null;
    return t?.kind === 'card' && here.kind === 'book' && t.accountId === here.accountId && t.username === here.username && t.book === here.book ? t.name : null;
  });
  // Cards named by id are read IDS_PER_TURN to a query; client-named ones one by one.
  const ids = names.map((n) => (n ? idOfName(n) : undefined)).filter((x): x is string => !!x);
  const byId = new Map<string, Card>();
  const slice = slicer();
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
  // Read before the cards, as in PROPFIND: a write in between is reported now and again next time.
  const account = await accountVersion(call);
  const now = account.revision;
  const out = new Multistatus();
  const slice = slicer();
  if (tokenText === '') {
    for (const card of await cards.list(user, book, account, undefined, undefined, wantsBody(want))) {
      out.resource(cardResource(user, book, card, cards, version), want);
      await slice();
    }
    out.syncToken(syncToken(user.account.incarnation, now));
    return sendXml(call, 207, out.end());
  }
  const from = parseSyncToken(tokenText, user.account.incarnation);
  // A token of the current revision needs no read; one past it was never handed out.
  if (from === null || from > now) throw invalidToken();
  if (from < now) {
    const changes = await ctx.db.changesSince(accountId, from);
    if (!changes) throw invalidToken();
    // At least as new as the token handed out below.
    const seen = { incarnation: account.incarnation, revision: Math.max(now, changes.upTo) };
    const changed = await cards.cards(user, (await cards.reads.byIds(accountId, changes.changed, seen)).filter((c) => inBook(book, c)), wantsBody(want));
    for (const card of changed) {
      out.resource(cardResource(user, book, card, cards, version), want);
      await slice();
    }
    // The feed does not say which book a deleted contact was in. A card an app created is
    // reported in its own book only (its name row says where); any other deleted contact, by its
    // id, in each book: apps ignore deletions of cards they never had (RFC 6578 3.5.2).
    const names = await ctx.db.cardNames(accountId, changes.deleted);
    const url = bookHref(accountId, user.user.username, book.kind);
    for (const id of changes.deleted) {
      const n = names.get(id);
      const here = book.kind === 'shared' ? n?.ownerId === null : book.kind === 'personal' && n?.ownerId === user.user.id;
      if (n && !here) continue;
      out.status(cardHref(url, n?.name ?? `${id}.vcf`), 'HTTP/1.1 404 Not Found');
    }
    out.syncToken(syncToken(user.account.incarnation, changes.upTo));
  } else {
    out.syncToken(syncToken(user.account.incarnation, now));
  }
  await sendXml(call, 207, out.end());
}

const invalidToken = () => new DavConditionError(403, '{DAV:}valid-sync-token', 'The sync token is unknown or too old: sync again without a token');

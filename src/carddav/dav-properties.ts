// The properties of each kind of resource: the service root, the user's principal/home, an
// address book and a card. Clients discover everything from these (RFC 4918, 5397, 6352, 6578,
// and the calendarserver.org getctag that iOS and older DAVx5 still read).
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { AddressBook, DavUser } from './address-books.ts';
import type { Card, CardResources } from './dav-resources.ts';
import { bookHref, cardHref, homeHref, ROOT } from './dav-paths.ts';
import { clark, NS } from './dav-xml.ts';
import type { DavResource, PropWriter } from './multistatus.ts';
import { VCARD_CONTENT_TYPE, type VcardVersion } from '../vcard/card-writer.ts';

const D = (n: string) => clark(NS.dav, n);
const C = (n: string) => clark(NS.card, n);
const CS = (n: string) => clark(NS.cs, n);

const href = (h: string): PropWriter => (el) => void el.ele(NS.dav, 'd:href').txt(h);
const text = (t: string): PropWriter => (el) => void el.txt(t);
const elements = (...keys: [string, string][]): PropWriter => (el) => {
  for (const [ns, name] of keys) el.ele(ns, `${ns === NS.dav ? 'd' : 'card'}:${name}`);
};

function privileges(writable: boolean): PropWriter {
  const names = writable ? ['read', 'read-current-user-privilege-set', 'write', 'write-content', 'bind', 'unbind'] : ['read', 'read-current-user-privilege-set'];
  return (el) => {
    for (const n of names) el.ele(NS.dav, 'd:privilege').ele(NS.dav, `d:${n}`);
  };
}

/** Sync tokens are URIs (RFC 6578 4): this one names the account's incarnation and a book's
 *  revision, the newest account revision that changed the book (AsyncBookFeed): a change to
 *  another book leaves it as it is. Tokens handed out before per-book revisions named the
 *  account's revision, a position of the same series, and stay valid. The incarnation makes a token of a deleted account invalid
 *  in the account created again under its id (whose feed says nothing of the old one's cards).
 *  The "r" marks a revision: tokens from before it held a change-log id ("<incarnation>/<id>",
 *  or a bare id before incarnations), a number of another series that, read as a revision, could
 *  skip changes; such a token is refused and the app syncs afresh, once. */
export const SYNC_TOKEN_PREFIX = 'http://dialbook.org/ns/sync/';
export const syncToken = (incarnation: string, revision: number) => `${SYNC_TOKEN_PREFIX}${incarnation}/r${revision}`;

/** The revision a token names, or null when it is not one of this incarnation's tokens. */
export function parseSyncToken(token: string, incarnation: string): number | null {
  if (!token.startsWith(`${SYNC_TOKEN_PREFIX}${incarnation}/r`)) return null;
  const revision = token.slice(SYNC_TOKEN_PREFIX.length + incarnation.length + 2);
  return /^[0-9]{1,15}$/.test(revision) ? Number(revision) : null;
}

/** The CalendarServer ctag: changes whenever the book's sync token does. Marked like the token, so that
 *  no ctag of a revision equals an older ctag of a change-log id and hides a change. */
export const ctag = (incarnation: string, revision: number) => `${incarnation}-r${revision}`;

function common(u: DavUser): Map<string, PropWriter> {
  return new Map<string, PropWriter>([
    [D('current-user-principal'), href(homeHref(u.account.id, u.user.username))],
    [D('principal-collection-set'), href(ROOT)],
  ]);
}

export function rootResource(u: DavUser): DavResource {
  const props = common(u);
  props.set(D('resourcetype'), elements([NS.dav, 'collection']));
  props.set(D('displayname'), text('dialbook'));
  return { href: ROOT, props, allprop: [D('resourcetype'), D('displayname')] };
}

export function homeResource(u: DavUser): DavResource {
  const home = homeHref(u.account.id, u.user.username);
  const props = common(u);
  props.set(D('resourcetype'), elements([NS.dav, 'collection'], [NS.dav, 'principal']));
  props.set(D('displayname'), text(u.user.name));
  props.set(D('principal-URL'), href(home));
  props.set(D('owner'), href(home));
  props.set(C('addressbook-home-set'), href(home));
  props.set(D('current-user-privilege-set'), privileges(false));
  if (u.user.email) props.set(clark(NS.cs, 'email-address-set'), (el) => void el.ele(NS.cs, 'cs:email-address').txt(u.user.email));
  return { href: home, props, allprop: [D('resourcetype'), D('displayname')] };
}

export function bookResource(u: DavUser, book: AddressBook, revision: number, maxCardBytes: number): DavResource {
  const home = homeHref(u.account.id, u.user.username);
  const props = common(u);
  props.set(D('resourcetype'), elements([NS.dav, 'collection'], [NS.card, 'addressbook']));
  props.set(D('displayname'), text(book.displayName));
  props.set(C('addressbook-description'), text(book.description));
  props.set(D('owner'), href(home));
  props.set(CS('getctag'), text(ctag(u.account.incarnation, revision)));
  props.set(D('sync-token'), text(syncToken(u.account.incarnation, revision)));
  props.set(D('supported-report-set'), (el) => {
    for (const [ns, name] of [[NS.card, 'addressbook-multiget'], [NS.card, 'addressbook-query'], [NS.dav, 'sync-collection']]) {
      el.ele(NS.dav, 'd:supported-report').ele(NS.dav, 'd:report').ele(ns, `${ns === NS.dav ? 'd' : 'card'}:${name}`);
    }
  });
  props.set(C('supported-address-data'), (el) => {
    for (const version of ['3.0', '4.0']) el.ele(NS.card, 'card:address-data-type').att('content-type', 'text/vcard').att('version', version);
  });
  props.set(C('max-resource-size'), text(String(maxCardBytes)));
  props.set(D('current-user-privilege-set'), privileges(book.writeScope !== null));
  return {
    href: bookHref(u.account.id, u.user.username, book.kind), props,
    allprop: [D('resourcetype'), D('displayname'), CS('getctag'), D('sync-token')],
  };
}

export function cardResource(u: DavUser, book: AddressBook, card: Card, cards: CardResources, version: VcardVersion): DavResource {
  let body: string | null = null;
  const render = () => (body ??= cards.body(u, card, version));
  const props = new Map<string, PropWriter>([
    [D('resourcetype'), () => {}],
    [D('getetag'), text(card.etag)],
    [D('getcontenttype'), text(VCARD_CONTENT_TYPE)],
    [D('getlastmodified'), text(new Date(card.contact.updatedAt).toUTCString())],
    [D('getcontentlength'), (el: XMLBuilder) => void el.txt(String(Buffer.byteLength(render())))],
    [C('address-data'), (el: XMLBuilder) => void el.txt(render())],
  ]);
  return {
    href: cardHref(bookHref(u.account.id, u.user.username, book.kind), card.name), props,
    allprop: [D('resourcetype'), D('getetag'), D('getcontenttype'), D('getlastmodified')],
  };
}

// PROPFIND (RFC 4918 9.1) on the root, the home, a book or a card; Depth 0 or 1. Depth infinity
// (or no Depth header) is answered as Depth 1, as sabre/dav does: a book has no sub-collections.
import { NotFoundError, ValidationError } from '../errors.ts';
import { booksOf } from './address-books.ts';
import { bookVersion, sendXml, xmlBody, type DavCall } from './dav-call.ts';
import { bookResource, cardResource, homeResource, rootResource } from './dav-properties.ts';
import { is, MAX_PROPERTIES, NS, propKey, type XmlElement } from './dav-xml.ts';
import { limitError } from './xml-reader.ts';
import { Multistatus, slicer, wantsBody, type DavResource, type PropRequest } from './multistatus.ts';

export function propRequest(e: XmlElement | null): PropRequest {
  if (!e) return { all: true };
  for (const c of e.children) {
    if (is(c, NS.dav, 'prop')) {
      // Each name asked for is answered for every resource: bounded, and asked once.
      if (c.children.length > MAX_PROPERTIES) {
        throw limitError('max-properties', `A request may name at most ${MAX_PROPERTIES} properties; this one names ${c.children.length}`);
      }
      return { names: [...new Set(c.children.map(propKey))] };
    }
    if (is(c, NS.dav, 'allprop')) return { all: true };
    if (is(c, NS.dav, 'propname')) return { propnames: true };
  }
  throw new ValidationError('PROPFIND needs <prop>, <allprop> or <propname>');
}

export async function propfind(call: DavCall): Promise<void> {
  const body = xmlBody(call);
  if (body && !(body.ns === NS.dav && body.name === 'propfind')) throw new ValidationError(`Expected a DAV:propfind body, got ${body.name}`);
  const want = propRequest(body);
  const depth = call.req.headers.depth === '0' ? 0 : 1;
  const { ctx, user, target } = call;
  const maxCard = ctx.config.carddav.maxCardBytes;
  const out = new Multistatus();
  const slice = slicer();
  const add = (r: DavResource) => out.resource(r, want);

  if (target.kind === 'root') {
    add(rootResource(user));
    if (depth === 1) add(homeResource(user));
  } else if (target.kind === 'home') {
    add(homeResource(user));
    if (depth === 1) {
      for (const b of booksOf(user)) add(bookResource(user, b, (await bookVersion(call, b)).revision, maxCard));
    }
  } else if (target.kind === 'book') {
    const book = call.book!;
    const { revision, seen } = await bookVersion(call, book);
    add(bookResource(user, book, revision, maxCard));
    if (depth === 1) {
      for (const card of await call.cards.list(user, book, seen, undefined, undefined, wantsBody(want))) {
        add(cardResource(user, book, card, call.cards, '3.0'));
        await slice();
      }
    }
  } else {
    const book = call.book!;
    const card = await call.cards.find(user, book, target.name, wantsBody(want));
    if (!card) throw new NotFoundError('Card');
    add(cardResource(user, book, card, call.cards, '3.0'));
  }
  await sendXml(call, 207, out.end());
}

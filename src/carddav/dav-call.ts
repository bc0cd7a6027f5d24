// One CardDAV request after sign-in: who asks, what the URL names, and the raw body. Handlers of
// each method receive this and nothing else.
import { promisify } from 'node:util';
import { gzip, gzipSync } from 'node:zlib';

const gzipAsync = promisify(gzip);
import type { Request, Response } from 'express';
import type { AppContext } from '../app-context.ts';
import type { AccountVersion } from '../domain/account-schemas.ts';
import type { Actor } from '../domain/audit.ts';
import { DavConditionError, NotFoundError } from '../errors.ts';
import type { AddressBook, DavUser } from './address-books.ts';
import type { CardResources } from './dav-resources.ts';
import type { DavTarget } from './dav-paths.ts';
import { ELEMENTS_BEYOND_HREFS, parseXml, REQUEST_LIMITS, type XmlElement } from './dav-xml.ts';
import type { VcardVersion } from '../vcard/card-writer.ts';

export interface DavCall {
  ctx: AppContext;
  cards: CardResources;
  user: DavUser;
  /** Checked: names the signed-in user's own home, one of their books, or a card in one. */
  target: Exclude<DavTarget, { kind: 'unknown' }>;
  book: AddressBook | null;
  req: Request;
  res: Response;
  body: Buffer;
}

/** The request body as XML (null when empty), within REQUEST_LIMITS. */
export function xmlBody(call: DavCall): XmlElement | null {
  const maxElements = call.ctx.config.carddav.maxMultigetHrefs + ELEMENTS_BEYOND_HREFS;
  return parseXml(call.body.toString('utf8'), { ...REQUEST_LIMITS, maxElements });
}

/** The account's version: its revision is the change-feed position sync tokens and ctags name. */
export async function accountVersion(call: DavCall): Promise<AccountVersion> {
  const version = await call.ctx.db.getAccountVersion(call.user.account.id);
  if (!version) throw new NotFoundError('Account');
  return version;
}

/**
 * A book's place in the change feed: its revision (what its sync token and ctag name) and the
 * account revision its cards must be at least as new as. Read before the cards: a write in
 * between shows in the cards and again in the next sync, never in neither.
 */
export async function bookVersion(call: DavCall, book: AddressBook): Promise<{ revision: number; seen: AccountVersion }> {
  const v = await call.ctx.db.bookChangesSince(call.user.account.id, book.feedBook, null);
  if (!v) throw new NotFoundError('Account');
  return { revision: v.revision, seen: { incarnation: call.user.account.incarnation, revision: v.accountRevision } };
}

/** Audit and created/updated-by name the user the same way the admin API does. */
export function actorOf(call: DavCall): Actor {
  return { id: `user:${call.user.user.id}:${call.user.user.username}` };
}

/** Large answers (a whole book) are gzipped when the app accepts it: a tenth of the bytes for a
 *  phone on mobile data, for about 5 ms of CPU per MB at level 1. */
const GZIP_FROM_BYTES = 8192;

/** Answers beyond this are compressed on libuv's thread pool, not on the event loop. */
const GZIP_OFF_LOOP_BYTES = 256 * 1024;

export async function sendXml(call: DavCall, status: number, xml: string): Promise<void> {
  const { req, res } = call;
  res.status(status).setHeader('Content-Type', 'application/xml; charset=utf-8');
  res.setHeader('Vary', 'Accept-Encoding');
  if (xml.length >= GZIP_FROM_BYTES && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    res.setHeader('Content-Encoding', 'gzip');
    res.send(xml.length >= GZIP_OFF_LOOP_BYTES ? await gzipAsync(xml, { level: 1 }) : gzipSync(xml, { level: 1 }));
    return;
  }
  res.send(xml);
}

/** vCard version asked for by an Accept header or an address-data element; 3.0 by default. */
export function versionFrom(accept: string | undefined): VcardVersion {
  return accept && /version\s*=\s*"?4\.0/i.test(accept) ? '4.0' : '3.0';
}

export function forbidReadOnly(book: AddressBook): void {
  if (!book.writeScope) {
    throw new DavConditionError(403, '{DAV:}need-privileges', `The address book "${book.displayName}" is read-only for you`);
  }
}

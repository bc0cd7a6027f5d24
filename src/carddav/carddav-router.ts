// The CardDAV front end: signs the caller in, checks the URL names their own home, book or card,
// and hands the request to the handler of its method. Errors are rendered here, once (renderError),
// from the one error model: DAV conditions as a DAV:error body, others as plain text with the reason.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../app-context.ts';
import { clip, errorAnswer } from '../error-answer.ts';
import { AppError, DavConditionError, NotFoundError } from '../errors.ts';
import { findBook } from './address-books.ts';
import { directoryBookReads } from './book-reads.ts';
import { deleteCard, getCard, putCard, UidConflictError } from './card-methods.ts';
import { DavAuthenticator } from './carddav-auth.ts';
import type { DavCall } from './dav-call.ts';
import { parseDavPath, ROOT } from './dav-paths.ts';
import { CardResources } from './dav-resources.ts';
import { davErrorBody } from './dav-xml.ts';
import { propfind } from './propfind.ts';
import { report } from './reports.ts';

const ALLOW = 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT';
/** DAV compliance classes (RFC 4918 18) and CardDAV's "addressbook" (RFC 6352 6.1), which
 *  Evolution and DAVx5 look for before they take a URL as an address-book server. */
const DAV_CLASSES = '1, 3, addressbook, sync-collection';

/** Mounted at /carddav. */
export function carddavRouter(ctx: AppContext): Router {
  const auth = new DavAuthenticator(ctx);
  // Listings and batches from the read model phones use (book-reads.ts); single cards from the store.
  const cards = new CardResources(ctx.db, directoryBookReads(ctx.directory));
  const router = Router();
  router.use(express.raw({ type: () => true, limit: ctx.config.carddav.maxBodyBytes }));
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.setHeader('DAV', DAV_CLASSES);
      if (req.method === 'OPTIONS') {
        res.setHeader('Allow', ALLOW);
        return void res.status(200).end();
      }
      const user = await auth.authenticate(req);
      const target = parseDavPath(req.path);
      if (target.kind === 'unknown') throw new NotFoundError('Resource');
      // Another user's or account's URLs do not exist for this caller.
      if (target.kind !== 'root' && (target.accountId !== user.account.id || target.username !== user.user.username)) throw new NotFoundError('Resource');
      const book = target.kind === 'book' || target.kind === 'card' ? findBook(user, target.book) : null;
      if ((target.kind === 'book' || target.kind === 'card') && !book) throw new NotFoundError('Address book');
      const call: DavCall = { ctx, cards, user, target, book, req, res, body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0) };
      switch (req.method) {
        case 'PROPFIND': return await propfind(call);
        case 'REPORT': return await report(call);
        case 'GET':
        case 'HEAD':
          if (target.kind !== 'card') {
            res.status(200).type('text/plain').send('dialbook CardDAV: add this server to a contacts app (see the portal\'s Phone set-up page).\n');
            return;
          }
          return await getCard(call);
        case 'PUT':
          if (target.kind !== 'card') throw methodNotAllowed();
          return await putCard(call);
        case 'DELETE':
          if (target.kind !== 'card') throw methodNotAllowed();
          return await deleteCard(call);
        default:
          throw methodNotAllowed();
      }
    } catch (err) {
      next(err);
    }
  });
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => renderError(ctx, err, req, res));
  return router;
}

/** /.well-known/carddav (RFC 6764), PROPFIND on "/" from apps given only the server address,
 *  and OPTIONS on "/", which macOS Contacts sends while it sets up an account (owncloud/core#30120):
 *  without a DAV header it may take the server for something other than CardDAV. */
export function carddavDiscovery(): Router {
  const router = Router();
  router.all('/.well-known/carddav', (_req, res) => res.redirect(301, ROOT));
  router.use((req, res, next) => {
    if (req.path !== '/') return next();
    if (req.method === 'PROPFIND') return res.redirect(301, ROOT);
    if (req.method === 'OPTIONS') {
      res.setHeader('DAV', DAV_CLASSES);
      res.setHeader('Allow', 'OPTIONS, GET, HEAD, PROPFIND');
      return void res.status(200).end();
    }
    next();
  });
  return router;
}

const methodNotAllowed = () => new AppError(405, 'method_not_allowed', 'This method is not supported here');

/** The one error model's answer (error-answer.ts), as CardDAV apps read it: a DAV condition as a
 *  DAV:error body, anything else as plain text with the reason and up to three details. */
function renderError(ctx: AppContext, err: unknown, req: Request, res: Response): void {
  const a = errorAnswer(err, { bodyLimitBytes: ctx.config.carddav.maxBodyBytes });
  if (a.status >= 500) ctx.logger.error({ err, reqId: req.id }, 'carddav request failed');
  // Part of a multistatus went out already: cut the connection, as the admin API does, so the app
  // sees a broken response instead of a listing that looks complete.
  if (res.headersSent) return void res.destroy();
  if (a.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="dialbook", charset="UTF-8"');
  if (a.status === 405) res.setHeader('Allow', ALLOW);
  for (const [name, value] of Object.entries(a.headers)) res.setHeader(name, value);
  if (a.error instanceof DavConditionError) {
    res.status(a.status).type('application/xml; charset=utf-8').send(davErrorBody(a.error.condition, a.message, a.error instanceof UidConflictError ? a.error.href : undefined));
    return;
  }
  // Under 4 KB even in 3-byte characters or escaped as &amp;: 500 characters of message and 3 × 250 of details.
  const details = a.details.slice(0, 3).map((d) => `\n- ${clip(d.field ?? 'card', 50)}: ${clip(d.reason, 200)}`).join('');
  res.status(a.status).type('text/plain; charset=utf-8').send(`${a.message}${details}\n`);
}

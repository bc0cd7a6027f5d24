// The phonebook's HTTP side: /phonebook/<account>/<vendor file> (HTTP Basic) and
// /phonebook/t/<token>/<vendor file>, answered by a plain node:http handler that the HTTP server
// calls before express (server.ts; http/app.ts mounts the same handler first in the express app).
// Phones ask mostly "has it changed?" (304): express's router, its request and response
// decorations and the per-request logger were about a fifth of a 304's CPU (bench/README.md), so
// these paths never enter express. Paths match as express matched them: case-insensitively, with
// an optional trailing slash, each path segment percent-decoded (a bad escape: 400).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import express from 'express';
import type { Counter } from 'prom-client';
import type { AppContext } from '../app-context.ts';
import type { Account } from '../domain/account-schemas.ts';
import { jsonErrorBody } from '../api/error-handler.ts';
import { errorAnswer } from '../error-answer.ts';
import { AppError, NotFoundError, ValidationError } from '../errors.ts';
import { counter } from '../ops/metrics.ts';
import { authorizePhone, type PhoneRoute } from './phone-auth.ts';
import { etagOf, PhonebookService, questionHash, readQuery, type PhonebookQuery } from './phonebook-service.ts';
import { BoundedMap } from './bounded-map.ts';
import type { Vendor, VendorRegistry } from './vendor-registry.ts';
import { VerifiedPhones } from './verified-phones.ts';

/** What the HTTP layer knows of a request that the phonebook needs (http.trustProxy applied). */
export interface PhonebookHttpOptions {
  /** The client address (express's req.ip). */
  address(req: IncomingMessage): string;
  /** "http" or "https" (express's req.protocol). */
  protocol(req: IncomingMessage): string;
}

/** Answers the request if it is a phonebook path (true), else leaves it alone (false). */
export type PhonebookHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const CHALLENGE = 'Basic realm="dialbook phonebook", charset="UTF-8"';
const PREFIX = '/phonebook';

type Params = Record<string, string | undefined>;
interface Question { q: PhonebookQuery; hash: string }
/** Distinct (account, vendor, query string) questions remembered; junk query strings push out the oldest. */
const QUESTIONS = 10_000;
/** Longer query strings are not remembered (10,000 of 512 characters: about 10 MB at most). */
const MAX_MEMO_QUERY = 512;

export function phonebookHandler(ctx: AppContext, registry: VendorRegistry, service: PhonebookService, http: PhonebookHttpOptions): PhonebookHandler {
  const verified = new VerifiedPhones();
  const questions = new BoundedMap<string, Question>(QUESTIONS);
  const requests = statusCounter(counter(ctx.metrics, 'dialbook_phonebook_requests_total', 'Phonebook requests by status', ['status']));
  // Only POSTs carry a form (vendors whose descriptor allows POST): a GET skips the body parser.
  const form = express.urlencoded({ extended: false, limit: '16kb' }) as unknown as (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  const parseForm = (req: IncomingMessage, res: ServerResponse) => new Promise<void>((ok, fail) => form(req, res, (err) => (err ? fail(err) : ok())));

  const answer = async (req: IncomingMessage, res: ServerResponse, url: string, queryAt: number): Promise<void> => {
    if (req.method === 'POST') await parseForm(req, res);
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    const route = routeOf(path);
    if (!route) throw new NotFoundError(`Route ${req.method} ${path}`);
    const vendor = registry.match(route.file);
    if (!vendor) throw new NotFoundError(`Phonebook file "${route.file}"`);
    if (!(req.method === 'GET' || req.method === 'HEAD' || (req.method === 'POST' && vendor.descriptor.allowPost))) {
      res.setHeader('Allow', vendor.descriptor.allowPost ? 'GET, HEAD, POST' : 'GET, HEAD');
      throw new AppError(405, 'method_not_allowed', `${req.method} is not allowed here`);
    }
    const who = { address: http.address(req), authorization: req.headers.authorization, userAgent: req.headers['user-agent'] };
    const account = await authorizePhone(ctx, verified, who, route.route);
    // A GET's question depends on the account's incarnation, the vendor and the query string
    // alone: what it reduces to and its ETag are remembered (a POST's form is read each time).
    const rawQuery = queryAt < 0 ? '' : url.slice(queryAt + 1);
    const memoKey = req.method === 'POST' || rawQuery.length > MAX_MEMO_QUERY ? null : `${account.incarnation}\u0000${vendor.descriptor.vendor}\u0000${rawQuery}`;
    let question = memoKey === null ? undefined : questions.get(memoKey);
    if (!question) {
      question = ask(account, vendor, phoneParams(req, rawQuery));
      if (memoKey !== null) questions.set(memoKey, question);
    }
    const { q } = question;
    const etag = etagOf(account, question.hash);
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', service.lastModified(account));
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Vary', 'Accept-Encoding, Authorization');
    for (const [k, v] of vendor.headerList) res.setHeader(k, v);
    if (notModified(req, etag, account.updatedAt)) {
      res.statusCode = 304;
      return void res.end();
    }
    const origin = ctx.config.publicUrl ?? `${http.protocol(req)}://${req.headers.host}`;
    const base = `${origin.replace(/\/$/, '')}${path}`;
    const out = await service.render(account, vendor, q, base, etag);
    res.setHeader('Content-Type', out.contentType);
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    res.end(req.method === 'HEAD' ? undefined : gzip ? out.gzip : out.body);
  };

  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown) => {
    const a = errorAnswer(err);
    // rendered as the express error handler renders every other HTTP error (api/error-handler.ts)
    if (a.status >= 500) ctx.logger.error({ err }, 'request failed');
    else if (a.error.cause !== undefined) ctx.logger.warn({ err: a.error.cause }, `request refused (${a.status}) after an internal failure`);
    if (res.headersSent) return void res.destroy();
    if (a.status === 401) res.setHeader('WWW-Authenticate', CHALLENGE);
    for (const [name, value] of Object.entries(a.headers)) res.setHeader(name, value);
    const body = Buffer.from(jsonErrorBody(a));
    res.statusCode = a.status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  return (req, res) => {
    const url = req.url ?? '';
    // "/phonebook", "/phonebook/..." and "/phonebook?..." in any case, as express's mount matched
    if (url.length < PREFIX.length || (url.length > PREFIX.length && url[PREFIX.length] !== '/' && url[PREFIX.length] !== '?')) return false;
    if (url.charCodeAt(1) !== 112 /* p */ || url.slice(0, PREFIX.length) !== PREFIX) {
      if (url.slice(0, PREFIX.length).toLowerCase() !== PREFIX) return false;
    }
    res.once('finish', requests);
    answer(req, res, url, url.indexOf('?')).catch((err: unknown) => fail(req, res, err));
    return true;
  };
}

/** A request's parameters reduced to the vendor's question, or the 400 for a view it does not have. */
function ask(account: Account, vendor: Vendor, params: Params): Question {
  const q = readQuery(vendor, params);
  // A view is looked up among the vendor's own templates only ("__proto__", "toString" are not views).
  const viewParam = vendor.descriptor.params.view.find((n) => (params[n] ?? '') !== '');
  const asked = viewParam ? String(params[viewParam]) : '';
  if (viewParam && !Object.hasOwn(vendor.templates, asked)) {
    throw new ValidationError(`Unknown view "${asked.slice(0, 50)}"`, [{ field: viewParam, value: asked.slice(0, 50), reason: `must be one of: ${Object.keys(vendor.templates).join(', ')}` }]);
  }
  return { q, hash: questionHash(account, vendor, q) };
}

/** The route a path names, as express's routes /t/:token/*file and /:account/*file matched it; null: none. */
function routeOf(path: string): { route: PhoneRoute; file: string } | null {
  let rest = path.slice(PREFIX.length + 1);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  const parts = rest.split('/');
  const decoded = (s: string) => decodeURIComponent(s); // throws URIError: 400 bad_request
  if (parts.length >= 3 && parts[0].toLowerCase() === 't' && parts[1] !== '') {
    return { route: { token: decoded(parts[1]) }, file: parts.slice(2).map(decoded).join('/') };
  }
  if (parts.length >= 2 && parts[0] !== '' && parts.slice(1).join('/') !== '') {
    return { route: { accountId: decoded(parts[0]) }, file: parts.slice(1).map(decoded).join('/') };
  }
  return null;
}

function notModified(req: IncomingMessage, etag: string, updatedAt: string): boolean {
  const inm = req.headers['if-none-match'];
  if (inm) return inm === etag || inm.split(',').map((t) => t.trim().replace(/^W\//, '')).includes(etag);
  const ims = req.headers['if-modified-since'];
  if (ims) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && Math.floor(Date.parse(updatedAt) / 1000) <= Math.floor(since / 1000);
  }
  return false;
}

/**
 * Query (and, for POST, form) parameters as plain own keys with one string each: names are looked
 * up by the vendor descriptor, so "__proto__" or a repeated key (an array) must not reach that lookup.
 * The query is read as express read it (node:querystring, its "simple" parser).
 */
function phoneParams(req: IncomingMessage, query: string): Params {
  const out: Params = Object.create(null) as Params;
  if (query !== '') copyFirst(parseQuery(query), out);
  const body = (req as IncomingMessage & { body?: unknown }).body;
  if (req.method === 'POST' && body && typeof body === 'object') copyFirst(body as Record<string, unknown>, out);
  return out;
}

function copyFirst(source: Record<string, unknown>, out: Params): void {
  for (const k of Object.keys(source)) {
    const v = source[k];
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') out[k] = first;
  }
}

/** A 'finish' listener counting the response's status (one shared function, no closure per request). */
function statusCounter(c: Counter<string>): (this: ServerResponse) => void {
  const children = new Map<number, { inc(): void }>();
  return function count(this: ServerResponse) {
    let child = children.get(this.statusCode);
    if (!child) children.set(this.statusCode, (child = c.labels(String(this.statusCode))));
    child.inc();
  };
}

// GET /phonebook/<account>/<vendor file> (HTTP Basic) and /phonebook/t/<token>/<vendor file>.
import express, { Router, type Request, type Response } from 'express';
import type { AppContext } from '../app-context.ts';
import { AppError, NotFoundError, ValidationError } from '../errors.ts';
import { authorizePhone } from './phone-auth.ts';
import { PhonebookService, readQuery } from './phonebook-service.ts';
import type { VendorRegistry } from './vendor-registry.ts';

export function phonebookRouter(ctx: AppContext, registry: VendorRegistry): Router {
  const router = Router();
  const service = new PhonebookService(ctx);
  // Only POSTs carry a form (vendors whose descriptor allows POST): a GET, what phones send
  // thousands of times a day, skips the body parser (an eighth of a 304's CPU).
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  router.use((req, res, next) => (req.method === 'POST' ? form(req, res, next) : next()));

  const handle = (route: { accountId?: string; token?: string }) => async (req: Request, res: Response) => {
    const file = ([] as string[]).concat(req.params.file as string | string[]).join('/');
    const vendor = registry.match(file);
    if (!vendor) throw new NotFoundError(`Phonebook file "${file}"`);
    if (!(req.method === 'GET' || req.method === 'HEAD' || (req.method === 'POST' && vendor.descriptor.allowPost))) {
      res.setHeader('Allow', vendor.descriptor.allowPost ? 'GET, HEAD, POST' : 'GET, HEAD');
      throw new AppError(405, 'method_not_allowed', `${req.method} is not allowed here`);
    }
    const account = await authorizePhone(ctx, req, route);
    const params = phoneParams(req);
    const q = readQuery(vendor, params);
    // A view is looked up among the vendor's own templates only ("__proto__", "toString" are not views).
    const viewParam = vendor.descriptor.params.view.find((n) => (params[n] ?? '') !== '');
    const asked = viewParam ? String(params[viewParam]) : '';
    if (viewParam && !Object.hasOwn(vendor.templates, asked)) {
      throw new ValidationError(`Unknown view "${asked.slice(0, 50)}"`, [{ field: viewParam, value: asked.slice(0, 50), reason: `must be one of: ${Object.keys(vendor.templates).join(', ')}` }]);
    }
    const etag = service.etag(account, vendor, q);
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', new Date(account.updatedAt).toUTCString());
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Vary', 'Accept-Encoding, Authorization');
    for (const [k, v] of Object.entries(vendor.descriptor.headers)) res.setHeader(k, v);
    if (notModified(req, etag, account.updatedAt)) return void res.status(304).end();

    const origin = ctx.config.publicUrl ?? `${req.protocol}://${req.get('host')}`;
    const base = `${origin.replace(/\/$/, '')}${req.baseUrl}${req.path}`;
    const out = await service.render(account, vendor, q, base);
    res.setHeader('Content-Type', out.contentType);
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    res.end(req.method === 'HEAD' ? undefined : gzip ? out.gzip : out.body);
  };

  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response, next: (e?: unknown) => void) => {
    try {
      await fn(req, res);
    } catch (err) {
      if (err instanceof AppError && err.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="dialbook phonebook", charset="UTF-8"');
      next(err);
    }
  };
  router.all('/t/:token/*file', wrap((req, res) => handle({ token: String(req.params.token) })(req, res)));
  router.all('/:account/*file', wrap((req, res) => handle({ accountId: String(req.params.account) })(req, res)));
  return router;
}

function notModified(req: Request, etag: string, updatedAt: string): boolean {
  const inm = req.headers['if-none-match'];
  if (inm) return inm.split(',').map((t) => t.trim().replace(/^W\//, '')).includes(etag);
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
 */
function phoneParams(req: Request): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = Object.create(null);
  const form = req.method === 'POST' && req.body && typeof req.body === 'object' ? req.body as Record<string, unknown> : {};
  for (const source of [req.query as Record<string, unknown>, form]) {
    for (const [k, v] of Object.entries(source)) {
      const first = Array.isArray(v) ? v[0] : v;
      if (typeof first === 'string') out[k] = first;
    }
  }
  return out;
}

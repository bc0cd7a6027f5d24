// The HTTP side: one express app serving the admin API, the phonebooks, the portal, health and
// metrics. Front ends are mounted here and nowhere else.
import express, { type Express } from 'express';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { AppContext } from '../app-context.ts';
import { adminApi } from '../api/admin-api.ts';
import { errorHandler } from '../api/error-handler.ts';
import { METRICS_CHALLENGE, metricsAuthorized } from '../auth/metrics-access.ts';
import { carddavDiscovery, carddavRouter } from '../carddav/carddav-router.ts';
import { NotFoundError, UnauthorizedError } from '../errors.ts';
import { httpMetrics } from '../ops/metrics.ts';
import { Readiness } from '../ops/readiness.ts';
import { phonebookHandler } from '../phonebook/phonebook-http.ts';
import { PhonebookPrerender } from '../phonebook/phonebook-prerender.ts';
import { PhonebookService } from '../phonebook/phonebook-service.ts';
import { VendorRegistry } from '../phonebook/vendor-registry.ts';
import { portalRouter } from '../portal/portal-routes.ts';
import { sessionMiddleware } from '../portal/session-routes.ts';
import { securityHeaders } from './security-headers.ts';
import { clientAddressOf, protocolOf, type TrustFn } from './forwarded.ts';

export interface HttpHandler {
  app: Express;
  /** What the HTTP server calls: phonebook paths are answered before express, the rest by the app. */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export function createApp(ctx: AppContext, readiness = new Readiness(ctx.db, { ldapEnabled: false })): Express {
  return createHttpHandler(ctx, readiness).app;
}

/** warm: the start's build of every read model; the whole-directory phonebooks are rendered
 *  after it, and /readyz waits for both (phonebook-prerender.ts). */
export function createHttpHandler(ctx: AppContext, readiness = new Readiness(ctx.db, { ldapEnabled: false }), warm?: Promise<unknown>): HttpHandler {
  const app = express();
  // Loaded (and checked) once at start; a broken template stops the start here.
  const vendors = VendorRegistry.load(ctx.config.phonebook.templatesDir);
  readiness.templatesLoaded();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.http.trustProxy);
  app.set('etag', false);

  // Phones fetch phonebooks thousands of times a day, mostly to hear "304 Not Modified": they are
  // answered by a node:http handler before express (handle below), counted, not logged line by
  // line. The app mounts the same handler first, for callers that serve the app alone.
  const trust = app.get('trust proxy fn') as TrustFn;
  const phonebookService = new PhonebookService(ctx);
  const prerender = new PhonebookPrerender(ctx, vendors, phonebookService);
  if (warm) void readiness.startupTask('rendering phonebooks', warm.then(() => { prerender.started(); return prerender.idle(); }));
  else prerender.started();
  const phonebooks = phonebookHandler(ctx, vendors, phonebookService, {
    address: (req) => clientAddressOf(req, trust),
    protocol: (req) => protocolOf(req, trust),
  });
  app.use((req, res, next) => {
    if (!phonebooks(req, res)) next();
  });

  app.use(securityHeaders());
  const duration = httpMetrics(ctx.metrics);
  app.use(pinoHttp({
    logger: ctx.logger,
    genReqId: (req, res) => {
      const id = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 64)) || randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
  }));
  app.use((req, res, next) => {
    // Read the path now: once a mounted router answers, req.path is relative to its mount point
    // (an API call finished as "/accounts/..." and was counted as "portal").
    const route = routeFamily(req.path);
    const end = duration.startTimer({ method: req.method });
    res.on('finish', () => end({ route, status: String(res.statusCode) }));
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const failing = await readiness.check();
    const ready = Object.keys(failing).length === 0;
    res.setHeader('Cache-Control', 'no-store');
    res.status(ready ? 200 : 503).json(ready ? { status: 'ready' } : { status: 'not ready', failing });
  });
  // On the HTTP ports /metrics needs the metrics token; without one it is not served here at
  // all (a separate metrics listener, server.ts, serves it instead).
  const metricsToken = ctx.config.metrics.token;
  app.get('/metrics', (req, res, next) => {
    if (!metricsToken) return next(new NotFoundError('Route GET /metrics (set metrics.token, or metrics.port for a separate listener)'));
    if (!metricsAuthorized(req.headers.authorization, metricsToken)) {
      res.setHeader('WWW-Authenticate', METRICS_CHALLENGE);
      return next(new UnauthorizedError('GET /metrics needs the metrics token (Authorization: Bearer ...)'));
    }
    ctx.metrics.metrics().then((text) => {
      res.setHeader('Content-Type', ctx.metrics.contentType);
      res.send(text);
    }, next);
  });

  if (ctx.config.carddav.enabled) {
    app.use(carddavDiscovery());
    app.use('/carddav', carddavRouter(ctx));
  }
  app.use('/api/v1', sessionMiddleware(ctx));
  app.use('/api/v1', adminApi(ctx, vendors));
  app.use('/', portalRouter(ctx));

  app.use((req, _res, next) => next(new NotFoundError(`Route ${req.method} ${req.path}`)));
  app.use(errorHandler(ctx.logger));
  return {
    app,
    handle: (req, res) => {
      if (!phonebooks(req, res)) app(req, res);
    },
  };
}

/** Low-cardinality label for metrics. */
function routeFamily(path: string): string {
  if (path.startsWith('/api/v1')) return 'api';
  if (path.startsWith('/phonebook')) return 'phonebook';
  if (path.startsWith('/carddav') || path.startsWith('/.well-known/carddav')) return 'carddav';
  if (path === '/metrics' || path === '/healthz' || path === '/readyz') return 'ops';
  return 'portal';
}

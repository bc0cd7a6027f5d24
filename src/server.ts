// Builds the application context once and starts the HTTP and LDAP front ends over it.
// SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the database cleanly.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AppContext } from './app-context.ts';
import { PhoneCredentialService } from './auth/phone-credentials.ts';
import { METRICS_CHALLENGE, metricsAuthorized } from './auth/metrics-access.ts';
import type { SecretBox } from './auth/secret-box.ts';
import { SigninLimiter } from './auth/signin-limiter.ts';
import type { Config } from './config/config-schema.ts';
import { createHttpHandler } from './http/app.ts';
import { answerClientErrors } from './http/client-errors.ts';
import { gracefulCloser } from './http/graceful-close.ts';
import { createLogger } from './ops/logger.ts';
import { createMetrics } from './ops/metrics.ts';
import { openConfiguredStore } from './store/open-store.ts';
import { ensureAdminToken, openSecretsOf } from './bootstrap.ts';
import { startLdapServer } from './ldap/ldap-server.ts';
import { Readiness } from './ops/readiness.ts';
import { importRunning } from './spreadsheet/import-thread.ts';
import { Directory } from './directory/directory.ts';

export interface RunningServer {
  ctx: AppContext;
  httpPort: number;
  httpsPort: number | null;
  metricsPort: number | null;
  ldapPort: number | null;
  /** The platform-admin token if this start created it (print it once). */
  createdAdminToken: string | null;
  /** What /readyz answers from; start-up work after the listeners are up registers with it. */
  readiness: Readiness;
  stop(): Promise<void>;
  /** Re-reads the HTTPS certificate and key (SIGHUP); new connections use them. Throws, keeping the old ones, if unreadable. */
  reloadTls(): void;
}

export async function buildContext(config: Config): Promise<AppContext> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // SQLite in dataDir, or PostgreSQL with database.url: nothing below knows which.
  const db = await openConfiguredStore(config);
  let secrets: SecretBox;
  try {
    secrets = await openSecretsOf(config, db);
  } catch (err) {
    await db.close();
    throw err;
  }
  const logger = createLogger(config.log.level);
  // The read model follows the store's change feed: this process's writes by their hints at
  // once, other processes' and instances' by their hints (PostgreSQL) or the safety poll.
  // While the database is away every model in use fails its feed read each revisionCheckMs: one
  // line per 10 s with a count says so without flooding the log.
  let lastLogged = 0;
  let quiet = 0;
  const onError = (err: unknown) => {
    const now = Date.now();
    if (now - lastLogged < 10_000) return void quiet++;
    logger.error({ err, alsoFailed: quiet }, 'read model: a build or change-feed read failed (answers come from the models as they stand)');
    lastLogged = now;
    quiet = 0;
  };
  const directory = new Directory(db, { ...config.directory, onError });
  const metrics = createMetrics();
  return {
    config,
    db,
    directory,
    logger,
    secrets,
    phoneCredentials: new PhoneCredentialService(db, secrets),
    metrics,
    signinLimiter: new SigninLimiter(db, config.signin, { logger, metrics, markKey: secrets.deriveKey('signin marks') }),
  };
}

/** Closes what buildContext opened: the read model's follower, the credential watch, the store. */
export async function closeContext(ctx: AppContext): Promise<void> {
  await ctx.directory.close();
  await ctx.phoneCredentials.close();
  await ctx.db.close();
}

export async function startServer(config: Config): Promise<RunningServer> {
  // Read before anything opens or listens: a missing certificate stops the start cleanly.
  const tls = config.http.httpsPort !== null ? readTls(config) : null;
  const ctx = await buildContext(config);
  const createdAdminToken = await ensureAdminToken(ctx);
  // Every instance prunes; the deletes are idempotent. A failure (database away) waits for the next turn.
  const pruneChangeLog = () => void ctx.db.pruneChangeLog(Math.floor(Date.now() / 1000) - config.store.changeLogDays * 86_400)
    .catch((err: unknown) => ctx.logger.warn({ err }, 'pruning the change log failed; next try in 6 hours'));
  pruneChangeLog();
  const pruneTimer = setInterval(pruneChangeLog, 6 * 3_600_000).unref();
  const readiness = new Readiness(ctx.db, { ldapEnabled: config.ldap.enabled, ownWriteRunning: importRunning, feedUp: () => ctx.directory.listening });
  // A load balancer sends phones here only once every account's read model is built (issue 24):
  // no phone waits for a cold build. Failures are logged by the directory; the task ends anyway.
  const warm = config.directory.warmAtStart ? ctx.directory.warmAll().catch(() => undefined) : undefined;
  if (warm) void readiness.startupTask('building read models', warm);
  // Phonebook requests are answered before express (http/app.ts); everything else by the app.
  // The whole-directory phonebooks are rendered after the warm-up, before /readyz turns 200.
  const { handle: app } = createHttpHandler(ctx, readiness, warm);
  const http = createServer(app);
  const httpCloser = gracefulCloser(http);
  answerClientErrors(http, (socket) => httpCloser.busy(socket));
  http.keepAliveTimeout = 65_000;
  await listen(http, config.http.port, config.http.host);
  const httpPort = (http.address() as AddressInfo).port;
  // Optional HTTPS port over the same app; its certificate files are re-read by reloadTls().
  let https: HttpsServer | null = null;
  if (tls && config.http.httpsPort !== null) {
    https = createHttpsServer(tls, app);
    https.keepAliveTimeout = 65_000;
    await listen(https, config.http.httpsPort, config.http.host);
  }
  // Optional private listener for Prometheus (metrics.port): /metrics (token only if configured).
  let metricsServer: Server | null = null;
  if (config.metrics.port !== null) {
    const token = config.metrics.token;
    metricsServer = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return void res.writeHead(404).end();
      if (!metricsAuthorized(req.headers.authorization, token)) return void res.writeHead(401, { 'WWW-Authenticate': METRICS_CHALLENGE }).end();
      ctx.metrics.metrics().then(
        (text) => void res.writeHead(200, { 'Content-Type': ctx.metrics.contentType }).end(text),
        () => void res.writeHead(500).end(),
      );
    });
    await listen(metricsServer, config.metrics.port, config.metrics.host);
  }
  let ldap = null as { port: number; close(graceMs: number): Promise<void> } | null;
  if (config.ldap.enabled) {
    ldap = await startLdapServer(ctx);
    readiness.ldapListening();
  }
  const httpsPort = https ? (https.address() as AddressInfo).port : null;
  const metricsPort = metricsServer ? (metricsServer.address() as AddressInfo).port : null;
  ctx.logger.info({ httpPort, httpsPort, ldapPort: ldap?.port ?? null, metricsPort, dataDir: config.dataDir }, 'dialbook started');

  const reloadTls = () => {
    if (!https) return;
    https.setSecureContext(readTls(config));
    ctx.logger.info({ cert: config.http.tlsCert }, 'HTTPS certificate reloaded');
  };

  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= (async () => {
    ctx.logger.info('stopping: no new connections, finishing in-flight requests');
    readiness.stopStarted();
    clearInterval(pruneTimer);
    // The plain HTTP port, where phones are, closes socket by socket (graceful-close.ts), and so
    // does LDAP (ldap-server.ts); the optional HTTPS and metrics ports close the usual way, all
    // within the same grace period.
    const others = [https, metricsServer].filter((x): x is Server | HttpsServer => x !== null);
    const closed = others.map((srv) => new Promise<void>((res) => srv.close(() => res())));
    for (const srv of others) srv.closeIdleConnections();
    const grace = setTimeout(() => { for (const srv of others) srv.closeAllConnections(); }, config.http.shutdownGraceMs);
    await Promise.all([httpCloser.close(config.http.shutdownGraceMs), ...closed, ldap?.close(config.http.shutdownGraceMs)]);
    clearTimeout(grace);
    await closeContext(ctx);
    ctx.logger.info('stopped');
  })());
  return { ctx, httpPort, httpsPort, metricsPort, ldapPort: ldap?.port ?? null, createdAdminToken, readiness, stop, reloadTls };
}

/** The HTTPS certificate and key, read now (at start and on every reload). */
function readTls(config: Config): { cert: Buffer; key: Buffer } {
  const { tlsCert, tlsKey } = config.http;
  if (!tlsCert || !tlsKey) throw new Error('http.httpsPort needs http.tlsCert and http.tlsKey (PEM files)');
  try {
    return { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) };
  } catch (err) {
    throw new Error(`Cannot read the HTTPS certificate or key: ${(err as Error).message}`);
  }
}

function listen(server: Server | HttpsServer, port: number, host: string): Promise<void> {
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => {
      server.off('error', rej);
      res();
    });
  });
}

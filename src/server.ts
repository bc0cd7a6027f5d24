// Builds the application context once and starts the HTTP and LDAP front ends over it.
// SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the database cleanly.
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { AppContext } from './app-context.ts';
import { PhoneCredentialService } from './auth/phone-credentials.ts';
import { SecretBox } from './auth/secret-box.ts';
import { SigninLimiter } from './auth/signin-limiter.ts';
import type { Config } from './config/config-schema.ts';
import { createApp } from './http/app.ts';
import { answerClientErrors } from './http/client-errors.ts';
import { gracefulCloser } from './http/graceful-close.ts';
import { createLogger } from './ops/logger.ts';
import { createMetrics } from './ops/metrics.ts';
import { openSqliteStore } from './store/sqlite/sqlite-store.ts';
import { ensureAdminToken } from './bootstrap.ts';
import { startLdapServer } from './ldap/ldap-server.ts';
import { Directory } from './directory/directory.ts';
import { withWriteNotices } from './directory/store-write-notices.ts';

export interface RunningServer {
  ctx: AppContext;
  httpPort: number;
  ldapPort: number | null;
  /** The platform-admin token if this start created it (print it once). */
  createdAdminToken: string | null;
  stop(): Promise<void>;
}

export function buildContext(config: Config): AppContext {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const sqlite = openSqliteStore(join(config.dataDir, 'dialbook.db'));
  const directory = new Directory(sqlite, config.directory);
  // writes made in this process reach the directory at once; other processes' within revisionCheckMs
  const store = withWriteNotices(sqlite, (accountId) => directory.changed(accountId));
  const secrets = SecretBox.forDataDir(config.dataDir);
  return {
    config,
    store,
    directory,
    logger: createLogger(config.log.level),
    secrets,
    phoneCredentials: new PhoneCredentialService(store, secrets),
    metrics: createMetrics(),
    signinLimiter: new SigninLimiter(store, config.signin),
  };
}

export async function startServer(config: Config): Promise<RunningServer> {
  const ctx = buildContext(config);
  const createdAdminToken = ensureAdminToken(ctx);
  const pruneChangeLog = () => ctx.store.pruneChangeLog(Math.floor(Date.now() / 1000) - config.store.changeLogDays * 86_400);
  pruneChangeLog();
  const pruneTimer = setInterval(pruneChangeLog, 6 * 3_600_000).unref();
  const http = createServer(createApp(ctx));
  const httpCloser = gracefulCloser(http);
  answerClientErrors(http, (socket) => httpCloser.busy(socket));
  http.keepAliveTimeout = 65_000;
  await listen(http, config.http.port, config.http.host);
  const httpPort = (http.address() as AddressInfo).port;
  let ldap = null as { port: number; close(): Promise<void> } | null;
  if (config.ldap.enabled) ldap = await startLdapServer(ctx);
  ctx.logger.info({ httpPort, ldapPort: ldap?.port ?? null, dataDir: config.dataDir }, 'dialbook started');

  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= (async () => {
    ctx.logger.info('stopping: no new connections, finishing in-flight requests');
    clearInterval(pruneTimer);
    await Promise.all([httpCloser.close(config.http.shutdownGraceMs), ldap?.close()]);
    ctx.directory.close();
    ctx.store.close();
    ctx.logger.info('stopped');
  })());
  return { ctx, httpPort, ldapPort: ldap?.port ?? null, createdAdminToken, stop };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => {
      server.off('error', rej);
      res();
    });
  });
}

// The LDAP front end: read-only, over the same store as the admin API. ldapjs is used only in
// this folder (it is archived upstream; a fork or replacement should touch nothing else).
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import ldap from 'ldapjs';
import messages from '@ldapjs/messages';
import type { AppContext } from '../app-context.ts';
import { bindHandler, rememberOriginalName, type BindRequestLike } from './ldap-bind.ts';
import { DirectoryNames, parseAtName } from './ldap-dn.ts';
import { RC, searchHandler, type SearchRequestLike, type SearchResponseLike } from './ldap-search.ts';
import { clearSession } from './ldap-session.ts';
import { renameVlvOid } from './ldap-vlv.ts';

const BIND_OP = 0x60;
const START_TLS = '1.3.6.1.4.1.1466.20037';
/** No phone sends a request anywhere near this. */
const MAX_REQUEST_BYTES = 256 * 1024;
const { BindRequest } = messages; // CommonJS: no named exports from ESM

export interface RunningLdap {
  port: number;
  ldapsPort: number | null;
  close(): Promise<void>;
}

export async function startLdapServer(ctx: AppContext): Promise<RunningLdap> {
  const cfg = ctx.config.ldap;
  const names = new DirectoryNames(cfg.suffix);
  const tls = cfg.tlsCert && cfg.tlsKey ? { certificate: readFileSync(cfg.tlsCert, 'utf8'), key: readFileSync(cfg.tlsKey, 'utf8') } : null;
  const plain = createServer(ctx, names, null, tls ? createSecureContext({ cert: tls.certificate, key: tls.key }) : null);
  await listen(plain, cfg.port, cfg.host);
  let secure: ReturnType<typeof createServer> | null = null;
  if (cfg.ldapsPort !== null && tls) {
    secure = createServer(ctx, names, tls, null);
    await listen(secure, cfg.ldapsPort, cfg.host);
  }
  return {
    port: plain.address().port,
    ldapsPort: secure ? secure.address().port : null,
    close: async () => {
      await Promise.all([plain, secure].filter((s) => s !== null).map((s) => new Promise<void>((res) => {
        for (const c of s!.openSockets) c.destroy();
        s!.close(() => res());
      })));
    },
  };
}

type LdapServer = ReturnType<typeof ldap.createServer> & {
  server: { maxConnections: number };
  newConnection(conn: Socket): void;
  openSockets: Set<Socket>;
  address(): { port: number };
};

function createServer(ctx: AppContext, names: DirectoryNames, tls: { certificate: string; key: string } | null, startTls: SecureContext | null): LdapServer {
  const cfg = ctx.config.ldap;
  // Per connection: Nagle off (multi-entry answers otherwise wait ~40 ms), idle timeout, and
  // non-DN bind names replaced before ldapjs would reject them as invalid DN syntax.
  const connectionRouter = (conn: Socket) => {
    conn.setNoDelay(true);
    conn.setTimeout(cfg.idleTimeoutMs, () => conn.destroy());
    conn.on('error', (err) => ctx.logger.debug({ err }, 'ldap connection error'));
    server.openSockets.add(conn);
    conn.on('close', () => {
      server.openSockets.delete(conn);
      clearSession(conn);
    });
    server.newConnection(conn);
    const parser = (conn as Socket & { parser: { emit: (ev: string, ...a: unknown[]) => boolean; write: (d: Buffer) => void; buffer: Buffer | null } }).parser;
    // Oversized or malformed requests: ldapjs would buffer them forever. The parser keeps the
    // unparsed bytes of the current message in parser.buffer (and calls write() again itself for
    // the rest of a chunk holding several messages).
    const write = parser.write.bind(parser);
    parser.write = (data: Buffer) => {
      const buffered = parser.buffer?.length ?? 0;
      const startsMessage = buffered === 0;
      const bad = startsMessage && (data[0] !== 0x30 || declaredLength(data) > MAX_REQUEST_BYTES);
      if (bad || buffered + data.length > MAX_REQUEST_BYTES) {
        ctx.logger.debug({ remote: conn.remoteAddress }, 'malformed or oversized ldap request: connection closed');
        conn.destroy();
        return;
      }
      write(renameVlvOid(data));
    };
    const emit = parser.emit.bind(parser);
    parser.emit = (ev: string, ...args: unknown[]) => {
      if (ev === 'message') args[0] = withDnBindName(args[0] as { protocolOp: number }, names);
      return emit(ev, ...args);
    };
  };
  const server = ldap.createServer({ ...(tls ?? {}), connectionRouter } as Parameters<typeof ldap.createServer>[0]) as LdapServer;
  server.server.maxConnections = cfg.maxConnections;
  server.openSockets = new Set();

  const bind = bindHandler(ctx, names);
  server.bind('', (req: BindRequestLike & { connection: object }, res: { end(): void }, next: (e?: Error) => void) => {
    bind(req.connection, req).then(
      (ok) => (ok ? res.end() : next(ldapError(new ldap.InvalidCredentialsError('Invalid credentials')))),
      (err) => next(internal(ctx, err)),
    );
  });

  const search = searchHandler(ctx, names);
  server.search('', (req: SearchRequestLike, res: SearchResponseLike, next: (e?: Error) => void) => {
    search(req, res).catch((err) => next(internal(ctx, err)));
  });

  server.exop(START_TLS, (req: { connection: Socket }, res: { responseName: string; end(): void }, next: (e?: Error) => void) => {
    if (!startTls) return next(ldapError(new ldap.UnavailableError('StartTLS needs ldap.tlsCert and ldap.tlsKey')));
    if (req.connection instanceof TLSSocket || (req.connection as Socket & { encrypted?: boolean }).encrypted) {
      return next(ldapError(new ldap.OperationsError('TLS is already active')));
    }
    res.responseName = START_TLS;
    res.end();
    upgradeToTls(req.connection, startTls);
  });

  const readOnly = (_req: unknown, _res: unknown, next: (e?: Error) => void) =>
    next(ldapError(new ldap.UnwillingToPerformError('This directory is read-only: manage contacts through dialbook')));
  server.add('', readOnly);
  server.modify('', readOnly);
  server.del('', readOnly);
  server.modifyDN('', readOnly);
  server.compare('', readOnly);

  server.on('error', (err: Error) => ctx.logger.debug({ err }, 'ldap protocol error'));
  server.on('clientError', (err: Error) => ctx.logger.debug({ err }, 'ldap client error'));
  return server;
}

/**
 * StartTLS (RFC 4511 4.14): after the success response goes out in clear, the same TCP
 * connection continues as TLS. ldapjs has no StartTLS of its own: its data listeners are moved
 * behind a server-side TLSSocket, and its writes go through that socket.
 */
function upgradeToTls(conn: Socket, context: SecureContext): void {
  const listeners = conn.listeners('data') as ((d: Buffer) => void)[];
  conn.removeAllListeners('data');
  const secure = new TLSSocket(conn, { isServer: true, secureContext: context });
  secure.on('data', (d: Buffer) => { for (const l of listeners) l.call(conn, d); });
  secure.on('error', () => conn.destroy());
  (conn as Socket & { write: (d: Buffer) => boolean }).write = (d: Buffer) => secure.write(d);
  (conn as Socket & { encrypted?: boolean }).encrypted = true;
}

/** Rewrites a bind whose name is "user@account" (or no DN at all) to a DN ldapjs accepts. */
function withDnBindName(msg: { protocolOp: number }, names: DirectoryNames): unknown {
  if (msg.protocolOp !== BIND_OP) return msg;
  const req = msg as unknown as { name: string; credentials: string; messageId: number; controls: unknown[]; version: number };
  const name = typeof req.name === 'string' ? req.name : '';
  if (name === '' || looksLikeDn(name)) return msg;
  const at = parseAtName(name);
  const dn = at ? `cn=${escapeDn(at.username)},${names.account(at.accountId)}` : `cn=${escapeDn(name)},ou=unresolved,${names.suffix}`;
  const replaced = new BindRequest({ messageId: req.messageId, name: dn, credentials: req.credentials, controls: req.controls, version: req.version });
  replaced.log = (msg as unknown as { log: unknown }).log;
  rememberOriginalName(replaced, name);
  return replaced;
}

/** The length an LDAPMessage (SEQUENCE) declares in its first bytes, or 0 if not readable yet. */
function declaredLength(data: Buffer): number {
  if (data.length < 2 || data[0] !== 0x30) return 0;
  const first = data[1];
  if (first < 0x80) return first;
  const n = first & 0x7f;
  if (n > 4) return Number.MAX_SAFE_INTEGER;
  if (data.length < 2 + n) return 0;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + data[2 + i];
  return len;
}

function looksLikeDn(name: string): boolean {
  return /^\s*[A-Za-z][\w.-]*\s*=/.test(name) && !name.includes('@');
}

function escapeDn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

function internal(ctx: AppContext, err: unknown): Error {
  ctx.logger.error({ err }, 'ldap handler failed');
  return ldapError(new ldap.OperationsError('Internal error'));
}

/** ldapjs's error classes carry the LDAP result code; its typings do not say they are Errors. */
const ldapError = (e: unknown): Error => e as Error;

function listen(server: LdapServer, port: number, host: string): Promise<void> {
  return new Promise((res, rej) => {
    (server as unknown as { server: { once(ev: string, cb: (e: Error) => void): void } }).server.once('error', rej);
    server.listen(port, host, () => res());
  });
}

export { RC };

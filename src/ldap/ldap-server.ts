// The LDAP front end: read-only, over the same store as the admin API. The protocol is ours
// (protocol/: framing, BER, messages, the per-connection loop); no LDAP server library is used.
// This file accepts connections (global and per-address caps, LDAPS, StartTLS context), routes
// decoded requests to the bind and search handlers, and stops gracefully (close()).
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContextOptions, TLSSocket } from 'node:tls';
import type { AppContext } from '../app-context.ts';
import { errorAnswer } from '../error-answer.ts';
import { LdapCode } from '../errors.ts';
import { normaliseSource } from '../auth/signin-limiter.ts';
import { bindHandler } from './ldap-bind.ts';
import { DirectoryNames } from './ldap-dn.ts';
import { searchHandler, type SearchResponseLike } from './ldap-search.ts';
import { clearSession } from './ldap-session.ts';
import { LdapConnection, type ConnectionLimits } from './protocol/connection.ts';
import { envelope, result, TAG, type LdapRequest, type ResponseControl } from './protocol/messages.ts';

export interface RunningLdap {
  port: number;
  ldapsPort: number | null;
  /**
   * Stops accepting, answers every request already sent (including those of connections still
   * in the accept backlog and bytes not yet read), closes each connection once it owes nothing,
   * and cuts whatever is left after graceMs.
   */
  close(graceMs: number): Promise<void>;
}

export async function startLdapServer(ctx: AppContext): Promise<RunningLdap> {
  const cfg = ctx.config.ldap;
  const names = new DirectoryNames(cfg.suffix);
  const tls: SecureContextOptions | null = cfg.tlsCert && cfg.tlsKey
    ? { cert: readFileSync(cfg.tlsCert, 'utf8'), key: readFileSync(cfg.tlsKey, 'utf8'), minVersion: cfg.tlsMinVersion, ...(cfg.tlsCiphers ? { ciphers: cfg.tlsCiphers } : {}) }
    : null;
  const startTls = tls ? createSecureContext(tls) : null;
  const limits: ConnectionLimits = { maxMessageBytes: cfg.maxMessageBytes, messageDeadlineMs: cfg.messageDeadlineMs, idleTimeoutMs: cfg.idleTimeoutMs };
  const handle = requestHandler(ctx, names);
  const connections = new Set<LdapConnection>();
  /** Every admitted socket, LDAPS ones still in their handshake included: the deadline cuts them all. */
  const sockets = new Set<Socket>();
  const perAddress = new Map<string, number>();
  let draining = false;
  let accepted = 0;

  /** Counts a new TCP connection against the per-address cap; false when it was refused. */
  const admit = (socket: Socket): boolean => {
    // IPv4-mapped IPv6 as IPv4, IPv6 by its /64 (one host usually holds a whole /64)
    const address = normaliseSource(socket.remoteAddress ?? 'unknown');
    const count = perAddress.get(address) ?? 0;
    accepted++;
    if (count >= cfg.maxConnectionsPerAddress) {
      ctx.logger.debug({ remote: address, count }, 'ldap connections per address exceeded: connection refused');
      socket.destroy();
      return false;
    }
    perAddress.set(address, count + 1);
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(address);
      else perAddress.set(address, n);
    });
    socket.on('error', () => undefined); // errors before the LDAP connection exists (TLS handshake)
    return true;
  };
  const serve = (socket: Socket) => {
    const conn = new LdapConnection(socket, limits, handle, socket instanceof TLSSocket ? null : startTls, ctx.logger);
    connections.add(conn);
    socket.once('close', () => {
      connections.delete(conn);
      clearSession(conn);
    });
    // accepted during the stop (it was in the backlog, or finished its TLS handshake): its
    // requests are answered, then it is closed like the others
    if (draining) void conn.drain();
  };

  const plain = createTcpServer((socket) => { if (admit(socket)) serve(socket); });
  plain.maxConnections = cfg.maxConnections;
  await listen(plain, cfg.port, cfg.host);
  let secure: Server | null = null;
  if (cfg.ldapsPort !== null && tls) {
    const s = createTlsServer({ ...tls, handshakeTimeout: cfg.messageDeadlineMs }, (socket: TLSSocket) => serve(socket));
    s.on('connection', admit);
    s.on('tlsClientError', (err) => ctx.logger.debug({ err }, 'ldaps handshake failed'));
    s.maxConnections = cfg.maxConnections;
    await listen(s, cfg.ldapsPort, cfg.host);
    secure = s;
  }
  return {
    port: (plain.address() as { port: number }).port,
    ldapsPort: secure ? (secure.address() as { port: number }).port : null,
    close: async (graceMs: number) => {
      const deadline = Date.now() + graceMs;
      draining = true;
      for (const c of connections) void c.drain();
      // Closing a listener resets every connection still in the kernel's accept backlog, and
      // libuv accepts about one per event-loop turn: keep accepting until two turns in a row
      // bring nothing new (as the HTTP port does, http/graceful-close.ts).
      for (let quiet = 0; quiet < 2 && Date.now() < deadline;) {
        const before = accepted;
        await turn();
        quiet = accepted === before ? quiet + 1 : 0;
      }
      // a server's close() calls back once its last connection is gone
      const servers = [plain, secure].filter((s): s is Server => s !== null);
      const closed = Promise.all(servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
      // a client that does not read its answers, or a request still running, must not hold the stop
      const cut = setTimeout(() => {
        for (const c of connections) c.destroy();
        for (const socket of sockets) socket.destroy();
      }, Math.max(0, deadline - Date.now()));
      await closed;
      clearTimeout(cut);
    },
  };
}

type RequestOf<K extends LdapRequest['op']> = Extract<LdapRequest, { op: K }>;

function requestHandler(ctx: AppContext, names: DirectoryNames) {
  const bind = bindHandler(ctx, names);
  const search = searchHandler(ctx, names);

  const answer = (conn: LdapConnection, req: LdapRequest, code: number, message = ''): void => {
    const tag = req.op === 'bind' ? TAG.bindResponse : req.op === 'search' ? TAG.searchDone : req.op === 'write' ? req.responseTag : TAG.extendedResponse;
    conn.write(envelope(req.id, result(tag, code, message)));
  };

  const onBind = async (conn: LdapConnection, req: RequestOf<'bind'>) => {
    // v2 binds too: Grandstream phones can fall back to LDAPv2 after a reset; the search they then send reads the same.
    if (req.version !== 3 && req.version !== 2) return answer(conn, req, LdapCode.protocolError, 'Only LDAP versions 2 and 3 are supported');
    if (req.password === null) {
      clearSession(conn);
      return answer(conn, req, LdapCode.authMethodNotSupported, 'Only simple binds are supported');
    }
    const outcome = await bind(conn, { name: req.name, password: req.password.toString('utf8'), connection: conn });
    answer(conn, req, outcome.code, outcome.message);
  };

  const onSearch = async (conn: LdapConnection, req: RequestOf<'search'>) => {
    const out: Buffer[] = [];
    const controls: ResponseControl[] = [];
    const res: SearchResponseLike = {
      messageId: req.id,
      addControl: (c) => void controls.push(c),
      write: (data) => void out.push(data),
      end: (code, message = '') => {
        // an abandoned search gets no response at all (RFC 4511 4.11)
        if (conn.isAbandoned(req.id)) return;
        out.push(envelope(req.id, result(TAG.searchDone, code, message), controls));
        conn.write(out.length === 1 ? out[0] : Buffer.concat(out));
      },
    };
    await search({
      dn: req.base, scope: req.scope, filter: req.filter, attributes: req.attributes, sizeLimit: req.sizeLimit,
      timeLimit: req.timeLimit, typesOnly: req.typesOnly, controls: req.controls, connection: conn,
    }, res);
  };

  return async (conn: LdapConnection, req: LdapRequest): Promise<void> => {
    if (req.refused) return answer(conn, req, req.refused.code, req.refused.message);
    try {
      switch (req.op) {
        case 'bind': return await onBind(conn, req);
        case 'search': return await onSearch(conn, req);
        case 'write': return answer(conn, req, LdapCode.unwillingToPerform, 'This directory is read-only: manage contacts through dialbook');
        // RFC 4511 4.12: an extended operation the server does not know is a protocolError
        case 'extended': return answer(conn, req, LdapCode.protocolError, `Unsupported extended operation ${req.name}`);
        default: return undefined; // unbind and abandon are handled by the connection
      }
    } catch (err) {
      // The one error model's answer as a result code: our errors carry theirs (a database away:
      // unavailable, 52); a defect of ours is operationsError, logged with its stack.
      const a = errorAnswer(err);
      if (a.internal) ctx.logger.error({ err }, 'ldap handler failed');
      else ctx.logger.warn({ err, code: a.code }, 'ldap request failed');
      answer(conn, req, a.ldapCode, a.message);
    }
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => {
      server.off('error', rej);
      res();
    });
  });
}


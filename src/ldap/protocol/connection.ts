// One LDAP connection: bytes in, whole messages out (framing + decoding), requests answered one
// after another in arrival order, responses written through whichever stream is current (the
// TCP socket, or the TLS socket on top of it after StartTLS, so nothing leaves in clear once TLS
// is on). Holds the per-connection limits: a deadline for each partial message, an idle timeout
// counted from the last whole message, and back-pressure (a client that does not read its
// answers stops being read). On server shutdown it drains: keeps reading, answers everything the
// client sent, then says goodbye (Notice of Disconnection) once nothing is owed.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { LdapCode } from '../../errors.ts';
import { BerError } from './ber.ts';
import { FrameError, MessageFramer } from './framing.ts';
import { decodeMessage, envelope, extendedResponse, noticeOfDisconnection, type LdapRequest } from './messages.ts';

export const START_TLS = '1.3.6.1.4.1.1466.20037';
/** Requests read ahead of the one being answered before reading pauses. */
const MAX_QUEUED = 32;
/** Unsent response bytes before answering pauses until the client reads. */
const MAX_UNSENT_BYTES = 1024 * 1024;

export interface ConnectionLimits {
  maxMessageBytes: number;
  messageDeadlineMs: number;
  idleTimeoutMs: number;
}

/** Answers one request; its responses go out through conn.write. */
export type RequestHandler = (conn: LdapConnection, req: LdapRequest) => Promise<void> | void;

export class LdapConnection {
  readonly remoteAddress: string;
  /** True once TLS is on (LDAPS from the start, or after StartTLS). */
  encrypted: boolean;
  private stream: Socket;
  private readonly framer: MessageFramer;
  private readonly queue: LdapRequest[] = [];
  private running: LdapRequest | null = null;
  private readonly abandoned = new Set<number>();
  private deadline: NodeJS.Timeout | null = null;
  private readonly idle: NodeJS.Timeout;
  private closing = false;
  /** Server shutdown: answer what arrives, close once idle (drain()). */
  private draining = false;
  /** Whole messages received so far (a connection that sent nothing yet is not idle, only early). */
  private messages = 0;
  private idleCheck = false;
  private readonly onData = (chunk: Buffer) => this.received(chunk);
  private readonly closed: Promise<void>;

  constructor(private readonly socket: Socket, private readonly limits: ConnectionLimits, private readonly handle: RequestHandler,
    private readonly startTls: SecureContext | null, private readonly logger: Logger) {
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.encrypted = socket instanceof TLSSocket;
    this.stream = socket;
    this.framer = new MessageFramer(limits.maxMessageBytes);
    socket.setNoDelay(true); // multi-entry answers would otherwise wait ~40 ms for an ACK
    socket.on('data', this.onData);
    socket.on('error', (err) => logger.debug({ err, remote: this.remoteAddress }, 'ldap connection error'));
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.clearTimers();
      resolve();
    }));
    this.idle = setTimeout(() => this.idleTimeout(), limits.idleTimeoutMs);
  }

  /** Writes response bytes, unless the connection is gone. */
  write(data: Buffer): void {
    if (!this.stream.destroyed && this.stream.writable) this.stream.write(data);
  }

  /** A running request the client abandoned: its remaining responses are not sent. */
  isAbandoned(id: number): boolean {
    return this.abandoned.has(id);
  }

  /**
   * Server shutdown. Reading goes on, so requests the client sent before the stop and still in
   * the socket buffer are answered too; once the connection owes nothing (no request running,
   * queued or half-received, and at least one answered), it gets a Notice of Disconnection and is
   * closed. A connection that has sent nothing yet is left open for its first request: it may be
   * on its way (the caller cuts every connection at its deadline). Resolves when the socket is closed.
   */
  drain(): Promise<void> {
    this.draining = true;
    this.closeWhenIdle();
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
    if (this.stream !== this.socket) this.stream.destroy();
  }

  private received(chunk: Buffer): void {
    let messages: Buffer[];
    try {
      messages = this.framer.push(chunk);
    } catch (err) {
      // Not LDAP, or a message over the size cap: nothing sensible can follow on this stream.
      this.logger.debug({ remote: this.remoteAddress, reason: (err as FrameError).message }, 'ldap framing error: connection closed');
      return this.disconnect(LdapCode.protocolError, null);
    }
    if (messages.length > 0) this.idle.refresh();
    this.messages += messages.length;
    // The deadline runs from the first byte of a message to its last.
    if (this.framer.pending === 0) this.stopDeadline();
    else if (messages.length > 0 || !this.deadline) this.startDeadline();
    for (const m of messages) {
      let req: LdapRequest;
      try {
        req = decodeMessage(m);
      } catch (err) {
        // a decoder bug must cost this connection, never the process
        if (!(err instanceof BerError)) this.logger.error({ err, remote: this.remoteAddress }, 'ldap message decoding failed');
        else this.logger.debug({ remote: this.remoteAddress, reason: err.message }, 'malformed ldap message: connection closed');
        return this.disconnect(LdapCode.protocolError, `malformed message: ${(err as Error).message}`);
      }
      if (req.op === 'abandon') {
        this.abandon(req.target);
        continue;
      }
      this.queue.push(req);
      if (req.op === 'unbind') {
        this.stopReading(); // nothing after an unbind is read
        break;
      }
    }
    if (this.queue.length >= MAX_QUEUED) this.stream.pause();
    this.next();
  }

  private abandon(target: number): void {
    const i = this.queue.findIndex((r) => r.id === target);
    if (i >= 0) this.queue.splice(i, 1);
    else if (this.running?.id === target) this.abandoned.add(target);
  }

  private next(): void {
    if (this.running || this.stream.destroyed) return;
    const req = this.queue.shift();
    if (!req) {
      if (this.closing) this.finish();
      else {
        if (this.stream.isPaused()) this.stream.resume();
        this.closeWhenIdle();
      }
      return;
    }
    this.running = req;
    let done: Promise<void> | void;
    try {
      done = this.dispatch(req);
    } catch (err) {
      done = Promise.reject(err);
    }
    Promise.resolve(done).catch((err) => this.logger.error({ err }, 'ldap request failed')).finally(() => {
      this.running = null;
      this.abandoned.delete(req.id);
      this.idle.refresh();
      // answer the next request only once the client has read most of the previous answers; a
      // client that stops reading for longer than the message deadline is cut off
      if (this.stream.writableLength > MAX_UNSENT_BYTES) this.awaitDrain();
      else this.next();
    });
  }

  private awaitDrain(): void {
    const stalled = setTimeout(() => {
      this.logger.debug({ remote: this.remoteAddress }, 'ldap client not reading its answers: connection closed');
      this.destroy();
    }, this.limits.messageDeadlineMs);
    this.stream.once('drain', () => {
      clearTimeout(stalled);
      this.next();
    });
    this.stream.once('close', () => clearTimeout(stalled));
  }

  private dispatch(req: LdapRequest): Promise<void> | void {
    if (req.op === 'unbind') {
      this.queue.length = 0;
      return this.finish();
    }
    if (req.op === 'extended' && req.name === START_TLS) return this.upgrade(req);
    return this.handle(this, req);
  }

  /** StartTLS (RFC 4511 4.14): the success response goes out in clear, then TLS takes the socket. */
  private upgrade(req: LdapRequest): void {
    const fail = (code: number, message: string) => this.write(envelope(req.id, extendedResponse(code, message, null)));
    if (this.encrypted) return fail(LdapCode.operationsError, 'TLS is already active');
    if (!this.startTls) return fail(LdapCode.unavailable, 'StartTLS needs ldap.tlsCert and ldap.tlsKey');
    // Requests sent after StartTLS but before its answer (a client must not) cannot tell which
    // side of the switch they belong to: refused, in clear, before anything changes.
    if (this.queue.length > 0 || this.framer.pending > 0) return fail(LdapCode.operationsError, 'requests outstanding: StartTLS must be sent alone');
    this.write(envelope(req.id, extendedResponse(LdapCode.success, '', START_TLS)));
    this.socket.off('data', this.onData);
    const secure = new TLSSocket(this.socket, { isServer: true, secureContext: this.startTls });
    secure.on('error', (err) => {
      this.logger.debug({ err, remote: this.remoteAddress }, 'ldap StartTLS failed');
      this.destroy();
    });
    secure.on('close', () => this.socket.destroy());
    this.stream = secure;
    this.encrypted = true;
    this.startDeadline(); // the handshake has the same deadline as a message
    secure.once('secure', () => this.stopDeadline());
    secure.on('data', this.onData);
  }

  private get owesNothing(): boolean {
    return !this.running && this.queue.length === 0 && this.framer.pending === 0 && this.messages > 0;
  }

  /**
   * While draining: the goodbye, once nothing is owed. Checked again two event-loop turns later,
   * so that bytes already in the kernel's buffer (reading was just resumed after back-pressure,
   * or the loop was busy when the stop began) are read first and answered.
   */
  private closeWhenIdle(): void {
    if (!this.draining || this.closing || this.idleCheck || !this.owesNothing) return;
    this.idleCheck = true;
    setImmediate(() => setImmediate(() => {
      this.idleCheck = false;
      if (this.closing || !this.owesNothing || this.stream.destroyed) return;
      // RFC 4511 4.4.1: the server ends the session on its own initiative, and says why
      this.closing = true;
      this.socket.off('data', this.onData);
      this.stream.off('data', this.onData);
      this.clearTimers();
      if (this.stream.writable) this.stream.end(noticeOfDisconnection(LdapCode.unavailable, 'The server is shutting down'));
      this.destroyLater();
    }));
  }

  private stopReading(): void {
    this.closing = true;
    this.stream.pause();
  }

  /** Graceful close once everything written is flushed. */
  private finish(): void {
    this.clearTimers();
    this.stream.end();
    this.destroyLater();
  }

  /** A client that never reads (or never closes its side) must not keep the socket past the deadline. */
  private destroyLater(): void {
    setTimeout(() => this.destroy(), this.limits.messageDeadlineMs).unref();
  }

  /**
   * Broken input. A well-framed message we cannot decode gets a Notice of Disconnection and a
   * close; bytes that are not LDAP framing (or over the size cap) get a reset at once: a reset
   * reaches even a client that is not reading, and such a peer would not read a notice anyway.
   */
  private disconnect(code: number, message: string | null): void {
    this.clearTimers();
    this.socket.off('data', this.onData);
    this.stream.off('data', this.onData);
    const reset = () => {
      if (!this.socket.destroyed) this.socket.resetAndDestroy();
      this.stream.destroy();
    };
    if (message === null || this.stream.destroyed || !this.stream.writable) return reset();
    this.stream.end(noticeOfDisconnection(code, message));
    setTimeout(reset, 1000).unref();
  }

  private idleTimeout(): void {
    if (this.running || this.queue.length > 0) return void this.idle.refresh();
    this.destroy();
  }

  private startDeadline(): void {
    this.stopDeadline();
    this.deadline = setTimeout(() => {
      this.logger.debug({ remote: this.remoteAddress }, 'ldap message not complete within the deadline: connection closed');
      this.destroy();
    }, this.limits.messageDeadlineMs);
  }

  private stopDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
  }

  private clearTimers(): void {
    this.stopDeadline();
    clearTimeout(this.idle);
  }
}

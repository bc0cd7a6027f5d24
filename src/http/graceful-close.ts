// Graceful stop of the HTTP server: stop accepting, let every request already received finish
// (up to the grace period), then close. Node's own `server.close()` also runs
// `closeIdleConnections()`, which counts a socket as idle when its request bytes are still unread
// in the kernel (the event loop was busy rendering a phonebook): those clients got a reset. So the
// state of each socket is tracked here, and only sockets known to be between requests are closed.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

interface SocketState {
  /** Requests received on this socket whose response has not finished. */
  active: number;
  /** Responses finished on this socket (0 = its first request has not arrived yet). */
  served: number;
}

export interface GracefulCloser {
  /** Resolves once every connection is closed; connections still busy after graceMs are cut. */
  close(graceMs: number): Promise<void>;
  /** Connections open now (for tests and the stress script). */
  readonly openConnections: number;
  /** Whether a request on this socket is being answered. */
  busy(socket: unknown): boolean;
}

export function gracefulCloser(server: Server): GracefulCloser {
  const sockets = new Map<Socket, SocketState>();
  let stopping = false;
  let accepted = 0;

  server.on('connection', (socket: Socket) => {
    accepted++;
    sockets.set(socket, { active: 0, served: 0 });
    socket.once('close', () => sockets.delete(socket));
  });
  // Before the app's own listener, so the header is set before any handler writes.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const state = sockets.get(req.socket);
    if (!state) return;
    state.active++;
    if (stopping && !res.headersSent) res.setHeader('Connection', 'close');
    res.once('close', () => {
      state.active--;
      state.served++;
      // A keep-alive response that started before the stop: close once it is complete.
      if (stopping && state.active === 0) req.socket.end();
    });
  });

  return {
    get openConnections() {
      return sockets.size;
    },
    busy: (socket) => (sockets.get(socket as Socket)?.active ?? 0) > 0,
    async close(graceMs: number): Promise<void> {
      stopping = true;
      const deadline = Date.now() + graceMs;
      // Closing the listener resets every connection still waiting in the kernel's backlog, and
      // libuv accepts about one per event-loop turn (a turn can be a 0.5 s phonebook render): so
      // keep accepting until two turns in a row bring nothing new. Those requests, and bytes
      // already in socket buffers, are then read and count as active; each is answered with
      // "Connection: close".
      for (let quiet = 0; quiet < 2 && Date.now() < deadline;) {
        const before = accepted;
        await turn();
        quiet = accepted === before ? quiet + 1 : 0;
      }
      // net.Server's close stops listening and calls back when the last connection is gone,
      // without http.Server's sweep of "idle" sockets described above.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      // Between two requests on a keep-alive connection: nothing is owed, close it. A socket
      // whose first request has not arrived keeps its chance until the grace period ends.
      for (const [socket, s] of sockets) if (s.active === 0 && s.served > 0) socket.end();
      const cut = setTimeout(() => {
        for (const socket of sockets.keys()) socket.destroy();
      }, Math.max(0, deadline - Date.now()));
      await closed;
      clearTimeout(cut);
    },
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

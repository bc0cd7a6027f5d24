// Requests Node's HTTP parser rejects before express sees them (malformed request line or
// headers, headers over the size limit, a request that never finished arriving) are answered
// here, in the same JSON error shape as every other HTTP error, instead of Node's bare status line.
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { jsonErrorBody } from '../api/error-handler.ts';

export function answerClientErrors(server: Server, busy: (socket: Duplex) => boolean): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Nothing to answer on a dead socket, or while a response is going out on it (pipelining).
    if (err.code === 'ECONNRESET' || !socket.writable || busy(socket)) {
      socket.destroy();
      return;
    }
    const [status, code, message] =
      err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers_too_large', 'The request headers are too large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request_timeout', 'The request did not arrive in time']
          : [400, 'bad_request', 'The request is not valid HTTP/1.1'];
    const body = jsonErrorBody({ code, message, details: [] });
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}

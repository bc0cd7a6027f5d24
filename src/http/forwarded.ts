// The client address and protocol of a request as express computes req.ip and req.protocol,
// for handlers that answer before express (the phonebooks, phonebook-http.ts): the "trust proxy"
// function express compiled from http.trustProxy decides how far X-Forwarded-For and
// X-Forwarded-Proto are believed. Same walk as proxy-addr 2.0 (express's): from the socket's
// address back through X-Forwarded-For while each hop is trusted.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export type TrustFn = (address: string, hop: number) => boolean;

export function clientAddressOf(req: IncomingMessage, trust: TrustFn): string {
  const socketAddress = req.socket.remoteAddress ?? '';
  const header = req.headers['x-forwarded-for'];
  // the common case: nothing forwarded, or nobody trusted to forward
  if (header === undefined || !trust(socketAddress, 0)) return socketAddress;
  const addrs = [socketAddress, ...forwardedList(String(header))];
  for (let i = 0; i < addrs.length - 1; i++) if (!trust(addrs[i], i)) return addrs[i];
  return addrs[addrs.length - 1];
}

export function protocolOf(req: IncomingMessage, trust: TrustFn): string {
  const proto = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  if (!trust(req.socket.remoteAddress ?? '', 0)) return proto;
  const header = String(req.headers['x-forwarded-proto'] ?? '') || proto;
  const comma = header.indexOf(',');
  return comma !== -1 ? header.substring(0, comma).trim() : header.trim();
}

/** X-Forwarded-For's addresses, nearest hop first (the "forwarded" module's parse). */
function forwardedList(header: string): string[] {
  const list: string[] = [];
  let end = header.length;
  let start = header.length;
  for (let i = header.length - 1; i >= 0; i--) {
    const c = header.charCodeAt(i);
    if (c === 0x20) {
      if (start === end) start = end = i;
    } else if (c === 0x2c) {
      if (start !== end) list.push(header.substring(start, end));
      start = end = i;
    } else {
      start = i;
    }
  }
  if (start !== end) list.push(header.substring(start, end));
  return list;
}

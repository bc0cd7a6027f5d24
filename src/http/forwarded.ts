// The client address and protocol of a request as express computes req.ip and req.protocol,
// for handlers that answer before express (the phonebooks, phonebook-http.ts): the "trust proxy"
// function express compiled from http.trustProxy decides how far X-Forwarded-For and
// X-Forwarded-Proto are believed. The address is proxy-addr's, the module express itself calls
// for req.ip, so both answer alike.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import proxyaddr from 'proxy-addr';

export type TrustFn = (address: string, hop: number) => boolean;

export function clientAddressOf(req: IncomingMessage, trust: TrustFn): string {
  return proxyaddr(req, trust);
}

export function protocolOf(req: IncomingMessage, trust: TrustFn): string {
  const proto = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  if (!trust(req.socket.remoteAddress ?? '', 0)) return proto;
  const header = String(req.headers['x-forwarded-proto'] ?? '') || proto;
  const comma = header.indexOf(',');
  return comma !== -1 ? header.substring(0, comma).trim() : header.trim();
}

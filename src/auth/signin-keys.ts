// What the sign-in limiter counts by: a source address (IPv6 by its /64), a login
// ("<user>@<account>", lower case), and keyed hashes ("marks") of presented secrets and of
// logins. A mark is an HMAC under a key derived from the data dir's secret key when the server
// gives one (so every process and instance marks a secret alike), else a per-process random key.
// Marks are what the store keeps; the secret itself is never stored or logged.
import { createHmac, randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';

const MAX_LOGIN_CHARS = 256;

/** IPv4-mapped IPv6 as IPv4; IPv6 by its /64, since one host usually holds a whole /64. */
export function normaliseSource(source: string): string {
  if (!ipaddr.isValid(source)) return source.slice(0, 64) || 'unknown';
  let addr = ipaddr.parse(source);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}

/** Callers pass "<username>@<account>" where they know both, so every front end shares one count. */
export function normaliseLogin(login: string): string {
  return login.trim().toLowerCase().slice(0, MAX_LOGIN_CHARS);
}

export class SigninMarks {
  private readonly key: Buffer;
  constructor(key?: Buffer) {
    this.key = key ?? randomBytes(32);
  }

  /** A presented secret, bound to its login (one wrong password on two logins is two marks). */
  secret(login: string, secret: string): string {
    return this.mac('secret', login, secret);
  }

  /** A login, as a member of its address's set of failing logins. */
  login(login: string): string {
    return this.mac('login', login, '');
  }

  private mac(kind: string, login: string, value: string): string {
    // 16 bytes: collisions among a counter's few dozen members are out of reach
    return createHmac('sha256', this.key).update(kind).update('\0').update(login).update('\0').update(value).digest().subarray(0, 16).toString('base64url');
  }
}

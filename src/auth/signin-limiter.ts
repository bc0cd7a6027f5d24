// One limiter for every credential check (portal, API tokens, phonebook Basic, LDAP binds,
// CardDAV). Failures are counted per source address and per login, in the store, so that
// connections and processes sharing the database share the count. Below a free allowance
// nothing is slowed; past it each attempt must wait 2^(n - free) seconds after the latest
// failure (capped), and attempts that come sooner are refused without checking the credential.
// An attempt counts as a failure from the moment it starts until it proves right, so a burst of
// parallel guesses cannot all slip in before the first failure is recorded.
import ipaddr from 'ipaddr.js';
import type { SigninFailureStore } from '../store/store.ts';

export type SigninKind = 'portal' | 'api-token' | 'phonebook' | 'ldap' | 'carddav';

export interface SigninLimits {
  /** Failures from one address before any slowing. */
  freeFailuresPerAddress: number;
  /** Failures on one login (from any address) before any slowing: high, so that a login is not
   *  easily locked for its owner by someone else, yet a guessing run spread over many addresses
   *  is slowed. */
  freeFailuresPerLogin: number;
  /** The longest wait between two attempts. */
  maxDelaySeconds: number;
  /** One recorded failure is forgotten per this many seconds. */
  forgetFailureSeconds: number;
}

export interface SigninAttempt {
  /** false: refuse WITHOUT checking the credential. */
  readonly allowed: boolean;
  /** When refused: seconds until an attempt may be made. */
  readonly retryAfterSeconds: number;
  /** The credential proved right. */
  succeeded(): void;
  /** The credential proved wrong: one failure for the address and the login. */
  failed(): void;
}

const MAX_LOGIN_CHARS = 256;

export class SigninLimiter {
  /** Attempts started in this process and not yet settled, per key. */
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly store: SigninFailureStore, private readonly limits: SigninLimits, private readonly clock: () => number = Date.now) {}

  attempt(kind: SigninKind, source: string, login: string): SigninAttempt {
    const now = this.clock();
    const leakMs = this.limits.forgetFailureSeconds * 1000;
    const keys = [`addr:${normaliseSource(source)}`];
    const loginKey = normaliseLogin(login);
    if (loginKey) keys.push(`login:${loginKey}`);
    const recorded = this.store.signinFailures(keys, now, leakMs);
    let readyAt = 0;
    keys.forEach((key, i) => {
      const free = i === 0 ? this.limits.freeFailuresPerAddress : this.limits.freeFailuresPerLogin;
      const pending = this.inFlight.get(key) ?? 0;
      const r = recorded.get(key);
      // A failure is forgotten whole: 9.99 leaked failures still count as 10.
      const failures = Math.ceil((r?.failures ?? 0) - 1e-9) + pending;
      if (failures < free) return;
      const lastAt = pending > 0 ? now : r!.lastAt;
      const delayMs = Math.min(2 ** (failures - free), this.limits.maxDelaySeconds) * 1000;
      readyAt = Math.max(readyAt, lastAt + delayMs);
    });
    if (readyAt > now) return refused(Math.ceil((readyAt - now) / 1000));

    for (const key of keys) this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      for (const key of keys) {
        const n = (this.inFlight.get(key) ?? 1) - 1;
        if (n > 0) this.inFlight.set(key, n);
        else this.inFlight.delete(key);
      }
      return true;
    };
    return {
      allowed: true,
      retryAfterSeconds: 0,
      succeeded: () => { settle(); },
      failed: () => {
        if (settle()) this.store.recordSigninFailure(keys, this.clock(), leakMs);
      },
    };
  }
}

function refused(retryAfterSeconds: number): SigninAttempt {
  return { allowed: false, retryAfterSeconds, succeeded() {}, failed() {} };
}

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
function normaliseLogin(login: string): string {
  return login.trim().toLowerCase().slice(0, MAX_LOGIN_CHARS);
}

// Who may fetch an account's phonebook: HTTP Basic with the account's phone credentials, or the
// account's path token; then, if the account has one, its IP allow-list. A credential that
// proved right is remembered (verified-phones.ts) and skips the limiter and the check next time.
import ipaddr from 'ipaddr.js';
import type { AppContext } from '../app-context.ts';
import type { Account } from '../domain/account-schemas.ts';
import { AppError, ForbiddenError, TooManyAttemptsError } from '../errors.ts';
import { VerifiedPhones } from './verified-phones.ts';

export class PhoneUnauthorizedError extends AppError {
  constructor() {
    super(401, 'unauthorized', 'Phone credentials required');
  }
}

/** What the check reads from a request (the HTTP front end fills it from node:http). */
export interface PhoneRequest {
  /** The client address as http.trustProxy says (express's req.ip). */
  address: string;
  authorization: string | undefined;
  userAgent: string | undefined;
}

export type PhoneRoute = { accountId: string; token?: undefined } | { token: string; accountId?: undefined };

/** The account a request may read, or an error. Unknown accounts look like wrong credentials. */
export async function authorizePhone(ctx: AppContext, verified: VerifiedPhones, req: PhoneRequest, route: PhoneRoute): Promise<Account> {
  // Only a credential that is actually checked goes through the sign-in limiter: a phone's first
  // request without Authorization (asking for the Basic challenge) is no guess.
  if (route.token === undefined && !req.authorization) throw new PhoneUnauthorizedError();
  // The whole header, not the decoded pair: the same bytes the phone sends every time.
  const mark = route.token !== undefined ? verified.mark('t', route.token) : verified.mark(`a:${route.accountId}`, req.authorization!);
  const known = verified.get(mark);
  let account: Account | null = null;
  if (known) {
    account = await ctx.directory.account(known.accountId);
    if (!VerifiedPhones.current(known, account)) {
      verified.forget(mark);
      account = null;
    }
  }
  if (!account) {
    const creds = route.token === undefined ? basicCredentials(req.authorization) : null;
    if (route.token === undefined && !creds) throw new PhoneUnauthorizedError();
    const accountId = await checkCredential(ctx, req, route, creds);
    account = accountId ? await ctx.directory.account(accountId) : null;
    if (!account) throw new PhoneUnauthorizedError();
    verified.remember(mark, account);
  }
  if (!allowedAddress(req.address, account.settings.phoneAllowList)) throw new ForbiddenError('This address may not fetch the phonebook');
  return account;
}

/** The sign-in limiter, then the credential: the account it opens, or null (counted as a failure). */
async function checkCredential(ctx: AppContext, req: PhoneRequest, route: PhoneRoute, creds: { username: string; password: string } | null): Promise<string | null> {
  const login = creds ? `${creds.username}@${route.accountId}` : '';
  const secret = route.token ?? creds?.password ?? '';
  const attempt = await ctx.signinLimiter.attempt({ kind: 'phonebook', source: req.address, login, secret, device: req.userAgent });
  if (!attempt.allowed) throw new TooManyAttemptsError(attempt.retryAfterSeconds);
  let accountId: string | null = null;
  try {
    if (route.token !== undefined) accountId = await ctx.phoneCredentials.accountForPathToken(route.token);
    else if (creds && await ctx.phoneCredentials.verify(route.accountId, creds.username, creds.password)) accountId = route.accountId;
  } catch (err) {
    attempt.released(); // a storage failure is no wrong password: release the attempt uncounted
    throw err;
  }
  if (accountId) void attempt.succeeded();
  else await attempt.failed();
  return accountId;
}

function basicCredentials(header: string | undefined): { username: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!m) return null;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? null : { username: text.slice(0, i), password: text.slice(i + 1) };
}

export function allowedAddress(ip: string, allowList: string[]): boolean {
  if (allowList.length === 0) return true;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip);
  } catch {
    return false;
  }
  return allowList.some((cidr) => {
    try {
      const [range, bits] = ipaddr.parseCIDR(cidr.includes('/') ? cidr : `${cidr}/${cidr.includes(':') ? 128 : 32}`);
      return addr.kind() === range.kind() && addr.match([range, bits] as [typeof addr, number]);
    } catch {
      return false;
    }
  });
}

// Who may fetch an account's phonebook: HTTP Basic with the account's phone credentials, or the
// account's path token; then, if the account has one, its IP allow-list.
import type { Request } from 'express';
import ipaddr from 'ipaddr.js';
import type { AppContext } from '../app-context.ts';
import type { Account } from '../domain/account-schemas.ts';
import { AppError, ForbiddenError, TooManyAttemptsError } from '../errors.ts';
import { clientAddress } from '../auth/client-address.ts';

export class PhoneUnauthorizedError extends AppError {
  constructor() {
    super(401, 'unauthorized', 'Phone credentials required');
  }
}

/** The account a request may read, or an error. Unknown accounts look like wrong credentials. */
export async function authorizePhone(ctx: AppContext, req: Request, route: { accountId?: string; token?: string }): Promise<Account> {
  let accountId: string | null = null;
  // Only a credential that is actually checked goes through the sign-in limiter: a phone's first
  // request without Authorization (asking for the Basic challenge) is no guess.
  const creds = route.token === undefined && route.accountId ? basicCredentials(req.headers.authorization) : null;
  if (route.token !== undefined || creds) {
    const login = creds ? `${creds.username}@${route.accountId}` : '';
    const secret = route.token ?? creds?.password ?? '';
    const attempt = await ctx.signinLimiter.attempt({ kind: 'phonebook', source: clientAddress(req), login, secret, device: req.headers['user-agent'] });
    if (!attempt.allowed) throw new TooManyAttemptsError(attempt.retryAfterSeconds);
    try {
      if (route.token !== undefined) accountId = await ctx.phoneCredentials.accountForPathToken(route.token);
      else if (creds && await ctx.phoneCredentials.verify(route.accountId!, creds.username, creds.password)) accountId = route.accountId!;
    } catch (err) {
      attempt.released(); // a storage failure is no wrong password: release the attempt uncounted
      throw err;
    }
    if (accountId) attempt.succeeded();
    else await attempt.failed();
  }
  const account = accountId ? await ctx.directory.account(accountId) : null;
  if (!account) throw new PhoneUnauthorizedError();
  if (!allowedAddress(clientAddress(req), account.settings.phoneAllowList)) throw new ForbiddenError('This address may not fetch the phonebook');
  return account;
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

// Bearer-token authentication for the admin API, and the account check for /accounts/:account
// routes: a caller from another account gets 404, as if the account did not exist.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../app-context.ts';
import { hashToken, sameHash } from '../auth/api-tokens.ts';
import { NotFoundError, TooManyAttemptsError, UnauthorizedError } from '../errors.ts';
import { clientAddress } from '../auth/client-address.ts';
import { appPasswordRefused } from './app-password-scope.ts';

const TOUCH_INTERVAL_MS = 60_000;

export function bearerAuth(ctx: AppContext): RequestHandler {
  const lastTouched = new Map<string, number>();
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (!header) return next();
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return next(new UnauthorizedError('Authorization must be "Bearer <token>"'));
    // A token has no login: guesses are counted per client address (each different wrong token once).
    // (express 5 hands a rejection of this middleware to the error handler, as it did a throw)
    const attempt = await ctx.signinLimiter.attempt({ kind: 'api-token', source: clientAddress(req), login: '', secret: m[1], device: req.headers['user-agent'] });
    if (!attempt.allowed) return next(new TooManyAttemptsError(attempt.retryAfterSeconds));
    const hash = hashToken(m[1]);
    let record: Awaited<ReturnType<typeof ctx.db.findTokenByHash>>;
    let user: Awaited<ReturnType<typeof ctx.db.getUser>>;
    try {
      record = await ctx.db.findTokenByHash(hash);
      user = record?.accountId && record.userId ? await ctx.db.getUser(record.accountId, record.userId) : null;
    } catch (err) {
      attempt.released(); // a storage failure is no wrong token: release the attempt uncounted
      return next(err);
    }
    if (!record || !sameHash(record.tokenHash, hash) || (record.accountId !== null && !user)) {
      await attempt.failed();
      return next(new UnauthorizedError('Unknown or revoked token'));
    }
    attempt.succeeded();
    // Refused before it is noted as used: "last used" tells when its app last synced.
    if (record.kind === 'app-password') return next(appPasswordRefused());
    req.principal = user && record.accountId !== null
      ? { kind: 'user', accountId: record.accountId, user, credential: { kind: 'api-token', tokenId: record.id } }
      : { kind: 'platform', credential: { kind: 'platform-token', tokenId: record.id } };
    const t = Date.now();
    if ((lastTouched.get(record.id) ?? 0) < t - TOUCH_INTERVAL_MS) {
      lastTouched.set(record.id, t);
      await ctx.db.touchToken(record.id);
    }
    next();
  };
}

export function requireAuth(req: Request, _res: Response, next: NextFunction): void {
  next(req.principal ? undefined : new UnauthorizedError());
}

/** Loads :account and makes sure the caller belongs to it (the platform admin belongs to all). */
export function accountAccess(ctx: AppContext): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const p = req.principal;
    if (!p) return next(new UnauthorizedError());
    const id = String(req.params.account ?? '');
    if (p.kind === 'user' && p.accountId !== id) return next(new NotFoundError('Account'));
    const account = await ctx.db.getAccount(id);
    if (!account) return next(new NotFoundError('Account'));
    req.account = account;
    next();
  };
}

// Portal sign-in: cookie sessions for the admin API. Mounted on /api/v1 before the API itself:
// it turns a valid session cookie into req.principal and demands the CSRF token on every write
// made with a cookie. Requests with an Authorization header are left to bearer-token auth.
import express, { Router, type Request, type Response, type NextFunction } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.ts';
import { hashToken, sameHash, sameSecret } from '../auth/api-tokens.ts';
import { hashPassword, needsRehash, verifyPassword } from '../auth/passwords.ts';
import { AppError, detailsFromZod, TooManyAttemptsError, UnauthorizedError, ValidationError } from '../errors.ts';
import { clientAddress } from '../auth/client-address.ts';
import { SessionStore, type Session } from './session-store.ts';

const COOKIE = 'dialbook_session';
const signInSchema = z.union([
  z.object({ account: z.string().trim().min(1), login: z.string().trim().min(1), password: z.string().min(1) }).strict(),
  z.object({ adminToken: z.string().min(1) }).strict(),
]);

export function sessionMiddleware(ctx: AppContext): Router {
  const sessions = new SessionStore(ctx.db, ctx.config.portal.sessionTtlMinutes * 60_000);
  const router = Router();
  // Secure when configured, and always on a TLS request (req.secure: the built-in HTTPS port, or
  // X-Forwarded-Proto from a proxy that http.trustProxy trusts; the same test as for HSTS).
  const secure = (req: Request) => ctx.config.portal.secureCookies || req.secure;

  // (express 5 hands a rejection of an async middleware to the error handler, as it did a throw)
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    if (req.headers.authorization) return next();
    const id = cookie(req, COOKIE);
    const session = id ? await sessions.get(id) : null;
    if (!session) return next();
    if (session.accountId) {
      const user = session.userId ? await ctx.db.getUser(session.accountId, session.userId) : null;
      if (!user) {
        await sessions.delete(session.id);
        return next();
      }
      req.principal = { kind: 'user', accountId: session.accountId, user, credential: sessionCredential(session) };
    } else {
      req.principal = { kind: 'platform', credential: sessionCredential(session) };
    }
    (req as Request & { session?: Session }).session = session;
    const safe = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
    if (!safe && !(req.path === '/session' && req.method === 'POST') && !sameSecret(String(req.headers['x-csrf-token'] ?? ''), session.csrf)) {
      return next(new AppError(403, 'csrf_failed', 'Missing or wrong X-CSRF-Token header (reload the page)'));
    }
    next();
  });

  router.post('/session', express.json({ limit: '16kb' }), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const parsed = signInSchema.safeParse(req.body ?? {});
      if (!parsed.success) throw new ValidationError('Sign in with account, login and password', detailsFromZod(parsed.error.issues, req.body));
      const body = parsed.data;
      // Counted per address and per login, shared with every other front end (the admin token
      // has no login). Checked before the password: a refused attempt costs no scrypt run.
      const login = 'adminToken' in body ? '' : `${body.login.toLowerCase()}@${body.account.toLowerCase()}`;
      const secret = 'adminToken' in body ? body.adminToken : body.password;
      const attempt = await ctx.signinLimiter.attempt({ kind: 'portal', source: clientAddress(req), login, secret, device: req.headers['user-agent'] });
      if (!attempt.allowed) throw new TooManyAttemptsError(attempt.retryAfterSeconds, `Too many failed sign-ins: try again in ${attempt.retryAfterSeconds} s`);
      let session: Session | null = null;
      try {
        if ('adminToken' in body) {
          const hash = hashToken(body.adminToken);
          const t = await ctx.db.findTokenByHash(hash);
          if (t && t.accountId === null && sameHash(t.tokenHash, hash)) session = await sessions.create(null, null, client(req));
        } else {
          const user = (await ctx.db.getAccount(body.account.toLowerCase())) ? await ctx.db.findUserByLogin(body.account.toLowerCase(), body.login) : null;
          if (await verifyPassword(body.password, user?.passwordHash ?? null)) {
            session = await sessions.create(user!.accountId, user!.id, client(req));
            // The one moment the password is known: bring a hash made with older, cheaper
            // parameters up to today's.
            if (needsRehash(user!.passwordHash!)) {
              await ctx.db.upgradePasswordHash(user!.accountId, user!.id, user!.passwordHash!, await hashPassword(body.password));
            }
          }
        }
      } catch (err) {
        // A storage failure is no wrong password; the attempt must still be settled, or it would
        // count as pending for as long as the process runs.
        attempt.released();
        throw err;
      }
      if (!session) {
        await attempt.failed();
        throw new UnauthorizedError('Wrong account, login or password');
      }
      attempt.succeeded();
      res.setHeader('Set-Cookie', sessionCookie(session.token, ctx.config.portal.sessionTtlMinutes * 60, secure(req)));
      res.status(201).json({ csrf: session.csrf });
    } catch (err) {
      next(err);
    }
  });

  router.get('/session', (req: Request, res: Response, next: NextFunction) => {
    const session = (req as Request & { session?: Session }).session;
    // 200 either way: the portal asks this on every load, signed in or not.
    res.json(session ? { signedIn: true, csrf: session.csrf } : { signedIn: false, csrf: null });
  });

  router.delete('/session', async (req: Request, res: Response) => {
    const session = (req as Request & { session?: Session }).session;
    if (session) await sessions.delete(session.id);
    res.setHeader('Set-Cookie', sessionCookie('', 0, secure(req)));
    res.status(204).end();
  });

  return router;
}

const sessionCredential = (s: Session) => ({ kind: 'session' as const, sessionId: s.id, authenticatedAt: s.authenticatedAt });
const client = (req: Request) => ({ userAgent: String(req.headers['user-agent'] ?? ''), ip: req.ip ?? '' });

/** The portal session behind this request, if it came with a valid session cookie. */
export function sessionOf(req: Request): Session | null {
  return (req as Request & { session?: Session }).session ?? null;
}

function sessionCookie(value: string, maxAge: number, secure: boolean): string {
  return `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

function cookie(req: Request, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      // A malformed cookie is no session, not a server error.
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}


// Who is asking: HTTP Basic with "user@account" (or "email@account", either with "+<book>"
// before the "@account" to see one book: one-book-logins.ts) and either the user's own
// password or one of the user's API tokens (what the portal calls an app password). Every check
// goes through the shared sign-in limiter. A sync sends the password with each of its requests;
// a verified password is remembered for authCacheSeconds as an HMAC under a per-process key,
// tied to the stored password hash (a password change ends it at once), so a sync pays one
// scrypt, not one per request. Nothing readable is kept.
import { createHmac, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { AppContext } from '../app-context.ts';
import { hashToken, sameHash } from '../auth/api-tokens.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { TooManyAttemptsError, UnauthorizedError } from '../errors.ts';
import type { DavUser } from './address-books.ts';
import { loginWithoutBook, splitBookLogin } from './one-book-logins.ts';

const MAX_CACHE = 10_000;
const TOUCH_INTERVAL_MS = 60_000;

interface Remembered { userId: string; passwordHash: string; until: number }

export class DavAuthenticator {
  private readonly key = randomBytes(32);
  private readonly verified = new Map<string, Remembered>();
  private readonly tokenTouched = new Map<string, number>();

  constructor(private readonly ctx: AppContext) {}

  async authenticate(req: Request): Promise<DavUser> {
    const creds = basicCredentials(req.headers.authorization);
    if (!creds) throw new UnauthorizedError('Sign in with your user name as user@account and your password or an app password');
    const attempt = await this.ctx.signinLimiter.attempt({ kind: 'carddav', source: req.ip ?? req.socket.remoteAddress ?? '', login: loginWithoutBook(creds.login), secret: creds.password, device: req.headers['user-agent'] });
    if (!attempt.allowed) throw new TooManyAttemptsError(attempt.retryAfterSeconds);
    let found: DavUser | null;
    try {
      found = await this.check(creds.login, creds.password);
    } catch (err) {
      attempt.released(); // a storage failure is no wrong password
      throw err;
    }
    if (!found) {
      await attempt.failed();
      throw new UnauthorizedError('Wrong user name or password (the user name is user@account)');
    }
    attempt.succeeded();
    return found;
  }

  private async check(login: string, password: string): Promise<DavUser | null> {
    const at = login.lastIndexOf('@');
    const accountId = at > 0 ? login.slice(at + 1).toLowerCase() : '';
    const account = accountId ? await this.ctx.db.getAccount(accountId) : null;
    const { login: userLogin, only } = splitBookLogin(login.slice(0, Math.max(at, 0)));
    const user = account ? await this.ctx.db.findUserByLogin(account.id, userLogin) : null;
    const view = only ? { only } : {};
    if (password.startsWith('dbk_')) {
      const hash = hashToken(password);
      const t = await this.ctx.db.findTokenByHash(hash);
      if (!account || !user || !t || !sameHash(t.tokenHash, hash) || t.accountId !== account.id || t.userId !== user.id) return null;
      this.touch(t.id);
      return { account, user: stripHash(user), ...view };
    }
    const mac = createHmac('sha256', this.key).update(login.toLowerCase()).update('\0').update(password).digest('base64');
    const r = this.verified.get(mac);
    if (r && user && r.userId === user.id && r.passwordHash === user.passwordHash && r.until > Date.now()) {
      return { account: account!, user: stripHash(user), ...view };
    }
    // Runs even for an unknown login, so a wrong account or user takes as long as a wrong password.
    if (!(await verifyPassword(password, user?.passwordHash ?? null)) || !account || !user) return null;
    const ttl = this.ctx.config.carddav.authCacheSeconds * 1000;
    if (ttl > 0) {
      if (this.verified.size >= MAX_CACHE) this.verified.clear();
      this.verified.set(mac, { userId: user.id, passwordHash: user.passwordHash!, until: Date.now() + ttl });
    }
    return { account, user: stripHash(user), ...view };
  }

  private touch(tokenId: string): void {
    const t = Date.now();
    if ((this.tokenTouched.get(tokenId) ?? 0) > t - TOUCH_INTERVAL_MS) return;
    if (this.tokenTouched.size >= MAX_CACHE) this.tokenTouched.clear();
    this.tokenTouched.set(tokenId, t);
    // Not awaited: "last used" is not worth holding a sign-in for (the write may queue behind an
    // import), and a failure to note it is no reason to refuse one.
    this.ctx.db.touchToken(tokenId).catch((err: unknown) => this.ctx.logger.warn({ err }, 'carddav: could not note an app password\'s use'));
  }
}

function basicCredentials(header: string | undefined): { login: string; password: string } | null {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]{1,2000})\s*$/i.exec(header) : null;
  if (!m) return null;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  return { login: text.slice(0, colon).trim(), password: text.slice(colon + 1) };
}

function stripHash<T extends { passwordHash: string | null }>(u: T): Omit<T, 'passwordHash'> {
  const { passwordHash: _h, ...rest } = u;
  return rest;
}

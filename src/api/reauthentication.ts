// Proof that the person at the keyboard knows the password, for actions a stolen session or token
// must not be enough for: changing one's own password (the current password, every time) and
// minting credentials (a sign-in within portal.reauthMinutes, or the current password again).
// A wrong current password counts as a failed portal sign-in of that user, so a stolen session
// cannot be used to guess the password at full speed.
import type { Request } from 'express';
import type { AppContext } from '../app-context.ts';
import { verifyPassword } from '../auth/passwords.ts';
import type { User } from '../domain/user-schemas.ts';
import { AppError, TooManyAttemptsError, ValidationError } from '../errors.ts';
import { clientAddress } from '../auth/client-address.ts';
import type { Principal } from './principal.ts';

/** Throws unless `password` is the user's current password. */
export async function checkCurrentPassword(ctx: AppContext, req: Request, user: User, password: string | undefined, why: string): Promise<void> {
  if (!password) {
    throw new ValidationError(`currentPassword is required ${why}`, [{ field: 'currentPassword', reason: `is required ${why}` }]);
  }
  const attempt = await ctx.signinLimiter.attempt({
    kind: 'portal', source: clientAddress(req), login: `${user.username}@${user.accountId}`, secret: password, device: req.headers['user-agent'],
  });
  if (!attempt.allowed) throw new TooManyAttemptsError(attempt.retryAfterSeconds);
  let ok: boolean;
  try {
    const stored = await ctx.db.findUserByLogin(user.accountId, user.username);
    ok = stored?.id === user.id && (await verifyPassword(password, stored.passwordHash));
  } catch (err) {
    attempt.released(); // a storage failure or a busy hasher is no wrong password
    throw err;
  }
  if (!ok) {
    await attempt.failed();
    throw new AppError(403, 'wrong_current_password', 'The current password is wrong', [{ field: 'currentPassword', reason: 'is wrong' }]);
  }
  attempt.succeeded();
  if (req.principal?.credential.kind === 'session') await ctx.db.markSessionAuthenticated(req.principal.credential.sessionId, Date.now());
}

/**
 * A session whose password was proved within portal.reauthMinutes passes as it is; an older one
 * passes with the current password (which renews it). Callers have already required a session.
 */
export async function requireRecentSignIn(ctx: AppContext, req: Request, p: Principal & { kind: 'user' }, currentPassword: string | undefined): Promise<void> {
  const c = p.credential;
  const maxAgeMs = ctx.config.portal.reauthMinutes * 60_000;
  if (c.kind === 'session' && Date.now() - c.authenticatedAt <= maxAgeMs && currentPassword === undefined) return;
  if (currentPassword === undefined) {
    throw new AppError(403, 'reauthentication_required',
      `You signed in more than ${ctx.config.portal.reauthMinutes} minutes ago: send your current password (currentPassword) to do this`,
      [{ field: 'currentPassword', reason: 'is required: the sign-in is not recent' }]);
  }
  await checkCurrentPassword(ctx, req, p.user, currentPassword, 'to confirm it is you');
}

// Who is calling the admin API, and the account a route works on. Set by auth.ts (bearer tokens)
// or by the portal's session middleware; read by every route.
import type { Request } from 'express';
import type { Account } from '../domain/account-schemas.ts';
import type { Actor } from '../domain/audit.ts';
import type { User } from '../domain/user-schemas.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';

/**
 * The credential a request came with. session: a portal sign-in (everything the role allows;
 * minting credentials wants a recent sign-in). platform-token: the platform admin's token.
 * api-token: a manager's token for scripts (the user's role, but no credentials minted).
 * App passwords are no credential here: they open CardDAV and LDAP only (app-password-scope.ts).
 */
export type Credential =
  | { kind: 'session'; sessionId: string; authenticatedAt: number }
  | { kind: 'platform-token' | 'api-token'; tokenId: string };

export type Principal =
  | { kind: 'platform'; credential: Credential }
  | { kind: 'user'; accountId: string; user: User; credential: Credential };

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
    /** The account named in the route, after the caller was checked against it. */
    account?: Account;
  }
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw new UnauthorizedError();
  return req.principal;
}

export function accountOf(req: Request): Account {
  if (!req.account) throw new Error('route used accountOf() without the account middleware');
  return req.account;
}

/** The signed-in user (routes under /me). The platform admin has no personal contacts. */
export function userOf(req: Request): User {
  const p = principalOf(req);
  if (p.kind !== 'user') throw new ForbiddenError('This needs a user of an account, not the platform admin');
  return p.user;
}

export function actorOf(req: Request, batchId?: string): Actor {
  const p = principalOf(req);
  const id = p.kind === 'platform' ? 'platform-admin' : `user:${p.user.id}:${p.user.username}`;
  return batchId ? { id, batchId } : { id };
}

/** Managers of shared contacts: the platform admin, or a user whose scope the account allows. */
export function canManageShared(p: Principal, account: Account): boolean {
  if (p.kind === 'platform') return true;
  return p.accountId === account.id && account.settings.managerScopes.includes(p.user.scope);
}

/** Whether the caller is `userId` themself (not a manager acting on them). */
export function isSelf(p: Principal, userId: string): boolean {
  return p.kind === 'user' && p.user.id === userId;
}

/** Managers act on anyone in their account; others only on themselves. */
export function requireSelfOrManager(req: Request, userId: string): void {
  const p = principalOf(req);
  if (canManageShared(p, accountOf(req))) return;
  if (p.kind === 'user' && p.user.id === userId) return;
  throw new ForbiddenError('Only managers can manage other users');
}

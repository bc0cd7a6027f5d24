// Minting a user's token, the one rule behind POST .../users/{id}/app-passwords and
// POST .../users/{id}/tokens. Only the user mints their own, from a portal session: a token made
// by a manager or the platform admin would read that user's personal contacts (the API's
// /me/contacts, the CardDAV personal book), and a token minting another would outlive its own
// revocation. API tokens only for managers. The secret is returned once; only its hash is kept.
import type { Request } from 'express';
import type { AppContext } from '../app-context.ts';
import { hashToken, newToken } from '../auth/api-tokens.ts';
import type { ApiTokenInfo, TokenKind, User } from '../domain/user-schemas.ts';
import { ForbiddenError } from '../errors.ts';
import { accountOf, canManageShared, isSelf, principalOf } from './principal.ts';
import { requireRecentSignIn } from './reauthentication.ts';

export interface MintRequest {
  label: string;
  kind: Exclude<TokenKind, 'platform'>;
  currentPassword?: string;
}

export async function mintUserToken(ctx: AppContext, req: Request, user: User, m: MintRequest): Promise<ApiTokenInfo & { token: string }> {
  const p = principalOf(req);
  if (p.kind !== 'user' || !isSelf(p, user.id)) {
    throw new ForbiddenError('Only the user creates their own app passwords (managers may list and revoke them, or reset the password)');
  }
  if (p.credential.kind !== 'session') throw new ForbiddenError('Sign in to the portal to create app passwords: a token cannot create another');
  if (m.kind === 'api' && !canManageShared(p, accountOf(req))) throw new ForbiddenError('Only managers create API tokens: create an app password');
  await requireRecentSignIn(ctx, req, p, m.currentPassword);
  const token = newToken();
  const info = await ctx.db.createToken({ accountId: accountOf(req).id, userId: user.id, label: m.label, tokenHash: hashToken(token), kind: m.kind });
  return { ...info, token };
}

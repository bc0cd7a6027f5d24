// A user's app passwords: made by the user from a portal session (token-minting.ts), shown once;
// listed with when they were made and last used, and revoked, by the user or a manager of the
// account. A revoked app password is refused by the next CardDAV request or LDAP bind (they are
// looked up on every use, src/auth/app-passwords.ts).
import type { Request, Router } from 'express';
import type { AppContext } from '../../app-context.ts';
import { appPasswordCreateSchema, type ApiTokenInfo } from '../../domain/user-schemas.ts';
import { NotFoundError } from '../../errors.ts';
import { accountOf, requireSelfOrManager } from '../principal.ts';
import { declare } from '../route-spec.ts';
import { mintUserToken } from '../token-minting.ts';

const view = (t: ApiTokenInfo) => ({ id: t.id, label: t.label, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt });

export function appPasswordRoutes(ctx: AppContext, account: Router): void {
  const prefix = '/accounts/{account}';
  const tag = 'app passwords';
  /** The user of the path, once the caller may act on them. */
  const userOfPath = async (req: Request) => {
    const u = await ctx.db.getUser(accountOf(req).id, String(req.params.id));
    if (!u) throw new NotFoundError('User');
    requireSelfOrManager(req, u.id);
    return u;
  };
  const appPasswordsOf = async (req: Request, userId: string) =>
    (await ctx.db.listTokens(accountOf(req).id, userId)).filter((t) => t.kind === 'app-password');

  declare(account, prefix, { method: 'post', path: '/users/:id/app-passwords', summary: 'Create one of your own app passwords (CardDAV and LDAP only); the secret is shown once; needs a portal session signed in within portal.reauthMinutes, or currentPassword', permission: 'member', body: appPasswordCreateSchema, tag },
    async (req, res, { body }) => {
      const user = await ctx.db.getUser(accountOf(req).id, String(req.params.id));
      if (!user) throw new NotFoundError('User');
      const made = await mintUserToken(ctx, req, user, { ...body, kind: 'app-password' });
      res.status(201).json({ ...view(made), token: made.token });
    });

  declare(account, prefix, { method: 'get', path: '/users/:id/app-passwords', summary: "List a user's app passwords with when each was made and last used (never the secret)", permission: 'member', tag },
    async (req) => ({ items: (await appPasswordsOf(req, (await userOfPath(req)).id)).map(view) }));

  declare(account, prefix, { method: 'delete', path: '/users/:id/app-passwords/:tokenId', summary: 'Revoke an app password: the next CardDAV request or LDAP bind with it is refused', permission: 'member', tag },
    async (req, res) => {
      const user = await userOfPath(req);
      const tokenId = String(req.params.tokenId);
      if (!(await appPasswordsOf(req, user.id)).some((t) => t.id === tokenId)) throw new NotFoundError('App password');
      if (!(await ctx.db.deleteToken(accountOf(req).id, tokenId))) throw new NotFoundError('App password');
      res.status(204).end();
    });
}

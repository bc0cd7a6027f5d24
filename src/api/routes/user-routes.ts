// Users of an account and their tokens (app passwords, managers' API tokens; app passwords also
// have their own routes, app-password-routes.ts). Managers and the platform admin manage users:
// they may list and revoke anyone's tokens and reset a password (which ends all of that user's
// sessions and tokens), but only the user creates their own tokens (token-minting.ts).
// Changing one's own password always takes the current one.
import type { Request, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../app-context.ts';
import { hashPassword } from '../../auth/passwords.ts';
import { tokenCreateSchema, userCreateSchema, userPatchSchema } from '../../domain/user-schemas.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import type { CredentialRevocation } from '../../store/store.ts';
import { accountOf, actorOf, canManageShared, isSelf, principalOf, requireSelfOrManager } from '../principal.ts';
import { checkCurrentPassword } from '../reauthentication.ts';
import { mintUserToken } from '../token-minting.ts';
import { declare } from '../route-spec.ts';

const userPatchRequestSchema = userPatchSchema.extend({
  currentPassword: z.string().min(1).max(256).optional().describe('Required to change your own password'),
  keepAppPasswords: z.boolean().optional().describe('Own password change: keep your app passwords and API tokens (default false: revoke them)'),
}).strict();

export function userRoutes(ctx: AppContext, account: Router): void {
  const prefix = '/accounts/{account}';
  const tag = 'users';
  const findUser = async (req: Request) => {
    const u = await ctx.db.getUser(accountOf(req).id, String(req.params.id));
    if (!u) throw new NotFoundError('User');
    return u;
  };

  declare(account, prefix, { method: 'get', path: '/users', summary: 'List users', permission: 'member', tag },
    async (req) => ({ items: await ctx.db.listUsers(accountOf(req).id) }));

  declare(account, prefix, { method: 'post', path: '/users', summary: 'Add a user', permission: 'manager', body: userCreateSchema, tag },
    async (req, res, { body }) => {
      const { password, ...rest } = body;
      const passwordHash = password ? await hashPassword(password) : null;
      res.status(201).json(await ctx.db.createUser(accountOf(req).id, { ...rest, passwordHash }, actorOf(req)));
    });

  declare(account, prefix, { method: 'get', path: '/users/:id', summary: 'Get a user', permission: 'member', tag },
    (req) => findUser(req));

  declare(account, prefix, { method: 'patch', path: '/users/:id', summary: 'Change a user (name, scope, numbers, password: your own needs currentPassword)', permission: 'member', body: userPatchRequestSchema, tag },
    async (req, _res, { body }) => {
      const user = await findUser(req);
      requireSelfOrManager(req, user.id);
      const p = principalOf(req);
      // Anyone may change their own name, numbers and password; only managers change a scope.
      if (body.scope !== undefined && !canManageShared(p, accountOf(req))) throw new ForbiddenError('Only managers can change scopes');
      const { password, currentPassword, keepAppPasswords, ...rest } = body;
      if (!password) return ctx.db.updateUser(accountOf(req).id, user.id, rest, actorOf(req));
      let revoke: CredentialRevocation;
      if (isSelf(p, user.id)) {
        await checkCurrentPassword(ctx, req, user, currentPassword, 'to change your own password');
        // The other sessions end; the one (or the token) making the change survives.
        const c = p.credential;
        revoke = c.kind === 'session'
          ? { keepSessionId: c.sessionId, keepTokens: keepAppPasswords ?? false }
          : { keepTokens: keepAppPasswords ?? false, keepTokenId: c.tokenId };
      } else {
        if (keepAppPasswords !== undefined) {
          throw new ValidationError('keepAppPasswords is for your own password: a reset by a manager ends all of the user\'s sessions and tokens',
            [{ field: 'keepAppPasswords', value: keepAppPasswords, reason: 'only for your own password change' }]);
        }
        revoke = { keepTokens: false };
      }
      return ctx.db.updateUser(accountOf(req).id, user.id, { ...rest, passwordHash: await hashPassword(password) }, actorOf(req), revoke);
    });

  declare(account, prefix, { method: 'delete', path: '/users/:id', summary: 'Delete a user (their personal contacts and tokens go too)', permission: 'manager', tag },
    async (req, res) => {
      await ctx.db.deleteUser(accountOf(req).id, (await findUser(req)).id, actorOf(req));
      res.status(204).end();
    });

  declare(account, prefix, { method: 'get', path: '/users/:id/tokens', summary: "List a user's API tokens", permission: 'member', tag },
    async (req) => {
      const user = await findUser(req);
      requireSelfOrManager(req, user.id);
      return { items: await ctx.db.listTokens(accountOf(req).id, user.id) };
    });

  declare(account, prefix, { method: 'post', path: '/users/:id/tokens', summary: 'Create one of your own app passwords (or, managers, an API token); shown once; needs a recent portal sign-in or currentPassword', permission: 'member', body: tokenCreateSchema, tag },
    async (req, res, { body }) => {
      res.status(201).json(await mintUserToken(ctx, req, await findUser(req), body));
    });

  declare(account, prefix, { method: 'delete', path: '/tokens/:tokenId', summary: 'Revoke an API token', permission: 'member', tag },
    async (req, res) => {
      const accountId = accountOf(req).id;
      const p = principalOf(req);
      const tokenId = String(req.params.tokenId);
      if (!canManageShared(p, accountOf(req))) {
        const own = p.kind === 'user' && (await ctx.db.listTokens(accountId, p.user.id)).some((t) => t.id === tokenId);
        if (!own) throw new NotFoundError('Token');
      }
      if (!(await ctx.db.deleteToken(accountId, tokenId))) throw new NotFoundError('Token');
      res.status(204).end();
    });
}

// Users of an account and their API tokens. Managers and the platform admin manage users; every
// user may manage their own tokens.
import type { Request, Router } from 'express';
import type { AppContext } from '../../app-context.ts';
import { newToken, hashToken } from '../../auth/api-tokens.ts';
import { hashPassword } from '../../auth/passwords.ts';
import { tokenCreateSchema, userCreateSchema, userPatchSchema } from '../../domain/user-schemas.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import { accountOf, actorOf, canManageShared, principalOf } from '../principal.ts';
import { declare } from '../route-spec.ts';

export function userRoutes(ctx: AppContext, account: Router): void {
  const prefix = '/accounts/{account}';
  const tag = 'users';
  const findUser = (req: Request) => {
    const u = ctx.store.getUser(accountOf(req).id, String(req.params.id));
    if (!u) throw new NotFoundError('User');
    return u;
  };
  /** Managers act on anyone in their account; others only on themselves. */
  const selfOrManager = (req: Request, userId: string) => {
    const p = principalOf(req);
    if (canManageShared(p, accountOf(req))) return;
    if (p.kind === 'user' && p.user.id === userId) return;
    throw new ForbiddenError('Only managers can manage other users');
  };

  declare(account, prefix, { method: 'get', path: '/users', summary: 'List users', permission: 'member', tag },
    (req) => ({ items: ctx.store.listUsers(accountOf(req).id) }));

  declare(account, prefix, { method: 'post', path: '/users', summary: 'Add a user', permission: 'manager', body: userCreateSchema, tag },
    async (req, res, { body }) => {
      const { password, ...rest } = body;
      const passwordHash = password ? await hashPassword(password) : null;
      res.status(201).json(ctx.store.createUser(accountOf(req).id, { ...rest, passwordHash }, actorOf(req)));
    });

  declare(account, prefix, { method: 'get', path: '/users/:id', summary: 'Get a user', permission: 'member', tag },
    (req) => findUser(req));

  declare(account, prefix, { method: 'patch', path: '/users/:id', summary: 'Change a user (name, scope, numbers, password)', permission: 'member', body: userPatchSchema, tag },
    async (req, _res, { body }) => {
      const user = findUser(req);
      selfOrManager(req, user.id);
      const p = principalOf(req);
      // Anyone may change their own name, numbers and password; only managers change a scope.
      if (body.scope !== undefined && !canManageShared(p, accountOf(req))) throw new ForbiddenError('Only managers can change scopes');
      const { password, ...rest } = body;
      const patch = password ? { ...rest, passwordHash: await hashPassword(password) } : rest;
      return ctx.store.updateUser(accountOf(req).id, user.id, patch, actorOf(req));
    });

  declare(account, prefix, { method: 'delete', path: '/users/:id', summary: 'Delete a user (their personal contacts and tokens go too)', permission: 'manager', tag },
    (req, res) => {
      ctx.store.deleteUser(accountOf(req).id, findUser(req).id, actorOf(req));
      res.status(204).end();
    });

  declare(account, prefix, { method: 'get', path: '/users/:id/tokens', summary: "List a user's API tokens", permission: 'member', tag },
    (req) => {
      const user = findUser(req);
      selfOrManager(req, user.id);
      return { items: ctx.store.listTokens(accountOf(req).id, user.id) };
    });

  declare(account, prefix, { method: 'post', path: '/users/:id/tokens', summary: 'Create an API token (shown once)', permission: 'member', body: tokenCreateSchema, tag },
    (req, res, { body }) => {
      const user = findUser(req);
      selfOrManager(req, user.id);
      const token = newToken();
      const info = ctx.store.createToken({ accountId: accountOf(req).id, userId: user.id, label: body.label, tokenHash: hashToken(token) });
      res.status(201).json({ ...info, token });
    });

  declare(account, prefix, { method: 'delete', path: '/tokens/:tokenId', summary: 'Revoke an API token', permission: 'member', tag },
    (req, res) => {
      const accountId = accountOf(req).id;
      const p = principalOf(req);
      const tokenId = String(req.params.tokenId);
      if (!canManageShared(p, accountOf(req))) {
        const own = p.kind === 'user' && ctx.store.listTokens(accountId, p.user.id).some((t) => t.id === tokenId);
        if (!own) throw new NotFoundError('Token');
      }
      if (!ctx.store.deleteToken(accountId, tokenId)) throw new NotFoundError('Token');
      res.status(204).end();
    });
}

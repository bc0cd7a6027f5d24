// Accounts (platform admin) and their phone credentials (managers).
import type { Router } from 'express';
import type { AppContext } from '../../app-context.ts';
import { accountCreateSchema, accountPatchSchema, phoneCredentialsPatchSchema, phoneCredentialsSchema } from '../../domain/account-schemas.ts';
import { NotFoundError } from '../../errors.ts';
import { accountOf, actorOf } from '../principal.ts';
import { declare } from '../route-spec.ts';

export function accountRoutes(ctx: AppContext, root: Router, account: Router): void {
  const tag = 'accounts';
  declare(root, '/accounts', { method: 'get', path: '/', summary: 'List accounts', permission: 'platform', tag },
    async () => ({ items: await ctx.db.listAccounts() }));

  declare(root, '/accounts', { method: 'post', path: '/', summary: 'Create an account', permission: 'platform', body: accountCreateSchema, tag },
    async (req, res, { body }) => {
      res.status(201).json(await ctx.db.createAccount(body, actorOf(req)));
    });

  declare(account, '/accounts/{account}', { method: 'get', path: '/', summary: 'Get an account', permission: 'member', tag },
    (req) => accountOf(req));

  declare(account, '/accounts/{account}', { method: 'patch', path: '/', summary: 'Change an account and its settings', permission: 'platform', body: accountPatchSchema, tag },
    (req, _res, { body }) => ctx.db.updateAccount(accountOf(req).id, body, actorOf(req)));

  declare(account, '/accounts/{account}', { method: 'delete', path: '/', summary: 'Delete an account and all its data', permission: 'platform', tag },
    async (req, res) => {
      await ctx.db.deleteAccount(accountOf(req).id);
      res.status(204).end();
    });

  declare(account, '/accounts/{account}', { method: 'get', path: '/phone-credentials', summary: 'Phone credentials (username, password, path token)', permission: 'manager', tag },
    async (req) => {
      const creds = await ctx.phoneCredentials.get(accountOf(req).id);
      if (!creds) throw new NotFoundError('Phone credentials');
      return creds;
    });

  declare(account, '/accounts/{account}', { method: 'put', path: '/phone-credentials', summary: 'Set the phone credentials used by phonebooks and LDAP', permission: 'manager', body: phoneCredentialsSchema, tag },
    (req, _res, { body }) => ctx.phoneCredentials.set(accountOf(req).id, body.username, body.password, actorOf(req)));

  declare(account, '/accounts/{account}', { method: 'patch', path: '/phone-credentials', summary: 'Change the phone username or password alone (the other one and the path token stay)', permission: 'manager', body: phoneCredentialsPatchSchema, tag },
    async (req, _res, { body }) => {
      const changed = await ctx.phoneCredentials.patch(accountOf(req).id, body, actorOf(req));
      if (!changed) throw new NotFoundError('Phone credentials');
      return changed;
    });

  declare(account, '/accounts/{account}', { method: 'post', path: '/phone-credentials/rotate-path-token', summary: 'Replace the phonebook path token', permission: 'manager', tag },
    async (req) => {
      const token = await ctx.phoneCredentials.rotatePathToken(accountOf(req).id, actorOf(req));
      if (!token) throw new NotFoundError('Phone credentials');
      return { pathToken: token };
    });

  declare(account, '/accounts/{account}', { method: 'delete', path: '/phone-credentials', summary: 'Remove phone credentials (phones are locked out)', permission: 'manager', tag },
    async (req, res) => {
      await ctx.phoneCredentials.clear(accountOf(req).id, actorOf(req));
      res.status(204).end();
    });
}

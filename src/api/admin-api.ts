// The admin API under /api/v1: authentication, account access, and every route family.
import express, { Router } from 'express';
import type { AppContext } from '../app-context.ts';
import { accountAccess, bearerAuth, requireAuth } from './auth.ts';
import { openApiDocument } from './openapi.ts';
import { accountOf } from './principal.ts';
import { accountRoutes } from './routes/account-routes.ts';
import { contactRoutes } from './routes/contact-routes.ts';
import { groupRoutes } from './routes/group-routes.ts';
import { meRoutes } from './routes/me-routes.ts';
import { userRoutes } from './routes/user-routes.ts';
import { appPasswordRoutes } from './routes/app-password-routes.ts';
import { sessionListRoutes } from './routes/session-list-routes.ts';
import { importExportRoutes } from './routes/import-export-routes.ts';
import { provisioningRoutes } from './provisioning-routes.ts';
import type { VendorRegistry } from '../phonebook/vendor-registry.ts';

export function adminApi(ctx: AppContext, vendors: VendorRegistry): Router {
  const api = Router();
  api.get('/openapi.json', (_req, res) => void res.json(openApiDocument()));
  api.use(bearerAuth(ctx), requireAuth);

  const accounts = Router();
  const account = Router({ mergeParams: true });
  account.use(accountAccess(ctx));
  accountRoutes(ctx, accounts, account);
  userRoutes(ctx, account);
  appPasswordRoutes(ctx, account);
  groupRoutes(ctx, account);
  account.use('/contacts', importExportRoutes(ctx));
  account.use('/provisioning', provisioningRoutes(ctx, vendors));
  const shared = Router({ mergeParams: true });
  contactRoutes(ctx, shared, {
    prefix: '/accounts/{account}/contacts', tag: 'shared contacts', readPermission: 'member', writePermission: 'manager',
    accountId: (req) => accountOf(req).id,
    scope: () => ({ source: 'shared' }),
  });
  account.use('/contacts', shared);

  const me = Router();
  const meContacts = Router();
  meRoutes(ctx, me, meContacts);
  sessionListRoutes(ctx, me, account);

  api.use(express.json({ limit: '1mb' }));
  api.use('/accounts/:account', account);
  api.use('/accounts', accounts);
  api.use('/me/contacts', meContacts);
  api.use('/me', me);
  return api;
}

// The signed-in user: who am I, my personal contacts, and the Contacts page's combined directory.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../app-context.ts';
import type { Visibility } from '../../store/store.ts';
import { NotFoundError } from '../../errors.ts';
import { contactView, searchCriterion } from '../contact-views.ts';
import { canManageShared, principalOf, userOf } from '../principal.ts';
import { declare } from '../route-spec.ts';
import { contactRoutes } from './contact-routes.ts';

const directoryQuerySchema = z.object({
  source: z.enum(['all', 'shared', 'personal', 'users']).default('all'),
  q: z.string().trim().max(100).optional(),
  group: z.string().trim().max(64).optional(),
  sort: z.enum(['name', 'company']).default('name'),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).default(0),
}).strict();

export function meRoutes(ctx: AppContext, me: Router, meContacts: Router): void {
  declare(me, '/me', { method: 'get', path: '/', summary: 'Who am I: user, account and what I may do', permission: 'authenticated', tag: 'me' },
    async (req) => {
      const p = principalOf(req);
      if (p.kind === 'platform') return { platform: true, accounts: await ctx.db.listAccounts() };
      const account = await ctx.db.getAccount(p.accountId);
      if (!account) throw new NotFoundError('Account');
      return { user: p.user, account, canManageShared: canManageShared(p, account) };
    });

  contactRoutes(ctx, meContacts, {
    prefix: '/me/contacts', tag: 'personal contacts', readPermission: 'user', writePermission: 'user',
    accountId: (req) => userOf(req).accountId,
    scope: (req) => ({ source: 'personal', userId: userOf(req).id }),
  });

  declare(me, '/me', { method: 'get', path: '/directory', summary: 'Shared, personal and internal users in one list (the Contacts page)', permission: 'user', query: directoryQuerySchema, tag: 'me' },
    async (req, _res, { query }) => {
      const user = userOf(req);
      const s = query.source;
      const visibility: Visibility = {
        shared: s === 'all' || s === 'shared',
        users: s === 'all' || s === 'users',
        personalOf: s === 'all' || s === 'personal' ? user.id : null,
      };
      const where = query.group ? { and: [searchCriterion(query.q), { group: query.group }] } : searchCriterion(query.q);
      // From the read model, like phones and apps (issue 19: one read engine). The version read
      // first makes the model catch up to it: a user sees their own write in the next listing
      // even when its notification has not arrived yet (PostgreSQL).
      const seen = await ctx.db.getAccountVersion(user.accountId);
      const page = await ctx.directory.queryContacts(user.accountId, {
        visibility, where, sort: query.sort, limit: query.limit, offset: query.offset, withTotal: true,
      }, seen ?? undefined);
      return { items: page.contacts.map(contactView), total: page.total, limit: query.limit, offset: query.offset };
    });
}

// Groups of an account, and the audit log.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../app-context.ts';
import { groupCreateSchema, groupPatchSchema } from '../../domain/group-schemas.ts';
import { accountOf, actorOf } from '../principal.ts';
import { declare } from '../route-spec.ts';

const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(1).optional(),
  contactId: z.string().optional(),
}).strict();

export function groupRoutes(ctx: AppContext, account: Router): void {
  const prefix = '/accounts/{account}';
  declare(account, prefix, { method: 'get', path: '/groups', summary: 'List groups with contact counts', permission: 'member', tag: 'groups' },
    async (req) => ({ items: await ctx.db.listGroups(accountOf(req).id) }));

  declare(account, prefix, { method: 'post', path: '/groups', summary: 'Create a group', permission: 'manager', body: groupCreateSchema, tag: 'groups' },
    async (req, res, { body }) => {
      res.status(201).json(await ctx.db.createGroup(accountOf(req).id, body.name, actorOf(req)));
    });

  declare(account, prefix, { method: 'patch', path: '/groups/:id', summary: 'Rename a group', permission: 'manager', body: groupPatchSchema, tag: 'groups' },
    (req, _res, { body }) => ctx.db.renameGroup(accountOf(req).id, String(req.params.id), body.name, actorOf(req)));

  declare(account, prefix, { method: 'delete', path: '/groups/:id', summary: 'Delete a group (its contacts stay)', permission: 'manager', tag: 'groups' },
    async (req, res) => {
      await ctx.db.deleteGroup(accountOf(req).id, String(req.params.id), actorOf(req));
      res.status(204).end();
    });

  declare(account, prefix, { method: 'get', path: '/audit', summary: 'Change history, newest first (page with before=<id>)', permission: 'manager', query: auditQuerySchema, tag: 'audit' },
    async (req, _res, { query }) => ({ items: await ctx.db.listAudit(accountOf(req).id, query) }));
}

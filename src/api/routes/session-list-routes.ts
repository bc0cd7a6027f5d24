// Portal sessions as their owners and managers see them: a user lists and ends their own
// sessions (say, a browser left signed in elsewhere); a manager ends every session of a user.
import type { Router } from 'express';
import type { AppContext } from '../../app-context.ts';
import { NotFoundError } from '../../errors.ts';
import { sessionOf } from '../../portal/session-routes.ts';
import { SessionStore } from '../../portal/session-store.ts';
import { accountOf, userOf } from '../principal.ts';
import { declare } from '../route-spec.ts';

export function sessionListRoutes(ctx: AppContext, me: Router, account: Router): void {
  const sessions = new SessionStore(ctx.db, ctx.config.portal.sessionTtlMinutes * 60_000);
  const tag = 'sessions';

  declare(me, '/me', { method: 'get', path: '/sessions', summary: 'My portal sessions (current: the one making this request)', permission: 'user', tag },
    async (req) => {
      const user = userOf(req);
      const current = sessionOf(req)?.id ?? null;
      return { items: (await sessions.list(user.accountId, user.id)).map((s) => ({ ...s, current: s.id === current })) };
    });

  declare(me, '/me', { method: 'delete', path: '/sessions/:id', summary: 'End one of my portal sessions', permission: 'user', tag },
    async (req) => {
      const user = userOf(req);
      if (!(await sessions.endOwn(user.accountId, user.id, String(req.params.id)))) throw new NotFoundError('Session');
    });

  const prefix = '/accounts/{account}';
  const userIn = async (accountId: string, userId: string) => {
    const u = await ctx.db.getUser(accountId, userId);
    if (!u) throw new NotFoundError('User');
    return u;
  };
  declare(account, prefix, { method: 'get', path: '/users/:id/sessions', summary: 'A user\'s portal sessions', permission: 'manager', tag },
    async (req) => {
      const u = await userIn(accountOf(req).id, String(req.params.id));
      return { items: await sessions.list(u.accountId, u.id) };
    });

  declare(account, prefix, { method: 'delete', path: '/users/:id/sessions', summary: 'End every portal session of a user', permission: 'manager', tag },
    async (req) => {
      const u = await userIn(accountOf(req).id, String(req.params.id));
      return { ended: await sessions.endAll(u.accountId, u.id) };
    });
}

// Contact CRUD, used twice: the account's shared list (/accounts/:account/contacts) and a user's
// personal contacts (/me/contacts). Only who may write and which scope is touched differ.
import type { Request, Response, Router } from 'express';
import type { AppContext } from '../../app-context.ts';
import {
  contactFields, contactInputSchema, contactListQuerySchema, contactPatchSchema,
} from '../../domain/contact-schemas.ts';
import { prepareContactWithWarnings, type ContactWarning } from '../../domain/prepare-contact.ts';
import type { Contact } from '../../domain/contact-schemas.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import type { Visibility, WriteScope } from '../../store/store.ts';
import { contactView, etagOf, ifMatchRevision, searchCriterion, sendContact } from '../contact-views.ts';
import { actorOf } from '../principal.ts';
import { declare, type Permission } from '../route-spec.ts';

export interface ContactRoutesOptions {
  prefix: string;
  tag: string;
  readPermission: Permission;
  writePermission: Permission;
  accountId(req: Request): string;
  scope(req: Request): WriteScope;
}

export function contactRoutes(ctx: AppContext, router: Router, o: ContactRoutesOptions): void {
  const visibility = (req: Request): Visibility => {
    const s = o.scope(req);
    return s.source === 'shared' ? { shared: true, users: false, personalOf: null } : { shared: false, users: false, personalOf: s.userId };
  };
  const region = async (req: Request) => (await ctx.db.getAccount(o.accountId(req)))!.region;
  const find = async (req: Request) => {
    const c = await ctx.db.getContact(o.accountId(req), String(req.params.id), visibility(req));
    if (!c) throw new NotFoundError('Contact');
    return c;
  };

  declare(router, o.prefix, { method: 'get', path: '/', summary: 'List contacts (search q, group, sort, paging)', permission: o.readPermission, query: contactListQuerySchema, tag: o.tag },
    async (req, _res, { query }) => {
      const where = query.group ? { and: [searchCriterion(query.q), { group: query.group }] } : searchCriterion(query.q);
      if (query.after !== undefined && query.offset > 0) {
        throw new ValidationError('Use either offset or after, not both', [{ field: 'after', value: query.after, reason: 'cannot be combined with offset' }]);
      }
      const page = await ctx.db.queryContacts(o.accountId(req), {
        visibility: visibility(req), where, sort: query.sort, limit: query.limit, offset: query.offset, after: query.after, withTotal: true,
      });
      // next: the cursor of the following page (pass it as ?after=), null on the last page
      return { items: page.contacts.map(contactView), total: page.total, limit: query.limit, offset: query.offset, next: page.nextAfter ?? null };
    });

  declare(router, o.prefix, { method: 'post', path: '/', summary: 'Add a contact', permission: o.writePermission, body: contactInputSchema, tag: o.tag },
    async (req, res) => {
      // req.body, not the parsed body: the warnings name what the clean-up changed in the input
      const p = prepareContactWithWarnings(req.body, await region(req));
      const c = await ctx.db.createContact(o.accountId(req), o.scope(req), p.contact, actorOf(req));
      res.setHeader('Location', `${req.baseUrl}/${c.id}`);
      sendWritten(res, c, p.warnings, 201);
    });

  declare(router, o.prefix, { method: 'get', path: '/:id', summary: 'Get a contact (with ETag)', permission: o.readPermission, tag: o.tag },
    async (req, res) => {
      const c = await find(req);
      if (req.headers['if-none-match'] === `"r${c.revision}"`) return void res.status(304).end();
      sendContact(res, c);
    });

  declare(router, o.prefix, { method: 'put', path: '/:id', summary: 'Replace a contact (If-Match honoured)', permission: o.writePermission, body: contactInputSchema, tag: o.tag },
    async (req, res) => {
      const current = await find(req);
      const rev = ifMatchRevision(req, current);
      const p = prepareContactWithWarnings(req.body, await region(req));
      const c = await ctx.db.updateContact(o.accountId(req), o.scope(req), current.id, p.contact, actorOf(req), rev ?? current.revision);
      sendWritten(res, c, p.warnings);
    });

  declare(router, o.prefix, { method: 'patch', path: '/:id', summary: 'Change some fields of a contact (If-Match honoured)', permission: o.writePermission, body: contactPatchSchema, tag: o.tag },
    async (req, res) => {
      const current = await find(req);
      const rev = ifMatchRevision(req, current);
      const merged = { ...contactFields(current), ...stripUndefined(req.body as object) };
      const p = prepareContactWithWarnings(merged, await region(req));
      const c = await ctx.db.updateContact(o.accountId(req), o.scope(req), current.id, p.contact, actorOf(req), rev ?? current.revision);
      sendWritten(res, c, p.warnings);
    });

  declare(router, o.prefix, { method: 'delete', path: '/:id', summary: 'Delete a contact (If-Match honoured)', permission: o.writePermission, tag: o.tag },
    async (req, res) => {
      const current = await find(req);
      const rev = ifMatchRevision(req, current);
      await ctx.db.deleteContact(o.accountId(req), o.scope(req), current.id, actorOf(req), rev ?? current.revision);
      res.status(204).end();
    });
}

/** A written contact, with what the clean-up changed and which numbers have no E.164 form. */
function sendWritten(res: Response, c: Contact, warnings: ContactWarning[], status = 200): void {
  res.status(status).setHeader('ETag', etagOf(c));
  res.json({ ...contactView(c), warnings });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

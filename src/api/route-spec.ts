// Each admin route declares its permission and schemas in one place; the same declarations
// drive validation, the permission check and the OpenAPI document.
import type { NextFunction, Request, Response, Router } from 'express';
import type { z } from 'zod';
import { detailsFromZod, ForbiddenError, invalidInput, UnauthorizedError } from '../errors.ts';
import { canManageShared, principalOf } from './principal.ts';

/**
 * public: anyone; platform: the platform admin; member: any user of the route's account (or the
 * platform admin); manager: a user whose scope the account allows to manage shared contacts (or
 * the platform admin); user: any signed-in user of an account (the /me routes).
 */
export type Permission = 'public' | 'platform' | 'member' | 'manager' | 'user' | 'authenticated';

export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  permission: Permission;
  body?: B;
  query?: Q;
  tag: string;
}

type Parsed<T> = T extends z.ZodType ? z.infer<T> : undefined;
export type Handler<B, Q> = (req: Request, res: Response, input: { body: Parsed<B>; query: Parsed<Q> }) => unknown;

/** All declared routes, with the prefix they are mounted under (read by openapi.ts). */
export const declaredRoutes: { prefix: string; spec: RouteSpec<z.ZodType | undefined, z.ZodType | undefined> }[] = [];

export function declare<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  router: Router,
  prefix: string,
  spec: RouteSpec<B, Q>,
  handler: Handler<B, Q>,
): void {
  if (!declaredRoutes.some((r) => r.prefix === prefix && r.spec.method === spec.method && r.spec.path === spec.path)) {
    declaredRoutes.push({ prefix, spec: spec as RouteSpec<z.ZodType | undefined, z.ZodType | undefined> });
  }
  router[spec.method](spec.path, async (req: Request, res: Response, next: NextFunction) => {
    try {
      checkPermission(req, spec.permission);
      const body = spec.body ? parse(spec.body, req.body ?? {}, 'body') : undefined;
      const query = spec.query ? parse(spec.query, req.query, 'query') : undefined;
      const out = await handler(req, res, { body: body as Parsed<B>, query: query as Parsed<Q> });
      if (!res.headersSent && out !== undefined) res.json(out);
      else if (!res.headersSent) res.status(204).end();
    } catch (err) {
      next(err);
    }
  });
}

/** Problems reported per request: a body of 60,000 unknown keys must not get a 1.4 MB answer. */
const MAX_DETAILS = 20;

function parse(schema: z.ZodType, input: unknown, where: string): unknown {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const details = detailsFromZod(r.error.issues.slice(0, MAX_DETAILS), input)
    .map((d) => (d.reason.length > 300 ? { ...d, reason: `${d.reason.slice(0, 300)}…` } : d));
  if (r.error.issues.length > MAX_DETAILS) details.push({ reason: `and ${r.error.issues.length - MAX_DETAILS} more problems` });
  throw invalidInput(where, details);
}

function checkPermission(req: Request, permission: Permission): void {
  if (permission === 'public') return;
  const p = principalOf(req);
  if (permission === 'authenticated') return;
  if (permission === 'platform') {
    if (p.kind !== 'platform') throw new ForbiddenError('Only the platform admin can do this');
    return;
  }
  if (permission === 'user') {
    if (p.kind !== 'user') throw new ForbiddenError('This needs a user of an account, not the platform admin');
    return;
  }
  // member and manager routes sit under /accounts/:account; accountAccess() has already checked
  // that the caller belongs to that account.
  if (!req.account) throw new UnauthorizedError();
  if (permission === 'manager' && !canManageShared(p, req.account)) {
    throw new ForbiddenError('Your role may not change shared contacts in this account');
  }
}

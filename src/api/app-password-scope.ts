// What an app password may do in the admin API: an allowlist, so a route added later is closed to
// app passwords until it is put here. An app password sits in a phone's or laptop's contacts app;
// if it is stolen it must not take over the account, so it reads and writes contacts (as far as
// its user's role allows) and nothing else: no password change, no credentials (tokens, app
// passwords, sessions, phone credentials), no user or account administration, no audit log.
import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../errors.ts';

/** [methods, path under /api/v1] pairs an app password may use. Case-insensitive, like express. */
const ALLOWED: { methods: readonly string[]; path: RegExp }[] = [
  // who am I, and the combined directory (the Contacts page)
  { methods: ['GET', 'HEAD'], path: /^\/me\/?$/i },
  { methods: ['GET', 'HEAD'], path: /^\/me\/directory\/?$/i },
  // the user's personal contacts
  { methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], path: /^\/me\/contacts(?:\/[^/]+)?\/?$/i },
  // the account's shared contacts, import and export (writes still need a manager's role)
  { methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], path: /^\/accounts\/[^/]+\/contacts(?:\/[^/]+)?\/?$/i },
  // the account's groups (writes still need a manager's role)
  { methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'], path: /^\/accounts\/[^/]+\/groups(?:\/[^/]+)?\/?$/i },
];

/** Whether an app password may call `method path` (path relative to /api/v1). */
export function appPasswordMay(method: string, path: string): boolean {
  // "." and ".." segments are never a contact or group id; refuse them rather than reason about them.
  if (path.split('/').some((seg) => seg === '.' || seg === '..' || /^%2e/i.test(seg))) return false;
  const m = method.toUpperCase();
  return ALLOWED.some((a) => a.methods.includes(m) && a.path.test(path));
}

/** Mounted after authentication on /api/v1: refuses every other route to an app password. */
export function appPasswordScope(req: Request, _res: Response, next: NextFunction): void {
  if (req.principal?.credential.kind !== 'app-password' || appPasswordMay(req.method, req.path)) return next();
  next(new ForbiddenError('An app password reads and writes contacts only; sign in to the portal for this'));
}

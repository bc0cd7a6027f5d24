// Users of an account: directory entries too ("other users on your account").
import { z } from 'zod';
import { userScopeSchema, type UserScope } from './account-schemas.ts';
import { withoutDefaults } from './patch-schema.ts';

const username = z.string().trim().toLowerCase().min(1).max(64)
  .regex(/^[a-z0-9._-]+$/, 'letters, digits, . _ - only');

export const userCreateSchema = z.object({
  username,
  name: z.string().trim().min(1, 'must not be empty').max(150),
  scope: userScopeSchema.default('basic'),
  extension: z.string().trim().regex(/^[0-9*#]{1,10}$/, 'must be 1 to 10 digits').optional(),
  directNumber: z.string().trim().max(40).optional(),
  email: z.union([z.literal(''), z.email('is not a valid email address')]).optional(),
  password: z.string().min(8, 'must be at least 8 characters').max(256).optional(),
}).strict();
export type UserCreate = z.infer<typeof userCreateSchema>;

/** Only what is sent changes: without the defaults, a name change no longer resets the scope to "basic". */
export const userPatchSchema = z.object(withoutDefaults(userCreateSchema.omit({ username: true }).shape)).partial().strict();
export type UserPatch = z.infer<typeof userPatchSchema>;

/**
 * What a token is for. platform: the platform admin's token. api: a manager's token for scripts
 * (acts with the user's role, but mints no credentials; never opens CardDAV or LDAP). app-password:
 * what a user makes for the contacts app of one device: CardDAV and an LDAP bind as the user, never
 * the admin API (src/auth/app-passwords.ts, src/api/app-password-scope.ts).
 */
export type TokenKind = 'platform' | 'api' | 'app-password';

export const tokenCreateSchema = z.object({
  label: z.string().trim().max(100).default(''),
  kind: z.enum(['app-password', 'api']).default('app-password').describe('app-password (any user) or api (managers, for scripts)'),
  /** Needed only when the session's sign-in is older than portal.reauthMinutes. */
  currentPassword: z.string().min(1).max(256).optional(),
}).strict();

/** POST .../users/{id}/app-passwords: the device or app it is for, shown in the list. */
export const appPasswordCreateSchema = z.object({
  label: z.string().trim().min(1, 'name the device or app it is for, e.g. "iPhone"').max(100, 'must be at most 100 characters')
    .describe('The device or app it is for, e.g. "iPhone"'),
  /** Needed only when the session's sign-in is older than portal.reauthMinutes. */
  currentPassword: z.string().min(1).max(256).optional().describe('Your password, when your portal sign-in is older than portal.reauthMinutes'),
}).strict();

export interface User {
  id: string;
  accountId: string;
  username: string;
  name: string;
  scope: UserScope;
  extension: string;
  directNumber: string;
  email: string;
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ApiTokenInfo {
  id: string;
  kind: TokenKind;
  /** Null for platform-admin tokens. */
  userId: string | null;
  accountId: string | null;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
}

// Users of an account: directory entries too ("other users on your account").
import { z } from 'zod';
import { userScopeSchema, type UserScope } from './account-schemas.ts';

const username = z.string().trim().toLowerCase().min(1).max(64)
  .regex(/^[a-z0-9._-]+$/, 'letters, digits, . _ - only');

/** The user's editable fields without defaults: PATCH takes any subset and must not invent the rest. */
const userFields = {
  name: z.string().trim().min(1, 'must not be empty').max(150),
  scope: userScopeSchema,
  extension: z.string().trim().regex(/^[0-9*#]{1,10}$/, 'must be 1 to 10 digits'),
  directNumber: z.string().trim().max(40),
  email: z.union([z.literal(''), z.email('is not a valid email address')]),
  password: z.string().min(8, 'must be at least 8 characters').max(256),
};

export const userCreateSchema = z.object({
  username,
  name: userFields.name,
  scope: userFields.scope.default('basic'),
  extension: userFields.extension.optional(),
  directNumber: userFields.directNumber.optional(),
  email: userFields.email.optional(),
  password: userFields.password.optional(),
}).strict();
export type UserCreate = z.infer<typeof userCreateSchema>;

/** A `.default()` would survive `.partial()` (a name change once demoted users to "basic"). */
export const userPatchSchema = z.object(userFields).partial().strict();
export type UserPatch = z.infer<typeof userPatchSchema>;

export const tokenCreateSchema = z.object({
  label: z.string().trim().max(100).default(''),
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
  /** Null for platform-admin tokens. */
  userId: string | null;
  accountId: string | null;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
}

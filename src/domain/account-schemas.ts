// Accounts (tenants) and their settings.
import { z } from 'zod';
import ipaddr from 'ipaddr.js';
import { getCountries } from 'libphonenumber-js/max';
import { withoutDefaults } from './patch-schema.ts';

export const USER_SCOPES = ['basic', 'office_manager', 'site_manager', 'call_center_supervisor'] as const;
export const userScopeSchema = z.enum(USER_SCOPES);
export type UserScope = z.infer<typeof userScopeSchema>;

const COUNTRIES = new Set<string>(getCountries());

export const accountIdSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a slug: lowercase letters, digits and inner hyphens, at most 63 characters');

export const regionSchema = z
  .string()
  .trim()
  .toUpperCase()
  .refine((r) => COUNTRIES.has(r), 'must be an ISO 3166 country code such as US, GB or DE');

export const accountSettingsSchema = z.object({
  /** Which user scopes may add, edit and delete shared contacts and groups. */
  managerScopes: z.array(userScopeSchema).default(['office_manager', 'call_center_supervisor']),
  /** Whether the account's users appear in phone directories ("other users on your account"). */
  showUsersInDirectory: z.boolean().default(true),
  /** How phones show names. */
  nameFormat: z.enum(['first_last', 'last_first']).default('first_last'),
  /** LDAP: allow anonymous binds to read the shared directory. */
  ldapAnonymous: z.boolean().default(false),
  /** Phonebooks: optional IP allow-list (CIDR), empty = any address. */
  phoneAllowList: z.array(z.string().trim().min(1)).default([]),
  /**
   * Phonebooks: the number form phones dial and match caller-ID against. "vendor" uses each
   * vendor's choice (README phone table); "national" suits PBXs that present national caller-ID.
   */
  dialNumberForm: z.enum(['vendor', 'e164', 'national']).default('vendor'),
  /** Phonebooks: SIP account slot phones attach downloaded entries to (Grandstream accountindex, 0 = account 1). */
  phoneAccountIndex: z.number().int().min(0).max(15).default(0),
}).strict();
export type AccountSettings = z.infer<typeof accountSettingsSchema>;

/** An allow-list entry as a caller sends it: checked here, so a typo is a 400 naming the entry, not phones locked out. */
const allowListEntry = z.string().trim().min(1).refine(
  (v) => ipaddr.isValid(v) || ipaddr.isValidCIDR(v),
  'must be an IP address or a CIDR range such as 10.0.0.0/8 or 2001:db8::/32',
);

/** Settings a caller sends: only what is to change; omitted fields stay as stored, never defaulted. */
export const accountSettingsPatchSchema = z.object({
  ...withoutDefaults(accountSettingsSchema.shape),
  phoneAllowList: z.array(allowListEntry).max(100, 'at most 100 entries'),
}).partial().strict();

export const accountCreateSchema = z.object({
  id: accountIdSchema,
  name: z.string().trim().min(1, 'must not be empty').max(200),
  region: regionSchema.default('US'),
  settings: accountSettingsPatchSchema.optional(),
}).strict();
export type AccountCreate = z.infer<typeof accountCreateSchema>;

export const accountPatchSchema = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  region: regionSchema.optional(),
  settings: accountSettingsPatchSchema.optional(),
}).strict();
export type AccountPatch = z.infer<typeof accountPatchSchema>;

/** Phone credentials: the same pair opens the XML phonebooks (HTTP Basic) and LDAP binds. */
export const phoneCredentialsSchema = z.object({
  username: z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only'),
  password: z.string().min(8, 'must be at least 8 characters').max(128),
}).strict();
export type PhoneCredentialsInput = z.infer<typeof phoneCredentialsSchema>;
/** PATCH of phone credentials: the username or the password alone (the other one stays). */
export const phoneCredentialsPatchSchema = phoneCredentialsSchema.partial().strict()
  .refine((p) => p.username !== undefined || p.password !== undefined, 'send username, password or both');

export interface Account {
  id: string;
  name: string;
  region: string;
  settings: AccountSettings;
  /** Random, fixed when the account is created: an account deleted and created again under the
   *  same id is another incarnation, and every cache keys on it as well as on the id. */
  incarnation: string;
  /** Bumped on every change to the account's directory; front ends use it to validate caches. */
  revision: number;
  createdAt: string;
  updatedAt: string;
}

/** What a cache checks to know it still describes the account: the incarnation and revision. */
export interface AccountVersion {
  incarnation: string;
  revision: number;
}

export function defaultSettings(partial: Partial<AccountSettings> = {}): AccountSettings {
  return accountSettingsSchema.parse(partial);
}

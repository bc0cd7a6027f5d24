// The contact: one zod schema shared by the admin API, spreadsheet import and the store.
import { z } from 'zod';
import { cleanLine } from './clean-text.ts';

export const NUMBER_FIELDS = ['workNumber', 'mobileNumber', 'homeNumber', 'faxNumber'] as const;
export type NumberField = (typeof NUMBER_FIELDS)[number];
export const NAME_FIELDS = ['firstName', 'lastName', 'company'] as const;
/** Every editable field, in spreadsheet column order. */
export const CONTACT_FIELDS = [
  'firstName', 'lastName', 'company', 'title',
  'workNumber', 'mobileNumber', 'homeNumber', 'faxNumber',
  'email', 'groups',
] as const;

/** Kind of number, as phones label it. */
export const NUMBER_KIND: Record<NumberField, 'work' | 'mobile' | 'home' | 'fax'> = {
  workNumber: 'work',
  mobileNumber: 'mobile',
  homeNumber: 'home',
  faxNumber: 'fax',
};

// Every single-line text goes through cleanLine first (line breaks -> space, control and
// non-characters dropped), whichever path it comes by; prepare-contact reports what changed.
// Checks on one string schema, not pipes and preprocessing: an import parses ten fields a row,
// and each pipe stage allocates (the schema cost 7 of the check thread's 50 µs a row; 5 now).
// null (clear the field, in a PATCH) passes as null: readers take `?? ''`.
const cleanedString = () => z.string().overwrite((s) => cleanLine(s).text).trim();
const optionalText = (max: number) => cleanedString().max(max, `must be at most ${max} characters`).nullable().optional();

export const groupNameSchema = cleanedString()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .refine((s) => !/[;\n\r]/.test(s), 'must not contain ; or line breaks (";" separates groups in spreadsheets)');

const contactFieldsShape = {
  firstName: optionalText(100),
  lastName: optionalText(100),
  company: optionalText(150),
  title: optionalText(100),
  workNumber: optionalText(40),
  mobileNumber: optionalText(40),
  homeNumber: optionalText(40),
  faxNumber: optionalText(40),
  email: cleanedString().pipe(z.union([z.literal(''), z.email('is not a valid email address')])).nullable().optional(),
  groups: z.array(groupNameSchema).max(50, 'at most 50 groups').optional(),
};

/** A contact as the API and import receive it, before numbers are normalised. */
export const contactInputSchema = z
  .object(contactFieldsShape)
  .strict()
  .superRefine((c, ctx) => requireName(c, ctx));

/** PATCH: any subset; the merged result is validated with contactInputSchema. */
export const contactPatchSchema = z.object(contactFieldsShape).strict();

export type ContactInput = z.infer<typeof contactInputSchema>;
export type ContactPatch = z.infer<typeof contactPatchSchema>;
/** Every editable field with a value (absent and null are ''): a prepared or stored contact's fields. */
export type ContactFields = { [K in keyof ContactInput]-?: NonNullable<ContactInput[K]> };

// A number is not required: apps keep e-mail-only contacts and group cards, and refusing them
// stops an app's sync (issue 20). Phones skip contacts without one (Visibility.dialable); the
// writer is warned (prepare-contact.ts).
function requireName(c: ContactPatch, ctx: z.RefinementCtx): void {
  if (!NAME_FIELDS.some((f) => (c[f] ?? '') !== '')) {
    ctx.addIssue({ code: 'custom', path: ['firstName'], message: 'a contact needs a first name, last name or company' });
  }
}

export const contactSourceSchema = z.enum(['shared', 'personal', 'user']);
export type ContactSource = z.infer<typeof contactSourceSchema>;

export type NumberKind = 'work' | 'mobile' | 'home' | 'fax' | 'extension';
export interface PhoneNumber {
  /** 'extension' only on internal users' entries. */
  kind: NumberKind;
  raw: string;
  e164: string | null;
  digits: string;
}

/** A stored contact, as every front end reads it. */
export interface Contact {
  id: string;
  accountId: string;
  source: ContactSource;
  /** Owner for personal contacts; the user for 'user' entries. */
  userId: string | null;
  firstName: string;
  lastName: string;
  company: string;
  title: string;
  workNumber: string;
  mobileNumber: string;
  homeNumber: string;
  faxNumber: string;
  email: string;
  groups: string[];
  numbers: PhoneNumber[];
  createdAt: string;
  createdBy: string | null;
  updatedAt: string;
  updatedBy: string | null;
  revision: number;
}

/** The editable fields of a stored contact, in input form (used for diffs, export and audit). */
export function contactFields(c: Contact): ContactFields {
  return {
    firstName: c.firstName, lastName: c.lastName, company: c.company, title: c.title,
    workNumber: c.workNumber, mobileNumber: c.mobileNumber, homeNumber: c.homeNumber,
    faxNumber: c.faxNumber, email: c.email, groups: [...c.groups],
  };
}

export const contactSortSchema = z.enum(['name', '-name', 'lastName', '-lastName', 'firstName', '-firstName', 'company', '-company', 'updatedAt', '-updatedAt']);
export type ContactSort = z.infer<typeof contactSortSchema>;

export const contactListQuerySchema = z.object({
  q: z.string().trim().max(100).optional(),
  group: z.string().trim().max(64).optional(),
  sort: contactSortSchema.default('name'),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).default(0).describe('Rows to skip (shallow pages; deep pages use after)'),
  after: z.string().trim().min(1).max(400).optional().describe('Keyset cursor: the "next" of the previous page (same q, group and sort); replaces offset'),
}).strict();
export type ContactListQuery = z.infer<typeof contactListQuerySchema>;

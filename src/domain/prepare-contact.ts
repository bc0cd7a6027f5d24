// Validation and normalisation every contact goes through before the store writes it,
// whichever way it arrives (admin API, spreadsheet import, CLI, demo data).
import {
  contactFields, contactInputSchema, NUMBER_FIELDS, NUMBER_KIND,
  type Contact, type ContactFields, type NumberKind, type PhoneNumber,
} from './contact-schemas.ts';
import { cleanLine, describeCleaning } from './clean-text.ts';
import { normalizeNumber } from './phone-number.ts';
import { searchForms, type SearchForms } from './search-forms.ts';
import { groupKey } from './text-fold.ts';
import { detailsFromZod, invalidInput, type ErrorDetail } from '../errors.ts';

/**
 * Something changed or doubtful about an accepted contact: reported to whoever wrote it (API
 * response, import report) but never a reason to refuse it.
 */
export interface ContactWarning {
  /** Row in an import file (set by the import). */
  row?: number;
  field: string;
  value: string;
  code: 'text_cleaned' | 'number_not_valid_for_region' | 'value_not_imported' | 'no_phone_number' | 'dial_string';
  reason: string;
}

/** A contact ready to be written: every field present, numbers normalised. */
export interface PreparedContact {
  fields: ContactFields;
  numbers: PhoneNumber[];
  /** The folded names the store searches and orders by. */
  search: SearchForms;
  /**
   * JSON.stringify(fields), what the audit log records, when it was made ahead: an import's check
   * thread makes it (checkRow in import-plan.ts), so that the thread that writes need not.
   */
  fieldsJson?: string;
  /**
   * The vCard an app sent (CardDAV PUT), kept beside the fields: everything dialbook does not
   * model (photo, address, note, further numbers ...) comes back from it (src/vcard/card-merge.ts).
   * Absent: a write that leaves the stored card as it is (the admin API, imports).
   */
  vcard?: string;
}

export type PrepareResult =
  | { ok: true; contact: PreparedContact; warnings: ContactWarning[] }
  | { ok: false; errors: ErrorDetail[] };

/**
 * The input with every text field through cleanLine (line breaks -> space, controls and
 * noncharacters dropped); anything that is not a plain object is left for the schema to refuse.
 */
export function cleanContactInput(input: unknown, warnings: ContactWarning[]): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (typeof value === 'string') out[key] = cleanField(key, value, warnings);
    else if (key === 'groups' && Array.isArray(value)) {
      out[key] = value.map((g, i) => (typeof g === 'string' ? cleanField(`groups.${i}`, g, warnings) : g));
    } else out[key] = value;
  }
  return out;
}

/** One text field through cleanLine; what was cleaned is reported as a warning. */
export function cleanField(field: string, value: string, warnings: ContactWarning[]): string {
  const c = cleanLine(value);
  if (c.breaks || c.dropped) warnings.push({ field, value, code: 'text_cleaned', reason: `${field}: ${describeCleaning(c)}` });
  return c.text;
}

export function tryPrepareContact(input: unknown, region: string): PrepareResult {
  const warnings: ContactWarning[] = [];
  input = cleanContactInput(input, warnings);
  const parsed = contactInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: detailsFromZod(parsed.error.issues, input) };
  const c = parsed.data;
  const fields: ContactFields = {
    firstName: c.firstName ?? '', lastName: c.lastName ?? '', company: c.company ?? '',
    title: c.title ?? '', workNumber: '', mobileNumber: '', homeNumber: '', faxNumber: '',
    email: c.email ?? '', groups: dedupeGroups(c.groups ?? []),
  };
  const numbers: PhoneNumber[] = [];
  const errors: ErrorDetail[] = [];
  for (const field of NUMBER_FIELDS) {
    const value = c[field] ?? '';
    if (value === '') continue;
    const number = prepareNumber(field, value, NUMBER_KIND[field], region, errors, warnings);
    if (number) {
      fields[field] = number.raw;
      numbers.push(number);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  if (numbers.length === 0) {
    warnings.push({ field: 'workNumber', value: '', code: 'no_phone_number', reason: 'the contact has no phone number: apps show it, desk phones do not list it' });
  }
  return { ok: true, contact: { fields, numbers, search: searchForms(fields) }, warnings };
}

/**
 * One number of a directory entry (a contact's, or a user's extension and direct number) through
 * the rule every stored number follows: normalised in the account's region (display form, E.164,
 * digits for caller ID). null when it is not a phone number; the reason is added to `errors`.
 */
export function prepareNumber(
  field: string, value: string, kind: NumberKind, region: string, errors: ErrorDetail[], warnings: ContactWarning[],
): PhoneNumber | null {
  const result = normalizeNumber(value, region);
  if (!result.ok) {
    errors.push({ field, value, reason: `${field} ${result.reason}` });
    return null;
  }
  if (result.warning) warnings.push({ field, value, code: result.warning.code, reason: `${field} ${result.warning.reason}` });
  return { kind, ...result.value };
}

export function prepareContact(input: unknown, region: string): PreparedContact {
  return prepareContactWithWarnings(input, region).contact;
}

/** prepareContact, plus what was cleaned or doubtful (for the API response). */
export function prepareContactWithWarnings(input: unknown, region: string): { contact: PreparedContact; warnings: ContactWarning[] } {
  const result = tryPrepareContact(input, region);
  if (!result.ok) throw invalidInput('contact', result.errors);
  return { contact: result.contact, warnings: result.warnings };
}

/** Group names are unique per account by their folded key; keep the first spelling. */
function dedupeGroups(groups: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const g of groups) {
    const key = groupKey(g);
    if (!seen.has(key)) { seen.add(key); out.push(g); }
  }
  return out;
}

/**
 * A stored contact with other groups, ready to be written again: its fields and numbers as they
 * are (they passed prepareContact when written), only the groups changed (a group card's members).
 */
export function withGroups(c: Contact, groups: string[]): PreparedContact {
  const fields = { ...contactFields(c), groups: dedupeGroups(groups) };
  return { fields, numbers: c.numbers, search: searchForms(fields) };
}

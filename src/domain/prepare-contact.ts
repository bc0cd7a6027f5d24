// Validation and normalisation every contact goes through before the store writes it,
// whichever way it arrives (admin API, spreadsheet import, CLI, demo data).
import {
  contactInputSchema, NUMBER_FIELDS, NUMBER_KIND,
  type ContactInput, type PhoneNumber,
} from './contact-schemas.ts';
import { normalizeNumber } from './phone-number.ts';
import { detailsFromZod, ValidationError, type ErrorDetail } from '../errors.ts';

/** A contact ready to be written: every field present, numbers normalised. */
export interface PreparedContact {
  fields: Required<ContactInput>;
  numbers: PhoneNumber[];
}

export type PrepareResult = { ok: true; contact: PreparedContact } | { ok: false; errors: ErrorDetail[] };

export function tryPrepareContact(input: unknown, region: string): PrepareResult {
  const parsed = contactInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: detailsFromZod(parsed.error.issues, input) };
  const c = parsed.data;
  const fields: Required<ContactInput> = {
    firstName: c.firstName ?? '', lastName: c.lastName ?? '', company: c.company ?? '',
    title: c.title ?? '', workNumber: '', mobileNumber: '', homeNumber: '', faxNumber: '',
    email: c.email ?? '', groups: dedupeGroups(c.groups ?? []),
  };
  const numbers: PhoneNumber[] = [];
  const errors: ErrorDetail[] = [];
  for (const field of NUMBER_FIELDS) {
    const value = c[field] ?? '';
    if (value === '') continue;
    const result = normalizeNumber(value, region);
    if (!result.ok) {
      errors.push({ field, value, reason: `${field} ${result.reason}` });
      continue;
    }
    fields[field] = result.value.raw;
    numbers.push({ kind: NUMBER_KIND[field], ...result.value });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, contact: { fields, numbers } };
}

export function prepareContact(input: unknown, region: string): PreparedContact {
  const result = tryPrepareContact(input, region);
  if (!result.ok) throw new ValidationError(summarize(result.errors), result.errors);
  return result.contact;
}

function summarize(errors: ErrorDetail[]): string {
  return 'Invalid contact: ' + errors.map((e) => `${e.field ?? 'contact'}: ${e.reason}`).join('; ');
}

/** Group names are unique per account regardless of case; keep the first spelling. */
function dedupeGroups(groups: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const g of groups) {
    const key = g.toLowerCase();
    if (!seen.has(key)) { seen.add(key); out.push(g); }
  }
  return out;
}

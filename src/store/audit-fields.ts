// A new contact's audit entry stores only the fields it has: most imported contacts leave four or
// five of the nine text fields empty, and `"title":"",` and the like were about 55 of the entry's
// ~340 bytes on disk per contact (issue 24). Readers fill the missing ones back in, so the audit
// API shows every field as before, and entries written before this read as they always did.
import type { ContactFields } from '../domain/contact-schemas.ts';

/** The JSON of a new contact's fields without the empty ones. */
export function compactFieldsJson(f: ContactFields): string {
  const out: Partial<ContactFields> = {};
  if (f.firstName) out.firstName = f.firstName;
  if (f.lastName) out.lastName = f.lastName;
  if (f.company) out.company = f.company;
  if (f.title) out.title = f.title;
  if (f.workNumber) out.workNumber = f.workNumber;
  if (f.mobileNumber) out.mobileNumber = f.mobileNumber;
  if (f.homeNumber) out.homeNumber = f.homeNumber;
  if (f.faxNumber) out.faxNumber = f.faxNumber;
  if (f.email) out.email = f.email;
  if (f.groups.length > 0) out.groups = f.groups;
  return JSON.stringify(out);
}

/** An audit entry's before/after as stored, with a contact entry's missing fields filled in. */
export function auditFields(action: string, json: string | null): unknown {
  if (json === null || json === '') return null;
  const v = JSON.parse(json) as Record<string, unknown>;
  if (!action.startsWith('contact.') || typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  return {
    firstName: v.firstName ?? '', lastName: v.lastName ?? '', company: v.company ?? '', title: v.title ?? '',
    workNumber: v.workNumber ?? '', mobileNumber: v.mobileNumber ?? '', homeNumber: v.homeNumber ?? '',
    faxNumber: v.faxNumber ?? '', email: v.email ?? '', groups: v.groups ?? [], ...v,
  };
}

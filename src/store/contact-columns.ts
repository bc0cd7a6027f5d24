// A contact's own columns, once for both engines: the SQLite writer and the PostgreSQL store
// (statements and COPY) insert and update exactly these, from exactly these values, so adding a
// field to a contact is one edit here plus a migration per engine (the contract suite's schema
// check fails until both have it).
import type { PreparedContact } from '../domain/prepare-contact.ts';

/** The columns a contact's own values fill (contactValues gives them, in this order). */
export const CONTENT_COLUMNS = [
  'first_name', 'last_name', 'company', 'title', 'work_number', 'mobile_number', 'home_number', 'fax_number', 'email',
  'first_f', 'last_f', 'company_f', 'title_f', 'email_f', 'display_f', 'sort_key',
] as const;

/** A contact's own values, in CONTENT_COLUMNS order (what an insert and an update of it write). */
export function contactValues(c: PreparedContact): string[] {
  const f = c.fields;
  const n = c.search;
  return [
    f.firstName, f.lastName, f.company, f.title, f.workNumber, f.mobileNumber, f.homeNumber, f.faxNumber, f.email,
    n.first, n.last, n.company, n.title, n.email, n.display, n.sortKey,
  ];
}

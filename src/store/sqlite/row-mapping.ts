// Rows to domain objects, and the derived columns written with each contact.
import type { Contact, ContactSource, PhoneNumber } from '../../domain/contact-schemas.ts';
import type { User } from '../../domain/user-schemas.ts';
import type { UserScope } from '../../domain/account-schemas.ts';
import { fold, words } from '../../domain/text-fold.ts';

export const CONTACT_COLUMNS = `c.id, c.account_id, c.source, c.user_id, c.first_name, c.last_name, c.company,
  c.title, c.work_number, c.mobile_number, c.home_number, c.fax_number, c.email, c.created_at,
  c.created_by, c.updated_at, c.updated_by, c.revision,
  (SELECT json_group_array(json_array(n.kind, n.raw, n.e164, n.digits) ORDER BY n.position)
     FROM contact_numbers n WHERE n.contact_id = c.id) AS numbers_json,
  (SELECT json_group_array(g.name ORDER BY cg.position)
     FROM contact_groups cg JOIN groups g ON g.id = cg.group_id WHERE cg.contact_id = c.id) AS groups_json`;

export interface ContactRow {
  id: string; account_id: string; source: string; user_id: string | null;
  first_name: string; last_name: string; company: string; title: string;
  work_number: string; mobile_number: string; home_number: string; fax_number: string; email: string;
  created_at: string; created_by: string | null; updated_at: string; updated_by: string | null;
  revision: number; numbers_json: string; groups_json: string;
}

export function contactFromRow(r: ContactRow): Contact {
  const numbers = (JSON.parse(r.numbers_json) as [PhoneNumber['kind'], string, string | null, string][])
    .map(([kind, raw, e164, digits]) => ({ kind, raw, e164, digits }));
  return {
    id: r.id, accountId: r.account_id, source: r.source as ContactSource, userId: r.user_id,
    firstName: r.first_name, lastName: r.last_name, company: r.company, title: r.title,
    workNumber: r.work_number, mobileNumber: r.mobile_number, homeNumber: r.home_number,
    faxNumber: r.fax_number, email: r.email, groups: JSON.parse(r.groups_json) as string[], numbers,
    createdAt: r.created_at, createdBy: r.created_by, updatedAt: r.updated_at, updatedBy: r.updated_by,
    revision: r.revision,
  };
}

export interface FoldedNames {
  first_f: string; last_f: string; company_f: string; title_f: string; email_f: string;
  display_f: string; sort_key: string; words: string[];
}

/** Derived search columns. sort_key orders by last name, then first name, then company. */
export function foldedNames(f: { firstName: string; lastName: string; company: string; title: string; email: string }): FoldedNames {
  const first = fold(f.firstName);
  const last = fold(f.lastName);
  const company = fold(f.company);
  const display = fold([f.firstName, f.lastName].filter(Boolean).join(' ') || f.company);
  const sort = [last || first || company, first, company].join('\u0001');
  const all = new Set([...words(f.firstName), ...words(f.lastName), ...words(f.company)]);
  return {
    first_f: first, last_f: last, company_f: company, title_f: fold(f.title), email_f: fold(f.email),
    display_f: display, sort_key: sort, words: [...all],
  };
}

export interface UserRow {
  id: string; account_id: string; username: string; name: string; scope: string; extension: string;
  direct_number: string; email: string; password_hash: string | null; created_at: string; updated_at: string;
}

export function userFromRow(r: UserRow): User {
  return {
    id: r.id, accountId: r.account_id, username: r.username, name: r.name, scope: r.scope as UserScope,
    extension: r.extension, directNumber: r.direct_number, email: r.email,
    hasPassword: r.password_hash !== null, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

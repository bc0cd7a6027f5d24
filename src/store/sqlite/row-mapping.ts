// Rows to domain objects, and the derived columns written with each contact (users' rows: ../user-records.ts).
import type { Contact, ContactSource, PhoneNumber } from '../../domain/contact-schemas.ts';

export const CONTACT_COLUMNS = `c.id, c.account_id, c.source, c.user_id, c.first_name, c.last_name, c.company,
  c.title, c.work_number, c.mobile_number, c.home_number, c.fax_number, c.email, c.created_at,
  c.created_by, c.updated_at, c.updated_by, c.revision`;

export interface ContactRow {
  id: string; account_id: string; source: string; user_id: string | null;
  first_name: string; last_name: string; company: string; title: string;
  work_number: string; mobile_number: string; home_number: string; fax_number: string; email: string;
  created_at: string; created_by: string | null; updated_at: string; updated_by: string | null;
  revision: number;
}

export interface NumberRow { contact_id: string; kind: PhoneNumber['kind']; raw: string; e164: string | null; digits: string }
export interface GroupLinkRow { contact_id: string; name: string }

/** Builds contacts from their rows plus number and group rows (each already in position order). */
export function contactsFromRows(rows: ContactRow[], numbers: NumberRow[], groups: GroupLinkRow[]): Contact[] {
  const numbersOf = new Map<string, PhoneNumber[]>();
  for (const n of numbers) {
    let list = numbersOf.get(n.contact_id);
    if (!list) numbersOf.set(n.contact_id, (list = []));
    list.push({ kind: n.kind, raw: n.raw, e164: n.e164, digits: n.digits });
  }
  const groupsOf = new Map<string, string[]>();
  for (const g of groups) {
    let list = groupsOf.get(g.contact_id);
    if (!list) groupsOf.set(g.contact_id, (list = []));
    list.push(g.name);
  }
  return rows.map((r) => ({
    id: r.id, accountId: r.account_id, source: r.source as ContactSource, userId: r.user_id,
    firstName: r.first_name, lastName: r.last_name, company: r.company, title: r.title,
    workNumber: r.work_number, mobileNumber: r.mobile_number, homeNumber: r.home_number,
    faxNumber: r.fax_number, email: r.email, groups: groupsOf.get(r.id) ?? [], numbers: numbersOf.get(r.id) ?? [],
    createdAt: r.created_at, createdBy: r.created_by, updatedAt: r.updated_at, updatedBy: r.updated_by,
    revision: r.revision,
  }));
}

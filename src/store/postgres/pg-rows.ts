// Row shapes and the statements shared by the PostgreSQL store's writers: reading contacts with
// their numbers and groups (the contact's own columns are in ../contact-columns.ts, shared with
// SQLite; the import's COPY encoding is in pg-copy.ts).
import type { Contact, ContactSource, PhoneNumber } from '../../domain/contact-schemas.ts';
import type pg from 'pg';

const CONTACT_SELECT = `SELECT c.id, c.seq, c.account_id, c.source, c.user_id, c.first_name, c.last_name, c.company, c.title,
  c.work_number, c.mobile_number, c.home_number, c.fax_number, c.email, c.created_at, c.created_by, c.updated_at,
  c.updated_by, c.revision FROM contacts c`;

interface ContactRow {
  id: string; seq: string; account_id: string; source: string; user_id: string | null;
  first_name: string; last_name: string; company: string; title: string;
  work_number: string; mobile_number: string; home_number: string; fax_number: string; email: string;
  created_at: string; created_by: string | null; updated_at: string; updated_by: string | null; revision: number;
}

/** Contacts matching `where` (over alias c), with numbers and groups, in `order`. */
export async function selectContacts(db: pg.ClientBase | pg.Pool, where: string, params: unknown[], order: string, limit?: number): Promise<(Contact & { seq: string })[]> {
  const { rows } = await db.query<ContactRow>(`${CONTACT_SELECT} WHERE ${where} ORDER BY ${order}${limit ? ` LIMIT ${Number(limit)}` : ''}`, params);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [numbers, groups] = await Promise.all([
    db.query<{ contact_id: string; kind: PhoneNumber['kind']; raw: string; e164: string | null; digits: string }>(
      'SELECT contact_id, kind, raw, e164, digits FROM contact_numbers WHERE contact_id = ANY($1) ORDER BY contact_id, position', [ids]),
    db.query<{ contact_id: string; name: string }>(
      'SELECT cg.contact_id, g.name FROM contact_groups cg JOIN groups g ON g.id = cg.group_id WHERE cg.contact_id = ANY($1) ORDER BY cg.contact_id, cg.position', [ids]),
  ]);
  const numbersOf = groupBy(numbers.rows, (n) => ({ kind: n.kind, raw: n.raw, e164: n.e164, digits: n.digits }));
  const groupsOf = groupBy(groups.rows, (g) => g.name);
  return rows.map((r) => ({
    id: r.id, seq: r.seq, accountId: r.account_id, source: r.source as ContactSource, userId: r.user_id,
    firstName: r.first_name, lastName: r.last_name, company: r.company, title: r.title,
    workNumber: r.work_number, mobileNumber: r.mobile_number, homeNumber: r.home_number, faxNumber: r.fax_number,
    email: r.email, groups: groupsOf.get(r.id) ?? [], numbers: numbersOf.get(r.id) ?? [],
    createdAt: r.created_at, createdBy: r.created_by, updatedAt: r.updated_at, updatedBy: r.updated_by, revision: r.revision,
  }));
}

function groupBy<R extends { contact_id: string }, T>(rows: R[], map: (r: R) => T): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    let list = out.get(r.contact_id);
    if (!list) out.set(r.contact_id, (list = []));
    list.push(map(r));
  }
  return out;
}

/** Drops the store-internal seq from a contact. */
export function publicContact({ seq: _seq, ...c }: Contact & { seq: string }): Contact {
  return c;
}

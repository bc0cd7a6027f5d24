// Reading contacts: paged queries from the Criterion AST, single lookups, whole lists.
import type { Contact, ContactSort } from '../../domain/contact-schemas.ts';
import { NotFoundError } from '../../errors.ts';
import type { ContactPage, ContactQuery, Visibility, WriteScope } from '../store.ts';
import { criterionSql, visibilitySql } from './criterion-sql.ts';
import { StatementCache } from './database.ts';
import { CONTACT_COLUMNS, contactFromRow, type ContactRow } from './row-mapping.ts';

const ORDER: Record<ContactSort, string> = {
  name: 'c.sort_key, c.id',
  '-name': 'c.sort_key DESC, c.id DESC',
  lastName: 'c.last_f, c.first_f, c.id',
  '-lastName': 'c.last_f DESC, c.first_f DESC, c.id DESC',
  firstName: 'c.first_f, c.last_f, c.id',
  '-firstName': 'c.first_f DESC, c.last_f DESC, c.id DESC',
  company: 'c.company_f, c.sort_key, c.id',
  '-company': 'c.company_f DESC, c.sort_key DESC, c.id DESC',
  updatedAt: 'c.updated_at, c.id',
  '-updatedAt': 'c.updated_at DESC, c.id DESC',
};

export class SqliteContactReader {
  constructor(private readonly stmts: StatementCache, private readonly regionOf: (accountId: string) => string) {}

  query(accountId: string, q: ContactQuery): ContactPage {
    const region = this.regionOf(accountId);
    const vis = visibilitySql(q.visibility);
    const where = criterionSql(q.where ?? { all: true }, accountId, region);
    const filter = `c.account_id = ? AND ${vis.sql} AND ${where.sql}`;
    const params = [accountId, ...vis.params, ...where.params];
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    const sql = `SELECT ${CONTACT_COLUMNS} FROM contacts c WHERE ${filter} ORDER BY ${ORDER[q.sort ?? 'name']} LIMIT ? OFFSET ?`;
    const rows = this.stmts.get(sql).all(...params, limit, offset) as ContactRow[];
    let total: number | null = null;
    if (q.withTotal) {
      total = (this.stmts.get(`SELECT count(*) AS n FROM contacts c WHERE ${filter}`).get(...params) as { n: number }).n;
    }
    return { contacts: rows.map(contactFromRow), total };
  }

  get(accountId: string, id: string, visibility: Visibility): Contact | null {
    const vis = visibilitySql(visibility);
    const row = this.stmts
      .get(`SELECT ${CONTACT_COLUMNS} FROM contacts c WHERE c.account_id = ? AND c.id = ? AND ${vis.sql}`)
      .get(accountId, id, ...vis.params) as ContactRow | undefined;
    return row ? contactFromRow(row) : null;
  }

  /** A contact a write may touch, or 404: a contact of another scope or account does not exist. */
  getForWrite(accountId: string, scope: WriteScope, id: string): Contact {
    const c = this.get(accountId, id, scopeVisibility(scope));
    if (!c) throw new NotFoundError('Contact');
    return c;
  }

  all(accountId: string, scope: WriteScope): Contact[] {
    const vis = visibilitySql(scopeVisibility(scope));
    const rows = this.stmts
      .get(`SELECT ${CONTACT_COLUMNS} FROM contacts c WHERE c.account_id = ? AND ${vis.sql} ORDER BY ${ORDER.name}`)
      .all(accountId, ...vis.params) as ContactRow[];
    return rows.map(contactFromRow);
  }
}

export function scopeVisibility(scope: WriteScope): Visibility {
  return scope.source === 'shared'
    ? { shared: true, users: false, personalOf: null }
    : { shared: false, users: false, personalOf: scope.userId };
}
